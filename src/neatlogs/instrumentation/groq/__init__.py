"""Groq instrumentation: ``chat.completions.create`` (sync, async, streamed, raw responses), one LLM span per call.

The groq client is Stainless-generated and speaks the OpenAI chat-completions format, so
this folder is only its spec: the engine's ``StainlessOperation`` and the shared
``ChatCompletions`` format read it, named provider ``groq`` (the GenAI spec's
``gen_ai.provider.name`` value; OpenInference has none, so the same name).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget

__all__ = ["instrument", "uninstrument"]

PROVIDER = "groq"
"""``gen_ai.provider.name`` and ``llm.provider`` of every Groq call."""

TARGETS = (
    PatchTarget("groq.resources.chat.completions", ("Completions", "AsyncCompletions"), ("create",), "chat"),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.chat_completions import ChatCompletions
    from .._llm.stainless import StainlessOperation, raw_response_header

    chat = ChatCompletions(PROVIDER)
    return StainlessOperation("chat", chat.request, chat.response, chat.accumulator, raw_response_header(library))


_instrumentor = ClientInstrumentor("groq", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
