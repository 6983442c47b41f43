"""Take network access away from a query worker, in the kernel.

Why: the service refuses ``SERVICE`` and ``LOAD`` by reading the query text, but the
engine parses it again, and a text that the two read differently would let a query reach
the network from the service's address (it happened twice: escapes the reader did not
know). With no allow-list the workers need no network at all, so a seccomp filter makes
``socket(AF_INET | AF_INET6, ...)`` fail with EACCES: whatever the engine parses, it cannot
connect. Local sockets and pipes still work. Linux on x86-64 and ARM64 only; elsewhere
the text check stands alone.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

# BPF instruction classes and modes
LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
RET_K = 0x06  # BPF_RET | BPF_K

# (audit architecture, number of socket(2), first number of a foreign ABI or None)
ARCHES = {
    "x86_64": (0xC000003E, 41, 0x40000000),  # x32 syscalls carry bit 30: refuse them all
    "aarch64": (0xC00000B7, 198, None),
}


def _program(arch: int, socket_nr: int, foreign: int | None) -> bytes:
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    steps: list[tuple[int, int, int, int]] = [
        (LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (JEQ_K, 1, 0, arch),
        (RET_K, 0, 0, deny),  # another ABI (e.g. int 0x80): nothing at all
        (LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if foreign is not None:
        steps += [(JGE_K, 0, 1, foreign), (RET_K, 0, 0, deny)]
    steps += [
        (JEQ_K, 1, 0, socket_nr),
        (RET_K, 0, 0, SECCOMP_RET_ALLOW),
        (LD_W_ABS, 0, 0, 16),  # args[0] (low half): the address family
        (JEQ_K, 2, 0, socket.AF_INET),
        (JEQ_K, 1, 0, socket.AF_INET6),
        (RET_K, 0, 0, SECCOMP_RET_ALLOW),
        (RET_K, 0, 0, deny),
    ]
    return b"".join(struct.pack("HBBI", *step) for step in steps)


def deny_network() -> bool:
    """Forbid this process (and its children) to open IPv4 or IPv6 sockets, for good.

    Returns False where the kernel or machine cannot do it (the caller logs that)."""
    arch = ARCHES.get(platform.machine())
    if not sys.platform.startswith("linux") or arch is None:
        return False
    code = _program(*arch)
    count = len(code) // 8
    buffer = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(count, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    pointer = ctypes.cast(ctypes.pointer(prog), ctypes.c_void_p).value or 0
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, pointer, 0, 0) == 0
