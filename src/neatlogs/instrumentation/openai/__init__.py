"""OpenAI instrumentation: every chat, responses and embeddings call becomes one LLM span.

``instrument(openai)`` is called when the program imports ``openai``. It stays light: the
client loads its resource modules lazily, so we hook *their* import too and patch each
resource class the moment it exists (``Completions.create`` / ``parse``, ``Responses.create``
/ ``parse``, ``Embeddings.create`` and their async twins). The extraction code loads on the
first traced call. Works with the 1.x line and later.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget

__all__ = ["instrument", "uninstrument"]

_METHODS = ("create", "parse")
TARGETS = (
    PatchTarget("openai.resources.chat.completions", ("Completions", "AsyncCompletions"), _METHODS, "chat"),
    # The 1.x line keeps parse() under beta.
    PatchTarget("openai.resources.beta.chat.completions", ("Completions", "AsyncCompletions"), _METHODS, "chat"),
    PatchTarget("openai.resources.responses", ("Responses", "AsyncResponses"), _METHODS, "responses"),
    PatchTarget("openai.resources.embeddings", ("Embeddings", "AsyncEmbeddings"), _METHODS, "embeddings"),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.stainless import StainlessOperation, raw_response_header
    from . import _accumulate, _extract

    header = raw_response_header(library)
    if name == "chat":
        return StainlessOperation(
            "chat", _extract.chat_request, _extract.chat_response, _accumulate.ChatStreamAccumulator, header
        )
    if name == "responses":
        return StainlessOperation(
            "responses", _extract.responses_request, _extract.responses_response,
            _accumulate.ResponsesStreamAccumulator, header,
        )
    return StainlessOperation("embeddings", _extract.embeddings_request, _extract.embeddings_response, None, header)


_instrumentor = ClientInstrumentor("openai", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
