"""The one content policy, walked through every recorder on the wire: on, off, and masked.

One program records through each recorder neatlogs has: ``@span`` on a function, a
generator and an async function, ``trace(...)`` with ``set_input``/``set_output``, system
and user prompt templates with their variables (copied onto the LLM span inside the
block), and an LLM call of every provider row. Every captured value carries the secret;
masked, it must never reach the wire in clear; with capture off, no content key may be on
the wire at all.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from providers import PROVIDERS, SECRET
from wire import Wire

import neatlogs
from neatlogs import PromptTemplate, UserPromptTemplate
from neatlogs import semconv as sc

CONTENT_KEYS = (
    sc.INPUT_VALUE, sc.OUTPUT_VALUE,
    sc.LLM_PROMPT_TEMPLATE, sc.LLM_PROMPT_TEMPLATE_VARIABLES,
    sc.NEATLOGS_USER_PROMPT_TEMPLATE, sc.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES,
    sc.LLM_USER_PROMPT_TEMPLATE, sc.LLM_USER_PROMPT_TEMPLATE_VARIABLES,
    sc.GEN_AI_INPUT_MESSAGES, sc.GEN_AI_OUTPUT_MESSAGES, sc.GEN_AI_SYSTEM_INSTRUCTIONS,
)
"""Keys that hold captured content wherever they appear (messages are matched by suffix)."""


def _mask(value: Any) -> Any:
    return value.replace(SECRET, "####") if isinstance(value, str) else value


def _program(base_url: Any) -> None:
    @neatlogs.span(kind="TOOL", name="lookup")
    def lookup(query: str, options: dict[str, Any]) -> dict[str, Any]:
        return {"found": f"the answer to {query}", "options": options}

    @neatlogs.span(kind="RETRIEVER", name="documents")
    def documents(query: str) -> Any:
        yield f"doc about {query}"

    @neatlogs.span(kind="AGENT", name="agent")
    async def agent(message: str) -> str:
        return f"agent heard {message}"

    system = PromptTemplate(f"You guard the code {SECRET}. Be {{{{tone}}}}.", version="v1")
    user = UserPromptTemplate([{"role": "user", "content": "{{message}}"}])
    with neatlogs.trace("turn", kind="AGENT", prompt_template=system, user_prompt_template=user) as turn:
        turn.set_input({"message": f"my secret is {SECRET}"})
        system.compile(tone="kind")
        user.compile(message=f"my secret is {SECRET}")
        lookup(f"where is {SECRET}", {"hint": [SECRET]})
        list(documents(f"code {SECRET}"))
        asyncio.run(agent(f"the code is {SECRET}"))
        for provider in PROVIDERS:
            with provider.client(base_url(provider), False, None) as client:
                provider.plain(client, "policy-" + provider.name)
        turn.set_output(f"kept {SECRET} safe")


def _run(receiver: Any, standins: Any, **settings: Any) -> tuple[list[dict[str, Any]], str]:
    for provider in PROVIDERS:
        pytest.importorskip(provider.library)
    instrumentations = sorted({p.instrumentation for p in PROVIDERS})
    neatlogs.init(endpoint=receiver.endpoint, instrumentations=instrumentations, **settings)
    _program(standins)
    wire = Wire(receiver)
    spans = wire.spans(4 + len(PROVIDERS), scope="neatlogs")
    return spans, wire.raw_text()


def _content(attributes: dict[str, Any]) -> list[str]:
    suffixes = tuple("." + key for key in (sc.MESSAGE_CONTENT, sc.TOOL_CALL_FUNCTION_ARGUMENTS, sc.EMBEDDING_TEXT))
    return [k for k in attributes if k in CONTENT_KEYS or k.endswith(suffixes)]


def test_on_every_recorder_records_its_content(receiver, standins) -> None:
    spans, text = _run(receiver, standins)
    assert text.count(SECRET) > 10
    llm = [s for s in spans if s["attributes"][sc.OPENINFERENCE_SPAN_KIND] == "LLM"]
    assert len(llm) == len(PROVIDERS)
    for span in llm:  # the block's templates reach every LLM span inside it
        assert span["attributes"][sc.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES] == f'{{"message": "my secret is {SECRET}"}}'
        assert SECRET in span["attributes"][sc.LLM_PROMPT_TEMPLATE]
    for span in llm:  # every provider's call in the GenAI message structure too
        a = span["attributes"]
        inputs, outputs = json.loads(a[sc.GEN_AI_INPUT_MESSAGES]), json.loads(a[sc.GEN_AI_OUTPUT_MESSAGES])
        user = [m for m in inputs if m["role"] == "user"][-1]
        assert SECRET in user["parts"][0]["content"] and user["parts"][0]["type"] == "text", span["name"]
        assert outputs[0]["role"] == "assistant" and SECRET in json.dumps(outputs[0]["parts"]), span["name"]
        if sc.GEN_AI_SYSTEM_INSTRUCTIONS in a:  # given apart from the history: not repeated in it
            assert json.loads(a[sc.GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "be brief"}]
            assert "system" not in [m["role"] for m in inputs]
    assert sum(sc.GEN_AI_SYSTEM_INSTRUCTIONS in s["attributes"] for s in llm) >= 3  # anthropic, bedrock, responses...


def test_masked_no_captured_value_reaches_the_wire_in_clear(receiver, standins) -> None:
    spans, text = _run(receiver, standins, mask=_mask)
    assert SECRET not in text
    by_name = {s["name"]: s["attributes"] for s in spans}
    assert by_name["turn"][sc.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES] == '{"message": "my secret is ####"}'
    assert "####" in by_name["lookup"][sc.INPUT_VALUE]
    assert "####" in by_name["documents"][sc.OUTPUT_VALUE]
    assert by_name["agent"][sc.OUTPUT_VALUE] == "agent heard the code is ####"
    assert by_name["turn"][sc.LLM_PROMPT_TEMPLATE_VERSION] == "v1"  # not content: kept as it is
    for provider in PROVIDERS:
        a = next(v for k, v in by_name.items() if k.endswith("policy-" + provider.name))
        assert "####" in a[sc.GEN_AI_INPUT_MESSAGES] and "####" in a[sc.GEN_AI_OUTPUT_MESSAGES], provider.name


def test_off_no_content_key_is_on_the_wire(receiver, standins) -> None:
    spans, text = _run(receiver, standins, capture_content=False)
    assert SECRET not in text
    for span in spans:
        assert _content(span["attributes"]) == [], span["name"]
    by_name = {s["name"]: s["attributes"] for s in spans}
    assert by_name["turn"][sc.LLM_PROMPT_TEMPLATE_VERSION] == "v1"
    assert by_name["lookup"][sc.OPENINFERENCE_SPAN_KIND] == "TOOL"
