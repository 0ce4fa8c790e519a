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
import subprocess
import tempfile

from _overhead import per_call_us, print_overheads, start_receiver, start_standin

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def plain(client) -> None:
    """One plain chat completion."""
    client.chat.completions.create(model="gpt-bench", messages=MESSAGES)


def streamed(client) -> None:
    """One streamed chat completion, read to the end."""
    for _ in client.chat.completions.create(model="gpt-bench", messages=MESSAGES, stream=True):
        pass


def start_servers() -> tuple[subprocess.Popen, subprocess.Popen, str, str]:
    """The stand-in model and an OTLP receiver, each in a process of its own; their URLs."""
    model, base_url = start_standin("neatlogs_cli.demo.standin_model", "StandinModel")
    receiver, endpoint = start_receiver()
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

    print_overheads(results, modes, shapes, args.rounds, args.calls)


if __name__ == "__main__":
    main()
