"""Named-query answers in each format: rows JSON, SPARQL JSON, CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tillvaxtgraf.queries.catalog import QueryAnswer
from tillvaxtgraf.store.terms import XSD, Term

ANSWER_TYPES = {
    "application/json": "json",
    "application/sparql-results+json": "sparql-json",
    "text/csv": "csv",
    "text/html": "html",
}


XSD_INTEGER = XSD + "integer"
XSD_BOOLEAN = XSD + "boolean"


def plain(term: Term | None) -> Any:
    """A term as a plain JSON value: integers as numbers, everything else as text."""
    if term is None:
        return None
    datatype = term.datatype  # literals only: IRIs and blank nodes have none
    if datatype == XSD_INTEGER:
        try:
            return int(term.value)
        except ValueError:
            return term.value
    if datatype == XSD_BOOLEAN:
        return term.value in ("true", "1")
    return term.value


def rows_json(name: str, parameters: dict[str, str], answer: QueryAnswer) -> dict[str, Any]:
    if answer.boolean is not None:
        return {"query": name, "parameters": parameters, "boolean": answer.boolean}
    return {
        "query": name,
        "parameters": parameters,
        "columns": answer.columns,
        "rows": [{c: plain(row.get(c)) for c in answer.columns} for row in answer.rows],
        "row_count": len(answer.rows),
        "truncated": answer.truncated,
    }


def sparql_json(answer: QueryAnswer) -> str:
    if answer.boolean is not None:
        return json.dumps({"head": {}, "boolean": answer.boolean})
    return json.dumps({
        "head": {"vars": answer.columns},
        "results": {"bindings": [
            {c: row[c].to_json() for c in answer.columns if c in row} for row in answer.rows
        ]},
    }, ensure_ascii=False)


def csv_text(answer: QueryAnswer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if answer.boolean is not None:
        writer.writerow(["boolean"])
        writer.writerow(["true" if answer.boolean else "false"])
        return out.getvalue()
    writer.writerow(answer.columns)
    for row in answer.rows:
        writer.writerow([row[c].value if c in row else "" for c in answer.columns])
    return out.getvalue()
