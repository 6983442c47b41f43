"""CSV tables through TOML mappings: dialects, Swedish numbers, confidence, bad tables.

Loads go into real store folders in tmp_path, together with a tiny shapes file (a mapped
table is always SHACL-validated).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tillvaxtgraf.data import data_dir
from tillvaxtgraf.errors import LoadError, ValidationError
from tillvaxtgraf.loaders import csv_mapping
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import csv_source, sha256_of
from tillvaxtgraf.store.names import GRAPH, METADATA_GRAPH, TG
from tillvaxtgraf.store.snapshots import SnapshotDir

GRAPH_IRI = GRAPH + "test/projects"
PROJECT = "https://w3id.org/tillvaxtgraf/id/project/"
COUNTY = "https://w3id.org/tillvaxtgraf/id/county/"
SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
XSD = "http://www.w3.org/2001/XMLSchema#"

MAPPING = """\
[source]
file = "{table}"
graph = "{graph}"
{dialect}

[confidence]
accept = ["high", "medium-high"]

[[entities]]
iri = "https://w3id.org/tillvaxtgraf/id/project/{{id}}"
types = ["tg:Project"]

[[entities.properties]]
predicate = "skos:prefLabel"
column = "namn"
lang = "sv"
required = true

[[entities.properties]]
predicate = "tg:amount"
column = "belopp"
datatype = "xsd:decimal"

[[entities.properties]]
predicate = "tg:participants"
column = "deltagare"
datatype = "xsd:integer"

[[entities.properties]]
predicate = "tg:startDate"
column = "start"
datatype = "xsd:date"

[[entities.properties]]
predicate = "tg:organisationNumber"
column = "orgnr"
pattern = "[0-9]{{6}}-[0-9]{{4}}"
confidence = "conf"

[[entities.properties]]
predicate = "tg:inCounty"
template = "https://w3id.org/tillvaxtgraf/id/county/{{lan}}"
kind = "iri"
"""

HEADER = ["id", "namn", "belopp", "deltagare", "start", "orgnr", "conf", "lan"]

# Swedish export: semicolons, cp1252, decimal comma, spaces (and a no-break space) for
# thousands, a confidence note in parentheses, CRLF line ends.
SWEDISH_ROWS = [
    ["p1", "Växjö företagsråd", "1 234 567,50", "1 200", "2024-01-15", "212000-0019", "high",
     "07"],
    ["p2", "Åre bygd", "12,5", "3", "2023-06-01", "212000-0027", "low", "23"],
    ["p3", "Öland; södra", "2\u00a0500", "", "", "212000-0035", "medium-high (S5)", "08"],
]
SWEDISH_TABLE = "\r\n".join(
    ";".join(f'"{c}"' if ";" in c else c for c in row) for row in [HEADER, *SWEDISH_ROWS]
) + "\r\n"

ENGLISH_ROWS = [
    ["p1", "Växjö företagsråd", "1234567.50", "1200", "2024-01-15", "212000-0019", "high", "07"],
    ["p2", "Åre bygd", "12.5", "3", "2023-06-01", "212000-0027", "low", "23"],
    ["p3", "Öland, södra", "2500", "", "", "212000-0035", "medium-high (S5)", "08"],
]
ENGLISH_TABLE = "\n".join(
    ",".join(f'"{c}"' if "," in c else c for c in row) for row in [HEADER, *ENGLISH_ROWS]
) + "\n"

PROJECT_TRIPLES = 18
SWEDISH_DIALECT = 'delimiter = ";"\nencoding = "cp1252"\ndecimal = ","'


def make_table(tmp_path: Path, text: str, *, dialect: str = "", encoding: str = "utf-8",
               name: str = "projects") -> Path:
    """Write a table and its mapping; returns the mapping's path."""
    table = tmp_path / f"{name}.csv"
    table.write_bytes(text.encode(encoding))
    mapping = tmp_path / f"{name}.mapping.toml"
    mapping.write_text(
        MAPPING.format(table=table.name, graph=GRAPH + f"test/{name}", dialect=dialect),
        encoding="utf-8",
    )
    return mapping


def english_table(tmp_path: Path, rows: list[list[str]] | None = None, *,
                  header: list[str] | None = None, name: str = "projects") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows or ENGLISH_ROWS)
    return make_table(tmp_path, out.getvalue(), name=name)


def current_store(store_dir: Path) -> ox.Store:
    current = SnapshotDir(store_dir).current()
    assert current is not None
    return ox.Store.read_only(str(current.path))


def values(store: ox.Store, subject: str, predicate: str) -> list[ox.Literal | ox.NamedNode]:
    return [q.object for q in store.quads_for_pattern(
        ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.NamedNode(GRAPH_IRI))]


