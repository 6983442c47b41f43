"""Real SPARQL clients against a real gunicorn server: SPARQLWrapper, rdflib, requests, curl.

A read-only server over the bundled data (no token), and a writable one over a copy of
our two small graphs (with the token) for rdflib's SPARQLUpdateStore and curl's PUT.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from xml.dom.minidom import Document

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from service_support import (
    AUTH,
    EX,
    TOKEN,
    LiveServer,
    cpu_ticks,
    direct_select,
    start_server,
)
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
PERSON = URIRef(EX + "Person")


@pytest.fixture(scope="module")
def writable_server(small_template: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("writable-server")
    store = Path(shutil.copytree(small_template, root / "store"))
    server = start_server(store, root / "logs", workers=2, threads=2,
                          env={"TILLVAXTGRAF_WRITE_TOKEN": TOKEN})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rdflib_quiet() -> Iterator[None]:
    """rdflib's SPARQL stores use its deprecated ConjunctiveGraph internally."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def wrapper(server: LiveServer, query: str, fmt: str, method: str | None = None,
            ) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method == POSTDIRECTLY:
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    elif method == POST:
        client.setMethod(POST)
    return client


# -- SPARQLWrapper -----------------------------------------------------------------------


@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY])
def test_sparqlwrapper_json_by_get_and_post(bundled_server: LiveServer, public_store: Path,
                                            method: str | None) -> None:
    answer = wrapper(bundled_server, GRAPHS, JSON, method).queryAndConvert()
    rows = [{k: v["value"] for k, v in b.items()} for b in answer["results"]["bindings"]]
    assert rows == direct_select(public_store, GRAPHS)


def test_sparqlwrapper_xml(bundled_server: LiveServer, public_store: Path) -> None:
    document = wrapper(bundled_server, GRAPHS, XML, POST).queryAndConvert()
    assert isinstance(document, Document)
    names = [b.getElementsByTagName("uri")[0].firstChild.data
             for b in document.getElementsByTagName("result")]
    assert names == [r["g"] for r in direct_select(public_store, GRAPHS)]


def test_sparqlwrapper_csv(bundled_server: LiveServer, public_store: Path) -> None:
    text = wrapper(bundled_server, GRAPHS, CSV).queryAndConvert().decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "g,n"
    assert len(lines) - 1 == len(direct_select(public_store, GRAPHS))


def test_sparqlwrapper_ask(bundled_server: LiveServer) -> None:
    assert wrapper(bundled_server, "ASK { ?s ?p ?o }", JSON).queryAndConvert()["boolean"]
    assert not wrapper(bundled_server, "ASK { <http://example.net/nothing> ?p ?o }",
                       JSON, POST).queryAndConvert()["boolean"]


def test_sparqlwrapper_construct_as_turtle(bundled_server: LiveServer, public_store: Path
                                           ) -> None:
    query = "CONSTRUCT { ?g a <http://example.org/Graph> } WHERE { GRAPH ?g { ?s ?p ?o } }"
    client = wrapper(bundled_server, query, TURTLE)
    result = client.query()
    assert result.response.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=result.convert(), format="turtle")
    assert len(graph) == len(direct_select(public_store, GRAPHS))


def test_sparqlwrapper_dataset_and_errors(bundled_server: LiveServer,
                                          public_store: Path) -> None:
    first = direct_select(public_store, GRAPHS)[0]
    client = wrapper(bundled_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON)
    client.addDefaultGraph(first["g"])
    rows = client.queryAndConvert()["results"]["bindings"]
    assert rows[0]["n"]["value"] == first["n"]
    with pytest.raises(QueryBadFormed) as failure:
        wrapper(bundled_server, "SELECT * WHERE { ?s ?p }", JSON).query()
    assert "line" in str(failure.value) or "error at" in str(failure.value)


# -- rdflib ------------------------------------------------------------------------------


def test_rdflib_sparqlstore_as_a_graph(bundled_server: LiveServer, public_store: Path,
                                       rdflib_quiet: None) -> None:
    store = SPARQLStore(bundled_server.sparql, returnFormat="json")
    graph = Graph(store=store)
    typed = direct_select(public_store, "SELECT DISTINCT ?s ?t WHERE { ?s a ?t "
                                        "FILTER(isIRI(?s)) } LIMIT 5")
    for row in typed:
        assert (URIRef(row["s"]), RDF.type, URIRef(row["t"])) in graph
    some_type = URIRef(typed[0]["t"])
    subjects = set(graph.subjects(RDF.type, some_type))
    expected = direct_select(public_store, f"SELECT DISTINCT ?s WHERE {{ ?s a <{some_type}> }}")
    assert {s for s in subjects if isinstance(s, URIRef)} == {
        URIRef(r["s"]) for r in expected if "://" in r["s"]}
    rows = list(graph.query(GRAPHS))
    assert [str(r.g) for r in rows] == [r["g"] for r in direct_select(public_store, GRAPHS)]
    store.close()


