"""Huge calls keep their identity: message lists cut to a stated bound, and to the span's attribute limit.

OpenTelemetry keeps at most ``max_span_attributes`` attributes on a span and, when full, drops
the *oldest* first: a call with 10,000 messages flattened into ``llm.input_messages.*`` would
push out ``openinference.span.kind``, ``session.id`` and the system prompt, which were set
first. So before a call's attributes are set, each message list is cut to
:data:`MAX_MESSAGES` and to the room left under the span's own limit (ours is generous, a
program's own provider may keep OpenTelemetry's 128): the leading system prompt(s) and the
most recent messages stay, and a marker message between them says how many were left out.
Nothing set before (kind, session, user, tags, metadata) is ever evicted by a call.

What this cannot cover: under a program's own provider, a third party's span that sets more
attributes than that provider's limit still loses its oldest ones, the session stamped at
its start among them. OpenTelemetry makes a span's attributes read-only before any
processor sees its end, so they cannot be stamped again late; raise the program's
``OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`` there. neatlogs' own provider allows 4096
(``tracing.MAX_SPAN_ATTRIBUTES``), far above what a bounded call sets.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

from ... import semconv

__all__ = ["FINISH_RESERVE", "MAX_MESSAGES", "MAX_SYSTEM_MESSAGES", "bound_messages", "room_on"]

MAX_MESSAGES = 100
"""Messages of one list (input or output) kept on a span, the marker included."""

MAX_SYSTEM_MESSAGES = 8
"""Leading system / developer messages kept, at most, before the marker."""

FINISH_RESERVE = 48
"""Attributes kept free at the start of a call for what its end adds (reply, tokens, finish reasons)."""

_SYSTEM_ROLES = ("system", "developer")


def room_on(span: Any, reserve: int = 0) -> int | None:
    """How many more attributes ``span`` takes before its limit evicts one; None when unbounded or unknown."""
    table = getattr(span, "_attributes", None)  # the SDK span's BoundedAttributes
    maxlen = getattr(table, "maxlen", None)
    if not isinstance(maxlen, int):
        return None
    try:
        return max(0, maxlen - len(table) - reserve)  # type: ignore[arg-type]
    except TypeError:
        return None


def bound_messages(attributes: dict[str, Any], prefix: str, room: int | None) -> int:
    """Cut the messages flattened under ``prefix`` in ``attributes`` (in place); return how many were left out.

    Args:
        attributes: the attributes about to be set on the span (messages and others).
        prefix: ``llm.input_messages`` or ``llm.output_messages``.
        room: how many attributes the span takes (None: no limit but :data:`MAX_MESSAGES`).
    """
    over_count = _has_message(attributes, prefix, MAX_MESSAGES)
    if not over_count and (room is None or len(attributes) <= room):
        return 0  # the common case: two dict look-ups
    groups = _take_messages(attributes, prefix)
    order = sorted(groups)
    budget = None if room is None else room - len(attributes) - 2  # the marker's role and content
    head: list[int] = []
    for index in order[:MAX_SYSTEM_MESSAGES]:
        if groups[index].get(semconv.MESSAGE_ROLE) not in _SYSTEM_ROLES:
            break
        head.append(index)
    used = 0
    kept_head: list[int] = []
    for index in head:
        if budget is not None and used + len(groups[index]) > budget:
            break
        kept_head.append(index)
        used += len(groups[index])
    tail: list[int] = []
    for index in reversed(order[len(head):]):
        if len(kept_head) + len(tail) + 1 >= MAX_MESSAGES:
            break
        if budget is not None and used + len(groups[index]) > budget:
            break
        tail.append(index)
        used += len(groups[index])
    tail.reverse()
    omitted = len(order) - len(kept_head) - len(tail)
    position = 0
    for index in kept_head:
        _put(attributes, prefix, position, groups[index])
        position += 1
    if omitted:
        if budget is None or budget >= 0:
            _put(attributes, prefix, position, {
                semconv.MESSAGE_ROLE: "system",
                semconv.MESSAGE_CONTENT: f"[neatlogs: {omitted} of {len(order)} messages left out here; "
                                         f"the system prompt and the {len(tail)} most recent are kept]",
            })
            position += 1
    for index in tail:
        _put(attributes, prefix, position, groups[index])
        position += 1
    return omitted


def _has_message(attributes: dict[str, Any], prefix: str, index: int) -> bool:
    return (f"{prefix}.{index}.{semconv.MESSAGE_ROLE}" in attributes
            or f"{prefix}.{index}.{semconv.MESSAGE_CONTENT}" in attributes)


def _take_messages(attributes: dict[str, Any], prefix: str) -> dict[int, dict[str, Any]]:
    """Remove every ``{prefix}.{i}.*`` key from ``attributes``; return them by message index."""
    start = prefix + "."
    groups: dict[int, dict[str, Any]] = {}
    for key in [k for k in attributes if k.startswith(start)]:
        index, _, rest = key[len(start):].partition(".")
        if index.isdigit() and rest:
            groups.setdefault(int(index), {})[rest] = attributes.pop(key)
    return groups


def _put(attributes: dict[str, Any], prefix: str, index: int, message: dict[str, Any]) -> None:
    for rest, value in message.items():
        attributes[f"{prefix}.{index}.{rest}"] = value
