"""Declarative table → RDF mappings (CSV and XLSX).

A mapping is a TOML file, so a new table layout needs a mapping, not code. It names
the source table, its dialect (format, separator, encoding, decimal comma), the target
graph, and per row the entities to mint, each with IRI template, types and properties;
optionally derived columns (lookups, transforms, multi-valued cells), per-row checks
(organisation-number checksums, non-negative amounts, dates in order, unique keys,
lookups that must hit) and summaries to accumulate. See README.md ("CSV mappings") for
every key. Rows become N-Triples lines; the caller streams them to a file that the store
bulk-loads.

Speed matters (project tables have millions of rows), so a mapping is compiled once per
table: each entity into a Python function of its own with the constant parts of its
triples as literals (see ``_Engine._entity``), derived columns and checks into small
closures that remember the cells they have seen, and a row costs string formatting and
dictionary lookups only.
A bad row never stops the reading: every bad row is reported (file, line, column), or
skipped into a rejects file when the caller asks for that.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders import rowchecks
from tillvaxtgraf.loaders.tables import Table, read_table, table_format
from tillvaxtgraf.store.terms import _IRI_FORBIDDEN, XSD, Term, is_valid_iri

DEFAULT_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "tg": "https://w3id.org/tillvaxtgraf/ontology#",
    "tgid": "https://w3id.org/tillvaxtgraf/id/",
}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_NUMERIC = {XSD + "decimal", XSD + "integer", XSD + "double", XSD + "float"}
_PROPERTY_KEYS = {
    "predicate", "column", "template", "value", "kind", "datatype", "lang",
    "confidence", "pattern", "required", "reverse", "separator", "unless",
}
_ENTITY_KEYS = {"iri", "types", "properties", "each", "separator", "once", "unless"}
_DERIVED_KEYS = {"from", "map", "default", "transform", "separator", "lookup", "what"}
_CHECK_KEYS = {"column", "rule", "other", "separator", "lookup", "what"}
_TABLE_KEYS = {"file", "key", "value", "confidence", "delimiter", "encoding"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')
_LANG_TAG = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*")
_CONFIDENCE_NOTE = re.compile(r"\s*\(.*\)$")
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
MAX_REPORTED_ROWS = 100
_EMPTY_CELL = "a value is required here, the cell is empty"
_MEMO_SIZE = 1 << 17  # entries of each per-column memo of checked values


@dataclass
class PropertyRule:
    predicate: str
    column: str | None = None
    template: str | None = None
    value: str | None = None
    kind: str = "literal"
    datatype: str | None = None
    lang: str | None = None
    confidence: str | None = None
    pattern: re.Pattern[str] | None = None
    required: bool = False
    separator: str | None = None  # the cell holds several values
    unless: str | None = None  # no value when this column is not empty

    def columns(self) -> set[str]:
        cols = set()
        if self.column:
            cols.add(self.column)
        if self.template:
            cols.update(_PLACEHOLDER.findall(self.template))
        if self.confidence:
            cols.add(self.confidence)
        if self.unless:
            cols.add(self.unless)
        return cols


@dataclass
class EntityRule:
    iri: str
    types: list[str] = field(default_factory=list)
    properties: list[PropertyRule] = field(default_factory=list)
    each: list[str] = field(default_factory=list)  # one entity per value of these cells
    separator: str = "|"
    once: bool = False  # describe each subject only the first time a row mints it
    unless: str | None = None  # no entity when this column is not empty


@dataclass
class LookupTable:
    """Keys and values read from another table (e.g. organisation number → IRI)."""

    file: Path
    key: str
    value: str  # a template over the lookup table's columns
    confidence: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass
class DerivedColumn:
    """A column computed from another: a transform, then a lookup (table or inline map)."""

    name: str
    source: str
    values: dict[str, str]
    default: str | None = None  # "{value}" in it stands for the looked-up key
    transform: str | None = None
    separator: str | None = None  # the cell holds several values; each is derived
    lookup: str | None = None  # the name of a [lookups.NAME] table
    what: str | None = None  # what the values are, for messages ("county name")

    @property
    def looks_up(self) -> bool:
        return bool(self.values) or self.lookup is not None or self.default is not None \
            or self.transform is None


@dataclass
class CheckRule:
    """A per-row check: see loaders/rowchecks.py and README.md for the rules."""

    column: str
    rule: str
    other: str | None = None
    separator: str | None = None
    lookup: str | None = None
    what: str | None = None


@dataclass
class Mapping:
    path: Path
    table: Path
    graph: str
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    accept_confidence: tuple[str, ...] = ()
    prefixes: dict[str, str] = field(default_factory=dict)
    derived: list[DerivedColumn] = field(default_factory=list)
    entities: list[EntityRule] = field(default_factory=list)
    format: str = "csv"
    sheet: str | None = None
    checks: list[CheckRule] = field(default_factory=list)
    lookups: dict[str, list[LookupTable]] = field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    shacl: str = "all"  # "all": the whole graph; "sample": the first sample_rows rows
    sample_rows: int = 1000
    lookup_values: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def required_columns(self) -> set[str]:
        needed: set[str] = set()
        for entity in self.entities:
            needed.update(_PLACEHOLDER.findall(entity.iri))
            needed.update(entity.each)
            if entity.unless:
                needed.add(entity.unless)
            for prop in entity.properties:
                needed.update(prop.columns())
        for check in self.checks:
            needed.add(check.column)
            if check.other:
                needed.add(check.other)
        produced: set[str] = set()
        sources: set[str] = set()
        for derived in self.derived:  # a derived column may build on an earlier one
            if derived.source not in produced:
                sources.add(derived.source)
            produced.add(derived.name)
        return (needed - produced) | sources

    def files(self) -> list[Path]:
        """Every file the mapped triples depend on: mapping, table and lookup tables."""
        lookups = sorted({t.file for tables in self.lookups.values() for t in tables})
        return [self.path, self.table, *lookups]

    def as_table(self) -> Table:
        return Table(self.table, self.format, self.delimiter, self.encoding, self.sheet)


def _fail(mapping_path: Path, message: str) -> LoadError:
    return LoadError(f"bad mapping: {message}", source=str(mapping_path))


def _read_lookup(mapping_path: Path, name: str, spec: dict[str, Any],
                 accept: tuple[str, ...]) -> tuple[LookupTable, dict[str, str]]:
    unknown = set(spec) - _TABLE_KEYS
    if unknown or not {"file", "key", "value"} <= set(spec):
        raise _fail(mapping_path, f"[lookups.{name}]: each table needs 'file', 'key' and "
                    f"'value'" + (f" (unknown key(s) {sorted(unknown)})" if unknown else ""))
    table = LookupTable(mapping_path.parent / spec["file"], spec["key"], spec["value"],
                        spec.get("confidence"), spec.get("delimiter", ","),
                        spec.get("encoding", "utf-8"))
    try:
        with open(table.file, encoding=table.encoding, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=table.delimiter))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(mapping_path, f"[lookups.{name}]: cannot read {table.file}: {exc}") from None
    columns = set(rows[0]) if rows else set()
    wanted = {table.key, *_PLACEHOLDER.findall(table.value)}
    if table.confidence:
        wanted.add(table.confidence)
    if rows and not wanted <= columns:
        raise _fail(mapping_path, f"[lookups.{name}]: {table.file.name} has no column(s) "
                    f"{sorted(wanted - columns)}")
    found: dict[str, str] = {}
    template = _Template(table.value)
    for row in rows:
        if table.confidence:
            level = _CONFIDENCE_NOTE.sub("", (row.get(table.confidence) or "").strip())
            if level not in accept:
                continue
        key = (row.get(table.key) or "").strip()
        value = template.fill({k: (v or "").strip() for k, v in row.items()})
        if key and value is not None:
            found.setdefault(key, value)
    return table, found


def read_mapping(path: str | Path, table: str | Path | None = None) -> Mapping:
    """Read and check a mapping file; ``table`` overrides the table file it names."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError("no such file", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise LoadError(
            f"not valid TOML: {exc}", source=str(path), line=int(line.group(1)) if line else None
        ) from None
    source = raw.get("source", {})
    prefixes = {**DEFAULT_PREFIXES, **raw.get("prefixes", {})}

    def expand(name: str) -> str:
        if ":" in name:
            prefix, local = name.split(":", 1)
            if prefix in prefixes and not local.startswith("//"):
                return prefixes[prefix] + local
        # "tgg:amount" is a valid IRI, but almost surely a mistyped prefix: refuse it.
        looks_prefixed = "://" not in name and not name.startswith(("urn:", "mailto:"))
        if looks_prefixed or not is_valid_iri(name):
            raise _fail(path, f"{name!r} is neither a known prefixed name nor an IRI")
        return name

    if table is None:
        if "file" not in source:
            raise _fail(path, "[source] needs 'file' (or give the table's path)")
        table = path.parent / source["file"]
    if "graph" not in source:
        raise _fail(path, "[source] needs 'graph', the named graph the table loads into")
    shacl = source.get("shacl", "all")
    if shacl not in ("all", "sample"):
        raise _fail(path, "[source] shacl must be 'all' or 'sample'")
    graph = source["graph"]
    if "{table}" in graph:  # one graph per table file: …/graph/projects/{table}
        graph = graph.replace("{table}", rowchecks.slug(Path(table).stem))
    mapping = Mapping(
        path=path,
        table=Path(table),
        graph=expand(graph),
        delimiter=source.get("delimiter", ","),
        encoding=source.get("encoding", "utf-8"),
        decimal=source.get("decimal", "."),
        accept_confidence=tuple(raw.get("confidence", {}).get("accept", ())),
        prefixes=prefixes,
        format=table_format(Path(table), source.get("format")),
        sheet=source.get("sheet"),
        shacl=shacl,
        sample_rows=int(source.get("sample_rows", 1000)),
        summaries={str(k): dict(v) for k, v in raw.get("summaries", {}).items()},
    )
    lookup_values: dict[str, dict[str, str]] = {}
    for name, spec in raw.get("lookups", {}).items():
        merged: dict[str, str] = {}
        mapping.lookups[name] = []
        for table_spec in spec.get("tables", []):
            found_table, found = _read_lookup(path, name, table_spec, mapping.accept_confidence)
            mapping.lookups[name].append(found_table)
            for key, value in found.items():
                merged.setdefault(key, value)
        lookup_values[name] = merged
    mapping.lookup_values = lookup_values
    for name, spec in raw.get("derived", {}).items():
        unknown = set(spec) - _DERIVED_KEYS
        if unknown or "from" not in spec:
            raise _fail(path, f"[derived.{name}] needs 'from'"
                        + (f"; unknown key(s) {sorted(unknown)}" if unknown else ""))
        transform = spec.get("transform")
        if transform is not None and transform not in rowchecks.TRANSFORMS:
            raise _fail(path, f"[derived.{name}]: unknown transform {transform!r} "
                        f"(one of {', '.join(sorted(rowchecks.TRANSFORMS))})")
        lookup = spec.get("lookup")
        if lookup is not None and lookup not in lookup_values:
            raise _fail(path, f"[derived.{name}]: no [lookups.{lookup}]")
        values = {**lookup_values.get(lookup or "", {}), **dict(spec.get("map", {}))}
        mapping.derived.append(
            DerivedColumn(name, spec["from"], values, spec.get("default"), transform,
                          spec.get("separator"), lookup, spec.get("what"))
        )
    for number, spec in enumerate(raw.get("checks", []), start=1):
        unknown = set(spec) - _CHECK_KEYS
        rule = spec.get("rule")
        if unknown or "column" not in spec or rule not in rowchecks.CHECK_RULES:
            raise _fail(path, f"check {number} needs 'column' and a 'rule' (one of "
                        f"{', '.join(sorted(rowchecks.CHECK_RULES))})"
                        + (f"; unknown key(s) {sorted(unknown)}" if unknown else ""))
        if rule == "not-before" and "other" not in spec:
            raise _fail(path, f"check {number}: rule 'not-before' needs 'other'")
        if rule == "in" and spec.get("lookup") not in lookup_values:
            raise _fail(path, f"check {number}: rule 'in' needs 'lookup', a [lookups.NAME]")
        mapping.checks.append(CheckRule(spec["column"], rule, spec.get("other"),
                                        spec.get("separator"), spec.get("lookup"),
                                        spec.get("what")))
    for number, spec in enumerate(raw.get("entities", []), start=1):
        if "iri" not in spec:
            raise _fail(path, f"entity {number} needs an 'iri' template")
        unknown = set(spec) - _ENTITY_KEYS
        if unknown:
            raise _fail(path, f"entity {number}: unknown key(s) {sorted(unknown)}")
        entity = EntityRule(iri=spec["iri"], types=[expand(t) for t in spec.get("types", [])],
                            each=list(spec.get("each", [])), separator=spec.get("separator", "|"),
                            once=bool(spec.get("once", False)), unless=spec.get("unless"))
        for prop in spec.get("properties", []):
            unknown = set(prop) - _PROPERTY_KEYS
            if unknown:
                raise _fail(path, f"entity {number}: unknown key(s) {sorted(unknown)}")
            sources = [k for k in ("column", "template", "value") if k in prop]
            if len(sources) != 1 or "predicate" not in prop:
                raise _fail(
                    path,
                    f"entity {number}: each property needs 'predicate' and exactly one of "
                    "'column', 'template' or 'value'",
                )
            kind = prop.get("kind", "literal")
            if kind not in ("literal", "iri"):
                raise _fail(path, f"entity {number}: kind must be 'literal' or 'iri'")
            lang = prop.get("lang")
            if lang is not None and not _LANG_TAG.fullmatch(lang):
                raise _fail(path, f"entity {number}: {lang!r} is not a language tag")
            entity.properties.append(
                PropertyRule(
                    predicate=expand(prop["predicate"]),
                    column=prop.get("column"),
                    template=prop.get("template"),
                    value=prop.get("value"),
                    kind=kind,
                    datatype=expand(prop["datatype"]) if "datatype" in prop else None,
                    lang=lang,
                    confidence=prop.get("confidence"),
                    pattern=re.compile(prop["pattern"]) if "pattern" in prop else None,
                    required=bool(prop.get("required", False)),
                    separator=prop.get("separator"),
                    unless=prop.get("unless"),
                )
            )
        mapping.entities.append(entity)
    if not mapping.entities:
        raise _fail(path, "no [[entities]] declared")
    return mapping


