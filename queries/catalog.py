"""The catalog of named queries: read the ``.rq`` files, bind parameters, run them.

Each file starts with grlc decorators (``#+ summary:``, ``#+ description:``, ``#+ tags:``,
``#+ defaults:``, ``#+ enumerate:``, ``#+ method:``) and names its parameters the grlc/BASIL
way: ``?_name`` (required) or ``?__name`` (optional), with a suffix for the value's type —
``_iri``, a language tag (``_sv``, ``_en``), ``_integer``/``_decimal``/``_boolean``, or
``_prefix_datatype`` such as ``_xsd_date``; no suffix is a plain string. Two decorators of
our own, which grlc ignores: ``params`` (one line of help per parameter) and ``example``
(parameter values for a sample call, which the tests run).

Values are bound as RDF terms (the Store's substitutions, SEP-0007), never pasted into the
query text, so a value cannot change what the query means.

A third decorator of our own, ``row_cap``, lets a query with a big answer be cut where it is
read rather than after it is sorted (see ``RowCap``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tillvaxtgraf.errors import TillvaxtgrafError
from tillvaxtgraf.store.base import Store
from tillvaxtgraf.store.sparql_text import inspect, with_row_limit
from tillvaxtgraf.store.terms import XSD, Row, Term, is_valid_iri

_PARAM = re.compile(r"\?(__?)([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)")
_NUMERIC_TYPES = {"integer", "decimal", "double", "float", "boolean", "date", "dateTime",
                  "gYear"}
_LANG = re.compile(r"^[a-z]{2,3}$")


class ParameterError(TillvaxtgrafError):
    """A named-query parameter is missing or has a value of the wrong kind."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"parameter '{parameter}': {message}")
        self.parameter = parameter

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "parameter": self.parameter}


class UnknownQuery(TillvaxtgrafError):
    """No query of that name in the catalog."""


@dataclass
class Parameter:
    name: str  # the API name, e.g. "county"
    variable: str  # the SPARQL variable without "?", e.g. "_county_iri"
    kind: str  # "iri", "string", "lang" or "typed"
    required: bool
    lang: str | None = None
    datatype: str | None = None
    default: str | None = None
    enum: list[str] | None = None
    description: str = ""

    @property
    def type_label(self) -> str:
        if self.kind == "iri":
            return "iri"
        if self.kind == "lang":
            return f"string@{self.lang}"
        if self.kind == "typed":
            return (self.datatype or "").replace(XSD, "xsd:")
        return "string"

    def to_term(self, raw: str) -> Term:
        """The value as an RDF term, or ParameterError saying what is wrong with it."""
        value = raw.strip() if self.kind != "string" else raw
        if self.enum is not None and value not in self.enum:
            raise ParameterError(self.name, f"{raw!r} is not one of: {', '.join(self.enum)}")
        if self.kind == "iri":
            if not is_valid_iri(value):
                raise ParameterError(self.name, f"{raw!r} is not an absolute IRI")
            return Term.iri(value)
        if self.kind == "lang":
            return Term.literal(value, lang=self.lang)
        if self.kind == "typed":
            return Term.literal(_check_typed(self.name, value, self.datatype or ""),
                                datatype=self.datatype)
        if len(value) > 1000:
            raise ParameterError(self.name, "the value is longer than 1000 characters")
        return Term.literal(value)

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type_label,
                                "required": self.required, "description": self.description}
        if self.default is not None:
            data["default"] = self.default
        if self.enum is not None:
            data["enum"] = self.enum
        return data


