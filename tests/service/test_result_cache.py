"""The response cache of /sparql and the search APIs, through the real app over a real store.

- A kept answer goes out byte for byte with the headers its first response had.
- A new snapshot (an update through the endpoint, a load by the CLI's loader) is never
  answered from the old one.
- Variations of one query (format, Accept, dataset, method, host) never share an entry:
  each gives what a service without the cache gives.
- Errors, time-limit failures and big answers are not kept; 0 turns the cache off.
- Search, suggestions and connections are kept per snapshot and request too, never from an
  older index than the store's, and each answers as an app without the cache does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from service_support import (
    AUTH,
    EX,
    OTHER_GRAPH,
    SMALL_GRAPH,
    TOKEN,
    app_over,
    load_turtle,
)

from tillvaxtgraf.service.response_cache import EXTENSION, MAX_ENTRY_BYTES

PEOPLE = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } " \
         "ORDER BY ?s"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def cached_app(small_store: Path) -> Iterator[Flask]:
    with app_over(small_store, write_token=TOKEN, query_time_limit=20.0) as built:
        yield built


def kept(app: Flask) -> tuple[int, int]:
    """(entries, bytes) the app's cache holds."""
    return app.extensions[EXTENSION].stats()


def ask(client, how: str, query: str, **extra: object):  # noqa: ANN001, ANN201
    if how == "GET":
        return client.get("/sparql", query_string={"query": query}, **extra)
    if how == "HEAD":
        return client.head("/sparql", query_string={"query": query}, **extra)
    if how == "form":
        return client.post("/sparql", data={"query": query}, **extra)
    return client.post("/sparql", data=query.encode(), content_type="application/sparql-query",
                       **extra)


@pytest.mark.parametrize("how", ["GET", "form", "body"])
def test_a_repeat_gets_the_same_bytes_and_headers(cached_app: Flask, how: str) -> None:
    client = cached_app.test_client()
    first = ask(client, how, PEOPLE, headers={"Accept": "text/csv"})
    assert first.status_code == 200 and b"Alice" in first.data
    assert kept(cached_app)[0] == 1
    again = ask(client, how, PEOPLE, headers={"Accept": "text/csv"})
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers.to_wsgi_list() == first.headers.to_wsgi_list()
    for name in ("Content-Type", "Cache-Control", "Vary", "Access-Control-Allow-Origin"):
        assert again.headers[name] == first.headers[name]
    assert ("ETag" in again.headers) == (how == "GET")
    assert kept(cached_app)[0] == 1  # answered from the entry, not kept twice
    if how == "GET":  # HEAD is GET's answer without the body
        head = ask(client, "HEAD", PEOPLE, headers={"Accept": "text/csv"})
        assert head.data == b""
        assert head.headers.to_wsgi_list() == first.headers.to_wsgi_list()
        revalidated = ask(client, how, PEOPLE, headers={"Accept": "text/csv",
                                                        "If-None-Match": first.headers["ETag"]})
        assert revalidated.status_code == 304


def test_a_new_snapshot_is_never_answered_from_the_old(cached_app: Flask, small_store: Path,
                                                      tmp_path: Path) -> None:
    client = cached_app.test_client()

    def count() -> int:
        response = ask(client, "GET", f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}y> ?v }}")
        assert response.status_code == 200
        return int(response.json["results"]["bindings"][0]["n"]["value"])

    assert count() == 0
    assert count() == 0 and kept(cached_app)[0] == 1
    inserted = client.post("/sparql", data={"update": f"INSERT DATA {{ GRAPH <{SMALL_GRAPH}> "
                                            f"{{ <{EX}erin> <{EX}y> 7 }} }}"}, headers=AUTH)
    assert inserted.status_code == 204
    assert count() == 1
    # A load by the real loader, from outside the app, while it serves.
    load_turtle(small_store, tmp_path / "src",
                {EX + "graph/more": f"<{EX}x> <{EX}y> 1 , 2 , 3 ."})
    assert count() == 4
    assert count() == 4


def test_variations_never_share_an_entry(cached_app: Flask, small_store: Path) -> None:
    """Each variant, asked twice of the cached app, answers as an app without a cache."""
    graph_query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(?s = <{EX}alice>) }}"
    variants: list[tuple[str, str, dict]] = [
        ("GET", PEOPLE, {"headers": {"Accept": "application/sparql-results+json"}}),
        ("GET", PEOPLE, {"headers": {"Accept": "application/sparql-results+xml"}}),
        ("GET", PEOPLE, {"headers": {"Accept": "text/tab-separated-values"}}),
        ("GET", PEOPLE, {"headers": {"Accept": "text/csv;q=0.5, application/json"}}),
        ("GET", graph_query, {"headers": {"Accept": "text/turtle"}}),
        ("GET", graph_query, {"headers": {"Accept": "application/n-triples"}}),
        ("form", PEOPLE, {"headers": {"Accept": "text/csv"}}),
        ("body", PEOPLE, {"headers": {"Accept": "text/csv"}}),
        ("form", "SELECT (1 AS ?one) {}", {"headers": {"Accept": "text/csv"}}),
        ("body", "SELECT (2 AS ?two) {}", {"headers": {"Accept": "text/csv"}}),
        # relative IRIs resolve against the endpoint's own URL, so the host matters
        ("GET", "SELECT ?x WHERE { BIND(<rel> AS ?x) }", {"base_url": "http://one.example"}),
        ("GET", "SELECT ?x WHERE { BIND(<rel> AS ?x) }", {"base_url": "http://two.example"}),
    ]
    client = cached_app.test_client()
    with app_over(small_store, result_cache_bytes=0) as plain_app:
        plain = plain_app.test_client()
        for graphs in ({}, {"default-graph-uri": OTHER_GRAPH},
                       {"named-graph-uri": SMALL_GRAPH}):
            for fmt in (None, "csv"):
                args = {"query": PEOPLE, **graphs, **({"format": fmt} if fmt else {})}
                for _ in range(2):
                    got = client.get("/sparql", query_string=args)
                    want = plain.get("/sparql", query_string=args)
                    assert got.status_code == want.status_code == 200
                    assert (got.data, got.content_type) == (want.data, want.content_type)
        for _ in range(2):
            for how, query, extra in variants:
                got, want = ask(client, how, query, **extra), ask(plain, how, query, **extra)
                assert got.status_code == want.status_code == 200, got.data
                assert (got.data, got.content_type) == (want.data, want.content_type)
                assert got.headers.get("ETag") == want.headers.get("ETag")
        assert kept(plain_app) == (0, 0)
    assert kept(cached_app)[0] == 6 + len(variants)


