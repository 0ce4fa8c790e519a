"""Registry of instrumentations, keyed by library name.

Each entry names a module with ``instrument(module)`` (patch the library's client methods;
idempotent) and ``uninstrument()``. ``enable`` hooks the library's import rather than
importing it: a program that never imports ``openai`` never pays for it.
"""

from __future__ import annotations

import importlib

from .. import _log

__all__ = ["REGISTRY", "disable_all", "enable", "inactive", "mark_inactive"]

REGISTRY: dict[str, tuple[str, str]] = {
    # name: (module whose import triggers patching, our instrumentation module)
    "anthropic": ("anthropic", "neatlogs.instrumentation.anthropic"),
    "bedrock": ("botocore", "neatlogs.instrumentation.bedrock"),
    "cohere": ("cohere", "neatlogs.instrumentation.cohere"),
    # Frameworks traced by OpenInference's instrumentors, each an extra: neatlogs[crewai], ...
    "crewai": ("crewai", "neatlogs.instrumentation.crewai"),
    "dspy": ("dspy", "neatlogs.instrumentation.dspy"),
    "google_genai": ("google.genai", "neatlogs.instrumentation.google_genai"),
    "groq": ("groq", "neatlogs.instrumentation.groq"),
    "litellm": ("litellm", "neatlogs.instrumentation.litellm"),
    "llama_index": ("llama_index.core", "neatlogs.instrumentation.llama_index"),
    "mcp": ("mcp", "neatlogs.instrumentation.mcp"),
    # mistralai is a namespace package (no loader to hook): its client package triggers.
    "mistralai": ("mistralai.client", "neatlogs.instrumentation.mistralai"),
    # ollama._client, not ollama: patched before the package binds its default client's methods.
    "ollama": ("ollama._client", "neatlogs.instrumentation.ollama"),
    "openai": ("openai", "neatlogs.instrumentation.openai"),
    # The OpenAI Agents SDK's package is named "agents": instrument() checks it is that SDK.
    "openai_agents": ("agents", "neatlogs.instrumentation.openai_agents"),
    "pydantic_ai": ("pydantic_ai", "neatlogs.instrumentation.pydantic_ai"),
}
"""Accepted names for ``instrumentations=[...]`` / ``NEATLOGS_INSTRUMENTATIONS``."""

_enabled: set[str] = set()

inactive: set[str] = set()
"""Names whose library the program imported but that are not traced (an adopted instrumentor's
extra is not installed): the bootstrap's exit line does not call them instrumented."""


def mark_inactive(name: str) -> None:
    """Record that ``name``'s library was imported but could not be instrumented."""
    inactive.add(name)


def _apply(name: str, instrumentation_module: str):
    def on_import(library: object) -> None:
        if name not in _enabled:
            return  # disabled (disable_all) before the program imported the library
        try:
            importlib.import_module(instrumentation_module).instrument(library)
        except Exception:
            _log.internal_error("instrumenting %s failed", instrumentation_module)

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
        when_imported(library, _apply(name, module))


def disable_all() -> None:
    """Undo every instrumentation applied so far (tests use it to start from scratch)."""
    import sys

    inactive.clear()
    for name in list(_enabled):
        _enabled.discard(name)
        entry = REGISTRY.get(name)
        module = sys.modules.get(entry[1]) if entry else None
        if module is not None:
            try:
                module.uninstrument()
            except Exception:
                _log.internal_error("uninstrumenting %s failed", name)
