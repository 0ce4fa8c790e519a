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


# OpenTelemetry API pieces and the content policy, loaded once on the first real span
# (``import neatlogs`` stays cheap, and no span pays for an import statement).
_content: Any = None
_context: Any = None
_set_span_in_context: Any = None
_Status: Any = None
_StatusCode: Any = None
_STATUS_OK: Any = None
_parent_context: Any = None


def _load_otel() -> None:
    global _context, _set_span_in_context, _Status, _StatusCode, _STATUS_OK, _parent_context
    from opentelemetry import context
    from opentelemetry.trace import Status, StatusCode, set_span_in_context

    from ._framework_runs import parent_context

    _context, _set_span_in_context, _Status, _StatusCode = context, set_span_in_context, Status, StatusCode
    _STATUS_OK = Status(StatusCode.OK)
    _parent_context = parent_context


def _policy(behaviour: Any = None) -> Any:
    """The content policy in effect, with the span's own mask first if it has one.

    The policy's module is loaded on first use, not by ``import neatlogs``.
    """
    global _content
    if _content is None:
        from . import _content as content

        _content = content
    policy = _content.current()
    if behaviour is not None and behaviour.mask is not None:
        return policy.with_mask(behaviour.mask)
    return policy




def _record_error(span: Any, error: BaseException) -> None:
    span.record_exception(error, escaped=True)
    span.set_attribute(semconv.ERROR_TYPE, type(error).__qualname__)
    span.set_status(_Status(_StatusCode.ERROR, f"{type(error).__name__}: {error}"[:1000]))


class _Active:
    """One live span and its attached context; every method is safe to call and never raises.

    ``behaviour`` (from the neatlogs SDK's keyword arguments) may give the span a mask of its
    own, an identity (session, end user) for the trace it roots, and retriever recording.
    """

    __slots__ = ("span", "token", "policy", "behaviour", "arguments", "identity", "stdout", "printed")

    def __init__(self, name: str, attributes: dict[str, Any], input_value: Any = None,
                 behaviour: Any = None) -> None:
        """Start the span; a non-None ``input_value`` is recorded in its start attributes."""
        self.span: Any = None
        self.token: Any = None
        self.policy: Any = None
        self.behaviour = behaviour
        self.arguments = input_value
        self.identity: Any = None
        self.stdout: Any = None  # a capture of what the code prints (capture_stdout=True), while attached
        self.printed = ""  # what it printed so far (a generator's steps add up); no object per span
        try:
            tracer = tracing.get_tracer()
            if tracer is None:
                return
            if _STATUS_OK is None:
                _load_otel()
            policy = self.policy = _policy(behaviour)
            if behaviour is not None and behaviour.identity and not _in_a_trace():
                from . import sessions

                self.identity = sessions.enter_identity(
                    behaviour.session_id, behaviour.end_user_id, behaviour.end_user_metadata)
            if input_value is not None:
                try:
                    recorded = policy.value_attributes(semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, input_value)
                    attributes = {**attributes, **recorded}
                except Exception:
                    _log.internal_error("recording the input of %s failed", name)
            # Under a framework's run (a LangChain tool), that run's span is the parent.
            self.span = tracer.start_span(name, context=_parent_context(), attributes=attributes)
        except Exception:
            _log.internal_error("starting span %s failed", name)

    def attach(self) -> None:
        if self.span is None:
            return
        try:
            self.token = _context.attach(_set_span_in_context(self.span))
            if self.behaviour is not None and self.behaviour.capture_stdout:
                from . import _stdout

                self.stdout = _stdout.start()
        except Exception:
            _log.internal_error("attaching span context failed")

    def detach(self) -> None:
        if self.stdout is not None:
            from . import _stdout

            capture, self.stdout = self.stdout, None
            try:
                self.printed += _stdout.stop(capture)
            except Exception:
                _log.internal_error("ending the capture of printed output failed")
        if self.token is None:
            return
        token, self.token = self.token, None
        try:
            _context.detach(token)
        except Exception:
            _log.internal_error("detaching span context failed")

    def set_input(self, value: Any) -> None:
        _record_value(self.span, self.policy, semconv.INPUT_VALUE, semconv.INPUT_MIME_TYPE, value)

    def set_output(self, value: Any) -> None:
        _record_value(self.span, self.policy, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, value)

    def finish(self, error: BaseException | None = None, output: Any = None) -> None:
        """End the span: ERROR with ``error``, else OK with ``output`` recorded unless None."""
        span, self.span = self.span, None
        if span is None:
            return
        try:
            if self.printed:
                text = self.policy.text(self.printed)
                if text is not None:
                    span.set_attribute(semconv.NEATLOGS_STDOUT, text)
            if error is not None:
                _record_error(span, error)
            else:
                if output is not None:
                    _record_value(span, self.policy, semconv.OUTPUT_VALUE, semconv.OUTPUT_MIME_TYPE, output)
                    if self.behaviour is not None and self.behaviour.retriever:
                        from ._span_options import retrieval_attributes

                        span.set_attributes(retrieval_attributes(self.policy, self.arguments, output))
                span.set_status(_STATUS_OK)
            span.end()
        except Exception:
            _log.internal_error("ending span failed")
        if self.identity is not None:
            from . import sessions

            identity, self.identity = self.identity, None
            sessions.exit_identity(identity)


