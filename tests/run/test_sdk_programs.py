"""Programs written for the neatlogs SDK, run both as ``python demo.py`` and under ``neatlogs run``, then
read back through ``neatlogs show`` (text and ``--json``) and the dashboard (issue 16 point 6)."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
from run_support import PROGRAMS

from neatlogs import semconv
from neatlogs_cli.ui import DashboardServer

SDK_PROGRAMS = PROGRAMS / "sdk"
WAYS = ["python", "neatlogs run"]


@pytest.fixture
def sdk_env(traced_venv, standin_model, tmp_path):
    home = tmp_path / "home"
    env = traced_venv.env(NEATLOGS_HOME=str(home), OPENAI_BASE_URL=standin_model.base_url, OPENAI_API_KEY="sk-test")
    return env, home / "traces.db"


def _run(venv, env, program: str, way: str) -> str:
    command = ["python", str(SDK_PROGRAMS / program)]
    if way == "neatlogs run":
        command = [venv.neatlogs, "run", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "Bot:" in result.stdout
    return result.stdout


def _neatlogs(venv, env, *args: str) -> str:
    result = subprocess.run([venv.neatlogs, *args], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _only_entry(venv, env) -> str:
    (entry,) = json.loads(_neatlogs(venv, env, "sessions", "--json"))
    return entry["session_id"]


def _spans(shown: dict) -> dict[str, dict]:
    return {s["name"]: s for t in shown["traces"] for s in t["spans"]}


def _dashboard_session_page(db_path, session_id: str) -> str:
    with DashboardServer(str(db_path)) as dashboard:
        with urllib.request.urlopen(f"{dashboard.url}/sessions/{session_id}", timeout=30) as reply:
            assert reply.status == 200
            return reply.read().decode()


@pytest.mark.parametrize("way", WAYS)
def test_orchestrator_shows_its_tool_agent_template_and_wrap(traced_venv, sdk_env, way):
    env, db = sdk_env
    _run(traced_venv, env, "orchestrator.py", way)
    entry = _only_entry(traced_venv, env)
    shown = json.loads(_neatlogs(traced_venv, env, "show", entry, "--json"))
    (turn,) = shown["turns"]
    assert turn["user_text"] == "Where is my order?"  # the agent's question, not its JSON input
    assert turn["reply_text"] and turn["tokens"] > 0
    spans = _spans(shown)
    tool, agent = spans["lookup_order"]["attributes"], spans["answer"]["attributes"]
    assert (tool[semconv.TOOL_NAME], tool[semconv.TOOL_DESCRIPTION]) == ("lookup_order", "Find an order by its id")
    assert agent[semconv.AGENT_NAME] == agent[semconv.NEATLOGS_AGENT_ROLE] == "support agent"
    assert agent[semconv.NEATLOGS_AGENT_GOAL] == "resolve the customer's question"
    llm = next(s["attributes"] for s in spans.values() if s["name"].startswith("chat "))
    assert llm[semconv.LLM_PROMPT_TEMPLATE] == "You are {{persona}}. Answer in one line."
    assert json.loads(llm[semconv.LLM_PROMPT_TEMPLATE_VARIABLES]) == {"persona": "a helpful clerk"}
    assert llm[semconv.LLM_PROMPT_TEMPLATE_VERSION] == "v2"
    text = _neatlogs(traced_venv, env, "show", entry)
    for shown in ("tool: lookup_order", "description: Find an order by its id", 'arguments: {"order_id": "A-17"}',
                  "agent: support agent", "role: support agent", "goal: resolve the customer's question"):
        assert shown in text, text
    page = _dashboard_session_page(db, entry)
    assert "<dt>tool</dt><dd><pre>lookup_order</pre></dd>" in page
    assert "<dt>goal</dt><dd><pre>resolve the customer&#39;s question</pre></dd>" in page


@pytest.mark.parametrize("way", WAYS)
def test_rag_pipeline_shows_queries_and_documents_from_both_conventions(traced_venv, sdk_env, way):
    env, db = sdk_env
    _run(traced_venv, env, "rag.py", way)
    entry = _only_entry(traced_venv, env)
    spans = _spans(json.loads(_neatlogs(traced_venv, env, "show", entry, "--json")))
    search = spans["search"]["attributes"]
    assert search[semconv.RETRIEVAL_QUERY] == "When will my order ship?"
    assert search["retrieval.documents.1.document.content"] == "Returns are free for 30 days."
    text = _neatlogs(traced_venv, env, "show", entry)
    assert text.count("documents (2)") == 2  # the decorated retriever and the one setting neatlogs.retrieval.*
    assert "reranked documents (1)" in text and "model: rerank-lite" in text
    assert "0.910 [doc-1] Orders ship within two days." in text
    page = _dashboard_session_page(db, entry)
    assert page.count("Documents (2)") == 2 and "Reranked documents (1)" in page
    assert '<span class="score">score 0.420</span>' in page


@pytest.mark.parametrize("way", WAYS)
def test_identify_puts_each_end_user_in_their_own_session(traced_venv, sdk_env, way):
    env, _ = sdk_env
    _run(traced_venv, env, "two_users.py", way)
    listed = {s["session_id"]: s for s in json.loads(_neatlogs(traced_venv, env, "sessions", "--json"))}
    assert set(listed) == {"chat-alice", "chat-bob"}
    for user in ("alice", "bob"):
        shown = json.loads(_neatlogs(traced_venv, env, "show", f"chat-{user}", "--json"))
        spans = [s for t in shown["traces"] for s in t["spans"]]
        assert {s["attributes"].get(semconv.USER_ID) for s in spans} == {user}
        assert shown["turn_count"] == 1


@pytest.mark.parametrize("way", WAYS)
def test_a_back_end_continuing_a_trace_under_its_own_conversation_counts_its_turn(traced_venv, sdk_env, way):
    env, _ = sdk_env
    _run(traced_venv, env, "two_services.py", way)
    listed = {s["session_id"]: s for s in json.loads(_neatlogs(traced_venv, env, "sessions", "--json"))}
    backend = listed["conv-carol"]
    assert (backend["trace_count"], backend["turn_count"], backend["user_id"]) == (1, 1, "carol")
    text = _neatlogs(traced_venv, env, "show", "conv-carol")
    assert "1 turn " in text and "You: What is the refund policy?" in text, text
    found = json.loads(_neatlogs(traced_venv, env, "show", "conv-carol", "--json"))
    assert found["turn_count"] == len(found["turns"]) == 1
    # The back end's root is the span its trace context arrived on, and says so.
    assert [(s["name"], s["parent_is_remote"]) for t in found["traces"] for s in t["spans"]
            if s["parent_is_remote"]] == [("backend.answer", True)]


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return json.loads(reply.read())


@pytest.mark.parametrize("way", WAYS)
def test_a_back_end_session_counts_the_same_trace_and_turn_in_every_view(traced_venv, sdk_env, way):
    env, db = sdk_env
    _run(traced_venv, env, "two_services.py", way)
    listed = {s["session_id"]: s for s in json.loads(_neatlogs(traced_venv, env, "sessions", "--json"))}
    assert (listed["conv-carol"]["trace_count"], listed["conv-carol"]["turn_count"]) == (1, 1)
    # The traces list: one trace in the back end's session, named by the back end's own root.
    traces = [t for t in json.loads(_neatlogs(traced_venv, env, "traces", "--json")) if t["session_id"] == "conv-carol"]
    assert [t["name"] for t in traces] == ["backend.answer"], traces
    shown = json.loads(_neatlogs(traced_venv, env, "show", "conv-carol", "--json"))
    assert (len(shown["traces"]), shown["turn_count"], len(shown["turns"])) == (1, 1, 1)
    assert shown["turns"][0]["trace_ids"] == [traces[0]["trace_id"]]
    with DashboardServer(str(db)) as dashboard:
        api = _get_json(f"{dashboard.url}/api/sessions/conv-carol")
        assert (api["trace_count"], api["turn_count"], len(api["traces"])) == (1, 1, 1)
        listed_api = [t for t in _get_json(f"{dashboard.url}/api/traces")["traces"] if t["session_id"] == "conv-carol"]
        assert [(t["trace_id"], t["name"]) for t in listed_api] == [(traces[0]["trace_id"], "backend.answer")]
        with urllib.request.urlopen(f"{dashboard.url}/sessions/conv-carol", timeout=30) as reply:
            page = reply.read().decode()
    assert page.count('<li class="turn') == 1 and "1 turn<" in page, page


@pytest.mark.parametrize("way", WAYS)
def test_log_records_show_under_their_span_in_the_terminal(traced_venv, sdk_env, way):
    env, _ = sdk_env
    _run(traced_venv, env, "helpdesk_logs.py", way)
    text = _neatlogs(traced_venv, env, "show", "conv-alice")
    assert "2 turns" in text and "You: Thanks, and my username?" in text
    assert text.count("log info: handling message from alice") == 2, text
    assert "answered with" not in text  # a debug record under log_level="info" is not kept
