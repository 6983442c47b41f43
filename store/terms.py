"""Backend-neutral RDF terms and result rows.

The service never handles pyoxigraph objects: query answers reach it as rows of these
terms (the shape of SPARQL 1.1 JSON results), whichever backend produced them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import NamedNode

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")  # RFC 3987: % is followed by two hex digits


def is_valid_iri(value: str) -> bool:
    """True for an absolute IRI that can be written between angle brackets unescaped,
    and that the engine accepts (RFC 3987: no DEL, C1 controls, non-characters, bad
    ports...; passed on, such a value failed in the query worker with a 503)."""
    if not (_SCHEME.match(value) and not _IRI_FORBIDDEN.search(value)
            and not _BAD_PERCENT.search(value)):
        return False
    try:
        NamedNode(value)
    except ValueError:
        return False
    return True


def _escape_literal(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Term:
    """An RDF term: kind is 'uri', 'literal' or 'bnode' (the SPARQL JSON names)."""

    kind: str
    value: str
    lang: str | None = None
    datatype: str | None = None

    @classmethod
    def iri(cls, value: str) -> Term:
        if not is_valid_iri(value):
            raise ValueError(f"not an absolute IRI: {value!r}")
        return cls("uri", value)

    @classmethod
    def literal(cls, value: str, lang: str | None = None, datatype: str | None = None) -> Term:
        if lang:
            return cls("literal", value, lang=lang.lower(), datatype=RDF_LANG_STRING)
        return cls("literal", value, datatype=datatype or XSD_STRING)

    @classmethod
    def from_json(cls, binding: dict) -> Term:
        """Build from one SPARQL 1.1 JSON results binding."""
        kind = binding["type"]
        if kind == "typed-literal":
            kind = "literal"
        if kind == "literal":
            return cls.literal(binding["value"], binding.get("xml:lang"), binding.get("datatype"))
        if kind not in ("uri", "bnode"):
            raise ValueError(f"unsupported term type {kind!r}")
        return cls(kind, binding["value"])

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"

    def to_json(self) -> dict[str, str]:
        data = {"type": self.kind, "value": self.value}
        if self.lang:
            data["xml:lang"] = self.lang
        elif self.kind == "literal" and self.datatype and self.datatype != XSD_STRING:
            data["datatype"] = self.datatype
        return data

    def to_ntriples(self) -> str:
        """The term in N-Triples syntax, escaped so it can never break out of its place."""
        if self.kind == "uri":
            if not is_valid_iri(self.value):
                raise ValueError(f"not an absolute IRI: {self.value!r}")
            return f"<{self.value}>"
        if self.kind == "bnode":
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", self.value):
                raise ValueError(f"bad blank node label: {self.value!r}")
            return f"_:{self.value}"
        text = f'"{_escape_literal(self.value)}"'
        if self.lang:
            if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", self.lang):
                raise ValueError(f"bad language tag: {self.lang!r}")
            return f"{text}@{self.lang}"
        if self.datatype and self.datatype != XSD_STRING:
            return f"{text}^^<{self.datatype}>"
        return text

    def __str__(self) -> str:
        return self.value


Row = dict[str, Term]
