"""Funding summaries: aggregates of the project graphs, kept as a derived graph of their own.

A SPARQL GROUP BY over a million projects takes about half a minute in pyoxigraph, longer
than an analyst should wait and longer than the query time limit. So the loader sums up
while it maps a project table, in one pass over the rows (dictionaries keyed by county ×
funding source × priority × start year, and by beneficiary × county), and writes the sums
to ``…/graph/derived/funding-summaries`` in the same snapshot as the project graph. The
catalog's funding questions read those few thousand cells; the raw project triples stay
for everything the summaries do not cover.

What the graph holds (see the ontology for the terms):

* ``tg:FundingSummary`` cells per project graph and *grouping set*: every subset of the
  four dimensions county, source, priority (the four national priorities) and year, so
  that "amounts by county" is a lookup of 21 cells rather than a sum. ``tg:groupingSet``
  names the dimensions (``"county year"``; ``""`` is the grand total). Amounts summed over
  sources count a project once; with the source among the dimensions, a project counts in
  each of its sources.
* ``tg:BeneficiarySummary`` cells per project graph, beneficiary and county.
* ``tg:BeneficiaryRank`` entries: the ``TOP`` largest beneficiaries by granted amount in
  each county, over all project graphs together.

Cells of one project graph have IRIs under ``id/funding-summary/{graph key}/``, so that
reloading that graph replaces its cells and keeps the others'; questions sum over project
graphs. The metadata graph records the summaries graph ``prov:wasDerivedFrom`` each
project graph that contributed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import Any

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders.csv_mapping import Mapping, normalise_number
from tillvaxtgraf.store.names import GRAPH, ID, METADATA_GRAPH, PROV, RDF, TG, XSD

SUMMARIES_GRAPH = GRAPH + "derived/funding-summaries"
DIMENSIONS = ("county", "source", "priority", "year")
GROUPING_SETS = [dims for size in range(len(DIMENSIONS) + 1)
                 for dims in combinations(DIMENSIONS, size)]
TOP = 100
CELLS = ID + "funding-summary/"
TOP_CELLS = CELLS + "top/"
KEYS = ("project", "county", "priority", "year", "beneficiary", "sources", "granted", "paid")
_DIMENSION_IRI = {"county": ID + "county/", "source": ID + "funding-source/",
                  "priority": ID + "priority/"}
_DIMENSION_PREDICATE = {"county": TG + "summaryCounty", "source": TG + "fundingSource",
                        "priority": TG + "summaryPriority", "year": TG + "summaryYear"}
_ZERO = Decimal(0)


def graph_key(graph: str) -> str:
    """The short key of a project graph in its cells' IRIs."""
    return hashlib.sha256(graph.encode("utf-8")).hexdigest()[:12]


@dataclass
class Totals:
    granted: Decimal = _ZERO
    paid: Decimal = _ZERO
    projects: int = 0


