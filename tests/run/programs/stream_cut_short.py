"""An unmodified streaming chatbot that stops reading its second answer after a few words
(as a "stop generating" button does), leaving the `with` block early."""

import sys

from openai import OpenAI

client = OpenAI()
history = []
for number, line in enumerate(sys.stdin):
    history.append({"role": "user", "content": line.strip()})
    words = []
    with client.chat.completions.create(model="gpt-4o", messages=history, stream=True) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                words.append(chunk.choices[0].delta.content)
            if number == 1 and len(words) == 3:
                break
    reply = "".join(words)
    history.append({"role": "assistant", "content": reply})
    print(f"Bot: {reply}", flush=True)
