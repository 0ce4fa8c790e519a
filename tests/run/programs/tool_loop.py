"""A third-party-style tool-calling chat loop (no neatlogs code): one line of stdin per user message.

Each user message: a model call that asks for a tool, the tool's result sent back, a second
model call that answers. Every call is its own root trace; the views must show one turn each.
"""

import json
import sys

from openai import OpenAI

TOOLS = [{"type": "function", "function": {
    "name": "lookup_order", "description": "Find an order.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}]


def main() -> None:
    client = OpenAI()
    messages = [{"role": "system", "content": "You help with orders."}]
    for line in sys.stdin:
        messages.append({"role": "user", "content": line.strip()})
        first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
        reply = first.choices[0].message
        messages.append({"role": "assistant", "content": reply.content, "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in reply.tool_calls or []]})
        for call in reply.tool_calls or []:
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": json.dumps({"order": "A-1", "status": "shipped"})})
        second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
        answer = second.choices[0].message.content
        messages.append({"role": "assistant", "content": answer})
        print("Bot:", answer, flush=True)


if __name__ == "__main__":
    main()
