"""The seed guide's chatbot, run as a real program, gives the promised trace shape in both exporters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from neatlogs import store

CHATBOT = Path(__file__).resolve().parents[2] / "examples" / "chatbot.py"
TURNS = ["hello", "where is my order?", "thanks"]


def run_chatbot(standin_model, home, endpoint=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_", "OPENAI_"))}
    env.update(NEATLOGS_HOME=str(home), OPENAI_BASE_URL=standin_model.base_url, OPENAI_API_KEY="x")
    if endpoint:
        env["NEATLOGS_ENDPOINT"] = endpoint
    result = subprocess.run([sys.executable, str(CHATBOT)], input="\n".join(TURNS) + "\nexit\n",
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Bot: [stand-in model]") == 3
    return result


def check_shape(spans):
    """One trace per turn: AGENT chatbot_turn -> LLM respond, one session for all."""
    roots = sorted((s for s in spans if s["parent_span_id"] is None), key=lambda s: s["start_time_ns"])
    assert [r["name"] for r in roots] == ["chatbot_turn"] * 3
    assert len({s["trace_id"] for s in spans}) == 3
    sessions = {s["attributes"].get("session.id") for s in spans}
    assert len(sessions) == 1 and None not in sessions
    assert all(s["attributes"]["gen_ai.conversation.id"] == s["attributes"]["session.id"] for s in spans)
    for turn, root in zip(TURNS, roots):
        attrs = root["attributes"]
        assert attrs["openinference.span.kind"] == "AGENT"
        assert json.loads(attrs["input.value"])["message"] == turn
        assert "history" in json.loads(attrs["input.value"])
        assert attrs["output.value"].startswith("[stand-in model]") and repr(turn) in attrs["output.value"]
        children = [s for s in spans if s["parent_span_id"] == root["span_id"]]
        assert [c["name"] for c in children] == ["respond"]
        respond = children[0]["attributes"]
        assert respond["openinference.span.kind"] == "LLM"
        assert json.loads(respond["llm.prompt_template.template"])[0]["role"] == "system"
        assert json.loads(respond["neatlogs.user_prompt_template.template"]) == [{"role": "user", "content": "{{message}}"}]
        assert json.loads(respond["neatlogs.user_prompt_template.variables"]) == {"message": turn}
    return roots


def test_seed_chatbot_to_the_local_store(standin_model, tmp_path):
    result = run_chatbot(standin_model, tmp_path)
    assert "neatlogs:" not in result.stderr  # instrumentations=["openai"] is accepted quietly
    conn = store.connect(str(tmp_path / "traces.db"))
    spans = [s.to_json() for s in store.iter_spans(conn)]
    check_shape(spans)
    assert all(s["service_name"] == "support-chatbot" for s in spans)
    summary = store.list_sessions(conn)
    assert len(summary) == 1 and summary[0].trace_count == 3


def test_seed_chatbot_over_otlp(standin_model, otlp_receiver, tmp_path):
    run_chatbot(standin_model, tmp_path, endpoint=otlp_receiver.endpoint)
    spans = otlp_receiver.wait_for(6)
    check_shape(spans)
    assert all(s["resource"]["service.name"] == "support-chatbot" for s in spans)
    assert not (tmp_path / "traces.db").exists()
