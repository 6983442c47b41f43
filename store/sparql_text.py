"""A small SPARQL lexer: what a query asks for, told before it runs.

Why: the engine would follow ``SERVICE`` and ``LOAD`` to the network, and it ignores a
query's own ``FROM`` when the union default graph is switched on. Looking at the
keywords (outside strings, IRIs and comments) tells the service both in microseconds,
for any backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z_\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:
      (?:[\w\-.:%\u00B7-\uFFFF]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)

QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY",
                "WITH"}


@dataclass
class SparqlShape:
    """What the lexer saw: the form, the remote targets, the dataset clauses."""

    form: str | None = None
    is_update: bool = False
    services: list[str] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)
    has_dataset_clause: bool = False
    prefixes: dict[str, str] = field(default_factory=dict)
    depth: int = 0  # deepest nesting of (), {} and [] outside strings, IRIs and comments


def inspect(text: str) -> SparqlShape:
    """Look at a query or update without running it (never raises on bad syntax)."""
    shape = SparqlShape()
    tokens = [
        (m.lastgroup, m.group())
        for m in _TOKEN.finditer(text)
        if m.lastgroup not in ("comment",)
    ]
    depth = 0
    for index, (kind, value) in enumerate(tokens):
        if kind == "other":
            if value in "({[":
                depth += 1
                shape.depth = max(shape.depth, depth)
            elif value in ")}]":
                depth -= 1
            continue
        if kind != "word":
            continue
        word = value.upper()
        following = tokens[index + 1] if index + 1 < len(tokens) else (None, "")
        if word == "PREFIX" and index + 2 < len(tokens):
            name, iri = tokens[index + 1][1], tokens[index + 2][1]
            if iri.startswith("<"):
                shape.prefixes[name.rstrip(":")] = _unescape_iri(iri[1:-1])
        if shape.form is None and not shape.is_update:
            if word in QUERY_FORMS:
                shape.form = word
            elif word in UPDATE_WORDS:
                shape.is_update = True
        if word == "SERVICE":
            target = following
            if target[1].upper() == "SILENT" and index + 2 < len(tokens):
                target = tokens[index + 2]
            shape.services.append(_target(target, shape.prefixes))
        elif word == "LOAD":
            target = following
            if target[1].upper() == "SILENT" and index + 2 < len(tokens):
                target = tokens[index + 2]
            shape.loads.append(_target(target, shape.prefixes))
        elif word == "FROM" and shape.form is not None:
            shape.has_dataset_clause = True
    return shape


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


def _unescape_iri(text: str) -> str:
    """An IRI as the engine reads it: ``\\u0041`` is ``A`` (SPARQL codepoint escapes)."""
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _target(token: tuple[str | None, str], prefixes: dict[str, str]) -> str:
    kind, value = token
    if kind == "iri":
        return _unescape_iri(value[1:-1])
    if kind == "pname":
        prefix, local = value.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
    return value  # a variable or something unknown: never on an allow-list


def allowed(target: str, allow_list: tuple[str, ...] | list[str]) -> bool:
    """Whether a prefix names the target, ending where a host or path segment ends:
    ``http://a.org`` admits ``http://a.org/sparql``, not ``http://a.org.evil/`` or
    ``http://a.org@evil/``."""
    for prefix in allow_list:
        if not prefix or not target.startswith(prefix):
            continue
        rest = target[len(prefix):]
        if not rest or prefix[-1] in "/#?" or rest[0] in "/#?":
            return True
    return False


def refused_targets(shape: SparqlShape, allow_list: tuple[str, ...] | list[str]) -> list[str]:
    """SERVICE and LOAD targets that the allow-list does not name."""
    return [t for t in shape.services + shape.loads if not allowed(t, allow_list)]


def _select_parts(text: str) -> tuple[int, str] | None:
    """Where the top-level SELECT starts, and its projection rewritten as plain names."""
    depth = 0
    start = None
    projection: list[str] = []
    pending_as = False
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if start is None:
            if kind == "word" and value.upper() == "SELECT":
                start = match.start()
            elif kind == "word" and value.upper() in QUERY_FORMS:
                return None
            continue
        if kind == "other" and value == "(":
            depth += 1
        elif kind == "other" and value == ")":
            depth -= 1
        elif depth == 0 and (value == "{" or (kind == "word" and value.upper() in
                                              ("WHERE", "FROM"))):
            break
        elif kind == "other" and value == "*" and depth == 0:
            projection = ["*"]
        elif kind == "word" and value.upper() == "AS":
            pending_as = True
        elif kind == "var" and (depth == 0 or pending_as):
            projection.append("?" + value[1:])
            pending_as = False
    if start is None or not projection:
        return None
    return start, " ".join(projection)


