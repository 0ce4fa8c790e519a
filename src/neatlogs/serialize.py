"""Turn arbitrary Python values into JSON text, safely, and cut long text with a visible marker.

Anything JSON cannot hold falls back to ``repr``; nothing here raises. What may be
recorded, and how, is the content policy's decision (``_content.py``), not this module's.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_VALUE_CHARS", "to_json", "truncate"]

MAX_VALUE_CHARS = 32_000
"""Longest string value kept whole; longer ones are cut with a marker."""


def truncate(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Return ``text`` cut to about ``limit`` characters, with a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:limit]}...[neatlogs: truncated {cut} chars]"


def _default(value: Any) -> Any:
    """Make objects JSON can't hold into something it can; never raises."""
    for method in ("model_dump", "to_dict", "_asdict"):
        func = getattr(value, method, None)
        if callable(func):
            try:
                return func()
            except Exception:
                break
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if hasattr(value, "__dict__") and not isinstance(value, type):
        try:
            return {k: v for k, v in vars(value).items() if not k.startswith("_")}
        except Exception:  # a __dict__ that cannot be listed: its repr says what it is
            return repr(value)
    return repr(value)


_encoder = json.JSONEncoder(default=_default, ensure_ascii=False)
"""One encoder for every call: ``json.dumps`` with options builds a new one each time."""


def to_json(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """Return ``value`` as a JSON string (truncated), falling back to ``repr`` on any failure."""
    if not value and type(value) is dict:
        return "{}"  # no invocation parameters: the most common value of all
    try:
        text = _encoder.encode(value)
    except Exception:
        # Circular references and objects whose __repr__/model_dump raise land here.
        try:
            text = json.dumps(repr(value), ensure_ascii=False)
        except Exception:
            text = '"<unserializable>"'
    return truncate(text, limit)
