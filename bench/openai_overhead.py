"""Per-call overhead of tracing an OpenAI chat completion: neatlogs beside OpenInference.

The real ``openai`` client against the stand-in model; the model and an OTLP receiver run
in processes of their own, as a model API and a backend would, so their work is not
counted and does not compete for this process's GIL. Three modes, interleaved round by
round in a rotating order so drift hits them alike: uninstrumented; neatlogs (``instrumentations=["openai"]``,
exporting OTLP/HTTP to the receiver); and OpenInference's OpenAI instrumentor on a plain
OpenTelemetry SDK provider with a batch OTLP/HTTP exporter to the same receiver. Each
timed round ends with that mode's flush, so each pays for its own exporting (a batch
processor would otherwise do it later, inside another mode's round). Both a plain call
and a streamed call (read to the end) are timed, in wall-clock and in process-CPU time.
Prints median µs per call, the overhead over uninstrumented in µs (the median over rounds
of each round's difference from that round's uninstrumented run, so slow drift in the
machine cancels out), and neatlogs' overhead as a share of OpenInference's (goal: at most 0.5).

Usage: python bench/openai_overhead.py [--calls N] [--rounds R]
(needs the ``bench`` extra: openinference-instrumentation-openai)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests")

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def plain(client) -> None:
    """One plain chat completion."""
    client.chat.completions.create(model="gpt-bench", messages=MESSAGES)


def streamed(client) -> None:
    """One streamed chat completion, read to the end."""
    for _ in client.chat.completions.create(model="gpt-bench", messages=MESSAGES, stream=True):
        pass


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


def start_servers() -> tuple[subprocess.Popen, subprocess.Popen, str, str]:
    """The stand-in model and an OTLP receiver, each in a process of its own; their URLs."""
    model = subprocess.Popen([sys.executable, "-m", "neatlogs_cli.demo.standin_model", "0"], stdout=subprocess.PIPE, text=True)
    base_url = model.stdout.readline().split()[-1]
    receiver = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]); from otlp_receiver import OtlpReceiver; "
         "r = OtlpReceiver().start(); print(r.endpoint, flush=True); time.sleep(3600)", TESTS],
        stdout=subprocess.PIPE, text=True)
    endpoint = receiver.stdout.readline().strip()
    return model, receiver, base_url, endpoint


class Modes:
    """Switches between the three modes; only one instrumentation is active at a time."""

    def __init__(self, endpoint: str) -> None:
        import openai
        from openinference.instrumentation.openai import OpenAIInstrumentor
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        import neatlogs
        from neatlogs.instrumentation import openai as neatlogs_openai

        self._openai = openai
        self._neatlogs_openai = neatlogs_openai
        neatlogs.init(endpoint=endpoint, workflow_name="bench", instrumentations=["openai"])
        neatlogs_openai.uninstrument()  # off until its turn
        self.peer_provider = TracerProvider()
        self.peer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        self._peer = OpenAIInstrumentor()

    def flush(self, mode: str) -> None:
        """Export what the mode's calls made, now."""
        if mode == "neatlogs":
            import neatlogs

            neatlogs.flush()
        elif mode == "openinference":
            self.peer_provider.force_flush()

    def enter(self, mode: str) -> None:
        if mode == "neatlogs":
            self._neatlogs_openai.instrument(self._openai)
        elif mode == "openinference":
            self._peer.instrument(tracer_provider=self.peer_provider)

    def leave(self, mode: str) -> None:
        if mode == "neatlogs":
            self._neatlogs_openai.uninstrument()
        elif mode == "openinference":
            self._peer.uninstrument()


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per mode per round")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    os.environ["NEATLOGS_HOME"] = tempfile.mkdtemp(prefix="neatlogs-bench-")

    import openai

    import neatlogs

    modes = ("uninstrumented", "neatlogs", "openinference")
    shapes = {"plain": plain, "streamed": streamed}
    results: dict[tuple[str, str], list[tuple[float, float]]] = {(m, s): [] for m in modes for s in shapes}
    model, receiver, base_url, endpoint = start_servers()
    try:
        switch = Modes(endpoint)
        client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
        for mode in modes:  # warm up every path once
            switch.enter(mode)
            for call in shapes.values():
                per_call_us(call, client, 50, lambda mode=mode: switch.flush(mode))
            switch.leave(mode)
        for round_number in range(args.rounds):
            # Rotate the order so no mode always runs first (just after a switch) or last.
            order = modes[round_number % 3:] + modes[:round_number % 3]
            for shape, call in shapes.items():
                for mode in order:
                    switch.enter(mode)
                    results[(mode, shape)].append(per_call_us(call, client, args.calls, lambda mode=mode: switch.flush(mode)))
                    switch.leave(mode)
        neatlogs.shutdown()
        switch.peer_provider.shutdown()
    finally:
        model.terminate()
        receiver.terminate()

    print(f"median µs per call ({args.rounds} rounds x {args.calls} calls); overhead = median of each round's "
          "difference from the uninstrumented run of that round\n")
    for column, label in ((0, "wall clock"), (1, "process CPU")):
        print(f"--- {label} ---")
        print(f"{'shape':<10} {'mode':<16} {'µs/call':>9} {'overhead µs':>12} {'x bare':>7}")
        overhead: dict[tuple[str, str], float] = {}
        for shape in shapes:
            bare_runs = [v[column] for v in results[("uninstrumented", shape)]]
            bare = statistics.median(bare_runs)
            for mode in modes:
                runs = [v[column] for v in results[(mode, shape)]]
                overhead[(mode, shape)] = statistics.median(r - b for r, b in zip(runs, bare_runs))
                value = statistics.median(runs)
                print(f"{shape:<10} {mode:<16} {value:>9.0f} {overhead[(mode, shape)]:>12.0f} {value / bare:>7.3f}")
        for shape in shapes:
            ours, peer = overhead[("neatlogs", shape)], overhead[("openinference", shape)]
            share = ours / peer if peer > 0 else float("nan")
            print(f"{shape}: neatlogs adds {ours:.0f} µs, OpenInference {peer:.0f} µs; "
                  f"neatlogs/OpenInference overhead = {share:.2f} (goal <= 0.5)")
        print()


if __name__ == "__main__":
    main()
