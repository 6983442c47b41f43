"""The ``tillvaxtgraf`` command: load, query, validate, export, stats.

Through click's CliRunner in-process, and through the installed console script in real
subprocesses. Small stores are built in tmp_path; the whole-store checks use the bundled
data (the session's ``loaded_store``), read-only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from tillvaxtgraf import __version__
from tillvaxtgraf.cli import cli
from tillvaxtgraf.store.names import GRAPH, METADATA_GRAPH, SHAPES_GRAPH
from tillvaxtgraf.store.snapshots import SnapshotDir

TG = "https://w3id.org/tillvaxtgraf/ontology#"
PREFIXES = f"""PREFIX tg: <{TG}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
TURTLE = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b ;
    ex:q "x" ;
    ex:r "Växjö"@sv .
"""
SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
<https://w3id.org/tillvaxtgraf/shapes#ProjectShape> a sh:NodeShape ;
    sh:targetClass tg:Project ;
    sh:property [ sh:path skos:prefLabel ; sh:minCount 1 ] .
"""


def console_script() -> list[str]:
    """The installed ``tillvaxtgraf`` entry point (beside this interpreter, else on PATH)."""
    beside = Path(sys.executable).parent / "tillvaxtgraf"
    found = str(beside) if beside.exists() else shutil.which("tillvaxtgraf")
    assert found, "the tillvaxtgraf console script is not installed (pip install -e .)"
    return [found]


