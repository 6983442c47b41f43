"""Values for query variables, written into the query text for remote stores.

The embedded backend binds a named query's parameters with pyoxigraph substitutions
(SEP-0007). A remote SPARQL 1.1 store has no such parameter, so the remote backend
writes the values into the query as an inline ``VALUES`` block, each value in N-Triples
syntax from ``Term.to_ntriples()``, which escapes it so it can never break out of its
place. Where the block goes decides what it means; see ``bind_values``.
"""

from __future__ import annotations

import re

from tillvaxtgraf.store.sparql_text import _TOKEN, QUERY_FORMS


def _group_bounds(tokens: list[re.Match[str]], index: int) -> int | None:
    """Index (in ``tokens``) of the ``}`` that closes the ``{`` at ``tokens[index]``."""
    depth = 0
    for position in range(index, len(tokens)):
        value = tokens[position].group()
        if value == "{":
            depth += 1
        elif value == "}":
            depth -= 1
            if depth == 0:
                return position
    return None


def _where_group(tokens: list[re.Match[str]]) -> int | None:
    """Index of the ``{`` opening the query's WHERE group (None: there is none to use)."""
    parens = 0
    form = None
    index = 0
    while index < len(tokens):
        match = tokens[index]
        kind, value = match.lastgroup, match.group()
        upper = value.upper() if kind == "word" else value
        if form is None:
            if kind == "word" and upper in QUERY_FORMS:
                form = upper
                if form == "CONSTRUCT":
                    following = tokens[index + 1].group() if index + 1 < len(tokens) else ""
                    if following != "{":
                        return None  # CONSTRUCT WHERE { template }: no place for VALUES
                    end = _group_bounds(tokens, index + 1)
                    if end is None:
                        return None
                    index = end
            index += 1
            continue
        if value == "(":
            parens += 1
        elif value == ")":
            parens -= 1
        elif value == "{" and parens == 0:
            return index
        index += 1
    return None


def bind_values(text: str, bindings: dict[str, str]) -> str:
    """The query with ``bindings`` (variable name -> N-Triples term) as an inline VALUES.

    The block goes first in the query's WHERE group, so the values are joined before the
    group's FILTERs, BINDs, OPTIONALs, aggregates and solution modifiers act: for a
    variable bound in that group (or used only in its FILTERs) the answers are those of a
    SEP-0007 substitution, which is what the embedded backend does. A group holding only
    a subquery (e.g. the row-limit wrapper) gets the block inside that subquery instead.
    The one difference: a variable used only inside some other nested subquery that does
    not project it stays unbound there. Queries without a WHERE group (``DESCRIBE <x>``,
    ``CONSTRUCT WHERE {…}``) get a trailing VALUES clause, which for them means the same.
    """
    if not bindings:
        return text
    names = " ".join("?" + name for name in bindings)
    values = " ".join(bindings.values())
    block = f"VALUES ({names}) {{ ({values}) }}"
    tokens = [m for m in _TOKEN.finditer(text) if m.lastgroup != "comment"]
    start = _where_group(tokens)
    if start is None:
        return f"{text}\n{block}"
    # Descend through groups that hold nothing but a subquery.
    while True:
        following = tokens[start + 1] if start + 1 < len(tokens) else None
        if following is None or following.group().upper() != "SELECT":
            break
        end = _group_bounds(tokens, start)
        if end is None:
            break
        inner = _where_group(tokens[start + 1 : end])
        if inner is None:
            break
        start = start + 1 + inner
    position = tokens[start].end()
    return f"{text[:position]} {block} {text[position:]}"


def bind_table(text: str, variable: str, terms: list[str]) -> str:
    """The query with one variable bound to several values (N-Triples terms), as an
    inline ``VALUES ?var { … }`` first in its WHERE group: a batch of lookups in one query.
    """
    block = f"VALUES ?{variable} {{ {' '.join(terms)} }}"
    tokens = [m for m in _TOKEN.finditer(text) if m.lastgroup != "comment"]
    start = _where_group(tokens)
    if start is None:
        return f"{text}\n{block}"
    position = tokens[start].end()
    return f"{text[:position]} {block} {text[position:]}"