def _check_typed(name: str, value: str, datatype: str) -> str:
    local = datatype.removeprefix(XSD)
    if local in ("integer", "decimal", "double", "float"):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ParameterError(name, f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ParameterError(name, f"{value!r} is not a finite number")
        if local == "integer":
            if number != number.to_integral_value():
                raise ParameterError(name, f"{value!r} is not a whole number")
            return str(int(number))
        return value
    if local == "boolean":
        if value not in ("true", "false", "1", "0"):
            raise ParameterError(name, f"{value!r} is not true or false")
        return value
    if local == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ParameterError(name, f"{value!r} is not a date (YYYY-MM-DD)")
    if local == "gYear" and not re.fullmatch(r"\d{4}", value):
        raise ParameterError(name, f"{value!r} is not a year (YYYY)")
    return value


def _parameter(prefix: str, body: str, prefixes: dict[str, str]) -> Parameter:
    required = prefix == "_"
    variable = prefix + body
    parts = body.split("_")
    name, kind, lang, datatype = body, "string", None, None
    if len(parts) >= 2 and parts[-1] == "iri":
        name, kind = "_".join(parts[:-1]), "iri"
    elif len(parts) >= 3 and parts[-2] in prefixes:
        name, kind = "_".join(parts[:-2]), "typed"
        datatype = prefixes[parts[-2]] + parts[-1]
    elif len(parts) >= 2 and parts[-1] in _NUMERIC_TYPES:
        name, kind, datatype = "_".join(parts[:-1]), "typed", XSD + parts[-1]
    elif len(parts) >= 2 and _LANG.match(parts[-1]):
        name, kind, lang = "_".join(parts[:-1]), "lang", parts[-1]
    return Parameter(name, variable, kind, required, lang=lang, datatype=datatype)


ROW_CAP_MARKER = re.compile(r"^([ \t]*)# row cap\b.*$", re.MULTILINE)


@dataclass
class RowCap:
    """``#+ row_cap: {variable: order, unless: [county, …]}``: whenever none of the
    ``unless`` parameters is given, every row among the first N rows of the answer (in its
    ORDER BY) has ``?order <= N``, for any N (as when ``?order`` numbers the rows 1, 2, 3,
    …). The catalog then writes ``FILTER(?order <= cap)`` (its row cap plus one, a number of
    its own, never a caller's value) on the query's ``# row cap`` line, so the engine reads
    no row past the cap and the answer keeps its first rows: with ORDER BY it would
    otherwise work out every row of the answer before sorting, and a substituted value is
    not pushed down into the patterns as a constant is (the filter would come after all
    the lookups)."""

    variable: str
    unless: list[str] = field(default_factory=list)
    # parameter → the order variable to cut by instead when that parameter is not given
    # (when the answer then spans more than one numbering, e.g. every county's lists)
    absent: dict[str, str] = field(default_factory=dict)

    def applies(self, bound: dict[str, Term], query: NamedQuery) -> bool:
        return not any(p.variable in bound for p in query.parameters if p.name in self.unless)

    def order_variable(self, bound: dict[str, Term], query: NamedQuery) -> str:
        for p in query.parameters:
            if p.name in self.absent and p.variable not in bound:
                return self.absent[p.name]
        return self.variable


@dataclass
class NamedQuery:
    name: str
    text: str
    summary: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    method: str = "GET"
    parameters: list[Parameter] = field(default_factory=list)
    example: dict[str, str] = field(default_factory=dict)
    form: str | None = None
    row_cap: RowCap | None = None

    @property
    def sparql(self) -> str:
        """The query without its decorator lines (as the editor shows it)."""
        return "\n".join(
            line for line in self.text.splitlines() if not line.startswith("#+")
        ).strip() + "\n"

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def bind(self, values: dict[str, Any]) -> dict[str, Term]:
        """Check every value and return the substitutions; unknown names are errors."""
        known = {p.name for p in self.parameters}
        for name in values:
            if name not in known and name not in RESERVED:
                raise ParameterError(name, f"the query '{self.name}' has no such parameter"
                                     + (f" (it has: {', '.join(sorted(known))})" if known
                                        else " (it takes none)"))
        bound: dict[str, Term] = {}
        for param in self.parameters:
            raw = values.get(param.name)
            if isinstance(raw, list):
                if len(raw) != 1:
                    raise ParameterError(param.name, "give one value")
                raw = raw[0]
            if raw is not None and not isinstance(raw, str):
                raw = str(raw).lower() if isinstance(raw, bool) else str(raw)
            if raw == "":
                raise ParameterError(param.name, "is empty: give a value or leave it out")
            if raw is None:
                raw = param.default
            if raw is None:
                if param.required:
                    raise ParameterError(param.name, "is required")
                continue
            bound[param.variable] = param.to_term(raw)
        return bound

    def prepared(self, bound: dict[str, Term]) -> str:
        """The query with bound variables added to a SELECT projection (SEP-0007 needs it)."""
        if self.form != "SELECT" or not bound:
            return self.sparql
        match = re.search(r"\bSELECT(\s+(?:DISTINCT|REDUCED))?\s+", self.sparql, re.IGNORECASE)
        if match is None or self.sparql[match.end():].lstrip().startswith("*"):
            return self.sparql
        extra = " ".join(f"?{v}" for v in bound)
        return self.sparql[: match.end()] + extra + " " + self.sparql[match.end():]

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "tags": self.tags,
            "method": self.method,
            "form": self.form,
            "parameters": [p.describe() for p in self.parameters],
            "example": self.example,
        }


RESERVED = {"format", "limit"}


