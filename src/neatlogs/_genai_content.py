"""The content policy for the GenAI content keys of spans other OpenTelemetry code made.

OpenTelemetry-native frameworks (pydantic-ai, google-adk, strands, semantic-kernel, the
contrib instrumentors) write prompts, replies, system instructions and tool arguments and
results straight onto their spans under the GenAI keys (``semconv.GEN_AI_CONTENT_KEYS``),
past neatlogs' recorders. :func:`policed_attributes` gives such a span's attributes as the
one content policy (``neatlogs._content``) allows them, so capture off, the user's mask,
truncation and string repair hold for them on the wire as for our own spans:

- capture off: system instructions, tool arguments and results are dropped; message lists
  keep their shape (roles, part types, tool names and call ids) without any content;
- a mask: JSON values are decoded and masked as structures (a string mask reaches every
  string inside), then written back as JSON;
- always: long values are cut with the marker, lone surrogates repaired; a message list over
  the limit loses its oldest messages first (a marker message says how many), so it stays
  JSON the views can read.

Spans of neatlogs' own tracer are left alone: their values went through the policy already.
``processors.GenAIContentSpanProcessor`` applies this as each span ends.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Any, Mapping

    from ._content import ContentPolicy

from . import semconv
from ._content import repair
from .serialize import truncate

__all__ = ["SCOPE_CONTENT_KEYS", "policed_attributes"]

_MESSAGE_KEYS = frozenset({semconv.GEN_AI_INPUT_MESSAGES, semconv.GEN_AI_OUTPUT_MESSAGES,
                           semconv.PYDANTIC_AI_ALL_MESSAGES})
"""Keys holding a list of GenAI messages: with capture off they keep their shape, without content."""

_SHAPE_FIELDS = ("role", "finish_reason")
_PART_SHAPE_FIELDS = ("type", "id", "name", "mime_type", "modality")
"""What of a message and of its parts says nothing the program or the model wrote."""

_MAX_DEPTH = 32
"""Deeper than this, a structure is masked as its JSON text."""

SCOPE_CONTENT_KEYS: dict[str, frozenset[str]] = {
    # pydantic-ai's agent-run span keeps the run's messages and output under its own keys, and
    # its chat spans the agent's instructions inside the request parameters.
    "pydantic-ai": frozenset({semconv.PYDANTIC_AI_ALL_MESSAGES, semconv.PYDANTIC_AI_FINAL_RESULT,
                              semconv.PYDANTIC_AI_MODEL_REQUEST_PARAMETERS}),
}
"""Instrumentation scopes whose spans hold content under keys of their own, besides the GenAI ones."""


def _loaded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _shape_only(value: Any) -> str | None:
    """A message list's roles, part types and tool names, as JSON; None when it is not one."""
    loaded = _loaded(value)
    if not isinstance(loaded, list):
        return None
    messages = []
    for message in loaded:
        if not isinstance(message, dict):
            continue
        kept: dict[str, Any] = {k: message[k] for k in _SHAPE_FIELDS if isinstance(message.get(k), str)}
        parts = message.get("parts")
        if isinstance(parts, list):
            kept["parts"] = [{k: p[k] for k in _PART_SHAPE_FIELDS if isinstance(p.get(k), str)}
                             for p in parts if isinstance(p, dict)]
        messages.append(kept)
    return json.dumps(messages, ensure_ascii=False)


def _policed(policy: ContentPolicy, key: str, value: Any) -> Any:
    """``value`` as the policy lets it be recorded under ``key``; None when it must go."""
    if not policy.capture:
        return _shape_only(value) if key in _MESSAGE_KEYS else None
    limit = policy.max_value_chars
    if policy.mask is None:
        if not isinstance(value, str):
            return policy.attribute(value)
        if len(value) <= limit:
            return repair(value)
        loaded = _loaded(value)
        if key in _MESSAGE_KEYS and isinstance(loaded, list):
            return repair(_fitted_messages(loaded, limit))
        return repair(truncate(value, limit))
    loaded = _loaded(value)
    if isinstance(loaded, (dict, list)):
        masked = _mask_leaves(policy, loaded, key in _MESSAGE_KEYS)
    else:
        masked = policy.masked(loaded)
    if masked is None:
        return None
    if key in _MESSAGE_KEYS and isinstance(masked, list):
        return repair(_fitted_messages(masked, limit))
    return policy.clean_text(masked)


