"""The spool delivers exactly once, whatever its age and however many senders share it.

A claim belongs to a live claimant (an ``flock`` held on the claimed file), never judged
by age: programs starting at once, two ``neatlogs push`` at once, and a claimant that dies
mid-send are each run as real processes against a real OTLP receiver that counts span
names; the spool is made old first (a claim used to be "stale" after 5 minutes of mtime).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from spool_tools import environment, spool_files

from neatlogs.export.otlp import OtlpHttpSpanExporter
from neatlogs.export.spool import Spool, spool_folder

AN_HOUR_AGO = time.time() - 3600


def make_old_spool(home, endpoint: str, spans: int, per_file: int) -> set[str]:
    """A spool of ``spans`` uniquely named spans in files of ``per_file``, all an hour old; their names."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("spool-claims")
    for i in range(spans):
        with tracer.start_as_current_span(f"spooled-{i}"):
            pass
    finished = list(memory.get_finished_spans())
    spool = Spool(spool_folder(str(home), endpoint), endpoint)
    exporter = OtlpHttpSpanExporter(endpoint, None, spool)
    for start in range(0, spans, per_file):
        exporter.spill(finished[start:start + per_file])
    for path in spool_files(home, endpoint):
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    assert spool.pending_spans() == spans
    return {f"spooled-{i}" for i in range(spans)}


def received(receiver) -> Counter:
    return Counter(s["name"] for s in receiver.spans())


SENDER = textwrap.dedent(
    """
    import os, sys, time, neatlogs
    from neatlogs.export.spool import spool_folder
    neatlogs.init(session_id="sender")  # sends the spool in the background, as every program does
    folder = spool_folder(os.environ["NEATLOGS_HOME"], os.environ["NEATLOGS_ENDPOINT"])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and any(".otlp.gz" in n for n in os.listdir(folder)):
        time.sleep(0.05)
    """
)


def test_four_programs_starting_at_once_send_an_old_spool_exactly_once(tmp_path, otlp_receiver):
    endpoint = otlp_receiver.endpoint
    expected = make_old_spool(tmp_path, endpoint, spans=4000, per_file=40)
    env = environment(tmp_path, endpoint)
    programs = [subprocess.Popen([sys.executable, "-c", SENDER], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for program in programs:
        _, err = program.communicate(timeout=120)
        assert program.returncode == 0, err
    counts = received(otlp_receiver)
    assert set(counts) == expected
    assert [name for name, n in counts.items() if n > 1] == []  # no duplicates
    assert spool_files(tmp_path, endpoint) == []  # every sent file removed, no claim left behind


def push(home, endpoint: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "push"], env=environment(home, endpoint),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_pushes_at_once_send_exactly_once_and_both_exit_0(tmp_path, otlp_receiver):
    endpoint = otlp_receiver.endpoint
    expected = make_old_spool(tmp_path, endpoint, spans=3000, per_file=20)
    pushes = [push(tmp_path, endpoint) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in pushes]
    for p, (out, err) in zip(pushes, results):
        assert p.returncode == 0, (out, err)
        assert err == ""
    sent = sum(int(out.split()[1]) for out, _ in results if out.startswith("sent "))
    assert sent == 3000  # what the two say they sent adds up
    counts = received(otlp_receiver)
    assert set(counts) == expected
    assert max(counts.values()) == 1
    assert spool_files(tmp_path, endpoint) == []


CLAIMANT = textwrap.dedent(
    """
    import os, sys, time
    from neatlogs.export.spool import Spool, spool_folder
    endpoint = os.environ["NEATLOGS_ENDPOINT"]
    spool = Spool(spool_folder(os.environ["NEATLOGS_HOME"], endpoint), endpoint)
    claimed = spool.claim(spool.pending()[0])
    os.utime(claimed, (0, 0))  # as old as a claim can look
    print(claimed, flush=True)
    time.sleep(120)  # a sender busy on its file, until killed
    """
)


def test_a_live_claimants_file_is_left_to_it_and_a_dead_ones_is_sent(tmp_path, otlp_receiver):
    endpoint = otlp_receiver.endpoint
    expected = make_old_spool(tmp_path, endpoint, spans=100, per_file=10)
    claimant = subprocess.Popen([sys.executable, "-c", CLAIMANT], env=environment(tmp_path, endpoint),
                                stdout=subprocess.PIPE, text=True)
    try:
        claimed = claimant.stdout.readline().strip()
        assert os.path.exists(claimed)
        first = subprocess.run([sys.executable, "-m", "neatlogs_cli", "push"], env=environment(tmp_path, endpoint),
                               capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert "sent 90 spans" in first.stdout
        assert os.path.exists(claimed)  # the live claimant's, however old it looks
        assert len(received(otlp_receiver)) == 90
    finally:
        claimant.send_signal(signal.SIGKILL)
        claimant.wait()
    second = subprocess.run([sys.executable, "-m", "neatlogs_cli", "push"], env=environment(tmp_path, endpoint),
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "sent 10 spans" in second.stdout  # the dead claimant's file, taken back
    counts = received(otlp_receiver)
    assert set(counts) == expected and max(counts.values()) == 1
    assert spool_files(tmp_path, endpoint) == []


def test_push_that_cannot_deliver_exits_non_zero_with_one_line(tmp_path, otlp_receiver):
    endpoint = otlp_receiver.endpoint
    make_old_spool(tmp_path, endpoint, spans=30, per_file=10)
    otlp_receiver.status = 503
    pushed = subprocess.run([sys.executable, "-m", "neatlogs_cli", "push"], env=environment(tmp_path, endpoint),
                            capture_output=True, text=True, timeout=120)
    assert pushed.returncode == 1
    lines = pushed.stderr.strip().splitlines()
    assert len(lines) == 1, pushed.stderr
    assert "30 spans still in the spool (endpoint refused (HTTP 503))" in lines[0]
    assert Spool(spool_folder(str(tmp_path), endpoint), endpoint).pending_spans() == 30
