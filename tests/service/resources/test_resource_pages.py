"""Resource pages: labels in the reader's language, relations, provenance, escaping."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from ld_support import (
    AGENCY,
    ARENA,
    BASE,
    HUB,
    HUB_LINKS,
    ODD_IRI,
    PRIORITY,
    REGION,
    REGULATION,
    RESOURCES,
    SCRIPT_LABEL,
    TOKEN,
    UNICODE_LABEL,
    parse,
    select,
)
from markupsafe import escape

SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"


def pref_labels(client, iri: str, lang: str) -> list[str]:
    rows = select(client,
        f"SELECT ?l WHERE {{ <{iri}> <{SKOS_PREF}> ?l FILTER(LANG(?l) = '{lang}') }}")
    return [row["l"] for row in rows]


def linked(client, iri: str) -> list[tuple[str, str]]:
    """(property, other) pairs of the IRI's links to labelled things, both directions."""
    rows = select(client, f"""
        SELECT DISTINCT ?p ?x WHERE {{
          {{ <{iri}> ?p ?x }} UNION {{ ?x ?p <{iri}> }}
          FILTER(isIRI(?x)) ?x <{SKOS_PREF}> ?l }}""")
    return [(row["p"], row["x"]) for row in rows]


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("iri", RESOURCES, ids=lambda i: i[len(BASE):])
def test_page_shows_labels_and_relations_in_the_readers_language(ld, iri, lang):
    response = ld.get("/" + iri[len(BASE):], headers={
        "Accept": "text/html", "Accept-Language": f"{lang},de;q=0.5"})
    assert response.status_code == 200
    assert "Accept-Language" in response.headers["Vary"]
    text = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in text
    title = pref_labels(ld, iri, lang)[0]
    assert f"<h1><bdi lang=\"{lang}\">{escape(title)}</bdi></h1>" in text
    assert f'value="{iri}"' in text  # the IRI, ready to copy
    pairs = linked(ld, iri)
    assert pairs
    for prop, other in pairs:
        shown_other = pref_labels(ld, other, lang)[0]
        assert str(escape(shown_other)) in text, (prop, other)
        prop_labels = pref_labels(ld, prop, lang)
        if prop_labels:
            assert str(escape(prop_labels[0])) in text, prop
    other_lang = "en" if lang == "sv" else "sv"
    assert f'href="/{iri[len(BASE):]}.html?lang={other_lang}"' in text


def test_lang_parameter_wins_and_a_wrong_one_is_400(ld):
    text = ld.get("/id/arena/reglab?lang=en",
                  headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Relations to this" in text
    assert ld.get("/id/arena/reglab?lang=de").status_code == 400
    text = ld.get("/id/arena/reglab", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="sv">' in text  # Swedish when neither language is asked for


def test_page_shows_provenance_types_description_and_downloads(ld):
    text = ld.get("/id/agency/tillvaxtverket?lang=en").get_data(as_text=True)
    assert 'href="/ontology#GovernmentAgency"' in text  # its type, linked to the docs
    assert "Government agency for business development and regional growth" in text
    assert 'href="/graph/reference/actors"' in text  # the graph each statement comes from
    assert "actors.csv" in text
    for ext in ("ttl", "jsonld", "rdf", "nt"):
        assert f'href="/id/agency/tillvaxtverket.{ext}"' in text
    text = ld.get("/id/regulation/sfs-2017-583?lang=sv").get_data(as_text=True)
    assert 'href="/graph/seed/05-forordning-2017-583"' in text
    assert 'href="/id/source-section/05-forordning-2017-583"' in text  # the section
    assert '<bdi lang="sv">Förordning (2017:583) om regionalt tillväxtarbete</bdi>' in text


def test_literals_carry_language_and_datatype(ld):
    text = ld.get("/id/region/01?lang=en").get_data(as_text=True)
    assert '<bdi lang="sv">Region Stockholm</bdi> <small class="lang">@sv</small>' in text
    text = ld.get("/graph/ontology?lang=en").get_data(as_text=True)
    assert '<small class="datatype">xsd:integer</small>' in text


def test_a_near_miss_iri_is_404_with_a_suggestion(ld):
    response = ld.get("/id/agency/tillvaxtverkett", headers={"Accept": "text/html"})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert 'href="/id/agency/tillvaxtverket"' in text
    assert "Tillväxtverket" in text
    response = ld.get("/id/agency/tillvaxtverkett", headers={"Accept": "application/json"})
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == 404
    assert AGENCY in body["hint"]
    response = ld.get("/id/agency/tillvaxtverkett", headers={"Accept": "text/turtle"})
    assert response.status_code == 404 and AGENCY in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/id/test/a%20b", "/id/region/%C3%85re", "/id/region/%ZZ", "/id/region/01%0A",
    "/resource?iri=http://example.org/a%20b", "/resource?iri=not-an-iri",
    "/resource?iri=https://w3id.org/tillvaxtgraf/id/x%22%3E%3Cscript%3E",
    "/graph/%E2%80%AE", "/ontology/nope",
])
def test_unknown_and_malformed_iris_are_404_never_500(ld, path):
    response = ld.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404, response.get_data(as_text=True)
    assert '"><script>' not in response.get_data(as_text=True)
    response = ld.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404


