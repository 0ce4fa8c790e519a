"""LangChain and LangGraph: every run traced through LangChain's own callback system.

``instrument(langchain_core)`` (called when the program imports ``langchain_core``) registers
one configure hook with LangChain: each time LangChain configures the callbacks of a run
that has none of ours, it adds our handler as an inheritable handler, so every run beneath
gets it too, with no ``callbacks=[...]`` in the program. ``neatlogs.langchain_handler()``
returns the same handler for programs that pass callbacks themselves; a run that already has
it is not given it twice. ``uninstrument()`` turns the hook off.

The hook's variable is ours rather than a ``ContextVar``: LangChain only calls its ``get()``
(``langchain_core/callbacks/manager.py``, ``_configure``, the ``_configure_hooks`` loop), and a
ContextVar's default could not be taken back by ``uninstrument``, nor seen by threads the
program starts (each begins with an empty context).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any

from ... import _log

__all__ = ["handler", "instrument", "uninstrument"]

_handler: Any = None
_active = False
_registered = False


class _HookVariable:
    """What LangChain's configure hook reads: our handler while instrumented, else None."""

    __slots__ = ()

    def get(self, default: Any = None) -> Any:
        return _handler if _active else default


def handler() -> Any:
    """The process's one LangChain callback handler (imports ``langchain_core``)."""
    global _handler
    if _handler is None:
        from ._handler import handler_class

        _handler = handler_class()()
    return _handler


def instrument(module: object = None) -> None:
    """Hook our handler into every LangChain run; idempotent."""
    global _active, _registered
    value = handler()
    if not _registered:
        from langchain_core.tracers.context import register_configure_hook

        # handle_class: a run whose handlers already hold ours (passed explicitly) is not given a second.
        register_configure_hook(_HookVariable(), True, type(value))  # type: ignore[arg-type]
        _registered = True
    _active = True
    _log.debug("LangChain runs are traced")


def uninstrument() -> None:
    """Stop adding our handler to new runs (the hook stays registered, reading None)."""
    global _active
    _active = False