def check_projects(store: ox.Store) -> None:
    """What both dialects must give: the same numbers, labels, links and filtering."""
    amounts = {pid: values(store, PROJECT + pid, TG + "amount") for pid in ("p1", "p2", "p3")}
    assert {pid: [Decimal(v.value) for v in a] for pid, a in amounts.items()} == {
        "p1": [Decimal("1234567.50")], "p2": [Decimal("12.5")], "p3": [Decimal("2500")]}
    assert all(a[0].datatype.value == XSD + "decimal" for a in amounts.values())
    (people,) = values(store, PROJECT + "p1", TG + "participants")
    assert (people.value, people.datatype.value) == ("1200", XSD + "integer")
    assert values(store, PROJECT + "p3", TG + "participants") == []  # empty cell: no triple
    (start,) = values(store, PROJECT + "p1", TG + "startDate")
    assert start.datatype.value == XSD + "date"
    labels = {pid: values(store, PROJECT + pid, SKOS_LABEL)[0] for pid in ("p1", "p2", "p3")}
    assert labels["p1"] == ox.Literal("Växjö företagsråd", language="sv")
    assert labels["p2"].value == "Åre bygd"
    assert labels["p3"].value.startswith("Öland") and labels["p3"].value.endswith("södra")
    assert values(store, PROJECT + "p2", TG + "inCounty") == [ox.NamedNode(COUNTY + "23")]
    # Confidence filtering: 'low' drops the cell, 'medium-high (S5)' keeps it.
    orgnr = {pid: [v.value for v in values(store, PROJECT + pid, TG + "organisationNumber")]
             for pid in ("p1", "p2", "p3")}
    assert orgnr == {"p1": ["212000-0019"], "p2": [], "p3": ["212000-0035"]}
    # Only the filtered property is gone: p2 still has everything else.
    assert len(values(store, PROJECT + "p2", TG + "amount")) == 1
    count = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_IRI)))
    # 3 x (type, label, amount, county) + participants, dates and orgnr for two of them each
    assert count == 3 * 4 + 2 + 2 + 2 == PROJECT_TRIPLES


def test_semicolon_cp1252_decimal_comma_and_thousand_spaces(tmp_path: Path,
                                                            shapes_source) -> None:
    mapping = make_table(tmp_path, SWEDISH_TABLE, dialect=SWEDISH_DIALECT, encoding="cp1252")
    assert b"V\xe4xj\xf6" in (tmp_path / "projects.csv").read_bytes()  # really cp1252
    report = load_sources(tmp_path / "store", [shapes_source, csv_source(mapping)],
                          progress=False)
    assert {r.graph: r.triples for r in report.graphs}[GRAPH_IRI] == PROJECT_TRIPLES
    check_projects(current_store(tmp_path / "store"))


def test_comma_separated_utf8(tmp_path: Path, shapes_source) -> None:
    mapping = make_table(tmp_path, ENGLISH_TABLE)
    report = load_sources(tmp_path / "store", [shapes_source, csv_source(mapping)],
                          progress=False)
    assert {r.graph: r.triples for r in report.graphs}[GRAPH_IRI] == PROJECT_TRIPLES
    check_projects(current_store(tmp_path / "store"))


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    mapping = make_table(tmp_path, "\ufeff" + ENGLISH_TABLE)
    lines = list(csv_mapping.mapped_triples(csv_mapping.read_mapping(mapping)))
    assert f"<{PROJECT}p1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{TG}Project> .\n" \
        in lines


def test_the_table_path_can_be_given_apart_from_the_mapping(tmp_path: Path) -> None:
    mapping = english_table(tmp_path)
    other = tmp_path / "elsewhere.csv"
    other.write_text(",".join(HEADER) + "\np9,Nio,1,1,2020-01-01,,,01\n", encoding="utf-8")
    source = csv_source(mapping, other)
    assert source.path == other
    lines = "".join(csv_mapping.mapped_triples(source.mapping))
    assert f"<{PROJECT}p9>" in lines and "p1" not in lines


def test_the_mapped_graph_has_a_provenance_record(tmp_path: Path, shapes_source) -> None:
    mapping = english_table(tmp_path)
    store_dir = tmp_path / "store"
    load_sources(store_dir, [shapes_source, csv_source(mapping)], progress=False)
    store = current_store(store_dir)
    meta = ox.NamedNode(METADATA_GRAPH)

    def one(predicate: str) -> str:
        (quad,) = store.quads_for_pattern(ox.NamedNode(GRAPH_IRI), ox.NamedNode(predicate),
                                          None, meta)
        return quad.object.value

    table = tmp_path / "projects.csv"
    assert one(TG + "sha256") == sha256_of(mapping, table)  # the mapping counts too
    assert one(TG + "sourceFile") == str(table)
    assert one(TG + "mappingFile") == str(mapping)
    assert one(TG + "validated") == "true"
    assert one("http://rdfs.org/ns/void#triples") == str(PROJECT_TRIPLES)


