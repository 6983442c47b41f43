"""Shortest paths over the bundled data, told as sentences; relations in plain words."""

from __future__ import annotations

import pytest

from tillvaxtgraf.search import connections
from tillvaxtgraf.search.connections import PathFinder
from tillvaxtgraf.search.relations import long_date, relation_groups

ID = "https://w3id.org/tillvaxtgraf/id/"
VINNOVA = ID + "agency/vinnova"
TILLVAXTVERKET = ID + "agency/tillvaxtverket"
REGION_SKANE = ID + "region/12"
REGLAB = ID + "arena/reglab"


@pytest.fixture
def finder(bundled_store, search_index):
    return lambda lang="en", **kw: PathFinder(bundled_store, search_index, lang=lang, **kw)


def test_two_members_of_reglab_are_connected_through_it(finder):
    answer = finder().connect(VINNOVA, REGION_SKANE)
    assert answer.paths, "no path found"
    best = answer.paths[0]
    assert best.nodes == [VINNOVA, REGLAB, REGION_SKANE]
    assert best.sentence == ("Vinnova – Sweden's Innovation Agency and Region Skåne are "
                             "both members of Reglab.")
    assert not answer.capped and not answer.exhausted


def test_the_sentence_in_swedish(finder):
    answer = finder("sv").connect(VINNOVA, REGION_SKANE)
    assert answer.paths[0].sentence == "Vinnova och Region Skåne är båda medlemmar i Reglab."


def test_paths_are_shortest_distinct_and_few(finder):
    answer = finder().connect(TILLVAXTVERKET, ID + "municipality/1880", max_paths=3)
    assert 1 <= len(answer.paths) <= 3
    lengths = {len(p.edges) for p in answer.paths}
    assert len(lengths) == 1 and lengths.pop() <= 4
    assert len({tuple(p.nodes) for p in answer.paths}) == len(answer.paths)
    for path in answer.paths:
        assert path.nodes[0] == TILLVAXTVERKET and path.nodes[-1] == ID + "municipality/1880"
        assert len(set(path.nodes)) == len(path.nodes)
        steps = list(zip(path.nodes, path.nodes[1:], strict=False))
        for edge, (a, b) in zip(path.edges, steps, strict=True):
            assert {edge.subject, edge.object} == {a, b}
        assert path.sentence.endswith(".")


def test_max_length_bounds_the_search(finder):
    assert finder().connect(VINNOVA, REGION_SKANE, max_length=1).paths == []


def test_the_same_entity_has_no_path(finder):
    assert finder().connect(VINNOVA, VINNOVA).paths == []


def test_hub_caps_are_reported(finder):
    tight = finder(fanout=5)
    answer = tight.connect(VINNOVA, REGION_SKANE)
    assert REGLAB in answer.capped


def test_the_search_stops_at_its_budget(finder, monkeypatch):
    monkeypatch.setattr(connections, "MAX_EXPANSIONS", 1)
    answer = finder().connect(ID + "municipality/2584", ID + "municipality/1280")
    assert answer.exhausted


def test_relations_read_from_the_entitys_side(finder):
    groups = {g.phrase: g for g in relation_groups(finder(), TILLVAXTVERKET)}
    assert [i["label"] for i in groups["is a member of"].items] == ["Reglab"]
    assigned = groups["is assigned to"].items
    assert assigned[0]["text"] == ("compile and analyse the regions' reports, reported to "
                                   "Government Offices of Sweden, due 1 October 2019")
    passive = [g for g in groups.values() if g.direction == "in-passive"]
    assert passive and all(g.phrase.startswith("… ") for g in passive)


def test_relations_in_swedish(finder):
    groups = {g.phrase: g for g in relation_groups(finder("sv"), TILLVAXTVERKET)}
    assert groups["har i uppdrag att"].items[0]["text"].endswith("senast 1 oktober 2019")
    assert "är medlem i" in groups


def test_long_dates():
    assert long_date("2019-10-01", "en") == "1 October 2019"
    assert long_date("2019-10-01", "sv") == "1 oktober 2019"
    assert long_date("autumn", "en") == "autumn"


@pytest.mark.parametrize("iri", [TILLVAXTVERKET, REGLAB, REGION_SKANE, ID + "county/12"])
def test_the_index_holds_the_links_the_store_gives(bundled_store, search_index, iri):
    from_store = PathFinder(bundled_store, search_index, index_is_current=False)
    from_index = PathFinder(bundled_store, search_index)
    assert from_store.linked is None and from_index.linked is search_index
    store_links = set(from_store.neighbours(iri))
    assert store_links and set(from_index.neighbours(iri)) == store_links
    assert from_index.property_phrases() == from_store.property_phrases()
    assert from_index.inverse_phrases() == from_store.inverse_phrases()


def test_paths_over_the_store_match_paths_over_the_index(bundled_store, search_index):
    # The best paths agree; beyond them, which links of a capped hub are followed may not.
    for source, target in [(VINNOVA, REGION_SKANE), (TILLVAXTVERKET, ID + "municipality/1880")]:
        a = PathFinder(bundled_store, search_index, lang="en", index_is_current=False
                       ).connect(source, target, max_paths=3)
        b = PathFinder(bundled_store, search_index, lang="en").connect(source, target,
                                                                        max_paths=3)
        assert a.paths and [(p.nodes, p.sentence) for p in a.paths] == \
            [(p.nodes, p.sentence) for p in b.paths]
        assert a.capped == b.capped
