"""A third-party-style chat loop fed by a pipe (no neatlogs code): the history grows every turn."""

import sys

from openai import OpenAI


def main() -> None:
    client = OpenAI()
    messages = [{"role": "system", "content": "You are a terse support bot."}]
    for line in sys.stdin:
        messages.append({"role": "user", "content": line.strip()})
        answer = client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message.content
        messages.append({"role": "assistant", "content": answer})
        print("Bot:", answer, flush=True)


if __name__ == "__main__":
    main()
