"""Error classes caught once at the edges (CLI, web) and turned into one error shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TillvaxtgrafError(Exception):
    """Base error: a message for people, and where it happened when that is known."""

    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"error": type(self).__name__, "message": self.message}
        for key in ("source", "line", "column", "hint"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


class LoadError(TillvaxtgrafError):
    """A source could not be loaded; the store is unchanged."""


class ValidationError(LoadError):
    """Data parsed but violates the SHACL shapes."""


class QuerySyntaxError(TillvaxtgrafError):
    """The query or update text is not valid SPARQL."""


class QueryTimeout(TillvaxtgrafError):
    """A query ran past its time limit and was stopped."""


class QueryRefused(TillvaxtgrafError):
    """A query asks for something the service does not allow (SERVICE, LOAD, ...)."""


class StoreUnavailable(TillvaxtgrafError):
    """The store cannot be reached or answered with something unusable."""


class RemoteUnavailable(StoreUnavailable):
    """A remote store cannot be reached, refused the request, or failed on it (HTTP 502)."""


class BadAnswer(RemoteUnavailable):
    """The store answered with something unusable: malformed, cut off, or of the wrong type."""


class RemoteTimeout(QueryTimeout):
    """A remote store did not answer within the time limit (HTTP 504)."""


class StoreBusy(TillvaxtgrafError):
    """Another writer holds the store's write lock."""
