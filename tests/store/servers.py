"""Real SPARQL servers for the tests, on free loopback ports: `oxigraph serve`, Virtuoso.

Each is started by the test that needs it and stopped when that test (or session) ends.
Also used by bench/frontend_overhead.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tillvaxtgraf.settings import Settings, load_settings
from tillvaxtgraf.store.remote_backend import RemoteStore, open_remote


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            response.read()
            return True
    except urllib.error.HTTPError as exc:
        exc.close()
        return True  # it answers, even if not with 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until(check, seconds: float, what: str, log: Path | None = None) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} did not come up in {seconds:g} s\n{tail}")
        time.sleep(0.02)


@dataclass
class RemoteServer:
    """What the tests need to know of a running SPARQL server."""

    dialect: str
    port: int
    query_path: str
    update_path: str
    gsp_path: str
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + self.query_path

    @property
    def update_url(self) -> str:
        return self.base + self.update_path

    @property
    def gsp_url(self) -> str:
        return self.base + self.gsp_path

    def store(self, *, gsp: bool = True, **kwargs: object) -> RemoteStore:
        return open_remote(self.query_url, update_url=self.update_url,
                           gsp_url=self.gsp_url if gsp else "", dialect=self.dialect,
                           **kwargs)

    def settings(self, store_dir: Path, **overrides: object) -> Settings:
        return load_settings({}, store=str(store_dir), backend="sparql",
                             query_url=self.query_url, update_url=self.update_url,
                             gsp_url=self.gsp_url, remote_dialect=self.dialect,
                             **{"rate_limit": "", **overrides})

    def env(self, store_dir: Path) -> dict[str, str]:
        return {"TILLVAXTGRAF_STORE": str(store_dir), "TILLVAXTGRAF_BACKEND": "sparql",
                "TILLVAXTGRAF_QUERY_URL": self.query_url,
                "TILLVAXTGRAF_UPDATE_URL": self.update_url,
                "TILLVAXTGRAF_GSP_URL": self.gsp_url,
                "TILLVAXTGRAF_REMOTE_DIALECT": self.dialect}

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the store goes away at once, mid-request or not."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class OxigraphServer(RemoteServer):
    """``oxigraph serve`` (PyPI package ``oxigraph``) on a loopback port."""

    location: Path | None = None
    extra: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, location: Path | None = None, port: int | None = None,
              log_dir: Path | None = None, extra: list[str] | None = None) -> OxigraphServer:
        server = cls("oxigraph", port or free_port(), "/query", "/update", "/store",
                     location=location, extra=list(extra or []))
        server.log = (log_dir / f"oxigraph-{server.port}.log") if log_dir else None
        server.restart()
        return server

    def restart(self) -> None:
        """Start (again) on the same port, over the same data folder."""
        self.stop()
        args = [shutil.which("oxigraph") or "oxigraph", "serve", "--bind",
                f"127.0.0.1:{self.port}", *self.extra]
        if self.location is not None:
            args += ["--location", str(self.location)]
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        finally:
            if self.log:
                out.close()  # type: ignore[union-attr]
        wait_until(lambda: self.proc.poll() is None and _answers(
            self.query_url + "?query=ASK%7B%7D"), 30, "oxigraph serve", self.log)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = ., {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 60
"""
# Run once through isql after start: SPARQL updates and the graph store for the public
# (unauthenticated) endpoints, and Virtuoso's own system graphs out of the union default
# graph (they would show up in every query over all graphs otherwise).
PRIVATE_GROUP = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/2002/07/owl#",
                 "http://www.w3.org/ns/ldp#", "http://localuriqaserver/sparql")
VIRTUOSO_SETUP = (
    'grant SPARQL_UPDATE to "SPARQL";'
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"
    f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE_GROUP}', 1);"
    + "".join(f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE_GROUP}', '{g}');" for g in SYSTEM_GRAPHS)
    + "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);"
)


def virtuoso_available() -> bool:
    return bool(shutil.which("virtuoso-t") and shutil.which("isql-vt"))


@dataclass
class VirtuosoServer(RemoteServer):
    """Virtuoso open source (Debian ``virtuoso-opensource``), its database in ``folder``."""

    folder: Path | None = None
    sql_port: int = 0

    @classmethod
    def start(cls, folder: Path) -> VirtuosoServer:
        folder.mkdir(parents=True, exist_ok=True)
        server = cls("virtuoso", free_port(), "/sparql", "/sparql", "/sparql-graph-crud",
                     folder=folder, sql_port=free_port())
        ini = folder / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(dir=folder, sql_port=server.sql_port,
                                           http_port=server.port), encoding="utf-8")
        server.log = folder / "virtuoso.log"
        with open(folder / "stdout.log", "wb") as out:
            server.proc = subprocess.Popen(
                ["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=folder,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: server.proc.poll() is None and _answers(
                server.query_url + "?query=ASK%7B%7D"), 90, "virtuoso", server.log)
            server.isql(VIRTUOSO_SETUP)
        except BaseException:
            server.stop()
            raise
        return server

    def isql(self, statements: str) -> str:
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statements}"],
            capture_output=True, text=True, timeout=60, cwd=self.folder)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout
