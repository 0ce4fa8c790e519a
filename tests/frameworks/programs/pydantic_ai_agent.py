"""A pydantic-ai agent with one plain tool, answering two user messages through the stand-in model.

Run as a program (``python pydantic_ai_agent.py BASE_URL``) under ``neatlogs run``, or
imported by the in-process tests (``two_turns(base_url)``).
"""

from __future__ import annotations

import sys

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

QUESTIONS = ("What is the weather in Paris? secret-1", "And tomorrow? secret-2")


def make_agent(base_url: str) -> Agent:
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=base_url, api_key="sk-test"))
    agent = Agent(model, name="weather", instructions="Answer briefly. secret-3")

    @agent.tool_plain
    def lookup(query: str) -> str:
        """Look the weather up."""
        return f"sunny for {query} secret-4"

    return agent


def two_turns(base_url: str, agent: Agent | None = None) -> list[str]:
    """Ask both questions, the second with the first's history; return the two answers."""
    agent = agent or make_agent(base_url)
    first = agent.run_sync(QUESTIONS[0])
    second = agent.run_sync(QUESTIONS[1], message_history=first.all_messages())
    return [first.output, second.output]


if __name__ == "__main__":
    for answer in two_turns(sys.argv[1]):
        print(answer)
