"""The ``@span`` decorator and the ``trace(...)`` context manager.

Both are transparent no-ops until ``init()``. Our own failures are swallowed and logged
at debug level; the program's return values, exceptions and generators pass through
unchanged. No OpenTelemetry context is kept attached across a ``yield``: generator spans
attach their context only while the generator body runs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from . import _log, semconv, tracing

__all__ = ["SpanHandle", "span", "trace"]

_MAX_GENERATOR_ITEMS = 100
"""Items of a generator kept for its ``output.value``."""


def _check_kind(kind: Any) -> str:
    if not isinstance(kind, str) or kind.upper() not in semconv.SPAN_KINDS:
        allowed = ", ".join(sorted(semconv.SPAN_KINDS))
        raise ValueError(f"neatlogs: unknown span kind {kind!r}; use one of {allowed}")
    return kind.upper()


def _capture_content() -> bool:
    settings = tracing.settings()
    return settings is None or settings.capture_content


def _masked(value: Any) -> Any:
    settings = tracing.settings()
    if settings is not None and settings.mask is not None:
        return settings.mask(value)
    return value


def _set_value(span: Any, value_key: str, mime_key: str, value: Any) -> None:
    from .serialize import attribute_value, to_json

    value = _masked(value)
    if isinstance(value, str):
        span.set_attributes({value_key: attribute_value(value), mime_key: semconv.MIME_TEXT})
    else:
        span.set_attributes({value_key: to_json(value), mime_key: semconv.MIME_JSON})


def _record_error(span: Any, error: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.record_exception(error, escaped=True)
    span.set_attribute(semconv.ERROR_TYPE, type(error).__qualname__)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:1000]))


class _Active:
    """One live span and its attached context; every method is safe to call and never raises."""

    __slots__ = ("span", "token")

    def __init__(self, name: str, attributes: dict[str, Any]) -> None:
        self.span: Any = None
        self.token: Any = None
        try:
            tracer = tracing.get_tracer()
            if tracer is not None:
                self.span = tracer.start_span(name, attributes=attributes)
        except Exception:
            _log.debug("starting span %s failed", name, exc_info=True)

    def attach(self) -> None:
        if self.span is None:
            return
        try:
            from opentelemetry import context, trace as trace_api

            self.token = context.attach(trace_api.set_span_in_context(self.span))
        except Exception:
            _log.debug("attaching span context failed", exc_info=True)

    def detach(self) -> None:
        if self.token is None:
            return
        token, self.token = self.token, None
        try:
            from opentelemetry import context

            context.detach(token)
        except Exception:
            _log.debug("detaching span context failed", exc_info=True)

    def set_input(self, value: Any) -> None:
        if self.span is None or not _capture_content():
            return
        try:
            _set_value(self.span, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, value)
        except Exception:
            _log.debug("recording input failed", exc_info=True)

    def set_output(self, value: Any) -> None:
        if self.span is None or not _capture_content():
            return
        try:
            _set_value(self.span, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, value)
        except Exception:
            _log.debug("recording output failed", exc_info=True)

    def finish(self, error: BaseException | None = None) -> None:
        if self.span is None:
            return
        span, self.span = self.span, None
        try:
            if error is not None:
                _record_error(span, error)
            else:
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.OK))
            span.end()
        except Exception:
            _log.debug("ending span failed", exc_info=True)


def _bound_arguments(signature: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    bound = signature.bind_partial(*args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    first = next(iter(signature.parameters), None)
    if first in ("self", "cls"):
        arguments.pop(first, None)
    return arguments


def span(
    kind: Any = "CHAIN",
    name: str | None = None,
    *,
    capture_input: bool = True,
    capture_output: bool = True,
    **attributes: Any,
) -> Callable:
    """Decorate a function (sync, async, generator or async generator) to record one span per call.

    The bound arguments become ``input.value`` and the return value ``output.value``; an
    exception marks the span ERROR and is re-raised unchanged. ``@span`` with no
    parentheses is the same as ``@span()``.

    Raises:
        ValueError: ``kind`` is not one of the OpenInference span kinds.
    """
    if callable(kind) and not isinstance(kind, str):
        return span()(kind)
    kind_value = _check_kind(kind)

    def decorate(func: Callable) -> Callable:
        import functools
        import inspect

        span_name = name or getattr(func, "__qualname__", None) or repr(func)
        static = {semconv.OPENINFERENCE_SPAN_KIND: kind_value}
        for key, value in attributes.items():
            from .serialize import attribute_value

            static[key] = attribute_value(value)
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None

        def begin(args: tuple, kwargs: dict) -> _Active:
            active = _Active(span_name, static)
            if capture_input and active.span is not None and signature is not None:
                try:
                    active.set_input(_bound_arguments(signature, args, kwargs))
                except Exception:
                    _log.debug("binding arguments of %s failed", span_name, exc_info=True)
            return active

        if inspect.isasyncgenfunction(func):
            wrapper = _async_generator_wrapper(func, begin, capture_output)
        elif inspect.isgeneratorfunction(func):
            wrapper = _generator_wrapper(func, begin, capture_output)
        elif inspect.iscoroutinefunction(func):

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                if not tracing.is_enabled():
                    return await func(*args, **kwargs)
                active = begin(args, kwargs)
                active.attach()
                try:
                    result = await func(*args, **kwargs)
                except BaseException as error:
                    active.detach()
                    active.finish(error)
                    raise
                active.detach()
                if capture_output:
                    active.set_output(result)
                active.finish()
                return result

        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if not tracing.is_enabled():
                    return func(*args, **kwargs)
                active = begin(args, kwargs)
                active.attach()
                try:
                    result = func(*args, **kwargs)
                except BaseException as error:
                    active.detach()
                    active.finish(error)
                    raise
                active.detach()
                if capture_output:
                    active.set_output(result)
                active.finish()
                return result

        return functools.wraps(func)(wrapper)

    return decorate


def _generator_wrapper(func: Callable, begin: Callable, capture_output: bool) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not tracing.is_enabled():
            return (yield from func(*args, **kwargs))
        generator = func(*args, **kwargs)
        active = begin(args, kwargs)
        items: list[Any] = []
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            active.attach()
            try:
                if to_throw is not None:
                    error, to_throw = to_throw, None
                    item = generator.throw(error)
                else:
                    item = generator.send(to_send)
            except StopIteration as stop:
                active.detach()
                if capture_output:
                    active.set_output(items)
                active.finish()
                return stop.value
            except BaseException as error:
                active.detach()
                active.finish(error)
                raise
            active.detach()
            if len(items) < _MAX_GENERATOR_ITEMS:
                items.append(item)
            try:
                to_send = yield item
            except GeneratorExit:
                generator.close()
                if capture_output:
                    active.set_output(items)
                active.finish()
                raise
            except BaseException as error:
                to_throw = error

    return wrapper


def _async_generator_wrapper(func: Callable, begin: Callable, capture_output: bool) -> Callable:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not tracing.is_enabled():
            async for item in func(*args, **kwargs):
                yield item
            return
        generator = func(*args, **kwargs)
        active = begin(args, kwargs)
        items: list[Any] = []
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            active.attach()
            try:
                if to_throw is not None:
                    error, to_throw = to_throw, None
                    item = await generator.athrow(error)
                else:
                    item = await generator.asend(to_send)
            except StopAsyncIteration:
                active.detach()
                if capture_output:
                    active.set_output(items)
                active.finish()
                return
            except BaseException as error:
                active.detach()
                active.finish(error)
                raise
            active.detach()
            if len(items) < _MAX_GENERATOR_ITEMS:
                items.append(item)
            try:
                to_send = yield item
            except GeneratorExit:
                await generator.aclose()
                if capture_output:
                    active.set_output(items)
                active.finish()
                raise
            except BaseException as error:
                to_throw = error

    return wrapper


class SpanHandle:
    """What ``with trace(...)`` yields: set the span's input, output and attributes."""

    __slots__ = ("_active",)

    def __init__(self, active: _Active | None) -> None:
        self._active = active

    def set_input(self, value: Any) -> None:
        """Record ``value`` as the span's ``input.value``."""
        if self._active is not None:
            self._active.set_input(value)

    def set_output(self, value: Any) -> None:
        """Record ``value`` as the span's ``output.value``."""
        if self._active is not None:
            self._active.set_output(value)

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute; objects are stored as JSON strings."""
        if self._active is None or self._active.span is None:
            return
        try:
            from .serialize import attribute_value

            self._active.span.set_attribute(key, attribute_value(value))
        except Exception:
            _log.debug("set_attribute failed", exc_info=True)

    @property
    def span(self) -> Any:
        """The underlying OpenTelemetry span, or None when tracing is off."""
        return self._active.span if self._active is not None else None


class trace:
    """Context manager (``with`` or ``async with``) that records one named span around a block.

    Exceptions inside the block are recorded on the span and re-raised. Prompt templates
    given here are recorded on this span and on the LLM spans started inside the block.
    """

    def __init__(
        self,
        name: str,
        kind: str = "CHAIN",
        *,
        prompt_template: Any = None,
        user_prompt_template: Any = None,
        **attributes: Any,
    ) -> None:
        self._name = name
        self._kind = _check_kind(kind)
        self._templates = (prompt_template, user_prompt_template)
        self._attributes = attributes
        self._stack: list[tuple[_Active, Any]] = []

    def __enter__(self) -> SpanHandle:
        if not tracing.is_enabled():
            self._stack.append((None, None))  # type: ignore[arg-type]
            return SpanHandle(None)
        attributes: dict[str, Any] = {semconv.OPENINFERENCE_SPAN_KIND: self._kind}
        try:
            from .serialize import attribute_value

            for key, value in self._attributes.items():
                attributes[key] = attribute_value(value)
        except Exception:
            _log.debug("trace attributes failed", exc_info=True)
        active = _Active(self._name, attributes)
        from . import prompts

        # A wrong template type is the caller's bug: let that TypeError through.
        template_token = prompts.enter_scope(active.span, *self._templates, _capture_content())
        active.attach()
        self._stack.append((active, template_token))
        return SpanHandle(active)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        active, template_token = self._stack.pop()
        if active is None:
            return
        from . import prompts

        active.detach()
        prompts.exit_scope(template_token)
        active.finish(exc)

    async def __aenter__(self) -> SpanHandle:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)