# --------------------------------------------------------------------------- bad rows


@dataclass
class RowProblem:
    """One reason a row is bad: where (line, column) and why."""

    line: int
    column: int | None  # 1-based number of the column in the table, when known
    column_name: str | None
    reason: str
    named: bool = True  # whether the message starts with "column 'name': "

    @property
    def message(self) -> str:
        if self.named and self.column_name:
            return f"column {self.column_name!r}: {self.reason}"
        return self.reason


class RowErrors(LoadError):
    """Rows of a table are bad; the first one is the error's location, all are listed."""

    def __init__(self, source: str, problems: list[RowProblem], rows: int) -> None:
        first = problems[0]
        super().__init__(first.message, source=source, line=first.line, column=first.column)
        self.problems = problems
        self.rows = rows  # how many rows are bad (more than problems lists, past the cap)

    def __str__(self) -> str:
        lines = [str(LoadError(p.message, source=self.source, line=p.line, column=p.column))
                 for p in self.problems]
        listed = len({p.line for p in self.problems})
        if self.rows > listed:
            lines.append(f"{self.source}: ... and {self.rows - listed} more bad rows")
        return "\n".join(lines)


@dataclass
class BadRows:
    """What to do with bad rows: refuse the table (the default) or skip them.

    Skipped rows are written to ``rejects`` (CSV: file, row, column, reason; one line per
    problem), which is created on the first reject.
    """

    skip: bool = False
    rejects: Path | None = None
    skipped: int = 0
    _handle: IO[str] | None = None
    _writer: Any = None

    def reject(self, source: str, problems: list[RowProblem]) -> None:
        self.skipped += 1
        if self.rejects is None:
            return
        if self._writer is None:
            self._handle = open(self.rejects, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["file", "row", "column", "reason"])
        for p in problems:
            self._writer.writerow([source, p.line, p.column_name or "", p.reason])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._writer = None


