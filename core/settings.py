"""The one settings registry.

Every setting is declared once here with its name, type, default and one line of help.
The same list feeds the environment (prefix ``TILLVAXTGRAF_``), the CLI flags, the
``/-/settings`` page and the docs test, so none of them can drift from the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "TILLVAXTGRAF_"


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {value!r}")


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_rate_limit(value: str) -> str:
    """Flask-Limiter notation ("20 per second; 600 per minute"); "", "off" or "0": none."""
    value = value.strip()
    if value.lower() in {"", "off", "0", "none", "false"}:
        return ""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError(f"expected limits like '20 per second; 600 per minute' or 'off', "
                         f"got {value!r}") from exc
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("store", "tillvaxtgraf-store",
            "Folder of the embedded store (snapshots, search index)."),
    Setting("backend", "embedded",
            "Storage backend: 'embedded' (pyoxigraph) or 'sparql' (remote)."),
    Setting("query_url", "", "Remote backend: SPARQL 1.1 query endpoint URL."),
    Setting("update_url", "", "Remote backend: SPARQL 1.1 update endpoint URL."),
    Setting("gsp_url", "", "Remote backend: Graph Store HTTP Protocol endpoint URL."),
    Setting("remote_user", "", "Remote backend: user name for HTTP basic authentication."),
    Setting("remote_password", "", "Remote backend: password for HTTP basic auth.", secret=True),
    Setting("remote_auth", "basic", "Remote backend: HTTP authentication, 'basic' or 'digest'."),
    Setting("remote_dialect", "generic",
            "Remote backend: the store's kind (generic, oxigraph, fuseki, virtuoso, graphdb, "
            "neptune), for its quirks."),
    Setting("base_iri", "https://w3id.org/tillvaxtgraf/", "Base IRI of minted identifiers."),
    Setting("write_token", "", "Bearer token that enables updates and graph-store writes.",
            secret=True),
    Setting("query_time_limit", 30.0, "Seconds a query may run before it is stopped.", float),
    Setting("result_limit", 2_000_000, "Most rows a SELECT answer returns (0: no limit).", int),
    Setting("max_returned_rows", 1000, "Most rows a named query or HTML table returns.", int),
    Setting("max_request_bytes", 1_048_576, "Largest request body accepted, in bytes.", int),
    Setting("max_upload_bytes", 268_435_456, "Largest graph-store upload, in bytes (with token).",
            int),
    Setting("service_allow", (), "Comma-separated IRI prefixes that SERVICE and LOAD may reach.",
            _list),
    Setting("query_workers", 2, "Query worker processes per service process.", int),
    Setting("result_cache_bytes", 33_554_432,
            "Bytes of small answers (64 KiB or less each) of /sparql and the search APIs "
            "kept per service process, answered again while the data is unchanged (0: off).",
            int),
    Setting("workers", 2, "gunicorn worker processes for 'serve'.", int),
    Setting("threads", 4, "Threads per gunicorn worker for 'serve'.", int),
    Setting("cors_origins", "*", "Value of Access-Control-Allow-Origin on read endpoints."),
    Setting("rate_limit", "20 per second; 600 per minute",
            "Requests one client address may make to the expensive endpoints (queries, "
            "search, connections, resource pages), in Flask-Limiter notation; 'off' for none.",
            parse_rate_limit),
    Setting("rate_limit_storage", "memory://",
            "Where rate-limit counters live: 'memory://' (per service process) or a shared "
            "storage URI such as redis://host:6379 (needs the redis package)."),
    Setting("trusted_proxies", 0,
            "Reverse proxies in front whose X-Forwarded-For header names the client (0: none).",
            int),
    Setting("log_level", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings: defaults, then environment, then explicit overrides."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **overrides: Any) -> Settings:
        unknown = set(overrides) - set(SETTINGS_BY_NAME)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        merged = dict(self.values)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(merged)

    def public(self) -> dict[str, Any]:
        """Values safe to show: secrets are reported only as set or unset."""
        shown = {}
        for setting in SETTINGS:
            value = self.values[setting.name]
            if setting.secret:
                value = "(set)" if value else "(unset)"
            elif isinstance(value, tuple):
                value = list(value)
            shown[setting.name] = value
        return shown


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings once from the environment; keyword overrides (CLI flags) win."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env_var)
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{setting.env_var}: {exc}") from exc
    settings = Settings(values)
    if overrides:
        settings = settings.replace(**overrides)
    if settings.backend not in {"embedded", "sparql"}:
        raise SettingsError(
            f"{SETTINGS_BY_NAME['backend'].env_var}: expected 'embedded' or 'sparql', "
            f"got {settings.backend!r}"
        )
    return settings
