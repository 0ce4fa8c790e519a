"""A failing endpoint never costs spans or holds the program: spool, retries, splits, bounded exit.

Each test runs a real program in a subprocess against the real OTLP receiver (or a dead
or black-holed port) and checks what arrived, what the spool holds, and the exit status.
The subprocess timeout only catches a hang; exit times are measured in bench/, not here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

from neatlogs.export.spool import Spool, spool_folder

PROGRAM = textwrap.dedent(
    """
    import sys, neatlogs
    neatlogs.init(workflow_name="faults", session_id="fault-session")
    for i in range(int(sys.argv[1])):
        with neatlogs.trace(f"turn-{i}", kind="AGENT") as t:
            t.set_input("x" * int(sys.argv[2]))
    """
)
HANG_GUARD_SECONDS = 60


def run(home, endpoint, spans=5, input_size=10, extra_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(home), NEATLOGS_ENDPOINT=endpoint, **(extra_env or {}))
    return subprocess.run([sys.executable, "-c", PROGRAM, str(spans), str(input_size)], env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)


def dead_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def spool_of(home, endpoint) -> Spool:
    return Spool(spool_folder(str(home), endpoint), endpoint)


def test_endpoint_down_then_up_spans_are_spooled_and_sent_by_the_next_run(tmp_path, otlp_receiver):
    endpoint = otlp_receiver.endpoint
    otlp_receiver.stop()  # down for the whole first run
    first = run(tmp_path, endpoint, spans=7)
    assert first.returncode == 0, first.stderr
    assert "7 spans kept in the spool" in first.stderr
    assert spool_of(tmp_path, endpoint).pending_spans() == 7

    from otlp_receiver import OtlpReceiver

    port = int(endpoint.rsplit(":", 1)[1])
    receiver = OtlpReceiver(port=port).start()
    try:
        second = run(tmp_path, endpoint, spans=2)
        assert second.returncode == 0, second.stderr
        names = sorted(s["name"] for s in receiver.wait_for(9))
    finally:
        receiver.stop()
    assert names == sorted([f"turn-{i}" for i in range(7)] + ["turn-0", "turn-1"])
    assert spool_of(tmp_path, endpoint).pending_spans() == 0


def test_black_holed_endpoint_does_not_hold_exit_and_keeps_the_spans(tmp_path):
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # accepts connections, never answers
        endpoint = f"http://127.0.0.1:{hole.getsockname()[1]}"
        result = run(tmp_path, endpoint, spans=4)
    assert result.returncode == 0, result.stderr
    assert spool_of(tmp_path, endpoint).pending_spans() == 4


def test_server_errors_are_retried(tmp_path, otlp_receiver):
    otlp_receiver.fail_next = 2  # two 500s, then OK
    result = run(tmp_path, otlp_receiver.endpoint, spans=3)
    assert result.returncode == 0, result.stderr
    assert len(otlp_receiver.wait_for(3)) == 3
    assert spool_of(tmp_path, otlp_receiver.endpoint).pending_spans() == 0


def test_429_with_retry_after_is_honoured(tmp_path, otlp_receiver):
    otlp_receiver.fail_next, otlp_receiver.fail_status, otlp_receiver.retry_after = 1, 429, 0.2
    result = run(tmp_path, otlp_receiver.endpoint, spans=3)
    assert result.returncode == 0, result.stderr
    assert len(otlp_receiver.wait_for(3)) == 3
    assert len(otlp_receiver.raw) == 2


def test_persistent_500_ends_in_the_spool_not_in_loss(tmp_path, otlp_receiver):
    otlp_receiver.status = 500
    result = run(tmp_path, otlp_receiver.endpoint, spans=3)
    assert result.returncode == 0, result.stderr
    assert spool_of(tmp_path, otlp_receiver.endpoint).pending_spans() == 3


def test_413_for_one_oversized_span_never_costs_the_rest_of_its_batch(tmp_path, otlp_receiver):
    otlp_receiver.max_body = 10_000  # gzip makes "x" * n tiny: the huge input below is random hex
    program = textwrap.dedent(
        """
        import os, neatlogs
        neatlogs.init(session_id="s")
        for i in range(10):
            with neatlogs.trace(f"small-{i}") as t:
                t.set_input("ok")
        with neatlogs.trace("huge") as t:
            t.set_input(os.urandom(15_000).hex())
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(tmp_path), NEATLOGS_ENDPOINT=otlp_receiver.endpoint)
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True,
                            timeout=HANG_GUARD_SECONDS)
    assert result.returncode == 0, result.stderr
    names = {s["name"] for s in otlp_receiver.wait_for(10)}
    assert names == {f"small-{i}" for i in range(10)}
    assert "1 spans were dropped" in result.stderr
    assert spool_of(tmp_path, otlp_receiver.endpoint).dropped_total() == 1


def test_spool_is_bounded_oldest_first_and_counts_drops(tmp_path):
    spool = Spool(str(tmp_path / "spool"), "http://x", max_bytes=3000)
    for i in range(5):
        spool.put(bytes([i]) * 1000, span_count=10)
    pending = spool.pending()
    assert len(pending) == 3
    with open(pending[0], "rb") as f:
        assert f.read(1) == bytes([2])  # 0 and 1, the oldest, went first
    assert spool.dropped_total() == 20


def test_two_senders_never_send_the_same_spool_file(tmp_path):
    spool = Spool(str(tmp_path / "spool"), "http://x")
    spool.put(b"body", span_count=1)
    path = spool.pending()[0]
    claims = [spool.claim(path) for _ in range(2)]
    assert sum(c is not None for c in claims) == 1


def test_neatlogs_push_sends_the_spool(tmp_path, otlp_receiver):
    endpoint = otlp_receiver.endpoint
    otlp_receiver.status = 503  # refuses the first run: everything is spooled
    first = run(tmp_path, endpoint, spans=3)
    assert first.returncode == 0, first.stderr
    assert spool_of(tmp_path, endpoint).pending_spans() == 3
    otlp_receiver.status = 200
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=str(tmp_path), NEATLOGS_ENDPOINT=endpoint)
    pushed = subprocess.run([sys.executable, "-m", "neatlogs_cli", "push"], env=env, capture_output=True,
                            text=True, timeout=HANG_GUARD_SECONDS)
    assert pushed.returncode == 0, pushed.stderr
    assert "sent 3 spans" in pushed.stdout
    assert sorted(s["name"] for s in otlp_receiver.wait_for(3)) == ["turn-0", "turn-1", "turn-2"]
    assert spool_of(tmp_path, endpoint).pending_spans() == 0


def test_neatlogs_push_without_an_endpoint_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env["NEATLOGS_HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "neatlogs_cli", "push"], env=env, capture_output=True,
                            text=True, timeout=HANG_GUARD_SECONDS, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no endpoint configured" in result.stderr
