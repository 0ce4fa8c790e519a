"""What the per-call overhead benchmarks share: timing a batch of calls, the servers they call, the table.

``openai_overhead.py`` and ``provider_overhead.py`` time real clients against loopback
stand-ins and an OTLP receiver, each server in a process of its own (as a model API and a
backend would be), so their work is not counted and does not compete for the measured
process's GIL.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Callable

__all__ = ["TESTS", "drive_workers", "per_call_us", "print_overheads", "serve_rounds", "start_receiver",
           "start_standin"]

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


def serve_rounds(calls: dict[str, Callable[[], object]], flush: Callable[[], object], warmup: int = 20) -> None:
    """A worker's side of :func:`drive_workers`: warm every call up, say ``ready``, then time each request.

    Each ``SHAPE COUNT`` line on stdin is answered with ``[wall, cpu]`` µs per call of
    ``calls[SHAPE]`` as JSON, the batch ending with ``flush``.
    """
    for call in calls.values():
        per_call_us(lambda _client, call=call: call(), None, warmup, flush)
    # No gc.freeze() here, though full collections of a heap this size (some 400,000 objects
    # with an agent framework loaded) land at random in rounds: how often an instrumentation's
    # allocations bring them on is part of what it costs a real program (measured: freezing
    # the heap halved OpenInference's Agents SDK overhead and left ours as it was).
    gc.collect()
    print("ready", flush=True)
    for line in sys.stdin:
        shape, count = line.split()
        print(json.dumps(per_call_us(lambda _client, call=calls[shape]: call(), None, int(count), flush)), flush=True)


def drive_workers(commands: dict[str, list[str]], shapes: tuple[str, ...], rounds: int, count: int,
                  env: dict[str, str], generations: int = 3, skipped: dict[str, str] | None = None
                  ) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Time every mode's worker round by round; returns ``{(mode, shape): [(wall, cpu) µs per call, ...]}``.

    ``commands[mode]`` starts a worker that sets its mode up, warms up and then serves
    :func:`serve_rounds`. Each round times ``count`` calls of every shape in every mode, the
    order of the modes rotating, so the rounds' paired differences are taken seconds apart
    and the machine's drift (a shared host slows everything for a while) cancels in them.
    The rounds are split into ``generations`` of fresh worker processes: what one process's
    memory layout adds or saves averages out instead of biasing one mode. A worker that
    answers ``skip: why`` instead of ``ready`` is left out, its reason put in ``skipped``.
    """
    modes = list(commands)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {(m, s): [] for m in modes for s in shapes}
    done = 0
    for generation in range(generations):
        share = (rounds - done) // (generations - generation)
        workers = {mode: subprocess.Popen(commands[mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                          env=env) for mode in modes}
        try:
            for mode, process in list(workers.items()):
                line = process.stdout.readline().strip() if process.stdout else ""
                if line.startswith("skip:") and skipped is not None:
                    skipped[mode] = line.removeprefix("skip:").strip()
                    modes.remove(mode)
                    del workers[mode]
                    process.kill()
                elif line != "ready":
                    raise RuntimeError(f"the {mode} worker failed to start: {line or 'no output'}")
            for round_number in range(done, done + share):
                turn = round_number % len(modes)
                for shape in shapes:
                    for mode in modes[turn:] + modes[:turn]:
                        process = workers[mode]
                        process.stdin.write(f"{shape} {count}\n")
                        process.stdin.flush()
                        results[(mode, shape)].append(tuple(json.loads(process.stdout.readline())))
        finally:
            for process in workers.values():
                process.kill()
                process.wait()
        done += share
    return results


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


def overheads(results: dict, modes: tuple[str, ...], shape: str, column: int,
              baseline: str = "uninstrumented") -> dict[str, tuple[float, float, float]]:
    """Each mode's overhead over ``baseline``: the median and quartiles over rounds of each round's difference."""
    bare_runs = [v[column] for v in results[(baseline, shape)]]
    spread = {}
    for mode in modes:
        differences = [r[column] - b for r, b in zip(results[(mode, shape)], bare_runs)]
        q1, _, q3 = statistics.quantiles(differences, n=4) if len(differences) > 1 else (differences[0],) * 3
        spread[mode] = (statistics.median(differences), q1, q3)
    return spread


def print_overheads(results: dict, modes: tuple[str, ...], shapes, rounds: int, calls: int,
                    ours: str = "neatlogs", peer: str = "openinference", baseline: str = "uninstrumented",
                    unit: str = "call", title: str = "") -> dict[tuple[str, str], float]:
    """Print the wall-clock and CPU tables of ``results[(mode, shape)]`` = per-round (wall, cpu) µs.

    Each overhead is the median of the rounds' paired differences from ``baseline``, with their
    quartiles beside it (how far one round's difference strays). Returns the CPU overheads
    by (mode, shape), the steadier figure.
    """
    print(f"median µs per {unit} ({rounds} rounds x {calls} {unit}s); overhead = median of each round's "
          f"difference from the {baseline} run of that round, its quartiles in brackets\n")
    cpu: dict[tuple[str, str], float] = {}
    for column, label in ((0, "wall clock"), (1, "process CPU")):
        print(f"--- {label} ---")
        print(f"{'shape':<10} {'mode':<16} {'µs/' + unit:>9} {'overhead µs':>12} {'quartiles':>15} {'x bare':>7}")
        overhead: dict[tuple[str, str], float] = {}
        for shape in shapes:
            bare = statistics.median(v[column] for v in results[(baseline, shape)])
            for mode, (value, q1, q3) in overheads(results, modes, shape, column, baseline).items():
                overhead[(mode, shape)] = value
                median = statistics.median(v[column] for v in results[(mode, shape)])
                quartiles = f"[{q1:.0f}, {q3:.0f}]"
                print(f"{shape:<10} {mode:<16} {median:>9.0f} {value:>12.0f} {quartiles:>15} {median / bare:>7.3f}")
        for shape in shapes:
            mine, theirs = overhead[(ours, shape)], overhead[(peer, shape)]
            share = mine / theirs if theirs > 0 else float("nan")
            print(f"{title}{shape} {label}: neatlogs adds {mine:.0f} µs, OpenInference {theirs:.0f} µs; "
                  f"neatlogs/OpenInference overhead = {share:.2f} (goal <= 0.5)")
        print()
        if column == 1:
            cpu = overhead
    return cpu
