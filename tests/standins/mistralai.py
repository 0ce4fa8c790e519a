"""A stand-in Mistral API on loopback: ``/v1/chat/completions`` and ``/v1/agents/completions`` (JSON, or SSE when
``stream``) and ``/v1/embeddings``.

The real ``mistralai`` client talks to it unchanged (``Mistral(server_url=base_url)``). Its
replies follow the kit's conventions (``standins._json_handler``): the reply echoes the last
user message; with tools and a user's last message the reply is a tool call; usage in every
response and in the last stream chunk, as Mistral sends it.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

from neatlogs_cli.demo.schema_examples import tool_arguments
from neatlogs_cli.demo.standin_model import reply_text

from ._json_handler import JsonHandler, JsonStandin, sse_event, tokens

__all__ = ["MistralStandin"]


class _Handler(JsonHandler):
    def error_body(self, status: int) -> Any:
        # The shape of Mistral's error responses.
        return {"object": "error", "message": f"stand-in error {status}", "type": "api_error",
                "param": None, "code": str(status)}

    def route(self, path: str, body: dict[str, Any], model: str, delay: float) -> None:
        if path == "/v1/chat/completions":
            self._chat(body, model, delay)
        elif path == "/v1/agents/completions":  # an agent answers with its own model
            self._chat(body, model or "mistral-agent-model", delay)
        elif path == "/v1/embeddings":
            self._embeddings(body, model)
        else:
            self.send_json(404, self.error_body(404))

    def _chat(self, body: dict[str, Any], model: str, delay: float) -> None:
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        wants_tool = bool(tools) and bool(messages) and messages[-1].get("role") == "user"
        text = reply_text(messages)
        prompt = sum(tokens(str(m.get("content") or "")) for m in messages)
        completion = tokens(text)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        rid, created = f"cmpl-standin-{len(self.server.owner.requests)}", int(time.time())
        calls = [{"id": f"call{i}", "type": "function", "index": i,
                  "function": {"name": tool["function"]["name"], "arguments": json.dumps(tool_arguments(tool["function"].get("parameters")))}}
                 for i, tool in enumerate(tools[:1])] if wants_tool else []
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message = {"role": "assistant", "content": "" if calls else text, "tool_calls": calls or None,
                       "prefix": False}
            self.send_json(200, {"id": rid, "object": "chat.completion", "model": model, "created": created,
                                 "usage": usage,
                                 "choices": [{"index": 0, "message": message, "finish_reason": finish}]})
            return

        def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> bytes:
            return sse_event({"id": rid, "object": "chat.completion.chunk", "created": created, "model": model,
                              "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}], **extra})

        def events() -> Iterator[bytes]:
            yield chunk({"role": "assistant", "content": ""})
            if calls:  # Mistral sends each tool call whole, in one chunk
                yield chunk({"tool_calls": calls})
            else:
                for i, word in enumerate(text.split(" ")):
                    yield chunk({"content": word if i == 0 else " " + word})
            yield chunk({"content": ""}, finish, usage=usage)
            yield sse_event("[DONE]")

        self.send_stream(events(), "text/event-stream", delay)

    def _embeddings(self, body: dict[str, Any], model: str) -> None:
        inputs = body.get("inputs", "")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        data = [{"object": "embedding", "index": i, "embedding": [round((len(str(x)) + j) / 10, 3) for j in range(8)]}
                for i, x in enumerate(inputs)]
        count = sum(tokens(str(x)) for x in inputs)
        self.send_json(200, {"id": "embd-standin", "object": "list", "model": model, "data": data,
                             "usage": {"prompt_tokens": count, "completion_tokens": 0, "total_tokens": count}})


class MistralStandin(JsonStandin):
    """The stand-in Mistral API: ``with MistralStandin() as m: Mistral(api_key="x", server_url=m.base_url)``."""

    handler = _Handler
