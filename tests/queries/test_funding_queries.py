"""The funding questions of the catalog on project data: exact sums, and summaries that agree
with the raw triples.

``small``: the bundled data plus the hand-written table tests/loaders/data/projects-small.csv
(four projects), whose sums are written out below from the table. ``generated``: 400
generated projects in two project graphs, where every summary must equal a GROUP BY over
the raw project triples (project lists in chunks of 2, so that the short lists of 400
projects come in several chunks).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from tillvaxtgraf.data import data_dir
from tillvaxtgraf.loaders import funding_summaries
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import csv_source
from tillvaxtgraf.queries.catalog import load_catalog, run_named
from tillvaxtgraf.store.embedded_backend import EmbeddedStore
from tillvaxtgraf.store.snapshots import SnapshotDir

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "loaders" / "data" / "projects-small.csv"
MAPPING = data_dir() / "projects" / "generator.mapping.toml"
CATALOG = load_catalog()
ID = "https://w3id.org/tillvaxtgraf/id/"
TOTAL = ID + "total"
C24, C01 = ID + "county/24", ID + "county/01"
ERUF, ESF = ID + "funding-source/eruf", ID + "funding-source/esf"
OFFENTLIG = ID + "funding-source/offentlig-medfinansiering"
PRIVAT = ID + "funding-source/privat-medfinansiering"
ANSLAG = ID + "funding-source/anslag-1-1-regionala-tillvaxtatgarder"
INNOVATION = ID + "priority/innovation-och-foretagande"
KOMPETENS = ID + "priority/kompetensforsorjning"
ATTRAKTIVA = ID + "priority/attraktiva-miljoer-och-tillganglighet"
REGION_24 = ID + "region/24"
KOMPETENS_AB = ID + "organisation/559123-4561"


@pytest.fixture(scope="module")
def small(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory, copy_store
          ) -> Iterator[EmbeddedStore]:
    path = copy_store(bundled_store_path, tmp_path_factory.mktemp("small") / "store")
    load_sources(path, [csv_source(MAPPING, SMALL)], progress=False)
    store = EmbeddedStore(path)
    yield store
    store.close()


def ask(store: EmbeddedStore, name: str, **values: str) -> list[dict[str, str]]:
    answer = run_named(store, CATALOG[name], values, max_rows=0)
    return [{k: v.value for k, v in row.items()} for row in answer.rows]


def amounts(rows: list[dict[str, str]], *keys: str) -> dict[tuple[str, ...], tuple]:
    return {tuple(r.get(k, "") for k in keys):
            (Decimal(r["granted"]), Decimal(r["paid"]), int(r["projects"])) for r in rows}


# --------------------------------------------------------------------------- exact sums


def test_amounts_by_county(small) -> None:
    rows = ask(small, "funding_amounts", by="county")
    assert amounts(rows, "county") == {
        (C01,): (Decimal("2750000"), Decimal("1300000"), 1),
        (C24,): (Decimal("2700000.50"), Decimal("2150000.49"), 3),
    }
    assert {r["source"] for r in rows} == {TOTAL} and {r["sourceLabel"] for r in rows} == {"Totalt"}
    assert [r["countyLabel"] for r in rows] == ["Stockholms län", "Västerbottens län"]


def test_amounts_by_source_count_a_project_in_each_of_its_sources(small) -> None:
    assert amounts(ask(small, "funding_amounts", by="source"), "source") == {
        (ERUF,): (Decimal("1400000"), Decimal("1349999.99"), 2),
        (OFFENTLIG,): (Decimal("1000000.50"), Decimal("800000.50"), 2),
        (ESF,): (Decimal("2500000"), Decimal("1200000"), 1),
        (PRIVAT,): (Decimal("250000"), Decimal("100000"), 1),
        (ANSLAG,): (Decimal("300000"), Decimal("0"), 1),
    }


def test_amounts_by_priority_year_and_in_total(small) -> None:
    assert amounts(ask(small, "funding_amounts", by="priority"), "priority") == {
        (INNOVATION,): (Decimal("2200000.50"), Decimal("2150000.49"), 2),
        (KOMPETENS,): (Decimal("2750000"), Decimal("1300000"), 1),
        (ATTRAKTIVA,): (Decimal("500000"), Decimal("0"), 1),
    }
    assert amounts(ask(small, "funding_amounts", by="year"), "year") == {
        ("2019",): (Decimal("2200000.50"), Decimal("2150000.49"), 2),
        ("2021",): (Decimal("2750000"), Decimal("1300000"), 1),
        ("2026",): (Decimal("500000"), Decimal("0"), 1),
    }
    assert amounts(ask(small, "funding_amounts", by="total"), "county") == {
        (TOTAL,): (Decimal("5450000.50"), Decimal("3450000.49"), 4)}


def test_amounts_filtered_by_the_dimensions_of_by(small) -> None:
    rows = ask(small, "funding_amounts", by="county source", county=C24, lang="en")
    assert amounts(rows, "source") == {
        (ERUF,): (Decimal("1400000"), Decimal("1349999.99"), 2),
        (OFFENTLIG,): (Decimal("1000000.50"), Decimal("800000.50"), 2),
        (ANSLAG,): (Decimal("300000"), Decimal("0"), 1),
    }
    assert {r["countyLabel"] for r in rows} == {"Västerbotten County"}
    rows = ask(small, "funding_amounts", by="county source priority year", year="2019")
    assert amounts(rows, "county", "source", "priority", "year") == {
        (C24, ERUF, INNOVATION, "2019"): (Decimal("1400000"), Decimal("1349999.99"), 2),
        (C24, OFFENTLIG, INNOVATION, "2019"): (Decimal("800000.50"), Decimal("800000.50"), 1),
    }
    # A filter on a dimension that `by` sums over matches no cell.
    assert ask(small, "funding_amounts", by="county", source=ERUF) == []
    assert ask(small, "funding_amounts", by="county", year="2019") == []


def test_top_beneficiaries(small) -> None:
    rows = ask(small, "top_beneficiaries", county=C24)
    assert [(r["rank"], r["beneficiary"], Decimal(r["granted"]), Decimal(r["paid"]),
             r["projects"]) for r in rows] == [
        ("1", REGION_24, Decimal("2200000.50"), Decimal("2150000.49"), "2"),
        ("2", KOMPETENS_AB, Decimal("500000"), Decimal("0"), "1"),
    ]
    assert [r["beneficiaryLabel"] for r in rows] == ["Region Västerbotten", "Kompetens & Co AB"]
    assert [(r["county"], r["beneficiary"]) for r in ask(small, "top_beneficiaries", top="1")] \
        == [(C01, KOMPETENS_AB), (C24, REGION_24)]


def test_organisations_that_cofinance_with_a_given_one(small) -> None:
    umea = ID + "municipality/2480"
    rows = ask(small, "cofinancing_organisations", organisation=umea)
    assert [(r["other"], r["otherLabel"], r["projects"], Decimal(r["grantedTotal"]))
            for r in rows] == [(REGION_24, "Region Västerbotten", "1", Decimal("500000"))]
    assert [r["other"] for r in ask(small, "cofinancing_organisations",
                                    organisation=REGION_24)] == [umea]
    assert ask(small, "cofinancing_organisations", organisation=ID + "municipality/0180") == []


def test_the_row_cap_gives_the_first_rows_of_the_whole_answer(small) -> None:
    # Without a dimension filter the catalog cuts the cells by their tg:summaryOrder (the
    # row cap, written into the query); with one it only limits the rows, as elsewhere.
    for values in ({"by": "county source priority year"}, {"by": "source year"},
                   {"by": "county source priority year", "county": C24}):
        whole = run_named(small, CATALOG["funding_amounts"], values, max_rows=0)
        assert len(whole.rows) > 3, values
        for cap in (1, 3, len(whole.rows) - 1, len(whole.rows)):
            capped = run_named(small, CATALOG["funding_amounts"], values, max_rows=cap)
            assert capped.rows == whole.rows[:cap], (values, cap)
            assert capped.truncated == (cap < len(whole.rows))


def test_projects_that_serve_a_sub_priority(small) -> None:
    priority = ID + "priority/innovation-och-forskning"
    rows = ask(small, "sub_priority_projects", priority=priority)
    assert [(r["caseNumber"], r["county"], r["start"], r["beneficiary"], r["statusLabel"])
            for r in rows] == [
        ("2019000101", C24, "2019-03-01", REGION_24, "Avslutat"),
        ("2019000102", C24, "2019-11-15", REGION_24, "Avslutat"),
    ]
    assert len(ask(small, "sub_priority_projects", priority=priority, year="2019")) == 2
    assert ask(small, "sub_priority_projects", priority=priority, year="2020") == []
    assert ask(small, "sub_priority_projects", priority=priority, county=C01) == []
    # One of the four priorities: the projects of all its sub-priorities.
    assert [r["caseNumber"] for r in ask(small, "sub_priority_projects", priority=INNOVATION)] \
        == ["2019000101", "2019000102"]
    assert [r["subPriority"] for r in ask(small, "sub_priority_projects", priority=ATTRAKTIVA)] \
        == [ID + "priority/kultur-fritid-och-besoksnaring"]


def test_regions_whose_projects_share_partners(small) -> None:
    rows = ask(small, "shared_partners", county=C24)
    assert [(r["other"], r["otherRegion"], r["sharedPartners"]) for r in rows] == [
        (C01, ID + "region/01", "1")]  # Norrskens Vätgas AB, a partner in 24 and in 01
    assert [(r["county"], r["other"]) for r in ask(small, "shared_partners")] == [
        (C01, C24), (C24, C01)]


# --------------------------------------------------------------------------- summaries = raw


@pytest.fixture(scope="module")
def generated_dir(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory,
                  copy_store) -> Path:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import generate_projects
    finally:
        sys.path.remove(str(REPO / "bench"))
    folder = tmp_path_factory.mktemp("generated")
    path = copy_store(bundled_store_path, folder / "store")
    # 400 projects, split into two files (a case number belongs in one file only).
    whole = folder / "all.csv"
    generate_projects.write(generate_projects.generate(400, seed=11), whole, "csv", "generator")
    header, *rows = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    tables = []
    for name, part in (("first", rows[:200]), ("second", rows[200:])):
        table = folder / f"{name}.csv"
        table.write_text(header + "".join(part), encoding="utf-8")
        tables.append(csv_source(MAPPING, table))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(funding_summaries, "CHUNK", 2)
        load_sources(path, tables, progress=False)
    return path


@pytest.fixture(scope="module")
def generated(generated_dir: Path) -> ox.Store:
    snapshot = SnapshotDir(generated_dir).current()
    assert snapshot is not None
    return ox.Store.read_only(str(snapshot.path))


PREFIXES = """PREFIX tg: <https://w3id.org/tillvaxtgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
"""
# The raw answer per grouping set: every funding of every project, by the set's dimensions.
RAW = PREFIXES + """
SELECT {dims} (SUM(?g) AS ?granted) (SUM(COALESCE(?p, 0)) AS ?paid)
    (COUNT(DISTINCT ?project) AS ?projects)
