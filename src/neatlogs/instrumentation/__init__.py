"""Registry of instrumentations, keyed by library name.

Each entry names a module with ``instrument(module)`` (patch the library's client methods;
idempotent) and ``uninstrument()``. ``enable`` hooks the library's import rather than
importing it: a program that never imports ``openai`` never pays for it.
"""

from __future__ import annotations

import importlib

from .. import _log

__all__ = ["REGISTRY", "enable"]

REGISTRY: dict[str, tuple[str, str]] = {
    # name: (module whose import triggers patching, our instrumentation module)
    "openai": ("openai", "neatlogs.instrumentation.openai"),
    "anthropic": ("anthropic", "neatlogs.instrumentation.anthropic"),
}
"""Accepted names for ``instrumentations=[...]`` / ``NEATLOGS_INSTRUMENTATIONS``."""

_enabled: set[str] = set()


def _apply(instrumentation_module: str):
    def on_import(library: object) -> None:
        try:
            importlib.import_module(instrumentation_module).instrument(library)
        except Exception:
            _log.debug("instrumenting %s failed", instrumentation_module, exc_info=True)

    return on_import


def enable(names) -> None:
    """Instrument each named library now if imported, else the moment it is imported.

    An unknown name prints one warning line naming it; a known library that is not
    installed is skipped quietly (its import never happens, so the hook never fires).
    """
    from .._import_hooks import when_imported

    for raw in names:
        name = raw.strip().lower()
        if not name or name in _enabled:
            continue
        if name not in REGISTRY:
            _log.warning(f"unknown instrumentation {raw!r} ignored (known: {', '.join(sorted(REGISTRY))})")
            continue
        _enabled.add(name)
        library, module = REGISTRY[name]
        when_imported(library, _apply(module))
