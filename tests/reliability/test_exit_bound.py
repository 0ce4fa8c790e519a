"""At exit neatlogs hands every span over within its bound: what was not delivered is in the spool.

Behaviour only (the time a program's exit is held is measured by bench/exit_hold.py): a
slow endpoint with 24 KB spans, a 25k-span burst, and a SIGTERM while the endpoint stalls;
each run as a real process against a real receiver that counts span names. After the
exit, every span is either delivered or spooled, never both, never neither, and the exit
line says how many were kept.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from collections import Counter

from spool_tools import HoldingReceiver, environment, names_in_body, run_program, spool_files, spooled_names

BIGGEST_BATCH = 512 * 8  # the batch size, times 8 behind a burst

PROGRAM = textwrap.dedent(
    """
    import os, sys, neatlogs
    neatlogs.init(session_id="exit-bound")
    for i in range(int(sys.argv[1])):
        with neatlogs.trace(f"turn-{i}", kind="LLM") as t:
            t.set_output(os.urandom(int(sys.argv[2]) // 2).hex())
    """
)


def kept_line(stderr: str) -> int:
    found = re.search(r"(\d+) spans kept in the spool", stderr)
    return int(found.group(1)) if found else 0


def assert_bodies_are_batches(home, endpoint: str) -> None:
    """Every spooled file is one batch (the exit spill never writes the whole queue as one body)."""
    for path in spool_files(home, endpoint):
        with open(path, "rb") as f:
            assert len(names_in_body(f.read())) <= BIGGEST_BATCH


def assert_all_handed_over(total: int, delivered: Counter, spooled: Counter) -> None:
    assert [n for n, c in delivered.items() if c > 1] == []
    assert [n for n, c in spooled.items() if c > 1] == []
    assert set(delivered).isdisjoint(spooled)
    assert set(delivered) | set(spooled) == {f"turn-{i}" for i in range(total)}


def test_a_slow_endpoint_with_24kb_spans_leaves_the_rest_in_the_spool(tmp_path):
    receiver = HoldingReceiver(answer_first=1).start()  # one batch answered, then every request held
    try:
        program = run_program(PROGRAM, tmp_path, receiver.endpoint, "600", "24000")
    finally:
        receiver.stop()
    assert program.returncode == 0, program.stderr
    spooled = spooled_names(tmp_path, receiver.endpoint)
    assert_all_handed_over(600, receiver.names, spooled)
    assert kept_line(program.stderr) == sum(spooled.values()) > 0
    assert "exit bound" in program.stderr and "unreachable" not in program.stderr  # the reason, not a guess
    assert "dropped" not in program.stderr
    assert_bodies_are_batches(tmp_path, receiver.endpoint)


def test_after_a_25k_span_burst_every_span_is_delivered_or_spooled_in_batches(tmp_path):
    receiver = HoldingReceiver(answer_first=1).start()  # takes one batch, then stalls
    try:
        program = run_program(PROGRAM, tmp_path, receiver.endpoint, "25000", "0")
    finally:
        receiver.stop()
    assert program.returncode == 0, program.stderr
    spooled = spooled_names(tmp_path, receiver.endpoint)
    assert_all_handed_over(25000, receiver.names, spooled)
    assert kept_line(program.stderr) == sum(spooled.values())
    assert "unreachable" not in program.stderr  # it was reachable: it stalled (timed out)
    assert_bodies_are_batches(tmp_path, receiver.endpoint)


STALLED_BY_SIGTERM = PROGRAM + textwrap.dedent(
    """
    print("ready", flush=True)
    import time
    time.sleep(60)
    """
)


def test_sigterm_while_the_endpoint_stalls_keeps_every_span(tmp_path):
    receiver = HoldingReceiver().start()
    try:
        program = subprocess.Popen([sys.executable, "-c", STALLED_BY_SIGTERM, "300", "24000"],
                                   env=environment(tmp_path, receiver.endpoint), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert program.stdout.readline().strip() == "ready"
        program.send_signal(signal.SIGTERM)
        _, err = program.communicate(timeout=60)
    finally:
        receiver.stop()
    assert program.returncode == -signal.SIGTERM
    spooled = spooled_names(tmp_path, receiver.endpoint)
    assert_all_handed_over(300, receiver.names, spooled)
    assert kept_line(err) == 300
    assert "unreachable" not in err  # it answered nothing, yet was reachable: timed out, or cut by the bound
    assert_bodies_are_batches(tmp_path, receiver.endpoint)