WHERE {{
  ?funding schema:fundedItem ?project ; tg:fundingSource ?source ; tg:grantedAmount ?g .
  OPTIONAL {{ ?funding tg:paidAmount ?p }}
  ?project tg:runsInCounty ?county ; tg:servesPriority ?sub ; schema:startDate ?start .
  ?sub skos:broader? ?priority . ?priority a tg:Priority .
  BIND(STR(YEAR(?start)) AS ?year)
}} {group}
"""
SUMMARY = PREFIXES + """
SELECT ?county ?source ?priority ?year ?granted ?paid ?projects WHERE {{
  ?cell tg:groupingSet "{name}" ; tg:summaryCounty ?county ; tg:fundingSource ?source ;
      tg:summaryPriority ?priority ; tg:grantedAmount ?granted ; tg:paidAmount ?paid ;
      tg:projectCount ?projects .
  OPTIONAL {{ ?cell tg:summaryYear ?y }} BIND(STR(?y) AS ?year)
}}
"""


@pytest.mark.parametrize("dims", [("county",), ("source",), ("priority",), ("year",),
                                  ("county", "year"), ("county", "source", "priority", "year"),
                                  ()])
def test_every_summary_equals_the_sum_over_the_raw_triples(generated, dims) -> None:
    name = " ".join(dims) or "total"
    variables = " ".join(f"?{d}" for d in dims)
    text = RAW.format(dims=variables, group=f"GROUP BY {variables}" if dims else "")
    raw = {tuple(r[d].value for d in dims):
           (Decimal(r["granted"].value), Decimal(r["paid"].value), int(r["projects"].value))
           for r in generated.query(text, use_default_graph_as_union=True)}
    summary = {tuple(r[d].value for d in dims):
               (Decimal(r["granted"].value), Decimal(r["paid"].value), int(r["projects"].value))
               for r in generated.query(SUMMARY.format(name=name),
                                        use_default_graph_as_union=True)}
    assert summary == raw
    assert sum(g for g, _, _ in summary.values()) > 0


def test_ranks_and_shared_partners_equal_the_raw_triples(generated) -> None:
    raw = PREFIXES + """
    SELECT ?county ?b (SUM(?g) AS ?granted) WHERE {
      ?project tg:beneficiary ?b ; tg:runsInCounty ?county .
      ?funding schema:fundedItem ?project ; tg:grantedAmount ?g .
    } GROUP BY ?county ?b"""
    by_county: dict[str, list[tuple[Decimal, str]]] = {}
    for r in generated.query(raw, use_default_graph_as_union=True):
        by_county.setdefault(r["county"].value, []).append((-Decimal(r["granted"].value),
                                                           r["b"].value))
    ranked = PREFIXES + """
    SELECT ?county ?rank ?b WHERE { ?c tg:rank ?rank ; tg:summaryCounty ?county ;
      tg:rankedInCounty ?county ; tg:summaryBeneficiary ?b } ORDER BY ?county ?rank"""
    got: dict[str, list[str]] = {}
    for r in generated.query(ranked, use_default_graph_as_union=True):
        got.setdefault(r["county"].value, []).append(r["b"].value)
    assert got == {c: [b for _, b in sorted(v)][:100] for c, v in by_county.items()}

    pairs = PREFIXES + """
    SELECT ?a ?b (COUNT(DISTINCT ?org) AS ?n) WHERE {
      ?p1 tg:partner ?org ; tg:runsInCounty ?a . ?p2 tg:partner ?org ; tg:runsInCounty ?b .
      FILTER(STR(?a) < STR(?b))
    } GROUP BY ?a ?b"""
    expected = {(r["a"].value, r["b"].value): int(r["n"].value)
                for r in generated.query(pairs, use_default_graph_as_union=True)}
    summary = PREFIXES + """
    SELECT ?a ?b ?n WHERE { ?c a tg:SharedPartnersSummary ; tg:summaryCounty ?a , ?b ;
      tg:sharedPartnerCount ?n FILTER(STR(?a) < STR(?b)) }"""
    assert {(r["a"].value, r["b"].value): int(r["n"].value)
            for r in generated.query(summary, use_default_graph_as_union=True)} == expected
    assert expected


def test_cofinancing_pairs_equal_the_raw_triples(generated) -> None:
    raw = PREFIXES + """
    SELECT ?a ?b (COUNT(DISTINCT ?project) AS ?n) (SUM(COALESCE(?g, 0)) AS ?granted) WHERE {
      ?project tg:cofinancedBy ?a , ?b . FILTER(!sameTerm(?a, ?b))
      OPTIONAL { ?funding schema:fundedItem ?project ; tg:grantedAmount ?g }
    } GROUP BY ?a ?b"""
    expected = {(r["a"].value, r["b"].value): (int(r["n"].value), Decimal(r["granted"].value))
                for r in generated.query(raw, use_default_graph_as_union=True)}
    summary = PREFIXES + """
    SELECT ?a ?b ?n ?granted ?rank WHERE { ?c a tg:CofinancingSummary ;
      tg:summaryOrganisation ?a ; tg:summaryCofinancier ?b ; tg:projectCount ?n ;
      tg:grantedAmount ?granted ; tg:rank ?rank }"""
    rows = list(generated.query(summary, use_default_graph_as_union=True))
    assert {(r["a"].value, r["b"].value): (int(r["n"].value), Decimal(r["granted"].value))
            for r in rows} == expected
    assert len(expected) > 20 and max(n for n, _ in expected.values()) > 1
    # Ranked per organisation: most projects first, then by IRI; 1, 2, 3, … without gaps.
    ranks: dict[str, list[tuple[int, str]]] = {}
    for r in rows:
        ranks.setdefault(r["a"].value, []).append((int(r["rank"].value), r["b"].value))
    for a, ranked in ranks.items():
        order = sorted((-expected[(a, b)][0], b) for _, b in ranked)
        assert [b for _, b in sorted(ranked)] == [b for _, b in order]
        assert [rank for rank, _ in sorted(ranked)] == list(range(1, len(ranked) + 1))
    busiest = max(ranks, key=lambda a: len(ranks[a]))
    answer = catalog_rows(generated, "cofinancing_organisations", organisation=busiest)
    assert [(r["other"], int(r["projects"]), Decimal(r["grantedTotal"])) for r in answer] == \
        [(b, *expected[(busiest, b)]) for _, b in sorted(ranks[busiest])]


def catalog_rows(store: ox.Store, name: str, **values: str) -> list[dict[str, str]]:
    """A catalog query on the store itself, its parameters bound as the runner binds them."""
    query = CATALOG[name]
    bound = query.bind(values)
    subs = {ox.Variable(k): ox.NamedNode(v.value) if v.kind == "uri" else
            ox.Literal(v.value, datatype=ox.NamedNode(v.datatype)) if v.datatype else
            ox.Literal(v.value) for k, v in bound.items()}
    solutions = store.query(query.prepared(bound), substitutions=subs,
                            use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables if v.value not in bound]
    return [{n: r[n].value for n in names if r[n] is not None} for r in solutions]


def test_the_full_cube_comes_in_order_with_the_labels_of_its_dimensions(generated) -> None:
    rows = catalog_rows(generated, "funding_amounts", by="county source priority year",
                        lang="en")
    keys = [(r["county"], r["source"], r["priority"], r["year"]) for r in rows]
    assert len(keys) > 100 and keys == sorted(keys)
    labels = PREFIXES + """SELECT ?x ?l WHERE { ?x skos:prefLabel ?l FILTER(LANG(?l) = "en") }"""
    english = {r["x"].value: r["l"].value
               for r in generated.query(labels, use_default_graph_as_union=True)}
    for row in rows[:: len(rows) // 20]:
        for dim in ("county", "source", "priority"):
            assert row[dim + "Label"] == english[row[dim]], (dim, row)


@pytest.mark.parametrize("county", [C24, C01, None])
def test_projects_of_a_sub_priority_are_those_of_the_raw_triples(generated, county) -> None:
    raw = PREFIXES + """SELECT ?project WHERE {{
      {{ ?project tg:servesPriority <{p}> }} UNION {{ ?project tg:servesPriority ?sub .
        ?sub skos:broader <{p}> }}
      ?project tg:runsInCounty {c} }}"""
    found = 0
    for priority in (ID + "priority/kapitalforsorjning", INNOVATION, KOMPETENS):
        text = raw.format(p=priority, c=f"<{county}>" if county else "?county")
        expected = sorted(r["project"].value for r in generated.query(
            text, use_default_graph_as_union=True))
        values = {"priority": priority, **({"county": county} if county else {})}
        got = [r["project"] for r in catalog_rows(generated, "sub_priority_projects", **values)]
        assert sorted(got) == expected and len(got) == len(set(got))
        found += len(got)
    assert found


def test_project_lists_come_in_chunks_by_start_date(generated) -> None:
    raw = PREFIXES + """SELECT ?county ?sub ?project ?start WHERE {
      ?project tg:runsInCounty ?county ; tg:servesPriority ?sub ; schema:startDate ?start }"""
    lists: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in generated.query(raw, use_default_graph_as_union=True):
        lists.setdefault((r["county"].value, r["sub"].value), []).append(
            (r["start"].value, r["project"].value))
    chunks = PREFIXES + """SELECT ?list ?county ?sub ?first ?across ?project WHERE {
      ?list a tg:ProjectListSummary ; tg:summaryCounty ?county ; tg:summarySubPriority ?sub ;
        tg:summaryFirstRank ?first ; tg:summaryFirstRankAllCounties ?across ;
        tg:summaryProject ?project }"""
    got: dict[str, tuple[tuple[str, str], int, set[str]]] = {}
    across: dict[str, int] = {}
    for r in generated.query(chunks, use_default_graph_as_union=True):
        key = (r["county"].value, r["sub"].value)
        got.setdefault(r["list"].value, (key, int(r["first"].value), set()))[2].add(
            r["project"].value)
        across[r["list"].value] = int(r["across"].value)
    for chunk, ((county, sub), first, _) in got.items():
        # counted on from the lists of the same sub-priority in counties whose IRIs sort first
        earlier = {p for (c, s), members in lists.items() if s == sub and c < county
                   for _, p in members}
        assert across[chunk] == first + len(earlier), chunk
    assert {key for key, _, _ in got.values()} == set(lists)
    assert max(len(projects) for _, _, projects in got.values()) == 2
    for key, first, projects in got.values():
        starts = dict((p, s) for s, p in lists[key])
        earliest = min(starts[p] for p in projects)
        # 1 + the projects of the list that start earlier; every project of the chunk
        # starts no earlier than the first and no later than the next chunk's.
        assert first == 1 + sum(1 for s, _ in lists[key] if s < earliest)
    for key, members in lists.items():
        parts = sorted((first, projects) for k, first, projects in got.values() if k == key)
        assert set().union(*(p for _, p in parts)) == {p for _, p in members}
        ordered = [min(s for s, p in members if p in part) for _, part in parts]
        assert ordered == sorted(ordered)


@pytest.mark.parametrize("county", [C24, None])
def test_the_row_cap_keeps_the_first_projects_of_a_sub_priority(generated_dir, county
                                                                ) -> None:
    store = EmbeddedStore(generated_dir)
    longest = 0
    try:
        for priority in (INNOVATION, KOMPETENS, ID + "priority/kapitalforsorjning"):
            values = {"priority": priority, **({"county": county} if county else {})}
            whole = run_named(store, CATALOG["sub_priority_projects"], values, max_rows=0)
            longest = max(longest, len(whole.rows))
            for cap in (1, 2, 3, 5, 8, 13):
                capped = run_named(store, CATALOG["sub_priority_projects"], values,
                                   max_rows=cap)
                assert capped.rows == whole.rows[:cap], (values, cap)
                assert capped.truncated == (cap < len(whole.rows))
    finally:
        store.close()
    assert longest > (3 if county else 13)  # cut inside the answer, past several chunks