def test_resource_without_iri_is_400(ld):
    assert ld.get("/resource").status_code == 400


def test_hostile_labels_are_escaped_and_intact(hostile):
    for lang in ("sv", "en"):
        text = hostile.get(f"/id/test/script?lang={lang}").get_data(as_text=True)
        assert "<script>alert" not in text
        assert str(escape(SCRIPT_LABEL)) in text
        assert unescape(str(escape(SCRIPT_LABEL))) == SCRIPT_LABEL
        assert f"<title>{escape(SCRIPT_LABEL)} — tillvaxtgraf</title>" in text
        assert "&lt;b&gt;fet&lt;/b&gt;" in text or lang == "en"
        assert UNICODE_LABEL in text  # the linked municipality's label, untouched
        assert '<small class="datatype">xsd:gYear</small>' in text


def test_non_ascii_iri_is_served_in_every_format(hostile, context_document):
    path = "/" + ODD_IRI[len(BASE):]
    page = hostile.get(path, headers={"Accept": "text/html", "Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert UNICODE_LABEL in text  # Swedish fallback: no English preferred label
    assert f'value="{ODD_IRI}"' in text
    for ext in ("ttl", "nt", "rdf", "jsonld"):
        response = hostile.get(f"{path}.{ext}")
        assert response.status_code == 200, ext
        graph = parse(response, context_document)
        labels = {str(o) for s, p, o in graph if str(s) == ODD_IRI and str(p) == SKOS_PREF}
        assert labels == {UNICODE_LABEL}, ext


def test_big_resources_are_capped_with_a_link_to_the_rest(hostile):
    text = hostile.get("/id/test/hub?lang=en").get_data(as_text=True)
    links = re.findall(r'<a href="(/sparql\?query=[^"]+)">See all in a SPARQL query</a>', text)
    assert len(links) == 2  # outgoing and incoming
    assert text.count('href="/id/test/member-') <= 2 * 500
    for link in links:
        editor = hostile.get(unescape(link))  # the link opens the query in the editor
        assert editor.status_code == 200 and editor.mimetype == "text/html"
        query = parse_qs(urlsplit(unescape(link)).query)["query"][0]
        assert f"<{HUB}>" in query
        answer = hostile.get("/sparql", query_string={"query": query},
                             headers={"Accept": "application/sparql-results+json"})
        assert len(answer.get_json()["results"]["bindings"]) >= HUB_LINKS  # all of them
    triples = hostile.get("/id/test/hub.nt").get_data(as_text=True).strip().splitlines()
    assert 2 * 500 - 2 <= len(triples) <= 2 * 500 + 3


def test_pages_follow_the_data_after_a_write(hostile):
    before = hostile.get("/id/test/new?lang=en")
    assert before.status_code == 404
    body = f'<{BASE}id/test/new> <{SKOS_PREF}> "Ny"@sv .'
    put = hostile.put("/graph-store", query_string={"graph": BASE + "graph/test/new"},
                      data=body.encode(), content_type="application/n-triples",
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert put.status_code in (201, 204)
    after = hostile.get("/id/test/new?lang=en")
    assert after.status_code == 200
    assert "Ny" in after.get_data(as_text=True)
    assert before.headers.get("ETag") != after.headers.get("ETag")


def test_region_agency_priority_regulation_arena_have_pages(ld):
    for iri in (REGION, AGENCY, PRIORITY, REGULATION, ARENA):
        assert ld.get("/" + iri[len(BASE):] + ".html").status_code == 200
