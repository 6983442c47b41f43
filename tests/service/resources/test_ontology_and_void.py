"""The ontology documentation and the dataset description (VoID/DCAT)."""

from __future__ import annotations

import pytest
import rdflib
from ld_support import BASE, TOKEN, count, parse, select
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, VOID

TG = BASE + "ontology#"
DATASET = rdflib.URIRef("http://localhost/.well-known/void#dataset")


@pytest.fixture(scope="module")
def ontology_pages(ld_app) -> dict[str, str]:
    client = ld_app.test_client()
    return {lang: client.get(f"/ontology?lang={lang}", headers={"Accept": "text/html"}
                             ).get_data(as_text=True) for lang in ("sv", "en")}


def defined_terms(client) -> list[str]:
    rows = select(client, f"""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT DISTINCT ?t WHERE {{ GRAPH <{BASE}graph/ontology> {{
          ?t a ?k VALUES ?k {{ owl:Class owl:ObjectProperty owl:DatatypeProperty
                               owl:AnnotationProperty }}
          FILTER(STRSTARTS(STR(?t), "{TG}")) }} }}""")
    return [row["t"] for row in rows]


def test_every_class_and_property_has_its_anchor_and_labels(ontology_pages, ld):
    terms = defined_terms(ld)
    assert len(terms) > 60
    for lang, page in ontology_pages.items():
        for term in terms:
            local = term[len(TG):]
            assert f'id="{local}"' in page, (lang, local)
    assert '<span lang="sv">Regionalt utvecklingsansvarig aktör</span>' in ontology_pages["sv"]
    assert '<span lang="en">Regionally development-responsible actor</span>' in \
        ontology_pages["en"]
    assert "Den aktör (region) som i ett län har särskilt ansvar" in ontology_pages["sv"]
    assert "The actor (region) that in a county has special responsibility" in \
        ontology_pages["en"]


def _term_section(page: str, local: str) -> str:
    start = page.index(f'<section class="term" id="{local}"')
    return page[start:page.index("</section>", start)]


def test_class_shows_super_and_sub_terms_restrictions_and_shapes(ontology_pages):
    region = _term_section(ontology_pages["en"], "Region")
    assert 'href="#Actor"' in region  # superclass in the ontology: an anchor
    assert 'href="http://www.w3.org/ns/org#FormalOrganization"' in region  # reused: linked
    assert 'href="#responsibleForCounty"' in region and " exactly " in region
    actor = _term_section(ontology_pages["en"], "Actor")
    assert 'href="#Region"' in actor  # subclass
    county = _term_section(ontology_pages["en"], "County")
    assert "tgsh:CountyShape" in county
    code_row = county[county.index('href="#countyCode"'):]
    code_row = code_row[:code_row.index("</tr>")]
    assert "sh:pattern</code> &#34;^[0-9]{2}$&#34;" in code_row
    assert "sh:minCount</code> 1" in code_row and "sh:maxCount</code> 1" in code_row
    assert 'href="http://www.w3.org/2001/XMLSchema#string"' in code_row
    labelled = county[county.index("tgsh:LabelledShape"):]
    assert "sh:languageIn</code> (&#34;sv&#34; &#34;en&#34;)" in labelled


def test_property_shows_domain_range_and_inverse(ontology_pages):
    prop = _term_section(ontology_pages["en"], "responsibleForCounty")
    domain = prop[prop.index("<dt>Domain</dt>"):]
    assert domain.index('href="#Region"') < domain.index("<dt>Range</dt>")
    assert 'href="#County"' in prop[prop.index("<dt>Range</dt>"):]
    assert 'href="#hasRegionalDevelopmentActor"' in prop[prop.index("<dt>Inverse</dt>"):]
    union = _term_section(ontology_pages["en"], "includesActor")
    assert "object property" in union


def test_reused_vocabularies_are_linked_not_copied(ontology_pages):
    page = ontology_pages["en"]
    for namespace in ("http://www.w3.org/ns/org#", "http://www.w3.org/2004/02/skos/core#",
                      "http://www.w3.org/ns/prov#", "http://data.europa.eu/eli/ontology#"):
        assert f'href="{namespace}" rel="external"' in page
    assert 'id="Organization"' not in page and 'id="Concept"' not in page


