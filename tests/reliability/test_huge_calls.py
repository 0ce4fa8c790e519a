"""Huge calls keep their identity: a 10,000-message call against the stand-in model, in a real program.

Its span keeps its kind, session and user, the system prompt and the latest messages, with a
visible marker where messages were left out; stderr carries no flood of OpenTelemetry's
attribute-limit warnings. Also under the program's own TracerProvider, whose limit is
OpenTelemetry's default of 128 attributes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from neatlogs import semconv

pytest.importorskip("openai")

PROGRAM = textwrap.dedent("""
    import sys, neatlogs
    if sys.argv[2] == "own-provider":
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider())  # OpenTelemetry's default limits: 128 attributes
    neatlogs.init(session_id=sys.argv[1], user_id="user-7")
    import openai

    client = openai.OpenAI()
    messages = [{"role": "system", "content": "You are the parcel desk."}]
    for i in range(9_999):
        role = "user" if i % 2 == 0 else "assistant"
        messages.append({"role": role, "content": f"{role} message {i}"})
    reply = client.chat.completions.create(model="gpt-4o", messages=messages)
    print(reply.choices[0].message.content)
    sys.exit(3)
""")

INPUT = semconv.LLM_INPUT_MESSAGES
MAX_MESSAGES = 100  # the stated bound (instrumentation/_llm/bounds.py)


def run(otlp_receiver, standin_model, tmp_path, mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_", "OPENAI_"))}
    env.update(NEATLOGS_HOME=str(tmp_path / "home"), NEATLOGS_ENDPOINT=otlp_receiver.endpoint,
               OPENAI_BASE_URL=standin_model.base_url, OPENAI_API_KEY="sk-test")
    result = subprocess.run([sys.executable, "-c", PROGRAM, "huge", mode], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 3, result.stderr
    assert "user message 9998" in result.stdout  # the stand-in echoed the last message: the call went through
    [span] = [s for s in otlp_receiver.wait_for(1) if s["name"] == "chat gpt-4o"]
    return span, result.stderr


def messages_of(attributes):
    out = []
    while f"{INPUT}.{len(out)}.{semconv.MESSAGE_ROLE}" in attributes:
        i = len(out)
        out.append((attributes[f"{INPUT}.{i}.{semconv.MESSAGE_ROLE}"],
                    attributes.get(f"{INPUT}.{i}.{semconv.MESSAGE_CONTENT}")))
    return out


def test_ten_thousand_messages_keep_kind_session_user_system_prompt_and_the_latest(otlp_receiver, standin_model,
                                                                                     tmp_path):
    span, stderr = run(otlp_receiver, standin_model, tmp_path, "neatlogs-provider")
    attributes = span["attributes"]
    assert attributes[semconv.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert attributes[semconv.SESSION_ID] == "huge"
    assert attributes[semconv.USER_ID] == "user-7"
    assert attributes[semconv.LLM_MODEL_NAME] == "gpt-4o"
    messages = messages_of(attributes)
    assert len(messages) == MAX_MESSAGES
    assert messages[0] == ("system", "You are the parcel desk.")
    assert messages[1][0] == "system" and "9901 of 10000 messages left out" in messages[1][1]
    assert messages[-1] == ("user", "user message 9998")
    assert messages[2] == ("assistant", "assistant message 9901")  # the most recent, in order
    assert f"{semconv.LLM_OUTPUT_MESSAGES}.0.{semconv.MESSAGE_CONTENT}" in attributes
    assert "Attributes dict is full" not in stderr
    assert stderr.count("\n") <= 1, stderr


def test_under_the_programs_own_provider_the_span_still_keeps_its_identity(otlp_receiver, standin_model, tmp_path):
    span, stderr = run(otlp_receiver, standin_model, tmp_path, "own-provider")
    attributes = span["attributes"]
    assert len(attributes) <= 128  # the program's limit is the program's
    assert attributes[semconv.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert attributes[semconv.SESSION_ID] == "huge"
    assert attributes[semconv.USER_ID] == "user-7"
    messages = messages_of(attributes)
    assert messages[0] == ("system", "You are the parcel desk.")
    assert "left out" in messages[1][1]
    assert messages[-1] == ("user", "user message 9998")
    assert f"{semconv.LLM_OUTPUT_MESSAGES}.0.{semconv.MESSAGE_CONTENT}" in attributes
    assert stderr.count("Attributes dict is full") <= 1, stderr
