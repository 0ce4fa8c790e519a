"""What the exit spill writes can be sent: bodies no bigger than a batch, split on 413 by push, lines that add up.

A program ends with its endpoint holding every request (a slow endpoint), so its queue is
spilled at the exit bound; ``neatlogs push`` then sends the spool to neatlogs' own
collector (16 MiB body limit) or to a receiver with a small body limit. Real processes,
real servers on loopback; counting is by span name.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import textwrap

from spool_tools import HoldingReceiver, environment, move_spool, run_program, spool_files, spooled_names

from neatlogs import store
from neatlogs_cli.defaults import COLLECTOR_MAX_BODY
from neatlogs_cli.ui import DashboardServer

PROGRAM = textwrap.dedent(
    """
    import os, sys, neatlogs
    neatlogs.init(session_id="spill")
    for i in range(int(sys.argv[1])):
        with neatlogs.trace(f"turn-{i}", kind="TOOL") as t:
            t.set_input(os.urandom(int(sys.argv[2]) // 2).hex())  # incompressible, like real replies
    """
)


def push(home, endpoint: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neatlogs_cli", "push"], env=environment(home, endpoint),
                          capture_output=True, text=True, timeout=300)


def test_a_16k_span_exit_spill_is_all_delivered_to_neatlogs_own_collector(tmp_path):
    db = str(tmp_path / "collector.db")
    with DashboardServer(db) as collector:
        endpoint = f"http://127.0.0.1:{collector.port}"
        holding = HoldingReceiver().start()  # the program's endpoint: every request held
        try:
            # A small queue: on a loaded machine the exit spill of a full default queue may not fit
            # in the bound (then counted as dropped, which bench/exit_hold.py shows); here every
            # span must reach the spool, through the overflow spill and the exit spill alike.
            program = run_program(PROGRAM, tmp_path / "home", holding.endpoint, "16000", "4000",
                                  NEATLOGS_MAX_QUEUE_BYTES=str(4 * 1024 * 1024))
        finally:
            holding.stop()
        assert program.returncode == 0, program.stderr
        names = spooled_names(tmp_path / "home", holding.endpoint)
        assert sum(names.values()) == len(names) == 16000
        for path in spool_files(tmp_path / "home", holding.endpoint):
            with open(path, "rb") as f:
                assert len(gzip.decompress(f.read())) < COLLECTOR_MAX_BODY  # every body is a batch's

        move_spool(tmp_path / "home", holding.endpoint, endpoint)  # as if the collector had been down
        pushed = push(tmp_path / "home", endpoint)
        assert pushed.returncode == 0, pushed.stderr
        assert "sent 16000 spans" in pushed.stdout
        stored = {s.name for s in store.iter_spans(store.connect(db))}
    assert stored == set(names)


def test_push_splits_a_body_the_endpoint_finds_too_large_and_delivers_every_span(tmp_path, otlp_receiver):
    holding = HoldingReceiver().start()
    try:
        program = run_program(PROGRAM, tmp_path, holding.endpoint, "3000", "2000")
    finally:
        holding.stop()
    assert program.returncode == 0, program.stderr
    names = spooled_names(tmp_path, holding.endpoint)
    assert len(names) == 3000
    biggest = max(os.path.getsize(p) for p in spool_files(tmp_path, holding.endpoint))
    move_spool(tmp_path, holding.endpoint, otlp_receiver.endpoint)
    otlp_receiver.max_body = biggest // 5  # every spooled body is 413 until cut in about eight
    pushed = push(tmp_path, otlp_receiver.endpoint)
    assert pushed.returncode == 0, pushed.stderr
    assert "sent 3000 spans" in pushed.stdout
    received = [s["name"] for s in otlp_receiver.spans()]
    assert sorted(received) == sorted(names)  # each exactly once
    assert spool_files(tmp_path, otlp_receiver.endpoint) == []


def test_the_exit_lines_agree_with_the_spool(tmp_path):
    holding = HoldingReceiver(answer_first=2).start()  # two batches go through, then the endpoint stalls
    try:
        program = run_program(PROGRAM, tmp_path, holding.endpoint, "3000", "200", NEATLOGS_BATCH_SIZE="100",
                              NEATLOGS_FLUSH_INTERVAL="0.05")
    finally:
        holding.stop()
    assert program.returncode == 0, program.stderr
    in_spool = spooled_names(tmp_path, holding.endpoint)
    delivered = holding.names
    assert not set(in_spool) & set(delivered)  # never both
    assert sum(in_spool.values()) + sum(delivered.values()) == 3000  # nothing lost
    kept = re.search(r"neatlogs: (\d+) spans kept in the spool \((.*)\)", program.stderr)
    assert kept, program.stderr
    assert int(kept.group(1)) == sum(in_spool.values())
    assert "dropped" not in program.stderr
