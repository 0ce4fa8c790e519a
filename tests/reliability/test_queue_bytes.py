"""The queue of finished spans is bounded in bytes: big spans with a slow endpoint cannot grow memory without end.

A real program makes 6,000 spans of 24 KB (144 MB of text, compressible so the spool holds it all) while its endpoint holds every
request; with ``NEATLOGS_MAX_QUEUE_BYTES`` (or ``init(max_queue_bytes=...)``) at 8 MiB its
peak memory stays far below the text it made, and what overflowed went to the spool:
nothing is dropped. Peak RSS against the untraced run is measured in bench/burst.py.
"""

from __future__ import annotations

import textwrap

import pytest
from spool_tools import HoldingReceiver, run_program, spooled_names

from neatlogs import config

PROGRAM = textwrap.dedent(
    """
    import os, sys, neatlogs
    def rss_mb(key="VmRSS"):  # VmHWM, the peak: ru_maxrss would carry the parent's peak over exec
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(key)) / 1024
    neatlogs.init(session_id="bytes", **({"max_queue_bytes": int(sys.argv[2])} if len(sys.argv) > 2 else {}))
    with neatlogs.trace("warm-up", kind="LLM") as t:
        t.set_output(os.urandom(12000).hex())
    before = rss_mb()
    for i in range(int(sys.argv[1])):
        with neatlogs.trace(f"turn-{i}", kind="LLM") as t:
            t.set_output(f"{i:08d}-reply " * 1600)  # 24 KB each, distinct (and compressible: the spool holds them all)
    print(rss_mb("VmHWM") - before)
    """
)
SPANS = 6000  # 144 MB of replies
EIGHT_MIB = str(8 * 1024 * 1024)


@pytest.mark.parametrize("how", ["environment", "init argument"])
def test_memory_stays_bounded_and_the_overflow_is_spooled(tmp_path, how):
    receiver = HoldingReceiver().start()
    try:
        if how == "environment":
            program = run_program(PROGRAM, tmp_path, receiver.endpoint, str(SPANS),
                                  NEATLOGS_MAX_QUEUE_BYTES=EIGHT_MIB)
        else:
            program = run_program(PROGRAM, tmp_path, receiver.endpoint, str(SPANS), EIGHT_MIB)
    finally:
        receiver.stop()
    assert program.returncode == 0, program.stderr
    growth_mb = float(program.stdout.split()[-1])
    assert growth_mb < 100, f"peak memory grew {growth_mb:.0f} MB for {SPANS} spans of 24 KB; {program.stderr}"
    spooled = spooled_names(tmp_path, receiver.endpoint)
    assert set(spooled) == {f"turn-{i}" for i in range(SPANS)} | {"warm-up"} and max(spooled.values()) == 1
    assert "dropped" not in program.stderr


def test_the_bound_is_a_setting(monkeypatch):
    assert config.load({}).max_queue_bytes == 16 * 1024 * 1024  # the stated default
    monkeypatch.setenv("NEATLOGS_MAX_QUEUE_BYTES", "1048576")
    assert config.load({}).max_queue_bytes == 1048576
    monkeypatch.setenv("NEATLOGS_MAX_QUEUE_BYTES", "lots")
    with pytest.raises(config.ConfigError, match="NEATLOGS_MAX_QUEUE_BYTES"):
        config.load({})
