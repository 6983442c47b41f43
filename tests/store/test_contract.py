"""The Store contract, the same tests on every backend: embedded, `oxigraph serve`, Virtuoso.

What the service relies on: the union default graph, dataset selection, bound values,
every answer format, streaming, errors with their meaning, graph writes, data versions,
and the loaders (skip unchanged, provenance, validation, derived files).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from conftest import EX, PEOPLE, ROBOTS, Backend, write_sources

from tillvaxtgraf.errors import LoadError, QuerySyntaxError
from tillvaxtgraf.loaders.bundled import bundled_sources
from tillvaxtgraf.store import derived
from tillvaxtgraf.store.base import GRAPH_FORMATS, QueryRequest
from tillvaxtgraf.store.embedded_backend import BadData, FormatMismatch
from tillvaxtgraf.store.names import METADATA_GRAPH
from tillvaxtgraf.store.sparql import sparql
from tillvaxtgraf.store.sparql_text import inspect, with_row_limit
from tillvaxtgraf.store.terms import Term

PREFIX = "PREFIX ex: <http://example.org/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def values(backend: Backend, query: str, bindings: dict[str, Term] | None = None,
           **kwargs: object) -> list[dict[str, str]]:
    _, rows = backend.store.select(PREFIX + query, bindings, **kwargs)
    return [{k: v.value for k, v in row.items()} for row in rows]


def graph_counts(backend: Backend) -> dict[str, int]:
    rows = values(backend, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                  "GROUP BY ?g")
    return {r["g"]: int(r["n"]) for r in rows if r["g"] != METADATA_GRAPH}


def test_union_default_graph(small: Backend) -> None:
    rows = values(small, "SELECT ?s WHERE { ?s a ?type FILTER(STRSTARTS(STR(?type), STR(ex:))) }"
                  " ORDER BY ?s")
    assert [r["s"] for r in rows] == [EX + "alice", EX + "bob", EX + "carol", EX + "dave"]
    assert graph_counts(small) == {PEOPLE: 13, ROBOTS: 2}


def test_dataset_selection(small: Backend) -> None:
    only_robots = values(small, f"SELECT ?s FROM <{ROBOTS}> WHERE {{ ?s a ?t }}")
    assert only_robots == [{"s": EX + "dave"}]
    by_protocol = values(small, "SELECT ?s WHERE { ?s a ?t }", default_graphs=[ROBOTS])
    assert by_protocol == [{"s": EX + "dave"}]
    request = QueryRequest("SELECT ?g ?s WHERE { GRAPH ?g { ?s a ?t } }",
                           named_graphs=[ROBOTS])
    data = json.loads(small.store.query(request, "json").read())
    found = [(b["g"]["value"], b["s"]["value"]) for b in data["results"]["bindings"]]
    assert found == [(ROBOTS, EX + "dave")]
    empty_default = QueryRequest("SELECT ?s WHERE { ?s a ?t }", named_graphs=[ROBOTS])
    assert json.loads(small.store.query(empty_default, "json").read())["results"][
        "bindings"] == []


# pyoxigraph's substitutions need every bound variable projected: named queries do so.
@pytest.mark.parametrize("query, bindings, expected", [
    # bound in a pattern
    ("SELECT ?who ?friend WHERE { ?who ex:knows ?friend }", {"friend": Term.iri(EX + "bob")},
     [{"who": EX + "alice", "friend": EX + "bob"}]),
    # used only in a FILTER: the value must be there when the filter runs
    ("SELECT ?p ?name WHERE { ?p rdfs:label ?l FILTER(STR(?l) = ?name) }",
     {"name": Term.literal("Carol")}, [{"p": EX + "carol", "name": "Carol"}]),
    # in an aggregate query
    ("SELECT ?friend (COUNT(?who) AS ?n) WHERE { ?who ex:knows ?friend } GROUP BY ?friend",
     {"friend": Term.iri(EX + "carol")}, [{"friend": EX + "carol", "n": "1"}]),
    # a literal that would break out of a quoted string if pasted
    ("SELECT ?p ?note WHERE { ?p ex:note ?note }",
     {"note": Term.literal('tab\there, "quoted", åäö')},
     [{"p": EX + "carol", "note": 'tab\there, "quoted", åäö'}]),
    # a language-tagged literal
    ("SELECT ?p ?l WHERE { ?p rdfs:label ?l }", {"l": Term.literal("Carol", lang="sv")},
     [{"p": EX + "carol", "l": "Carol"}]),
])
def test_bound_values(small: Backend, query: str, bindings: dict[str, Term],
                      expected: list[dict[str, str]]) -> None:
    assert values(small, query, bindings) == expected


def test_bound_values_under_the_row_limit(small: Backend) -> None:
    text = PREFIX + "SELECT ?who ?friend WHERE { ?who ex:knows ?friend } ORDER BY ?who"
    limited = with_row_limit(text, inspect(text), 5)
    _, rows = small.store.select(limited, {"friend": Term.iri(EX + "carol")})
    assert [r["who"].value for r in rows] == [EX + "bob"]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_formats(small: Backend, fmt: str) -> None:
    request = QueryRequest(PREFIX + "SELECT ?s ?age WHERE { ?s ex:age ?age } ORDER BY ?s")
    answer = small.store.query(request, fmt)
    assert answer.kind == "solutions" and answer.format == fmt
    body = answer.read()
    if fmt == "json":
        rows = json.loads(body)["results"]["bindings"]
        assert [r["age"]["value"] for r in rows] == ["31", "42"]
    elif fmt == "xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        results = ElementTree.fromstring(body).findall(f".//{ns}result")
        assert len(results) == 2
    else:
        delimiter = "," if fmt == "csv" else "\t"
        rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter=delimiter))
        assert [c.strip('"?') for c in rows[0]] == ["s", "age"] and len(rows) == 3


@pytest.mark.parametrize("fmt", sorted(GRAPH_FORMATS))
def test_construct_formats(small: Backend, fmt: str) -> None:
    request = QueryRequest(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{PEOPLE}> {{ ?s ?p ?o }} }}")
    answer = small.store.query(request, fmt)
    assert answer.kind == "graph" and answer.format == fmt
    parsed = list(ox.parse(answer.read(), GRAPH_FORMATS_OX[fmt]))
    assert len(parsed) == 13
    literals = {q.object.value for q in parsed if isinstance(q.object, ox.Literal)}
    assert 'tab\there, "quoted", åäö' in literals and "Umeå" in literals


GRAPH_FORMATS_OX = {
    "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD,
}


def test_ask_and_errors(small: Backend) -> None:
    assert small.store.ask(PREFIX + "ASK { ex:alice ex:knows ex:bob }") is True
    assert small.store.ask(PREFIX + "ASK { ex:bob ex:knows ex:alice }") is False
    with pytest.raises(QuerySyntaxError) as caught:
        small.store.select("SELECT * WHERE {\n  ?s ?p\n}")
    assert caught.value.line is not None
    with pytest.raises(FormatMismatch):
        small.store.query(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }"), "json")


def test_big_answer_streams_in_chunks(backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "big.nt"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(f"<{EX}n{i}> <{EX}value> \"{i}\" .\n")
    backend.load([*write_sources(tmp_path / "s", {}), _nt_source(path, EX + "graph/big")])
    answer = backend.store.query(QueryRequest(
        f"SELECT ?s ?v WHERE {{ GRAPH <{EX}graph/big> {{ ?s ?p ?v }} }}"), "csv")
    sizes = [len(chunk) for chunk in answer.chunks]
    answer.close()
    assert len(sizes) > 3, "the answer came in one piece, not streamed"
    assert sum(sizes) > 500_000


def _nt_source(path: Path, graph: str):  # noqa: ANN202
    from tillvaxtgraf.loaders.sources import rdf_source

    return rdf_source(path, graph=graph)


def test_update_and_version(small: Backend) -> None:
    before = small.store.version()
    small.store.update(f"INSERT DATA {{ GRAPH <{ROBOTS}> {{ <{EX}eve> a <{EX}Robot> }} }}")
    after = small.store.version()
    assert after != before
    assert {r["s"] for r in values(small, "SELECT ?s WHERE { ?s a ex:Robot }")} == {
        EX + "dave", EX + "eve"}
    assert small.store.version() == after  # stable while nothing changes


def test_graph_writes(small: Backend, tmp_path: Path) -> None:
    store = small.store
    target = EX + "graph/new"
    upload = tmp_path / "up.ttl"
    upload.write_text(f"<{EX}x> <{EX}p> [ <{EX}q> \"blank\" ] .\n", encoding="utf-8")
    assert store.graph_exists(target) is False
    result = store.write_graph(target, upload, "turtle", replace=True)
    assert result.created and not result.existed
    assert store.graph_exists(target) is True
    assert graph_counts(small)[target] == 2
    store.write_graph(target, upload, "turtle", replace=False)  # POST adds (a new blank node)
    assert graph_counts(small)[target] == 4
    store.write_graph(target, upload, "turtle", replace=True)  # PUT replaces
    assert graph_counts(small)[target] == 2
    dumped = list(ox.parse(store.get_graph(target, "ntriples").read(),
                           ox.RdfFormat.N_TRIPLES))
    assert len(dumped) == 2
    bad = tmp_path / "bad.ttl"
    bad.write_text(f"<{EX}x> <{EX}p> .\n", encoding="utf-8")
    with pytest.raises((BadData, QuerySyntaxError)) as caught:  # both are HTTP 400
        store.write_graph(target, bad, "turtle", replace=True)
    assert caught.value.line == 1
    assert graph_counts(small)[target] == 2  # the failed write changed nothing
    assert store.delete_graph(target).existed is True
    assert store.graph_exists(target) is False
    assert store.get_graph(target, "ntriples").read() == b""


def test_loader_skips_unchanged_and_records_provenance(backend: Backend,
                                                       tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "src", {PEOPLE: EX_ONE})
    first = backend.load(sources)
    assert [(g.graph, g.status, g.triples) for g in first.graphs] == [(PEOPLE, "loaded", 1)]
    version = backend.store.version()
    again = backend.load(sources)
    assert [(g.status, g.triples) for g in again.graphs] == [("unchanged", 1)]
    assert backend.store.version() == version
    (tmp_path / "src" / "graph0.ttl").write_text(EX_ONE + EX_TWO, encoding="utf-8")
    changed = backend.load(write_sources(tmp_path / "src", {PEOPLE: EX_ONE + EX_TWO}))
    assert [(g.status, g.triples) for g in changed.graphs] == [("loaded", 2)]
    _, rows = backend.store.select(sparql("graph_records"), {"meta": Term.iri(METADATA_GRAPH)})
    records = {r["graph"].value: r for r in rows}
    assert int(records[PEOPLE]["triples"].value) == 2
    assert len(records[PEOPLE]["sha256"].value) == 64


EX_ONE = "<http://example.org/a> <http://example.org/p> 1 .\n"
EX_TWO = "<http://example.org/b> <http://example.org/p> 2 .\n"


TINY_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/tillvaxtgraf/shapes#ProjectShape> a sh:NodeShape ;
    sh:targetClass tg:Project ;
    sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ] ;
    sh:property [ sh:path tg:amount ; sh:datatype xsd:decimal ; sh:minInclusive 0 ] .
"""
PROJECT = """\
@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/tillvaxtgraf/id/project/{key}> a tg:Project ;
    skos:prefLabel "Projekt {key}"@sv ; tg:amount {amount} .
"""


