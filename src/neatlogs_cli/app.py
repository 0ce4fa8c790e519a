"""The typer app: each command parses its arguments and calls one function."""

from __future__ import annotations

import typer

import neatlogs

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
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """neatlogs: LLM tracing with one command and no code changes."""


@app.command()
def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(6006, "--port", help="Port to listen on."),
    db: str = typer.Option(None, "--db", help="SQLite store to serve (default: $NEATLOGS_HOME/traces.db)."),
    api_key: str = typer.Option(None, "--api-key", envvar="NEATLOGS_UI_API_KEY",
                                help="Require this key: x-api-key for the collector, a login for the pages."),
    max_body: int = typer.Option(16 * 1024 * 1024, "--max-body", help="Largest export body in bytes (after gunzip)."),
) -> None:
    """Serve the local collector (POST /v1/traces) and the dashboard."""
    from .ui import serve

    raise typer.Exit(serve(host=host, port=port, db_path=db, api_key=api_key, max_body=max_body))


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
def show(
    session_id: str = typer.Argument(..., help="The session id, or a unique prefix of it."),
    as_json: bool = typer.Option(False, "--json", help="Print the session's spans as JSON."),
    db: str = typer.Option(None, "--db", help="SQLite store to read (default: $NEATLOGS_HOME/traces.db)."),
) -> None:
    """Show one session's timeline: turns in order, each with its span tree."""
    from .views import show_command

    raise typer.Exit(show_command(session_id, as_json=as_json, db=db))


@app.command()
def demo() -> None:
    """Run the seed chatbot against a stand-in model, offline, and show its session."""
    from .demo import main as demo_main

    raise typer.Exit(demo_main())


def main() -> None:
    """Entry point of the ``neatlogs`` console script."""
    app()