def _fitted_messages(messages: list[Any], limit: int) -> str:
    """A message list as JSON within ``limit``: its oldest messages cut first, and a marker message saying so.

    The text stays valid JSON, so the views still read the conversation's latest messages (the
    user's last one among them); one message over the limit alone is cut as text, with the marker.
    """
    encoded = [json.dumps(m, ensure_ascii=False, default=str) for m in messages]
    total = sum(len(e) + 1 for e in encoded) + 1
    if total <= limit:
        return "[" + ",".join(encoded) + "]"
    first = 0
    budget = limit - 120  # room for the marker message
    while first < len(encoded) - 1 and total > budget:
        total -= len(encoded[first]) + 1
        first += 1
    if total > budget:
        return truncate("[" + ",".join(encoded) + "]", limit)
    marker = {"role": "system", "parts": [{"type": "text", "content": f"[neatlogs: {first} earlier messages cut]"}]}
    return "[" + ",".join([json.dumps(marker), *encoded[first:]]) + "]"


class _MaskFailed(Exception):
    """The mask refused a string inside the value: the whole value goes (never recorded unmasked)."""


def _mask_leaves(policy: ContentPolicy, value: Any, messages: bool) -> Any:
    """A copy of a decoded JSON value with the mask applied to every string in it; None when the mask failed.

    The mask sees text, as it does on our own recorders' messages. In a message list
    (``messages``), a message's role and finish reason and a part's type, id, name and media
    type stay as they are, so the messages still read; anything inside a part's content,
    arguments or response is masked whatever its key.
    """
    def text(item: str) -> str:
        masked = policy.masked(item)
        if masked is None:
            raise _MaskFailed
        return masked if isinstance(masked, str) else json.dumps(masked, ensure_ascii=False, default=str)

    def walk(item: Any, depth: int) -> Any:
        if isinstance(item, str):
            return text(item)
        if isinstance(item, (dict, list)) and depth <= 0:
            return text(json.dumps(item, ensure_ascii=False))
        if isinstance(item, list):
            return [walk(v, depth - 1) for v in item]
        if isinstance(item, dict):
            return {k: walk(v, depth - 1) for k, v in item.items()}
        return item

    def shaped(item: Any, keep: tuple[str, ...], inner: Any) -> Any:
        if not isinstance(item, dict):
            return walk(item, _MAX_DEPTH)
        return {k: v if k in keep and isinstance(v, str) else inner(k, v) for k, v in item.items()}

    def part(item: Any) -> Any:
        return shaped(item, _PART_SHAPE_FIELDS, lambda _k, v: walk(v, _MAX_DEPTH))

    def message(item: Any) -> Any:
        return shaped(item, _SHAPE_FIELDS, lambda k, v: [part(p) for p in v] if k == "parts" and isinstance(v, list)
                      else walk(v, _MAX_DEPTH))

    try:
        if messages and isinstance(value, list):
            return [message(m) for m in value]
        return walk(value, _MAX_DEPTH)
    except _MaskFailed:
        return None


def policed_attributes(scope_name: str | None, attributes: Mapping[str, Any],
                       policy: ContentPolicy) -> dict[str, Any] | None:
    """The span's attributes with its content keys policed, or None when nothing changes.

    Args:
        scope_name: the name of the instrumentation scope that made the span.
        attributes: the span's attributes.
        policy: the content policy in effect.

    Returns:
        A new attribute dict, or None when the span holds no content key (or is neatlogs' own).
    """
    keys = semconv.GEN_AI_CONTENT_KEYS
    extra = SCOPE_CONTENT_KEYS.get(scope_name or "")
    if extra is not None:
        keys = keys | extra
    present = [key for key in attributes if key in keys]
    if not present:
        return None
    out = dict(attributes)
    changed = False
    for key in present:
        value = out[key]
        policed = _policed(policy, key, value)
        if policed is None:
            del out[key]
            changed = True
        elif policed != value:
            out[key] = policed
            changed = True
    return out if changed else None
