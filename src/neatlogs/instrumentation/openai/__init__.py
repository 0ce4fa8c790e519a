"""OpenAI instrumentation: every chat, responses, completions, embeddings and moderations call is one span.

``instrument(openai)`` is called when the program imports ``openai``. It stays light: the
client loads its resource modules lazily, so we hook *their* import too and patch each
resource class the moment it exists (``Completions.create`` / ``parse``, ``Responses.create``
/ ``parse``, the legacy ``completions.create``, ``Embeddings.create``, ``Moderations.create``
and their async twins). The extraction code loads on the first traced call. The provider is
named from where the client sends (``_endpoints.py``): Azure OpenAI and OpenAI-compatible
endpoints are not labelled ``openai``. Works with the 1.x line and later.
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
    PatchTarget("openai.resources.completions", ("Completions", "AsyncCompletions"), ("create",), "completions"),
    PatchTarget("openai.resources.embeddings", ("Embeddings", "AsyncEmbeddings"), ("create",), "embeddings"),
    PatchTarget("openai.resources.moderations", ("Moderations", "AsyncModerations"), ("create",), "moderations"),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.chat_completions import ChatCompletions
    from .._llm.stainless import StainlessOperation, raw_response_header
    from . import _accumulate, _extract
    from ._endpoints import endpoint_attributes

    header = raw_response_header(library)

    def operation(span_operation: str, request: Any, response: Any, accumulator: Any = None) -> LLMOperation:
        return StainlessOperation(span_operation, request, response, accumulator, header, endpoint_attributes)

    if name == "chat":
        chat = ChatCompletions("openai")
        return operation("chat", chat.request, chat.response, chat.accumulator)
    if name == "responses":
        # The GenAI spec names the Responses API's operation ``chat`` (openai.md; the request extractor
        # sets it, with ``openai.api.type`` telling them apart); the span keeps the name DESIGN.md gives it.
        return operation("responses", _extract.responses_request, _extract.responses_response,
                         _accumulate.ResponsesStreamAccumulator)
    if name == "completions":
        return operation("text_completion", _extract.completions_request, _extract.completions_response,
                         _accumulate.CompletionsStreamAccumulator)
    if name == "moderations":
        return operation("moderations", _extract.moderations_request, _extract.moderations_response)
    return operation("embeddings", _extract.embeddings_request, _extract.embeddings_response)


_instrumentor = ClientInstrumentor("openai", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
