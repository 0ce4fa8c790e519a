"""Per-span cost of ``@neatlogs.span`` on an empty function, beside a bare OpenTelemetry SDK span.

Each case runs in a process of its own (init happens once per process), on the calling thread,
with a batch processor exporting on a background thread. Three pairs, like for like:

* **export discarded**: the bare SDK span and ``@neatlogs.span`` each hand their batches to an
  exporter that drops them, so the figure is what the decorator, its processors and the batch
  queue cost. The goal (at most 1.5x the bare span) is this one's;
* **OTLP/HTTP**: both export to one loopback receiver (in a process of its own), as a program
  with an endpoint does; the encoding competes with the loop for the GIL on both sides;
* **local store**: ``@neatlogs.span`` writing the SQLite store (no endpoint), beside the bare
  span of the first pair. Every span here is a root of its own trace and session, the store's
  most expensive case (each writes its session, trace and search rows), made faster than the
  writer can store them: the figure shows what that costs a program doing it.

Prints the median of several rounds in µs per span and the ratios.
Usage: python bench/span_overhead.py [--spans N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _overhead import start_receiver

CASES = ("bare-discard", "neatlogs-discard", "bare-otlp", "neatlogs-otlp", "neatlogs-local")


def per_span_us(call, spans: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean µs per call of ``call``."""
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(spans):
            call()
        results.append((time.perf_counter() - start) / spans * 1e6)
    return statistics.median(results)


def _bare(endpoint: str | None):
    """A plain SDK provider with a batch processor: to a discarding exporter, or OTLP/HTTP to ``endpoint``."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

    class Discard:
        def export(self, spans):
            return SpanExportResult.SUCCESS

        def shutdown(self):
            pass

        def force_flush(self, timeout_millis=30000):
            return True

    if endpoint is None:
        exporter = Discard()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("bench")

    def empty():
        with tracer.start_as_current_span("empty"):
            pass

    return empty, provider.shutdown


def _neatlogs(case: str, endpoint: str | None):
    os.environ["NEATLOGS_HOME"] = tempfile.mkdtemp(prefix="neatlogs-bench-")
    import neatlogs

    neatlogs.init(workflow_name="bench", endpoint=endpoint if case == "neatlogs-otlp" else None)

    @neatlogs.span()
    def empty():
        pass

    empty()  # builds the provider and its export pipeline
    if case == "neatlogs-discard":
        from opentelemetry.sdk.trace.export import SpanExportResult

        from neatlogs import tracing

        # The batch processor hands each batch to the router: make that a no-op (bench only).
        tracing.runtime.router.export = lambda spans: SpanExportResult.SUCCESS  # type: ignore[union-attr]
    return empty, neatlogs.shutdown


def run_case(case: str, endpoint: str | None, spans: int, rounds: int) -> float:
    """Measure one case in this process; µs per span."""
    if case.startswith("bare"):
        call, stop = _bare(endpoint if case == "bare-otlp" else None)
    else:
        call, stop = _neatlogs(case, endpoint)
    per_span_us(call, 2_000, 1)  # warm up
    result = per_span_us(call, spans, rounds)
    stop()
    return result


def main() -> None:
    """Measure every case, each in a process of its own, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.endpoint, args.spans, args.rounds)))
        return
    receiver, endpoint = start_receiver()
    try:
        us = {}
        for case in CASES:
            out = subprocess.run([sys.executable, __file__, "--case", case, "--endpoint", endpoint,
                                  "--spans", str(args.spans), "--rounds", str(args.rounds)],
                                 check=True, capture_output=True, text=True).stdout
            us[case] = json.loads(out.strip().splitlines()[-1])
    finally:
        receiver.kill()
    rows = [
        ("bare OpenTelemetry SDK span, export discarded", "bare-discard", "bare-discard"),
        ("@neatlogs.span, export discarded", "neatlogs-discard", "bare-discard"),
        ("bare OpenTelemetry SDK span, OTLP/HTTP", "bare-otlp", "bare-otlp"),
        ("@neatlogs.span, OTLP/HTTP", "neatlogs-otlp", "bare-otlp"),
        ("@neatlogs.span, local store", "neatlogs-local", "bare-discard"),
    ]
    print(f"{'case':<48} {'µs/span':>9} {'x bare':>7}")
    for label, case, base in rows:
        print(f"{label:<48} {us[case]:>9.2f} {us[case] / us[base]:>7.2f}")
    ratio = us["neatlogs-discard"] / us["bare-discard"]
    print(f"\nratio {ratio:.2f}x the bare span, export discarded on both (goal <= 1.5x)")
    print(f"with OTLP/HTTP on both {us['neatlogs-otlp'] / us['bare-otlp']:.2f}x; "
          f"writing the local store {us['neatlogs-local'] / us['bare-discard']:.2f}x")


if __name__ == "__main__":
    main()