def test_unchanged_table_and_mapping_change_nothing(tmp_path: Path, shapes_source,
                                                    state) -> None:
    mapping = english_table(tmp_path)
    store_dir = tmp_path / "store"
    load_sources(store_dir, [shapes_source, csv_source(mapping)], progress=False)
    before = state(store_dir)
    report = load_sources(store_dir, [shapes_source, csv_source(mapping)], progress=False)
    assert not report.changed
    assert state(store_dir) == before

    # A changed mapping alone is a changed source.
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(
        'lang = "sv"\nrequired', 'lang = "sv-x-test"\nrequired'), encoding="utf-8")
    report = load_sources(store_dir, [shapes_source, csv_source(mapping)], progress=False)
    assert [r.status for r in report.graphs] == ["unchanged", "loaded"]
    assert values(current_store(store_dir), PROJECT + "p1", SKOS_LABEL)[0].language == "sv-x-test"


def test_reference_tables_load_only_confident_values() -> None:
    """The bundled regions table: Region Sörmland's organisation number is 'not found'."""
    mapping = csv_mapping.read_mapping(data_dir() / "reference" / "regions.mapping.toml")
    lines = list(csv_mapping.mapped_triples(mapping))
    sormland = [line for line in lines
                if line.startswith("<https://w3id.org/tillvaxtgraf/id/region/04>")]
    assert sormland and not any("organisationNumber" in line for line in sormland)
    stockholm = [line for line in lines
                 if line.startswith("<https://w3id.org/tillvaxtgraf/id/region/01>")]
    assert any('"232100-0016"' in line for line in stockholm)
    assert len({line.split(" ", 1)[0] for line in lines
                if f"<{TG}County>" in line}) == 21


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "decimal", "expected"), [
    ("1 234 567,50", ",", "1234567.50"),
    ("1\u00a0234,5", ",", "1234.5"),
    ("1\u202f000", ",", "1000"),
    ("12,5", ",", "12.5"),
    ("-3,25", ",", "-3.25"),
    ("1.234,5", ",", "1234.5"),
    ("1234.5", ".", "1234.5"),
    ("1 000 000", ".", "1000000"),
])
def test_normalise_number(text: str, decimal: str, expected: str) -> None:
    assert csv_mapping.normalise_number(text, decimal) == expected


