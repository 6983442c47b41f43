"""The plain functions behind the pages: batched VALUES, label choice, languages."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import LanguageAccept

from tillvaxtgraf.service.negotiation import reader_language
from tillvaxtgraf.service.resources.describe import Labels, pick_literal, with_values
from tillvaxtgraf.service.resources.rdf import compact
from tillvaxtgraf.store.terms import Term, is_valid_iri


def test_with_values_fills_the_block_with_escaped_terms():
    query = "SELECT ?x WHERE { VALUES ?x {} ?x ?p ?o }"
    filled = with_values(query, "x", [Term.iri("http://example.org/a"),
                                      Term.literal('evil" } DROP ALL #', "en")])
    assert filled == ('SELECT ?x WHERE { VALUES ?x { <http://example.org/a> '
                      '"evil\\" } DROP ALL #"@en } ?x ?p ?o }')
    with pytest.raises(ValueError):
        with_values("SELECT * WHERE { ?s ?p ?o }", "x", [])


def test_labels_prefer_preferred_labels_then_the_readers_language():
    labels = Labels({"x": [("label", Term.literal("rdfs en", "en")),
                           ("pref", Term.literal("pref sv", "sv")),
                           ("pref", Term.literal("pref de", "de")),
                           ("label", Term.literal("plain"))]})
    assert labels.text("x", "en") == "pref sv"  # Swedish fallback for the preferred label
    labels.found["x"].append(("pref", Term.literal("pref en", "en")))
    assert labels.text("x", "en") == "pref en"
    assert labels.text("x", "sv") == "pref sv"
    assert labels.pick("unknown", "sv") is None


def test_pick_literal_takes_the_readers_language_then_swedish():
    values = [Term.literal("en", "en"), Term.literal("sv", "sv"), Term.iri("http://x.org/")]
    assert pick_literal(values, "en").value == "en"
    assert pick_literal(values[1:], "en").value == "sv"
    assert pick_literal([], "sv") is None


def test_reader_language():
    accept = LanguageAccept([("en-GB", 1), ("en", 0.9), ("sv", 0.5)])
    assert reader_language(None, accept) == "en"
    assert reader_language("sv", accept) == "sv"
    assert reader_language("de", accept) is None
    assert reader_language(None, LanguageAccept([("de", 1)])) == "sv"


def test_compact_names_use_the_longest_namespace():
    known = {"tg": "https://w3id.org/tillvaxtgraf/ontology#",
             "tgid": "https://w3id.org/tillvaxtgraf/id/", "w3id": "https://w3id.org/"}
    assert compact("https://w3id.org/tillvaxtgraf/ontology#Region", known) == "tg:Region"
    assert compact("https://w3id.org/tillvaxtgraf/id/region/01", known) is None
    assert compact("https://w3id.org/tillvaxtgraf/ontology#", known) is None


@pytest.mark.parametrize("iri, valid", [
    ("https://example.org/a%20b", True), ("https://example.org/a%2", False),
    ("https://example.org/%ZZ", False), ("https://example.org/a b", False),
    ("https://example.org/Åre", True), ("not an iri", False),
])
def test_iris_with_broken_percent_escapes_are_not_valid(iri, valid):
    assert is_valid_iri(iri) is valid
