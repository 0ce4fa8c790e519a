"""Patch client classes so each call makes one LLM span; idempotent and undoable.

We replace methods on the client's resource *classes* (``Completions.create`` and
friends), so clients made before ``init()`` are traced too; a library whose calls are
module-level functions (``litellm.completion``) has them replaced on its module. A patched method carries
``__neatlogs_original__``; patching it again is a no-op, so ``init()`` twice or
``instrument()`` twice still gives one span per call. :class:`ClientInstrumentor` is what a
provider folder builds: which modules and classes to patch, and how to make the
:class:`~.operation.LLMOperation` of each method; it gives the provider its
``instrument(module)`` / ``uninstrument()`` pair.
"""

from __future__ import annotations

import functools
import types

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable, NamedTuple, Sequence

    from .operation import LazyOperation, LLMOperation

    Operation = LLMOperation | LazyOperation
    Wrap = Callable[[Callable[..., Any], Operation, bool], Callable[..., Any]]
else:
    from collections import namedtuple as _namedtuple  # a NamedTuple class costs typing's import

from ... import _log

__all__ = [
    "ClientInstrumentor",
    "PatchTarget",
    "bind_positional",
    "function_wrapper",
    "patch_classes",
    "patch_method",
    "traced_wrapper",
    "unpatch_all",
]

_ORIGINAL = "__neatlogs_original__"
_patched: list[tuple[Any, str]] = []
"""What was patched: (class or module, attribute name)."""


if TYPE_CHECKING:

    class PatchTarget(NamedTuple):
        """Methods to patch: ``methods`` of each of ``classes`` in ``module``, all traced by ``operation``.

        Classes named ``Async*`` get async wrappers. No ``classes``: ``methods`` are functions of
        ``module`` itself (async ones get async wrappers). ``wrap`` replaces the usual wrapper for
        methods that do not send the request themselves (a stream helper's manager).
        ``positional`` names the methods' leading positional parameters (``chat(model, messages)``),
        so positional arguments reach the request extractor as keyword arguments.
        """

        module: str
        classes: tuple[str, ...]
        methods: tuple[str, ...]
        operation: str
        wrap: Wrap | None = None
        positional: tuple[str, ...] = ()
else:
    PatchTarget = _namedtuple("PatchTarget", "module classes methods operation wrap positional", defaults=(None, ()))


