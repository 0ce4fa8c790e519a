"""DSPy: OpenInference's instrumentor (extra ``neatlogs[dspy]``) on neatlogs' provider.

It wraps DSPy's modules, predictors, adapters, retrievers and ``LM`` calls: modules and
predictors become CHAIN spans, ``LM`` calls LLM spans. DSPy sends its model calls through
litellm, which neatlogs traces: that client span sits under DSPy's LM span.
"""

from __future__ import annotations

from .._adopted import activate, deactivate

__all__ = ["instrument", "uninstrument"]

NAME = "dspy"


def instrument(module: object) -> None:
    """Turn the instrumentor on, now that the program imported ``dspy``."""
    activate(NAME, "openinference.instrumentation.dspy", "DSPyInstrumentor")


def uninstrument() -> None:
    """Turn it off again."""
    deactivate(NAME)
