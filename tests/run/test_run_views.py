"""Third-party programs (no neatlogs code) traced by ``neatlogs run`` into the local store, then read
back by ``neatlogs show --json``, ``neatlogs sessions --json`` and the view model: turns are user messages."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
from run_support import PROGRAMS

from neatlogs import store
from neatlogs_cli.timeline import build_turns
from neatlogs_cli.ui import DashboardServer

TWO_MESSAGES = "Where is my order?\nThanks, and the invoice?\n"


@pytest.fixture
def local_env(traced_venv, standin_model, tmp_path):
    home = tmp_path / "home"
    env = traced_venv.env(NEATLOGS_HOME=str(home), OPENAI_BASE_URL=standin_model.base_url, OPENAI_API_KEY="sk-test")
    return env, home / "traces.db"


def _run(venv, env, program: str) -> None:
    result = subprocess.run([venv.neatlogs, "run", "--", "python", str(PROGRAMS / program)], input=TWO_MESSAGES,
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Bot: ") == 2


def _neatlogs_json(venv, env, *args: str):
    result = subprocess.run([venv.neatlogs, *args, "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _session(venv, env):
    (listed,) = _neatlogs_json(venv, env, "sessions")
    shown = _neatlogs_json(venv, env, "show", listed["session_id"][:8])
    detail = store.SessionDetail(**{k: v for k, v in shown.items() if k not in ("traces", "turns")}, traces=[
        store.TraceSpans(t["trace_id"], [store.SpanRecord(**{k: v for k, v in s.items()
                                                             if k not in ("session_id", "service_name")})
                                         for s in t["spans"]])
        for t in shown["traces"]])
    return listed, detail


def test_a_tool_calling_loop_of_two_user_messages_is_two_turns(traced_venv, local_env):
    env, _ = local_env
    _run(traced_venv, env, "tool_loop.py")
    listed, session = _session(traced_venv, env)
    assert (listed["trace_count"], listed["turn_count"]) == (4, 2)  # 4 root model calls, 2 user messages
    turns = build_turns(session.traces)
    assert [t.user_text for t in turns] == ["Where is my order?", "Thanks, and the invoice?"]
    assert [len(t.trace_ids) for t in turns] == [2, 2]
    assert all(t.reply_text and not t.reply_text.startswith("(calls") for t in turns)
    assert sum(t.tokens for t in turns) == listed["token_count"] > 0


def test_a_pipe_fed_chat_loop_shows_the_users_words_not_the_request(traced_venv, local_env):
    env, _ = local_env
    _run(traced_venv, env, "pipe_chat.py")
    listed, session = _session(traced_venv, env)
    turns = build_turns(session.traces)
    assert listed["turn_count"] == len(turns) == 2
    assert [t.user_text for t in turns] == ["Where is my order?", "Thanks, and the invoice?"]


def test_a_stream_the_program_stopped_reading_is_marked_in_every_view(traced_venv, local_env):
    env, db = local_env
    _run(traced_venv, env, "stream_cut_short.py")
    listed, session = _session(traced_venv, env)
    shown = _neatlogs_json(traced_venv, env, "show", listed["session_id"])
    assert [t["stream_incomplete"] for t in shown["turns"]] == [False, True]
    assert shown["turns"][1]["reply_text"] == "[stand-in model] Turn"  # what arrived before the break
    result = subprocess.run([traced_venv.neatlogs, "show", listed["session_id"]], capture_output=True, text=True,
                            timeout=60, env=env)
    first, second = result.stdout.split("Turn 2 ")
    assert "stream ended early" not in first
    assert second.count("stream ended early") == 2, result.stdout  # the turn's line and its model call's
    with DashboardServer(str(db)) as dashboard:
        with urllib.request.urlopen(f"{dashboard.url}/sessions/{listed['session_id']}", timeout=30) as reply:
            page = reply.read().decode()
    assert page.count('class="stream-incomplete"') == 2
