"""Funding summaries: aggregates of the project graphs, kept as a derived graph of their own.

A SPARQL GROUP BY over a million projects takes about half a minute in pyoxigraph, longer
than an analyst should wait and longer than the query time limit. So the loader sums up
while it maps a project table, in one pass over the rows (dictionaries keyed by county ×
funding source × priority × start year, by beneficiary × county, and the counties each
partner organisation works in), and writes the sums to ``…/graph/derived/funding-summaries``
in the same snapshot as the project graph. The catalog's funding questions look up those
cells; the raw project triples stay for everything the summaries do not cover.

The summaries graph (see the ontology for the terms):

* ``tg:FundingSummary`` cells for every *grouping set*, every subset of the dimensions
  county, source, priority (the four national priorities) and year, so that "amounts by
  county" is a lookup of 21 cells rather than a sum. ``tg:groupingSet`` names the
  dimensions (``"county year"``; ``"total"`` is the grand total); a dimension that is summed up
  has the value ``id/total`` (county, source, priority) or no value (year). Summed over
  sources a project counts once; with the source among the dimensions, a project counts in
  each of its sources. ``tg:summaryOrder`` numbers the cells of a grouping set in the order
  of their county, source and priority IRIs and year, the order the catalog answers in:
  sorting 4 000 cells by four terms costs the engine about as much as reading them, sorting
  by one integer almost nothing.
* ``tg:BeneficiarySummary`` cells per beneficiary and county, with ``tg:rank`` and
  ``tg:rankedInCounty`` for the ``TOP`` largest granted amounts of each county (the second
  so that a county's top list is read without reading all its beneficiaries).
* ``tg:SharedPartnersSummary`` cells per pair of counties: how many partner organisations
  take part in projects in both.
* ``tg:CofinancingSummary`` per organisation and each organisation that co-finances
  projects with it (both ``tg:cofinancedBy`` the same project): the projects and the money
  granted to them, and ``tg:rank`` among the organisation's co-financiers (most projects
  first), so that "who co-finances with X" reads X's cells only, in order, rather than all
  X's projects and their co-financiers and fundings. Only with a ``cofinanciers`` column in
  the mapping's ``[summaries.funding]``.
* ``tg:ProjectListSummary`` per county and (sub-)priority a project serves: the projects
  (``tg:summaryProject``), so that "the projects of a sub-priority in a county" reads those
  projects only, not every project of the county or of the sub-priority. Only with a
  ``sub_priority`` column in the mapping's ``[summaries.funding]``. Each list comes in
  chunks of ``CHUNK`` projects in the order of their start dates, each chunk with
  ``tg:summaryFirstRank``, the rank by start date of its first project (1 + the projects
  of the list that start earlier): a project among the first N of the list by start date
  has rank at most N, so the catalog's row cap reads only the chunks that start at most
  there (about N + ``CHUNK`` projects) instead of the whole list. Its
  ``tg:summaryFirstRankAllCounties`` adds the projects of the same (sub-)priority in the
  counties whose IRIs sort before, for the same cut when the answer spans all counties.

Every project graph's own sums are kept in ``…/funding-summaries-by-graph`` (cells under
``id/funding-summary/by-graph/{graph key}/``), so that loading one project file again
replaces its share and keeps the others'. The metadata graph records the summaries graph
``prov:wasDerivedFrom`` each project graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from typing import Any, TextIO

import pyoxigraph as ox

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders.csv_mapping import Mapping, canonical_decimal, normalise_number
from tillvaxtgraf.store.names import GRAPH, ID, METADATA_GRAPH, PROV, RDF, TG, XSD

SUMMARIES_GRAPH = GRAPH + "derived/funding-summaries"
PARTIALS_GRAPH = GRAPH + "derived/funding-summaries-by-graph"
TOTAL = ID + "total"
DIMENSIONS = ("county", "source", "priority", "year")
GROUPING_SETS = [dims for size in range(len(DIMENSIONS) + 1)
                 for dims in combinations(DIMENSIONS, size)]
TOP = 100
CHUNK = 100  # projects per chunk of a project list
SCHEMA_START = "https://schema.org/startDate"
CELLS = ID + "funding-summary/"
BY_GRAPH = CELLS + "by-graph/"
KEYS = ("project", "county", "priority", "year", "beneficiary", "sources", "granted")
OPTIONAL_KEYS = ("paid", "partners", "cofinanciers", "sub_priority", "separator")
_DIMENSION_IRI = {"county": ID + "county/", "source": ID + "funding-source/",
                  "priority": ID + "priority/"}
PROJECT = ID + "project/"  # + the `project` column (a slug), as both shipped mappings mint it
_DIMENSION_PREDICATE = {"county": TG + "summaryCounty", "source": TG + "fundingSource",
                        "priority": TG + "summaryPriority", "year": TG + "summaryYear"}
_PREDICATE_DIMENSION = {v: k for k, v in _DIMENSION_PREDICATE.items()}
_ZERO = Decimal(0)


def graph_key(graph: str) -> str:
    """The short key of a project graph in the IRIs of its own sums."""
    return hashlib.sha256(graph.encode("utf-8")).hexdigest()[:12]


@dataclass
class Totals:
    granted: Decimal = _ZERO
    paid: Decimal = _ZERO
    projects: int = 0

    def add(self, other: Totals) -> None:
        self.granted += other.granted
        self.paid += other.paid
        self.projects += other.projects


@dataclass
class FundingAccumulator:
    """Sums of project tables, filled row by row (``add``) while a table is mapped."""

    columns: dict[str, str] = field(default_factory=dict)
    decimal: str = "."
    separator: str = "|"
    # (county, source, priority, year) → amounts, and projects with money from the source
    cells: dict[tuple[str, str, str, str], Totals] = field(default_factory=dict)
    # (county, priority, year) → projects (each once, whatever its sources)
    projects: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # (beneficiary IRI, county) → amounts over all sources, projects
    beneficiaries: dict[tuple[str, str], Totals] = field(default_factory=dict)
    # partner IRI → counties of the projects it takes part in
    partners: dict[str, set[str]] = field(default_factory=dict)
    # (county, sub-priority) → (start date, project slug) of the projects that serve it there
    lists: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    # (organisation IRI, co-financier IRI) → granted amounts (all sources) and projects
    # the two co-finance together; both orders of each pair
    cofinancing: dict[tuple[str, str], Totals] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, mapping: Mapping, config: dict[str, Any]) -> FundingAccumulator:
        missing = [k for k in KEYS if k not in config]
        unknown = set(config) - {*KEYS, *OPTIONAL_KEYS}
        if missing or unknown:
            raise LoadError(f"bad mapping: [summaries.funding] needs {', '.join(missing)}"
                            if missing else
                            f"bad mapping: [summaries.funding] has unknown key(s) "
                            f"{sorted(unknown)}", source=str(mapping.path))
        columns = {k: str(config[k])
                   for k in (*KEYS, "paid", "partners", "cofinanciers", "sub_priority")
                   if k in config}
        return cls(columns, mapping.decimal, str(config.get("separator", "|")))

    def add(self, values: dict[str, str]) -> None:
        """One good row (its amounts are checked numbers by now)."""
        columns, sep, decimal = self.columns, self.separator, self.decimal
        county = values.get(columns["county"], "")
        priority = values.get(columns["priority"], "")
        year = values.get(columns["year"], "")[:4]
        sources = values.get(columns["sources"], "")
        granted = values.get(columns["granted"], "").split(sep)
        paid = values.get(columns.get("paid", ""), "").split(sep)
        row_granted = row_paid = _ZERO
        for index, source in enumerate(sources.split(sep) if sources else ()):
            g = _amount(granted, index, decimal)
            p = _amount(paid, index, decimal)
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
        partners = values.get(columns.get("partners", ""), "")
        if partners:
            for partner in partners.split(sep):
                partner = partner.strip()
                if partner:
                    self.partners.setdefault(partner, set()).add(county)
        cofinanciers = values.get(columns.get("cofinanciers", ""), "")
        if cofinanciers and sep in cofinanciers:  # a pair needs two
            distinct = sorted({c.strip() for c in cofinanciers.split(sep)} - {""})
            for first, second in combinations(distinct, 2):
                for pair in ((first, second), (second, first)):
                    totals = self.cofinancing.get(pair)
                    if totals is None:
                        totals = self.cofinancing[pair] = Totals()
                    totals.granted += row_granted
                    totals.projects += 1
        sub_priority = values.get(columns.get("sub_priority", ""), "")
        if sub_priority:
            key2 = (county, sub_priority)
            projects = self.lists.get(key2)
            if projects is None:
                projects = self.lists[key2] = []
            projects.append((values.get(columns["year"], ""), values.get(columns["project"], "")))

    def merge(self, other: FundingAccumulator) -> None:
        for key, totals in other.cells.items():
            self.cells.setdefault(key, Totals()).add(totals)
        for key, count in other.projects.items():
            self.projects[key] = self.projects.get(key, 0) + count
        for key, totals in other.beneficiaries.items():
            self.beneficiaries.setdefault(key, Totals()).add(totals)
        for partner, counties in other.partners.items():
            self.partners.setdefault(partner, set()).update(counties)
        for key2, projects in other.lists.items():
            self.lists.setdefault(key2, []).extend(projects)
        for pair, totals in other.cofinancing.items():
            self.cofinancing.setdefault(pair, Totals()).add(totals)

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
                    sums.setdefault(key, Totals()).projects += count
            for key in sorted(sums, key=_iri_order):
                yield dims, {d: v for d, v in zip(DIMENSIONS, key, strict=True)
                             if v is not None}, sums[key]

    def shared_partners(self) -> dict[tuple[str, str], int]:
        """(county, county) → how many partners take part in projects in both."""
        pairs: dict[tuple[str, str], int] = {}
        for counties in self.partners.values():
            if len(counties) > 1:
                for pair in combinations(sorted(counties), 2):
                    pairs[pair] = pairs.get(pair, 0) + 1
        return pairs


def _iri_order(key: tuple[str | None, ...]) -> tuple[str, ...]:
    """A cell's place as SPARQL's ORDER BY ?county ?source ?priority ?year puts it: IRIs
    by their text (``id/total`` for a summed dimension), no year first."""
    return tuple((v or "") if d == "year" else (_DIMENSION_IRI[d] + v if v else TOTAL)
                 for d, v in zip(DIMENSIONS, key, strict=True))


def _amount(items: list[str], index: int, decimal: str) -> Decimal:
    if index >= len(items):
        return _ZERO
    text = items[index].strip()
    return Decimal(normalise_number(text, decimal)) if text else _ZERO


# --------------------------------------------------------------------------- N-Triples


def _decimal(value: Decimal) -> str:
    return f'"{canonical_decimal(value)}"^^<{XSD}decimal>'


def _integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


def _measures(subject: str, totals: Totals) -> list[str]:
    return [f"{subject} <{TG}grantedAmount> {_decimal(totals.granted)} .\n",
            f"{subject} <{TG}paidAmount> {_decimal(totals.paid)} .\n",
            f"{subject} <{TG}projectCount> {_integer(totals.projects)} .\n"]


def _dimension(dim: str, value: str) -> str:
    if dim == "year":
        return f'"{value}"^^<{XSD}gYear>'
    return f"<{_DIMENSION_IRI[dim]}{value}>"


def _local(iri: str) -> str:
    return iri.removeprefix(ID).replace("/", "-")


def _ranked(pairs: Iterable[tuple[tuple[str, str], Totals]],
            order: Callable[[tuple[str, Totals]], Any]
            ) -> Iterator[tuple[str, int, str, Totals]]:
    """(group, rank, member, totals) of ((group, member), totals) pairs: groups in order,
    each group's members ranked from 1 by ``order`` of (member, totals)."""
    groups: dict[str, list[tuple[str, Totals]]] = {}
    for (group, member), totals in pairs:
        groups.setdefault(group, []).append((member, totals))
    for group in sorted(groups):
        for rank, (member, totals) in enumerate(sorted(groups[group], key=order), start=1):
            yield group, rank, member, totals


