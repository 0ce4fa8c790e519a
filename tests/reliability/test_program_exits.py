"""However a traced program ends, the spans of the work it finished arrive, and its exit is its own.

``os._exit`` is the one way out that skips every flush (documented in the README).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import asyncio, os, signal, sys, threading, time, neatlogs
neatlogs.init(session_id="exits")

@neatlogs.span(kind="AGENT")
def turn(i):
    return f"reply {i}"
"""

ENDINGS = {
    "sys.exit(3)": ("turn(1); turn(2); sys.exit(3)", 3, 2),
    "unhandled exception": ("turn(1); turn(2); raise RuntimeError('boom')", 1, 2),
    "threads": (
        "ts = [threading.Thread(target=turn, args=(i,)) for i in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]",
        0,
        4,
    ),
    "asyncio": (
        "@neatlogs.span(kind='TOOL')\nasync def step(i):\n    await asyncio.sleep(0.01)\n    return i\n"
        "async def main():\n    await asyncio.gather(*(step(i) for i in range(5)))\n"
        "asyncio.run(main())",
        0,
        5,
    ),
    "falls off the end": ("turn(1)", 0, 1),
}


def program_env(tmp_path, endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(tmp_path), NEATLOGS_ENDPOINT=endpoint)
    return env


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_spans_of_finished_work_arrive(ending, tmp_path, otlp_receiver):
    body, expected_status, expected_spans = ENDINGS[ending]
    code = PRELUDE + textwrap.dedent(body)
    result = subprocess.run([sys.executable, "-c", code], env=program_env(tmp_path, otlp_receiver.endpoint),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == expected_status, result.stderr
    spans = otlp_receiver.wait_for(expected_spans)
    assert len(spans) == expected_spans
    assert all(s["attributes"]["session.id"] == "exits" for s in spans)
    if ending == "unhandled exception":
        assert "RuntimeError: boom" in result.stderr  # the program's own traceback, unchanged


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_with_default_handler_flushes_and_ends_as_the_signal_would(signum, tmp_path, otlp_receiver):
    code = PRELUDE + "turn(1); turn(2)\nprint('ready', flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], env=program_env(tmp_path, otlp_receiver.endpoint),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert proc.returncode == -signal.SIGTERM  # killed by SIGTERM, as without neatlogs
    else:
        assert "KeyboardInterrupt" in stderr  # Ctrl-C stays a KeyboardInterrupt
    assert sorted(s["name"] for s in otlp_receiver.wait_for(2)) == ["turn", "turn"]


def test_a_program_with_its_own_sigterm_handler_keeps_it(tmp_path, otlp_receiver):
    code = PRELUDE.replace(
        "neatlogs.init(", "signal.signal(signal.SIGTERM, lambda *a: (print('own handler', flush=True), sys.exit(7)))\nneatlogs.init("
    ) + "turn(1)\nprint('ready', flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], env=program_env(tmp_path, otlp_receiver.endpoint),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 7
    assert "own handler" in stdout
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["turn"]
