"""The query editor's page and data: prefixes, ready examples, vocabulary terms."""

from __future__ import annotations

import json
import re

import pytest

from tillvaxtgraf.queries.catalog import load_catalog, run_named
from tillvaxtgraf.service.sparql.editor import example_text, prefixes, starter_query

TG = "https://w3id.org/tillvaxtgraf/ontology#"
HTML = {"Accept": "text/html"}


def _config(response) -> dict:  # noqa: ANN001
    text = response.get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="editor-config">(.*?)</script>',
                      text, re.S)
    assert found, "the page has no editor configuration"
    return json.loads(found.group(1))


def test_the_editor_page_has_yasgui_a_plain_form_and_no_inline_script(readonly_client):
    response = readonly_client.get("/sparql", headers=HTML)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "vendor/@zazuko/yasgui/4.6.2/yasgui.min.js" in page
    assert 'id="plain-editor"' in page and 'name="query"' in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    for attributes, body in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes
        assert "src=" not in attributes or not body.strip()
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"


def test_the_configuration_preloads_prefixes_and_examples(readonly_client):
    config = _config(readonly_client.get("/sparql", headers=HTML))
    assert set(config["prefixes"]) == {"tg", "tgid", "skos", "org", "rdfs", "rdf", "xsd",
                                       "dcterms", "prov", "eli", "owl"}
    assert config["prefixes"]["tgid"] == "https://w3id.org/tillvaxtgraf/id/"
    assert config["termsUrl"] == "/sparql/terms"
    assert {e["name"] for e in config["examples"]} == set(load_catalog())
    for name in config["prefixes"]:
        assert f"PREFIX {name}: <" in config["starter"]


def test_the_starter_query_runs(readonly_client):
    query = starter_query(prefixes("https://w3id.org/tillvaxtgraf/"))
    response = readonly_client.post("/sparql", data={"query": query},
                                    headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    assert response.get_json()["results"]["bindings"]


@pytest.mark.parametrize("name", sorted(load_catalog()))
def test_every_example_runs_and_answers_as_the_api_does(readonly_app, readonly_client, name):
    query = load_catalog()[name]
    text = example_text(query)
    assert not re.search(r"\?_[A-Za-z]", text) or any(
        not p.required and query.example.get(p.name, p.default) is None
        for p in query.parameters)
    response = readonly_client.post("/sparql", data={"query": text},
                                    headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = response.get_json()["results"]["bindings"]
    with readonly_app.app_context():
        store = readonly_app.extensions["tillvaxtgraf.store"]
        answer = run_named(store, query, dict(query.example), max_rows=100_000)
    assert len(rows) == len(answer.rows)


def test_examples_open_in_the_editor(readonly_client):
    response = readonly_client.get("/sparql", query_string={
        "query": "ASK { ?s ?p ?o }", "format": "html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert _config(response)["query"] == "ASK { ?s ?p ?o }"
    assert "ASK { ?s ?p ?o }</textarea>" in response.get_data(as_text=True)


def test_terms_list_the_ontologys_classes_and_properties(readonly_client):
    response = readonly_client.get("/sparql/terms?lang=sv")
    assert response.status_code == 200
    terms = response.get_json()
    classes = {t["iri"]: t for t in terms["classes"]}
    properties = {t["iri"]: t for t in terms["properties"]}
    assert classes[TG + "Region"]["curie"] == "tg:Region"
    assert classes[TG + "Region"]["declared"] is True
    assert classes[TG + "Region"]["label"]
    assert properties["http://www.w3.org/ns/org#hasMember"]["curie"] == "org:hasMember"
    assert properties[TG + "assignedTo"]["label"] == "uppdraget ges till"
    etag = response.headers["ETag"]
    again = readonly_client.get("/sparql/terms?lang=sv", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_terms_refuse_other_languages(readonly_client):
    assert readonly_client.get("/sparql/terms?lang=de").status_code == 400
