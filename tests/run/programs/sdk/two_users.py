"""A support bot written for the neatlogs SDK serving two end users, each in their own session."""

from openai import OpenAI

import neatlogs

neatlogs.init(workflow_name="support-bot")
client = OpenAI()

for user, question in (("alice", "Where is my order?"), ("bob", "Can I return my shoes?")):
    with neatlogs.identify(session_id=f"chat-{user}", end_user_id=user, end_user_metadata={"plan": "pro"}):
        with neatlogs.trace("turn", kind="AGENT") as span:
            span.set_input(question)
            reply = client.chat.completions.create(model="gpt-4o-mini",
                                                   messages=[{"role": "user", "content": question}])
            span.set_output(reply.choices[0].message.content)
    print("Bot:", reply.choices[0].message.content)
neatlogs.flush()
