"""One bad value costs nothing but itself, in the local store and over OTLP (real programs, real receivers).

A program whose third-party spans carry lone surrogates (``os.fsdecode(b"\\xff")``, half an
emoji) in an attribute, a list, a span name, an event, a status and the resource gets every
span recorded, those characters as U+FFFD; a span no exporter can write at all (a name that
is not text) is left out alone, counted in one line at exit, and the rest of its batch kept.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

PROGRAM = textwrap.dedent("""
    import os, sys, neatlogs
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode

    neatlogs.init(session_id=sys.argv[1])
    tracer = trace.get_tracer("third-party")
    bad = os.fsdecode(b"report-\\xff.txt")  # a lone surrogate, as undecodable file names come
    half = "smile \\ud83d"                   # half of an escaped emoji
    for i in range(200):
        with tracer.start_as_current_span(f"step {i}") as span:
            if i == 7:
                span.set_attribute("file.name", bad)
                span.set_attribute("notes", ["fine", half])
                span.update_name("read " + half)
                span.add_event("opened", {"path": bad})
                span.set_status(Status(StatusCode.ERROR, "failed on " + bad))
            if i == 9:
                span.update_name(object())  # a program's bug: no exporter can write this span
    sys.exit(int(sys.argv[2]))
""")

REPLACED = "\ufffd"


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env["NEATLOGS_HOME"] = str(home)
    # A resource value with an undecodable byte, as an environment variable can hold.
    env["OTEL_RESOURCE_ATTRIBUTES"] = "host.note=caf" + os.fsdecode(b"\xe9")
    env.update(extra)
    return env


def run(env: dict[str, str], session: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, session, "3"], env=env, capture_output=True, text=True,
                          timeout=60, errors="replace")


def neatlogs_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("neatlogs:")]


def test_the_local_store_keeps_every_span_but_the_one_it_cannot_write(tmp_path):
    home = tmp_path / "home"
    result = run(environment(home), "bad-values")
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("neatlogs: 1 spans could not be stored and were left out (")
    conn = sqlite3.connect(home / "traces.db")
    rows = conn.execute("SELECT name, status_message, attributes, events, resource FROM spans "
                        "WHERE session_id = 'bad-values'").fetchall()
    assert len(rows) == 199
    [(name, status, attributes, events, resource)] = [r for r in rows if r[0].startswith("read ")]
    assert name == "read smile " + REPLACED
    assert status == f"failed on report-{REPLACED}.txt"
    assert f'"file.name": "report-{REPLACED}.txt"' in attributes
    assert f'"smile {REPLACED}"' in attributes
    assert f'"path": "report-{REPLACED}.txt"' in events
    assert f"caf{REPLACED}" in resource
    assert "step 9" not in {r[0] for r in rows}


def test_otlp_delivers_every_span_but_the_one_it_cannot_encode(tmp_path, otlp_receiver):
    result = run(environment(tmp_path / "home", NEATLOGS_ENDPOINT=otlp_receiver.endpoint), "bad-values-otlp")
    assert result.returncode == 3
    lines = neatlogs_lines(result.stderr)
    assert lines == ["neatlogs: 1 spans were dropped (see the spool's dropped.log)"], result.stderr
    spans = otlp_receiver.wait_for(199)
    assert len(spans) == 199
    [span] = [s for s in spans if s["name"].startswith("read ")]
    assert span["name"] == "read smile " + REPLACED
    assert span["status_message"] == f"failed on report-{REPLACED}.txt"
    assert span["attributes"]["file.name"] == f"report-{REPLACED}.txt"
    assert span["attributes"]["notes"] == ["fine", "smile " + REPLACED]
    assert span["events"][0]["attributes"]["path"] == f"report-{REPLACED}.txt"
    assert span["resource"]["host.note"] == "caf" + REPLACED
    assert "step 9" not in {s["name"] for s in spans}
