"""DSPy: OpenInference's instrumentor (extra ``neatlogs[dspy]``) on neatlogs' provider.

It wraps DSPy's modules, predictors, adapters, retrievers and ``LM`` calls: modules and
predictors become CHAIN spans, ``LM`` calls LLM spans. With ``engine="litellm"`` DSPy sends
its model calls through litellm, which neatlogs traces: that client span sits under DSPy's LM
span. DSPy's own engine (lm15, its default) speaks HTTP itself, so DSPy's LM span is the only
one; OpenInference records no tokens on it, so neatlogs adds the usage DSPy reports to its
history (``BaseLM.update_history``, called inside the LM call) to that span.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import _log, semconv
from .._adopted import activate, deactivate

__all__ = ["instrument", "uninstrument"]

NAME = "dspy"
_SCOPE = "openinference.instrumentation.dspy"
_USAGE_KEYS = (
    ("prompt_tokens", semconv.LLM_TOKEN_COUNT_PROMPT),
    ("completion_tokens", semconv.LLM_TOKEN_COUNT_COMPLETION),
    ("total_tokens", semconv.LLM_TOKEN_COUNT_TOTAL),
)
_patched: list[tuple[Any, Any]] = []
"""(class, original ``update_history``) while neatlogs' wrapper is on."""


def instrument(module: object) -> None:
    """Turn the instrumentor on, now that the program imported ``dspy``."""
    activate(NAME, after=_usage_on_lm_spans)


def uninstrument() -> None:
    """Turn it off again."""
    deactivate(NAME)
    while _patched:
        owner, original = _patched.pop()
        owner.update_history = original


def _usage_on_lm_spans(instrumentor: Any) -> None:
    """Wrap ``dspy.BaseLM.update_history``: the usage of each LM call goes on its LM span."""
    import dspy

    owner = getattr(dspy, "BaseLM", None)
    original = getattr(owner, "update_history", None)
    if owner is None or original is None:
        _log.debug("dspy has no BaseLM.update_history; its LM spans carry no tokens")
        return

    @functools.wraps(original)
    def update_history(self: Any, entry: Any) -> Any:
        try:
            _add_usage(entry)
        except Exception:
            _log.internal_error("recording a DSPy LM call's usage failed")
        return original(self, entry)

    owner.update_history = update_history
    _patched.append((owner, original))


def _add_usage(entry: Any) -> None:
    """Token counts of ``entry["usage"]`` onto the current span, when it is OpenInference's DSPy LM span."""
    from opentelemetry import trace

    usage = entry.get("usage") if isinstance(entry, dict) else None
    if not usage:
        return
    span: Any = trace.get_current_span()
    scope = getattr(span, "instrumentation_scope", None)
    if getattr(scope, "name", None) != _SCOPE or not span.is_recording():
        return
    if (span.attributes or {}).get(semconv.OPENINFERENCE_SPAN_KIND) != "LLM":
        return
    counts = {key: usage[field] for field, key in _USAGE_KEYS
              if isinstance(usage.get(field), int) and not isinstance(usage.get(field), bool)}
    if counts:
        span.set_attributes(counts)
