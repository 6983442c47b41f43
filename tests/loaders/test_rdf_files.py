"""Raw RDF files into named graphs: every format, provenance records, idempotence, bad input.

Every test builds a real store folder in tmp_path; nothing is mocked.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
import pytest

from tillvaxtgraf import __version__
from tillvaxtgraf.errors import LoadError, ValidationError
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import rdf_source
from tillvaxtgraf.store.names import GRAPH, METADATA_GRAPH
from tillvaxtgraf.store.snapshots import SnapshotDir

EX = "http://example.org/"
TARGET = GRAPH + "test/target"

# The same three triples in every format (the default graph of the dataset formats).
BASE_TRIPLES = {
    (EX + "a", EX + "p", ox.NamedNode(EX + "b")),
    (EX + "a", EX + "q", ox.Literal("x")),
    (EX + "a", EX + "r", ox.Literal("Växjö", language="sv")),
}

FILES = {
    "turtle": (
        "data.ttl",
        """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b ;
    ex:q "x" ;
    ex:r "Växjö"@sv .
""",
    ),
    "ntriples": (
        "data.nt",
        """<http://example.org/a> <http://example.org/p> <http://example.org/b> .
<http://example.org/a> <http://example.org/q> "x" .
<http://example.org/a> <http://example.org/r> "V\\u00E4xj\\u00F6"@sv .
""",
    ),
    "jsonld": (
        "data.jsonld",
        """{
  "@context": {"ex": "http://example.org/"},
  "@id": "ex:a",
  "ex:p": {"@id": "ex:b"},
  "ex:q": "x",
  "ex:r": {"@value": "Växjö", "@language": "sv"}
}
""",
    ),
    "rdfxml": (
        "data.rdf",
        """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a">
    <ex:p rdf:resource="http://example.org/b"/>
    <ex:q>x</ex:q>
    <ex:r xml:lang="sv">Växjö</ex:r>
  </rdf:Description>
</rdf:RDF>
""",
    ),
    "trig": (
        "data.trig",
        """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b ;
    ex:q "x" ;
    ex:r "Växjö"@sv .
ex:g1 { ex:c ex:p ex:d . }
GRAPH ex:g2 { ex:e ex:p ex:f . ex:e ex:q "y" }
""",
    ),
    "nquads": (
        "data.nq",
        """<http://example.org/a> <http://example.org/p> <http://example.org/b> .
<http://example.org/a> <http://example.org/q> "x" .
<http://example.org/a> <http://example.org/r> "Växjö"@sv .
<http://example.org/c> <http://example.org/p> <http://example.org/d> <http://example.org/g1> .
<http://example.org/e> <http://example.org/p> <http://example.org/f> <http://example.org/g2> .
<http://example.org/e> <http://example.org/q> "y" <http://example.org/g2> .
""",
    ),
}
DATASET_GRAPHS = {EX + "g1": 1, EX + "g2": 2}

PREFIXES = """
PREFIX tg: <https://w3id.org/tillvaxtgraf/ontology#>
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def current_store(store_dir: Path) -> ox.Store:
    current = SnapshotDir(store_dir).current()
    assert current is not None
    return ox.Store.read_only(str(current.path))


def triples_of(store: ox.Store, graph: str) -> set[tuple[str, str, object]]:
    return {
        (q.subject.value, q.predicate.value, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }


def record_of(store: ox.Store, graph: str) -> list[dict[str, ox.NamedNode | ox.Literal]]:
    """The provenance record of one graph: one row, or several if it was duplicated."""
    query = PREFIXES + """
    SELECT * WHERE { GRAPH ?meta {
        ?g a void:Dataset, prov:Entity ;
           tg:sourceFile ?file ; tg:sha256 ?sha ; tg:loaderVersion ?version ;
           void:triples ?triples ; dcterms:modified ?modified ;
           prov:wasGeneratedBy ?activity .
        ?activity a prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ;
           prov:used ?used .
    } }"""
    result = store.query(query, substitutions={
        ox.Variable("meta"): ox.NamedNode(METADATA_GRAPH),
        ox.Variable("g"): ox.NamedNode(graph),
    })
    return [{v.value: s[v] for v in result.variables} for s in result]


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_every_format_loads_into_its_named_graph(tmp_path: Path, counts, fmt: str) -> None:
    name, text = FILES[fmt]
    path = write(tmp_path / name, text)
    store_dir = tmp_path / "store"

    report = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False)

    store = current_store(store_dir)
    assert triples_of(store, TARGET) == BASE_TRIPLES
    expected = {TARGET: 3}
    if fmt in ("trig", "nquads"):
        # Named graphs in the file keep their names; default-graph triples go to the target.
        expected.update(DATASET_GRAPHS)
        assert triples_of(store, EX + "g2") == {
            (EX + "e", EX + "p", ox.NamedNode(EX + "f")),
            (EX + "e", EX + "q", ox.Literal("y")),
        }
    got = counts(store_dir)
    assert got.pop(METADATA_GRAPH) > 0
    assert got == expected
    assert {r.graph: r.triples for r in report.graphs} == expected
    assert all(r.status == "loaded" for r in report.graphs)
    assert report.snapshot == SnapshotDir(store_dir).current_name()
    # Every graph the file wrote has its own provenance record with its own count.
    for graph, triples in expected.items():
        (record,) = record_of(store, graph)
        assert int(record["triples"].value) == triples


