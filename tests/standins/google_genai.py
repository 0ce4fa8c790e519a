"""A stand-in Gemini model on loopback, speaking the REST API the ``google-genai`` client sends.

Both modes of the client are served: the Gemini API (``/{version}/models/{model}:{method}``) and
Vertex AI (``/v1beta1/[projects/{p}/locations/{l}/]publishers/google/models/{model}:{method}``);
the route is chosen by the method after the colon, whatever the prefix. Methods:
``generateContent``, ``streamGenerateContent?alt=sse`` (SSE ``data: {...}`` events),
``batchEmbedContents`` / ``embedContent`` (Gemini-style embeddings) and ``predict`` (Vertex
text-embedding models).

The conventions of the conformance kit: the reply echoes the last user message; a model name
containing ``slow`` streams with 50 ms between events; ``error-<status>`` answers that HTTP
status with Google's error JSON; tools given and the last message the user's: the reply is a
function call; usage metadata in every response and every stream event (the final one has
the finish reason).
"""

from __future__ import annotations

import json
import threading
from typing import Any, Iterator

from neatlogs_cli.demo.loopback import BackgroundHTTPServer, QuietHandler
from neatlogs_cli.demo.schema_examples import tool_arguments
from neatlogs_cli.demo.standin_model import reply_text

__all__ = ["GeminiStandin"]

_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _text_of(parts: Any) -> str:
    return " ".join(str(p.get("text", "")) for p in parts or () if isinstance(p, dict) and "text" in p)


def _chat_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's contents as ``{role, content}`` messages; function responses are not the user's words."""
    messages = []
    for content in body.get("contents") or ():
        parts = content.get("parts") or ()
        answers_tool = any("functionResponse" in p for p in parts if isinstance(p, dict))
        role = content.get("role") or "user"
        messages.append({"role": "tool" if answers_tool else role, "content": _text_of(parts)})
    return messages


def _model_of(path: str) -> str:
    """``gemini-x`` from ``.../models/gemini-x:generateContent``."""
    resource = path.split("?")[0].rsplit(":", 1)[0]
    return resource.rsplit("/models/", 1)[-1]


class _Handler(QuietHandler):
    server: Any  # its .owner is the GeminiStandin

    def _send_json(self, status: int, body: Any) -> None:
        self.send_json(status, body)

    def _send_sse(self, events: Iterator[dict[str, Any]], delay: float) -> None:
        self.send_chunked((f"data: {json.dumps(event)}\r\n\r\n".encode() for event in events), "text/event-stream",
                          delay)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "invalid JSON")
            return
        owner = self.server.owner
        with owner.lock:
            owner.count += 1
            owner.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        model = _model_of(self.path)
        if model.startswith("error-"):
            self._error(int(model.split("-", 1)[1] or 500), f"stand-in error for {model}")
            return
        method = self.path.split("?")[0].rsplit(":", 1)[-1]
        if method == "generateContent":
            self._send_json(200, self._reply(body, model)[-1])
        elif method == "streamGenerateContent":
            self._send_sse(iter(self._reply(body, model, streamed=True)), 0.05 if "slow" in model else 0.0)
        elif method in ("batchEmbedContents", "embedContent", "predict"):
            self._embed(method, body)
        else:
            self._error(404, f"no route {self.path}")

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": {"code": status, "message": message,
                                           "status": _STATUS_NAMES.get(status, "UNKNOWN")}})

    def _reply(self, body: dict[str, Any], model: str, streamed: bool = False) -> list[dict[str, Any]]:
        """The response (its stream events when ``streamed``; the last one is the whole reply otherwise)."""
        messages = _chat_messages(body)
        declarations = [d for tool in body.get("tools") or () for d in tool.get("functionDeclarations") or ()]
        wants_tool = bool(declarations) and bool(messages) and messages[-1]["role"] == "user"
        text = reply_text(messages)
        prompt = sum(_tokens(m["content"] or "x") for m in messages)
        owner = self.server.owner
        response_id = f"standin-{owner.count}"

        def event(parts: list[dict[str, Any]], done: bool, completion: int) -> dict[str, Any]:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
            if done:
                candidate["finishReason"] = "STOP"
            usage = {"promptTokenCount": prompt, "candidatesTokenCount": completion,
                     "totalTokenCount": prompt + completion, "cachedContentTokenCount": 0}
            return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": f"{model}-001",
                    "responseId": response_id}

        if wants_tool:
            declaration = declarations[0]
            # A JSON schema comes as ``parametersJsonSchema`` or, from a Python function given as a
            # tool, ``parameters_json_schema`` (as google-genai 3.6 sends it); a ``Schema`` as ``parameters``.
            schema = (declaration.get("parametersJsonSchema") or declaration.get("parameters_json_schema")
                      or declaration.get("parameters"))
            call = {"functionCall": {"name": declaration["name"], "args": tool_arguments(schema)}}
            return [event([call], True, 3)]
        if not streamed:
            return [event([{"text": text}], True, _tokens(text))]
        words = text.split(" ")
        events = [event([{"text": w if i == 0 else " " + w}], i == len(words) - 1, i + 1)
                  for i, w in enumerate(words)]
        return events

    def _embed(self, method: str, body: dict[str, Any]) -> None:
        if method == "predict":  # Vertex text-embedding models
            instances = body.get("instances") or []
            predictions = [{"embeddings": {"values": self._vector(str(i.get("content"))),
                                           "statistics": {"token_count": _tokens(str(i.get("content"))),
                                                          "truncated": False}}} for i in instances]
            self._send_json(200, {"predictions": predictions, "metadata": {"billableCharacterCount": 10}})
            return
        if method == "embedContent":
            text = _text_of((body.get("content") or {}).get("parts"))
            self._send_json(200, {"embedding": {"values": self._vector(text)},
                                  "usageMetadata": {"promptTokenCount": _tokens(text)}})
            return
        texts = [_text_of((r.get("content") or {}).get("parts")) for r in body.get("requests") or ()]
        self._send_json(200, {"embeddings": [{"values": self._vector(t)} for t in texts]})

    @staticmethod
    def _vector(text: str) -> list[float]:
        return [round((len(text) + j) / 10, 3) for j in range(8)]


class GeminiStandin(BackgroundHTTPServer):
    """Runs the stand-in Gemini model in a background thread: ``with GeminiStandin() as g: g.base_url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_Handler, host, port)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """Every request received so far: path, parsed JSON body and headers."""
        self.count = 0

    @property
    def base_url(self) -> str:
        """The ``HttpOptions(base_url=...)`` to give a ``genai.Client`` (the client adds the API version)."""
        return f"http://127.0.0.1:{self.port}"
