"""Declarative CSV → RDF mappings.

A mapping is a TOML file, so a new table layout needs a mapping, not code. It names
the source table, its dialect (separator, encoding, decimal comma), the target graph,
and per row the entities to mint, each with IRI template, types and properties. See
``docs`` in README.md ("CSV mappings") for every key. Rows become N-Triples lines; the
caller streams them to a file that the store bulk-loads.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.store.terms import XSD, Term, is_valid_iri

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
    "confidence", "pattern", "required", "reverse",
}


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

    def columns(self) -> set[str]:
        cols = set()
        if self.column:
            cols.add(self.column)
        if self.template:
            cols.update(_PLACEHOLDER.findall(self.template))
        if self.confidence:
            cols.add(self.confidence)
        return cols


@dataclass
class EntityRule:
    iri: str
    types: list[str] = field(default_factory=list)
    properties: list[PropertyRule] = field(default_factory=list)


@dataclass
class DerivedColumn:
    """A column computed from another through a lookup table (e.g. name → IRI key)."""

    name: str
    source: str
    values: dict[str, str]
    default: str | None = None


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

    def required_columns(self) -> set[str]:
        needed: set[str] = set()
        for entity in self.entities:
            needed.update(_PLACEHOLDER.findall(entity.iri))
            for prop in entity.properties:
                needed.update(prop.columns())
        return (needed - {d.name for d in self.derived}) | {d.source for d in self.derived}


def _fail(mapping_path: Path, message: str) -> LoadError:
    return LoadError(f"bad mapping: {message}", source=str(mapping_path))


def read_mapping(path: str | Path, table: str | Path | None = None) -> Mapping:
    """Read and check a mapping file; ``table`` overrides the CSV file it names."""
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
    mapping = Mapping(
        path=path,
        table=Path(table),
        graph=expand(source["graph"]),
        delimiter=source.get("delimiter", ","),
        encoding=source.get("encoding", "utf-8"),
        decimal=source.get("decimal", "."),
        accept_confidence=tuple(raw.get("confidence", {}).get("accept", ())),
        prefixes=prefixes,
    )
    for name, spec in raw.get("derived", {}).items():
        mapping.derived.append(
            DerivedColumn(name, spec["from"], dict(spec.get("map", {})), spec.get("default"))
        )
    for number, spec in enumerate(raw.get("entities", []), start=1):
        if "iri" not in spec:
            raise _fail(path, f"entity {number} needs an 'iri' template")
        entity = EntityRule(iri=spec["iri"], types=[expand(t) for t in spec.get("types", [])])
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
            entity.properties.append(
                PropertyRule(
                    predicate=expand(prop["predicate"]),
                    column=prop.get("column"),
                    template=prop.get("template"),
                    value=prop.get("value"),
                    kind=kind,
                    datatype=expand(prop["datatype"]) if "datatype" in prop else None,
                    lang=prop.get("lang"),
                    confidence=prop.get("confidence"),
                    pattern=re.compile(prop["pattern"]) if "pattern" in prop else None,
                    required=bool(prop.get("required", False)),
                )
            )
        mapping.entities.append(entity)
    if not mapping.entities:
        raise _fail(path, "no [[entities]] declared")
    return mapping


class _Row:
    """One CSV row with its location, for messages that say file, line and column."""

    def __init__(self, mapping: Mapping, values: dict[str, str], line: int,
                 header: list[str] | None = None):
        self.mapping = mapping
        self.values = values
        self.line = line
        self.header = header or []

    def error(self, message: str, column: str | None = None) -> LoadError:
        where = f"column {column!r}: " if column else ""
        number = self.header.index(column) + 1 if column in self.header else None
        return LoadError(where + message, source=str(self.mapping.table), line=self.line,
                         column=number)

    def fill(self, template: str) -> str | None:
        """Fill ``{column}`` placeholders; None when a placeholder's cell is empty."""
        parts = []
        pos = 0
        for match in _PLACEHOLDER.finditer(template):
            cell = self.values.get(match.group(1), "").strip()
            if not cell:
                return None
            parts.append(template[pos : match.start()])
            parts.append(cell)
            pos = match.end()
        parts.append(template[pos:])
        return "".join(parts)