def test_ontology_hash_terms_resolve_to_anchors(ld):
    response = ld.get("/resource", query_string={"iri": TG + "County"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/ontology#County")


def test_ontology_answers_turtle_by_negotiation(ld):
    response = ld.get("/ontology", headers={"Accept": "text/turtle,text/html;q=0.5"})
    assert response.mimetype == "text/turtle"
    assert response.headers["Content-Location"] == "/ontology.ttl"
    assert "@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#>" in response.get_data(
        as_text=True)


# -- VoID ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(ld_app) -> rdflib.Graph:
    response = ld_app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph()
    graph.parse(data=response.get_data(as_text=True), format="turtle")
    return graph


def test_void_counts_equal_sparql_counts(void, ld):
    assert int(void.value(DATASET, VOID.triples)) == count(
        ld, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(void.value(DATASET, VOID.entities)) == count(ld, f"""
        SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}id/")) }}""")
    assert int(void.value(DATASET, VOID.classes)) == count(
        ld, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }")
    assert int(void.value(DATASET, VOID.properties)) == count(
        ld, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }")


def test_void_graphs_and_partitions_equal_sparql_counts(void, ld):
    subsets = set(void.objects(DATASET, VOID.subset))
    graphs = {row["g"] for row in select(ld, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert {str(s) for s in subsets} == graphs
    for subset in subsets:
        assert int(void.value(subset, VOID.triples)) == count(
            ld, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{subset}> {{ ?s ?p ?o }} }}")
    for partition in void.objects(DATASET, VOID.classPartition):
        cls = void.value(partition, VOID["class"])
        assert int(void.value(partition, VOID.entities)) == count(
            ld, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> }}")
    total = sum(int(void.value(p, VOID.triples))
                for p in void.objects(DATASET, VOID.propertyPartition))
    assert total == int(void.value(DATASET, VOID.triples))


def test_void_describes_endpoint_licence_examples_vocabularies_provenance(void, ld):
    assert void.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef("http://localhost/sparql")
    assert (DATASET, RDF.type, DCAT.Dataset) in void
    assert str(void.value(DATASET, DCTERMS.license)).startswith("https://creativecommons.org/")
    vocabularies = {str(v) for v in void.objects(DATASET, VOID.vocabulary)}
    assert {"http://www.w3.org/ns/org#", "http://www.w3.org/2004/02/skos/core#",
            TG} <= vocabularies
    examples = list(void.objects(DATASET, VOID.exampleResource))
    assert examples
    for example in examples:
        assert ld.get("/" + str(example)[len(BASE):]).status_code == 200
    seed = rdflib.URIRef(BASE + "graph/seed/05-forordning-2017-583")
    assert void.value(seed, PROV.wasDerivedFrom) == rdflib.URIRef(
        BASE + "id/source-section/05-forordning-2017-583")
    assert str(void.value(seed, DCTERMS.source)) == "05-forordning-2017-583.ttl"
    assert void.value(seed, DCTERMS.modified) is not None
    assert str(void.value(seed, VOID.dataDump)).startswith("http://localhost/graph-store?graph=")
    endpoint = rdflib.URIRef("http://localhost/sparql")
    assert (endpoint, DCAT.servesDataset, DATASET) in void


@pytest.mark.parametrize("fmt, accept", [("jsonld", "application/ld+json"),
                                         ("nt", "application/n-triples"),
                                         ("rdf", "application/rdf+xml")])
def test_void_in_every_format_says_the_same(ld, void, context_document, fmt, accept):
    for response in (ld.get("/.well-known/void", headers={"Accept": accept}),
                     ld.get(f"/.well-known/void?format={fmt}")):
        assert response.status_code == 200
        assert isomorphic(parse(response, context_document), void)


def test_void_page_lists_graphs_with_sources_sizes_and_load_times(ld):
    text = ld.get("/.well-known/void?lang=en", headers={"Accept": "text/html"}
                  ).get_data(as_text=True)
    rows = select(ld, f"""
        SELECT ?g ?file ?n ?when WHERE {{ GRAPH <{BASE}graph/metadata> {{
          ?g <{TG}sourceFile> ?file ; <{VOID}triples> ?n ; <{DCTERMS}modified> ?when }} }}""")
    assert rows
    for row in rows:
        assert f'href="/graph/{row["g"][len(BASE) + len("graph/"):]}"' in text
        assert row["file"].rsplit("/", 1)[-1] in text
        assert f'{int(row["n"]):,}' in text
        assert row["when"] in text
    assert 'href="http://localhost/sparql"' in text


def test_service_description_links_the_dataset_description(ld):
    response = ld.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph()
    graph.parse(data=response.get_data(as_text=True), format="turtle")
    assert (None, VOID.inDataset, DATASET) in graph


def test_void_follows_the_data(hostile):
    def triples() -> int:
        graph = rdflib.Graph()
        graph.parse(data=hostile.get("/.well-known/void?format=ttl").get_data(as_text=True),
                    format="turtle")
        return int(graph.value(DATASET, VOID.triples))

    before = triples()
    body = f'<{BASE}id/test/x> <{BASE}ontology#sequence> "1" .\n'
    put = hostile.put("/graph-store", query_string={"graph": BASE + "graph/test/more"},
                      data=body.encode(), content_type="application/n-triples",
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert put.status_code in (201, 204)
    after = triples()  # a new store version: counted again, not served from the cache
    assert after > before
    assert after == count(hostile, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")


def test_context_lists_the_ontology_prefixes(context_document):
    context = context_document["@context"]
    for prefix in ("tg", "org", "skos", "dcterms", "prov", "eli", "schema", "sh", "void",
                   "dcat"):
        assert prefix in context