def test_validated_loads(backend: Backend, tmp_path: Path) -> None:
    """SHACL with the shapes and the validated graphs taken from the store itself."""
    from tillvaxtgraf.loaders.sources import rdf_source
    from tillvaxtgraf.store.names import SHAPES_GRAPH

    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(TINY_SHAPES, encoding="utf-8")
    good = tmp_path / "good.ttl"
    good.write_text(PROJECT.format(key="a", amount="10.5"), encoding="utf-8")
    backend.load([rdf_source(shapes, graph=SHAPES_GRAPH, kind="shapes"),
                  rdf_source(good, graph=EX + "graph/good", validate=True)])
    bad = tmp_path / "bad.ttl"
    bad.write_text(PROJECT.format(key="b", amount="-5.0"), encoding="utf-8")
    version = backend.store.version()
    with pytest.raises(LoadError, match="SHACL"):
        backend.load([rdf_source(bad, graph=EX + "graph/bad", validate=True)])
    assert backend.store.graph_exists(EX + "graph/bad") is False
    assert backend.store.version() == version  # nothing at all was written
    assert backend.store.graph_exists(EX + "graph/good") is True


# ~30 s a backend: tests/loaders load it all on the embedded store, and one remote store
# (the one with its own dialect) suffices here.
@pytest.mark.parametrize("backend", ["virtuoso"], indirect=True)
def test_bundled_data_loads_validated(backend: Backend) -> None:
    """All the bundled data, SHACL-validated, through the remote loader."""
    report = backend.load(bundled_sources())
    assert all(g.status == "loaded" for g in report.graphs)
    loaded = {g.graph: g.triples for g in report.graphs}
    assert graph_counts(backend) == loaded
    assert backend.store.ask(
        "ASK { <https://w3id.org/tillvaxtgraf/id/municipality/0114> ?p ?o }")
    again = backend.load(bundled_sources())
    assert all(g.status == "unchanged" for g in again.graphs)
    assert (backend.local_dir / "derived" / "search.sqlite").exists()