def normalise_number(text: str, decimal: str) -> str:
    """Swedish exports write ``1 234 567,50``: drop thousand spaces, use a dot."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".") if "," in cleaned else cleaned
    return cleaned


def _literal(row: _Row, rule: PropertyRule, text: str, column: str | None) -> Term:
    if rule.lang:
        return Term.literal(text, lang=rule.lang)
    if rule.datatype in _NUMERIC:
        number = normalise_number(text, row.mapping.decimal)
        try:
            value = Decimal(number)
        except InvalidOperation:
            raise row.error(f"{text!r} is not a number", column) from None
        if not value.is_finite():
            raise row.error(f"{text!r} is not a finite number", column)
        if rule.datatype == XSD + "integer":
            if value != value.to_integral_value():
                raise row.error(f"{text!r} is not a whole number", column)
            number = str(int(value))
        return Term.literal(number, datatype=rule.datatype)
    if rule.datatype == XSD + "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise row.error(f"{text!r} is not a date (YYYY-MM-DD)", column)
    return Term.literal(text, datatype=rule.datatype)


def _objects(row: _Row, rule: PropertyRule) -> Iterator[Term]:
    if rule.confidence:
        level = re.sub(r"\s*\(.*\)$", "", row.values.get(rule.confidence, "").strip())
        if level not in row.mapping.accept_confidence:
            return
    column = rule.column
    if rule.value is not None:
        text = rule.value
    elif rule.template is not None:
        text = row.fill(rule.template)
        column = next(iter(_PLACEHOLDER.findall(rule.template)), None)
    else:
        text = row.values.get(rule.column or "", "").strip()
    if not text:
        if rule.required:
            raise row.error("a value is required here, the cell is empty", column)
        return
    if rule.pattern and not rule.pattern.fullmatch(text):
        raise row.error(f"{text!r} does not match {rule.pattern.pattern}", column)
    if rule.kind == "iri":
        if not is_valid_iri(text):
            raise row.error(f"{text!r} is not a valid IRI", column)
        yield Term("uri", text)
    else:
        yield _literal(row, rule, text, column)


RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def _triples(row: _Row, subject_lines: dict[str, int] | None) -> Iterator[str]:
    mapping = row.mapping
    for derived in mapping.derived:
        key = row.values.get(derived.source, "").strip()
        value = derived.values.get(key, derived.default)
        if value is None:
            raise row.error(f"{key!r} has no entry in the lookup [derived.{derived.name}]",
                            derived.source)
        row.values[derived.name] = value
    for entity in mapping.entities:
        subject_iri = row.fill(entity.iri)
        if subject_iri is None:
            continue
        if not is_valid_iri(subject_iri):
            raise row.error(f"the IRI {subject_iri!r} made from the template is not valid")
        if subject_lines is not None:
            subject_lines.setdefault(subject_iri, row.line)
        subject = f"<{subject_iri}>"
        for rdf_type in entity.types:
            yield f"{subject} {RDF_TYPE} <{rdf_type}> .\n"
        for rule in entity.properties:
            for obj in _objects(row, rule):
                yield f"{subject} <{rule.predicate}> {obj.to_ntriples()} .\n"


def _decode_lines(mapping: Mapping) -> Iterator[str]:
    """Lines of the table, with a clear error on bytes that are not in its encoding."""
    with open(mapping.table, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode(mapping.encoding)
            except UnicodeDecodeError as exc:
                raise LoadError(
                    f"byte {exc.start + 1} of the line is not valid {mapping.encoding} "
                    "(wrong encoding? set 'encoding' in the mapping, e.g. cp1252)",
                    source=str(mapping.table),
                    line=number,
                ) from None


def mapped_triples(mapping: Mapping, subject_lines: dict[str, int] | None = None) -> Iterator[str]:
    """N-Triples lines for every row; raises LoadError naming file, line and column.

    ``subject_lines`` is filled with the first table line of each minted subject, so
    that a later SHACL violation can be reported at its row.
    """
    if not mapping.table.is_file():
        raise LoadError("no such file", source=str(mapping.table))
    reader = csv.DictReader(_decode_lines(mapping), delimiter=mapping.delimiter)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise LoadError(f"not a readable CSV table: {exc}", source=str(mapping.table),
                        line=1) from None
    missing = sorted(mapping.required_columns() - set(header))
    if missing:
        raise LoadError(
            f"missing column(s) {', '.join(repr(m) for m in missing)} "
            f"(the header has: {', '.join(header)})",
            source=str(mapping.table),
            line=1,
        )
    try:
        for values in reader:
            if None in values:
                raise LoadError(
                    f"the row has more cells than the header ({len(header)})",
                    source=str(mapping.table),
                    line=reader.line_num,
                )
            row = _Row(mapping, values, reader.line_num, header)
            yield from _triples(row, subject_lines)
    except csv.Error as exc:
        raise LoadError(str(exc), source=str(mapping.table), line=reader.line_num) from None


def describe(mapping: Mapping) -> dict[str, Any]:
    return {"table": str(mapping.table), "graph": mapping.graph, "entities": len(mapping.entities)}