@dataclass
class FundingAccumulator:
    """Sums of one project table, filled row by row (``add``) while it is mapped."""

    columns: dict[str, str]
    decimal: str = "."
    separator: str = "|"
    # (county, source, priority, year) → amounts, and projects with money from the source
    cells: dict[tuple[str, str, str, str], Totals] = field(default_factory=dict)
    # (county, priority, year) → projects (each once, whatever its sources)
    projects: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # (beneficiary IRI, county) → amounts over all sources, projects
    beneficiaries: dict[tuple[str, str], Totals] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, mapping: Mapping, config: dict[str, Any]) -> FundingAccumulator:
        missing = [k for k in KEYS if k not in config and k != "paid"]
        unknown = set(config) - {*KEYS, "separator"}
        if missing or unknown:
            raise LoadError(f"bad mapping: [summaries.funding] needs {', '.join(missing)}"
                            if missing else
                            f"bad mapping: [summaries.funding] has unknown key(s) "
                            f"{sorted(unknown)}", source=str(mapping.path))
        columns = {k: str(config[k]) for k in KEYS if k in config}
        return cls(columns, mapping.decimal, str(config.get("separator", "|")))

    def add(self, values: dict[str, str]) -> None:
        """One good row (its amounts are checked numbers by now)."""
        columns, sep, decimal = self.columns, self.separator, self.decimal
        county = values.get(columns["county"], "")
        priority = values.get(columns["priority"], "")
        year = values.get(columns["year"], "")[:4]
        sources = values.get(columns["sources"], "")
        granted = values.get(columns["granted"], "")
        paid = values.get(columns.get("paid", ""), "")
        source_list = sources.split(sep) if sources else []
        granted_list = granted.split(sep) if granted else []
        paid_list = paid.split(sep) if paid else []
        row_granted = row_paid = _ZERO
        for index, source in enumerate(source_list):
            g = _amount(granted_list, index, decimal)
            p = _amount(paid_list, index, decimal)
            key = (county, source.strip(), priority, year)
            cell = self.cells.get(key)
            if cell is None:
                cell = self.cells[key] = Totals()
            cell.granted += g
            cell.paid += p
            cell.projects += 1
            row_granted += g
            row_paid += p
        key3 = (county, priority, year)
        self.projects[key3] = self.projects.get(key3, 0) + 1
        beneficiary = values.get(columns["beneficiary"], "")
        if beneficiary:
            totals = self.beneficiaries.get((beneficiary, county))
            if totals is None:
                totals = self.beneficiaries[(beneficiary, county)] = Totals()
            totals.granted += row_granted
            totals.paid += row_paid
            totals.projects += 1

    def rollups(self) -> Iterator[tuple[tuple[str, ...], dict[str, str], Totals]]:
        """Every grouping set's cells: (dimensions, {dimension: value}, totals)."""
        for dims in GROUPING_SETS:
            sums: dict[tuple[str | None, ...], Totals] = {}
            for (county, source, priority, year), cell in self.cells.items():
                full = {"county": county, "source": source, "priority": priority, "year": year}
                key = tuple(full[d] if d in dims else None for d in DIMENSIONS)
                total = sums.get(key)
                if total is None:
                    total = sums[key] = Totals()
                total.granted += cell.granted
                total.paid += cell.paid
                if "source" in dims:
                    total.projects += cell.projects
            if "source" not in dims:
                for (county, priority, year), count in self.projects.items():
                    full = {"county": county, "priority": priority, "year": year}
                    key = tuple(full.get(d) if d in dims else None for d in DIMENSIONS)
                    if key in sums:
                        sums[key].projects += count
                    else:
                        sums[key] = Totals(projects=count)
            for key in sorted(sums, key=lambda k: tuple(v or "" for v in k)):
                yield dims, {d: v for d, v in zip(DIMENSIONS, key, strict=True)
                             if v is not None}, sums[key]


def _amount(items: list[str], index: int, decimal: str) -> Decimal:
    if index >= len(items):
        return _ZERO
    text = items[index].strip()
    return Decimal(normalise_number(text, decimal)) if text else _ZERO


# --------------------------------------------------------------------------- N-Triples


def _decimal(value: Decimal) -> str:
    return f'"{value:f}"^^<{XSD}decimal>'


def _integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


def _measures(subject: str, totals: Totals) -> list[str]:
    return [f"{subject} <{TG}grantedAmount> {_decimal(totals.granted)} .\n",
            f"{subject} <{TG}paidAmount> {_decimal(totals.paid)} .\n",
            f"{subject} <{TG}projectCount> {_integer(totals.projects)} .\n"]


def _local(iri: str) -> str:
    return iri.removeprefix(ID).replace("/", "-")


def cell_lines(accumulator: FundingAccumulator, project_graph: str) -> Iterator[str]:
    """The summary cells of one project graph."""
    key = graph_key(project_graph)
    derived = f"<{PROV}wasDerivedFrom> <{project_graph}> .\n"
    for dims, values, totals in accumulator.rollups():
        path = "/".join(values.get(d, "-") for d in DIMENSIONS)
        subject = f"<{CELLS}{key}/{path}>"
        yield f"{subject} <{RDF}type> <{TG}FundingSummary> .\n"
        yield f'{subject} <{TG}groupingSet> "{" ".join(dims)}" .\n'
        for dim, value in values.items():
            if dim == "year":
                obj = f'"{value}"^^<{XSD}gYear>'
            else:
                obj = f"<{_DIMENSION_IRI[dim]}{value}>"
            yield f"{subject} <{_DIMENSION_PREDICATE[dim]}> {obj} .\n"
        yield from _measures(subject, totals)
        yield f"{subject} {derived}"
    for (beneficiary, county), totals in sorted(accumulator.beneficiaries.items()):
        subject = f"<{CELLS}{key}/beneficiary/{county}/{_local(beneficiary)}>"
        yield f"{subject} <{RDF}type> <{TG}BeneficiarySummary> .\n"
        yield f"{subject} <{TG}summaryBeneficiary> <{beneficiary}> .\n"
        yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
        yield from _measures(subject, totals)
        yield f"{subject} {derived}"


