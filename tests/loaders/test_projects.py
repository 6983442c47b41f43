"""Project tables: both shipped layouts, bad rows, skipping them, summaries, the generator.

The small tables in tests/loaders/data/ are written by hand; the .nt files beside them
hold exactly the triples each must load to (checked line by line against the tables).
Loads go into copies of the session's bundled store (the reference data the tables link
to is there), through the real loader or the real CLI.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from tillvaxtgraf.cli import cli
from tillvaxtgraf.data import data_dir
from tillvaxtgraf.errors import LoadError, ValidationError
from tillvaxtgraf.loaders import csv_mapping, funding_summaries, rowchecks, table_load
from tillvaxtgraf.loaders.csv_mapping import RowErrors
from tillvaxtgraf.loaders.funding_summaries import PARTIALS_GRAPH, SUMMARIES_GRAPH
from tillvaxtgraf.loaders.load import load_sources
from tillvaxtgraf.loaders.sources import csv_source
from tillvaxtgraf.store.names import GRAPH, ID, METADATA_GRAPH, PROV, TG
from tillvaxtgraf.store.snapshots import SnapshotDir

DATA = Path(__file__).parent / "data"
PROJECTS = data_dir() / "projects"
GENERATOR_MAPPING = PROJECTS / "generator.mapping.toml"
PROJEKTBANK_MAPPING = PROJECTS / "projektbank.mapping.toml"
SMALL = DATA / "projects-small.csv"
BANK = DATA / "projektbank-small.csv"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_dir(tmp_path: Path, bundled_store_path: Path, copy_store) -> Path:
    """A private copy of the store with the bundled data (reference tables, shapes)."""
    target = copy_store(bundled_store_path, tmp_path / "store")
    (target / "write.lock").touch()  # as in any store that was written once
    return target


def current(store_dir: Path) -> ox.Store:
    snapshot = SnapshotDir(store_dir).current()
    assert snapshot is not None
    return ox.Store.read_only(str(snapshot.path))


def graph_lines(store: ox.Store, graph: str) -> list[str]:
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    return sorted(out.getvalue().decode("utf-8").splitlines())


def expected_lines(name: str) -> list[str]:
    return sorted((DATA / name).read_text(encoding="utf-8").splitlines())


def mapping_copy(tmp_path: Path, source: Path, old: str = "", new: str = "") -> Path:
    """A changed copy of a shipped mapping, its lookup tables named by absolute path."""
    text = source.read_text(encoding="utf-8").replace(old, new)
    text = re.sub(r'file = "([^"]+)"',
                  lambda m: f'file = "{(source.parent / m.group(1)).resolve().as_posix()}"', text)
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def mapped(mapping: Path, table: Path) -> list[str]:
    return sorted(line.rstrip("\n") for line in
                  csv_mapping.mapped_triples(csv_mapping.read_mapping(mapping, table)))


# --------------------------------------------------------------------------- good tables


def test_generator_layout_loads_to_exactly_the_expected_triples(store_dir: Path) -> None:
    report = load_sources(store_dir, [csv_source(GENERATOR_MAPPING, SMALL)], progress=False)
    graph = GRAPH + "projects/projects-small"
    loaded = {r.graph: r.triples for r in report.graphs}
    assert set(loaded) == {graph, SUMMARIES_GRAPH, PARTIALS_GRAPH}
    assert loaded[graph] == 133
    assert graph_lines(current(store_dir), graph) == expected_lines("projects-small.nt")


def test_project_bank_layout_in_cp1252_loads_to_exactly_the_expected_triples(
        store_dir: Path) -> None:
    assert b"V\xe4sterbottens l\xe4n" in BANK.read_bytes()  # really Windows-1252
    load_sources(store_dir, [csv_source(PROJEKTBANK_MAPPING, BANK)], progress=False)
    lines = graph_lines(current(store_dir), GRAPH + "projects/projektbank-small")
    assert lines == expected_lines("projektbank-small.nt")


def test_project_bank_layout_in_utf8_and_as_xlsx_gives_the_same_triples(tmp_path: Path) -> None:
    expected = expected_lines("projektbank-small.nt")
    utf8 = tmp_path / "projektbank-small.csv"
    utf8.write_text(BANK.read_bytes().decode("cp1252"), encoding="utf-8")
    assert mapped(PROJEKTBANK_MAPPING, utf8) == expected

    from openpyxl import Workbook

    rows = list(csv.reader(io.StringIO(BANK.read_bytes().decode("cp1252")), delimiter=";"))
    book = Workbook()
    sheet = book.active
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[object] = list(row)
        cells[7] = dt.date.fromisoformat(row[7])  # dates as spreadsheet dates
        cells[8] = dt.datetime.fromisoformat(row[8])
        cells[10] = float(csv_mapping.normalise_number(row[10], ","))  # budgets as numbers
        if row[3].startswith("559"):
            cells[3] = int(row[3])  # an organisation number typed as a number
        sheet.append(cells)
    workbook = tmp_path / "projektbank-small.xlsx"
    book.save(workbook)
    assert mapped(PROJEKTBANK_MAPPING, workbook) == expected


def test_generator_layout_as_xlsx_gives_the_same_triples(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(SMALL.read_text(encoding="utf-8"))):
        sheet.append(row)
    workbook = tmp_path / "projects-small.xlsx"
    book.save(workbook)
    assert mapped(GENERATOR_MAPPING, workbook) == expected_lines("projects-small.nt")


def test_an_unchanged_table_is_a_no_op(store_dir: Path, state) -> None:
    load_sources(store_dir, [csv_source(GENERATOR_MAPPING, SMALL)], progress=False)
    before = state(store_dir)
    report = load_sources(store_dir, [csv_source(GENERATOR_MAPPING, SMALL)], progress=False)
    assert not report.changed
    assert state(store_dir) == before


def test_the_summaries_are_recorded_as_derived_from_the_project_graphs(store_dir: Path,
                                                                        tmp_path: Path) -> None:
    load_sources(store_dir, [csv_source(GENERATOR_MAPPING, SMALL),
                             csv_source(PROJEKTBANK_MAPPING, BANK)], progress=False)
    store = current(store_dir)
    meta = ox.NamedNode(METADATA_GRAPH)
    derived = {q.object.value for q in store.quads_for_pattern(
        ox.NamedNode(SUMMARIES_GRAPH), ox.NamedNode(PROV + "wasDerivedFrom"), None, meta)}
    assert derived == {GRAPH + "projects/projects-small", GRAPH + "projects/projektbank-small"}
    kind = next(store.quads_for_pattern(ox.NamedNode(SUMMARIES_GRAPH),
                                        ox.NamedNode(TG + "sourceKind"), None, meta))
    assert kind.object.value == "derived"
    # Project graphs are checked row by row and by SHACL on a sample, not re-validated later.
    validated = next(store.quads_for_pattern(ox.NamedNode(GRAPH + "projects/projects-small"),
                                             ox.NamedNode(TG + "validated"), None, meta))
    assert validated.object.value == "false"


def _grand_total(store: ox.Store) -> tuple[Decimal, int]:
    (row,) = store.query(
        'PREFIX tg: <https://w3id.org/tillvaxtgraf/ontology#> SELECT ?g ?n WHERE { '
        '?c tg:groupingSet "total" ; tg:grantedAmount ?g ; tg:projectCount ?n }',
        use_default_graph_as_union=True)
    return Decimal(row["g"].value), int(row["n"].value)


def test_summaries_add_up_project_graphs_and_follow_a_reload(store_dir: Path,
                                                            tmp_path: Path) -> None:
    # Generator table: 5 450 000.50 granted in 4 projects; bank table: EU money only,
    # 1 000 000.00 + 2 500 000 + 120 500.75 in 3 projects.
    load_sources(store_dir, [csv_source(GENERATOR_MAPPING, SMALL)], progress=False)
    assert _grand_total(current(store_dir)) == (Decimal("5450000.50"), 4)
    bank = tmp_path / "bank.csv"
    shutil.copy(BANK, bank)
    load_sources(store_dir, [csv_source(PROJEKTBANK_MAPPING, bank)], progress=False)
    assert _grand_total(current(store_dir)) == (Decimal("9070501.25"), 7)
    # A changed bank table replaces its share and keeps the other's.
    bank.write_bytes(BANK.read_bytes().replace(b"120 500,75", b"500,25"))
    load_sources(store_dir, [csv_source(PROJEKTBANK_MAPPING, bank)], progress=False)
    assert _grand_total(current(store_dir)) == (Decimal("8950500.75"), 7)


# --------------------------------------------------------------------------- bad rows

HEADER, *ROWS = SMALL.read_text(encoding="utf-8").splitlines()
COLUMNS = HEADER.split(",")
BAD = {  # line in the table: (change, column, words of the reason)
    6: (("county_code", "99"), "county_code", "not a known county code"),
    7: (("beneficiary_orgnr", "556677-0012"), "beneficiary_orgnr", "check digit"),
    8: (("granted_sek", "-5|200000"), "granted_sek", "negative"),
    9: (("paid_sek", "12x|0"), "paid_sek", "not a number"),
    10: (("end_date", "2025-12-31"), "end_date", "before start_date 2026-01-01"),
    11: (("case_number", "2019000101"), "case_number", "occurs again (first on line 2)"),
    12: (("partner_orgnrs", "55667-001"), "partner_orgnrs", "not an organisation number"),
}
ENCODING_LINE = 13


def bad_table(path: Path) -> Path:
    """The four good rows, one bad row of each kind, and a line in Windows-1252."""
    template = next(csv.DictReader(io.StringIO(HEADER + "\n" + ROWS[2])))  # row 4: RTM 24
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    for line, ((column, value), _, _) in BAD.items():
        row = dict(template, case_number=f"RTM 24 2099-{line:05d}")
        row[column] = value
        writer.writerow(row)
    rows = out.getvalue()
    latin = dict(template, case_number="RTM 24 2099-00099", name="Smålandsstenar")
    out = io.StringIO()
    csv.DictWriter(out, COLUMNS, lineterminator="\n").writerow(latin)
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n" + rows).encode("utf-8")
                     + out.getvalue().encode("cp1252"))
    return path


def test_every_bad_row_is_named_and_the_store_is_unchanged(store_dir: Path, tmp_path: Path,
                                                           state) -> None:
    table = bad_table(tmp_path / "bad.csv")
    before = state(store_dir)
    with pytest.raises(RowErrors) as caught:
        load_sources(store_dir, [csv_source(GENERATOR_MAPPING, table)], progress=False)
    error = caught.value
    assert state(store_dir) == before
    assert error.source == str(table) and error.rows == len(BAD) + 1
    found = {p.line: p for p in error.problems}
    assert set(found) == {*BAD, ENCODING_LINE}
    for line, (_, column, words) in BAD.items():
        problem = found[line]
        assert (problem.column_name, problem.column) == (column, COLUMNS.index(column) + 1)
        assert words in problem.reason, problem
        assert f"{table}:{line}:{problem.column}: column {column!r}: " in str(error)
    assert "not valid utf-8" in found[ENCODING_LINE].reason
    assert found[ENCODING_LINE].column_name == "name"
    assert str(error).splitlines()[0] == f"{table}:6:10: column 'county_code': " \
        "'99' is not a known county code"


def test_the_cli_names_each_bad_row_on_its_own_line(store_dir: Path, tmp_path: Path) -> None:
    table = bad_table(tmp_path / "bad.csv")
    result = CliRunner().invoke(cli, ["--store", str(store_dir), "load", str(table),
                                      "--mapping", str(GENERATOR_MAPPING)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD) + 1 and all(line.startswith(f"error: {table}:") for line in lines)


def test_skip_bad_rows_loads_the_rest_and_writes_the_rejects(store_dir: Path,
                                                            tmp_path: Path) -> None:
    table = bad_table(tmp_path / "bad.csv")
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(cli, ["--store", str(store_dir), "load", str(table),
                                      "--mapping", str(GENERATOR_MAPPING), "--skip-bad-rows",
                                      "--rejects", str(rejects), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert f"skipped {len(BAD) + 1} bad row(s): see {rejects}" in result.stderr
    rows = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert {(r["file"], int(r["row"]), r["column"]) for r in rows} == {
        (str(table), line, column) for line, (_, column, _) in BAD.items()} | {
        (str(table), ENCODING_LINE, "name")}
    # The good rows are all there, the bad ones are not, and the sums are the good rows'.
    store = current(store_dir)
    projects = {q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode(TG + "caseNumber"), None, ox.NamedNode(GRAPH + "projects/bad"))}
    assert projects == {ID + "project/" + key for key in
                        ("2019000101", "2021-00042", "rtm-24-2022-00007", "2019000102")}
    assert _grand_total(store) == (Decimal("5450000.50"), 4)


def test_a_table_in_the_wrong_encoding_is_refused_row_by_row(store_dir: Path,
                                                             tmp_path: Path) -> None:
    table = tmp_path / "projects.csv"
    table.write_bytes(SMALL.read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(RowErrors) as caught:
        load_sources(store_dir, [csv_source(GENERATOR_MAPPING, table)], progress=False)
    assert [p.line for p in caught.value.problems] == [2, 3, 4, 5]
    assert all("not valid utf-8" in p.reason for p in caught.value.problems)


def test_utf8_in_a_table_declared_cp1252_is_caught(tmp_path: Path) -> None:
    mapping = mapping_copy(tmp_path, PROJEKTBANK_MAPPING, 'encoding = "auto"',
                           'encoding = "cp1252"')
    utf8 = tmp_path / "bank.csv"
    utf8.write_text(BANK.read_bytes().decode("cp1252"), encoding="utf-8")
    with pytest.raises(LoadError) as caught:  # the header already gives it away
        list(csv_mapping.mapped_triples(csv_mapping.read_mapping(mapping, utf8)))
    assert (caught.value.source, caught.value.line) == (str(utf8), 1)
    assert "the line is UTF-8, not cp1252" in caught.value.message
    # Rows too, when the header is plain ASCII.
    mapping = mapping_copy(tmp_path, GENERATOR_MAPPING, 'encoding = "utf-8"',
                           'encoding = "cp1252"')
    with pytest.raises(RowErrors) as caught:
        list(csv_mapping.mapped_triples(csv_mapping.read_mapping(mapping, SMALL)))
    assert [p.line for p in caught.value.problems] == [2, 3, 4, 5]
    assert "UTF-8, not cp1252" in caught.value.problems[0].reason


def test_shacl_checks_the_sample_and_names_the_row(store_dir: Path, tmp_path: Path,
                                                   state) -> None:
    """A mapping that forgets the English name of new organisations fails the shapes."""
    mapping = mapping_copy(tmp_path, GENERATOR_MAPPING, '  { predicate = "skos:prefLabel", '
                           'column = "beneficiary_name", lang = "en" },\n')
    before = state(store_dir)
    with pytest.raises(ValidationError) as caught:
        load_sources(store_dir, [csv_source(mapping, SMALL)], progress=False)
    error = caught.value
    assert (error.source, error.line) == (str(SMALL), 3)  # Kompetens & Co AB first appears
    assert "organisation/559123-4561" in error.message and "English" in error.message
    assert state(store_dir) == before


def test_a_mapping_with_unknown_summaries_or_rules_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    base = '[source]\nfile = "t.csv"\ngraph = "http://g"\n[[entities]]\niri = "http://e/{id}"\n'
    (tmp_path / "t.csv").write_text("id\n1\n", encoding="utf-8")
    for extra, words in [('[[checks]]\ncolumn = "id"\nrule = "luhn"\n', "needs 'column'"),
                         ('[derived.x]\nfrom = "id"\ntransform = "rot13"\n', "unknown transform"),
                         ('[summaries.people]\nx = "id"\n', "unknown [summaries.people]")]:
        mapping.write_text(base + extra, encoding="utf-8")
        with pytest.raises(LoadError) as caught:
            csv_source(mapping)
        assert words in caught.value.message


# --------------------------------------------------------------------------- row rules


@pytest.mark.parametrize(("text", "expected"), [
    ("232100-0222", "232100-0222"), ("2321000222", "232100-0222"),
    ("16232100-0222", "232100-0222"), ("212000 2627", "212000-2627"),
])
def test_organisation_numbers_are_normalised_and_checked(text: str, expected: str) -> None:
    assert rowchecks.check_organisation_number(text) == expected


@pytest.mark.parametrize("text", ["232100-0223", "2321000", "abcdef-ghij", "23210002221"])
def test_bad_organisation_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="organisation number"):
        rowchecks.check_organisation_number(text)


def test_every_organisation_number_in_the_reference_tables_passes_the_checksum() -> None:
    reference = data_dir() / "reference"
    numbers = [row[column] for name, column in (("regions.csv", "region_org_nr"),
                                                ("municipalities.csv", "organisationsnummer"),
                                                ("actors.csv", "organisationsnummer"))
               for row in read_csv(reference / name)
               if row[column]]
    assert len(numbers) > 250
    assert all(rowchecks.luhn_ok(n) for n in numbers)


def test_slugs_and_dates() -> None:
    assert rowchecks.slug("RTM 24 2022-00007") == "rtm-24-2022-00007"
    assert rowchecks.slug("Ärende Ö/12") == "arende-o-12"
    with pytest.raises(ValueError):
        rowchecks.check_date("2023-02-30")


def test_the_key_tables_agree_with_the_reference_turtle() -> None:
    """programmes.csv, investment-areas.csv and priorities.csv copy funding.ttl and seed 04."""
    skos = "http://www.w3.org/2004/02/skos/core#"
    triples = list(ox.parse(path=str(data_dir() / "reference" / "funding.ttl"),
                            format=ox.RdfFormat.TURTLE))
    triples += list(ox.parse(path=str(data_dir() / "seed" / "04-fyra-nationella-prioriteringar"
                                      ".ttl"), format=ox.RdfFormat.TURTLE))

    def sv(iri: str) -> str:
        return next(t.object.value for t in triples if t.subject.value == iri
                    and t.predicate.value == skos + "prefLabel" and t.object.language == "sv")

    for row in read_csv(PROJECTS / "programmes.csv"):
        assert sv(ID + "programme/" + row["key"]) == row["namn"]
    for row in read_csv(PROJECTS / "investment-areas.csv"):
        area = ID + "investment-area/" + row["key"]
        assert sv(area) == row["namn"]
        assert any(t.subject.value == area and t.predicate.value == skos + "closeMatch"
                   and t.object.value == ID + "priority/" + row["delprioritering"]
                   for t in triples)
    broader = {t.subject.value.rsplit("/", 1)[1]: t.object.value.rsplit("/", 1)[1]
               for t in triples if t.predicate.value == skos + "broader"}
    areas = {row["key"]: row["omrade"]
             for row in read_csv(PROJECTS / "priorities.csv")}
    assert {k: v for k, v in areas.items() if k != v} == broader


# --------------------------------------------------------------------------- the generator


@pytest.fixture(scope="module")
def generator():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import generate_projects
    finally:
        sys.path.remove(str(REPO / "bench"))
    return generate_projects


def test_the_generator_is_deterministic_and_realistic(generator, tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        generator.write(generator.generate(1500, seed=7), path, "csv", "generator")
    assert first.read_bytes() == second.read_bytes()
    rows = list(csv.DictReader(io.StringIO(first.read_text(encoding="utf-8"))))
    assert len(rows) == 1500
    assert len({r["county_code"] for r in rows}) == 21
    beneficiaries = [r["beneficiary_orgnr"] for r in rows]
    most = max(beneficiaries.count(b) for b in set(beneficiaries))
    assert most >= 10 and len(set(beneficiaries)) > 300  # a few recur a lot, most rarely
    assert any(ch in r["name"] for r in rows for ch in "åäöÅÄÖ")
    assert all(2014 <= int(r["start_date"][:4]) and r["end_date"] <= "2027-12-31"
               for r in rows)
    assert all(len(r["funding_sources"].split("|")) >= 2 for r in rows)
    granted = sorted(Decimal(g) for r in rows for g in r["granted_sek"].split("|"))
    assert granted[-1] > 20 * granted[len(granted) // 2]  # a long right tail
    # Every generated row passes every check of the mapping.
    assert len(mapped(GENERATOR_MAPPING, first)) > 1500 * 30


def test_the_generator_writes_project_bank_tables_and_workbooks(generator,
                                                                tmp_path: Path) -> None:
    bank = tmp_path / "bank.csv"
    generator.write(generator.generate(200, seed=3, layout="projektbank"), bank, "csv",
                    "projektbank")
    assert bank.read_bytes().decode("cp1252").startswith("Ärendenummer;Projektnamn;")
    workbook = tmp_path / "bank.xlsx"
    generator.write(generator.generate(200, seed=3, layout="projektbank"), workbook, "xlsx",
                    "projektbank")
    assert mapped(PROJEKTBANK_MAPPING, bank) == mapped(PROJEKTBANK_MAPPING, workbook)


# --------------------------------------------------------------------------- parallel mapping


def _run(table: Path, workdir: Path, processes: int) -> tuple[table_load.MappingRun, set[str]]:
    run = table_load.MappingRun(csv_mapping.read_mapping(GENERATOR_MAPPING, table), {},
                                parallel_above_bytes=0, batch_rows=100, processes=processes)
    workdir.mkdir()
    files = run.write(workdir)
    assert len(files) == processes
    return run, {line for f in files for line in f.read_text(encoding="utf-8").splitlines()}


def test_a_table_mapped_in_two_processes_gives_what_one_process_gives(
        generator, tmp_path: Path) -> None:
    table = tmp_path / "projects.csv"
    generator.write(generator.generate(350, seed=11), table, "csv", "generator")
    one, one_lines = _run(table, tmp_path / "one", 1)
    two, two_lines = _run(table, tmp_path / "two", 2)
    assert two_lines == one_lines and len(one_lines) > 350 * 30
    assert (two.rows, two.sample, two.subject_lines) == (350, one.sample, one.subject_lines)
    assert one.funding is not None and two.funding is not None
    assert list(funding_summaries.summary_lines(two.funding)) == \
        list(funding_summaries.summary_lines(one.funding))


def test_a_duplicate_case_number_in_another_process_share_is_reported(
        generator, tmp_path: Path) -> None:
    table = tmp_path / "projects.csv"
    generator.write(generator.generate(250, seed=11), table, "csv", "generator")
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    case = lines[5].split(",", 1)[0]  # row 6 is in the first batch, line 201 in the second
    lines[200] = case + "," + lines[200].split(",", 1)[1]
    table.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(RowErrors) as caught:
        _run(table, tmp_path / "two", 2)
    assert [(p.line, p.column_name) for p in caught.value.problems] == [(201, "case_number")]
    assert "first on line 6" in caught.value.problems[0].reason
