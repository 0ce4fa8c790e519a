"""What happened between a turn's user message and its reply: tool calls, tool results, images.

Part of the view model (``timeline.Turn.tool_steps``), shared by the dashboard and the terminal.
A turn's model calls are read in order: the tool calls each reply asks for, then the tool
results the next request sends back (those after its last user message, so the history a
request repeats is not shown again), each once. A message's content is split into text and
images: instrumentations record a non-text content part (OpenAI ``image_url`` and
``input_image`` parts, anthropic ``image`` blocks, GenAI ``blob`` / ``uri`` parts, Gemini
``inline_data``) as a JSON line of the content, which :func:`content_parts` turns back into
an image: a ``data:`` URL to show, or an http(s) link to follow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from neatlogs.store import ChatMessage, SpanRecord, input_messages, is_model_call, output_messages

__all__ = ["ContentPart", "ToolStep", "content_parts", "tool_steps"]

# The start of an image part as ``to_json`` writes it, to spot one that truncation left unparsable.
_IMAGE_START = re.compile(r'\s*\{"type": "(image_url|input_image|image|blob)", "(image_url|source|modality|mime_type)"')


@dataclass(frozen=True)
class ToolStep:
    """One bubble between a turn's messages: a tool call, a tool's result, or the model's words between them."""

    kind: str  # "call", "result" or "say"
    name: str
    text: str
    call_id: str | None = None

    @property
    def label(self) -> str:
        """``called NAME``, ``NAME returned`` or ``assistant``, the bubble's heading."""
        if self.kind == "call":
            return f"called {self.name}"
        if self.kind == "result":
            return f"{self.name} returned" if self.name else "tool returned"
        return self.name or "assistant"

    @property
    def summary(self) -> str:
        """One line for the terminal: ``called lookup_order({...})`` or ``lookup_order returned ...``."""
        if self.kind == "call":
            return f"called {self.name}({self.text})"
        return f"{self.label} {self.text}" if self.kind == "result" else self.text


@dataclass(frozen=True)
class ContentPart:
    """A piece of a message: ``text``, an ``image`` (a data URL), an ``image_link`` (http/https), ``image_cut``."""

    kind: str
    value: str


def _after_last_user(messages: list[ChatMessage]) -> list[ChatMessage]:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user" and not messages[index].is_tool_result:
            return messages[index + 1:]
    return messages


def tool_steps(spans: Iterable[SpanRecord]) -> list[ToolStep]:
    """The tool calls and results of a turn's model calls (``spans`` in the turn's order), each once."""
    steps: list[ToolStep] = []
    calls_seen: set[Any] = set()
    results_seen: set[Any] = set()
    names: dict[str, str] = {}

    def add_calls(message: ChatMessage, with_text: bool) -> None:
        new = [c for c in message.tool_calls if (c.call_id or (c.name, c.arguments)) not in calls_seen]
        if not new:
            return
        if with_text and message.content:
            steps.append(ToolStep("say", message.role or "assistant", message.content))
        for call in new:
            calls_seen.add(call.call_id or (call.name, call.arguments))
            if call.call_id:
                names[call.call_id] = call.name
            steps.append(ToolStep("call", call.name, call.arguments, call.call_id))

    for span in spans:
        if not is_model_call(span):
            continue
        for message in _after_last_user(input_messages(span.attributes, span.events)):
            if message.is_tool_result:
                key = message.tool_call_id or ("", message.content)
                if key in results_seen:
                    continue
                results_seen.add(key)
                name = names.get(message.tool_call_id or "", "")
                steps.append(ToolStep("result", name, message.content, message.tool_call_id))
            elif message.tool_calls:
                add_calls(message, with_text=True)
        for message in output_messages(span.attributes, span.events):
            add_calls(message, with_text=True)
    return steps


def _image_url(part: dict[str, Any]) -> str | None:
    """The URL of an image content part in any of the shapes providers send, else None."""
    kind = part.get("type")
    if kind in ("image_url", "input_image"):
        inner = part.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else inner
        return url if isinstance(url, str) else None
    if kind == "image":
        source = part.get("source")
        if isinstance(source, dict):
            if source.get("type") == "base64" and isinstance(source.get("data"), str):
                return f"data:{source.get('media_type') or 'image/png'};base64,{source['data']}"
            if isinstance(source.get("url"), str):
                return str(source["url"])
        return part.get("url") if isinstance(part.get("url"), str) else None
    mime = str(part.get("mime_type") or part.get("media_type") or "")
    if kind == "blob" and (mime.startswith("image/") or part.get("modality") == "image"):
        content = part.get("content")
        return f"data:{mime or 'image/png'};base64,{content}" if isinstance(content, str) else None
    if kind == "uri" and (mime.startswith("image/") or part.get("modality") == "image"):
        uri = part.get("uri")
        return uri if isinstance(uri, str) else None
    inline = part.get("inline_data")
    if isinstance(inline, dict) and str(inline.get("mime_type", "")).startswith("image/"):
        data = inline.get("data")
        return f"data:{inline['mime_type']};base64,{data}" if isinstance(data, str) else None
    return None


def _line_image(line: str) -> str | None:
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        part = json.loads(stripped)
    except ValueError:
        return None
    return _image_url(part) if isinstance(part, dict) else None


def content_parts(text: str | None) -> list[ContentPart]:
    """``text`` split into text and image parts, in order; a text without images is one part."""
    if not text:
        return []
    if '"image' not in text and '"blob"' not in text and '"uri"' not in text and "inline_data" not in text:
        return [ContentPart("text", text)]
    parts: list[ContentPart] = []
    lines: list[str] = []
    for line in text.split("\n"):
        url = _line_image(line)
        if url is None and _IMAGE_START.match(line):
            url = ""  # an image part the content policy cut short: no longer JSON
        if url is None:
            lines.append(line)
            continue
        if lines:
            parts.append(ContentPart("text", "\n".join(lines)))
            lines = []
        if url.startswith("data:"):
            parts.append(ContentPart("image", url))
        elif url.lower().startswith(("http://", "https://")):
            parts.append(ContentPart("image_link", url))
        elif not url:
            parts.append(ContentPart("image_cut", ""))
        else:
            parts.append(ContentPart("text", line))
    if lines:
        parts.append(ContentPart("text", "\n".join(lines)))
    return parts
