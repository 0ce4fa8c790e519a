"""What the per-call overhead benchmarks share: timing a batch of calls, the servers they call, the table.

``openai_overhead.py`` and ``provider_overhead.py`` time real clients against loopback
stand-ins and an OTLP receiver, each server in a process of its own (as a model API and a
backend would be), so their work is not counted and does not compete for the measured
process's GIL.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

__all__ = ["TESTS", "per_call_us", "print_overheads", "start_receiver", "start_standin"]

TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests")


def per_call_us(call, client, calls: int, flush=lambda: None) -> tuple[float, float]:
    """Mean wall-clock and process-CPU µs per call over ``calls`` calls, the mode's flush included.

    CPU time (all threads of this process: client and exporter) is far steadier than wall
    time on a shared, loaded machine, and it still counts the exporting that each
    instrumentation causes on its background thread.
    """
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call(client)
    flush()
    return (time.perf_counter() - start) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def _serve(code: str) -> tuple[subprocess.Popen, str]:
    """Run ``code`` (which prints its URL on the first line, then serves) in its own process."""
    process = subprocess.Popen([sys.executable, "-c", code, TESTS], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def start_receiver() -> tuple[subprocess.Popen, str]:
    """An OTLP/HTTP receiver in its own process; its endpoint."""
    return _serve("import sys, time; sys.path.insert(0, sys.argv[1]); from otlp_receiver import OtlpReceiver; "
                  "r = OtlpReceiver().start(); print(r.endpoint, flush=True); time.sleep(3600)")


def start_standin(module: str, name: str) -> tuple[subprocess.Popen, str]:
    """The stand-in server class ``name`` of ``module`` (``tests/`` on the path) in its own process; its base URL."""
    return _serve(f"import sys, time; sys.path.insert(0, sys.argv[1]); from {module} import {name}; "
                  f"s = {name}().__enter__(); print(s.base_url, flush=True); time.sleep(3600)")


def overheads(results: dict, modes: tuple[str, ...], shape: str, column: int) -> dict[str, float]:
    """Each mode's overhead over uninstrumented: the median over rounds of each round's difference."""
    bare_runs = [v[column] for v in results[("uninstrumented", shape)]]
    return {mode: statistics.median(r[column] - b for r, b in zip(results[(mode, shape)], bare_runs))
            for mode in modes}


def print_overheads(results: dict, modes: tuple[str, ...], shapes, rounds: int, calls: int,
                    ours: str = "neatlogs", peer: str = "openinference") -> dict[tuple[str, str], float]:
    """Print the wall-clock and CPU tables of ``results[(mode, shape)]`` = per-round (wall, cpu) µs.

    Returns the CPU overheads by (mode, shape), the steadier figure.
    """
    print(f"median µs per call ({rounds} rounds x {calls} calls); overhead = median of each round's "
          "difference from the uninstrumented run of that round\n")
    cpu: dict[tuple[str, str], float] = {}
    for column, label in ((0, "wall clock"), (1, "process CPU")):
        print(f"--- {label} ---")
        print(f"{'shape':<10} {'mode':<16} {'µs/call':>9} {'overhead µs':>12} {'x bare':>7}")
        overhead: dict[tuple[str, str], float] = {}
        for shape in shapes:
            bare = statistics.median(v[column] for v in results[("uninstrumented", shape)])
            for mode, value in overheads(results, modes, shape, column).items():
                overhead[(mode, shape)] = value
                median = statistics.median(v[column] for v in results[(mode, shape)])
                print(f"{shape:<10} {mode:<16} {median:>9.0f} {value:>12.0f} {median / bare:>7.3f}")
        for shape in shapes:
            mine, theirs = overhead[(ours, shape)], overhead[(peer, shape)]
            share = mine / theirs if theirs > 0 else float("nan")
            print(f"{shape}: neatlogs adds {mine:.0f} µs, OpenInference {theirs:.0f} µs; "
                  f"neatlogs/OpenInference overhead = {share:.2f} (goal <= 0.5)")
        print()
        if column == 1:
            cpu = overhead
    return cpu
