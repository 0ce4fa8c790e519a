"""The OpenAI Agents SDK case of ``bench/framework_overhead.py``: one agent turn with one tool call.

An ``agents.Agent`` with one function tool, on the Responses API of the stand-in model (the
real ``openai`` client through ``OpenAIResponsesModel``); one turn is ``Runner.run_sync``:
a model call that asks for the tool, the tool, and a model call that answers. neatlogs
records it through its Agents SDK trace processor (``instrumentations=["openai_agents",
"openai"]``: the SDK's spans and the client calls beneath them); the peer is OpenInference's
``OpenAIAgentsInstrumentor``.

The SDK's own export to OpenAI stays registered, as in a user's program, but sends nothing:
``build_turn`` takes ``OPENAI_API_KEY`` out of this process's environment (the client gets
its key explicitly), and that exporter skips a batch it has no key for.
"""

from __future__ import annotations

import logging
import os
from typing import Callable

__all__ = ["NEATLOGS_INSTRUMENTATION", "OPENINFERENCE_INSTRUMENTOR", "build_turn"]

NEATLOGS_INSTRUMENTATION = "openai_agents"
"""The neatlogs instrumentation this case measures (the runner adds ``openai`` for the client calls)."""

OPENINFERENCE_INSTRUMENTOR = "openinference.instrumentation.openai_agents:OpenAIAgentsInstrumentor"
"""OpenInference's instrumentor of the same framework, ``module:Class``."""

QUESTION = "Where is order 1234?"


def build_turn(base_url: str) -> Callable[[], None]:
    """An agent with one function tool on the stand-in at ``base_url``; returns one turn's function.

    Each call runs one turn (two model calls, one tool call) and checks the tool ran.
    """
    os.environ.pop("OPENAI_API_KEY", None)  # the SDK's trace exporter then sends nothing
    logging.getLogger("openai.agents").setLevel(logging.ERROR)  # nor says so on every batch
    from agents import Agent, OpenAIResponsesModel, Runner, function_tool
    from openai import AsyncOpenAI

    calls = []

    @function_tool
    def lookup_order(query: str) -> str:
        """Look an order up by its number."""
        calls.append(query)
        return f"order {query}: shipped yesterday"

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    agent = Agent(name="Support", instructions="Answer questions about orders.", tools=[lookup_order],
                  model=OpenAIResponsesModel(model="gpt-bench", openai_client=client))

    def turn() -> None:
        before = len(calls)
        result = Runner.run_sync(agent, QUESTION)
        if len(calls) != before + 1 or not result.final_output:
            raise RuntimeError("the agent turn did not call its tool once and answer")

    return turn