_INTEGER = re.compile(r"\s*(\d+)")


def _top_level_limit(text: str) -> int | None:
    """The query's own ``LIMIT n`` outside every group (its solution modifier), if any."""
    depth = 0
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "other":
            if value in "({[":
                depth += 1
            elif value in ")}]":
                depth -= 1
        elif kind == "word" and depth == 0 and value.upper() == "LIMIT":
            number = _INTEGER.match(text, match.end())
            return int(number.group(1)) if number else None
    return None


def with_row_limit(text: str, shape: SparqlShape, limit: int) -> str:
    """A SELECT capped at ``limit`` rows, same variables in the same order.

    The original query becomes a subquery, so its own LIMIT, ORDER BY and VALUES keep
    their meaning. Queries with FROM clauses (not allowed in subqueries) are left alone.
    """
    if limit <= 0 or shape.form != "SELECT" or shape.has_dataset_clause:
        return text
    own = _top_level_limit(text)
    if own is not None and own <= limit:
        # Capped already: wrapping would only cost the engine a projection per row
        # (2 % of a 1 M-row answer).
        return text
    parts = _select_parts(text)
    if parts is None:
        return text
    start, projection = parts
    return (f"{text[:start]}SELECT {projection} WHERE {{\n{text[start:]}\n}}\n"
            f"LIMIT {int(limit)}")


class DatasetConflict(ValueError):
    """An update names its own dataset (USING, USING NAMED, WITH) and the protocol does too."""


def with_using(update: str, using: list[str], using_named: list[str]) -> str:
    """The update with the protocol's using-graph-uri / using-named-graph-uri written in.

    The SPARQL 1.1 Protocol gives these parameters the meaning of USING / USING NAMED
    clauses on every operation with a WHERE clause. So a ``USING`` list goes before each
    top-level ``WHERE`` of an ``INSERT/DELETE … WHERE``, and ``DELETE WHERE { Q }`` (which
    cannot carry USING) becomes the equivalent ``DELETE { Q } USING … WHERE { Q }``. An
    update that names its own dataset conflicts with the parameters (DatasetConflict).

    >>> with_using("DELETE WHERE { ?s ?p ?o }", ["http://g"], [])
    'DELETE { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }'
    """
    tokens = [m for m in _TOKEN.finditer(update) if m.lastgroup != "comment"]
    for match in tokens:
        word = match.group().upper()
        if match.lastgroup == "word" and word in ("USING", "WITH"):
            raise DatasetConflict(
                f"the update has its own {word} clause, and the request gives "
                "using-graph-uri / using-named-graph-uri too: use one or the other"
            )
    clause = "".join(f"USING <{g}> " for g in using)
    clause += "".join(f"USING NAMED <{g}> " for g in using_named)
    edits: list[tuple[int, int, str]] = []
    depth = 0
    for index, match in enumerate(tokens):
        value = match.group()
        if value == "{":
            depth += 1
        elif value == "}":
            depth -= 1
        if depth or match.lastgroup != "word" or value.upper() != "WHERE":
            continue
        previous = tokens[index - 1].group().upper() if index else ""
        if previous != "DELETE":
            edits.append((match.start(), match.start(), clause))
            continue
        # DELETE WHERE { Q }: find the brace that closes Q.
        level, end = 0, None
        for later in tokens[index + 1:]:
            if later.group() == "{":
                level += 1
            elif later.group() == "}":
                level -= 1
                if level == 0:
                    end = later.end()
                    break
        if end is None:
            continue  # malformed: let the parser report it
        pattern = update[tokens[index + 1].start():end]
        edits.append((match.start(), end, f"{pattern} {clause}WHERE {pattern}"))
    for start, end, text in reversed(edits):
        update = update[:start] + text + update[end:]
    return update


def clear_silently(update: str) -> str:
    """Every ``CLEAR`` made ``CLEAR SILENT``: clearing an absent graph is not an error.

    >>> clear_silently("CLEAR GRAPH <http://g> ; CLEAR SILENT ALL")
    'CLEAR SILENT GRAPH <http://g> ; CLEAR SILENT ALL'
    """
    tokens = [m for m in _TOKEN.finditer(update) if m.lastgroup != "comment"]
    cuts = [
        match.end()
        for index, match in enumerate(tokens)
        if match.lastgroup == "word" and match.group().upper() == "CLEAR"
        and (index + 1 == len(tokens) or tokens[index + 1].group().upper() != "SILENT")
    ]
    for cut in reversed(cuts):
        update = update[:cut] + " SILENT" + update[cut:]
    return update

