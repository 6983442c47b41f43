"""The named-query API over HTTP: listing, running, formats, errors, pages."""

from __future__ import annotations

import csv
import io

import pytest

from tillvaxtgraf.queries.catalog import load_catalog
from tillvaxtgraf.service.api.openapi import schema_type

CATALOG = load_catalog()
NAMES = sorted(CATALOG)
JSON = {"Accept": "application/json"}


def test_listing_has_every_query_with_its_parameters(api):
    response = api.get("/api/queries", headers=JSON)
    assert response.status_code == 200
    listed = {q["name"]: q for q in response.get_json()["queries"]}
    assert set(listed) == set(CATALOG)
    for name, query in CATALOG.items():
        assert [p["name"] for p in listed[name]["parameters"]] == [
            p.name for p in query.parameters
        ]
        assert listed[name]["url"].endswith(f"/api/queries/{name}")


@pytest.mark.parametrize("name", NAMES)
def test_each_query_answers_its_example_in_every_format(api, name):
    example = CATALOG[name].example
    rows = api.get(f"/api/queries/{name}", query_string=example, headers=JSON)
    assert rows.status_code == 200, rows.get_data(as_text=True)
    body = rows.get_json()
    if "boolean" in body:
        return
    assert body["row_count"] == len(body["rows"])
    srj = api.get(f"/api/queries/{name}", query_string=example,
                  headers={"Accept": "application/sparql-results+json"})
    assert srj.mimetype == "application/sparql-results+json"
    assert len(srj.get_json()["results"]["bindings"]) == body["row_count"]
    as_csv = api.get(f"/api/queries/{name}", query_string={**example, "format": "csv"})
    table = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert table[0] == body["columns"]
    assert len(table) - 1 == body["row_count"]
    posted = api.post(f"/api/queries/{name}", json=_typed(CATALOG[name], example),
                      headers=JSON)
    assert posted.status_code == 200, posted.get_data(as_text=True)
    assert posted.get_json()["rows"] == body["rows"]
    page = api.get(f"/queries/{name}", query_string=example)
    assert page.status_code == 200
    assert "Open in the query editor" in page.get_data(as_text=True)


def _typed(query, values: dict[str, str]) -> dict[str, object]:
    """Example values (text) as the JSON types the OpenAPI document gives them."""
    typed: dict[str, object] = {}
    for name, value in values.items():
        param = query.parameter(name)
        kind = schema_type(param) if param else "string"
        if kind == "integer":
            typed[name] = int(value)
        elif kind == "number":
            typed[name] = float(value)
        elif kind == "boolean":
            typed[name] = value in ("true", "1")
        else:
            typed[name] = value
    return typed


def _query_with(kind: str):
    for query in CATALOG.values():
        for param in query.parameters:
            if kind == "iri" and param.kind == "iri":
                return query, param
            if kind == "enum" and param.enum:
                return query, param
            if kind == "required" and param.required and param.default is None:
                return query, param
    pytest.fail(f"the catalog has no query with a {kind} parameter")


def test_missing_required_parameter_is_400_naming_it(api):
    query, param = _query_with("required")
    values = {k: v for k, v in query.example.items() if k != param.name}
    response = api.get(f"/api/queries/{query.name}", query_string=values, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == param.name
    assert param.name in response.get_json()["message"]


@pytest.mark.parametrize("bad", ["not an iri", "http://x/a>b", '"} ; DROP ALL ; #',
                                 "http://x/{}", "<http://x/>"])
def test_bad_iri_is_400_and_nothing_runs(api, bad):
    query, param = _query_with("iri")
    values = {**query.example, param.name: bad}
    response = api.get(f"/api/queries/{query.name}", query_string=values, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == param.name


def test_value_outside_enumeration_is_400(api):
    query, param = _query_with("enum")
    values = {**query.example, param.name: "no-such-value"}
    response = api.get(f"/api/queries/{query.name}", query_string=values, headers=JSON)
    assert response.status_code == 400
    assert param.name in response.get_json()["message"]


def test_unknown_parameter_and_unknown_query(api):
    name = NAMES[0]
    response = api.get(f"/api/queries/{name}", query_string={"nonsense": "1"}, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "nonsense"
    missing = api.get("/api/queries/no_such_query", headers=JSON)
    assert missing.status_code == 404


def test_format_negotiation_and_refusals(api):
    name = NAMES[0]
    example = CATALOG[name].example
    refused = api.get(f"/api/queries/{name}", query_string=example,
                      headers={"Accept": "image/png"})
    assert refused.status_code == 406
    bad_format = api.get(f"/api/queries/{name}", query_string={**example, "format": "pdf"},
                         headers=JSON)
    assert bad_format.status_code == 400
    html = api.get(f"/api/queries/{name}", query_string=example,
                   headers={"Accept": "text/html"})
    assert html.mimetype == "text/html"
    wrong_body = api.post(f"/api/queries/{name}", data="x", content_type="text/plain",
                          headers=JSON)
    assert wrong_body.status_code == 415
    not_object = api.post(f"/api/queries/{name}", json=[1, 2], headers=JSON)
    assert not_object.status_code == 400


def test_page_escapes_what_it_shows(api):
    query, param = _query_with("iri")
    hostile = '<script>alert("x")</script>'
    page = api.get(f"/queries/{query.name}", query_string={**query.example, param.name: hostile})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "<script>alert" not in text
    assert "&lt;script&gt;" in text


def test_catalog_page_lists_every_question(api):
    page = api.get("/queries").get_data(as_text=True)
    for name in NAMES:
        assert f"/queries/{name}" in page
