"""Ranking when a word is in very many names: the index reads each match class's first
names in their own order (importance, kind of label, short names first) and stops, so a
name that matches better must still be found however many more important names only
contain the word, and a kind filter must still find its kind behind them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.search.index import SearchIndex
from tillvaxtgraf.search.locate import IndexLocator
from tillvaxtgraf.store.embedded_backend import EmbeddedStore

ID = "https://w3id.org/tillvaxtgraf/id/"
TG = "https://w3id.org/tillvaxtgraf/ontology#"
ORG = "http://www.w3.org/ns/org#Organization"
PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
# More than the 400 best-by-bm25 names the index once read: short names, all of them
# more important (actors) than the priority and better by bm25 (fewer words).
CROWD = 450
PRIORITY = ID + "priority/innovation-och-foretagande"
MUNICIPALITY = ID + "municipality/9999"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("crowd")
    lines = [f'<{ID}organisation/crowd-{n}> a <{ORG}> ; <{PREF}> "Stiftelse{n} innovation"@sv .'
             for n in range(CROWD)]
    lines += [
        f'<{PRIORITY}> a <{TG}Priority> ; <{PREF}> "Innovation och företagande"@sv .',
        f'<{MUNICIPALITY}> a <{TG}Municipality> ; <{PREF}> "Innovationsby"@sv .',
    ]
    data = root / "crowd.ttl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_sources(root / "store", [rdf_source(data)], progress=False)
    store = EmbeddedStore(root / "store", workers=1)
    try:
        located = IndexLocator(store).locate()
        assert located.index is not None and not located.stale
        yield located.index
    finally:
        store.close()


@pytest.mark.parametrize("typed", ["innov", "Innovation", "innovation och", "innovation foretag"])
def test_a_name_starting_with_the_words_comes_first(index: SearchIndex, typed: str):
    hits = index.search(typed, limit=5)
    assert hits[0].iri == PRIORITY, [h.iri for h in hits]


def test_the_names_that_only_contain_the_word_follow_by_importance(index: SearchIndex):
    iris = [h.iri for h in index.search("innov", limit=8)]
    # The municipality's name starts with the word too, the actors' only contain it.
    assert iris[:2] == [PRIORITY, MUNICIPALITY]
    assert all(iri.startswith(ID + "organisation/crowd-") for iri in iris[2:])
    assert len(iris) == 8


def test_a_kind_filter_finds_its_kind_behind_the_crowd(index: SearchIndex):
    assert [h.iri for h in index.search("stiftelse1", limit=5, kinds={"municipality"})] == []
    assert [h.iri for h in index.search("innovation", limit=5, kinds={"municipality"})] \
        == [MUNICIPALITY]


def test_every_match_is_reachable_with_a_large_limit(index: SearchIndex):
    assert len(index.search("stiftelse1", limit=100)) == 100  # 1, 10-19, 100-199
    assert len({h.iri for h in index.search("innovation", limit=100)}) == 100
