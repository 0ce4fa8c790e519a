"""OpenAI instrumentation (placeholder until the OpenAI issue lands)."""

from __future__ import annotations

__all__ = ["instrument", "uninstrument"]


def instrument(module: object) -> None:
    """Patch the ``openai`` client's methods; idempotent."""


def uninstrument() -> None:
    """Undo :func:`instrument`."""
