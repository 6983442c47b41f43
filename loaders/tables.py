"""Reading tables row by row: CSV in any 8-bit or UTF-8 encoding, and XLSX workbooks.

Both give the same thing: the header, then ``(line, cells, problem)`` per row, where
``line`` is the row's line (CSV: its last physical line; XLSX: its row number) and
``problem`` is None or a ``(column index, reason)`` pair for a row that cannot be read
as it is (a byte that is not in the declared encoding). A broken row never stops the
reading, so that a loader can report every bad row of a file, or skip them.

Encodings: ``utf-8`` and ``cp1252`` (what Swedish spreadsheet exports often use) are
strict: a line that is not valid in the declared encoding is a problem of its row, and
so is a line of a cp1252 table that is in fact valid UTF-8 with non-ASCII letters
("Ã¤" for "ä" otherwise). ``auto`` takes the file as UTF-8 when its first non-ASCII line
is UTF-8, else as cp1252.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from tillvaxtgraf.errors import LoadError
from tillvaxtgraf.loaders.progress import SHOW_ABOVE_BYTES

Problem = tuple[int | None, str]
PROGRESS_EVERY_LINES = 20_000


@dataclass
class Table:
    """A readable table: its file, format and dialect."""

    path: Path
    format: str = "csv"  # "csv" or "xlsx"
    delimiter: str = ","
    encoding: str = "utf-8"  # a Python codec name, or "auto"
    sheet: str | None = None


def table_format(path: Path, declared: str | None = None) -> str:
    """The table's format: as declared, else by extension (``.xlsx`` or CSV)."""
    if declared:
        return declared
    return "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv"


class _Lines:
    """Decoded lines of a CSV file; remembers which lines could not be decoded."""

    def __init__(self, table: Table, progress: bool | None):
        self.table = table
        self.bad: dict[int, str] = {}
        self.encoding = None if table.encoding == "auto" else table.encoding
        size = table.path.stat().st_size
        enabled = size >= SHOW_ABOVE_BYTES if progress is None else progress
        self.bar = tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024,
                        desc=f"reading {table.path.name}", disable=not enabled,
                        file=sys.stderr, mininterval=0.5)

    def _decode(self, number: int, raw: bytes) -> str:
        if self.encoding is None:  # "auto": the first non-ASCII line decides
            try:
                raw.decode("utf-8")
                self.encoding = "utf-8"
            except UnicodeDecodeError:
                self.encoding = "cp1252"
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.bad[number] = (
                f"byte {exc.start + 1} of the line is not valid {self.encoding} "
                "(wrong encoding? set 'encoding' in the mapping, e.g. cp1252)")
            return raw.decode(self.encoding, errors="replace")
        if self.encoding.replace("-", "").lower() != "utf8":
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return text
            self.bad[number] = (
                f"the line is UTF-8, not {self.encoding} (wrong encoding? "
                "set encoding = 'utf-8' or 'auto' in the mapping)")
        return text

    def __iter__(self) -> Iterator[str]:
        pending = 0
        with open(self.table.path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                pending += len(raw)
                if number % PROGRESS_EVERY_LINES == 0:
                    self.bar.update(pending)
                    pending = 0
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if raw.isascii():
                    yield raw.decode("ascii")
                else:
                    yield self._decode(number, raw)
        self.bar.update(pending)
        self.bar.close()


def _csv_rows(table: Table, progress: bool | None
              ) -> tuple[list[str], Iterator[tuple[int, list[str], Problem | None]]]:
    lines = _Lines(table, progress)
    reader = csv.reader(iter(lines), delimiter=table.delimiter)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise LoadError(f"not a readable CSV table: {exc}", source=str(table.path),
                        line=1) from None
    if 1 in lines.bad:
        raise LoadError(f"the header: {lines.bad[1]}", source=str(table.path), line=1)

    def rows() -> Iterator[tuple[int, list[str], Problem | None]]:
        last = reader.line_num
        try:
            for cells in reader:
                first, last = last + 1, reader.line_num
                if not cells:
                    continue
                problem = None
                if lines.bad:
                    broken = [n for n in range(first, last + 1) if n in lines.bad]
                    if broken:
                        column = next((i for i, c in enumerate(cells) if "\ufffd" in c), None)
                        problem = (column, lines.bad.pop(broken[0]))
                        for n in broken[1:]:
                            lines.bad.pop(n)
                yield last, cells, problem
        except csv.Error as exc:
            raise LoadError(str(exc), source=str(table.path), line=reader.line_num) from None

    return header, rows()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold (dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx_rows(table: Table, progress: bool | None
               ) -> tuple[list[str], Iterator[tuple[int, list[str], Problem | None]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(table.path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise LoadError(f"not a readable XLSX workbook: {exc}", source=str(table.path)) from None
    if table.sheet is not None and table.sheet not in book.sheetnames:
        book.close()
        raise LoadError(f"the workbook has no sheet {table.sheet!r} "
                        f"(it has: {', '.join(book.sheetnames)})", source=str(table.path))
    sheet = book[table.sheet] if table.sheet else book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    first = next(values, ())
    header = [cell_text(c).strip() for c in first]
    while header and not header[-1]:
        header.pop()
    total = sheet.max_row or 0
    enabled = total >= 100_000 if progress is None else progress

    def rows() -> Iterator[tuple[int, list[str], Problem | None]]:
        bar = tqdm(total=total, unit="rows", desc=f"reading {table.path.name}",
                   disable=not enabled, file=sys.stderr, mininterval=0.5)
        try:
            for number, row in enumerate(values, start=2):
                if number % PROGRESS_EVERY_LINES == 0:
                    bar.update(PROGRESS_EVERY_LINES)
                cells = [cell_text(c) for c in row]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    yield number, cells, None
        finally:
            bar.close()
            book.close()

    return header, rows()


def read_table(table: Table, progress: bool | None = None
               ) -> tuple[list[str], Iterator[tuple[int, list[str], Problem | None]]]:
    """The header and an iterator of ``(line, cells, problem)``; see the module docstring."""
    if not table.path.is_file():
        raise LoadError("no such file", source=str(table.path))
    if table.format == "xlsx":
        return _xlsx_rows(table, progress)
    if table.format != "csv":
        raise LoadError(f"unknown table format {table.format!r} (csv or xlsx)",
                        source=str(table.path))
    return _csv_rows(table, progress)