def test_rdflib_sparqlupdatestore_with_the_token(writable_server: LiveServer,
                                                 rdflib_quiet: None) -> None:
    store = SPARQLUpdateStore(writable_server.sparql, writable_server.sparql,
                              headers=dict(AUTH), returnFormat="json")
    graph = Graph(store=store, identifier=URIRef(EX + "graph/rdflib"))
    graph.add((URIRef(EX + "frank"), RDF.type, PERSON))
    graph.add((URIRef(EX + "frank"), RDFS.label, Literal("Frank", lang="en")))
    assert (URIRef(EX + "frank"), RDFS.label, Literal("Frank", lang="en")) in graph
    graph.remove((URIRef(EX + "frank"), RDFS.label, None))
    assert len(list(graph.triples((URIRef(EX + "frank"), None, None)))) == 1
    store.close()
    # Seen by everyone, through the union default graph.
    answer = requests.get(writable_server.sparql, timeout=10, params={
        "query": "ASK { <http://example.org/frank> a <http://example.org/Person> }"})
    assert answer.json()["boolean"] is True
    # Without the token the same store is refused.
    anonymous = Graph(store=SPARQLUpdateStore(writable_server.sparql, writable_server.sparql),
                      identifier=URIRef(EX + "graph/rdflib"))
    with pytest.raises(Exception, match="401"):
        anonymous.add((URIRef(EX + "mallory"), RDF.type, PERSON))


# -- serving -----------------------------------------------------------------------------


def test_concurrent_clients_are_served_by_both_gunicorn_workers(bundled_server: LiveServer
                                                                ) -> None:
    """Two gunicorn worker processes (one per core) share the load of eight clients."""
    workers = bundled_server.gunicorn_workers()
    assert len(workers) == 2
    before = {pid: cpu_ticks(pid) or 0 for pid in workers}
    errors: list[int] = []

    def client() -> None:
        with requests.Session() as session:
            for _ in range(25):
                response = session.get(bundled_server.sparql, timeout=30, params={
                    "query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                             "GROUP BY ?g"})
                if response.status_code != 200:
                    errors.append(response.status_code)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    used = {pid: (cpu_ticks(pid) or 0) - before[pid] for pid in workers}
    assert all(ticks > 0 for ticks in used.values()), used


# -- requests and curl -------------------------------------------------------------------


def test_requests_keep_alive_session(bundled_server: LiveServer) -> None:
    with requests.Session() as session:
        answers = [session.get(bundled_server.sparql, params={"query": "ASK {}"}, timeout=10)
                   for _ in range(20)]
    assert all(a.status_code == 200 and a.json()["boolean"] for a in answers)
    assert answers[-1].headers.get("Connection", "keep-alive").lower() != "close"


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "30", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_query_and_graph_store(writable_server: LiveServer, tmp_path: Path) -> None:
    done = curl("-H", "Accept: text/csv", "--data-urlencode",
                "query=PREFIX ex: <http://example.org/> SELECT ?p WHERE { ?p a ex:Person } "
                "ORDER BY ?p", writable_server.sparql)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["p", "http://example.org/alice"]

    data = tmp_path / "grace.ttl"
    data.write_text('<http://example.org/grace> a <http://example.org/Person> .\n')
    target = f"{writable_server.graph_store}?graph=http%3A%2F%2Fexample.org%2Fgraph%2Fcurl"
    done = curl("-X", "PUT", "-H", f"Authorization: Bearer {TOKEN}", "-H",
                "Content-Type: text/turtle", "--data-binary", f"@{data}",
                "--write-out", "%{http_code}", target)
    assert done.stdout == "201", done.stdout + done.stderr
    done = curl("-H", "Accept: application/n-triples", target)
    assert done.stdout.strip() == ("<http://example.org/grace> "
                                   "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                                   "<http://example.org/Person> .")
    done = curl("-X", "DELETE", "--write-out", "%{http_code}", target)
    assert done.stdout.endswith("401")
    body = json.loads(curl("-H", "Accept: application/json", "-X", "DELETE", target).stdout)
    assert body["status"] == 401 and "Bearer" in body["message"]