def rank_lines(beneficiaries: dict[tuple[str, str], Totals]) -> Iterator[str]:
    """The top list of each county, over all project graphs' beneficiary sums."""
    by_county: dict[str, list[tuple[str, Totals]]] = {}
    for (beneficiary, county), totals in beneficiaries.items():
        by_county.setdefault(county, []).append((beneficiary, totals))
    for county in sorted(by_county):
        ranked = sorted(by_county[county], key=lambda bt: (-bt[1].granted, bt[0]))[:TOP]
        for rank, (beneficiary, totals) in enumerate(ranked, start=1):
            subject = f"<{TOP_CELLS}{county}/{rank}>"
            yield f"{subject} <{RDF}type> <{TG}BeneficiaryRank> .\n"
            yield f"{subject} <{TG}rank> {_integer(rank)} .\n"
            yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
            yield f"{subject} <{TG}summaryBeneficiary> <{beneficiary}> .\n"
            yield from _measures(subject, totals)


# --------------------------------------------------------------------------- the graph


def contributing_graphs(store: ox.Store) -> list[str]:
    """Project graphs whose sums the summaries graph holds (from the metadata graph)."""
    quads = store.quads_for_pattern(ox.NamedNode(SUMMARIES_GRAPH),
                                    ox.NamedNode(PROV + "wasDerivedFrom"), None,
                                    ox.NamedNode(METADATA_GRAPH))
    return sorted(q.object.value for q in quads)


def _kept(store: ox.Store, keep_keys: set[str],
          beneficiaries: dict[tuple[str, str], Totals]) -> list[str]:
    """Other graphs' cells as N-Triples; their beneficiary sums are added up on the way."""
    if not keep_keys:
        return []
    lines = []
    partial: dict[str, dict[str, Any]] = {}
    measures = {TG + "summaryBeneficiary", TG + "summaryCounty", TG + "grantedAmount",
                TG + "paidAmount", TG + "projectCount"}
    for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(SUMMARIES_GRAPH)):
        subject = quad.subject.value
        if not subject.startswith(CELLS) or subject.startswith(TOP_CELLS):
            continue
        key, _, rest = subject.removeprefix(CELLS).partition("/")
        if key not in keep_keys:
            continue
        lines.append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
        if rest.startswith("beneficiary/") and quad.predicate.value in measures:
            partial.setdefault(subject, {})[quad.predicate.value] = quad.object.value
    for cell in partial.values():
        beneficiary = cell[TG + "summaryBeneficiary"]
        county = cell[TG + "summaryCounty"].rsplit("/", 1)[1]
        totals = beneficiaries.get((beneficiary, county))
        if totals is None:
            totals = beneficiaries[(beneficiary, county)] = Totals()
        totals.granted += Decimal(cell[TG + "grantedAmount"])
        totals.paid += Decimal(cell[TG + "paidAmount"])
        totals.projects += int(cell[TG + "projectCount"])
    return lines


def rebuild(store: ox.Store, project_graph: str,
            accumulator: FundingAccumulator) -> tuple[list[str], str, int]:
    """Replace the summaries graph: this graph's new cells, other graphs' cells, top lists.

    Returns the project graphs it is derived from, the sha256 of its content and the
    number of lines written.
    """
    others = [g for g in contributing_graphs(store)
              if g != project_graph and store.contains_named_graph(ox.NamedNode(g))]
    combined: dict[tuple[str, str], Totals] = {}
    lines = _kept(store, {graph_key(g) for g in others}, combined)
    for key, totals in accumulator.beneficiaries.items():
        mine = combined.get(key)
        if mine is None:
            combined[key] = Totals(totals.granted, totals.paid, totals.projects)
        else:
            mine.granted += totals.granted
            mine.paid += totals.paid
            mine.projects += totals.projects
    lines.extend(cell_lines(accumulator, project_graph))
    lines.extend(rank_lines(combined))
    target = ox.NamedNode(SUMMARIES_GRAPH)
    if store.contains_named_graph(target):
        store.remove_graph(target)
    data = "".join(lines).encode("utf-8")
    store.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=target)
    return sorted([*others, project_graph]), hashlib.sha256(data).hexdigest(), len(lines)

