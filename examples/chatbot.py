"""The seed guide's support chatbot: one trace per turn, all turns in one session.

Run it against any OpenAI-compatible server (OPENAI_BASE_URL, OPENAI_API_KEY), e.g. the
stand-in model:  python -m neatlogs_cli.demo.standin_model 8765  then
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 OPENAI_API_KEY=x python examples/chatbot.py
Turns are read from stdin; "exit", "quit" or end of input ends the conversation.
"""

import os

import neatlogs

neatlogs.init(
    # The guide reads both from the environment; unset means the local store (no account).
    api_key=os.environ.get("NEATLOGS_API_KEY"),
    endpoint=os.environ.get("NEATLOGS_ENDPOINT"),
    workflow_name="support-chatbot",
    instrumentations=["openai"],
    auto_session=True,
)
from openai import OpenAI  # noqa: E402 - the guide imports it after init

client = OpenAI()

from neatlogs import PromptTemplate, UserPromptTemplate  # noqa: E402

system_tpl = PromptTemplate([
    {"role": "system", "content": "You are a helpful support assistant. Use the conversation history to give consistent answers."},
])
user_tpl = UserPromptTemplate([
    {"role": "user", "content": "{{message}}"},
])


@neatlogs.span(kind="AGENT", name="chatbot_turn")
def chatbot_turn(message: str, history: list) -> str:
    with neatlogs.trace("respond", kind="LLM",
                        prompt_template=system_tpl,
                        user_prompt_template=user_tpl):
        system_msgs = system_tpl.compile()
        user_msgs = user_tpl.compile(message=message)
        messages = system_msgs + history + user_msgs
        response = client.chat.completions.create(
            model="gpt-4o",
            messages=messages,
        )
        return response.choices[0].message.content


history = []
while True:
    try:
        user_input = input("You: ")
    except EOFError:
        break
    if user_input.lower() in ("exit", "quit"):
        break
    reply = chatbot_turn(user_input, history)
    print(f"Bot: {reply}")
    history.append({"role": "user", "content": user_input})
    history.append({"role": "assistant", "content": reply})
neatlogs.flush()
neatlogs.shutdown()
