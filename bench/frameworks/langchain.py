"""The LangChain case of bench/framework_overhead.py: a ``create_agent`` agent with one tool, one turn."""

from __future__ import annotations

from typing import Callable

from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

__all__ = ["NEATLOGS_INSTRUMENTATION", "OPENINFERENCE_INSTRUMENTOR", "build_turn"]

NEATLOGS_INSTRUMENTATION = "langchain"
OPENINFERENCE_INSTRUMENTOR = "openinference.instrumentation.langchain:LangChainInstrumentor"


@tool
def order_status(query: str) -> str:
    """Look up the status of an order."""
    return f"order {query}: shipped, arriving tomorrow"


def build_turn(base_url: str) -> Callable[[], None]:
    """The agent against the stand-in at ``base_url``; each call is one turn (model, tool, model)."""
    model = ChatOpenAI(model="gpt-bench", base_url=base_url, api_key="sk-bench", max_retries=0)
    agent = create_agent(model, tools=[order_status], system_prompt="You are a shop's support agent.")
    question = {"messages": [{"role": "user", "content": "Where is my order A-1001?"}]}

    def turn() -> None:
        state = agent.invoke(question)
        assert state["messages"][-1].content  # the turn ran to the model's final answer

    return turn
