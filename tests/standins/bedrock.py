"""A stand-in Bedrock runtime on loopback: the REST protocol botocore speaks, AWS event streams included.

``boto3.client("bedrock-runtime", endpoint_url=standin.base_url, ...)`` works against it
unchanged (the SigV4 signature is ignored). Routes: ``POST /model/{modelId}/converse``,
``/converse-stream``, ``/invoke`` and ``/invoke-with-response-stream``; streams are framed as
``application/vnd.amazon.eventstream`` (see :func:`event_message`). ``invoke`` bodies are the
model family's own JSON: anthropic (``anthropic_version``, ``messages``), amazon titan
(``inputText``, and ``titan-embed`` models for embeddings), amazon nova (``messages`` of
content blocks) and meta llama (``prompt``); the family comes from the model id.

The kit's conventions: the reply echoes the last user message (``reply_text``); a model id
containing ``slow`` streams with 50 ms between events; ``error-<status>`` answers that status
with Bedrock's error JSON and ``x-amzn-ErrorType`` header; an ``invoke`` of a model id containing
``truncated`` sends half its body and hangs up; with tools given and the last user
message holding no tool result, the reply is a tool call; usage in every response and in the
final stream event.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import urllib.parse
import zlib
from typing import Any, Iterator

from neatlogs_cli.demo.loopback import BackgroundHTTPServer, QuietHandler
from neatlogs_cli.demo.schema_examples import tool_arguments
from neatlogs_cli.demo.standin_model import reply_text

__all__ = ["BedrockStandin", "event_message"]

_ERRORS = {400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException",
           408: "ModelTimeoutException", 424: "ModelErrorException", 429: "ThrottlingException",
           500: "InternalServerException", 503: "ServiceUnavailableException"}
"""Bedrock's modelled error code for each HTTP status (botocore raises the class of that name)."""


def _header(name: str, value: str) -> bytes:
    key, text = name.encode(), value.encode()
    return bytes([len(key)]) + key + b"\x07" + struct.pack(">H", len(text)) + text  # type 7: string


def event_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude (total and headers length), its CRC32, headers, payload, CRC32."""
    encoded = b"".join(_header(k, v) for k, v in headers.items())
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _event(event_type: str, body: Any) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return event_message(headers, json.dumps(body).encode())


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _words(text: str) -> list[str]:
    return [w if i == 0 else " " + w for i, w in enumerate(text.split(" "))]


def _family(model_id: str, body: dict[str, Any]) -> str:
    for family in ("anthropic", "titan-embed", "titan", "nova", "llama"):
        if family in model_id:
            return family
    if "anthropic_version" in body:
        return "anthropic"
    if "inputText" in body:
        return "titan"
    return "llama" if "prompt" in body else "nova"


def _wants_tool(tools: Any, messages: list[dict[str, Any]], result_key: str) -> bool:
    """Tools given, and the last message is the user's without a tool result in it."""
    if not tools or not messages or messages[-1].get("role") != "user":
        return False
    content = messages[-1].get("content")
    blocks = content if isinstance(content, list) else []
    return not any(isinstance(b, dict) and (result_key in b or b.get("type") == result_key) for b in blocks)


