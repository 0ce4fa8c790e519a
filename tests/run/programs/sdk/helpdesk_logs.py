"""A help desk written for the neatlogs SDK: wrap(client), identify() per conversation, log() records."""

from openai import OpenAI

import neatlogs

neatlogs.init(workflow_name="helpdesk", capture_logs=True, log_level="info")
client = neatlogs.wrap(OpenAI(), team="helpdesk")


def handle(user: str, conversation: str, text: str) -> str:
    with neatlogs.identify(session_id=conversation, end_user_id=user, end_user_metadata={"plan": "pro"}):
        with neatlogs.trace("handle_message", kind="CHAIN"):
            neatlogs.log("handling message from {user}", user=user, length=len(text))
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
            answer = reply.choices[0].message.content
            neatlogs.log("answered with {n} chars", level="debug", n=len(answer))  # below log_level: dropped
            return answer


print("Bot:", handle("alice", "conv-alice", "Reset my password please"))
print("Bot:", handle("alice", "conv-alice", "Thanks, and my username?"))
neatlogs.flush()
