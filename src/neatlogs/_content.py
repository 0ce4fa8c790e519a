"""The one content policy: what of a captured value may become a span attribute, and how.

Every value that came from the program or the model (function arguments and results,
chat messages, replies, prompt templates and their variables, tool arguments, embedded
texts) goes through a :class:`ContentPolicy` before it is set on a span:

1. capture: with ``capture_content`` off nothing of it is recorded at all;
2. mask: the user's ``mask`` function sees the value first; if the mask raises, the
   value is dropped, never recorded unmasked. A mask that hands a structure (a dict of
   arguments, a list of messages, template variables) back unchanged is one written for
   strings, so it is then applied to every string inside the structure instead;
3. serialisation: objects become JSON text (``serialize.to_json``);
4. truncation: text longer than ``max_value_chars`` is cut with a visible marker;
5. string repair: lone surrogates (``os.fsdecode(b"\\xff")``, half an escaped emoji)
   become U+FFFD, so one bad string can never fail a whole export batch.

Recorders ask :func:`current` for the policy of the settings in effect and keep it for the
span they record, so a call that started under one policy ends under the same one.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Callable

from . import _log, semconv, tracing
from .serialize import MAX_VALUE_CHARS, to_json, truncate

__all__ = ["CAPTURE_ALL", "ContentPolicy", "current", "repair"]

_PRIMITIVES = (bool, int, float)
_SCALARS = (str, bool, int, float, type(None))
_MAX_DEPTH = 32
"""Deeper than this, a structure is masked as its JSON text rather than string by string."""


def _mask_strings(mask: Callable[[Any], Any], value: Any, depth: int) -> Any:
    """A copy of ``value`` with ``mask`` applied to every string in it (keys of dicts included)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, _SCALARS):
        return value
    if depth <= 0:
        return mask(to_json(value))
    if isinstance(value, dict):
        return {_mask_strings(mask, k, depth - 1) if isinstance(k, str) else k: _mask_strings(mask, v, depth - 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_mask_strings(mask, item, depth - 1) for item in value]
    # A model object or anything else JSON would turn into a structure: mask what it becomes.
    import json

    return _mask_strings(mask, json.loads(to_json(value)), depth - 1)


def repair(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (unchanged, and cheap, when valid)."""
    if text.isascii():  # O(1): CPython keeps the flag on the string
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


class ContentPolicy:
    """Capture on or off, the user's mask, the length limit and string repair, applied together.

    Every method returns None when nothing may be recorded (capture off, or the mask failed).
    """

    __slots__ = ("capture", "mask", "max_value_chars")

    def __init__(self, capture: bool = True, mask: Callable[[Any], Any] | None = None,
                 max_value_chars: int = MAX_VALUE_CHARS) -> None:
        self.capture = capture
        self.mask = mask
        self.max_value_chars = max_value_chars

    def masked(self, value: Any) -> Any:
        """``value`` as the mask returns it; None when capture is off or the mask raised."""
        if not self.capture:
            return None
        mask = self.mask
        if mask is None:
            return value
        try:
            masked = mask(value)
            if masked is value and not isinstance(value, _SCALARS):
                return _mask_strings(mask, value, _MAX_DEPTH)
            return masked
        except Exception:
            # A failing mask must not leak the unmasked value.
            _log.debug("mask raised; the value is not recorded", exc_info=True)
            return None

    def with_mask(self, mask: Callable[[Any], Any]) -> ContentPolicy:
        """This policy with ``mask`` applied first (a span's own mask), then this policy's mask."""
        outer = self.mask
        if outer is None:
            return ContentPolicy(self.capture, mask, self.max_value_chars)
        inner = ContentPolicy(True, mask, self.max_value_chars)

        def both(value: Any) -> Any:
            masked = inner.masked(value)
            return None if masked is None else outer(masked)

        return ContentPolicy(self.capture, both, self.max_value_chars)

    def text(self, value: Any) -> str | None:
        """``value`` masked, as attribute-ready text: strings as they are, objects as JSON."""
        value = self.masked(value)
        if value is None:
            return None
        return self.clean_text(value)

    def clean_text(self, value: Any) -> str:
        """An already-masked value as text: JSON for objects, truncated, repaired."""
        if isinstance(value, str):
            return repair(truncate(value, self.max_value_chars))
        return repair(to_json(value, self.max_value_chars))

    def json_text(self, value: Any) -> str | None:
        """``value`` masked, always as JSON text (for keys that are JSON by definition)."""
        value = self.masked(value)
        if value is None:
            return None
        return repair(to_json(value, self.max_value_chars))

    def value_attributes(self, value_key: str, mime_key: str, value: Any) -> dict[str, Any]:
        """``{value_key: text, mime_key: text/plain or application/json}``; empty when nothing may be recorded."""
        value = self.masked(value)
        if value is None:
            return {}
        if isinstance(value, str):
            return {value_key: repair(truncate(value, self.max_value_chars)), mime_key: semconv.MIME_TEXT}
        return {value_key: repair(to_json(value, self.max_value_chars)), mime_key: semconv.MIME_JSON}

    def attribute(self, value: Any) -> Any:
        """An explicit attribute value (not captured content: never masked) as a valid OTLP value."""
        if isinstance(value, str):
            return repair(truncate(value, self.max_value_chars))
        if isinstance(value, _PRIMITIVES):
            return value
        if isinstance(value, (list, tuple)) and value:
            first = type(value[0])
            if first in _PRIMITIVES and all(type(v) is first for v in value):
                return list(value)
            if first is str and all(type(v) is str for v in value):
                return [repair(truncate(v, self.max_value_chars)) for v in value]
        return repair(to_json(value, self.max_value_chars))


CAPTURE_ALL = ContentPolicy()
"""The policy before ``init()`` and with default settings: capture everything, no mask."""

_cache: tuple[Any, ContentPolicy] = (None, CAPTURE_ALL)


def current() -> ContentPolicy:
    """The policy of the settings in effect (one object per ``init()``, so this is cheap)."""
    global _cache
    settings = tracing.settings()
    cached = _cache
    if cached[0] is settings:
        return cached[1]
    if settings is None:
        policy = CAPTURE_ALL
    else:
        limit = settings.value_limit
        if settings.capture_content and settings.mask is None and limit == CAPTURE_ALL.max_value_chars:
            policy = CAPTURE_ALL
        else:
            policy = ContentPolicy(bool(settings.capture_content), settings.mask, limit)
    _cache = (settings, policy)
    return policy
