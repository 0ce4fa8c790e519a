"""The person running the command has the last word on where spans go; long values kept as the setting says.

Programs written for the neatlogs SDK often pass their own endpoint to ``init()``; ``neatlogs run
--local`` and ``--endpoint`` outrank it (issue 16 points 4 and 5).
"""

from __future__ import annotations

import subprocess

from neatlogs import semconv, store

PROGRAM = """\
import os
import neatlogs

neatlogs.init(endpoint=os.environ.get("PROGRAM_ENDPOINT", "https://api.example.invalid"))
with neatlogs.trace("report", kind="AGENT") as span:
    span.set_input("x" * 240_000)
"""


def _run(venv, env, tmp_path, *options: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "own_endpoint.py"
    program.write_text(PROGRAM)
    return subprocess.run([venv.neatlogs, "run", *options, "--", "python", str(program)], capture_output=True,
                          text=True, timeout=120, env=env)


def _stored_inputs(home) -> list[str]:
    conn = store.connect(str(home / "traces.db"))
    try:
        return [span.attributes.get(semconv.INPUT_VALUE) for span in store.iter_spans(conn)]
    finally:
        conn.close()


def test_local_outranks_the_programs_own_endpoint_and_keeps_a_240k_value_whole(traced_venv, otlp_receiver, tmp_path):
    home = tmp_path / "home"
    env = traced_venv.env(NEATLOGS_HOME=str(home), PROGRAM_ENDPOINT=otlp_receiver.endpoint)
    result = _run(traced_venv, env, tmp_path, "--local")
    assert result.returncode == 0, result.stderr
    (value,) = _stored_inputs(home)
    assert value == "x" * 240_000  # the local store keeps values up to 1,000,000 characters
    assert otlp_receiver.spans() == []


def test_endpoint_option_outranks_the_programs_own_endpoint(traced_venv, otlp_receiver, tmp_path):
    env = traced_venv.env(NEATLOGS_HOME=str(tmp_path / "home"), PROGRAM_ENDPOINT="http://127.0.0.1:9")
    result = _run(traced_venv, env, tmp_path, "--endpoint", otlp_receiver.endpoint)
    assert result.returncode == 0, result.stderr
    (span,) = otlp_receiver.wait_for(1)
    value = span["attributes"][semconv.INPUT_VALUE]
    assert len(value) < 33_000 and value.startswith("x" * 32_000)  # OTLP keeps today's cut


def test_without_an_option_the_program_decides_and_the_exit_line_says_where_spans_went(traced_venv, otlp_receiver,
                                                                                        tmp_path):
    env = traced_venv.env(NEATLOGS_HOME=str(tmp_path / "home"), PROGRAM_ENDPOINT=otlp_receiver.endpoint)
    result = _run(traced_venv, env, tmp_path, "--session-id", "own-1")
    assert result.returncode == 0, result.stderr
    assert len(otlp_receiver.wait_for(1)) == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"neatlogs: session own-1 went to {otlp_receiver.endpoint}, the endpoint the program passes to init(); "
        "`neatlogs run --local` keeps it in the local store")


def test_the_exit_line_never_says_the_session_went_to_an_endpoint_that_refused_it(traced_venv, tmp_path):
    env = traced_venv.env(NEATLOGS_HOME=str(tmp_path / "home"), PROGRAM_ENDPOINT="http://127.0.0.1:9")
    result = _run(traced_venv, env, tmp_path, "--session-id", "own-2")
    assert result.returncode == 0, result.stderr
    *before, last = result.stderr.strip().splitlines()
    assert any("1 spans kept in the spool" in line for line in before), result.stderr
    assert last == ("neatlogs: session own-2 is for http://127.0.0.1:9, the endpoint the program passes to init(), "
                    "which did not take it (see above); `neatlogs run --local` keeps a run in the local store")


def test_max_value_chars_setting_cuts_where_it_is_told(traced_venv, otlp_receiver, tmp_path):
    home = tmp_path / "home"
    env = traced_venv.env(NEATLOGS_HOME=str(home), PROGRAM_ENDPOINT=otlp_receiver.endpoint,
                          NEATLOGS_MAX_VALUE_CHARS="1000")
    result = _run(traced_venv, env, tmp_path, "--local")
    assert result.returncode == 0, result.stderr
    (value,) = _stored_inputs(home)
    assert value.startswith("x" * 1000) and len(value) < 1100 and not value.startswith("x" * 1001)


def test_local_and_endpoint_together_is_a_usage_error(traced_venv, tmp_path):
    result = _run(traced_venv, traced_venv.env(), tmp_path, "--local", "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "--local and --endpoint cannot be given together" in result.stderr
