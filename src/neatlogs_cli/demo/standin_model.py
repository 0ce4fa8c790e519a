"""A stand-in OpenAI-compatible model on loopback: deterministic replies, no network, no key.

Used by ``neatlogs demo``, by the tests (the real ``openai`` client talks to it) and by the
benchmarks. It answers ``/v1/chat/completions`` (plain and SSE streaming, with usage and
tool calls), ``/v1/responses`` (plain and streaming, with function calls), ``/v1/embeddings`` and, for anthropic
clients, ``/v1/messages``. Every reply says it comes from a stand-in. Asked with tools (the
last message the user's), it calls the first one with arguments that fit the tool's JSON
schema (``schema_examples.tool_arguments``, the helper every stand-in shares), so a framework
parses and validates them as it would a model's.

Behaviour on demand, chosen by the request's model name:

- ``error-<status>`` answers with that HTTP status and an OpenAI-style error body;
- a model name containing ``slow`` waits 50 ms between stream chunks;
- a model name containing ``long`` streams 200 chunks instead of a handful;
- on ``/v1/messages``, a request with ``tools`` whose last message is the user's (not a tool
  result) is answered with a ``tool_use`` block calling its first tool;
- on ``/v1/messages``, a model name containing ``cache`` reports cache reads and writes in its
  usage, and one containing ``think`` answers with a thinking and a redacted-thinking block
  before its text (``thinking_delta`` / ``signature_delta`` events when streamed).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterator

from .loopback import BackgroundHTTPServer, QuietHandler
from .schema_examples import schema_example, tool_arguments

__all__ = ["CACHE_READ_TOKENS", "CACHE_WRITE_TOKENS", "StandinModel", "THINKING_TEXT", "reply_text"]

REPLY_PREFIX = "[stand-in model] "

CACHE_READ_TOKENS, CACHE_WRITE_TOKENS = 120, 30
"""The cache reads and writes an anthropic reply reports when its model name contains ``cache``."""

THINKING_TEXT = "The user wants an echo. I will echo."
"""The thinking an anthropic reply begins with when its model name contains ``think``."""


def reply_text(messages: list[dict[str, Any]]) -> str:
    """The deterministic reply to a chat: it echoes the last user message."""
    last = ""
    for message in messages:
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            last = str(content or "")
    turn = sum(1 for m in messages if m.get("role") == "user")
    return f"{REPLY_PREFIX}Turn {turn}: you said {last!r}. How else can I help?"


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


class _Handler(QuietHandler):
    server: Any  # its .owner is the StandinModel

    # --- plumbing --------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send_json(status, body, {"x-request-id": f"req_{self.server.owner.count}", **(headers or {})})

    def _send_sse(self, events: Iterator[tuple[str | None, Any]], delay: float) -> None:
        def frames() -> Iterator[bytes]:
            for event, data in events:
                text = "" if event is None else f"event: {event}\n"
                payload = data if isinstance(data, str) else json.dumps(data)
                yield f"{text}data: {payload}\n\n".encode()

        self.send_chunked(frames(), "text/event-stream", delay, {"x-request-id": f"req_{self.server.owner.count}"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
            return
        with self.server.owner.lock:
            self.server.owner.count += 1
            self.server.owner.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        model = str(body.get("model", ""))
        if model.startswith("error-"):
            status = int(model.split("-", 1)[1] or 500)
            self._send_json(
                status,
                {"error": {"message": f"stand-in error {status}", "type": "api_error", "code": str(status)}},
                {"retry-after": "0"} if status == 429 else None,
            )
            return
        path = self.path.split("?")[0].rstrip("/")
        delay = 0.05 if "slow" in model else 0.0
        if path.endswith("/chat/completions"):
            self._chat(body, model, delay)
        elif path.endswith("/responses"):
            self._responses(body, model, delay)
        elif path.endswith("/completions"):
            self._text_completion(body, model, delay)
        elif path.endswith("/embeddings"):
            self._embeddings(body, model)
        elif path.endswith("/moderations"):
            self._moderations(body, model)
        elif path.endswith("/messages"):
            self._anthropic(body, model, delay)
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    # --- chat completions ----------------------------------------------------------------------
    def _chat(self, body: dict[str, Any], model: str, delay: float) -> None:
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        wants_tool = bool(tools) and messages and messages[-1].get("role") == "user"
        text = reply_text(messages)
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            text = json.dumps(schema_example(fmt["json_schema"].get("schema", {})))
        prompt_tokens = sum(_tokens(str(m.get("content") or "")) for m in messages)
        completion_tokens = _tokens(text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }
        created = int(time.time())
        rid = f"chatcmpl-standin-{self.server.owner.count}"
        tool_calls: list[dict[str, Any]] | None = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": tool["function"]["name"],
                             "arguments": json.dumps(tool_arguments(tool["function"].get("parameters")))},
            }
            for i, tool in enumerate(tools[:1])
        ] if wants_tool else None
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": None if tool_calls else text}
            if tool_calls:
                message["tool_calls"] = tool_calls
            self._send_json(200, {
                "id": rid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": "tool_calls" if tool_calls else "stop"}],
                "usage": usage,
            })
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        def events() -> Iterator[tuple[str | None, Any]]:
            yield None, chunk({"role": "assistant", "content": ""})
            if tool_calls:
                for i, call in enumerate(tool_calls):
                    args = call["function"]["arguments"]
                    function = {"name": call["function"]["name"], "arguments": ""}
                    yield None, chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                                       "function": function}]})
                    for part in (args[: len(args) // 2], args[len(args) // 2:]):
                        yield None, chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
                yield None, chunk({}, "tool_calls")
            else:
                words = text.split(" ")
                if "long" in model:
                    words = (words * (200 // len(words) + 1))[:200]
                for i, word in enumerate(words):
                    yield None, chunk({"content": word if i == 0 else " " + word})
                yield None, chunk({}, "stop")
            if include_usage:
                yield None, {"id": rid, "object": "chat.completion.chunk", "created": created,
                             "model": model, "choices": [], "usage": usage}
            yield None, "[DONE]"

        self._send_sse(events(), delay)

    # --- responses -------------------------------------------------------------------------------
    def _responses(self, body: dict[str, Any], model: str, delay: float) -> None:
        raw_input = body.get("input", "")
        messages = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else list(raw_input)
        tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
        if tools and messages and messages[-1].get("role") == "user":
            self._responses_function_call(body, tools[0], model, delay)
            return
        text = reply_text(messages)
        fmt = (body.get("text") or {}).get("format") or {}
        if fmt.get("type") == "json_schema":
            text = json.dumps(schema_example(fmt.get("schema", {})))
        in_tokens = sum(_tokens(str(m.get("content") or "")) for m in messages)
        out_tokens = _tokens(text)
        rid = f"resp_standin_{self.server.owner.count}"
        item_id = f"msg_standin_{self.server.owner.count}"

        def response(status: str, done: bool) -> dict[str, Any]:
            output = [{
                "id": item_id, "type": "message", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }] if done else []
            return {
                "id": rid, "object": "response", "created_at": time.time(), "model": model,
                "status": status, "output": output, "parallel_tool_calls": True, "tool_choice": "auto",
                "tools": [], "instructions": body.get("instructions"), "error": None,
                "incomplete_details": None, "metadata": {}, "temperature": body.get("temperature"),
                "top_p": None,
                "usage": {
                    "input_tokens": in_tokens, "output_tokens": out_tokens,
                    "total_tokens": in_tokens + out_tokens,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens_details": {"reasoning_tokens": 0},
                } if done else None,
            }

        if not body.get("stream"):
            self._send_json(200, response("completed", True))
            return

        def events() -> Iterator[tuple[str | None, Any]]:
            seq = iter(range(1_000_000))
            yield "response.created", {"type": "response.created", "sequence_number": next(seq),
                                       "response": response("in_progress", False)}
            item = {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []}
            yield "response.output_item.added", {"type": "response.output_item.added", "sequence_number": next(seq),
                                                 "output_index": 0, "item": item}
            part = {"type": "output_text", "text": "", "annotations": []}
            yield "response.content_part.added", {"type": "response.content_part.added", "sequence_number": next(seq),
                                                  "item_id": item_id, "output_index": 0, "content_index": 0,
                                                  "part": part}
            for i, word in enumerate(text.split(" ")):
                yield "response.output_text.delta", {
                    "type": "response.output_text.delta", "sequence_number": next(seq), "item_id": item_id,
                    "output_index": 0, "content_index": 0, "delta": word if i == 0 else " " + word, "logprobs": [],
                }
            yield "response.output_text.done", {"type": "response.output_text.done", "sequence_number": next(seq),
                                                "item_id": item_id, "output_index": 0, "content_index": 0,
                                                "text": text, "logprobs": []}
            done_part = {"type": "output_text", "text": text, "annotations": []}
            yield "response.content_part.done", {"type": "response.content_part.done", "sequence_number": next(seq),
                                                 "item_id": item_id, "output_index": 0, "content_index": 0,
                                                 "part": done_part}
            done_item = dict(item, status="completed", content=[done_part])
            yield "response.output_item.done", {"type": "response.output_item.done", "sequence_number": next(seq),
                                                "output_index": 0, "item": done_item}
            yield "response.completed", {"type": "response.completed", "sequence_number": next(seq),
                                         "response": response("completed", True)}

        self._send_sse(events(), delay)

    def _responses_function_call(self, body: dict[str, Any], tool: dict[str, Any], model: str, delay: float) -> None:
        """A reply that calls the request's first function tool, with arguments fitting its schema."""
        count = self.server.owner.count
        rid, item_id, call_id = f"resp_standin_{count}", f"fc_standin_{count}", f"call_standin_{count}"
        arguments = json.dumps(tool_arguments(tool.get("parameters")))
        item = {"id": item_id, "type": "function_call", "call_id": call_id, "name": tool.get("name", ""),
                "arguments": arguments, "status": "completed"}
        in_tokens = sum(_tokens(str(m.get("content") or "")) for m in body.get("input") or [] if isinstance(m, dict))
        in_tokens = in_tokens if isinstance(body.get("input"), list) else _tokens(str(body.get("input") or ""))

        def response(status: str, done: bool) -> dict[str, Any]:
            return {
                "id": rid, "object": "response", "created_at": time.time(), "model": model,
                "status": status, "output": [item] if done else [], "parallel_tool_calls": True,
                "tool_choice": "auto", "tools": body.get("tools") or [], "instructions": body.get("instructions"),
                "error": None, "incomplete_details": None, "metadata": {}, "temperature": body.get("temperature"),
                "top_p": None,
                "usage": {
                    "input_tokens": in_tokens, "output_tokens": _tokens(arguments),
                    "total_tokens": in_tokens + _tokens(arguments),
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens_details": {"reasoning_tokens": 0},
                } if done else None,
            }

        if not body.get("stream"):
            self._send_json(200, response("completed", True))
            return

        def events() -> Iterator[tuple[str | None, Any]]:
            seq = iter(range(1_000_000))
            yield "response.created", {"type": "response.created", "sequence_number": next(seq),
                                       "response": response("in_progress", False)}
            added = dict(item, arguments="", status="in_progress")
            yield "response.output_item.added", {"type": "response.output_item.added", "sequence_number": next(seq),
                                                 "output_index": 0, "item": added}
            for part in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                yield "response.function_call_arguments.delta", {
                    "type": "response.function_call_arguments.delta", "sequence_number": next(seq),
                    "item_id": item_id, "output_index": 0, "delta": part}
            yield "response.function_call_arguments.done", {
                "type": "response.function_call_arguments.done", "sequence_number": next(seq), "item_id": item_id,
                "output_index": 0, "name": item["name"], "arguments": arguments}
            yield "response.output_item.done", {"type": "response.output_item.done", "sequence_number": next(seq),
                                                "output_index": 0, "item": item}
            yield "response.completed", {"type": "response.completed", "sequence_number": next(seq),
                                         "response": response("completed", True)}

        self._send_sse(events(), delay)

    # --- legacy completions and moderations -----------------------------------------------------
    def _text_completion(self, body: dict[str, Any], model: str, delay: float) -> None:
        prompt = body.get("prompt", "")
        prompt = prompt if isinstance(prompt, str) else " ".join(str(p) for p in prompt)
        text = reply_text([{"role": "user", "content": prompt}])
        usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(text),
                 "total_tokens": _tokens(prompt) + _tokens(text)}
        rid = f"cmpl-standin-{self.server.owner.count}"
        created = int(time.time())
        if not body.get("stream"):
            self._send_json(200, {"id": rid, "object": "text_completion", "created": created, "model": model,
                                  "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
                                  "usage": usage})
            return

        def events() -> Iterator[tuple[str | None, Any]]:
            words = text.split(" ")
            for i, word in enumerate(words):
                last = i == len(words) - 1
                yield None, {"id": rid, "object": "text_completion", "created": created, "model": model,
                             "choices": [{"index": 0, "text": word if i == 0 else " " + word, "logprobs": None,
                                          "finish_reason": "stop" if last else None}]}
            if (body.get("stream_options") or {}).get("include_usage"):
                yield None, {"id": rid, "object": "text_completion", "created": created, "model": model,
                             "choices": [], "usage": usage}
            yield None, "[DONE]"

        self._send_sse(events(), delay)

    def _moderations(self, body: dict[str, Any], model: str) -> None:
        inputs = body.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        names = ("harassment", "hate", "self-harm", "sexual", "violence")
        results = []
        for item in inputs:
            flagged = "attack" in str(item).lower()
            results.append({"flagged": flagged,
                            "categories": {name: flagged and name == "violence" for name in names},
                            "category_scores": {name: 0.9 if flagged and name == "violence" else 0.01
                                                for name in names}})
        self._send_json(200, {"id": f"modr-standin-{self.server.owner.count}", "model": model or "omni-moderation",
                              "results": results})

    # --- embeddings ------------------------------------------------------------------------------
    def _embeddings(self, body: dict[str, Any], model: str) -> None:
        inputs = body.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        data = [
            {"object": "embedding", "index": i, "embedding": [round((len(str(x)) + j) / 10, 3) for j in range(8)]}
            for i, x in enumerate(inputs)
        ]
        tokens = sum(_tokens(str(x)) for x in inputs)
        self._send_json(200, {"object": "list", "data": data, "model": model,
                              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    # --- anthropic messages ---------------------------------------------------------------------
    def _anthropic(self, body: dict[str, Any], model: str, delay: float) -> None:
        """A text reply, or a ``tool_use`` of the first tool when the user's message asks with tools."""
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        in_tokens = sum(_tokens(str(m.get("content") or "")) for m in messages)
        count = self.server.owner.count
        blocks: list[dict[str, Any]]
        if tools and messages and messages[-1].get("role") == "user" and not _holds_tool_result(messages[-1]):
            tool = tools[0]
            tool_input = tool_arguments(tool.get("input_schema"))
            blocks = [{"type": "tool_use", "id": f"toolu_standin_{count}", "name": tool.get("name", ""),
                       "input": tool_input}]
            usage: dict[str, Any] = {"input_tokens": in_tokens, "output_tokens": _tokens(json.dumps(tool_input))}
            stop_reason = "tool_use"
        else:
            text = reply_text(messages)
            usage = {"input_tokens": in_tokens, "output_tokens": _tokens(text)}
            if "cache" in model:
                usage.update(cache_read_input_tokens=CACHE_READ_TOKENS, cache_creation_input_tokens=CACHE_WRITE_TOKENS)
            blocks = [
                {"type": "thinking", "thinking": THINKING_TEXT, "signature": "c2lnbmVk"},
                {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
            ] if "think" in model else []
            blocks.append({"type": "text", "text": text})
            stop_reason = "end_turn"
        message = {"id": f"msg_standin_{count}", "type": "message", "role": "assistant", "model": model,
                   "content": blocks, "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}
        if body.get("stream"):
            self._send_sse(_anthropic_events(message), delay)
        else:
            self._send_json(200, message)


_EMPTY_BLOCK_FIELDS: dict[str, dict[str, Any]] = {
    "thinking": {"thinking": "", "signature": ""}, "text": {"text": ""}, "tool_use": {"input": {}}}
"""What a streamed block starts with in place of its content, by block type (the deltas bring the rest)."""


def _anthropic_events(message: dict[str, Any]) -> Iterator[tuple[str | None, Any]]:
    """A whole anthropic message as its SSE events: each content block started, sent in deltas, stopped."""
    usage = message["usage"]
    start = dict(message, content=[], stop_reason=None, usage=dict(usage, output_tokens=0))
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        yield "content_block_start", {"type": "content_block_start", "index": index,
                                      "content_block": {**block, **_EMPTY_BLOCK_FIELDS.get(kind, {})}}
        deltas: list[dict[str, Any]] = []
        if kind == "thinking":
            thought = block["thinking"]
            deltas = [{"type": "thinking_delta", "thinking": part} for part in (thought[:10], thought[10:])]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            deltas = [{"type": "text_delta", "text": word if i == 0 else " " + word}
                      for i, word in enumerate(block["text"].split(" "))]
        elif kind == "tool_use":
            arguments = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": part}
                      for part in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:])]
        for delta in deltas:
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    stop = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    yield "message_delta", {"type": "message_delta", "delta": stop, "usage": {"output_tokens": usage["output_tokens"]}}
    yield "message_stop", {"type": "message_stop"}


def _holds_tool_result(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "tool_result" for p in content)


class StandinModel(BackgroundHTTPServer):
    """Runs the stand-in model in a background thread: ``with StandinModel() as m: m.base_url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_Handler, host, port)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """Every request received so far: path, parsed JSON body and headers."""
        self.count = 0

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give an OpenAI client (ends in ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"


def main() -> None:
    """Serve the stand-in model in the foreground: ``python -m neatlogs_cli.demo.standin_model [PORT]``."""
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    model = StandinModel(port=port)
    print(f"stand-in model at {model.base_url}", flush=True)
    try:
        model.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
