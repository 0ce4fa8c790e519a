"""Cohere instrumentation: the v2 client's ``chat``, ``chat_stream``, ``embed`` and ``rerank``, sync and async.

``ClientV2`` / ``AsyncClientV2`` get these methods from ``V2Client`` / ``AsyncV2Client``
in ``cohere.v2.client``, which we patch. ``chat_stream`` is a generator function (an async
generator function on the async client): calling it sends nothing yet and returns the
stream, so the async one gets a wrapper that is called, not awaited, and hands back the
async stream proxy. Extraction is in ``_extract.py``; the engine does the rest.

A client binds ``chat`` and ``chat_stream`` to itself when it is made (its argument
checks wrap the bound methods, https://github.com/cohere-ai/cohere-python/blob/main/src/cohere/client.py,
``validate_args``), so a client made before ``init()`` keeps the untraced methods; under
``neatlogs run`` ``init()`` comes first, so every client is traced. ``with_raw_response``
calls go through another class and are not traced.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .._llm.operation import LLMOperation

from ... import _log
from .._llm.patching import ClientInstrumentor, PatchTarget

__all__ = ["instrument", "uninstrument"]


def _async_generator(original: Callable[..., Any], operation: Any, _is_async: bool) -> Callable[..., Any]:
    """A traced async generator function: the call returns the stream proxy at once."""

    @functools.wraps(original)
    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = operation.begin(kwargs, self)
        if call is None:
            return original(self, *args, **kwargs)
        try:
            stream = original(self, *args, **kwargs)  # sends nothing until iterated
        except BaseException as error:
            call.finish(error=error)
            raise
        return operation.end(call, kwargs, stream, True)

    return traced


_MODULE = "cohere.v2.client"
TARGETS = (
    PatchTarget(_MODULE, ("V2Client", "AsyncV2Client"), ("chat",), "chat"),
    PatchTarget(_MODULE, ("V2Client",), ("chat_stream",), "chat_stream"),
    PatchTarget(_MODULE, ("AsyncV2Client",), ("chat_stream",), "chat_stream", _async_generator),
    PatchTarget(_MODULE, ("V2Client", "AsyncV2Client"), ("embed",), "embeddings"),
    PatchTarget(_MODULE, ("V2Client", "AsyncV2Client"), ("rerank",), "rerank"),
)
"""Every client method traced, by the module that defines it."""


def _operation(name: str, library: Any) -> LLMOperation:
    from .._llm.operation import LLMOperation
    from ._extract import ChatStreamAccumulator, chat_request, chat_response, embed_request, embed_response

    if name == "rerank":
        return _rerank_operation()
    if name == "chat":
        return LLMOperation("chat", chat_request, chat_response)
    if name == "chat_stream":
        return LLMOperation("chat", chat_request, chat_response, ChatStreamAccumulator)
    return LLMOperation("embeddings", embed_request, embed_response)


def _rerank_operation() -> LLMOperation:
    """``rerank``: its result names documents by their place in the request, so its end reads the request too."""
    from .._llm.operation import LLMOperation
    from ._extract import rerank_request, rerank_response

    class RerankOperation(LLMOperation):
        def end(self, call: Any, kwargs: dict[str, Any], result: Any, is_async: bool) -> Any:
            try:
                call.finish(rerank_response(result, kwargs, call.policy))
            except Exception:
                _log.internal_error("recording the rerank result failed")
                call.finish()
            return result

    return RerankOperation("rerank", rerank_request, lambda result, policy: {})


_instrumentor = ClientInstrumentor("cohere", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
