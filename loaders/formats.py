"""RDF serialisation formats by name, file extension and media type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError

FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".trig": "trig",
    ".nt": "ntriples",
    ".ntriples": "ntriples",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}

ALIASES = {"nt": "ntriples", "nq": "nquads", "ttl": "turtle", "json-ld": "jsonld", "xml": "rdfxml"}


def format_by_name(name: str) -> ox.RdfFormat:
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return FORMATS[key]
    except KeyError:
        raise LoadError(
            f"unknown RDF format {name!r}; known formats: {', '.join(FORMATS)}"
        ) from None


def format_for_path(path: Path, name: str | None = None) -> ox.RdfFormat:
    """The format named explicitly, else the one the file extension says."""
    if name:
        try:
            return format_by_name(name)
        except LoadError as exc:
            exc.source = str(path)
            raise
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in {".gz"}]
    for suffix in reversed(suffixes):
        if suffix in EXTENSIONS:
            return FORMATS[EXTENSIONS[suffix]]
    raise LoadError(
        f"unknown format: cannot tell the RDF format from the extension {path.suffix!r}; "
        f"use --format with one of {', '.join(FORMATS)}",
        source=str(path),
    )


def check_input(data: bytes | Path, rdf_format: ox.RdfFormat) -> None:
    """Refuse input that would crash or exhaust the parser before it reaches pyoxigraph."""
    if rdf_format == ox.RdfFormat.JSON_LD:
        check_json_nesting(data)
    elif rdf_format == ox.RdfFormat.RDF_XML:
        check_xml_entities(data)


# JSON-LD nested thousands of objects deep overflows pyoxigraph's parser stack (about
# 4,000 levels on an 8 MiB stack: a crash, not an error); real documents nest a dozen.
MAX_JSON_NESTING = 500
_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")
_SCAN_CHUNK = 1 << 22


def check_json_nesting(data: bytes | Path, limit: int = MAX_JSON_NESTING) -> None:
    """Raise LoadError when JSON nests objects and arrays deeper than ``limit``.

    At C speed: escapes and strings are cut out, then the brackets summed. A file is read
    in chunks cut at line ends (a JSON string holds no raw line break), so memory stays
    within the longest line.
    """
    depth = 0
    rest = b""
    chunks = [data] if isinstance(data, bytes) else _chunks(data)
    for chunk in chunks:
        text = rest + chunk
        cut = text.rfind(b"\n") + 1 if chunk is not data else len(text)
        if cut == 0:
            rest = text
            continue
        text, rest = text[:cut], text[cut:]
        depth = _deepest(text, depth, limit)
    if rest:
        _deepest(rest, depth, limit)


def _deepest(text: bytes, depth: int, limit: int) -> int:
    """The depth after ``text``, having checked the depth within it."""
    outside = b"".join(text.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[0::2])
    steps = memoryview(outside.translate(_BRACKETS, _NOT_BRACKETS))
    if max(accumulate(steps.cast("b"), initial=depth)) > limit:
        raise LoadError(f"the JSON nests objects and arrays more than {limit} levels deep; "
                        "at most that many are accepted")
    return depth + sum(steps.cast("b"))


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            yield chunk


# pyoxigraph expands the entities an RDF/XML document declares in its DOCTYPE, with no
# limit: ten nested entities of ten references each ("billion laughs") made a 3 GB
# literal and took 9 GB of memory. External entities are refused by the parser itself.
MAX_XML_PROLOG = 4 << 20
MAX_ENTITY_EXPANSION = 8 << 20
_PROLOG = re.compile(rb'<!--.*?-->|"[^"]*"|\'[^\']*\'|<\?.*?\?>|<[A-Za-z_:]', re.DOTALL)
_ENTITY = re.compile(rb'<!ENTITY\s+([A-Za-z_:][\w.\-:]*)\s+"([^"]*)"', re.DOTALL)
_REFERENCE = re.compile(rb"&([A-Za-z_:][\w.\-:]*);")


def check_xml_entities(data: bytes | Path, limit: int = MAX_ENTITY_EXPANSION) -> None:
    """Raise LoadError when an XML document's own entities would expand past ``limit``
    bytes (all references counted), or refer to each other in a loop."""
    head = data[:MAX_XML_PROLOG] if isinstance(data, bytes) else _head(data)
    prolog = _prolog(head)
    values = dict(_ENTITY.findall(prolog))
    if not values:
        return
    sizes: dict[bytes, int] = {}

    def size(name: bytes, seen: tuple[bytes, ...]) -> int:
        if name in seen or len(seen) > 64:
            raise LoadError(f"the XML entity &{name.decode(errors='replace')}; refers back "
                            "to itself or nests entities more than 64 deep")
        if name not in sizes:
            value = values[name]
            refs = [r for r in _REFERENCE.findall(value) if r in values]
            sizes[name] = len(value) + sum(size(r, (*seen, name)) for r in refs)
        return sizes[name]

    total = 0

    def count(text: bytes) -> None:
        nonlocal total
        for name in _REFERENCE.findall(text):
            if name in values:
                total += size(name, ())
                if total > limit:
                    raise LoadError(f"the XML entities this document declares would expand "
                                    f"to more than {limit:,} bytes; at most that is accepted")

    chunks = [data] if isinstance(data, bytes) else _chunks(data)
    tail = b""
    for chunk in chunks:
        text = tail + chunk
        cut = max(text.rfind(b"&"), len(text) - 256) if chunk is not data else len(text)
        count(text[:cut])
        tail = text[cut:]
    count(tail)


def _prolog(head: bytes) -> bytes:
    """The document up to its first element (DOCTYPE and its entities are there)."""
    for match in _PROLOG.finditer(head):
        if match.group().startswith(b"<") and not match.group().startswith((b"<!", b"<?")):
            return head[:match.start()]
    if len(head) >= MAX_XML_PROLOG:
        raise LoadError(f"the XML document has no element in its first {MAX_XML_PROLOG:,} "
                        "bytes")
    return head


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(MAX_XML_PROLOG)
