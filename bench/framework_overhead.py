"""Per-turn overhead of tracing an agent framework: neatlogs beside OpenInference's instrumentor.

Each case (``bench/frameworks/<name>.py``) builds one framework's agent against the stand-in
model and returns a function running one agent turn that includes a tool call. A case module
defines:

- ``NEATLOGS_INSTRUMENTATION``: the neatlogs instrumentation name (``"langchain"``);
- ``OPENINFERENCE_INSTRUMENTOR``: OpenInference's instrumentor, ``"module:ClassName"``;
- ``build_turn(base_url) -> Callable[[], None]``: the agent against the OpenAI-compatible
  ``base_url`` (``http://127.0.0.1:PORT/v1``), and one turn of it.

The stand-in model runs in a process of its own (as a model API would), so its work is not
counted. Every mode runs in a process of its own, so one instrumentation never sees
another's patches: untraced; neatlogs (``init(instrumentations=[NEATLOGS_INSTRUMENTATION,
"openai"])``: the framework's steps and the client calls beneath, as ``neatlogs run`` records
them) sending OTLP/HTTP to a receiver; OpenInference's instrumentor on a plain OpenTelemetry
SDK provider with a BatchSpanProcessor and the OTLP/HTTP exporter to the same receiver (in a
process of its own, so both pay for sending and neither for receiving); and, for the
record, neatlogs writing the local store instead (``neatlogs run``'s default, in a temporary
NEATLOGS_HOME), which has no peer. Each worker warms up, then times the batches of turns the
driver asks for, its own flush ending each (``_overhead.drive_workers``: many short rounds,
the order of the modes rotating, so each round's paired differences are taken seconds apart
and a host's drift cancels; three generations of fresh workers). Prints median µs per turn
(wall clock and process CPU), the time each instrumentation adds per turn (the median over
rounds of each round's difference from that round's untraced run, with its quartiles) and
neatlogs' added time as a share of OpenInference's (goal: at most 0.5). A case whose module
or framework cannot be imported is skipped, saying why; no timing is asserted.

Usage: python bench/framework_overhead.py [--turns N] [--rounds R] [--cases langchain,openai_agents]
(needs the ``bench`` extra for OpenInference's instrumentors, and each framework installed)
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _overhead import drive_workers, print_overheads, serve_rounds, start_receiver

HERE = Path(__file__).resolve().parent

CASES = ["langchain", "openai_agents"]
"""The case modules under bench/frameworks/, in the order they are measured."""

MODES = ("untraced", "neatlogs", "openinference", "neatlogs-local")
"""``neatlogs-local`` writes the local store; the share against OpenInference compares the OTLP modes."""

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


def child(case_name: str, mode: str, base_url: str, endpoint: str, warmup: int) -> None:
    """Set one case up in one mode, then time the turns the driver asks for (``_overhead.serve_rounds``)."""
    try:
        case = _load_case(case_name)
        flush = _setup(case, mode, endpoint)
        turn = case.build_turn(base_url)
    except ImportError as error:
        print(f"skip: {error}", flush=True)
        return
    serve_rounds({"turn": turn}, flush, warmup)


# --- the parent: every case, every mode, in rounds ---------------------------------------------


def start_standin() -> tuple[subprocess.Popen, str]:
    """The stand-in model in a process of its own; its base URL."""
    model = subprocess.Popen([sys.executable, "-m", "neatlogs_cli.demo.standin_model", "0"], stdout=subprocess.PIPE,
                             text=True)
    return model, model.stdout.readline().split()[-1]


def measure(case: str, base_url: str, endpoint: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    """Run the rounds of one case and print its table."""
    commands = {mode: [sys.executable, __file__, "--child", case, mode, "--base-url", base_url, "--endpoint", endpoint,
                       "--warmup", str(args.warmup)] for mode in MODES}
    skipped: dict[str, str] = {}
    results = drive_workers(commands, ("turn",), args.rounds, args.turns, env, skipped=skipped)
    print(f"=== {case} ({args.rounds} rounds x {args.turns} turns, one tool call a turn) ===")
    if "untraced" in skipped:
        print(f"skipped: {skipped['untraced']}\n")
        return
    for mode, reason in skipped.items():
        print(f"{mode} skipped: {reason}")
    modes = tuple(m for m in MODES if m not in skipped)
    if "neatlogs" in modes and "openinference" in modes:
        print_overheads(results, modes, ("turn",), args.rounds, args.turns, baseline="untraced", unit="turn",
                        title=f"{case} ")


def main() -> None:
    """Measure every case (or run one child, with --child)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="timed turns per mode per round, the flush after them")
    parser.add_argument("--warmup", type=int, default=10, help="untimed turns first, per process")
    parser.add_argument("--rounds", type=int, default=40, help="rounds, the order rotating, in three generations of "
                                                               "worker processes")
    parser.add_argument("--cases", default=",".join(CASES), help="comma list of cases")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.base_url, args.endpoint, args.warmup)
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
