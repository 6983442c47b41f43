"""Checks of the ontology, the SHACL shapes and the curated seed data.

The full-data SHACL run (with the CSV reference data loaded) lives elsewhere; here the seed
data is validated together with a minimal fake set of counties, regions and municipalities.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = REPO / "ontology" / "tillvaxtgraf.ttl"
SHAPES_FILE = REPO / "ontology" / "shapes.ttl"
SEED_DIR = REPO / "data" / "seed"

TG = Namespace("https://w3id.org/tillvaxtgraf/ontology#")
ID = "https://w3id.org/tillvaxtgraf/id/"
ONTOLOGY_IRI = URIRef("https://w3id.org/tillvaxtgraf/ontology")
DCTERMS = Namespace("http://purl.org/dc/terms/")

COUNTY_CODES = [
    "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13",
    "14", "17", "18", "19", "20", "21", "22", "23", "24", "25",
]

# Names that the CSV mappings and loaders depend on.
REQUIRED_CLASSES = [
    "County", "Region", "Municipality", "GovernmentAgency", "Actor", "Level",
    "Government", "GovernmentOffices", "Ministry", "InterestOrganisation", "EUBody",
    "Strategy", "PolicyGoal", "SteeringInstrument", "Regulation", "FundingSource",
    "CollaborationArena", "MainTask", "Assignment", "Dialogue", "Project", "FollowUpSystem",
    "SourceSection",
]
REQUIRED_PROPERTIES = [
    "countyCode", "municipalityCode", "nutsCode", "nuts2Code", "iso3166_2",
    "organisationNumber", "responsibleForCounty", "inCounty", "hasMunicipality",
    "hasRegionalDevelopmentActor", "level", "heading", "excerpt", "sequence",
]
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@cache
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@cache
def seed() -> Graph:
    graph = Graph()
    for path in sorted(SEED_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def tg_terms() -> list[URIRef]:
    graph = ontology()
    return sorted(
        {
            s
            for t in TERM_TYPES
            for s in graph.subjects(RDF.type, t)
            if isinstance(s, URIRef) and str(s).startswith(str(TG))
        }
    )


def fake_reference() -> Graph:
    """The minimum the CSV loader would add: counties, regions, one municipality each."""
    graph = Graph()
    for code in COUNTY_CODES:
        county = URIRef(f"{ID}county/{code}")
        region = URIRef(f"{ID}region/{code}")
        municipality = URIRef(f"{ID}municipality/{code}80")
        for node, kind, sv, en in [
            (county, TG.County, f"Län {code}", f"County {code}"),
            (region, TG.Region, f"Region {code}", f"Region {code}"),
            (municipality, TG.Municipality, f"Kommun {code}80", f"Municipality {code}80"),
        ]:
            graph.add((node, RDF.type, kind))
            graph.add((node, SKOS.prefLabel, Literal(sv, lang="sv")))
            graph.add((node, SKOS.prefLabel, Literal(en, lang="en")))
            graph.add((node, RDFS.label, Literal(sv, lang="sv")))
        graph.add((county, TG.countyCode, Literal(code)))
        graph.add((county, TG.hasMunicipality, municipality))
        graph.add((county, TG.hasRegionalDevelopmentActor, region))
        graph.add((region, TG.countyCode, Literal(code)))
        graph.add((region, TG.responsibleForCounty, county))
        graph.add((region, TG.level, URIRef(f"{ID}level/regional")))
        graph.add((municipality, TG.municipalityCode, Literal(f"{code}80")))
        graph.add((municipality, TG.inCounty, county))
        graph.add((municipality, TG.level, URIRef(f"{ID}level/municipal")))
    return graph


def run_shacl(data: Graph) -> tuple[bool, str]:
    conforms, _, text = validate(
        data, shacl_graph=shapes(), ont_graph=ontology(), inference="none"
    )
    return conforms, text


# --------------------------------------------------------------------------- ontology


def test_ontology_parses_and_has_header():
    graph = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    titles = {t.language for t in graph.objects(ONTOLOGY_IRI, DCTERMS.title)}
    assert titles == {"sv", "en"}
    assert graph.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert graph.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )


@pytest.mark.parametrize("name", REQUIRED_CLASSES)
def test_required_class_exists(name):
    assert (TG[name], RDF.type, OWL.Class) in ontology()


@pytest.mark.parametrize("name", REQUIRED_PROPERTIES)
def test_required_property_exists(name):
    kinds = set(ontology().objects(TG[name], RDF.type))
    assert kinds & {OWL.ObjectProperty, OWL.DatatypeProperty}


def test_fixed_class_hierarchy():
    graph = ontology()
    org = Namespace("http://www.w3.org/ns/org#")
    assert (TG.Actor, RDFS.subClassOf, org.Organization) in graph
    assert (TG.Region, RDFS.subClassOf, TG.Actor) in graph
    assert (TG.Region, RDFS.subClassOf, org.FormalOrganization) in graph
    assert (TG.CollaborationArena, RDFS.subClassOf, org.OrganizationalCollaboration) in graph
    assert (TG.Regulation, RDFS.subClassOf,
            URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in graph
    assert (TG.hasMunicipality, OWL.inverseOf, TG.inCounty) in graph
    assert (TG.hasRegionalDevelopmentActor, OWL.inverseOf, TG.responsibleForCounty) in graph


@pytest.mark.parametrize("term", tg_terms(), ids=lambda t: str(t).split("#")[-1])
def test_every_term_is_labelled_and_defined(term):
    graph = ontology()

    def langs(prop):
        return {o.language for o in graph.objects(term, prop) if isinstance(o, Literal)}

    assert {"sv", "en"} <= langs(RDFS.label), "rdfs:label @sv and @en"
    assert {"sv", "en"} <= langs(SKOS.prefLabel), "skos:prefLabel @sv and @en"
    assert {"sv", "en"} <= langs(SKOS.definition) | langs(RDFS.comment), "definition sv/en"
    assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in graph


def test_every_tg_term_used_is_defined():
    defined = set(tg_terms())
    used = set()
    for graph in (seed(), shapes()):
        for triple in graph:
            for node in triple:
                if isinstance(node, URIRef) and str(node).startswith(str(TG)):
                    used.add(node)
    assert sorted(used - defined) == []


# --------------------------------------------------------------------------- shapes


def test_shapes_parse_and_cover_the_data_classes():
    sh = Namespace("http://www.w3.org/ns/shacl#")
    targeted = set(shapes().objects(None, sh.targetClass))
    data_classes = {o for o in seed().objects(None, RDF.type) if str(o).startswith(str(TG))}
    data_classes |= {TG.County, TG.Region, TG.Municipality, TG.GovernmentAgency}
    assert data_classes - targeted == set()


# --------------------------------------------------------------------------- seed data


def test_seed_files_have_one_source_section_each():
    files = sorted(SEED_DIR.glob("*.ttl"))
    assert len(files) >= 10
    sequences = []
    for path in files:
        graph = Graph().parse(path, format="turtle")
        sections = list(graph.subjects(RDF.type, TG.SourceSection))
        assert sections == [URIRef(f"{ID}source-section/{path.stem}")], path.name
        section = sections[0]
        assert re.fullmatch(r"\d{2}-[a-z0-9-]+", path.stem)
        assert {h.language for h in graph.objects(section, TG.heading)} == {"sv", "en"}
        excerpt = graph.value(section, TG.excerpt)
        assert excerpt is not None and excerpt.language == "sv"
        assert "länk till annan webbplats" not in str(excerpt)
        assert graph.value(section, DCTERMS.isPartOf) == URIRef(
            f"{ID}source/tillvaxtverket-regionalt-tillvaxtarbete"
        )
        sequence = graph.value(section, TG.sequence)
        assert sequence is not None and sequence.datatype == XSD.integer
        assert int(sequence) == int(path.stem[:2])
        sequences.append(int(sequence))
    assert sequences == list(range(len(files)))


def test_seed_instances_are_labelled_in_sv_and_en():
    graph = seed()
    missing = []
    for subject in set(graph.subjects(RDF.type, None)):
        langs = {o.language for o in graph.objects(subject, SKOS.prefLabel)}
        if langs != {"sv", "en"}:
            missing.append(str(subject))
    assert missing == []


def test_seed_conforms_to_shapes():
    data = seed() + fake_reference()
    conforms, text = run_shacl(data)
    assert conforms, text


def test_shapes_reject_broken_reference_data():
    data = seed() + fake_reference()
    region = URIRef(f"{ID}region/01")
    data.remove((region, TG.responsibleForCounty, None))
    municipality = URIRef(f"{ID}municipality/0380")
    data.remove((municipality, TG.municipalityCode, None))
    data.add((municipality, TG.municipalityCode, Literal("0180")))  # wrong county prefix
    assignment = next(data.subjects(RDF.type, TG.Assignment))
    data.remove((assignment, TG.deadline, None))
    data.add((assignment, TG.deadline, Literal("1 oktober")))
    conforms, text = run_shacl(data)
    assert not conforms
    assert "responsibleForCounty" in text
    assert "first two digits" in text
    assert "deadline" in text
