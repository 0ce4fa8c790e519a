"""Set attribute values that neatlogs built itself on an SDK span, without re-checking each one.

The OpenTelemetry SDK checks and copies every value given to ``set_attributes``: about
1.5 µs an attribute here, so for the ~30 attributes of an OpenAI call about a fifth of what
tracing it costs. The values we build are already valid OTLP values (str, bool, int, float,
tuples of str), so on the SDK's own span, when no limit could cut or drop one, they go
straight into its attribute table, under the same two locks the SDK takes. Anything else
(another span class, a value-length limit, a table that would overflow, an ended span, a
value of another type) goes through the public ``set_attributes``, so the result is the
same either way; ``tests/sdk/test_fast_attributes.py`` checks that, and that the internals
the fast path needs are there in the installed SDK.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

from . import _log

__all__ = ["set_clean_attributes"]

_PRIMITIVES = frozenset({str, bool, int, float})
_table_class: Any = None  # the SDK's BoundedAttributes, looked up on first use


def _sdk_table_class() -> Any:
    global _table_class
    from opentelemetry.attributes import BoundedAttributes

    _table_class = BoundedAttributes
    return BoundedAttributes


def set_clean_attributes(span: Any, attributes: Mapping[str, Any]) -> None:
    """``span.set_attributes(attributes)``, minus the SDK's per-value checks when they cannot change anything."""
    if not attributes:
        return
    try:
        table = span._attributes
        if (
            type(table) is (_table_class or _sdk_table_class())
            and table.max_value_len is None
            and (table.maxlen is None or len(table._dict) + len(attributes) <= table.maxlen)
        ):
            for value in attributes.values():
                kind = type(value)
                if kind not in _PRIMITIVES and not (kind is tuple and all(type(v) is str for v in value)):
                    break
            else:
                with span._lock:
                    if span._end_time is None and not table._immutable:
                        with table._lock:
                            table._dict.update(attributes)
                        return
    except Exception:
        # Another span class, or an SDK whose internals moved: the public path below is right for both.
        _log.debug("fast attribute path unavailable for %s", type(span).__name__)
    span.set_attributes(attributes)