def parse_query_file(name: str, text: str) -> NamedQuery:
    """Read decorators and parameters from one ``.rq`` file's text."""
    decorator_lines = [line[2:] for line in text.splitlines() if line.startswith("#+")]
    try:
        meta = yaml.safe_load("\n".join(decorator_lines)) or {}
    except yaml.YAMLError as exc:
        raise TillvaxtgrafError(f"bad #+ decorators: {exc}", source=f"{name}.rq") from None
    if not isinstance(meta, dict):
        raise TillvaxtgrafError("the #+ decorators must form a mapping", source=f"{name}.rq")
    shape = inspect(text)
    prefixes = dict(shape.prefixes)
    prefixes.setdefault("xsd", XSD)
    query = NamedQuery(
        name=name,
        text=text,
        summary=str(meta.get("summary", "")).strip(),
        description=str(meta.get("description", "")).strip(),
        tags=[str(t) for t in meta.get("tags", []) or []],
        method=str(meta.get("method", "GET")).upper(),
        example={str(k): str(v) for k, v in (meta.get("example") or {}).items()},
        form=shape.form,
    )
    defaults = _merge(meta.get("defaults"))
    enums = _merge(meta.get("enumerate"))
    helps = _merge(meta.get("params"))
    seen = set()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    query.row_cap = _row_cap(name, meta.get("row_cap"), text)
    for match in _PARAM.finditer(body):
        prefix, rest = match.group(1), match.group(2)
        if prefix + rest in seen:
            continue
        seen.add(prefix + rest)
        param = _parameter(prefix, rest, prefixes)
        if param.name in defaults:
            param.default = str(defaults[param.name])
        if param.name in enums:
            param.enum = [str(v) for v in enums[param.name] or []]
        param.description = str(helps.get(param.name, ""))
        query.parameters.append(param)
    if query.row_cap is not None:
        unknown = ({*query.row_cap.unless, *query.row_cap.absent}
                   - {p.name for p in query.parameters})
        if unknown:
            raise TillvaxtgrafError(f"row_cap: no parameter(s) {sorted(unknown)}",
                                    source=f"{name}.rq")
    return query


def _row_cap(name: str, entry: Any, text: str) -> RowCap | None:
    if entry is None:
        return None
    variable = entry.get("variable") if isinstance(entry, dict) else None
    if not isinstance(variable, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", variable):
        raise TillvaxtgrafError("row_cap needs a variable (a name without '?')",
                                source=f"{name}.rq")
    if len(ROW_CAP_MARKER.findall(text)) != 1:
        raise TillvaxtgrafError("row_cap needs one '# row cap' line in the query",
                                source=f"{name}.rq")
    absent = entry.get("absent") or {}
    if not isinstance(absent, dict) or not all(
            isinstance(v, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v)
            for v in absent.values()):
        raise TillvaxtgrafError("row_cap: absent maps parameters to variables (names "
                                "without '?')", source=f"{name}.rq")
    return RowCap(variable, [str(u) for u in entry.get("unless") or []],
                  {str(k): v for k, v in absent.items()})


def _merge(entries: Any) -> dict[str, Any]:
    """grlc writes defaults and enumerations as a list of one-key mappings."""
    merged: dict[str, Any] = {}
    if isinstance(entries, dict):
        return dict(entries)
    for entry in entries or []:
        if isinstance(entry, dict):
            merged.update(entry)
    return merged


def catalog_dir() -> Path:
    return Path(str(resources.files(__package__ or "tillvaxtgraf.queries")))


@cache
def load_catalog(directory: str | None = None) -> dict[str, NamedQuery]:
    """Every named query, by file name without ``.rq``, sorted by name."""
    folder = Path(directory) if directory else catalog_dir()
    found = {}
    for path in sorted(folder.glob("*.rq")):
        found[path.stem] = parse_query_file(path.stem, path.read_text(encoding="utf-8"))
    return found


def get_query(name: str) -> NamedQuery:
    catalog = load_catalog()
    if name not in catalog:
        raise UnknownQuery(f"there is no named query '{name}'",
                           hint="GET /api/queries lists them")
    return catalog[name]


@dataclass
class QueryAnswer:
    columns: list[str]
    rows: list[Row]
    truncated: bool
    boolean: bool | None = None


def run_named(store: Store, query: NamedQuery, values: dict[str, Any], *,
              max_rows: int = 1000, timeout: float | None = None) -> QueryAnswer:
    """Bind, run and trim a named query; parameter columns are not part of the answer."""
    bound = query.bind(values)
    text = query.prepared(bound)
    if query.form == "ASK":
        return QueryAnswer([], [], False, store.ask(text, bound, timeout=timeout))
    row_cap = query.row_cap
    if row_cap is not None and max_rows > 0 and row_cap.applies(bound, query):
        cut = f"FILTER(?{row_cap.order_variable(bound, query)} <= {int(max_rows) + 1})"
        text = ROW_CAP_MARKER.sub(lambda m: m.group(1) + cut, text, count=1)
    capped = with_row_limit(text, inspect(text), max_rows + 1) if max_rows > 0 else text
    columns, rows = store.select(capped, bound, timeout=timeout)
    hidden = set(bound)
    columns = [c for c in columns if c not in hidden]
    rows = [{k: v for k, v in row.items() if k not in hidden} for row in rows]
    truncated = max_rows > 0 and len(rows) > max_rows
    return QueryAnswer(columns, rows[:max_rows] if truncated else rows, truncated)