class _CellError(Exception):
    def __init__(self, reason: str, column: str | None, named: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column
        self.named = named


# --------------------------------------------------------------------------- compiling


class _Template:
    """``{column}`` placeholders: filled from a row, None when a placeholder's cell is empty."""

    def __init__(self, text: str) -> None:
        pieces = _PLACEHOLDER.split(text)
        self.literals = pieces[0::2]
        self.columns = pieces[1::2]
        self.fixed_scheme = bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", self.literals[0]))
        if len(self.columns) == 1:
            self.fill = self._fill_one  # type: ignore[method-assign]
        elif len(self.columns) == 2:
            self.fill = self._fill_two  # type: ignore[method-assign]

    def _fill_one(self, values: dict[str, str]) -> str | None:
        cell = values.get(self.columns[0])
        if not cell:
            return None
        return self.literals[0] + cell + self.literals[1]

    def _fill_two(self, values: dict[str, str]) -> str | None:
        first = values.get(self.columns[0])
        second = values.get(self.columns[1])
        if not first or not second:
            return None
        return self.literals[0] + first + self.literals[1] + second + self.literals[2]

    def fill(self, values: dict[str, str]) -> str | None:
        out = [self.literals[0]]
        for column, literal in zip(self.columns, self.literals[1:], strict=True):
            cell = values.get(column)
            if not cell:
                return None
            out.append(cell)
            out.append(literal)
        return "".join(out)


class _Code:
    """Python source for one compiled entity (``_Engine._entity``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0
        self.constants: dict[str, Any] = {}
        self.cells: dict[str, str] = {}  # column -> the local that holds its value

    def get(self, column: str) -> str:
        """The expression of a cell's value: a local, or a lookup in the row."""
        return self.cells.get(column) or f"get({column!r})"

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def fill(self, name: str, template: _Template, otherwise: str | None) -> None:
        """``name = `` the filled template, or ``otherwise`` (else None) when a
        placeholder's cell is empty (as ``_Template.fill``)."""
        parts = [repr(template.literals[0])]
        cells = []
        for number, (column, literal) in enumerate(
                zip(template.columns, template.literals[1:], strict=True)):
            cells.append(f"_c{number}")
            self.line(f"_c{number} = {self.get(column)}")
            parts += [f"_c{number}", repr(literal)]
        made = " + ".join(p for p in parts if p != "''")
        if not cells:
            self.line(f"{name} = {made}")
            return
        test = " or ".join(f"not {c}" for c in cells)
        if otherwise is None:
            self.line(f"{name} = None if {test} else {made}")
        else:
            self.line(f"if {test}: {otherwise}")
            self.line(f"{name} = {made}")

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


def _items(lists: tuple[list[str] | tuple[()], ...], columns: tuple[str, ...]) -> int:
    """How many entities the ``each`` cells make; raises when they disagree."""
    counts = {len(items) for items in lists if items}
    if len(counts) > 1:
        listed = ", ".join(f"{c!r} {len(items)}" for c, items in zip(columns, lists,
                                                                     strict=True))
        raise _CellError(f"the cells hold different numbers of values ({listed})", columns[0])
    return counts.pop() if counts else 0


def normalise_number(text: str, decimal: str) -> str:
    """Swedish exports write ``1 234 567,50``: drop thousand spaces, use a dot."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".") if "," in cleaned else cleaned
    return cleaned


def canonical_decimal(value: Decimal) -> str:
    """The canonical xsd:decimal form, as the store keeps it: 1000000.00 → 1000000.

    >>> canonical_decimal(Decimal("1234567.50")), canonical_decimal(Decimal("-0.0"))
    ('1234567.5', '0')
    """
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _plain(text: str, decimal: str) -> str | None:
    """The canonical form of a plain non-negative number (digits, maybe a dot and more
    digits), without Decimal; None for anything else (signs, spaces, commas, exponents).

    >>> _plain("0012.50", "."), _plain("986800", ","), _plain("1.5", ","), _plain("-1", ".")
    ('12.5', '986800', None, None)
    """
    if not text.isascii():
        return None
    if text.isdigit():
        return text.lstrip("0") or "0"
    if decimal != ".":
        return None
    whole, _, fraction = text.partition(".")
    if not (whole.isdigit() and fraction.isdigit()):
        return None
    fraction = fraction.rstrip("0")
    whole = whole.lstrip("0") or "0"
    return whole + "." + fraction if fraction else whole


def _number(text: str, decimal: str) -> Decimal:
    try:
        value = Decimal(normalise_number(text, decimal))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _is_date(text: str) -> bool:
    try:
        rowchecks.check_date(text)
    except ValueError:
        return False
    return True


def _escaped(text: str) -> str:
    """The text as the inside of an N-Triples string."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return Term.literal(text).to_ntriples()[1:-1]


def _object_maker(rule: PropertyRule, decimal: str, column: str | None
                  ) -> Callable[[str], str]:
    """A function from cell text to the N-Triples object (raises _CellError)."""
    if rule.kind == "iri":
        # Cells of IRIs repeat (organisations, municipalities): each is checked once.
        known: dict[str, str] = {}

        def iri(text: str) -> str:
            made = known.get(text)
            if made is not None:
                return made
            if not is_valid_iri(text):
                raise _CellError(f"{text!r} is not a valid IRI", column)
            if len(known) >= _MEMO_SIZE:
                known.clear()
            made = known[text] = "<" + text + ">"
            return made
        return iri
    if rule.lang:
        suffix = '"@' + rule.lang.lower()
        return lambda text: '"' + _escaped(text) + suffix
    datatype = rule.datatype
    if datatype in _NUMERIC:
        whole = datatype == XSD + "integer"
        suffix = f'"^^<{datatype}>'

        def number(text: str) -> str:
            plain = _plain(text, decimal)
            if plain is not None and (not whole or "." not in plain):
                return '"' + plain + suffix
            try:
                value = _number(text, decimal)
            except ValueError as exc:
                raise _CellError(str(exc), column) from None
            if whole:
                if value != value.to_integral_value():
                    raise _CellError(f"{text!r} is not a whole number", column)
                return '"' + str(int(value)) + suffix
            return '"' + canonical_decimal(value) + suffix
        return number
    if datatype == XSD + "date":
        suffix = f'"^^<{datatype}>'

        def date(text: str) -> str:
            try:
                rowchecks.check_date(text)
            except ValueError as exc:
                raise _CellError(str(exc), column) from None
            return '"' + text + suffix
        return date
    if datatype and datatype != XSD + "string":
        suffix = f'"^^<{datatype}>'
        return lambda text: '"' + _escaped(text) + suffix
    return lambda text: '"' + _escaped(text) + '"'


class _Engine:
    """A mapping compiled for one table header."""

    def __init__(self, mapping: Mapping, header: list[str],
                 subject_lines: dict[str, int] | None = None,
                 unique: dict[str, dict[str, int]] | None = None) -> None:
        self.mapping = mapping
        self.subject_lines = subject_lines
        self.source = str(mapping.table)
        self.header = header
        self.numbers: dict[str, int] = {}
        for index, name in enumerate(header, start=1):
            self.numbers.setdefault(name, index)
        self.origin: dict[str, str] = {}
        for derived in mapping.derived:
            self.origin[derived.name] = self.origin.get(derived.source, derived.source)
        self.derived = [self._derived(d) for d in mapping.derived]
        self.unique: dict[str, dict[str, int]] = {} if unique is None else unique
        self.checks = [self._check(c) for c in mapping.checks]
        self.described: set[str] = set()  # subjects of `once` entities, across rules
        self.entities = [self._entity(e) for e in mapping.entities]

    def locate(self, column: str | None) -> tuple[int | None, str | None]:
        if column is None:
            return None, None
        origin = self.origin.get(column, column)
        return self.numbers.get(origin), origin

    # -- derived columns

    def _derived(self, derived: DerivedColumn) -> Callable[[dict[str, str]], None]:
        transform = rowchecks.TRANSFORMS[derived.transform] if derived.transform else None
        table, default = derived.values, derived.default
        with_key = default is not None and "{value}" in default
        looks_up, name, source, sep = derived.looks_up, derived.name, derived.source, \
            derived.separator
        what = derived.what

        def one(key: str) -> str:
            if transform is not None and key:
                try:
                    key = transform(key)
                except ValueError as exc:
                    raise _CellError(str(exc), source) from None
            if not looks_up:
                return key
            value = table.get(key)
            if value is not None:
                return value
            if default is None:
                if what:
                    raise _CellError(f"{key!r} is not a known {what}", source)
                raise _CellError(f"{key!r} has no entry in the lookup [derived.{name}]", source)
            return default.replace("{value}", key) if with_key else default

        if sep is None:
            def apply(values: dict[str, str]) -> None:
                values[name] = one(values.get(source, ""))
        else:
            # Multi-valued cells repeat (funding sources, report kinds, one partner):
            # each distinct cell is derived once.
            known: dict[str, str] = {}

            def apply(values: dict[str, str]) -> None:
                raw = values.get(source, "")
                made = known.get(raw)
                if made is None:
                    made = sep.join([one(k.strip()) for k in raw.split(sep)]) if raw else ""
                    if len(known) >= _MEMO_SIZE:
                        known.clear()
                    known[raw] = made
                values[name] = made
        return apply

    # -- checks

    def _check(self, check: CheckRule) -> Callable[[dict[str, str], int], None]:
        column, sep, decimal = check.column, check.separator, self.mapping.decimal
        rule = check.rule
        if rule in rowchecks.VALUE_CHECKS:
            test = rowchecks.VALUE_CHECKS[rule]

            def one(item: str, line: int) -> None:
                test(item)
        elif rule in ("number", "non-negative"):
            negative_ok = rule == "number"

            def one(item: str, line: int) -> None:
                if _plain(item, decimal) is not None:
                    return
                if _number(item, decimal) < 0 and not negative_ok:
                    raise ValueError(f"{item!r} is negative; the value must be zero or more")
        elif rule == "in":
            known = set(self.mapping.lookup_values[check.lookup or ""])
            what = check.what or f"value (not in [lookups.{check.lookup}])"

            def one(item: str, line: int) -> None:
                if item not in known:
                    raise ValueError(f"{item!r} is not a known {what}")
        elif rule == "distinct":  # no value twice in one (multi-valued) cell
            def one(item: str, line: int) -> None:
                return

            def distinct(values: dict[str, str], line: int) -> None:
                text = values.get(column, "")
                items = [t.strip() for t in text.split(sep or "|") if t.strip()]
                twice = sorted({t for t in items if items.count(t) > 1})
                if twice:
                    raise _CellError(f"{', '.join(repr(t) for t in twice)} occurs more than "
                                     "once in the cell", column)
            return distinct
        elif rule == "unique":
            seen = self.unique.setdefault(column, {})

            def one(item: str, line: int) -> None:
                first = seen.setdefault(item, line)
                if first != line:
                    raise ValueError(f"{item!r} occurs again (first on line {first}); "
                                     "each value may occur once in the table")
        else:  # not-before: a date on or after the date in the other column
            other = check.other or ""

            def one(item: str, line: int) -> None:
                rowchecks.check_date(item)
                before = values_now[0].get(other, "")
                if before and _is_date(before) and item < before:
                    raise ValueError(f"{item} is before {self.locate(other)[1]} {before}")

        values_now: list[dict[str, str]] = [{}]
        # Checks that look at the cell alone pass the same cell again (organisations,
        # municipalities recur): each distinct cell that passed is remembered.
        passed: set[str] | None = set() if rule in rowchecks.VALUE_CHECKS or rule == "in" \
            else None

        def run(values: dict[str, str], line: int) -> None:
            text = values.get(column, "")
            if not text:
                return
            if passed is not None and text in passed:
                return
            values_now[0] = values
            try:
                if sep is None:
                    one(text, line)
                else:
                    for item in text.split(sep):
                        item = item.strip()
                        if item:
                            one(item, line)
            except ValueError as exc:
                raise _CellError(str(exc), column) from None
            if passed is not None:
                if len(passed) >= _MEMO_SIZE:
                    passed.clear()
                passed.add(text)
        return run

    # -- entities

    def _property(self, rule: PropertyRule
                  ) -> Callable[[dict[str, str], str, list[str]], None]:
        """``emit(values, subject, out)``: append the rule's triples for one subject."""
        predicate = f" <{rule.predicate}> "
        error_column = rule.column
        if rule.template is not None:
            error_column = next(iter(_PLACEHOLDER.findall(rule.template)), None)
        make = _object_maker(rule, self.mapping.decimal, error_column)
        column = rule.column
        required = rule.required
        empty = _EMPTY_CELL
        simple = (column is not None and rule.confidence is None and rule.pattern is None
                  and rule.unless is None)
        if simple and rule.separator is None and rule.kind == "literal" and (
                rule.lang or rule.datatype is None or rule.datatype == XSD + "string"):
            # The commonest case, a text cell: nothing to check.
            head = predicate + '"'
            tail = ('"@' + rule.lang.lower() if rule.lang else '"') + " .\n"
            search = _NEEDS_ESCAPE.search

            def text_cell(values: dict[str, str], subject: str, out: list[str]) -> None:
                text = values.get(column)  # type: ignore[arg-type]
                if text:
                    if search(text) is not None:
                        text = _escaped(text)
                    out.append(subject + head + text + tail)
                elif required:
                    raise _CellError(empty, column)
            return text_cell
        if simple and rule.separator is None:
            def cell(values: dict[str, str], subject: str, out: list[str]) -> None:
                text = values.get(column)  # type: ignore[arg-type]
                if text:
                    out.append(subject + predicate + make(text) + " .\n")
                elif required:
                    raise _CellError(empty, column)
            return cell
        if simple and rule.kind == "iri":  # several IRIs in one cell
            return self._links_per_item(rule, column, "", "", make)
        if (rule.template is not None and rule.kind == "iri" and rule.confidence is None
                and rule.pattern is None and rule.separator is None and rule.unless is None
                and _Template(rule.template).fixed_scheme):
            # A link made from a template such as https://…/county/{lan}: only the filled
            # cells can make the IRI invalid.
            fill = _Template(rule.template).fill
            forbidden = _IRI_FORBIDDEN.search

            def link(values: dict[str, str], subject: str, out: list[str]) -> None:
                iri = fill(values)
                if iri:
                    if forbidden(iri) is not None:
                        raise _CellError(f"{iri!r} is not a valid IRI", error_column)
                    out.append(subject + predicate + "<" + iri + "> .\n")
                elif required:
                    raise _CellError(empty, error_column)
            return link
        if (rule.template is not None and rule.kind == "iri" and rule.confidence is None
                and rule.pattern is None and rule.separator is not None
                and rule.unless is None and len(_Template(rule.template).columns) == 1):
            # Links from a multi-valued cell (…/municipality/{codes}): one per value.
            head_iri, tail_iri = _Template(rule.template).literals
            return self._links_per_item(rule, error_column, head_iri, tail_iri, make)
        if rule.value is not None and rule.confidence is None and rule.unless is None:
            constant = predicate + make(rule.value) + " .\n"

            def fixed(values: dict[str, str], subject: str, out: list[str]) -> None:
                out.append(subject + constant)
            return fixed
        objects = self._objects(rule, make, error_column)

        def general(values: dict[str, str], subject: str, out: list[str]) -> None:
            for obj in objects(values):
                out.append(subject + predicate + obj + " .\n")
        return general

    @staticmethod
    def _links_per_item(rule: PropertyRule, column: str | None, head: str, tail: str,
                        make: Callable[[str], str]
                        ) -> Callable[[dict[str, str], str, list[str]], None]:
        """A triple per item of a multi-valued cell, its object ``head + item + tail``."""
        predicate, sep, required = f" <{rule.predicate}> ", rule.separator, rule.required
        empty = _EMPTY_CELL

        def links(values: dict[str, str], subject: str, out: list[str]) -> None:
            text = values.get(column)  # type: ignore[arg-type]
            if not text:
                if required:
                    raise _CellError(empty, column)
                return
            for item in text.split(sep):
                item = item.strip()
                if item:
                    out.append(subject + predicate + make(head + item + tail) + " .\n")
        return links

    def _inline_property(self, rule: PropertyRule, code: _Code) -> bool:
        """Write the property's triple inline into ``code`` (see ``_entity``); False for
        the kinds that keep their closure. The same cases and messages as ``_property``."""
        if (rule.confidence is not None or rule.pattern is not None or rule.unless is not None
                or rule.separator is not None):
            return False
        predicate = f" <{rule.predicate}> "
        required = rule.required
        empty = _EMPTY_CELL
        column = rule.column
        if column is not None:
            code.line(f"text = {code.get(column)}")
            code.line("if text:")
            if rule.kind == "literal" and (rule.lang or rule.datatype is None
                                           or rule.datatype == XSD + "string"):
                tail = ('"@' + rule.lang.lower() if rule.lang else '"') + " .\n"
                # Only '"', '\\' and control characters need escaping; testing for the two
                # and for non-printable text is cheaper than the regular expression.
                code.line(f"    if {chr(34)!r} in text or {chr(92)!r} in text or (not "
                          "text.isprintable() and needs_escape(text) is not None): "
                          "text = _escaped(text)")
                code.line(f"    append(subject + {predicate + chr(34)!r} + text + {tail!r})")
            else:
                make = code.constant(_object_maker(rule, self.mapping.decimal, column))
                code.line(f"    append(subject + {predicate!r} + {make}(text) + ' .\\n')")
            if required:
                code.line(f"else: raise _CellError({empty!r}, {column!r})")
            return True
        if rule.template is not None and rule.kind == "iri":
            template = _Template(rule.template)
            if not template.fixed_scheme:
                return False
            error_column = template.columns[0] if template.columns else None
            code.fill("link", template, None)
            code.line("if link:")
            code.line("    if forbidden(link) is not None: raise _CellError("
                      f"f'{{link!r}} is not a valid IRI', {error_column!r})")
            code.line(f"    append(subject + {predicate + '<'!r} + link + '> .\\n')")
            if required:
                code.line(f"else: raise _CellError({empty!r}, {error_column!r})")
            return True
        if rule.value is not None:
            make = _object_maker(rule, self.mapping.decimal, None)
            code.line(f"append(subject + {predicate + make(rule.value) + ' .' + chr(10)!r})")
            return True
        return False

    def _objects(self, rule: PropertyRule, make: Callable[[str], str],
                 error_column: str | None) -> Callable[[dict[str, str]], Iterable[str]]:
        accept = self.mapping.accept_confidence
        confidence, column, value, pattern = rule.confidence, rule.column, rule.value, \
            rule.pattern
        fill = _Template(rule.template).fill if rule.template is not None else None
        required, sep, unless = rule.required, rule.separator, rule.unless

        def objects(values: dict[str, str]) -> Iterable[str]:
            if unless is not None and values.get(unless):
                return ()
            if confidence is not None:
                level = values.get(confidence, "")
                if "(" in level:
                    level = _CONFIDENCE_NOTE.sub("", level)
                if level not in accept:
                    return ()
            if value is not None:
                text = value
            elif fill is not None:
                # A template over a multi-valued cell is filled once per value.
                text = (values.get(error_column or "", "") if sep is not None
                        else fill(values) or "")
            else:
                text = values.get(column or "", "")
            if not text:
                if required:
                    raise _CellError(_EMPTY_CELL, error_column)
                return ()
            items = [text] if sep is None else [t.strip() for t in text.split(sep) if t.strip()]
            if fill is not None and sep is not None:
                items = [fill({**values, error_column or "": item}) or "" for item in items]
            out = []
            for item in items:
                if pattern is not None and not pattern.fullmatch(item):
                    raise _CellError(f"{item!r} does not match {pattern.pattern}", error_column)
                out.append(make(item))
            return out
        return objects

    def _entity(self, entity: EntityRule
                ) -> Callable[[dict[str, str], list[str], set[str], int], None]:
        """One entity of a row, compiled to a Python function of its own.

        A row makes about forty triples: calling a closure per property, filling
        templates through methods and, for ``each``, rewriting the row's values per item
        was most of the mapping's time. The common property kinds (a text cell, a cell
        through a checker, a link from a template, a constant) are written out inline
        with their constant parts as literals, the ``each`` items as locals; the other
        kinds call their closure (``_property``), which reads the row's values."""
        template = _Template(entity.iri)
        code = _Code()
        each = entity.each
        # The properties in their order, written first (the loop over ``each`` items
        # depends on whether any of them is a call): inline ones, the others as calls.
        body = _Code()
        body.constants = code.constants
        body.cells = {column: f"_v{k}" for k, column in enumerate(each)}
        calls = False
        for rule in entity.properties:
            if not self._inline_property(rule, body):
                calls = True
                body.line(f"{body.constant(self._property(rule))}(values, subject, out)")
        code.line("def one(values, out, pending, line):")
        code.indent = 1
        code.line("get = values.get")
        code.line("append = out.append")
        skip = "return"
        if each:
            # One entity per item of the cells (an empty cell fits any count).
            for k, column in enumerate(each):
                code.line(f"_e{k} = get({column!r}) or ''")
            code.line(f"if not ({' or '.join(f'_e{k}' for k in range(len(each)))}): return")
            for k in range(len(each)):
                code.line(f"_l{k} = _e{k}.split({entity.separator!r}) if _e{k} else ()")
            lists = ", ".join(f"_l{k}" for k in range(len(each)))
            code.line(f"count = _items(({lists},), {tuple(each)!r})")
            if calls:  # closures read the items from the row's values
                code.line("try:")
                code.indent += 1
            code.line("for _i in range(count):")
            code.indent += 1
            for k, column in enumerate(each):
                code.line(f"_v{k} = _l{k}[_i].strip() if _l{k} else ''")
                if calls:
                    code.line(f"values[{column!r}] = _v{k}")
            skip = "continue"
            code.cells = body.cells
        if entity.unless is not None:
            code.line(f"if {code.get(entity.unless)}: {skip}")
        code.fill("iri", template, skip)
        if entity.once:  # described (and checked) before
            code.line(f"if iri in seen or iri in pending: {skip}")
        test = "forbidden(iri) is not None" if template.fixed_scheme else "not is_valid(iri)"
        code.line(f"if {test}: raise _CellError(f'the IRI {{iri!r}} made from the template "
                  "is not valid', None)")
        if entity.once:
            code.line("pending.add(iri)")
        code.line("lines = engine.subject_lines")
        code.line("if lines is not None: lines.setdefault(iri, line)")
        code.line("subject = '<' + iri + '>'")
        for rdf_type in entity.types:
            code.line(f"append(subject + {f' {RDF_TYPE} <{rdf_type}> .' + chr(10)!r})")
        code.lines += ["    " * code.indent + text for text in body.lines]
        if each and calls:
            code.indent = 1
            code.line("finally:")
            for k, column in enumerate(each):
                code.line(f"    values[{column!r}] = _e{k}")
        namespace = {"seen": self.described, "engine": self, "_CellError": _CellError,
                     "forbidden": _IRI_FORBIDDEN.search, "is_valid": is_valid_iri,
                     "needs_escape": _NEEDS_ESCAPE.search, "_escaped": _escaped,
                     "_items": _items, **code.constants}
        exec(code.source(), namespace)  # noqa: S102 - our own text, built from literals
        one: Callable[[dict[str, str], list[str], set[str], int], None] = namespace["one"]
        return one

    # -- rows

    def run(self, rows: Iterator[tuple[int, list[str], tuple[int | None, str] | None]], *,
            bad_rows: BadRows | None, on_row: Callable[[dict[str, str]], None] | None,
            sample: list[str] | None) -> Iterator[str]:
        """Per good row, its N-Triples lines as one string; raises RowErrors at the end."""
        header, width = self.header, len(self.header)
        derived, checks, entities = self.derived, self.checks, self.entities
        described = self.described
        skip = bad_rows is not None and bad_rows.skip
        problems: list[RowProblem] = []
        bad = 0
        accepted = 0
        sample_rows = self.mapping.sample_rows
        for line, cells, read_problem in rows:
            row_problems: list[RowProblem] = []
            if len(cells) > width:
                row_problems.append(RowProblem(
                    line, None, None, f"the row has more cells than the header ({width})"))
            elif read_problem is not None:
                index, reason = read_problem
                name = header[index] if index is not None and index < width else None
                row_problems.append(RowProblem(line, None, name, reason, named=False))
            else:
                values = dict(zip(header, map(str.strip, cells), strict=False))
                out: list[str] = []
                pending: set[str] = set()
                errors: list[_CellError] = []
                for apply in derived:
                    try:
                        apply(values)
                    except _CellError as exc:
                        errors.append(exc)
                for check in checks:
                    try:
                        check(values, line)
                    except _CellError as exc:
                        errors.append(exc)
                if not errors:
                    for entity in entities:
                        try:
                            entity(values, out, pending, line)
                        except _CellError as exc:
                            errors.append(exc)
                if not errors:
                    if pending:
                        described.update(pending)
                    accepted += 1
                    if sample is not None and accepted <= sample_rows:
                        sample.append("".join(out))
                    if accepted == sample_rows and self.mapping.shacl == "sample":
                        self.subject_lines = None  # lines of the sampled rows only
                    if on_row is not None:
                        on_row(values)
                    if not bad:
                        yield "".join(out)
                    continue
                reported = set()
                for exc in errors:
                    number, name = self.locate(exc.column)
                    if (name, exc.reason) in reported:
                        continue
                    reported.add((name, exc.reason))
                    row_problems.append(RowProblem(line, number, name, exc.reason, exc.named))
            if skip:
                assert bad_rows is not None
                bad_rows.reject(self.source, row_problems)
                continue
            bad += 1
            if bad <= MAX_REPORTED_ROWS:
                problems.extend(row_problems)
        if bad:
            raise RowErrors(self.source, problems, bad)


def map_rows(
    mapping: Mapping,
    subject_lines: dict[str, int] | None = None,
    *,
    bad_rows: BadRows | None = None,
    on_row: Callable[[dict[str, str]], None] | None = None,
    sample: list[str] | None = None,
    progress: bool | None = None,
    part: tuple[int, int, int] | None = None,
    unique: dict[str, dict[str, int]] | None = None,
) -> Iterator[str]:
    """The N-Triples of each good row, one string per row (see ``mapped_triples``).

    ``on_row`` sees each good row's values (derived columns included); ``sample`` gets
    the first ``mapping.sample_rows`` good rows' triples. Bad rows raise RowErrors after
    the whole table was read, or are skipped into ``bad_rows.rejects``.

    ``part = (k, parts, batch)`` maps only the k-th of every ``parts`` batches of
    ``batch`` rows (one process's share when several map a table); ``unique`` receives
    the values that "unique" checks saw (column → value → line), to compare across parts.
    """
    header, rows = read_table(mapping.as_table(), progress)
    if part is not None:
        rows = _share(rows, *part)
    missing = sorted(mapping.required_columns() - set(header))
    if missing:
        raise LoadError(
            f"missing column(s) {', '.join(repr(m) for m in missing)} "
            f"(the header has: {', '.join(header)})",
            source=str(mapping.table),
            line=1,
        )
    engine = _Engine(mapping, header, subject_lines, unique)
    yield from engine.run(rows, bad_rows=bad_rows, on_row=on_row, sample=sample)


def _share(rows: Iterator[tuple[int, list[str], tuple[int | None, str] | None]], k: int,
           parts: int, batch: int
           ) -> Iterator[tuple[int, list[str], tuple[int | None, str] | None]]:
    """The rows of batches k, k + parts, k + 2 parts, … (the others are only read)."""
    for index, row in enumerate(rows):
        if (index // batch) % parts == k:
            yield row


def mapped_triples(mapping: Mapping, subject_lines: dict[str, int] | None = None,
                   **options: Any) -> Iterator[str]:
    """N-Triples lines for every row; raises LoadError naming file, line and column.

    ``subject_lines`` is filled with the first table line of each minted subject, so
    that a later SHACL violation can be reported at its row (for a ``shacl = "sample"``
    mapping, of the sampled rows only).
    """
    for chunk in map_rows(mapping, subject_lines, **options):
        yield from chunk.splitlines(keepends=True)


def describe(mapping: Mapping) -> dict[str, Any]:
    return {"table": str(mapping.table), "graph": mapping.graph, "entities": len(mapping.entities)}
