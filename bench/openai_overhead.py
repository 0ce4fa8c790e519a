"""Per-call overhead of tracing an OpenAI chat completion: neatlogs beside OpenInference.

One process, the real ``openai`` client against the loopback stand-in model. Three modes,
interleaved round by round so drift hits them alike: uninstrumented; neatlogs
(``instrumentations=["openai"]``, exporting OTLP/HTTP to a loopback receiver); and
OpenInference's OpenAI instrumentor on a plain OpenTelemetry SDK provider with a batch
OTLP/HTTP exporter to the same receiver. Both a plain call and a streamed call (read to
the end) are timed, in wall-clock and in process-CPU time. Prints median µs per call, the overhead over uninstrumented in µs,
and neatlogs' overhead as a share of OpenInference's (goal: at most 0.5).

Usage: python bench/openai_overhead.py [--calls N] [--rounds R]
(needs the ``bench`` extra: openinference-instrumentation-openai)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def plain(client) -> None:
    """One plain chat completion."""
    client.chat.completions.create(model="gpt-bench", messages=MESSAGES)


def streamed(client) -> None:
    """One streamed chat completion, read to the end."""
    for _ in client.chat.completions.create(model="gpt-bench", messages=MESSAGES, stream=True):
        pass


def per_call_us(call, client, calls: int) -> tuple[float, float]:
    """Mean wall-clock and process-CPU µs per call over ``calls`` calls.

    CPU time (all threads of this process: client, exporter, server, receiver) is far
    steadier than wall time on a shared, loaded machine, and it still counts the
    exporting that each instrumentation causes on its background thread.
    """
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call(client)
    return (time.perf_counter() - start) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


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
    parser.add_argument("--calls", type=int, default=200, help="calls per mode per round")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    os.environ["NEATLOGS_HOME"] = tempfile.mkdtemp(prefix="neatlogs-bench-")

    import openai
    from otlp_receiver import OtlpReceiver

    import neatlogs
    from neatlogs_cli.standin_model import StandinModel

    modes = ("uninstrumented", "neatlogs", "openinference")
    shapes = {"plain": plain, "streamed": streamed}
    results: dict[tuple[str, str], list[tuple[float, float]]] = {(m, s): [] for m in modes for s in shapes}
    with StandinModel() as model, OtlpReceiver() as receiver:
        switch = Modes(receiver.endpoint)
        client = openai.OpenAI(base_url=model.base_url, api_key="x", max_retries=0)
        for mode in modes:  # warm up every path once
            switch.enter(mode)
            for call in shapes.values():
                per_call_us(call, client, 50)
            switch.leave(mode)
        for _ in range(args.rounds):
            for mode in modes:
                switch.enter(mode)
                for shape, call in shapes.items():
                    results[(mode, shape)].append(per_call_us(call, client, args.calls))
                switch.leave(mode)
        neatlogs.shutdown()
        switch.peer_provider.shutdown()
        received = len(receiver.spans())

    print(f"median µs per call ({args.rounds} rounds x {args.calls} calls; {received} spans received)\n")
    for column, label in ((0, "wall clock"), (1, "process CPU")):
        median = {key: statistics.median(v[column] for v in values) for key, values in results.items()}
        print(f"--- {label} ---")
        print(f"{'shape':<10} {'mode':<16} {'µs/call':>9} {'overhead µs':>12} {'x bare':>7}")
        for shape in shapes:
            bare = median[("uninstrumented", shape)]
            for mode in modes:
                value = median[(mode, shape)]
                print(f"{shape:<10} {mode:<16} {value:>9.0f} {value - bare:>12.0f} {value / bare:>7.3f}")
        for shape in shapes:
            bare = median[("uninstrumented", shape)]
            ours = median[("neatlogs", shape)] - bare
            peer = median[("openinference", shape)] - bare
            share = ours / peer if peer > 0 else float("nan")
            print(f"{shape}: neatlogs adds {ours:.0f} µs, OpenInference {peer:.0f} µs; "
                  f"neatlogs/OpenInference overhead = {share:.2f} (goal <= 0.5)")
        print()

if __name__ == "__main__":
    main()