@pytest.mark.parametrize(("name", "fmt"), [("data.txt", "turtle"), ("data", "nt"),
                                           ("data.ttl", "json-ld")])
def test_an_explicit_format_wins_over_the_extension(tmp_path: Path, name: str, fmt: str) -> None:
    text = {"turtle": FILES["turtle"][1], "nt": FILES["ntriples"][1],
            "json-ld": FILES["jsonld"][1]}[fmt]
    path = write(tmp_path / name, text)
    load_sources(tmp_path / "store", [rdf_source(path, graph=TARGET, rdf_format=fmt)],
                 progress=False)
    assert triples_of(current_store(tmp_path / "store"), TARGET) == BASE_TRIPLES


def test_default_graph_name_comes_from_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "kommuner.2024.ttl", FILES["turtle"][1])
    report = load_sources(tmp_path / "store", [rdf_source(path)], progress=False)
    assert [r.graph for r in report.graphs] == [GRAPH + "file/kommuner"]


def test_each_load_writes_a_prov_void_record(tmp_path: Path) -> None:
    name, text = FILES["trig"]
    path = write(tmp_path / name, text)
    before = datetime.now().astimezone().replace(microsecond=0)
    load_sources(tmp_path / "store", [rdf_source(path, graph=TARGET)], progress=False)
    after = datetime.now().astimezone()
    store = current_store(tmp_path / "store")

    (record,) = record_of(store, TARGET)
    assert record["file"].value == str(path)
    assert record["used"].value == str(path)
    assert record["sha"].value == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["version"].value == __version__
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert record["triples"].datatype.value == xsd + "integer"
    assert int(record["triples"].value) == 3
    for key in ("modified", "start", "end"):
        assert record[key].datatype.value == xsd + "dateTime"
    start = datetime.fromisoformat(record["start"].value)
    end = datetime.fromisoformat(record["end"].value)
    modified = datetime.fromisoformat(record["modified"].value)
    assert before <= start <= end <= after
    assert modified == end
    # The graphs named inside the file are described too, by the same source file.
    for graph, triples in DATASET_GRAPHS.items():
        (named,) = record_of(store, graph)
        assert named["file"].value == str(path)
        assert int(named["triples"].value) == triples
    # Nothing but these records lives in the metadata graph, and no source wrote into it.
    described = {
        q.subject.value
        for q in store.quads_for_pattern(None, ox.NamedNode(
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://rdfs.org/ns/void#Dataset"), ox.NamedNode(METADATA_GRAPH))
    }
    assert described == {TARGET, *DATASET_GRAPHS}


def test_loading_the_same_source_twice_changes_nothing(tmp_path: Path, state) -> None:
    path = write(tmp_path / "data.trig", FILES["trig"][1])
    store_dir = tmp_path / "store"
    first = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False)
    before = state(store_dir)

    again = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False)

    assert state(store_dir) == before
    assert again.snapshot == first.snapshot
    assert not again.changed
    assert [(r.graph, r.triples, r.status) for r in again.graphs] == [(TARGET, 3, "unchanged")]