def _in_a_trace() -> bool:
    """True when a span is current here: a new span would be a child, not a trace's root."""
    from opentelemetry import trace as trace_api

    return trace_api.get_current_span().get_span_context().is_valid


def _record_value(span: Any, policy: Any, value_key: str, mime_key: str, value: Any) -> None:
    """Set ``value`` on ``span`` under ``value_key`` through ``policy``; failures are logged, never raised."""
    if span is None:
        return
    try:
        attributes = policy.value_attributes(value_key, mime_key, value)
        if attributes:
            span.set_attributes(attributes)
    except Exception:
        _log.internal_error("recording %s failed", value_key)


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
        behaviour = None
        if attributes or kind_value == "RETRIEVER":
            from ._span_options import split

            raw, behaviour = split(kind_value, attributes)
            policy = _policy()
            for key, value in raw.items():
                static[key] = policy.attribute(value)
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None
        has_defaults = signature is not None and any(
            p.default is not p.empty for p in signature.parameters.values()
        )

        def begin(args: tuple, kwargs: dict) -> _Active:
            arguments = None
            if capture_input and signature is not None and (args or kwargs or has_defaults):
                try:
                    arguments = _bound_arguments(signature, args, kwargs) or None
                except Exception:
                    _log.debug("binding arguments of %s failed", span_name, exc_info=True)
            return _Active(span_name, static, arguments, behaviour)

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
                active.finish(output=result if capture_output else None)
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
                active.finish(output=result if capture_output else None)
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
                active.finish(output=items if capture_output else None)
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
                active.finish(output=items if capture_output else None)
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
                active.finish(output=items if capture_output else None)
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
                active.finish(output=items if capture_output else None)
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
        """Set one attribute; objects are stored as JSON strings.

        A key that holds content (``input.value``, retrieval and reranker queries and
        documents, messages: ``semconv.EXPLICIT_CONTENT_KEYS``) goes through the content
        policy: masked, and not recorded when content capture is off.
        """
        if self._active is None or self._active.span is None:
            return
        try:
            policy = self._active.policy or _policy()
            if key in semconv.EXPLICIT_CONTENT_KEYS or key.startswith(semconv.EXPLICIT_CONTENT_PREFIXES):
                value = policy.masked(value)
                if value is None:
                    return
            self._active.span.set_attribute(key, policy.attribute(value))
        except Exception:
            _log.internal_error("set_attribute failed")

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
        system_prompt_template: Any = None,
        system_prompt_variables: dict[str, Any] | None = None,
        user_prompt_variables: dict[str, Any] | None = None,
        prompt_variables: dict[str, Any] | None = None,
        version: Any = None,
        mask: Any = None,
        session_id: str | None = None,
        end_user_id: str | None = None,
        end_user_metadata: Any = None,
        capture_stdout: bool | None = None,
        **attributes: Any,
    ) -> None:
        self._name = name
        self._kind = _check_kind(kind)
        # The neatlogs SDK's names: system_* win over the older prompt_* ones when both are given.
        system = system_prompt_template if system_prompt_template is not None else prompt_template
        system_variables = system_prompt_variables if system_prompt_variables is not None else prompt_variables
        self._templates = (system, user_prompt_template, system_variables, user_prompt_variables, version)
        self._attributes = attributes
        self._behaviour: Any = None
        if (mask is not None or session_id is not None or end_user_id is not None or end_user_metadata is not None
                or capture_stdout):
            from ._span_options import split

            _, self._behaviour = split(self._kind, {"mask": mask, "session_id": session_id,
                                                    "end_user_id": end_user_id,
                                                    "end_user_metadata": end_user_metadata,
                                                    "capture_stdout": capture_stdout})
        self._stack: list[tuple[_Active, Any]] = []

    def __enter__(self) -> SpanHandle:
        if not tracing.is_enabled():
            self._stack.append((None, None))  # type: ignore[arg-type]
            return SpanHandle(None)
        attributes: dict[str, Any] = {semconv.OPENINFERENCE_SPAN_KIND: self._kind}
        try:
            policy = _policy()
            for key, value in self._attributes.items():
                attributes[key] = policy.attribute(value)
        except Exception:
            _log.internal_error("trace attributes failed")
        active = _Active(self._name, attributes, behaviour=self._behaviour)
        from . import prompts

        # A wrong template type is the caller's bug: let that TypeError through.
        system, user, system_variables, user_variables, version = self._templates
        template_token = prompts.enter_scope(active.span, system, user, active.policy or _policy(),
                                             system_variables, user_variables, version)
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
