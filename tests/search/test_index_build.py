"""The search index a load builds beside itself equals the one built from the store.

A load hands the index builder the files it bulk-loads, the graphs it keeps from the
previous snapshot and the graphs it derives afterwards (a table's funding summaries); a
``reindex`` reads every graph of the finished store. Both must give the same index.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import csv_source, rdf_source
from tillvaxtgraf.search.builder import INDEX_FILE
from tillvaxtgraf.store.derived import DERIVED_SUFFIX, rebuild_for_store_dir
from tillvaxtgraf.store.names import METADATA_GRAPH
from tillvaxtgraf.store.snapshots import SnapshotDir

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "data" / "projects" / "generator.mapping.toml"
TABLE = ROOT / "tests" / "loaders" / "data" / "projects-small.csv"
EX = "https://example.org/feed/"

TRIG = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
<{EX}default-thing> skos:prefLabel "Standardgrafens sak"@sv .
<{EX}g1> {{
  <{EX}nätverk> a org:Organization ; skos:prefLabel "Fjällnätverket"@sv , "The fell network"@en ;
      org:hasMember <https://w3id.org/tillvaxtgraf/id/actor/vinnova> .
}}
"""
TURTLE = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> .
<{EX}samverkan> a org:Organization ; skos:altLabel "Kustsamverkan"@sv ;
    dcterms:description "Samverkan längs kusten."@sv ;
    org:memberOf <{EX}nätverk> .
"""


FTS_STORAGE = ("_data", "_idx", "_content", "_docsize", "_config")


def index_content(path: Path) -> dict[str, list[tuple]]:
    """Every table of the index, rows sorted (full-text tables aside: they are made
    from the name tables), and its names and links by IRI."""
    db = sqlite3.connect(path)
    try:
        tables = [name for name, sql in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            if "VIRTUAL" not in sql and not name.startswith("sqlite_")
            and not (name.startswith("names") and name.endswith(FTS_STORAGE))]
        content = {name: sorted(db.execute(f"SELECT * FROM {name}").fetchall(),  # noqa: S608
                                key=repr) for name in tables}
        content["named"] = sorted(
            row for name in tables
            if {"entity", "text"} <= {c[1] for c in db.execute(f"PRAGMA table_info({name})")}
            for row in db.execute(f"SELECT n.text, e.iri FROM {name} n "  # noqa: S608
                                  "JOIN entity e ON e.id = n.entity"))
        content["links"] = db.execute(
            "SELECT s.iri, p.iri, o.iri FROM edge JOIN entity s ON s.id = edge.s "
            "JOIN predicate p ON p.id = edge.p JOIN entity o ON o.id = edge.o").fetchall()
        return content
    finally:
        db.close()


def test_index_built_beside_a_load_equals_the_index_of_the_store(
        bundled_store_path: Path, copy_store, tmp_path: Path) -> None:
    store = copy_store(bundled_store_path, tmp_path / "store")
    trig, turtle = tmp_path / "feed-dataset.trig", tmp_path / "feed-plain.ttl"
    trig.write_text(TRIG, encoding="utf-8")
    turtle.write_text(TURTLE, encoding="utf-8")
    # A table (its summaries are derived after its bulk load), a dataset file and a
    # plain file, into a store whose other graphs are kept from the previous snapshot.
    report = load_sources(store, [csv_source(MAPPING, TABLE), rdf_source(trig),
                                  rdf_source(turtle)], progress=False)
    index = SnapshotDir(store).current().derived(DERIVED_SUFFIX) / INDEX_FILE
    fed = index_content(index)

    target, built = rebuild_for_store_dir(store)
    assert built == ["search"] and target == index.parent
    rebuilt = index_content(index)

    assert fed == rebuilt
    assert {"entity", "edge", "predicate", "vocab", "typo", "meta"} <= set(fed)
    iris = {row[1] for row in fed["entity"]}
    assert {EX + "nätverk", EX + "samverkan", EX + "default-thing"} <= iris
    assert ("Kustsamverkan", EX + "samverkan") in fed["named"]
    assert ("The fell network", EX + "nätverk") in fed["named"]
    assert (EX + "samverkan", "http://www.w3.org/ns/org#memberOf", EX + "nätverk") \
        in fed["links"]
    assert any(row[2] == "project" for row in fed["entity"])  # the table's projects
    # and the summaries derived after its bulk load (cells linked to their county)
    assert any("/id/funding-summary/" in s for s, _, _ in fed["links"]), report.graphs
    # The loads' provenance is not searched: no load activity is an entity.
    assert not [iri for iri in iris if "/id/load/" in iri], METADATA_GRAPH
