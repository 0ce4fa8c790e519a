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


def main() -> None:
    """Entry point of the ``neatlogs`` console script."""
    app()