def summary_lines(acc: FundingAccumulator) -> Iterator[str]:
    """The summaries graph, for the sums of all project graphs together."""
    order, previous = 0, None
    for dims, values, totals in acc.rollups():
        order = order + 1 if dims == previous else 1
        previous = dims
        subject = f"<{CELLS}{'/'.join(values.get(d, 'total') for d in DIMENSIONS)}>"
        yield f"{subject} <{RDF}type> <{TG}FundingSummary> .\n"
        yield f'{subject} <{TG}groupingSet> "{" ".join(dims) or "total"}" .\n'
        yield f"{subject} <{TG}summaryOrder> {_integer(order)} .\n"
        for dim in DIMENSIONS:
            if dim in values:
                yield f"{subject} <{_DIMENSION_PREDICATE[dim]}> {_dimension(dim, values[dim])} .\n"
            elif dim != "year":
                yield f"{subject} <{_DIMENSION_PREDICATE[dim]}> <{TOTAL}> .\n"
        yield from _measures(subject, totals)
    beneficiaries = (((county, beneficiary), totals)
                     for (beneficiary, county), totals in acc.beneficiaries.items())
    for county, rank, beneficiary, totals in _ranked(
            beneficiaries, lambda bt: (-bt[1].granted, bt[0])):
        subject = f"<{CELLS}beneficiary/{county}/{_local(beneficiary)}>"
        yield f"{subject} <{RDF}type> <{TG}BeneficiarySummary> .\n"
        yield f"{subject} <{TG}summaryBeneficiary> <{beneficiary}> .\n"
        yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
        yield from _measures(subject, totals)
        if rank <= TOP:
            yield f"{subject} <{TG}rank> {_integer(rank)} .\n"
            yield f"{subject} <{TG}rankedInCounty> <{ID}county/{county}> .\n"
    for (first, second), count in sorted(acc.shared_partners().items()):
        subject = f"<{CELLS}shared-partners/{first}/{second}>"
        yield f"{subject} <{RDF}type> <{TG}SharedPartnersSummary> .\n"
        yield f"{subject} <{TG}summaryCounty> <{ID}county/{first}> .\n"
        yield f"{subject} <{TG}summaryCounty> <{ID}county/{second}> .\n"
        yield f"{subject} <{TG}sharedPartnerCount> {_integer(count)} .\n"
    # The order of the catalog's answer: most projects first, then by IRI.
    for organisation, rank, other, totals in _ranked(
            acc.cofinancing.items(), lambda ot: (-ot[1].projects, ot[0])):
        subject = f"<{CELLS}cofinancing/{_local(organisation)}/{_local(other)}>"
        yield f"{subject} <{RDF}type> <{TG}CofinancingSummary> .\n"
        yield f"{subject} <{TG}summaryOrganisation> <{organisation}> .\n"
        yield f"{subject} <{TG}summaryCofinancier> <{other}> .\n"
        yield f"{subject} <{TG}grantedAmount> {_decimal(totals.granted)} .\n"
        yield f"{subject} <{TG}projectCount> {_integer(totals.projects)} .\n"
        yield f"{subject} <{TG}rank> {_integer(rank)} .\n"
    # Counties in the order of their IRIs (the county codes sort as the IRIs do), so
    # that a list's projects in earlier counties are counted before it.
    in_earlier_counties: dict[str, int] = {}  # sub-priority → its projects so far
    for (county, sub_priority), projects in sorted(acc.lists.items()):
        ranked = _by_start(projects)
        ranks: list[int] = []  # 1 + the projects that start earlier
        for index, (start, _) in enumerate(ranked):
            ranks.append(ranks[-1] if index and ranked[index - 1][0] == start else index + 1)
        earlier = in_earlier_counties.get(sub_priority, 0)
        in_earlier_counties[sub_priority] = earlier + len(ranked)
        for chunk in range(0, len(ranked), CHUNK):
            subject = f"<{CELLS}project-list/{county}/{sub_priority}/{chunk // CHUNK + 1}>"
            rank = ranks[chunk]
            yield f"{subject} <{RDF}type> <{TG}ProjectListSummary> .\n"
            yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
            yield f"{subject} <{TG}summarySubPriority> <{ID}priority/{sub_priority}> .\n"
            yield f"{subject} <{TG}summaryFirstRank> {_integer(rank)} .\n"
            yield (f"{subject} <{TG}summaryFirstRankAllCounties> "
                   f"{_integer(earlier + rank)} .\n")
            for _, project in ranked[chunk:chunk + CHUNK]:
                yield f"{subject} <{TG}summaryProject> <{PROJECT}{project}> .\n"


