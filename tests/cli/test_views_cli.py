"""`neatlogs sessions` and `neatlogs show` as a user runs them: real subprocesses, a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from neatlogs import semconv, store


def neatlogs(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neatlogs_cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)


def record(session_id: str, trace: int, span: int, parent: int | None, name: str, kind: str, start: int,
           **attributes) -> store.SpanRecord:
    return store.SpanRecord(
        trace_id=f"{trace:032x}", span_id=f"{span:016x}", parent_span_id=f"{parent:016x}" if parent else None,
        name=name, kind=kind, span_kind="CLIENT" if name.startswith("chat") else "INTERNAL",
        start_time_ns=start, end_time_ns=start + 250_000_000,
        attributes={semconv.SESSION_ID: session_id, semconv.OPENINFERENCE_SPAN_KIND: kind, **attributes},
        resource={semconv.SERVICE_NAME: "support-chatbot"},
    )


@pytest.fixture
def seeded() -> str:
    """A store in $NEATLOGS_HOME with two sessions; returns the chatty one's id."""
    path = os.path.join(os.environ["NEATLOGS_HOME"], "traces.db")
    conn = store.connect(path)
    base = 1_700_000_000_000_000_000
    records = [record("0ther-session", 9, 90, None, "turn", "AGENT", base)]
    for turn, (user, reply) in enumerate([("Hello [red]there[/red]", "Hi!"), ("Bye", "Goodbye")]):
        start = base + (turn + 1) * 10**9
        records += [
            record("c0ffee-42", turn + 1, turn * 10 + 1, None, "chatbot_turn", "AGENT", start,
                   **{semconv.INPUT_VALUE: user, semconv.OUTPUT_VALUE: reply}),
            record("c0ffee-42", turn + 1, turn * 10 + 2, turn * 10 + 1, "respond", "LLM", start + 1000),
            record("c0ffee-42", turn + 1, turn * 10 + 3, turn * 10 + 2, "chat gpt-4o", "LLM", start + 2000,
                   **{semconv.LLM_TOKEN_COUNT_TOTAL: 12}),
        ]
    store.insert_spans(conn, records)
    conn.close()
    return "c0ffee-42"


def test_sessions_lists_newest_first(seeded):
    result = neatlogs("sessions")
    assert result.returncode == 0, result.stderr
    assert result.stdout.index("c0ffee-42") < result.stdout.index("0ther-session")
    assert "support-chatbot" in result.stdout
    listed = json.loads(neatlogs("sessions", "--json", "--limit", "1").stdout)
    assert [(s["session_id"], s["trace_count"], s["token_count"]) for s in listed] == [("c0ffee-42", 2, 24)]


def test_sessions_on_an_empty_home_says_so():
    result = neatlogs("sessions")
    assert result.returncode == 0 and "No sessions" in result.stdout and "neatlogs demo" in result.stdout
    assert neatlogs("sessions", "--json").stdout.strip() == "[]"


def test_show_prints_turns_in_order_with_span_trees(seeded):
    result = neatlogs("show", "c0f")  # a unique prefix is enough
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("Turn 1") < out.index("Hello [red]there[/red]") < out.index("Hi!") < out.index("Turn 2") < out.index("Goodbye")
    assert "AGENT chatbot_turn" in out and "LLM respond" in out and "LLM chat gpt-4o (client)" in out
    assert "12 tokens" in out


def test_show_json_is_the_api_shape(seeded):
    data = json.loads(neatlogs("show", "c0ffee-42", "--json").stdout)
    assert data["session_id"] == "c0ffee-42"
    assert [[s["name"] for s in t["spans"]] for t in data["traces"]] == [["chatbot_turn", "respond", "chat gpt-4o"]] * 2


@pytest.mark.parametrize("prefix, message", [
    ("nope", "neatlogs: no session or trace matches 'nope'; `neatlogs sessions` and `neatlogs traces` list them\n"),
    ("", "neatlogs: '' matches more than one session or trace; give more of the id\n"),
])
def test_show_unknown_or_ambiguous_id_is_one_line_and_exit_1(seeded, prefix, message):
    result = neatlogs("show", prefix)
    assert (result.returncode, result.stderr, result.stdout) == (1, message, "")


def test_show_without_a_store_is_one_line_and_exit_1():
    result = neatlogs("show", "abc")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no store at" in result.stderr


def test_show_indents_the_later_lines_of_a_message_under_its_first():
    path = os.path.join(os.environ["NEATLOGS_HOME"], "traces.db")
    conn = store.connect(path)
    store.insert_spans(conn, [record("lines-1", 1, 1, None, "chatbot_turn", "AGENT", 1_700_000_000_000_000_000,
                                     **{semconv.INPUT_VALUE: "Two things:\nfirst\nsecond",
                                        semconv.OUTPUT_VALUE: "Done:\n- one"})])
    conn.close()
    lines = neatlogs("show", "lines-1").stdout.splitlines()
    start = lines.index("  You: Two things:")
    assert lines[start + 1:start + 3] == ["       first", "       second"]
    assert lines[lines.index("  Bot: Done:") + 1] == "       - one"
