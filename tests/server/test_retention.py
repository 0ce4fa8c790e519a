"""The collector's retention: old sessions pruned at start and then daily, new ones kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from neatlogs import config, semconv, store
from neatlogs_cli.server.retention import RetentionTask
from neatlogs_cli.server.store_access import StoreAccess
from neatlogs_cli.ui import DashboardServer, retention_seconds

DAY_NS = 24 * 3600 * 1_000_000_000
THIRTY_DAYS = 30 * 24 * 3600


def _session(session_id: str, n: int, end_ns: int) -> list[store.SpanRecord]:
    return [store.SpanRecord(f"{n:032x}", f"{n:016x}", None, "chat_turn", end_ns - 1_000_000, end_ns, kind="AGENT",
                             attributes={semconv.SESSION_ID: session_id, semconv.INPUT_VALUE: f"question {n}"})]


def _seed(path: str, sessions: dict[str, int]) -> None:
    conn = store.connect(path)
    store.insert_spans(conn, [s for n, (sid, end) in enumerate(sessions.items(), 1) for s in _session(sid, n, end)])
    conn.close()


def _wait_for(condition, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def _listed(server: DashboardServer) -> list[str]:
    with urllib.request.urlopen(server.url + "/api/sessions") as response:
        return sorted(s["session_id"] for s in json.load(response)["sessions"])


def test_the_collector_started_with_a_retention_prunes_old_sessions_and_keeps_new_ones(tmp_path):
    path = str(tmp_path / "traces.db")
    now = time.time_ns()
    _seed(path, {"ancient": now - 90 * DAY_NS, "last-month": now - 31 * DAY_NS, "yesterday": now - DAY_NS,
                 "today": now})
    with DashboardServer(path, retention_seconds=THIRTY_DAYS) as server:
        task = server.app.state.retention
        _wait_for(lambda: task.runs >= 1, "the prune at start")
        assert task.pruned_sessions == 2
        assert _listed(server) == ["today", "yesterday"]
        conn = store.connect(path)
        assert store.get_session(conn, "ancient") is None
        assert conn.execute("SELECT COUNT(*) FROM spans").fetchone()[0] == 2
        conn.close()


def test_without_a_retention_nothing_is_pruned(tmp_path):
    path = str(tmp_path / "traces.db")
    _seed(path, {"ancient": time.time_ns() - 900 * DAY_NS})
    with DashboardServer(path) as server:
        assert server.app.state.retention is None
        assert _listed(server) == ["ancient"]


def test_the_prune_repeats_on_its_period_and_takes_sessions_that_grew_old(tmp_path):
    path = str(tmp_path / "traces.db")
    now = time.time_ns()
    _seed(path, {"old": now - 40 * DAY_NS, "recent": now - 29 * DAY_NS, "new": now})
    clock = [now]
    access = StoreAccess(path)

    async def run() -> None:
        task = RetentionTask(access, THIRTY_DAYS, every_seconds=0.01, clock=lambda: clock[0])
        task.start()
        while task.runs < 1:
            await asyncio.sleep(0.01)
        assert sorted(s.session_id for s in store.list_sessions(access.reader())) == ["new", "recent"]
        clock[0] = now + 2 * DAY_NS  # two days on: "recent" is now 31 days old
        runs = task.runs
        while task.runs < runs + 2:
            await asyncio.sleep(0.01)
        await task.stop()

    asyncio.run(run())
    assert [s.session_id for s in store.list_sessions(access.reader())] == ["new"]
    access.close()


def test_retention_comes_from_the_flag_the_environment_or_the_config_file(tmp_path, monkeypatch):
    assert retention_seconds("30d") == THIRTY_DAYS
    assert retention_seconds(None) is None
    (tmp_path / "neatlogs.toml").write_text('retention = "2w"\n')
    assert retention_seconds(None) == 14 * 24 * 3600
    monkeypatch.setenv("NEATLOGS_RETENTION", "12h")
    assert retention_seconds(None) == 12 * 3600  # the environment outranks the file
    assert retention_seconds("1d") == 24 * 3600  # the flag outranks both
    monkeypatch.setenv("NEATLOGS_RETENTION", "soon")
    with pytest.raises(ValueError, match="retention from environment NEATLOGS_RETENTION: 'soon' is not an age"):
        retention_seconds(None)


def test_the_sdk_ignores_the_retention_setting(tmp_path):
    settings = config.load({}, environ={"NEATLOGS_RETENTION": "not an age at all"}, cwd=str(tmp_path))
    assert settings.retention == "not an age at all"  # read, never judged: only the collector uses it


def test_neatlogs_ui_with_a_bad_retention_says_so_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    result = subprocess.run([sys.executable, "-m", "neatlogs_cli", "ui", "--retention", "forever", "--port", "0",
                             "--db", str(tmp_path / "traces.db")], capture_output=True, text=True, timeout=60,
                            env={**env, "NEATLOGS_HOME": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("neatlogs: retention from --retention: 'forever' is not an age: give a number "
                                     "and a unit, e.g. 30d, 12h, 90m, 2w")
