"""Two services in one program, written for the neatlogs SDK: the front end passes its W3C trace
context in request headers, the back end continues the trace under the conversation's own id."""

from openai import OpenAI

import neatlogs

neatlogs.init(workflow_name="two-services")
client = OpenAI()


def backend(headers: dict, question: str) -> str:
    with neatlogs.extract_trace_context(headers, session_id="conv-carol", end_user_id="carol"):
        with neatlogs.trace("backend.answer", kind="CHAIN"):
            reply = client.chat.completions.create(model="gpt-4o-mini",
                                                   messages=[{"role": "user", "content": question}])
            return reply.choices[0].message.content


@neatlogs.span(kind="WORKFLOW")
def frontend(question: str) -> str:
    headers: dict = {}
    neatlogs.inject_trace_context(headers)
    return backend(headers, question)


print("Bot:", frontend("What is the refund policy?"))
