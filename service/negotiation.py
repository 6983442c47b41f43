"""Content negotiation: Accept headers with q-values, and the ``format`` parameter."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import LanguageAccept

RESULT_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
FORMAT_NAMES: dict[str, str] = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "ntriples": "ntriples", "nt": "ntriples",
    "n-triples": "ntriples", "nquads": "nquads", "nq": "nquads", "trig": "trig",
    "rdfxml": "rdfxml", "rdf": "rdfxml", "jsonld": "jsonld", "json-ld": "jsonld",
}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return (self.type in ("*", main)) and (self.subtype in ("*", sub))


def parse_accept(header: str | None) -> list[MediaRange]:
    """Media ranges of an Accept header; malformed parts are skipped, never fatal."""
    ranges = []
    for order, part in enumerate((header or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main or "*", sub or "*", q, order))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """The q a client gives a media type: the most specific matching range decides."""
    best: MediaRange | None = None
    for media_range in ranges:
        if media_range.matches(media_type) and (
            best is None or media_range.specificity > best.specificity
        ):
            best = media_range
    return best.q if best else 0.0


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client likes best (ties: the server's order)."""
    ranges = parse_accept(header)
    if not ranges:
        return offered[0] if offered else None
    scored = [(quality(ranges, m), -i, m) for i, m in enumerate(offered)]
    q, _, media = max(scored)
    return media if q > 0 else None


def choose_format(header: str | None, types: dict[str, str], default: str) -> str | None:
    """A format name for an Accept header, from a media-type → format table.

    The first media type of a format in ``types`` is the one the answer is sent as; the
    others are aliases, which count only when the header names them exactly. So
    ``application/sparql-results+json;q=0, */*`` never gets JSON through the alias
    ``application/json`` matching ``*/*``. Ties go to ``default``, then table order.
    """
    ranges = parse_accept(header)
    if not ranges:
        return default
    names = [default] + [f for f in dict.fromkeys(types.values()) if f != default]
    scores = {}
    for name in names:
        media = [m for m, f in types.items() if f == name]
        named = [r.q for r in ranges if r.specificity == 2 and any(r.matches(m) for m in media)]
        scores[name] = max([quality(ranges, media[0]), *named])
    best = max(names, key=lambda n: scores[n])  # max keeps the first of equal scores
    return best if scores[best] > 0 else None


def prefers_json(header: str | None) -> bool:
    ranges = parse_accept(header)
    return quality(ranges, "application/json") > max(
        quality(ranges, "text/plain"), quality(ranges, "text/html")
    )


def reader_language(asked: str | None, accept_languages: LanguageAccept,
                    offered: tuple[str, ...] = ("sv", "en"), default: str = "sv") -> str | None:
    """The language to show a page in: ``?lang=`` if offered, else Accept-Language.

    None when ``asked`` names a language that is not offered (the caller says so).
    """
    if asked:
        return asked if asked in offered else None
    return accept_languages.best_match(list(offered)) or default
