"""An orchestration loop written the way neatlogs SDK users write it: wrap, TOOL and AGENT spans, templates."""

import os

from openai import OpenAI

import neatlogs

neatlogs.init(api_key=os.environ.get("NEATLOGS_API_KEY", "demo-key"), workflow_name="orchestrator", tags=["demo"])
client = neatlogs.wrap(OpenAI(), team="support")

SYSTEM = neatlogs.SystemPromptTemplate("You are {{persona}}. Answer in one line.", version="v2")


@neatlogs.span(kind="TOOL", tool_name="lookup_order", description="Find an order by its id")
def lookup_order(order_id: str) -> dict:
    return {"order_id": order_id, "status": "shipped"}


@neatlogs.span(kind="AGENT", role="support agent", goal="resolve the customer's question")
def answer(question: str) -> str:
    order = lookup_order("A-17")
    with neatlogs.trace("reply", kind="LLM", system_prompt_template=SYSTEM,
                        system_prompt_variables={"persona": "a helpful clerk"}):
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": SYSTEM.compile(persona="a helpful clerk")},
                      {"role": "user", "content": f"{question} (status: {order['status']})"}],
        )
    return reply.choices[0].message.content


print("Bot:", answer("Where is my order?"))
neatlogs.flush()
