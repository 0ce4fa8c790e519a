"""neatlogs' content policy over the attributes an adopted OpenInference instrumentor sets.

OpenInference's tracer (``OITracer``) passes every attribute an instrumentor sets through its
``TraceConfig.mask(key, value)`` before the span holds it (at start, for the sampler, and on
every ``set_attribute``), so overriding ``mask`` puts the one policy (``neatlogs._content``)
between the framework and the wire, with nothing to undo at export:

- a **structural** key (span kind, model, provider, token counts, tool name and schema,
  message roles, tool-call ids and function names, document ids and scores, session, user,
  graph node) is kept, its text truncated and repaired;
- **every other key is content** (inputs, outputs, messages, tool arguments, documents,
  embedded texts, prompt templates and the frameworks' own keys, such as CrewAI's crew inputs
  and task descriptions): with ``capture_content`` off it is dropped; on, its text goes
  through the user's mask, truncation with a marker and string repair. A key this module does
  not know is content: a new key of an instrumentor is never leaked by default;
- embedding vectors are never recorded, as in neatlogs' own instrumentations.

The policy is read at each call (``_content.current()``), so a later ``init()`` that turns
capture off applies to instrumentors activated before it. OpenInference's own
``OPENINFERENCE_HIDE_*`` settings still apply first.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from openinference.instrumentation import TraceConfig

from ... import _content, semconv
from ..._content import repair
from ...serialize import truncate

__all__ = ["NeatlogsTraceConfig", "is_content"]

_STRUCTURAL = frozenset({
    semconv.OPENINFERENCE_SPAN_KIND,
    semconv.LLM_MODEL_NAME, semconv.LLM_PROVIDER, semconv.LLM_SYSTEM, semconv.LLM_INVOCATION_PARAMETERS,
    semconv.LLM_FINISH_REASONS, semconv.EMBEDDING_MODEL_NAME,
    semconv.TOOL_NAME, semconv.TOOL_DESCRIPTION, semconv.TOOL_PARAMETERS,
    semconv.SESSION_ID, semconv.GEN_AI_CONVERSATION_ID, semconv.USER_ID, semconv.METADATA, semconv.TAG_TAGS,
    semconv.LLM_PROMPT_TEMPLATE_VERSION, semconv.GRAPH_NODE_ID, semconv.GRAPH_NODE_PARENT_ID,
    semconv.GEN_AI_OPERATION_NAME, semconv.GEN_AI_PROVIDER_NAME, semconv.GEN_AI_REQUEST_MODEL,
    semconv.GEN_AI_RESPONSE_MODEL, semconv.GEN_AI_RESPONSE_ID, semconv.GEN_AI_RESPONSE_FINISH_REASONS,
    semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_OUTPUT_TOKENS, semconv.ERROR_TYPE,
})
"""Keys that describe the call, never what was said in it."""

_STRUCTURAL_PREFIXES = (
    # llm.token_count.prompt, .completion, .prompt_details.cache_read, ...: every count.
    semconv.LLM_TOKEN_COUNT_TOTAL.rpartition(".")[0] + ".",
    # The tools offered to the model (their schemas, as the program wrote them).
    semconv.LLM_TOOLS + ".",
)

_MESSAGE_PREFIXES = (semconv.LLM_INPUT_MESSAGES + ".", semconv.LLM_OUTPUT_MESSAGES + ".")
_MESSAGE_STRUCTURE = tuple("." + suffix for suffix in (
    semconv.MESSAGE_ROLE, semconv.MESSAGE_TOOL_CALL_ID, semconv.TOOL_CALL_ID, semconv.TOOL_CALL_FUNCTION_NAME))
_DOCUMENT_STRUCTURE = tuple("." + suffix for suffix in (semconv.DOCUMENT_ID, semconv.DOCUMENT_SCORE))
_VECTOR_SUFFIX = "." + semconv.EMBEDDING_VECTOR


def is_content(key: str) -> bool:
    """True when ``key``'s value is captured content (anything not known to be structural)."""
    if key in _STRUCTURAL or key.startswith(_STRUCTURAL_PREFIXES):
        return False
    if key.startswith(_MESSAGE_PREFIXES):
        return not key.endswith(_MESSAGE_STRUCTURE)
    if key.startswith(semconv.RETRIEVAL_DOCUMENTS + "."):
        return not key.endswith(_DOCUMENT_STRUCTURE)
    return True


def _policed(key: str, value: Any) -> Any:
    """``value`` as neatlogs' content policy lets it be recorded under ``key``; None: not at all."""
    policy = _content.current()
    if key.endswith(_VECTOR_SUFFIX):
        return None
    if not is_content(key):
        return repair(truncate(value, policy.max_value_chars)) if isinstance(value, str) else value
    if not policy.capture:
        return None
    if isinstance(value, str):
        return policy.text(value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
        texts = [policy.text(item) for item in value]
        return None if any(text is None for text in texts) else texts
    return value  # numbers and flags: nothing for a mask to find


_BASE_TAKES_EXTERNALIZE = "externalize" in inspect.signature(TraceConfig.mask).parameters


class NeatlogsTraceConfig(TraceConfig):
    """OpenInference's ``TraceConfig`` with neatlogs' content policy applied after its own rules."""

    def mask(
        self,
        key: str,
        value: Any | Callable[[], Any],
        *,
        externalize: bool = True,
    ) -> Any | None:
        """The value of ``key`` to record (None: record nothing): OpenInference's rules, then ours."""
        if _BASE_TAKES_EXTERNALIZE:
            masked = super().mask(key, value, externalize=externalize)
        else:  # openinference-instrumentation before image externalisation
            masked = super().mask(key, value)
        if masked is None:
            return None
        try:
            return _policed(key, masked)
        except Exception:
            from ... import _log

            _log.internal_error("applying the content policy to %s failed; the value is not recorded", key)
            return None
