"""The ``tillvaxtgraf`` command: a thin skin over the library functions."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from pathlib import Path

import click
import pyoxigraph as ox

from tillvaxtgraf import __version__
from tillvaxtgraf.errors import LoadError, TillvaxtgrafError
from tillvaxtgraf.settings import SETTINGS_BY_NAME, Settings, SettingsError, load_settings


class CliContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_object(CliContext).settings


class Command(click.Command):
    """Turns the project's errors into one line ``file:line: reason`` and exit code 1."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except TillvaxtgrafError as exc:
            for line in str(exc).splitlines() or [""]:  # several bad rows: a line each
                click.echo(f"error: {line}", err=True)
            ctx.exit(1)


@click.group()
@click.version_option(__version__, prog_name="tillvaxtgraf")
@click.option(
    "--store",
    "store",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Store folder (default: ${SETTINGS_BY_NAME['store'].env_var} or "
    f"./{SETTINGS_BY_NAME['store'].default}).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens in detail.")
@click.pass_context
def cli(ctx: click.Context, store: str | None, verbose: bool) -> None:
    """tillvaxtgraf: the knowledge graph of Swedish regional growth work."""
    try:
        settings = load_settings(store=store)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = CliContext(settings)


def _sources_from_args(paths: tuple[str, ...], graph: str | None, rdf_format: str | None,
                       mapping: str | None, validate: bool):
    from tillvaxtgraf.loaders.bundled import bundled_sources
    from tillvaxtgraf.loaders.sources import csv_source, rdf_source

    if not paths:
        if graph or mapping or rdf_format:
            raise click.UsageError("--graph, --format and --mapping need a SOURCE")
        return bundled_sources()
    if graph and len(paths) > 1:
        raise click.UsageError("--graph names the graph of one source; give one SOURCE")
    sources = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() == ".toml":
            sources.append(csv_source(path))
        elif mapping or (path.suffix.lower() in {".csv", ".tsv", ".txt", ".xlsx"}
                         and not rdf_format):
            if not mapping:
                raise LoadError("a CSV table needs --mapping FILE.toml", source=raw)
            sources.append(csv_source(mapping, path))
        else:
            sources.append(rdf_source(path, graph=graph, rdf_format=rdf_format,
                                      validate=validate))
    return sources


@cli.command(cls=Command)
@click.argument("sources", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--graph", help="Named graph IRI for a single RDF source.")
@click.option("--format", "rdf_format", help="RDF format when the extension does not say.")
@click.option("--mapping", type=click.Path(dir_okay=False), help="Column mapping for a CSV table.")
@click.option("--validate", is_flag=True, help="SHACL-validate raw RDF files too.")
@click.option("--force", is_flag=True, help="Reload sources even when unchanged.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for big files).")
@click.option("--skip-bad-rows", is_flag=True,
              help="Load a table's good rows and write the bad ones to --rejects.")
@click.option("--rejects", type=click.Path(dir_okay=False), default="rejects.csv",
              show_default=True, help="With --skip-bad-rows: CSV of the bad rows' problems.")
@click.pass_context
def load(ctx: click.Context, sources: tuple[str, ...], graph: str | None, rdf_format: str | None,
         mapping: str | None, validate: bool, force: bool, progress: bool | None,
         skip_bad_rows: bool, rejects: str) -> None:
    """Load SOURCES (RDF files, CSV/XLSX tables) into the store; no SOURCES: the bundled data.

    All sources load or none do: on any error the store is left exactly as it was. A
    table with bad rows is refused (each bad row is named), unless --skip-bad-rows.
    """
    from tillvaxtgraf.loaders.csv_mapping import BadRows
    from tillvaxtgraf.loaders.load import load_sources

    settings = _settings(ctx)
    chosen = _sources_from_args(sources, graph, rdf_format, mapping, validate)
    bad_rows = BadRows(skip=True, rejects=Path(rejects)) if skip_bad_rows else None
    for source in chosen:
        source.bad_rows = bad_rows
    if settings.backend == "sparql":
        from tillvaxtgraf.loaders.remote_load import load_sources_remote

        report = load_sources_remote(_remote(settings), chosen, progress=progress, force=force)
    else:
        report = load_sources(settings.store, chosen, progress=progress, force=force)
    for result in report.graphs:
        click.echo(f"{result.status:9} {result.triples:>10,} triples  <{result.graph}>  "
                   f"from {result.source}")
    total = sum(r.triples for r in report.graphs if r.status == "loaded")
    if report.changed and settings.backend == "sparql":
        click.echo(f"wrote to {settings.query_url}: {total:,} triples loaded "
                   f"(data version {report.snapshot})")
    elif report.changed:
        click.echo(f"published snapshot {report.snapshot}: {total:,} triples loaded")
    else:
        click.echo("nothing changed: every source is already loaded as it is")
    if bad_rows is not None and bad_rows.skipped:
        click.echo(f"skipped {bad_rows.skipped:,} bad row(s): see {rejects}", err=True)


def _remote(settings: Settings):  # noqa: ANN202 - a RemoteStore, imported lazily
    from tillvaxtgraf.store.remote_backend import RemoteStore

    return RemoteStore.from_settings(settings)


def _read_query(text: str) -> str:
    looks_like_path = len(text) < 4096 and "\n" not in text
    path = Path(text)
    if looks_like_path and (path.suffix == ".rq" or path.is_file()):
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LoadError("no such query file", source=text) from None
    return text


def _term_text(term: object) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


def write_rows(variables: list[str], rows: list[list[str]], output_format: str, out) -> None:
    """Rows as an aligned table, CSV or JSON: the CLI's one output shape."""
    if output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)
    elif output_format == "json":
        json.dump([dict(zip(variables, r, strict=True)) for r in rows], out,
                  ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(variables)]
        out.write("  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)).rstrip()
                  + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for row in rows:
            out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                      + "\n")
        out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _run_named(settings: Settings, name: str, params: tuple[str, ...], output_format: str) -> None:
    from tillvaxtgraf.queries.catalog import get_query, run_named
    from tillvaxtgraf.service.extension import open_store

    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param takes key=value, got {item!r}")
        values[key] = value
    named = get_query(name)
    if settings.backend != "sparql":
        from tillvaxtgraf.store.embedded import existing_snapshot

        existing_snapshot(settings.store)
    store = open_store(settings)
    try:
        answer = run_named(store, named, values, max_rows=0)
    finally:
        store.close()
    out = sys.stdout
    if answer.boolean is not None:
        write_rows(["ask"], [["true" if answer.boolean else "false"]], output_format, out)
        return
    rows = [[row[c].value if c in row else "" for c in answer.columns] for row in answer.rows]
    write_rows(answer.columns, rows, output_format, out)


@cli.command(cls=Command)
@click.argument("query")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A named query's parameter (repeatable).")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="Output for SELECT and ASK.")
@click.pass_context
def query(ctx: click.Context, query: str, params: tuple[str, ...], output_format: str) -> None:
    """Run QUERY: a named query from the catalog, SPARQL text, or a .rq file.

    Named queries take --param key=value. SELECT and ASK print a table, CSV or JSON;
    CONSTRUCT and DESCRIBE print N-Triples. Queries see the union of all graphs.
    """
    from tillvaxtgraf.errors import QuerySyntaxError
    from tillvaxtgraf.queries.catalog import load_catalog
    from tillvaxtgraf.store.embedded import open_read_only

    if query in load_catalog():
        _run_named(_settings(ctx), query, params, output_format)
        return
    if params:
        raise click.UsageError(f"--param is for named queries; {query!r} is not one "
                               "(see 'tillvaxtgraf queries')")
    text = _read_query(query)
    _, store = open_read_only(_settings(ctx).store)
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QuerySyntaxError(str(exc), source="query") from None
    out = sys.stdout
    if isinstance(result, ox.QueryBoolean):
        write_rows(["ask"], [["true" if bool(result) else "false"]], output_format, out)
    elif isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows = [[_term_text(s[v]) for v in variables] for s in result]
        write_rows(variables, rows, output_format, out)
    else:
        buffer = io.BytesIO()
        ox.serialize(result, buffer, ox.RdfFormat.N_TRIPLES)
        out.write(buffer.getvalue().decode("utf-8"))


@cli.command(cls=Command)
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)
def queries(output_format: str) -> None:
    """List the catalog of named queries with their parameters."""
    from tillvaxtgraf.queries.catalog import load_catalog

    rows = [
        [q.name, q.summary, ", ".join(p.name + ("*" if p.required else "") + ":" + p.type_label
                                      for p in q.parameters)]
        for q in load_catalog().values()
    ]
    write_rows(["name", "question", "parameters"], rows, output_format,
               sys.stdout)


