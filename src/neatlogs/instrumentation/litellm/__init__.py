"""litellm instrumentation: ``completion`` / ``acompletion``, ``responses`` / ``aresponses`` (plain and streamed),
``embedding`` / ``aembedding``.

litellm's calls are functions of its top-level module, not client methods, so they are
replaced on the ``litellm`` module the moment the program imports it: a program's own
``from litellm import completion`` (run after that import) gets the traced function. A
name bound before neatlogs instrumented litellm (``init()`` called after that ``from``
import) keeps the original; ``neatlogs run`` instruments before the program runs, so it
never happens there. litellm's internal calls (``litellm.main.completion`` and the
provider clients it drives) are not replaced: when litellm calls an instrumented client
(it sends OpenAI-format calls through the ``openai`` client), the engine sees a traced
call already under way and that inner call makes no span of its own.

Positional arguments (``completion("gpt-4o", messages)``) are passed on as the keywords
they bind to, so the request extractor sees them; ``completion(..., acompletion=True)``
returns litellm's coroutine untraced.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

    from .._llm.operation import LLMOperation

from .._llm.patching import ClientInstrumentor, PatchTarget, function_wrapper

__all__ = ["instrument", "uninstrument"]


def _keywords(positional: tuple[str, ...]) -> Callable[..., Any]:
    """A ``wrap=`` for functions whose leading parameters are ``positional``: those go on as keywords."""

    def wrap(original: Callable[..., Any], operation: Any, is_async: bool) -> Callable[..., Any]:
        traced = function_wrapper(original, operation, is_async)

        def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
            if len(args) > len(positional) or any(name in kwargs for name in positional[: len(args)]):
                return args, kwargs  # not a call shape we know: the original decides what it means
            return (), {**dict(zip(positional, args)), **kwargs}

        if is_async:

            @functools.wraps(original)
            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                if args:
                    args, kwargs = bind(args, kwargs)
                return await traced(*args, **kwargs)

            return traced_async

        @functools.wraps(original)
        def traced_sync(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("acompletion") is True:
                return original(*args, **kwargs)  # litellm's coroutine, for the caller to await
            if args:
                args, kwargs = bind(args, kwargs)
            return traced(*args, **kwargs)

        return traced_sync

    return wrap


TARGETS = (
    PatchTarget("litellm", (), ("completion", "acompletion"), "chat", _keywords(("model", "messages"))),
    PatchTarget("litellm", (), ("responses", "aresponses"), "responses", _keywords(("input", "model"))),
    PatchTarget("litellm", (), ("embedding", "aembedding"), "embeddings", _keywords(("model", "input"))),
)
"""Every function traced: litellm's own, on its top-level module."""


def _operation(name: str, library: Any) -> LLMOperation:
    from . import _extract, _stream

    if name == "chat":
        return _extract.CompletionOperation(
            "chat", _extract.completion_request, _extract.completion_response, _stream.CompletionStreamAccumulator
        )
    if name == "responses":
        from ..openai._accumulate import ResponsesStreamAccumulator  # litellm streams the Responses API's events

        return _extract.CompletionOperation(
            "responses", _extract.responses_request, _extract.responses_response, ResponsesStreamAccumulator
        )
    return _extract.CompletionOperation("embeddings", _extract.embedding_request, _extract.embedding_response)


_instrumentor = ClientInstrumentor("litellm", TARGETS, _operation)
instrument = _instrumentor.instrument
uninstrument = _instrumentor.uninstrument