def test_a_changed_file_replaces_its_graph_and_its_record(tmp_path: Path, counts) -> None:
    path = write(tmp_path / "data.ttl", FILES["turtle"][1])
    other = write(tmp_path / "other.nt", FILES["ntriples"][1])
    store_dir = tmp_path / "store"
    load_sources(store_dir, [rdf_source(path, graph=TARGET), rdf_source(other)], progress=False)
    write(path, "<http://example.org/z> <http://example.org/p> <http://example.org/y> .\n")

    report = load_sources(store_dir, [rdf_source(path, graph=TARGET), rdf_source(other)],
                          progress=False)

    assert [r.status for r in report.graphs] == ["unchanged", "loaded"]
    store = current_store(store_dir)
    assert triples_of(store, TARGET) == {(EX + "z", EX + "p", ox.NamedNode(EX + "y"))}
    (record,) = record_of(store, TARGET)  # replaced, not added to
    assert int(record["triples"].value) == 1
    assert record["sha"].value == hashlib.sha256(path.read_bytes()).hexdigest()
    assert counts(store_dir)[GRAPH + "file/other"] == 3


def test_force_reloads_an_unchanged_source(tmp_path: Path) -> None:
    path = write(tmp_path / "data.ttl", FILES["turtle"][1])
    store_dir = tmp_path / "store"
    first = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False)
    again = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False, force=True)
    assert again.changed and again.snapshot != first.snapshot
    assert triples_of(current_store(store_dir), TARGET) == BASE_TRIPLES


# --- SHACL on request -----------------------------------------------------------------------

PROJECTS_TTL = """@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix p: <https://w3id.org/tillvaxtgraf/id/project/> .

p:ok a tg:Project ;
    skos:prefLabel "Ett bra projekt"@sv ;
    tg:amount 1200.50 .

p:unnamed a tg:Project ;
    tg:amount 10.0 .
"""


def test_raw_rdf_is_shacl_validated_only_on_request(tmp_path: Path, shapes_source,
                                                    state) -> None:
    path = write(tmp_path / "projects.ttl", PROJECTS_TTL)
    store_dir = tmp_path / "store"
    load_sources(store_dir, [shapes_source], progress=False)
    before = state(store_dir)

    with pytest.raises(ValidationError) as caught:
        load_sources(store_dir, [rdf_source(path, validate=True)], progress=False)
    error = caught.value
    assert error.source == str(path)
    assert error.line == 9  # where p:unnamed is described
    assert "unnamed" in error.message and "prefLabel" in error.message
    assert state(store_dir) == before

    report = load_sources(store_dir, [rdf_source(path)], progress=False)
    assert report.changed


def test_validation_needs_shapes(tmp_path: Path, state) -> None:
    path = write(tmp_path / "projects.ttl", PROJECTS_TTL)
    with pytest.raises(ValidationError, match="shapes graph is empty"):
        load_sources(tmp_path / "store", [rdf_source(path, validate=True)], progress=False)
    assert SnapshotDir(tmp_path / "store").current_name() is None


# --- bad input: a clear message, and the store exactly as before ------------------------------


@pytest.fixture
def populated(tmp_path: Path, state) -> tuple[Path, dict[str, str]]:
    """A store with one published load, and the bytes of every file in it."""
    store_dir = tmp_path / "store"
    path = write(tmp_path / "first.ttl", FILES["turtle"][1])
    load_sources(store_dir, [rdf_source(path)], progress=False)
    return store_dir, state(store_dir)


def _broken_turtle(tmp_path: Path) -> Path:
    lines = ["@prefix ex: <http://example.org/> ."]
    lines += [f"ex:s{i} ex:p {i} ." for i in range(1, 50)]
    lines[25] = "ex:s25 ex:p ex:o ex:oops ."  # line 26: two objects without a comma
    return write(tmp_path / "broken.ttl", "\n".join(lines) + "\n")


