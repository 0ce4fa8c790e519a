"""pydantic-ai: a real Agent with a plain tool, against the stand-in model, traced through its own GenAI spans.

The agent is ``OpenAIChatModel`` + ``OpenAIProvider(base_url=<stand-in>/v1)``: pydantic-ai's
spans (``invoke_agent``, ``chat``, ``execute_tool``) and the openai client's span under each
``chat`` land in one trace per run; the store reads them as AGENT / LLM / TOOL and counts
each model call's tokens once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent  # noqa: E402

import neatlogs  # noqa: E402
from neatlogs import semconv, store  # noqa: E402
from neatlogs_cli.timeline import build_turns  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "programs"))
from pydantic_ai_agent import QUESTIONS, make_agent, two_turns  # noqa: E402

PROGRAM = Path(__file__).parent / "programs" / "pydantic_ai_agent.py"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def _local_store() -> str:
    return os.path.join(os.environ["NEATLOGS_HOME"], "traces.db")


def _only_session(db: str) -> store.SessionDetail:
    conn = store.connect(db)
    try:
        [summary] = store.list_sessions(conn)
        detail = store.get_session(conn, summary.session_id)
    finally:
        conn.close()
    assert detail is not None
    return detail


def _parent_kinds(detail: store.SessionDetail) -> list[tuple[str | None, str | None]]:
    """(span kind, its parent's kind) for every span of the session."""
    out = []
    for trace in detail.traces:
        by_id = {s.span_id: s for s in trace.spans}
        for span in trace.spans:
            parent = by_id.get(span.parent_span_id or "")
            out.append((span.kind, parent.kind if parent else None))
    return out


def test_two_turns_with_a_tool_show_agent_llm_and_tool_spans(standin_model):
    neatlogs.init(auto_session=True)
    answers = two_turns(standin_model.base_url)
    assert all("stand-in" in a for a in answers)
    assert neatlogs.flush()

    detail = _only_session(_local_store())
    assert detail.turn_count == 2
    assert len(detail.traces) == 2  # one trace per run of the agent
    turns = build_turns(detail.traces)
    assert [t.user_text for t in turns] == list(QUESTIONS)
    assert [t.reply_text for t in turns] == answers

    spans = [s for t in detail.traces for s in t.spans]
    roots = [s for s in spans if s.parent_span_id is None]
    assert [(r.kind, r.attributes[semconv.GEN_AI_AGENT_NAME]) for r in roots] == [("AGENT", "weather")] * 2
    tools = [s for s in spans if s.kind == "TOOL"]
    assert len(tools) == 2
    assert {t.attributes[semconv.GEN_AI_TOOL_NAME] for t in tools} == {"lookup"}
    assert json.loads(tools[0].attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"query": "stand-in"}
    assert "sunny for stand-in" in tools[0].attributes[semconv.GEN_AI_TOOL_CALL_RESULT]

    # Each model request: pydantic-ai's chat span (LLM) with the openai client's span (LLM) inside it.
    pairs = _parent_kinds(detail)
    assert pairs.count(("LLM", "AGENT")) == 4 and pairs.count(("LLM", "LLM")) == 4
    assert pairs.count(("TOOL", "AGENT")) == 2
    # Tokens once: the inner (client) spans' totals, not the framework span's repeat of them.
    client_tokens = sum(store.token_counts(s.attributes).total for s in spans  # type: ignore[union-attr]
                        if s.kind == "LLM" and s.span_kind == "CLIENT" and s.name.startswith("chat ")
                        and semconv.LLM_TOKEN_COUNT_TOTAL in s.attributes)
    assert client_tokens > 0
    assert detail.token_count == client_tokens
    assert sum(t.tokens for t in turns) == client_tokens


def _wire_values(spans: list[dict[str, Any]]) -> str:
    return json.dumps([s["attributes"] for s in spans] + [s["status_message"] for s in spans])


def test_capture_off_sends_no_content_on_the_wire(standin_model, otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint, capture_content=False)
    two_turns(standin_model.base_url)
    assert neatlogs.flush()
    spans = otlp_receiver.spans()
    assert {s["scope"] for s in spans} >= {"pydantic-ai", "neatlogs"}
    wire = _wire_values(spans)
    assert "secret" not in wire and "sunny" not in wire and "Paris" not in wire
    # The shape stays: roles and the tool's name, never what was said.
    chat = next(s for s in spans if s["scope"] == "pydantic-ai" and s["name"].startswith("chat "))
    assert json.loads(chat["attributes"][semconv.GEN_AI_INPUT_MESSAGES])[0]["role"] == "user"
    tool = next(s for s in spans if s["scope"] == "pydantic-ai" and s["name"].startswith("execute_tool"))
    assert tool["attributes"][semconv.GEN_AI_TOOL_NAME] == "lookup"
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in tool["attributes"]


def test_capture_turned_off_after_the_hook_still_sends_no_content(standin_model, otlp_receiver):
    """The program's own init(capture_content=False) after the bootstrap's: our processor drops what pydantic-ai set."""
    neatlogs.init(endpoint=otlp_receiver.endpoint)
    neatlogs.init(endpoint=otlp_receiver.endpoint, capture_content=False)
    two_turns(standin_model.base_url)
    assert neatlogs.flush()
    wire = _wire_values(otlp_receiver.spans())
    assert "secret" not in wire and "sunny" not in wire


def test_the_mask_reaches_pydantic_ai_content_on_the_wire(standin_model, otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint, mask=lambda text: text.replace("secret", "[MASKED]"))
    two_turns(standin_model.base_url)
    assert neatlogs.flush()
    spans = otlp_receiver.spans()
    wire = _wire_values(spans)
    assert "secret" not in wire
    pydantic = [s for s in spans if s["scope"] == "pydantic-ai"]
    chat = next(s for s in pydantic if s["name"].startswith("chat "))
    messages = json.loads(chat["attributes"][semconv.GEN_AI_INPUT_MESSAGES])  # still JSON after masking
    assert messages[0]["parts"][0]["content"] == QUESTIONS[0].replace("secret", "[MASKED]")
    assert "[MASKED]-3" in chat["attributes"][semconv.GEN_AI_SYSTEM_INSTRUCTIONS]
    tool = next(s for s in pydantic if s["name"].startswith("execute_tool"))
    assert tool["attributes"][semconv.GEN_AI_TOOL_CALL_RESULT] == "sunny for stand-in [MASKED]-4"


def test_wrap_turns_instrumentation_on_for_one_agent(standin_model):
    neatlogs.init(instrumentations=["openai"])  # no pydantic_ai hook: only wrap() turns it on
    assert not Agent._instrument_default
    plain = make_agent(standin_model.base_url)
    wrapped = neatlogs.wrap(make_agent(standin_model.base_url))
    plain.run_sync("untraced agent")
    wrapped.run_sync("traced agent")
    assert neatlogs.flush()
    names = [s.name for t in _only_session_traces() for s in t.spans]
    assert "invoke_agent weather" in names
    assert sum(name == "invoke_agent weather" for name in names) == 1


def _only_session_traces() -> list[store.TraceSpans]:
    conn = store.connect(_local_store())
    try:
        traces = []
        for summary in store.list_sessions(conn):
            detail = store.get_session(conn, summary.session_id)
            assert detail is not None
            traces.extend(detail.traces)
        return traces
    finally:
        conn.close()


def test_under_neatlogs_run_the_agent_shows_in_show_json(standin_model, tmp_path):
    neatlogs_command = os.path.join(os.path.dirname(sys.executable), "neatlogs")
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    env.pop("PYTHONPATH", None)
    run = subprocess.run([neatlogs_command, "run", "--", sys.executable, str(PROGRAM), standin_model.base_url],
                         capture_output=True, text=True, timeout=180, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("stand-in") == 2
    listed = subprocess.run([neatlogs_command, "sessions", "--json"], capture_output=True, text=True, timeout=60,
                            env=env)
    [session] = json.loads(listed.stdout)
    shown = subprocess.run([neatlogs_command, "show", session["session_id"], "--json"], capture_output=True,
                           text=True, timeout=60, env=env)
    detail = json.loads(shown.stdout)
    assert detail["turn_count"] == 2
    assert [t["user_text"] for t in detail["turns"]] == list(QUESTIONS)
    assert all("stand-in" in (t["reply_text"] or "") and t["tokens"] > 0 for t in detail["turns"])
    kinds = [s["kind"] for t in detail["traces"] for s in t["spans"]]
    assert kinds.count("AGENT") == 2 and kinds.count("TOOL") == 2 and kinds.count("LLM") == 8
    tool = next(s for t in detail["traces"] for s in t["spans"] if s["kind"] == "TOOL")
    assert tool["attributes"][semconv.GEN_AI_TOOL_NAME] == "lookup"
    assert all(s["session_id"] == session["session_id"] for t in detail["traces"] for s in t["spans"])
