"""Per-turn overhead of tracing an agent framework: neatlogs beside OpenInference's instrumentor.

Each case (``bench/frameworks/<name>.py``) builds one framework's agent against the stand-in
model and returns a function running one agent turn that includes a tool call. A case module
defines:

- ``NEATLOGS_INSTRUMENTATION``: the neatlogs instrumentation name (``"langchain"``);
- ``OPENINFERENCE_INSTRUMENTOR``: OpenInference's instrumentor, ``"module:ClassName"``;
- ``build_turn(base_url) -> Callable[[], None]``: the agent against the OpenAI-compatible
  ``base_url`` (``http://127.0.0.1:PORT/v1``), and one turn of it.

The stand-in model runs in a process of its own (as a model API would), so its work is not
counted. Every mode runs in a fresh process of its own, so one instrumentation never sees
another's patches: untraced; neatlogs (``init(instrumentations=[NEATLOGS_INSTRUMENTATION,
"openai"])``: the framework's steps and the client calls beneath, as ``neatlogs run`` records
them) sending OTLP/HTTP to a receiver; OpenInference's instrumentor on a plain OpenTelemetry
SDK provider with a BatchSpanProcessor and the OTLP/HTTP exporter to the same receiver (in a
process of its own, so both pay for sending and neither for receiving); and, for the
record, neatlogs writing the local store instead (``neatlogs run``'s default, in a temporary
NEATLOGS_HOME), which has no peer. Each process warms up, then times its turns, its own flush included; the rounds rotate
the order of the modes so drift hits them alike. Prints median µs per turn (wall clock and
process CPU), the time each instrumentation adds per turn (the median over rounds of each
round's difference from that round's untraced run) and neatlogs' added time as a share of
OpenInference's (goal: at most 0.5). A case whose module or framework cannot be imported is
skipped, saying why; no timing is asserted.

Usage: python bench/framework_overhead.py [--turns N] [--rounds R] [--cases langchain,openai_agents]
(needs the ``bench`` extra for OpenInference's instrumentors, and each framework installed)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _overhead import start_receiver

HERE = Path(__file__).resolve().parent

CASES = ["langchain", "openai_agents"]
"""The case modules under bench/frameworks/, in the order they are measured."""

MODES = ("untraced", "neatlogs", "openinference", "neatlogs-local")
"""``neatlogs-local`` writes the local store; the share against OpenInference compares the OTLP modes."""
SKIP = 3
"""Exit status of a child that cannot run its case or mode (it prints why)."""


# --- the child: one case, one mode ------------------------------------------------------------


def _load_case(name: str):
    sys.path.insert(0, str(HERE))
    return importlib.import_module(f"frameworks.{name}")


def _setup(case, mode: str, endpoint: str):
    """Turn the mode's instrumentation on; returns its flush."""
    if mode.startswith("neatlogs"):
        import neatlogs

        # The framework's hook and the client calls beneath it, as `neatlogs run` traces them (the
        # peer's instrumentor records the framework's steps only: neatlogs does the more work here).
        neatlogs.init(workflow_name="bench", instrumentations=[case.NEATLOGS_INSTRUMENTATION, "openai"],
                      endpoint=None if mode == "neatlogs-local" else endpoint)
        return neatlogs.flush
    if mode == "openinference":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        module, _, name = case.OPENINFERENCE_INSTRUMENTOR.partition(":")
        instrumentor = getattr(importlib.import_module(module), name)()
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        instrumentor.instrument(tracer_provider=provider)
        return provider.force_flush
    return lambda: None


def child(case_name: str, mode: str, base_url: str, endpoint: str, turns: int, warmup: int) -> None:
    """Time ``turns`` turns of one case in one mode; print ``{"wall_us", "cpu_us"}`` per turn as JSON."""
    try:
        case = _load_case(case_name)
        flush = _setup(case, mode, endpoint)
        turn = case.build_turn(base_url)
    except ImportError as error:
        print(f"skip: {error}")
        sys.exit(SKIP)
    for _ in range(warmup):
        turn()
    flush()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(turns):
        turn()
    flush()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"wall_us": wall / turns * 1e6, "cpu_us": cpu / turns * 1e6}))