def test_turtle_syntax_error_half_way(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    path = _broken_turtle(tmp_path)
    with pytest.raises(LoadError) as caught:
        load_sources(store_dir, [rdf_source(path)], progress=False)
    error = caught.value
    assert (error.source, error.line, error.column) == (str(path), 26, 18)
    assert "dot is expected" in error.message
    assert str(error).startswith(f"{path}:26:18: ")
    assert state(store_dir) == before


SYNTAX_ERRORS = {
    "ntriples": ("bad.nt", "<http://e/a> <http://e/p> <http://e/b> .\n"
                 "<http://e/a> <http://e/p> <http://e/b> <http://e/c> .\n", 2),
    "nquads": ("bad.nq", "<http://e/a> <http://e/p> <http://e/b> .\n"
               "<http://e/a> <http://e/p> <http://e/b> <http://e/g> <x> .\n", 2),
    "trig": ("bad.trig", "@prefix ex: <http://example.org/> .\nex:g {\n ex:a ex:p ex:b\n"
             " ex:a ex:p ex:b .}\n", 4),
    "jsonld": ("bad.jsonld", '{\n "@id": "http://e/a",\n "http://e/q": [1,\n}\n', 4),
    "rdfxml": ("bad.rdf", '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf='
               '"http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<oops/>\n</rdf:RDF>\n', None),
}


@pytest.mark.parametrize("fmt", sorted(SYNTAX_ERRORS))
def test_syntax_errors_in_every_format(tmp_path: Path, populated, state, fmt: str) -> None:
    store_dir, before = populated
    name, text, line = SYNTAX_ERRORS[fmt]
    path = write(tmp_path / name, text)
    with pytest.raises(LoadError) as caught:
        load_sources(store_dir, [rdf_source(path)], progress=False)
    assert caught.value.source == str(path)
    assert caught.value.message
    if line is not None:
        assert caught.value.line == line
    assert state(store_dir) == before


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        rdf_source(tmp_path / "missing.ttl")
    assert caught.value.source == str(tmp_path / "missing.ttl")
    assert "no such file" in caught.value.message


def test_a_folder_is_not_a_source(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not a file"):
        rdf_source(tmp_path)


def test_unknown_format_by_extension_and_by_name(tmp_path: Path) -> None:
    path = write(tmp_path / "data.xyz", FILES["turtle"][1])
    with pytest.raises(LoadError) as caught:
        rdf_source(path)
    assert caught.value.source == str(path)
    assert "unknown format" in caught.value.message and "'.xyz'" in caught.value.message
    with pytest.raises(LoadError) as caught:
        rdf_source(path, rdf_format="n3")
    assert caught.value.source == str(path)
    assert "unknown RDF format 'n3'" in caught.value.message


def test_a_bad_graph_name(tmp_path: Path) -> None:
    path = write(tmp_path / "data.ttl", FILES["turtle"][1])
    with pytest.raises(LoadError, match="not an absolute IRI"):
        rdf_source(path, graph="graph with spaces")


def test_a_file_may_not_write_the_metadata_graph(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    path = write(tmp_path / "sneaky.nq", f'<{EX}a> <{EX}p> "x" <{METADATA_GRAPH}> .\n')
    with pytest.raises(LoadError, match="metadata graph"):
        load_sources(store_dir, [rdf_source(path)], progress=False)
    assert state(store_dir) == before


def test_two_sources_for_one_graph_are_refused(tmp_path: Path) -> None:
    a = write(tmp_path / "a.ttl", FILES["turtle"][1])
    b = write(tmp_path / "b.nt", FILES["ntriples"][1])
    with pytest.raises(LoadError, match="same graph"):
        load_sources(tmp_path / "store", [rdf_source(a, graph=TARGET),
                                          rdf_source(b, graph=TARGET)], progress=False)


def test_a_bad_second_source_leaves_the_first_unloaded(tmp_path: Path, populated, state,
                                                       counts) -> None:
    store_dir, before = populated
    before_counts = counts(store_dir)
    good = write(tmp_path / "good.nt", FILES["ntriples"][1])
    bad = _broken_turtle(tmp_path)
    with pytest.raises(LoadError) as caught:
        load_sources(store_dir, [rdf_source(good), rdf_source(bad)], progress=False)
    assert caught.value.source == str(bad)
    assert state(store_dir) == before
    assert counts(store_dir) == before_counts
    assert GRAPH + "file/good" not in before_counts


def test_a_failed_first_load_publishes_nothing(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    with pytest.raises(LoadError):
        load_sources(store_dir, [rdf_source(_broken_turtle(tmp_path))], progress=False)
    snapshots = SnapshotDir(store_dir)
    assert snapshots.current_name() is None
    assert list(snapshots.snapshots.iterdir()) == []


def test_a_dataset_file_with_only_named_graphs(tmp_path: Path, counts, state) -> None:
    path = write(tmp_path / "named.nq", f'<{EX}a> <{EX}p> "x" <{EX}g1> .\n')
    store_dir = tmp_path / "store"
    report = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False)
    # The target graph is empty but described, so that loading the file again is a no-op.
    assert {r.graph: r.triples for r in report.graphs} == {TARGET: 0, EX + "g1": 1}
    (record,) = record_of(current_store(store_dir), TARGET)
    assert record["triples"].value == "0"
    before = state(store_dir)
    again = load_sources(store_dir, [rdf_source(path, graph=TARGET)], progress=False)
    assert not again.changed and state(store_dir) == before
