"""A stand-in Cohere v2 API on loopback: ``/v2/chat`` (JSON, or SSE events when ``stream``), ``/v2/embed``, ``/v2/rerank``.

The real ``cohere`` client (``ClientV2`` / ``AsyncClientV2``) talks to it unchanged
(``base_url=``). Its stream is server-sent events whose data carry the event ``type``
(``message-start``, ``content-delta``, ``tool-call-start``/``-delta``, ``message-end``...),
as Cohere sends them. Replies follow the kit's conventions (``standins._json_handler``).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from neatlogs_cli.demo.schema_examples import tool_arguments
from neatlogs_cli.demo.standin_model import reply_text

from ._json_handler import JsonHandler, JsonStandin, sse_event, tokens

__all__ = ["CohereStandin"]


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


class _Handler(JsonHandler):
    def route(self, path: str, body: dict[str, Any], model: str, delay: float) -> None:
        if path == "/v2/chat":
            self._chat(body, model, delay)
        elif path == "/v2/embed":
            self._embed(body, model)
        elif path == "/v2/rerank":
            self._rerank(body)
        else:
            self.send_json(404, self.error_body(404))

    def _chat(self, body: dict[str, Any], model: str, delay: float) -> None:
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        wants_tool = bool(tools) and bool(messages) and messages[-1].get("role") == "user"
        text = reply_text(messages)
        in_tokens = sum(tokens(_text(m.get("content"))) for m in messages)
        out_tokens = tokens(text)
        usage = {"billed_units": {"input_tokens": in_tokens, "output_tokens": out_tokens},
                 "tokens": {"input_tokens": in_tokens + 7, "output_tokens": out_tokens}}
        rid = f"standin-{len(self.server.owner.requests)}"
        calls = [{"id": f"lookup_{i}", "type": "function",
                  "function": {"name": tool["function"]["name"], "arguments": json.dumps(tool_arguments(tool["function"].get("parameters")))}}
                 for i, tool in enumerate(tools[:1])] if wants_tool else []
        finish = "TOOL_CALL" if calls else "COMPLETE"
        plan = "I will look it up."
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant"}
            if calls:
                message.update(tool_plan=plan, tool_calls=calls)
            else:
                message["content"] = [{"type": "text", "text": text}]
            self.send_json(200, {"id": rid, "finish_reason": finish, "message": message, "usage": usage})
            return

        def event(kind: str, **fields: Any) -> bytes:
            return sse_event({"type": kind, **fields}, event=kind)

        def events() -> Iterator[bytes]:
            start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
            yield event("message-start", id=rid, delta={"message": start})
            if calls:
                yield event("tool-plan-delta", delta={"message": {"tool_plan": plan}})
                for i, call in enumerate(calls):
                    first = dict(call, function={"name": call["function"]["name"], "arguments": ""})
                    yield event("tool-call-start", index=i, delta={"message": {"tool_calls": first}})
                    arguments = call["function"]["arguments"]
                    for part in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                        yield event("tool-call-delta", index=i,
                                    delta={"message": {"tool_calls": {"function": {"arguments": part}}}})
                    yield event("tool-call-end", index=i)
            else:
                yield event("content-start", index=0, delta={"message": {"content": {"type": "text", "text": ""}}})
                for i, word in enumerate(text.split(" ")):
                    piece = word if i == 0 else " " + word
                    yield event("content-delta", index=0, delta={"message": {"content": {"text": piece}}})
                yield event("content-end", index=0)
            yield event("message-end", id=rid, delta={"finish_reason": finish, "usage": usage})

        self.send_stream(events(), "text/event-stream", delay)

    def _embed(self, body: dict[str, Any], model: str) -> None:
        texts = list(body.get("texts") or [])
        vectors = [[round((len(t) + j) / 10, 3) for j in range(8)] for t in texts]
        count = sum(tokens(t) for t in texts)
        self.send_json(200, {"id": "embed-standin", "response_type": "embeddings_by_type",
                             "embeddings": {"float": vectors}, "texts": texts,
                             "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": count}}})


    def _rerank(self, body: dict[str, Any]) -> None:
        """Documents ranked by how many of the query's words they share (ties: in the order given)."""
        words = set(str(body.get("query", "")).lower().split())
        documents = [str(d) for d in body.get("documents") or []]
        scored = sorted(((len(words & set(d.lower().split())) / (len(words) or 1), i) for i, d in enumerate(documents)),
                        key=lambda pair: (-pair[0], pair[1]))
        top = scored[:body["top_n"]] if isinstance(body.get("top_n"), int) else scored
        self.send_json(200, {"id": "rerank-standin", "results": [{"index": i, "relevance_score": round(score, 3)}
                                                                 for score, i in top],
                             "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}})


class CohereStandin(JsonStandin):
    """The stand-in Cohere API: ``with CohereStandin() as s: cohere.ClientV2(api_key="x", base_url=s.base_url)``."""

    handler = _Handler