def _by_start(projects: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(start, slug) once per project, by start date (then slug)."""
    first: dict[str, str] = {}
    for start, project in projects:
        if project not in first or start < first[project]:
            first[project] = start
    return sorted((start, project) for project, start in first.items())


def _list_lines(base: str, acc: FundingAccumulator) -> Iterator[str]:
    for (county, sub_priority), projects in sorted(acc.lists.items()):
        subject = f"<{base}{county}/{sub_priority}>"
        yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
        yield f"{subject} <{TG}summarySubPriority> <{ID}priority/{sub_priority}> .\n"
        for project in sorted({project for _, project in projects}):
            yield f"{subject} <{TG}summaryProject> <{PROJECT}{project}> .\n"


def partial_lines(acc: FundingAccumulator, project_graph: str) -> Iterator[str]:
    """One project graph's own sums, to add up again when another graph changes."""
    base = f"{BY_GRAPH}{graph_key(project_graph)}/"
    yield f"<{base}> <{PROV}wasDerivedFrom> <{project_graph}> .\n"
    for (county, source, priority, year), totals in sorted(acc.cells.items()):
        subject = f"<{base}cell/{county}/{source}/{priority}/{year}>"
        for dim, value in zip(DIMENSIONS, (county, source, priority, year), strict=True):
            yield f"{subject} <{_DIMENSION_PREDICATE[dim]}> {_dimension(dim, value)} .\n"
        yield from _measures(subject, totals)
    for (county, priority, year), count in sorted(acc.projects.items()):
        subject = f"<{base}projects/{county}/{priority}/{year}>"
        for dim, value in (("county", county), ("priority", priority), ("year", year)):
            yield f"{subject} <{_DIMENSION_PREDICATE[dim]}> {_dimension(dim, value)} .\n"
        yield f"{subject} <{TG}projectCount> {_integer(count)} .\n"
    for (beneficiary, county), totals in sorted(acc.beneficiaries.items()):
        subject = f"<{base}beneficiary/{county}/{_local(beneficiary)}>"
        yield f"{subject} <{TG}summaryBeneficiary> <{beneficiary}> .\n"
        yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
        yield from _measures(subject, totals)
    for partner, counties in sorted(acc.partners.items()):
        subject = f"<{base}partner/{_local(partner)}>"
        yield f"{subject} <{TG}summaryPartner> <{partner}> .\n"
        for county in sorted(counties):
            yield f"{subject} <{TG}summaryCounty> <{ID}county/{county}> .\n"
    for (organisation, other), totals in sorted(acc.cofinancing.items()):
        subject = f"<{base}cofinancing/{_local(organisation)}/{_local(other)}>"
        yield f"{subject} <{TG}summaryOrganisation> <{organisation}> .\n"
        yield f"{subject} <{TG}summaryCofinancier> <{other}> .\n"
        yield f"{subject} <{TG}grantedAmount> {_decimal(totals.granted)} .\n"
        yield f"{subject} <{TG}projectCount> {_integer(totals.projects)} .\n"
    yield from _list_lines(f"{base}list/", acc)


def read_partials(store: ox.Store, keys: set[str]) -> dict[str, FundingAccumulator]:
    """The sums of the project graphs with these keys, read back from the partials graph."""
    found: dict[str, FundingAccumulator] = {}
    if not keys:
        return found
    subjects: dict[str, dict[str, list[str]]] = {}
    for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(PARTIALS_GRAPH)):
        key, _, rest = quad.subject.value.removeprefix(BY_GRAPH).partition("/")
        if key in keys and rest:
            subjects.setdefault(quad.subject.value, {}).setdefault(
                quad.predicate.value, []).append(quad.object.value)
    for subject, values in subjects.items():
        key, kind = subject.removeprefix(BY_GRAPH).split("/")[:2]
        acc = found.setdefault(key, FundingAccumulator())
        dims = {_PREDICATE_DIMENSION[p]: v[0].rsplit("/", 1)[-1]
                for p, v in values.items() if p in _PREDICATE_DIMENSION}

        def totals(v: dict[str, list[str]] = values) -> Totals:
            return Totals(Decimal(v[TG + "grantedAmount"][0]), Decimal(v[TG + "paidAmount"][0]),
                          int(v[TG + "projectCount"][0]))

        if kind == "cell":
            acc.cells.setdefault(tuple(dims[d] for d in DIMENSIONS), Totals()).add(totals())
        elif kind == "projects":
            key3 = (dims["county"], dims["priority"], dims["year"])
            acc.projects[key3] = acc.projects.get(key3, 0) + int(values[TG + "projectCount"][0])
        elif kind == "beneficiary":
            key2 = (values[TG + "summaryBeneficiary"][0], dims["county"])
            acc.beneficiaries.setdefault(key2, Totals()).add(totals())
        elif kind == "partner":
            acc.partners.setdefault(values[TG + "summaryPartner"][0], set()).update(
                c.rsplit("/", 1)[-1] for c in values[TG + "summaryCounty"])
        elif kind == "cofinancing":
            pair = (values[TG + "summaryOrganisation"][0], values[TG + "summaryCofinancier"][0])
            acc.cofinancing.setdefault(pair, Totals()).add(Totals(
                Decimal(values[TG + "grantedAmount"][0]), _ZERO,
                int(values[TG + "projectCount"][0])))
        elif kind == "list":
            key2 = (dims["county"], values[TG + "summarySubPriority"][0].removeprefix(
                ID + "priority/"))
            # The partials list the projects only; their start dates are in their triples.
            acc.lists.setdefault(key2, []).extend(
                (_start(store, p), p.removeprefix(PROJECT)) for p in values[TG + "summaryProject"])
    return found


