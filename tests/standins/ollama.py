"""A stand-in Ollama server on loopback: ``/api/chat``, ``/api/generate`` (JSON, or NDJSON lines when streamed), ``/api/embed``, ``/api/embeddings``.

The real ``ollama`` client (``Client(host=base_url)`` / ``AsyncClient``) talks to it unchanged.
Ollama streams unless the request says ``"stream": false`` (the client always says): one JSON
object per line, the last with ``"done": true``, its ``done_reason`` and the token counts
(``prompt_eval_count``, ``eval_count``), as the server sends them
(https://github.com/ollama/ollama/blob/main/docs/api.md). Tool calls carry their arguments as
an object and no id; with ``think`` the reply carries a ``thinking`` text. Errors are ``{"error": "..."}``. Replies follow the kit's conventions
(``standins._json_handler``).
"""

from __future__ import annotations

from typing import Any, Iterator

from neatlogs_cli.demo.schema_examples import tool_arguments
from neatlogs_cli.demo.standin_model import reply_text

from ._json_handler import JsonHandler, JsonStandin, ndjson_line, tokens

__all__ = ["OllamaStandin"]

_CREATED = "2026-01-01T00:00:00.000000Z"


def _counts(prompt: int, completion: int) -> dict[str, Any]:
    return {"total_duration": 1000, "load_duration": 10, "prompt_eval_count": prompt, "prompt_eval_duration": 100,
            "eval_count": completion, "eval_duration": 800}


class _Handler(JsonHandler):
    def error_body(self, status: int) -> Any:
        return {"error": f"stand-in error {status}"}

    def route(self, path: str, body: dict[str, Any], model: str, delay: float) -> None:
        if path == "/api/chat":
            self._chat(body, model, delay)
        elif path == "/api/generate":
            self._generate(body, model, delay)
        elif path == "/api/embed":
            self._embed(body, model)
        elif path == "/api/embeddings":
            self.send_json(200, {"embedding": [0.1, 0.2, 0.3]})
        else:
            self.send_json(404, self.error_body(404))

    def _chat(self, body: dict[str, Any], model: str, delay: float) -> None:
        messages = body.get("messages") or []
        tools = body.get("tools") or []
        wants_tool = bool(tools) and bool(messages) and messages[-1].get("role") == "user"
        text = reply_text(messages)
        prompt = sum(tokens(str(m.get("content") or "")) for m in messages)
        calls = [{"function": {"name": tool["function"]["name"], "arguments": tool_arguments(tool["function"].get("parameters"))}}
                 for tool in tools[:1]] if wants_tool else []
        completion = 1 if calls else tokens(text)
        head = {"model": model, "created_at": _CREATED}
        end = {**head, "done": True, "done_reason": "stop", **_counts(prompt, completion)}
        thinking = "Let me think it over." if body.get("think") else None
        if body.get("stream", True) is False:
            message: dict[str, Any] = {"role": "assistant", "content": "" if calls else text}
            if thinking:
                message["thinking"] = thinking
            if calls:
                message["tool_calls"] = calls
            self.send_json(200, {**end, "message": message})
            return

        def lines() -> Iterator[bytes]:
            if thinking:  # thinking first, in its own lines, as Ollama streams it
                for word in thinking.split(" "):
                    yield ndjson_line({**head, "message": {"role": "assistant", "content": "", "thinking": word + " "},
                                       "done": False})
            if calls:  # Ollama sends the tool calls whole, in one line
                yield ndjson_line({**head, "message": {"role": "assistant", "content": "", "tool_calls": calls},
                                   "done": False})
            else:
                for i, word in enumerate(text.split(" ")):
                    piece = word if i == 0 else " " + word
                    yield ndjson_line({**head, "message": {"role": "assistant", "content": piece}, "done": False})
            yield ndjson_line({**end, "message": {"role": "assistant", "content": ""}})

        self.send_stream(lines(), "application/x-ndjson", delay)

    def _generate(self, body: dict[str, Any], model: str, delay: float) -> None:
        prompt_text = str(body.get("prompt") or "")
        text = reply_text([{"role": "user", "content": prompt_text}])
        prompt = tokens(prompt_text) + tokens(str(body.get("system") or ""))
        head = {"model": model, "created_at": _CREATED}
        end = {**head, "done": True, "done_reason": "stop", "context": [1, 2, 3], **_counts(prompt, tokens(text))}
        if body.get("stream", True) is False:
            self.send_json(200, {**end, "response": text})
            return

        def lines() -> Iterator[bytes]:
            for i, word in enumerate(text.split(" ")):
                yield ndjson_line({**head, "response": word if i == 0 else " " + word, "done": False})
            yield ndjson_line({**end, "response": ""})

        self.send_stream(lines(), "application/x-ndjson", delay)

    def _embed(self, body: dict[str, Any], model: str) -> None:
        inputs = body.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        vectors = [[round((len(str(x)) + j) / 10, 3) for j in range(4)] for x in inputs]
        self.send_json(200, {"model": model, "embeddings": vectors, "total_duration": 100, "load_duration": 10,
                             "prompt_eval_count": sum(tokens(str(x)) for x in inputs)})


class OllamaStandin(JsonStandin):
    """The stand-in Ollama server: ``with OllamaStandin() as o: ollama.Client(host=o.base_url)``."""

    handler = _Handler