def test_derived_files_rebuilt_by_loads_and_reindex(backend: Backend, tmp_path: Path) -> None:
    seen: list[tuple[Path, int]] = []

    def count_people(store, target: Path) -> None:  # noqa: ANN001
        _, rows = store.select(PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?s a ex:Person }")
        count = int(rows[0]["n"].value)
        (target / "people.count").write_text(str(count), encoding="utf-8")
        seen.append((target, count))

    derived.register_derived_builder("people-count", count_people)
    try:
        backend.load(write_sources(tmp_path / "src", {PEOPLE: PEOPLE_ONLY}))
        target = derived.derived_dir(backend.store)
        assert target is not None and seen and seen[-1] == (target, 3)
        assert (target / "people.count").read_text() == "3"
        (target / "people.count").unlink()
        if backend.remote:
            built = derived.rebuild_all(backend.store, target)
        else:
            target2, built = derived.rebuild_for_store_dir(backend.local_dir)
            assert target2 == target
        assert "people-count" in built
        assert (target / "people.count").read_text() == "3"
    finally:
        derived.unregister_derived_builder("people-count")


PEOPLE_ONLY = """\
@prefix ex: <http://example.org/> .
ex:a a ex:Person . ex:b a ex:Person . ex:c a ex:Person .
"""
