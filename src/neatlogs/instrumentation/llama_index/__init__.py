"""LlamaIndex: OpenInference's instrumentor (extra ``neatlogs[llama_index]``) on neatlogs' provider.

It adds a span handler and an event handler to LlamaIndex's instrumentation dispatcher (the
framework's own extension point), so query engines, retrievers (with their documents),
synthesizers, LLM and embedding calls, agents and tools become spans; the LLM's client call
underneath (``openai``) is traced by neatlogs and sits under LlamaIndex's LLM span. Building
an index gets one span of its own (``indexing``), so it shows as a step, not a turn.
"""

from __future__ import annotations

from .._adopted import activate, deactivate
from .indexing import instrument_indexing, uninstrument_indexing

__all__ = ["instrument", "uninstrument"]

NAME = "llama_index"


def instrument(module: object) -> None:
    """Turn the instrumentor on, now that the program imported ``llama_index.core``."""
    activate(NAME, after=instrument_indexing)


def uninstrument() -> None:
    """Turn it off again."""
    uninstrument_indexing()
    deactivate(NAME)