def _swedish(value: Decimal) -> str:
    """How a Swedish spreadsheet writes a number: space-grouped, decimal comma."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


@given(st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False,
                   allow_infinity=False))
def test_swedish_numbers_round_trip(value: Decimal) -> None:
    assert Decimal(csv_mapping.normalise_number(_swedish(value), ",")) == value


# --- bad tables: file, line, column and reason; the store as it was --------------------------


@pytest.fixture
def populated(tmp_path: Path, shapes_source, state) -> tuple[Path, dict[str, str]]:
    store_dir = tmp_path / "store"
    other = tmp_path / "other"
    other.mkdir()
    load_sources(store_dir, [shapes_source, csv_source(english_table(other, name="first"))],
                 progress=False)
    return store_dir, state(store_dir)


def load_error(store_dir: Path, *sources) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load_sources(store_dir, list(sources), progress=False)
    return caught.value


def test_a_missing_column_is_named(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    header = [c for c in HEADER if c != "belopp"]
    rows = [[c for c, h in zip(r, HEADER, strict=True) if h != "belopp"] for r in ENGLISH_ROWS]
    error = load_error(store_dir, csv_source(english_table(tmp_path, rows, header=header)))
    assert error.source == str(tmp_path / "projects.csv")
    assert error.line == 1
    assert "missing column(s) 'belopp'" in error.message
    assert state(store_dir) == before


def test_a_malformed_number_names_line_and_column(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    rows = [list(r) for r in ENGLISH_ROWS]
    rows[1][2] = "12.5x"
    error = load_error(store_dir, csv_source(english_table(tmp_path, rows)))
    assert (error.source, error.line, error.column) == (str(tmp_path / "projects.csv"), 3, 3)
    assert error.message == "column 'belopp': '12.5x' is not a number"
    assert str(error) == f"{tmp_path / 'projects.csv'}:3:3: {error.message}"
    assert state(store_dir) == before


@pytest.mark.parametrize(("column", "cell", "reason"), [
    ("deltagare", "2.5", "not a whole number"),
    ("belopp", "1,5", "not a number"),
    ("start", "15/01/2024", "not a date"),
    ("orgnr", "2120000019", "does not match"),
    ("namn", "", "a value is required"),
    ("lan", "0 7", "not a valid IRI"),
])
def test_bad_cells(tmp_path: Path, populated, state, column: str, cell: str,
                   reason: str) -> None:
    store_dir, before = populated
    rows = [list(r) for r in ENGLISH_ROWS]
    rows[2][HEADER.index(column)] = cell
    error = load_error(store_dir, csv_source(english_table(tmp_path, rows)))
    assert (error.line, error.column) == (4, HEADER.index(column) + 1)
    assert reason in error.message and repr(column) in error.message
    assert state(store_dir) == before


def test_a_row_with_too_many_cells(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    rows = [list(r) for r in ENGLISH_ROWS]
    rows[0].append("extra")
    error = load_error(store_dir, csv_source(english_table(tmp_path, rows)))
    assert error.line == 2 and "more cells than the header" in error.message
    assert state(store_dir) == before


def test_a_table_in_the_wrong_encoding(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    # A cp1252 table whose mapping says utf-8 (the default): line 2 holds 'Växjö'.
    mapping = make_table(tmp_path, SWEDISH_TABLE, dialect='delimiter = ";"\ndecimal = ","',
                         encoding="cp1252")
    error = load_error(store_dir, csv_source(mapping))
    assert error.source == str(tmp_path / "projects.csv")
    assert error.line == 2
    assert "not valid utf-8" in error.message and "cp1252" in error.message
    assert state(store_dir) == before


def test_data_that_violates_a_shape_names_its_row(tmp_path: Path, populated, state) -> None:
    store_dir, before = populated
    rows = [list(r) for r in ENGLISH_ROWS]
    rows[2][2] = "-5"  # the shape says amounts are not negative
    with pytest.raises(ValidationError) as caught:
        load_sources(store_dir, [csv_source(english_table(tmp_path, rows))], progress=False)
    error = caught.value
    assert (error.source, error.line) == (str(tmp_path / "projects.csv"), 4)
    assert f"<{PROJECT}p3>" in error.message and "amount" in error.message
    assert state(store_dir) == before


def test_a_bad_second_table_leaves_the_first_unloaded(tmp_path: Path, populated, state,
                                                      counts) -> None:
    store_dir, before = populated
    before_counts = counts(store_dir)
    good = english_table(tmp_path, name="good")
    rows = [list(r) for r in ENGLISH_ROWS]
    rows[0][3] = "many"
    bad = english_table(tmp_path, rows, name="bad")
    error = load_error(store_dir, csv_source(good), csv_source(bad))
    assert error.source == str(tmp_path / "bad.csv") and error.line == 2
    assert state(store_dir) == before
    assert counts(store_dir) == before_counts


def test_a_missing_table_or_mapping(tmp_path: Path) -> None:
    mapping = english_table(tmp_path)
    (tmp_path / "projects.csv").unlink()
    with pytest.raises(LoadError) as caught:
        csv_source(mapping)
    assert caught.value.source == str(tmp_path / "projects.csv")
    with pytest.raises(LoadError) as caught:
        csv_source(tmp_path / "nope.mapping.toml")
    assert caught.value.source == str(tmp_path / "nope.mapping.toml")


@pytest.mark.parametrize(("text", "line", "reason"), [
    ('[source]\nfile = "x.csv"\ngraph = \n', 3, "not valid TOML"),
    ('[source]\nfile = "x.csv"\n[[entities]]\niri = "http://e/{id}"\n', None, "needs 'graph'"),
    ('[source]\nfile = "x.csv"\ngraph = "http://g"\n', None, "no [[entities]]"),
    ('[source]\nfile = "x.csv"\ngraph = "http://g"\n[[entities]]\niri = "http://e/{id}"\n'
     'properties = [{ predicate = "nope:x", column = "a" }]\n', None, "'nope:x'"),
    ('[source]\nfile = "x.csv"\ngraph = "http://g"\n[[entities]]\niri = "http://e/{id}"\n'
     'properties = [{ predicate = "tg:x", column = "a", value = "b" }]\n', None,
     "exactly one of"),
    ('[source]\nfile = "x.csv"\ngraph = "http://g"\n[[entities]]\niri = "http://e/{id}"\n'
     'properties = [{ predicate = "tg:x", colum = "a" }]\n', None, "unknown key"),
])
def test_bad_mappings(tmp_path: Path, text: str, line: int | None, reason: str) -> None:
    path = tmp_path / "bad.mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        csv_mapping.read_mapping(path)
    assert caught.value.source == str(path)
    assert reason in caught.value.message
    if line is not None:
        assert caught.value.line == line