class _Handler(QuietHandler):
    server: Any  # its .owner is the BedrockStandin

    # --- plumbing --------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send_json(status, body, {"x-amzn-requestid": f"req-{self.server.owner.count}", **(headers or {})})

    def _send_events(self, events: Iterator[bytes], delay: float) -> None:
        self.send_chunked(events, "application/vnd.amazon.eventstream", delay,
                          {"x-amzn-requestid": f"req-{self.server.owner.count}"})

    def _send_truncated(self, data: bytes) -> None:
        """Half the body, then the connection closes: the client's read of the body fails."""
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = self.path.split("?")[0].strip("/").split("/")
        owner = self.server.owner
        with owner.lock:
            owner.count += 1
            owner.requests.append({"path": self.path, "body": raw, "headers": dict(self.headers)})
        if len(parts) != 3 or parts[0] != "model":
            self._send_json(404, {"message": f"no route {self.path}"}, {"x-amzn-ErrorType": "UnknownOperationException"})
            return
        model_id, action = urllib.parse.unquote(parts[1]), parts[2]
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"message": "Malformed input request"}, {"x-amzn-ErrorType": "ValidationException"})
            return
        if model_id.startswith("error-"):
            status = int(model_id.split("-", 1)[1] or 500)
            code = _ERRORS.get(status, "InternalServerException")
            self._send_json(status, {"message": f"stand-in error {status}"}, {"x-amzn-ErrorType": code})
            return
        delay = 0.05 if "slow" in model_id else 0.0
        if action == "converse":
            self._send_json(200, self._converse(body)[0])
        elif action == "converse-stream":
            self._send_events((_event(k, v) for k, v in self._converse_events(body)), delay)
        elif action == "invoke" and "truncated" in model_id:
            self._send_truncated(json.dumps(self._invoke(model_id, body)).encode())
        elif action == "invoke":
            self._send_json(200, self._invoke(model_id, body))
        elif action == "invoke-with-response-stream":
            chunks = self._invoke_chunks(model_id, body)
            self._send_events((_event("chunk", {"bytes": base64.b64encode(json.dumps(c).encode()).decode()})
                               for c in chunks), delay)
        else:
            self._send_json(404, {"message": f"no action {action}"}, {"x-amzn-ErrorType": "UnknownOperationException"})

    # --- converse ------------------------------------------------------------------------
    def _converse(self, body: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
        messages = body.get("messages", [])
        tools = (body.get("toolConfig") or {}).get("tools") or []
        text = reply_text(messages)
        tool_use = None
        if _wants_tool(tools, messages, "toolResult"):
            spec = tools[0].get("toolSpec", {})
            arguments = tool_arguments((spec.get("inputSchema") or {}).get("json"))
            tool_use = {"toolUseId": f"tooluse_{self.server.owner.count}", "name": spec.get("name", "tool"),
                        "input": arguments}
        prompt = sum(_tokens(json.dumps(m.get("content"))) for m in messages)
        completion = _tokens(text)
        usage = {"inputTokens": prompt, "outputTokens": completion, "totalTokens": prompt + completion + 3,
                 "cacheReadInputTokens": 2, "cacheWriteInputTokens": 1}
        content = [{"toolUse": tool_use}] if tool_use else [{"text": text}]
        reply = {"output": {"message": {"role": "assistant", "content": content}},
                 "stopReason": "tool_use" if tool_use else "end_turn", "usage": usage, "metrics": {"latencyMs": 1}}
        return reply, text, tool_use

    def _converse_events(self, body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        reply, text, tool_use = self._converse(body)
        yield "messageStart", {"role": "assistant"}
        if tool_use:
            start = {"toolUse": {"toolUseId": tool_use["toolUseId"], "name": tool_use["name"]}}
            yield "contentBlockStart", {"contentBlockIndex": 0, "start": start}
            arguments = json.dumps(tool_use["input"])
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                yield "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": piece}}}
        else:
            for word in _words(text):
                yield "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": word}}
        yield "contentBlockStop", {"contentBlockIndex": 0}
        yield "messageStop", {"stopReason": reply["stopReason"]}
        yield "metadata", {"usage": reply["usage"], "metrics": {"latencyMs": 1}}

    # --- invoke_model: each family's own JSON ----------------------------------------------
    def _invoke(self, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        family = _family(model_id, body)
        if family == "titan-embed":
            text = str(body.get("inputText", ""))
            return {"embedding": [round((len(text) + j) / 10, 3) for j in range(8)],
                    "inputTextTokenCount": _tokens(text)}
        if family == "anthropic":
            return self._anthropic(model_id, body)
        if family == "nova":
            return self._converse(body)[0]
        prompt = str(body.get("inputText" if family == "titan" else "prompt", ""))
        text = reply_text([{"role": "user", "content": prompt}])
        if family == "titan":
            return {"inputTextTokenCount": _tokens(prompt),
                    "results": [{"tokenCount": _tokens(text), "outputText": text, "completionReason": "FINISH"}]}
        return {"generation": text, "prompt_token_count": _tokens(prompt),
                "generation_token_count": _tokens(text), "stop_reason": "stop"}

    def _anthropic(self, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages", [])
        text = reply_text(messages)
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        stop = "end_turn"
        if _wants_tool(body.get("tools"), messages, "tool_result"):
            tool = body["tools"][0]
            content = [{"type": "tool_use", "id": f"toolu_{self.server.owner.count}", "name": tool.get("name", "tool"),
                        "input": tool_arguments(tool.get("input_schema"))}]
            stop = "tool_use"
        prompt = sum(_tokens(json.dumps(m.get("content"))) for m in messages)
        return {"id": f"msg_bdrk_{self.server.owner.count}", "type": "message", "role": "assistant",
                "model": model_id, "content": content, "stop_reason": stop, "stop_sequence": None,
                "usage": {"input_tokens": prompt, "output_tokens": _tokens(text),
                          "cache_read_input_tokens": 2, "cache_creation_input_tokens": 1}}

    def _invoke_chunks(self, model_id: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        family = _family(model_id, body)
        reply = self._invoke(model_id, body)
        if family == "anthropic":
            yield from self._anthropic_chunks(reply)
            return
        if family == "nova":
            for event_type, event in self._converse_events(body):
                yield {event_type: event}
            return
        if family == "titan":
            result = reply["results"][0]
            words = _words(result["outputText"])
            for i, word in enumerate(words):
                last = i == len(words) - 1
                yield {"outputText": word, "index": 0, "totalOutputTextTokenCount": i + 1,
                       "completionReason": "FINISH" if last else None,
                       "inputTextTokenCount": reply["inputTextTokenCount"] if i == 0 else None}
            return
        words = _words(reply["generation"])
        for i, word in enumerate(words):
            last = i == len(words) - 1
            chunk = {"generation": word, "prompt_token_count": reply["prompt_token_count"] if i == 0 else None,
                     "generation_token_count": i + 1, "stop_reason": "stop" if last else None}
            if last:
                chunk["amazon-bedrock-invocationMetrics"] = {
                    "inputTokenCount": reply["prompt_token_count"], "outputTokenCount": len(words),
                    "invocationLatency": 1, "firstByteLatency": 1}
            yield chunk

    @staticmethod
    def _anthropic_chunks(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
        usage = message["usage"]
        start = dict(message, content=[], stop_reason=None, usage=dict(usage, output_tokens=1))
        yield {"type": "message_start", "message": start}
        block = message["content"][0]
        if block["type"] == "tool_use":
            yield {"type": "content_block_start", "index": 0, "content_block": dict(block, input={})}
            arguments = json.dumps(block["input"])
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                yield {"type": "content_block_delta", "index": 0,
                       "delta": {"type": "input_json_delta", "partial_json": piece}}
        else:
            yield {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
            for word in _words(block["text"]):
                yield {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": word}}
        yield {"type": "content_block_stop", "index": 0}
        yield {"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
               "usage": {"output_tokens": usage["output_tokens"]}}
        yield {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": usage["input_tokens"], "outputTokenCount": usage["output_tokens"],
            "invocationLatency": 1, "firstByteLatency": 1}}


class BedrockStandin(BackgroundHTTPServer):
    """Runs the stand-in Bedrock runtime in a background thread: ``with BedrockStandin() as s: s.base_url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_Handler, host, port)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """Every request received so far: path, raw body bytes and headers."""
        self.count = 0

    @property
    def base_url(self) -> str:
        """The ``endpoint_url`` to give a ``bedrock-runtime`` client."""
        return f"http://127.0.0.1:{self.port}"