def _start(store: ox.Store, project: str) -> str:
    quad = next(store.quads_for_pattern(ox.NamedNode(project), ox.NamedNode(SCHEMA_START),
                                        None, None), None)
    return quad.object.value if quad is not None else ""


# --------------------------------------------------------------------------- the graph


def contributing_graphs(store: ox.Store) -> list[str]:
    """Project graphs whose sums the summaries graph holds (from the metadata graph)."""
    quads = store.quads_for_pattern(ox.NamedNode(SUMMARIES_GRAPH),
                                    ox.NamedNode(PROV + "wasDerivedFrom"), None,
                                    ox.NamedNode(METADATA_GRAPH))
    return sorted(q.object.value for q in quads)


@dataclass
class PreparedSummaries:
    """The derived graphs of a load, written to a file and waiting for ``apply``."""

    path: Path  # N-Quads of every derived graph
    graphs: list[str]  # the project graphs the summaries come from
    written: list[tuple[str, str, int]]  # (derived graph, sha256, lines)


def _write_graphs(path: Path, graphs: list[tuple[str, Iterator[str]]]
                  ) -> list[tuple[str, str, int]]:
    """Write the graphs' N-Triples lines to one N-Quads file, in chunks (with a list entry
    per project they hold millions of lines at a million projects). Returns (graph,
    sha256, lines)."""
    written = []
    with path.open("w", encoding="utf-8") as out:
        for graph, lines in graphs:
            digest, count, chunk = hashlib.sha256(), 0, []
            for line in lines:
                chunk.append(line)
                if len(chunk) == 50_000:
                    count += _write_chunk(out, digest, chunk, graph)
            count += _write_chunk(out, digest, chunk, graph)
            written.append((graph, digest.hexdigest(), count))
    return written


