"""Building a LlamaIndex index is one VECTOR_STORE span: a step of the nearest turn, never a turn.

OpenInference's instrumentor has no span for building an index: ``from_documents`` splits the
documents (the node parser's CHAIN span) and embeds the chunks (EMBEDDING spans) in separate
root traces, and the splitter's CHAIN root, with the documents as its input, read as a turn of
its own whose "You:" was a JSON list of documents. Wrapping the index's entry points in one
span (kind ``VECTOR_STORE``, one of the step kinds of ``neatlogs.store.turns``) puts the
splitting and the embedding beneath it, in one trace that folds into the turn it serves.

The entry points are ``from_documents``, ``insert``/``ainsert`` (documents),
``insert_nodes``/``ainsert_nodes`` and ``build_index_from_nodes`` (nodes, the latter also what
``VectorStoreIndex(nodes)`` runs), on ``BaseIndex`` and where ``VectorStoreIndex`` overrides
them. Only the outermost of them makes a span (``from_documents`` calls the constructor, which
builds from nodes). The span records no content: the documents are in the spans beneath it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from ... import _log, semconv, tracing

__all__ = ["INDEX_KIND", "instrument_indexing", "uninstrument_indexing"]

INDEX_KIND = "VECTOR_STORE"
"""The span kind of building or adding to an index (a step kind: never a turn of its own)."""

_ENTRY_POINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # class: (its module, the methods building or adding to the index that it defines)
    "BaseIndex": ("llama_index.core.indices.base", (
        "from_documents", "insert", "ainsert", "insert_nodes", "ainsert_nodes", "build_index_from_nodes")),
    "VectorStoreIndex": ("llama_index.core.indices.vector_store.base", (
        "insert_nodes", "ainsert_nodes", "build_index_from_nodes")),
}

_ORIGINAL = "_neatlogs_original"
_indexing: contextvars.ContextVar[bool] = contextvars.ContextVar("neatlogs_llama_index_indexing", default=False)
"""True inside an entry point's span: the calls it makes to the others add none."""
_patched: list[tuple[type, str]] = []


def _span_name(owner: Any, method: str) -> str:
    cls = owner if isinstance(owner, type) else type(owner)
    return f"{cls.__name__}.{method}"


def _start(owner: Any, method: str) -> tuple[Any, Any]:
    """The entry point's span, current, and the flag's token; (None, None) when nested or not tracing."""
    if _indexing.get():
        return None, None
    tracer = tracing.get_tracer()
    if tracer is None:
        return None, None
    span = tracer.start_as_current_span(_span_name(owner, method),
                                        attributes={semconv.OPENINFERENCE_SPAN_KIND: INDEX_KIND})
    span.__enter__()
    return span, _indexing.set(True)


def _end(span: Any, token: Any, error: BaseException | None) -> None:
    try:
        _indexing.reset(token)
        if error is None:
            span.__exit__(None, None, None)
        else:
            span.__exit__(type(error), error, error.__traceback__)
    except Exception:
        _log.internal_error("ending the LlamaIndex index span failed")


def _traced(function: Callable[..., Any], method: str) -> Callable[..., Any]:
    """``function`` (the plain function behind the method, its owner the class or instance) in an index span."""
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def traced_async(owner: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                span, token = _start(owner, method)
            except Exception:
                _log.internal_error("starting the LlamaIndex index span failed")
                span = token = None
            if span is None:
                return await function(owner, *args, **kwargs)
            try:
                result = await function(owner, *args, **kwargs)
            except BaseException as error:
                _end(span, token, error)
                raise
            _end(span, token, None)
            return result

        return traced_async

    @functools.wraps(function)
    def traced(owner: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            span, token = _start(owner, method)
        except Exception:
            _log.internal_error("starting the LlamaIndex index span failed")
            span = token = None
        if span is None:
            return function(owner, *args, **kwargs)
        try:
            result = function(owner, *args, **kwargs)
        except BaseException as error:
            _end(span, token, error)
            raise
        _end(span, token, None)
        return result

    return traced


def _patch(cls: type, method: str) -> None:
    current = cls.__dict__.get(method)
    if current is None or getattr(current, _ORIGINAL, None) is not None:
        return
    is_classmethod = isinstance(current, classmethod)
    function = current.__func__ if is_classmethod else current
    if not callable(function) or getattr(function, _ORIGINAL, None) is not None:
        return
    wrapper = _traced(function, method)
    setattr(wrapper, _ORIGINAL, current)
    replacement: Any = classmethod(wrapper) if is_classmethod else wrapper
    if is_classmethod:
        setattr(replacement, _ORIGINAL, current)
    setattr(cls, method, replacement)
    _patched.append((cls, method))


def instrument_indexing(_instrumentor: Any = None) -> None:
    """Wrap the index entry points of the classes the program's LlamaIndex has (idempotent)."""
    import sys

    for class_name, (module_name, methods) in _ENTRY_POINTS.items():
        # Loaded by llama_index.core itself (it exports VectorStoreIndex): never imported here.
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if not isinstance(cls, type):
            _log.debug("llama_index has no %s.%s: its index building is not wrapped", module_name, class_name)
            continue
        for method in methods:
            try:
                _patch(cls, method)
            except Exception:
                _log.debug("wrapping %s.%s failed", class_name, method, exc_info=True)


def uninstrument_indexing() -> None:
    """Restore every method wrapped here."""
    while _patched:
        cls, method = _patched.pop()
        original = getattr(cls.__dict__.get(method), _ORIGINAL, None)
        if original is not None:
            setattr(cls, method, original)