@cli.command(cls=Command)
@click.argument("sources", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--mapping", type=click.Path(dir_okay=False), help="Column mapping for a CSV table.")
@click.option("--format", "rdf_format", help="RDF format when the extension does not say.")
@click.pass_context
def validate(ctx: click.Context, sources: tuple[str, ...], mapping: str | None,
             rdf_format: str | None) -> None:
    """Check SOURCES against the SHACL shapes without changing the store.

    With no SOURCES, checks every validated graph already in the store.
    """
    from tillvaxtgraf.loaders.load import check_sources

    chosen = _sources_from_args(sources, None, rdf_format, mapping, True) if sources else []
    settings = _settings(ctx)
    if settings.backend == "sparql":
        from tillvaxtgraf.loaders.remote_load import check_sources_remote

        checked = check_sources_remote(_remote(settings), chosen)
    else:
        checked = check_sources(settings.store, chosen)
    click.echo(f"valid: {checked} graph(s) conform to the SHACL shapes")


@cli.command(cls=Command)
@click.option("--format", "rdf_format", type=click.Choice(["nquads", "trig"]), default="nquads",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@click.option("--graph", help="Export only this named graph.")
@click.pass_context
def export(ctx: click.Context, rdf_format: str, output: str | None, graph: str | None) -> None:
    """Write the whole store (or one graph) as N-Quads or TriG."""
    from tillvaxtgraf.loaders.formats import format_by_name
    from tillvaxtgraf.store.embedded import open_read_only

    _, store = open_read_only(_settings(ctx).store)
    fmt = format_by_name(rdf_format)
    kwargs = {}
    if graph:
        if not store.contains_named_graph(ox.NamedNode(graph)):
            raise LoadError(f"the store has no graph <{graph}>")
        kwargs["from_graph"] = ox.NamedNode(graph)
        fmt = ox.RdfFormat.TURTLE if rdf_format == "trig" else ox.RdfFormat.N_TRIPLES
    if output:
        with open(output, "wb") as fh:
            store.dump(fh, fmt, **kwargs)
        click.echo(f"wrote {output}", err=True)
    else:
        stdout = sys.stdout.buffer
        store.dump(stdout, fmt, **kwargs)
        stdout.flush()


@cli.command(cls=Command)
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)
@click.pass_context
def stats(ctx: click.Context, output_format: str) -> None:
    """Graphs in the store with their triple counts and provenance."""
    from tillvaxtgraf.loaders.stats import graph_stats

    snapshot, records = graph_stats(_settings(ctx).store)
    columns = ["graph", "kind", "triples", "loaded", "source"]
    rows = [[r["graph"], r["kind"], str(r["triples"]), r["modified"], r["file"]] for r in records]
    out = sys.stdout
    write_rows(columns, rows, output_format, out)
    if output_format == "table":
        total = sum(int(r["triples"]) for r in records)
        out.write(f"snapshot {snapshot}: {len(records)} graphs, {total:,} triples\n")


@cli.command(cls=Command)
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild everything kept on this machine (search index …) from the store.

    The store is the truth; run this after restoring a store, on a new service replica,
    or when a remote store was changed other than through tillvaxtgraf.
    """
    from tillvaxtgraf.store.derived import rebuild_all, rebuild_for_store_dir

    settings = _settings(ctx)
    if settings.backend == "sparql":
        store = _remote(settings)
        target = store.derived_dir()
        built = rebuild_all(store, target)
    else:
        target, built = rebuild_for_store_dir(settings.store)
    if not built:
        click.echo("nothing to rebuild: no derived files are registered")
    else:
        click.echo(f"rebuilt {', '.join(built)} in {target}")


@cli.command(cls=Command)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", type=int, default=None,
              help=f"gunicorn worker processes (default: ${SETTINGS_BY_NAME['workers'].env_var} "
              f"or {SETTINGS_BY_NAME['workers'].default}).")
@click.option("--threads", type=int, default=None,
              help=f"Threads per worker (default: ${SETTINGS_BY_NAME['threads'].env_var} "
              f"or {SETTINGS_BY_NAME['threads'].default}).")
@click.option("--write-token", default=None, help="Enable writes with this bearer token.")
@click.option("--query-time-limit", type=float, default=None, help="Seconds per query.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int | None, threads: int | None,
          write_token: str | None, query_time_limit: float | None) -> None:
    """Run the web service with gunicorn (SPARQL endpoint, graph store, pages)."""
    from tillvaxtgraf.service.wsgi import GunicornServer
    from tillvaxtgraf.store.embedded import ensure_snapshot

    settings = _settings(ctx).replace(workers=workers, threads=threads, write_token=write_token,
                                      query_time_limit=query_time_limit)
    if settings.backend == "embedded":
        ensure_snapshot(settings.store)
    click.echo(f"serving on http://{host}:{port}/ (SPARQL endpoint: http://{host}:{port}/sparql)",
               err=True)
    GunicornServer(settings, host, port, settings.workers, settings.threads).run()


def main() -> None:
    cli(prog_name="tillvaxtgraf")