def _write_chunk(out: TextIO, digest: Any, chunk: list[str], graph: str) -> int:
    """Hash N-Triples lines and write them as N-Quads in ``graph``; empties the chunk."""
    text = "".join(chunk)
    digest.update(text.encode("utf-8"))
    out.write(text.replace(" .\n", f" <{graph}> .\n"))  # " .\n" ends lines only
    count = len(chunk)
    chunk.clear()
    return count


def prepare(store: ox.Store, project_graph: str, accumulator: FundingAccumulator,
            folder: Path) -> PreparedSummaries:
    """Write the summaries (and by-graph) graphs for when ``project_graph`` holds the
    table summed in ``accumulator``, to a file in ``folder``.

    Called before the project graph's bulk load, which changes nothing read here (the
    other project graphs' sums), so the sums need not stay in memory beside the bulk
    loader: the caller drops the accumulator afterwards.
    """
    others = [g for g in contributing_graphs(store)
              if g != project_graph and store.contains_named_graph(ox.NamedNode(g))]
    stored = read_partials(store, {graph_key(g) for g in others})
    by_graph = {g: stored.get(graph_key(g), FundingAccumulator()) for g in others}
    if by_graph:
        total = FundingAccumulator()
        for acc in [*by_graph.values(), accumulator]:
            total.merge(acc)
    else:  # the usual case, one project graph: its sums are the total (no copy)
        total = accumulator
    by_graph[project_graph] = accumulator

    def partials() -> Iterator[str]:
        for graph in sorted(by_graph):
            yield from partial_lines(by_graph[graph], graph)

    path = folder / "funding-summaries.nq"
    written = _write_graphs(path, [(SUMMARIES_GRAPH, summary_lines(total)),
                                   (PARTIALS_GRAPH, partials())])
    return PreparedSummaries(path, sorted(by_graph), written)


def apply(store: ox.Store, prepared: PreparedSummaries) -> None:
    """Replace the derived graphs with the prepared ones, in one bulk load (each bulk load
    has a fixed cost of seconds in a big store); the file is removed afterwards."""
    for graph, _, _ in prepared.written:
        node = ox.NamedNode(graph)
        if store.contains_named_graph(node):
            store.remove_graph(node)
    store.bulk_load(path=str(prepared.path), format=ox.RdfFormat.N_QUADS)
    prepared.path.unlink(missing_ok=True)