def test_failures_and_big_answers_are_not_kept(cached_app: Flask) -> None:
    client = cached_app.test_client()
    for _ in range(2):
        assert ask(client, "GET", "SELECT ?x WHERE { ?x").status_code == 400
        assert ask(client, "GET", "CONSTRUCT WHERE { ?s ?p ?o }",
                   headers={"Accept": "text/csv"}).status_code == 406
    big = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    answer = ask(client, "GET", big, headers={"Accept": "text/csv"})
    assert answer.status_code == 200 and len(answer.data) > MAX_ENTRY_BYTES
    assert kept(cached_app) == (0, 0)


def test_a_query_stopped_by_the_time_limit_is_not_kept(small_store: Path) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . " \
           "?m ?n2 ?o . ?p ?q ?r . ?t ?u ?v }"
    with app_over(small_store, query_time_limit=1.0) as app:
        client = app.test_client()
        stopped = ask(client, "GET", slow)
        assert stopped.status_code == 503, stopped.data
        assert kept(app) == (0, 0)


def test_zero_turns_it_off(small_store: Path) -> None:
    with app_over(small_store, result_cache_bytes=0) as app:
        client = app.test_client()
        answers = [ask(client, "GET", PEOPLE).data for _ in range(2)]
        assert answers[0] == answers[1] and b"Alice" in answers[0]
        assert kept(app) == (0, 0)
        assert not app.extensions[EXTENSION].enabled


def test_the_oldest_entries_go_when_the_bytes_run_out(small_store: Path) -> None:
    with app_over(small_store, result_cache_bytes=4096) as app:
        client = app.test_client()
        for number in range(20):
            assert ask(client, "GET", f"SELECT ({number} AS ?n) {{}}").status_code == 200
        entries, size = kept(app)
        assert 0 < entries < 20 and size <= 4096


SEARCHES = [
    ("/api/search", {"q": "alice"}, {}),
    ("/api/search", {"q": "alice"}, {"Accept-Language": "en"}),
    ("/api/search", {"q": "Carol", "lang": "en"}, {}),
    ("/api/suggest", {"q": "bo"}, {}),
    ("/api/connections", {"from": EX + "alice", "to": EX + "bob"}, {}),
    ("/api/search", {"q": "nobody here"}, {}),
]


def test_answers_of_different_paths_never_share_an_entry(cached_app: Flask) -> None:
    """The same query string on two endpoints: each keeps its own answer."""
    client = cached_app.test_client()
    html = {"Accept": "text/html"}
    for _ in range(2):
        suggest = client.get("/api/suggest", headers=html)
        editor = client.get("/sparql", headers=html)
        assert suggest.json == {"query": "", "suggestions": []}
        assert editor.status_code == 200 and editor.mimetype == "text/html"


def test_search_answers_are_kept_per_snapshot(cached_app: Flask, small_store: Path,
                                              tmp_path: Path) -> None:
    client = cached_app.test_client()
    with app_over(small_store, result_cache_bytes=0) as plain_app:
        plain = plain_app.test_client()
        for _ in range(2):
            for path, args, headers in SEARCHES:
                got = client.get(path, query_string=args, headers=headers)
                want = plain.get(path, query_string=args, headers=headers)
                assert got.status_code == want.status_code == 200, got.data
                assert got.data == want.data
                assert got.headers.to_wsgi_list() == want.headers.to_wsgi_list()
        assert b"Alice" in client.get("/api/search?q=alice").data
        assert kept(plain_app) == (0, 0)
    assert kept(cached_app)[0] == len(SEARCHES)
    # A new snapshot with its own index: the same request finds what the load brought.
    assert client.get("/api/search?q=erin").json["results"] == []
    load_turtle(small_store, tmp_path / "src", {EX + "graph/more": (
        f'<{EX}erin> <http://www.w3.org/2000/01/rdf-schema#label> "Erin"@en ; '
        f"<{EX}knows> <{EX}alice> .")})
    found = client.get("/api/search?q=erin").json["results"]
    assert [hit["iri"] for hit in found] == [EX + "erin"]
    assert client.get("/api/search?q=erin").json["results"] == found


def test_a_search_from_an_older_index_is_not_kept(cached_app: Flask, small_store: Path) -> None:
    """With no index for the snapshot served now (an update through the endpoint does
    not rebuild it), answers come from the older index, marked stale, and are not kept:
    the snapshot's own index may yet be built under the same snapshot name."""
    client = cached_app.test_client()
    inserted = client.post("/sparql", data={"update": f"INSERT DATA {{ GRAPH <{SMALL_GRAPH}> "
                                            f"{{ <{EX}erin> <{EX}y> 7 }} }}"}, headers=AUTH)
    assert inserted.status_code == 204
    for _ in range(2):
        answer = client.get("/api/search?q=alice")
        assert answer.status_code == 200 and answer.json["stale_index"] is True
    assert kept(cached_app) == (0, 0)
