"""Run a callback when a module is imported, without importing it ourselves.

``init()`` must never import ``openai`` (half a second), so instrumentations register
here and are applied the moment the program imports the library. This is the small part
of wrapt's post-import hooks we need, without wrapt's import cost.
"""

from __future__ import annotations

import _thread  # not threading: the bootstrap should not pay for its import
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Callable

from . import _log

__all__ = ["when_imported"]

_callbacks: dict[str, list[Callable[[object], None]]] = {}
_lock = _thread.RLock()
_finder: _PostImportFinder | None = None


def _run(callbacks: list[Callable[[object], None]], module: object) -> None:
    for callback in callbacks:
        try:
            callback(module)
        except Exception:
            _log.internal_error("post-import hook for %s failed", getattr(module, "__name__", "?"))


class _PostImportFinder:
    """A meta-path finder that lets the real finders find the module, then hooks its loader."""

    def __init__(self) -> None:
        self._busy = _thread._local()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _callbacks or getattr(self._busy, fullname, False):
            return None
        setattr(self._busy, fullname, True)
        try:
            spec = None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            setattr(self._busy, fullname, False)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            try:
                original(module)
            finally:
                try:
                    del loader.exec_module  # back to the class's own method
                except AttributeError:
                    pass
            with _lock:
                callbacks = _callbacks.pop(fullname, [])
            _run(callbacks, module)

        try:
            # An instance attribute shadowing the class's method, removed again once it ran.
            loader.exec_module = exec_module  # type: ignore[method-assign]
        except (AttributeError, TypeError):
            _log.debug("cannot hook the loader of %s", fullname)
        return spec


def when_imported(name: str, callback: Callable[[object], None]) -> None:
    """Call ``callback(module)`` once ``name`` is imported: now if it already is, else later."""
    module = sys.modules.get(name)
    if module is not None:
        _run([callback], module)
        return
    global _finder
    with _lock:
        _callbacks.setdefault(name, []).append(callback)
        if _finder is None:
            _finder = _PostImportFinder()
            sys.meta_path.insert(0, _finder)
