"""`neatlogs stats`, `prune`, `delete`, `export` and `import` as a user runs them, on real SQLite files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

from neatlogs import semconv, store
from neatlogs_cli.ui import DashboardServer

OLD = 1_700_000_000_000_000_000  # 2023: older than any --older-than a test gives
BIG = "lorem ipsum " * 400


def _turn(session: str | None, n: int, start: int, question: str = "hello") -> list[store.SpanRecord]:
    """A turn: an AGENT root over a model call reporting 30 tokens."""
    trace_id, root, child = f"{n:032x}", f"{n * 2:016x}", f"{n * 2 + 1:016x}"
    common = {semconv.SESSION_ID: session} if session else {}
    return [
        store.SpanRecord(trace_id, root, None, "turn", start, start + 1000, kind="AGENT", span_kind="INTERNAL",
                         resource={semconv.SERVICE_NAME: "bot"},
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "AGENT", semconv.INPUT_VALUE: question,
                                     semconv.OUTPUT_VALUE: BIG}),
        store.SpanRecord(trace_id, child, root, "chat gpt-4o", start + 10, start + 900, kind="LLM",
                         span_kind="CLIENT", resource={semconv.SERVICE_NAME: "bot"},
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM", semconv.LLM_TOKEN_COUNT_TOTAL: 30}),
    ]


def _seed(path: str) -> None:
    conn = store.connect(path)
    now = time.time_ns()
    spans = [s for n in range(1, 301) for s in _turn("old-chat", n, OLD + n * 10**6, "ancient question")]
    spans += _turn("new-chat", 1001, now, "where is my order") + _turn("new-chat", 1002, now + 10**6)
    spans += _turn(None, 2001, now + 2 * 10**6, "lonely")
    store.insert_spans(conn, spans)
    conn.close()


def neatlogs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neatlogs_cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_stats_then_prune_deletes_old_sessions_whole_and_gives_the_space_back(tmp_path):
    db = str(tmp_path / "traces.db")
    _seed(db)
    before = json.loads(neatlogs("stats", "--json", "--db", db).stdout)
    assert (before["span_count"], before["trace_count"], before["session_count"]) == (606, 303, 3)
    assert before["oldest_start_ns"] == OLD + 10**6
    result = neatlogs("prune", "--older-than", "30d", "--db", db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pruned 1 session (600 spans) older than 30d;")
    after = json.loads(neatlogs("stats", "--json", "--db", db).stdout)
    assert (after["span_count"], after["session_count"]) == (6, 2)
    assert after["file_bytes"] < before["file_bytes"] / 4  # VACUUM gave the space back
    conn = store.connect(db)
    assert store.list_sessions(conn, search="ancient") == []  # its search text went too
    assert [s.session_id for s in store.list_sessions(conn, search="order")] == ["new-chat"]
    conn.close()


def test_bad_ages_and_missing_stores_are_one_line(tmp_path):
    db = str(tmp_path / "traces.db")
    _seed(db)
    bad = neatlogs("prune", "--older-than", "30", "--db", db)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "neatlogs: --older-than: '30' is not an age: give a number and a unit, e.g. 30d, 12h, 90m, 2w"]
    missing = neatlogs("stats", "--db", str(tmp_path / "nothing.db"))
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_deleting_a_trace_counts_its_session_again(tmp_path):
    db = str(tmp_path / "traces.db")
    _seed(db)
    result = neatlogs("delete", f"{1002:032x}", "--db", db)
    assert result.returncode == 0 and result.stdout.strip() == f"deleted trace {1002:032x} (2 spans)"
    conn = store.connect(db)
    summary = store.get_session_summary(conn, "new-chat")
    assert summary is not None
    assert (summary.span_count, summary.trace_count, summary.turn_count, summary.token_count) == (2, 1, 1, 30)
    conn.close()
    assert neatlogs("delete", "new-chat", "--db", db).stdout.strip() == "deleted session new-chat (2 spans)"
    assert neatlogs("show", "new-chat", "--db", db).returncode == 1


def test_export_as_otlp_json_imports_back_and_any_collector_takes_it(tmp_path):
    db, copy = str(tmp_path / "traces.db"), str(tmp_path / "copy.db")
    _seed(db)
    out = str(tmp_path / "new-chat.otlp.json")
    assert neatlogs("export", "new-chat", "--format", "otlp", "-o", out, "--db", db).returncode == 0
    result = neatlogs("import", out, "--db", copy)
    assert result.returncode == 0 and result.stdout.startswith("imported 4 of 4 spans")
    assert neatlogs("import", out, "--db", copy).stdout.strip().endswith("(4 were already there)")
    original, imported = (json.loads(neatlogs("show", "new-chat", "--json", "--db", path).stdout)
                          for path in (db, copy))
    assert imported == original
    with DashboardServer(str(tmp_path / "collector.db")) as collector:
        request = urllib.request.Request(collector.url + "/v1/traces", data=open(out, "rb").read(), method="POST",
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert reply.status == 200
        with urllib.request.urlopen(collector.url + "/api/sessions/new-chat/summary", timeout=30) as reply:
            assert json.loads(reply.read())["span_count"] == 4


def test_export_as_neatlogs_json_imports_back_and_a_bad_file_is_one_line(tmp_path):
    db, copy = str(tmp_path / "traces.db"), str(tmp_path / "copy.db")
    _seed(db)
    out = str(tmp_path / "lonely.json")
    assert neatlogs("export", f"{2001:032x}", "-o", out, "--db", db).returncode == 0
    assert neatlogs("import", out, "--db", copy).stdout.startswith("imported 2 of 2 spans")
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"hello": 1}')
    bad = neatlogs("import", str(garbage), "--db", copy)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "neither an OTLP JSON export" in bad.stderr