def bind_positional(names: tuple[str, ...], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Move leading positional ``args`` into ``kwargs`` under ``names``; returns the args left.

    The method is then called with keywords only, so what the request extractor sees (and may
    replace, a one-shot iterable by a list) is what the client gets. Arguments that cannot be
    named (more than ``names``, or a name also given as a keyword) are left as they are: the
    client raises its own error for them.
    """
    if len(args) > len(names) or any(name in kwargs for name in names[: len(args)]):
        return args
    kwargs.update(zip(names, args))
    return ()


def _sync_wrapper(
    original: Callable[..., Any], operation: Operation, positional: tuple[str, ...]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args and positional:
            args = bind_positional(positional, args, kwargs)
        call = operation.begin(kwargs, self)
        if call is None:
            return original(self, *args, **kwargs)
        token = call.attach()
        try:
            result = original(self, *args, **kwargs)
        except BaseException as error:
            call.detach(token)
            call.finish(error=error)
            raise
        call.detach(token)
        return operation.end(call, kwargs, result, False)

    return traced


def _async_wrapper(
    original: Callable[..., Any], operation: Operation, positional: tuple[str, ...]
) -> Callable[..., Any]:
    @functools.wraps(original)
    async def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args and positional:
            args = bind_positional(positional, args, kwargs)
        call = operation.begin(kwargs, self)
        if call is None:
            return await original(self, *args, **kwargs)
        # Attached and detached in this one coroutine frame, never across a yield to the caller.
        token = call.attach()
        try:
            result = await original(self, *args, **kwargs)
        except BaseException as error:
            call.detach(token)
            call.finish(error=error)
            raise
        call.detach(token)
        return operation.end(call, kwargs, result, True)

    return traced


def traced_wrapper(
    original: Callable[..., Any], operation: Operation, is_async: bool, positional: tuple[str, ...] = ()
) -> Callable[..., Any]:
    """``original`` (a client method, or any callable taking the call's keyword arguments) traced by ``operation``.

    ``positional``: the names of its leading positional parameters (see :func:`bind_positional`).
    """
    return (_async_wrapper if is_async else _sync_wrapper)(original, operation, positional)


def function_wrapper(original: Callable[..., Any], operation: Operation, is_async: bool) -> Callable[..., Any]:
    """``original``, a module-level function (no ``self``), traced by ``operation``."""
    method = traced_wrapper(lambda _module, *args, **kwargs: original(*args, **kwargs), operation, is_async)
    if is_async:

        @functools.wraps(original)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            return await method(None, *args, **kwargs)

        return traced_async

    @functools.wraps(original)
    def traced(*args: Any, **kwargs: Any) -> Any:
        return method(None, *args, **kwargs)

    return traced


def patch_method(
    cls: Any, name: str, operation: Operation, is_async: bool, wrap: Wrap | None = None,
    positional: tuple[str, ...] = (),
) -> bool:
    """Replace ``cls.name`` with a traced wrapper; False (and no change) if already patched or absent.

    ``wrap(original, operation, is_async)`` builds the wrapper; by default :func:`traced_wrapper`
    (given ``positional``, the names of the method's leading positional parameters).
    """
    current = cls.__dict__.get(name)
    if current is None or getattr(current, _ORIGINAL, None) is not None:
        return False
    if wrap is None:
        wrapper = traced_wrapper(current, operation, is_async, positional)
    else:
        wrapper = wrap(current, operation, is_async)
    setattr(wrapper, _ORIGINAL, current)
    setattr(cls, name, wrapper)
    _patched.append((cls, name))
    return True


def patch_classes(
    module: Any, class_names: Sequence[str], methods: Sequence[str], operation: Operation, wrap: Wrap | None = None,
    positional: tuple[str, ...] = (),
) -> None:
    """Patch ``methods`` of each class of ``module`` named in ``class_names`` (``Async*`` ones as async).

    No ``class_names``: ``methods`` are functions of ``module`` itself, wrapped by
    :func:`function_wrapper` unless ``wrap`` is given.
    """
    if not class_names:
        import inspect

        for name in methods:
            try:
                function = module.__dict__.get(name)
                patch_method(module, name, operation, inspect.iscoroutinefunction(function), wrap or function_wrapper)
            except Exception:
                _log.debug("patching %s.%s failed", getattr(module, "__name__", "?"), name, exc_info=True)
        return
    for class_name in class_names:
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            continue
        for method in methods:
            try:
                patch_method(cls, method, operation, class_name.startswith("Async"), wrap, positional)
            except Exception:
                _log.debug("patching %s.%s failed", class_name, method, exc_info=True)


def unpatch_all(owner: str | None = None) -> None:
    """Restore every method patched here (only those of classes in package ``owner``, if given)."""
    keep = []
    for cls, name in _patched:
        module = cls.__name__ if isinstance(cls, types.ModuleType) else cls.__module__
        if owner is not None and module != owner and not module.startswith(owner + "."):
            keep.append((cls, name))
            continue
        current = cls.__dict__.get(name)
        original = getattr(current, _ORIGINAL, None)
        if original is not None:
            try:
                setattr(cls, name, original)
            except Exception:
                _log.debug("restoring %s.%s failed", cls.__name__, name, exc_info=True)
    _patched[:] = keep


class ClientInstrumentor:
    """One client library's patching: its targets, hooked as the library loads them, and undone on request.

    Args:
        package: the library's top-level package (``openai``); uninstrumenting restores its classes.
        targets: what to patch; each target's module is hooked, not imported, so a client that
            loads its resources lazily pays nothing for the ones the program never uses.
        operation: ``(name, library) -> LLMOperation`` for a target's ``operation`` name;
            called on the first traced call, with the library's top-level module.
    """

    def __init__(
        self,
        package: str,
        targets: Sequence[PatchTarget],
        operation: Callable[[str, Any], LLMOperation],
    ) -> None:
        self.package = package
        self.targets = tuple(targets)
        self._operation = operation
        self._library: Any = None
        self._active = False
        self._operations: dict[str, LazyOperation] = {}

    def instrument(self, library: Any) -> None:
        """Patch the targets of ``library`` (its top-level module), now or as each loads; idempotent."""
        from ..._import_hooks import when_imported

        self._library = library
        self._active = True
        for target in self.targets:
            when_imported(target.module, functools.partial(self._patch, target))

    def uninstrument(self) -> None:
        """Restore the original methods; calls are no longer traced."""
        self._active = False
        unpatch_all(self.package)

    def operation(self, name: str) -> LazyOperation:
        """The operation of ``name``, built on its first call.

        For a target's custom ``wrap`` that traces one method as several operations, chosen
        by an argument (botocore's ``_make_api_call(operation_name, params)``, say).
        """
        return self._lazy(name)

    def _lazy(self, name: str) -> LazyOperation:
        from .operation import LazyOperation

        lazy = self._operations.get(name)
        if lazy is None:
            lazy = self._operations[name] = LazyOperation(lambda: self._operation(name, self._library))
        return lazy

    def _patch(self, target: PatchTarget, module: Any) -> None:
        if not self._active:
            return  # uninstrumented before the client loaded this module
        patch_classes(module, target.classes, target.methods, self._lazy(target.operation), target.wrap,
                      target.positional)