def folder_state(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with the sha256 of its bytes."""
    state = {}
    for path in sorted(root.rglob("*")):
        digest = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        state[str(path.relative_to(root))] = digest
    return state


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def broken_turtle(tmp_path: Path) -> Path:
    lines = ["@prefix ex: <http://example.org/> ."] + [f"ex:s{i} ex:p {i} ." for i in range(1, 50)]
    lines[25] = "ex:s25 ex:p ex:o ex:oops ."
    return write(tmp_path / "broken.ttl", "\n".join(lines) + "\n")


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    """A store with the tiny shapes and one Turtle file, loaded through the CLI."""
    store = tmp_path / "store"
    shapes = write(tmp_path / "shapes.ttl", SHAPES)
    data = write(tmp_path / "data.ttl", TURTLE)
    assert run("--store", str(store), "load", "--graph", SHAPES_GRAPH, str(shapes)).exit_code == 0
    result = run("--store", str(store), "load", str(data))
    assert result.exit_code == 0, result.output
    return store


# --- load ---------------------------------------------------------------------------------


def test_load_reports_graphs_and_publishes(tmp_path: Path) -> None:
    data = write(tmp_path / "data.ttl", TURTLE)
    result = run("--store", str(tmp_path / "store"), "load", str(data))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["loaded", "3", "triples", f"<{GRAPH}file/data>", "from",
                                str(data)]
    assert lines[-1] == "published snapshot 000001: 3 triples loaded"
    assert SnapshotDir(tmp_path / "store").current_name() == "000001"


def test_load_twice_changes_nothing(small_store: Path, tmp_path: Path) -> None:
    before = folder_state(small_store)
    result = run("--store", str(small_store), "load", str(tmp_path / "data.ttl"))
    assert result.exit_code == 0
    assert result.stdout.split()[0] == "unchanged"
    assert result.stdout.splitlines()[-1] == (
        "nothing changed: every source is already loaded as it is")
    assert folder_state(small_store) == before


def test_load_with_graph_and_format_options(tmp_path: Path) -> None:
    data = write(tmp_path / "data.txt", TURTLE)
    store = tmp_path / "store"
    result = run("--store", str(store), "load", "--graph", "http://example.org/g", "--format",
                 "turtle", str(data))
    assert result.exit_code == 0, result.output
    out = run("--store", str(store), "query", "--format", "csv",
              "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }")
    assert out.stdout == "n\n3\n"


def test_the_store_comes_from_the_environment(tmp_path: Path) -> None:
    data = write(tmp_path / "data.ttl", TURTLE)
    env = {"TILLVAXTGRAF_STORE": str(tmp_path / "env-store")}
    assert run("load", str(data), env=env).exit_code == 0
    assert SnapshotDir(tmp_path / "env-store").current_name() == "000001"
    # --store wins over the environment.
    assert run("--store", str(tmp_path / "flag-store"), "load", str(data), env=env).exit_code == 0
    assert SnapshotDir(tmp_path / "flag-store").current_name() == "000001"
    assert SnapshotDir(tmp_path / "env-store").current_name() == "000001"


def test_load_a_csv_table_with_its_mapping(small_store: Path, tmp_path: Path) -> None:
    write(tmp_path / "p.csv", "id;namn\r\np1;Växjö\r\np2;Åre\r\n", encoding="cp1252")
    mapping = write(tmp_path / "p.mapping.toml", f"""
[source]
file = "p.csv"
graph = "{GRAPH}test/p"
delimiter = ";"
encoding = "cp1252"

[[entities]]
iri = "https://w3id.org/tillvaxtgraf/id/project/{{id}}"
types = ["tg:Project"]
properties = [{{ predicate = "skos:prefLabel", column = "namn", lang = "sv" }}]
""")
    other_table = write(tmp_path / "other.csv", "id;namn\r\np9;Nio\r\n")
    result = run("--store", str(small_store), "load", str(mapping))
    assert result.exit_code == 0, result.output
    assert f"<{GRAPH}test/p>" in result.stdout and "4 triples" in result.stdout
    # A table given apart from its mapping replaces the table the mapping names.
    result = run("--store", str(small_store), "load", "--mapping", str(mapping), str(other_table))
    assert result.exit_code == 0, result.output
    out = run("--store", str(small_store), "query", "--format", "csv",
              PREFIXES + "SELECT ?l WHERE { ?s a tg:Project ; skos:prefLabel ?l } ORDER BY ?l")
    assert out.stdout == "l\nNio\n"


# --- errors: one line ``error: file:line[:col]: reason``, exit 1, store untouched -------------


def expect_error(store: Path, *args: str) -> str:
    before = folder_state(store) if store.exists() else None
    result = run("--store", str(store), *args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    if before is not None:
        assert folder_state(store) == before
    return lines[0]


def test_load_syntax_error(small_store: Path, tmp_path: Path) -> None:
    path = broken_turtle(tmp_path)
    line = expect_error(small_store, "load", str(path))
    assert line.startswith(f"error: {path}:26:18: ")
    assert "dot is expected" in line


def test_load_missing_file_and_unknown_format(small_store: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.ttl"
    assert expect_error(small_store, "load", str(missing)) == (
        f"error: {missing}: no such file or directory")
    odd = write(tmp_path / "data.xyz", TURTLE)
    assert expect_error(small_store, "load", str(odd)).startswith(
        f"error: {odd}: unknown format")
    assert expect_error(small_store, "load", "--format", "n3", str(odd)).startswith(
        f"error: {odd}: unknown RDF format 'n3'")


def test_load_csv_errors(small_store: Path, tmp_path: Path) -> None:
    table = write(tmp_path / "t.csv", "id,amount\nx1,12\nx2,1 2x\n")
    mapping = write(tmp_path / "t.mapping.toml", f"""
[source]
file = "t.csv"
graph = "{GRAPH}test/t"

[[entities]]
iri = "http://example.org/{{id}}"
properties = [{{ predicate = "tg:amount", column = "amount", datatype = "xsd:decimal" }},
              {{ predicate = "tg:code", column = "code" }}]
""")
    line = expect_error(small_store, "load", str(mapping))
    assert line.startswith(f"error: {table}:1: missing column(s) 'code'")
    write(table, "id,amount,code\nx1,12,a\nx2,1 2x,b\n")
    assert expect_error(small_store, "load", str(mapping)) == (
        f"error: {table}:3:2: column 'amount': '1 2x' is not a number")
    write(table, "id,amount,code\nx1,12,Växjö\n", encoding="cp1252")
    assert expect_error(small_store, "load", str(mapping)).startswith(
        f"error: {table}:2: byte 8 of the line is not valid utf-8")
    assert expect_error(small_store, "load", str(table)) == (
        f"error: {table}: a CSV table needs --mapping FILE.toml")


def test_load_validate_flag(small_store: Path, tmp_path: Path) -> None:
    data = write(tmp_path / "projects.ttl", f"""@prefix tg: <{TG}> .
<https://w3id.org/tillvaxtgraf/id/project/unnamed> a tg:Project .
""")
    line = expect_error(small_store, "load", "--validate", str(data))
    assert line.startswith(f"error: {data}:2: the data violates the SHACL shapes: ")
    assert "project/unnamed" in line
    # The same file, not asked to conform, loads.
    assert run("--store", str(small_store), "load", str(data)).exit_code == 0


def test_a_bad_second_source_loads_neither(small_store: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "good.ttl", TURTLE)
    bad = broken_turtle(tmp_path)
    assert expect_error(small_store, "load", str(good), str(bad)).startswith(f"error: {bad}:26")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "load", "--graph",
                                      "http://g", "a.ttl", "b.ttl"])
    assert result.exit_code == 2
    assert "one SOURCE" in result.stderr


# --- query ------------------------------------------------------------------------------------


SELECT = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{GRAPH}file/data> {{ ?s ?p ?o }} }} ORDER BY ?p"


def test_query_as_table_csv_and_json(small_store: Path) -> None:
    table = run("--store", str(small_store), "query", SELECT).stdout.splitlines()
    assert table[0].split() == ["s", "p", "o"]
    assert set(table[1]) == {"-", " "}
    assert table[-1] == "(3 rows)"
    assert table[2].split() == ["http://example.org/a", "http://example.org/p",
                                "http://example.org/b"]
    # Columns line up: each value starts where its header does.
    assert table[4].index("Växjö") == table[0].index("o")

    rows = list(csv.reader(io.StringIO(
        run("--store", str(small_store), "query", "--format", "csv", SELECT).stdout)))
    assert rows[0] == ["s", "p", "o"]
    assert [r[2] for r in rows[1:]] == ["http://example.org/b", "x", "Växjö"]

    data = json.loads(run("--store", str(small_store), "query", "--format", "json",
                          SELECT).stdout)
    assert data == [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_query_ask_construct_and_file(small_store: Path, tmp_path: Path) -> None:
    ask = run("--store", str(small_store), "query", "--format", "csv",
              "ASK { <http://example.org/a> ?p ?o }")
    assert ask.stdout == "ask\ntrue\n"
    construct = run("--store", str(small_store), "query",
                    "CONSTRUCT { ?s <http://example.org/copy> ?o } "
                    "WHERE { ?s ?p ?o FILTER (STRSTARTS(STR(?s), 'http://example.org/')) }")
    parsed = list(ox.parse(construct.stdout.encode(), ox.RdfFormat.N_TRIPLES))
    assert len(parsed) == 3
    rq = write(tmp_path / "count.rq",
               "SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/a> ?p ?o }\n")
    assert run("--store", str(small_store), "query", "--format", "csv", str(rq)).stdout == \
        "n\n3\n"


def test_query_errors(small_store: Path, tmp_path: Path) -> None:
    line = expect_error(small_store, "query", "SELEKT * WHERE { ?s ?p ?o }")
    assert line.startswith("error: query:")
    missing = tmp_path / "nope.rq"
    assert expect_error(small_store, "query", str(missing)) == (
        f"error: {missing}: no such query file")


@pytest.mark.parametrize("command", [["query", "ASK { ?s ?p ?o }"], ["query", "arenas"],
                                     ["export"], ["stats"], ["validate"]])
def test_reading_commands_refuse_a_missing_store(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "stroe"
    line = expect_error(typo, *command)
    assert line == (f"error: {typo}: no store here: load data first ('tillvaxtgraf load') "
                    "or point --store / TILLVAXTGRAF_STORE at an existing store folder")
    assert not typo.exists()


# --- export, stats, validate on small stores ------------------------------------------------


def test_export_formats_and_graph(small_store: Path, tmp_path: Path) -> None:
    nquads = run("--store", str(small_store), "export").stdout_bytes
    quads = list(ox.parse(nquads, ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    assert graphs == {SHAPES_GRAPH, GRAPH + "file/data", METADATA_GRAPH}

    out = tmp_path / "dump.trig"
    result = run("--store", str(small_store), "export", "--format", "trig", "--output", str(out))
    assert result.exit_code == 0 and result.stderr == f"wrote {out}\n"
    assert len(list(ox.parse(path=str(out), format=ox.RdfFormat.TRIG))) == len(quads)

    one = run("--store", str(small_store), "export", "--graph", GRAPH + "file/data").stdout_bytes
    assert len(list(ox.parse(one, ox.RdfFormat.N_TRIPLES))) == 3
    assert expect_error(small_store, "export", "--graph", "http://example.org/none") == (
        "error: the store has no graph <http://example.org/none>")


def test_stats_formats(small_store: Path) -> None:
    data = json.loads(run("--store", str(small_store), "stats", "--format", "json").stdout)
    assert [(r["graph"], r["kind"], r["triples"]) for r in data] == [
        (GRAPH + "file/data", "rdf", "3"), (SHAPES_GRAPH, "rdf", "5")]
    table = run("--store", str(small_store), "stats").stdout.splitlines()
    assert table[-1] == "snapshot 000002: 2 graphs, 8 triples"
    rows = list(csv.DictReader(io.StringIO(
        run("--store", str(small_store), "stats", "--format", "csv").stdout)))
    assert [r["triples"] for r in rows] == ["3", "5"]


def test_validate_sources_without_changing_the_store(small_store: Path, tmp_path: Path) -> None:
    before = folder_state(small_store)
    good = write(tmp_path / "ok.ttl", """@prefix tg: <https://w3id.org/tillvaxtgraf/ontology#> .
<https://w3id.org/tillvaxtgraf/id/project/ok> a tg:Project ;
    <http://www.w3.org/2004/02/skos/core#prefLabel> "Bra"@sv .
""")
    result = run("--store", str(small_store), "validate", str(good))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: ")
    assert folder_state(small_store) == before
    bad = write(tmp_path / "bad.ttl", "<https://w3id.org/tillvaxtgraf/id/project/bad> a "
                "<https://w3id.org/tillvaxtgraf/ontology#Project> .\n")
    assert expect_error(small_store, "validate", str(bad)).startswith(f"error: {bad}:1: ")


# --- the real console script in real processes -----------------------------------------------


def test_console_script_end_to_end(tmp_path: Path) -> None:
    data = write(tmp_path / "data.ttl", TURTLE)
    env = {**os.environ, "TILLVAXTGRAF_STORE": str(tmp_path / "store")}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*console_script(), *args], capture_output=True, text=True,
                              env=env, timeout=60, check=False)

    version = call("--version")
    assert version.returncode == 0 and __version__ in version.stdout
    loaded = call("load", str(data))
    assert loaded.returncode == 0, loaded.stderr
    assert "published snapshot 000001" in loaded.stdout
    answer = call("query", "--format", "json", "SELECT ?o WHERE { ?s <http://example.org/r> ?o }")
    assert json.loads(answer.stdout) == [{"o": "Växjö"}]

    bad = broken_turtle(tmp_path)
    failed = call("load", str(bad))
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.startswith(f"error: {bad}:26:18: ")
    assert "Traceback" not in failed.stderr and failed.stderr.count("\n") == 1
    missing = call("load", str(tmp_path / "missing.nt"))
    assert (missing.returncode, missing.stderr) == (
        1, f"error: {tmp_path / 'missing.nt'}: no such file or directory\n")


def test_python_entry_point_in_a_subprocess(tmp_path: Path) -> None:
    data = write(tmp_path / "data.nq",
                 '<http://example.org/a> <http://example.org/p> "x" <http://example.org/g> .\n')
    done = subprocess.run(
        [sys.executable, "-c", "from tillvaxtgraf.cli import main; main()",
         "--store", str(tmp_path / "store"), "load", str(data)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "<http://example.org/g>" in done.stdout


# --- whole-store checks over the bundled data --------------------------------------------------


def test_counties_regions_and_municipalities(loaded_store) -> None:
    counties = loaded_store.select(PREFIXES + """
        SELECT ?county ?code WHERE { ?county a tg:County ; tg:countyCode ?code }""")
    assert len(counties) == 21
    assert len({c["code"] for c in counties}) == 21

    # Every region is responsible for exactly one county, with the county's code, and the
    # county names the region back.
    regions = loaded_store.select(PREFIXES + """
        SELECT ?region (COUNT(DISTINCT ?county) AS ?n) (SAMPLE(?county) AS ?c) WHERE {
            ?region a tg:Region ; tg:responsibleForCounty ?county .
            ?county a tg:County ; tg:hasRegionalDevelopmentActor ?region .
        } GROUP BY ?region""")
    assert len(regions) == 21
    assert all(r["n"] == "1" for r in regions)
    assert len({r["c"] for r in regions}) == 21
    assert not loaded_store.ask(PREFIXES + """
        ASK { ?region a tg:Region ; tg:countyCode ?rc ; tg:responsibleForCounty ?county .
              ?county tg:countyCode ?cc FILTER (?rc != ?cc) }""")

    # 290 municipalities, each in exactly one county, which lists it among its own.
    municipalities = loaded_store.select(PREFIXES + """
        SELECT ?m (COUNT(DISTINCT ?county) AS ?n) WHERE {
            ?m a tg:Municipality . OPTIONAL { ?m tg:inCounty ?county }
        } GROUP BY ?m""")
    assert len(municipalities) == 290
    assert all(m["n"] == "1" for m in municipalities)
    assert not loaded_store.ask(PREFIXES + """
        ASK { { ?m tg:inCounty ?c FILTER NOT EXISTS { ?c tg:hasMunicipality ?m } }
              UNION { ?c tg:hasMunicipality ?m FILTER NOT EXISTS { ?m tg:inCounty ?c } } }""")
    per_county = loaded_store.select(PREFIXES + """
        SELECT ?county (COUNT(?m) AS ?n) WHERE { ?county a tg:County ; tg:hasMunicipality ?m }
        GROUP BY ?county""")
    assert len(per_county) == 21
    assert sum(int(c["n"]) for c in per_county) == 290
    # The municipality code starts with the code of its county.
    assert not loaded_store.ask(PREFIXES + """
        ASK { ?m tg:municipalityCode ?mc ; tg:inCounty ?c . ?c tg:countyCode ?cc
              FILTER (!STRSTARTS(?mc, ?cc)) }""")


def test_the_bundled_store_validates(bundled_store_path: Path) -> None:
    before = folder_state(bundled_store_path)
    result = run("--store", str(bundled_store_path), "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: ")
    checked = int(result.stdout.split()[1])
    assert checked >= 4  # three reference tables and the curated sections
    assert folder_state(bundled_store_path) == before


def test_loading_the_bundled_data_again_changes_nothing(bundled_store_path: Path) -> None:
    before = folder_state(bundled_store_path)
    result = run("--store", str(bundled_store_path), "load")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "nothing changed: every source is already loaded as it is"
    assert all(line.startswith("unchanged") for line in lines[:-1])
    assert folder_state(bundled_store_path) == before


def sparql_counts(store: ox.Store) -> dict[str, int]:
    result = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {s["g"].value: int(s["n"].value) for s in result}


def test_stats_lists_every_graph_with_its_count(loaded_store) -> None:
    result = run("--store", str(loaded_store.path), "stats", "--format", "json")
    listed = {r["graph"]: int(r["triples"]) for r in json.loads(result.stdout)}
    counted = sparql_counts(loaded_store.store)
    assert counted.pop(METADATA_GRAPH) > 0
    assert listed == counted
    kinds = {r["kind"] for r in json.loads(result.stdout)}
    assert {"ontology", "shapes", "reference", "curated"} <= kinds
    table = run("--store", str(loaded_store.path), "stats").stdout.splitlines()
    assert table[-1].endswith(f": {len(counted)} graphs, {sum(counted.values()):,} triples")


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_export_then_load_gives_the_same_quads(loaded_store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{'nq' if fmt == 'nquads' else 'trig'}"
    result = run("--store", str(loaded_store.path), "export", "--format", fmt, "--output",
                 str(out))
    assert result.exit_code == 0, result.output
    original = sparql_counts(loaded_store.store)
    assert sum(original.values()) == len(loaded_store.store)

    # Every quad is in the file: a fresh store built from it holds the same quads.
    rdf_format = ox.RdfFormat.N_QUADS if fmt == "nquads" else ox.RdfFormat.TRIG
    fresh = ox.Store()
    fresh.bulk_load(path=str(out), format=rdf_format)
    assert len(fresh) == len(loaded_store.store)
    assert sparql_counts(fresh) == original

    # Through our own loader into a fresh store folder: the data graphs come back whole.
    # (The metadata graph describes the store it came from; the loader refuses to take it
    # from a file and writes its own records instead.)
    data_only = tmp_path / f"data-only.{out.suffix[1:]}"
    dump = io.BytesIO()
    for graph in original:
        if graph != METADATA_GRAPH:
            ox.serialize(fresh.quads_for_pattern(None, None, None, ox.NamedNode(graph)), dump,
                         ox.RdfFormat.N_QUADS)
    data_only.write_bytes(dump.getvalue())
    store = tmp_path / "fresh"
    result = run("--store", str(store), "load", "--format", "nquads", str(data_only))
    assert result.exit_code == 0, result.output
    reloaded = SnapshotDir(store).current()
    counts = sparql_counts(ox.Store.read_only(str(reloaded.path)))
    assert counts.pop(METADATA_GRAPH) > 0
    original.pop(METADATA_GRAPH)
    assert counts == original

    refused = run("--store", str(store), "load", str(out))
    assert refused.exit_code == 1 and "metadata graph" in refused.stderr


def test_query_outputs_over_the_bundled_data(loaded_store) -> None:
    text = PREFIXES + """SELECT ?code ?name WHERE {
        ?c a tg:County ; tg:countyCode ?code ; skos:prefLabel ?name FILTER (lang(?name) = "sv")
    } ORDER BY ?code"""
    expected = [[s["code"], s["name"]] for s in loaded_store.select(text)]
    assert len(expected) == 21 and expected[0] == ["01", "Stockholms län"]

    def query(fmt: str) -> str:
        result = run("--store", str(loaded_store.path), "query", "--format", fmt, text)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert list(csv.reader(io.StringIO(query("csv")))) == [["code", "name"], *expected]
    assert json.loads(query("json")) == [{"code": c, "name": n} for c, n in expected]
    table = query("table").splitlines()
    assert table[0].split() == ["code", "name"] and table[-1] == "(21 rows)"
    name_at = table[0].index("name")
    assert [[line[:name_at].strip(), line[name_at:]] for line in table[2:-1]] == expected
