"""The typer app: each command parses its arguments and calls one function."""

from __future__ import annotations

import typer

import neatlogs

from .defaults import COLLECTOR_MAX_BODY, DASHBOARD_HOST, DASHBOARD_PORT

__all__ = ["app", "main"]

app = typer.Typer(
    name="neatlogs",
    help="See what your LLM chatbot or agent did: neatlogs run -- python bot.py",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"neatlogs {neatlogs.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """neatlogs: LLM tracing with one command and no code changes."""


@app.command()
def ui(
    host: str = typer.Option(DASHBOARD_HOST, "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(DASHBOARD_PORT, "--port", help="Port to listen on."),
    db: str = typer.Option(None, "--db", help="SQLite store to serve (default: $NEATLOGS_HOME/traces.db)."),
    api_key: str = typer.Option(None, "--api-key", envvar="NEATLOGS_UI_API_KEY",
                                help="Require this key: x-api-key for the collector, a login for the pages."),
    max_body: int = typer.Option(COLLECTOR_MAX_BODY, "--max-body", help="Largest export body in bytes (after gunzip)."),
    retention: str = typer.Option(None, "--retention",
                                  help="Prune sessions older than this (e.g. 30d) at start and daily "
                                       "(default: NEATLOGS_RETENTION or the config file's retention)."),
) -> None:
    """Serve the local collector (POST /v1/traces) and the dashboard."""
    from .ui import serve

    raise typer.Exit(serve(host=host, port=port, db_path=db, api_key=api_key, max_body=max_body,
                           retention=retention))


@app.command()
def sessions(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    limit: int = typer.Option(20, "--limit", help="How many sessions to list."),
    db: str = typer.Option(None, "--db", help="SQLite store to read (default: $NEATLOGS_HOME/traces.db)."),
) -> None:
    """List recent sessions from the local store."""
    from .views import sessions_command

    raise typer.Exit(sessions_command(limit=limit, as_json=as_json, db=db))


@app.command()
def traces(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    limit: int = typer.Option(20, "--limit", help="How many traces to list."),
    db: str = typer.Option(None, "--db", help="SQLite store to read (default: $NEATLOGS_HOME/traces.db)."),
) -> None:
    """List recent traces, newest first, with their session or "no session"."""
    from .views import traces_command

    raise typer.Exit(traces_command(limit=limit, as_json=as_json, db=db))


@app.command()
def show(
    session_id: str = typer.Argument(..., help="A session id or trace id, or a unique prefix of either."),
    as_json: bool = typer.Option(False, "--json", help="Print the session's spans as JSON."),
    db: str = typer.Option(None, "--db", help="SQLite store to read (default: $NEATLOGS_HOME/traces.db)."),
) -> None:
    """Show one session's (or trace's) timeline: turns in order, each with its span tree."""
    from .views import show_command

    raise typer.Exit(show_command(session_id, as_json=as_json, db=db))


@app.command()
def demo() -> None:
    """Run the seed chatbot against a stand-in model, offline, and show its session."""
    from .demo import main as demo_main

    raise typer.Exit(demo_main())


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
)
def run(ctx: typer.Context) -> None:
    """Run COMMAND traced, no code changes: neatlogs run [OPTIONS] -- COMMAND [ARGS...] (see neatlogs run --help)."""
    # The console script handles `run` before typer is imported (neatlogs_cli.__main__);
    # this entry lists it in --help and serves callers of app() directly.
    from .run import main as run_main

    raise typer.Exit(run_main(list(ctx.args)))


@app.command()
def init(
    workflow_name: str = typer.Option(None, "--workflow-name", help="Service name of every span."),
    endpoint: str = typer.Option(None, "--endpoint", help="OTLP/HTTP endpoint; empty for the local store."),
    instrument: str = typer.Option(None, "--instrument", help="Libraries to instrument, comma separated."),
    auto_session: bool = typer.Option(None, "--auto-session/--no-auto-session", help="One session per run."),
    api_key: str = typer.Option(None, "--api-key", help="Written to the file (mode 0600) only when given."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Ask nothing: defaults for what no flag gave."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing neatlogs.toml."),
) -> None:
    """Write a neatlogs.toml in the current folder, by questions or by flags."""
    import os

    from neatlogs.config import ConfigError

    from .config_file import InitAnswers, write_config

    answers = InitAnswers(workflow_name, endpoint, instrument, auto_session, api_key)
    ask = None if yes else (lambda text, default: typer.prompt(text, default=default, show_default=bool(default)))
    confirm = None if yes else (lambda text, default: typer.confirm(text, default=default))
    try:
        _, notes = write_config(answers, os.getcwd(), force=force, ask=ask, confirm=confirm)
    except (FileExistsError, ConfigError) as exc:
        typer.echo(f"neatlogs: {str(exc).removeprefix('neatlogs: ')}", err=True)
        raise typer.Exit(1) from None
    for note in notes:
        typer.echo(note)


@app.command()
def doctor() -> None:
    """Show the settings in effect and where each came from; check the endpoint and the bootstrap."""
    from .doctor import doctor as run_doctor

    raise typer.Exit(run_doctor(typer.echo))


@app.command()
def push(
    local: bool = typer.Option(False, "--local", help="Write the local store's journal into traces.db instead."),
) -> None:
    """Send what the spool holds (spans an unreachable endpoint could not take) to the endpoint now."""
    from .push import push as push_spool

    raise typer.Exit(push_spool(local=local))


_DB_OPTION_HELP = "SQLite store (default: $NEATLOGS_HOME/traces.db)."


@app.command()
def prune(
    older_than: str = typer.Option(..., "--older-than", help="Age of the sessions to delete, e.g. 30d, 12h, 2w."),
    db: str = typer.Option(None, "--db", help=_DB_OPTION_HELP),
) -> None:
    """Delete sessions whose last span is older than --older-than, and give the space back."""
    from .maintenance import prune_command

    raise typer.Exit(prune_command(older_than, db))


@app.command()
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines."),
    db: str = typer.Option(None, "--db", help=_DB_OPTION_HELP),
) -> None:
    """Print the store's size, its span, trace and session counts, and how far back it goes."""
    from .maintenance import stats_command

    raise typer.Exit(stats_command(as_json, db))


@app.command()
def delete(
    some_id: str = typer.Argument(..., metavar="ID", help="A session id, a trace id, or a unique prefix."),
    db: str = typer.Option(None, "--db", help=_DB_OPTION_HELP),
) -> None:
    """Delete a session or a trace from the store."""
    from .maintenance import delete_command

    raise typer.Exit(delete_command(some_id, db))


@app.command()
def export(
    some_id: str = typer.Argument(..., metavar="ID", help="A session id, a trace id, or a unique prefix."),
    fmt: str = typer.Option("json", "--format", help="json (neatlogs' own) or otlp (OTLP JSON)."),
    out: str = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    db: str = typer.Option(None, "--db", help=_DB_OPTION_HELP),
) -> None:
    """Write a session or a trace as JSON or OTLP JSON (neatlogs import reads either back)."""
    from .maintenance import export_command

    raise typer.Exit(export_command(some_id, fmt, out, db))


@app.command(name="import")
def import_(
    path: str = typer.Argument(..., metavar="FILE", help="An OTLP JSON export or a neatlogs JSON file."),
    db: str = typer.Option(None, "--db", help=_DB_OPTION_HELP),
) -> None:
    """Add the spans of an OTLP JSON or neatlogs JSON file to the store."""
    from .maintenance import import_command

    raise typer.Exit(import_command(path, db))


def main() -> None:
    """Entry point of the ``neatlogs`` console script."""
    app()
