"""`neatlogs demo`: the seed chatbot end to end, offline, from the checkout and from a wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from wheel_build import build_wheel

from neatlogs import store
from neatlogs_cli.demo import CONVERSATION

ROOT = Path(__file__).resolve().parents[2]


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neatlogs_cli", "demo"], capture_output=True, text=True,
                          env=env, timeout=180)


def check_demo_output(result: subprocess.CompletedProcess, home: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Stand-in model (deterministic replies, not a real LLM)" in out
    (session,) = store.list_sessions(store.connect(os.path.join(home, "traces.db")))
    assert (session.trace_count, session.service_name) == (3, "support-chatbot")
    # The conversation, then the timeline: three turns in order, each with its reply and span tree.
    positions = [out.index(f"Turn {n}", out.index(f"Session {session.session_id}")) for n in (1, 2, 3)]
    assert positions == sorted(positions)
    for said in CONVERSATION:
        assert out.count(said) >= 3  # the transcript, the bubble, the stand-in's echo
    assert out.count("AGENT chatbot_turn") == 3 and out.count("LLM respond") == 3
    assert f"neatlogs ui   then open http://127.0.0.1:6006/sessions/{session.session_id}" in out


def test_demo_runs_the_seed_chatbot_and_prints_its_timeline(tmp_path):
    home = str(tmp_path / "home")
    check_demo_output(run_demo({**os.environ, "NEATLOGS_HOME": home}), home)


def test_demo_works_from_a_non_editable_wheel(tmp_path):
    """The chatbot, templates and static files ship inside the wheel (examples/ is not in it otherwise)."""
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"neatlogs_cli/examples/chatbot.py", "neatlogs_cli/server/templates/session.html",
            "neatlogs_cli/server/static/app.js", "neatlogs_cli/server/static/app.css"} <= names
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    home = str(tmp_path / "home")
    # The unpacked wheel comes first on the path: the demo and the chatbot it runs use it, not the checkout.
    env = {**os.environ, "NEATLOGS_HOME": home, "PYTHONPATH": str(installed)}
    probe = subprocess.run([sys.executable, "-c", "import neatlogs_cli; print(neatlogs_cli.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert probe.stdout.startswith(str(installed)), probe
    check_demo_output(run_demo(env), home)