# --- the parent: every case, every mode, in rounds ---------------------------------------------


def start_standin() -> tuple[subprocess.Popen, str]:
    """The stand-in model in a process of its own; its base URL."""
    model = subprocess.Popen([sys.executable, "-m", "neatlogs_cli.demo.standin_model", "0"], stdout=subprocess.PIPE,
                             text=True)
    return model, model.stdout.readline().split()[-1]


def run_child(case: str, mode: str, base_url: str, endpoint: str, args: argparse.Namespace, env: dict[str, str]):
    """One child's figures, or the reason it skipped."""
    result = subprocess.run([sys.executable, __file__, "--child", case, mode, "--base-url", base_url,
                             "--endpoint", endpoint, "--turns", str(args.turns), "--warmup", str(args.warmup)],
                            capture_output=True, text=True, env=env, timeout=1800)
    lines = result.stdout.strip().splitlines()
    if result.returncode == SKIP:
        return lines[-1] if lines else "skipped"
    if result.returncode != 0 or not lines:
        return f"failed (exit {result.returncode}): {result.stderr.strip().splitlines()[-1:] or ''}"
    return json.loads(lines[-1])


def measure(case: str, base_url: str, endpoint: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    """Run the rounds of one case and print its table."""
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    skipped: dict[str, str] = {}
    for round_number in range(args.rounds):
        order = MODES[round_number % len(MODES):] + MODES[:round_number % len(MODES)]
        for mode in order:
            if mode in skipped:
                continue
            figures = run_child(case, mode, base_url, endpoint, args, env)
            if isinstance(figures, str):
                skipped[mode] = figures
            else:
                results[mode].append(figures)
        if "untraced" in skipped:
            break
    print(f"=== {case} ({args.rounds} rounds x {args.turns} turns, one tool call a turn) ===")
    if "untraced" in skipped:
        print(f"skipped: {skipped['untraced']}\n")
        return
    for mode, reason in skipped.items():
        print(f"{mode} skipped: {reason}")
    for column, label in (("wall_us", "wall clock"), ("cpu_us", "process CPU")):
        bare_runs = [r[column] for r in results["untraced"]]
        bare = statistics.median(bare_runs)
        added: dict[str, float] = {}
        print(f"--- {label} ---")
        print(f"{'mode':<16} {'µs/turn':>9} {'added µs':>10} {'x untraced':>11}")
        for mode in MODES:
            runs = [r[column] for r in results[mode]]
            if not runs:
                continue
            added[mode] = statistics.median(r - b for r, b in zip(runs, bare_runs))
            value = statistics.median(runs)
            print(f"{mode:<16} {value:>9.0f} {added[mode]:>10.0f} {value / bare:>11.3f}")
        if "neatlogs" in added and "openinference" in added:
            ours, peer = added["neatlogs"], added["openinference"]
            share = ours / peer if peer > 0 else float("nan")
            print(f"{case} {label}: neatlogs adds {ours:.0f} µs a turn, OpenInference {peer:.0f} µs; "
                  f"neatlogs/OpenInference = {share:.2f} (goal <= 0.5)")
    print()


def main() -> None:
    """Measure every case (or run one child, with --child)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100, help="timed turns per mode per round")
    parser.add_argument("--warmup", type=int, default=10, help="untimed turns first, per process")
    parser.add_argument("--rounds", type=int, default=5, help="processes per mode, order rotating")
    parser.add_argument("--cases", default=",".join(CASES), help="comma list of cases")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.base_url, args.endpoint, args.turns, args.warmup)
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=tempfile.mkdtemp(prefix="neatlogs-bench-"), OPENAI_API_KEY="sk-bench",
               LANGSMITH_TRACING="false", LANGCHAIN_TRACING_V2="false")
    model, base_url = start_standin()
    receiver, endpoint = start_receiver()
    try:
        for case in args.cases.split(","):
            if not (HERE / "frameworks" / f"{case}.py").exists():
                print(f"=== {case} ===\nskipped: no bench/frameworks/{case}.py\n")
                continue
            measure(case, base_url, endpoint, args, env)
    finally:
        model.terminate()
        receiver.terminate()


if __name__ == "__main__":
    main()
