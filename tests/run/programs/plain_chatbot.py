"""An unmodified chatbot: no neatlogs import. Turns come from stdin; the model from OPENAI_BASE_URL."""

import sys

from openai import OpenAI

client = OpenAI()
history = []
while True:
    line = sys.stdin.readline()
    if not line or line.strip() in ("exit", "quit"):
        break
    history.append({"role": "user", "content": line.strip()})
    response = client.chat.completions.create(model="gpt-4o", messages=history)
    reply = response.choices[0].message.content
    history.append({"role": "assistant", "content": reply})
    print(f"Bot: {reply}", flush=True)
