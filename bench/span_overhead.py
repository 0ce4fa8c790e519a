"""Per-span cost of ``@neatlogs.span`` on an empty function, beside a bare OpenTelemetry SDK span.

Both run in one process, one after the other, on the calling thread; each side has a batch
processor exporting on a background thread (neatlogs to its local store, the bare SDK to an
exporter that discards). Prints the median of several rounds in µs per span and the ratio.
Goal: at most 1.5x the bare span.   Usage: python bench/span_overhead.py [--spans N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def per_span_us(call, spans: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean µs per call of ``call``."""
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(spans):
            call()
        results.append((time.perf_counter() - start) / spans * 1e6)
    return statistics.median(results)


def bare_otel_span():
    """A plain SDK provider, a batch processor and an exporter that discards."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

    class Discard:
        def export(self, spans):
            return SpanExportResult.SUCCESS

        def shutdown(self):
            pass

        def force_flush(self, timeout_millis=30000):
            return True

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    tracer = provider.get_tracer("bench")

    def empty():
        with tracer.start_as_current_span("empty"):
            pass

    return empty, provider


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    os.environ["NEATLOGS_HOME"] = tempfile.mkdtemp(prefix="neatlogs-bench-")
    import neatlogs

    neatlogs.init(workflow_name="bench")

    @neatlogs.span()
    def empty():
        pass

    bare, provider = bare_otel_span()
    for call in (bare, empty):  # warm up both
        per_span_us(call, 2_000, 1)
    bare_us = per_span_us(bare, args.spans, args.rounds)
    ours_us = per_span_us(empty, args.spans, args.rounds)
    neatlogs.shutdown()
    provider.shutdown()
    print(f"{'case':<44} {'µs/span':>9}")
    print(f"{'bare OpenTelemetry SDK span':<44} {bare_us:>9.2f}")
    print(f"{'@neatlogs.span on an empty function':<44} {ours_us:>9.2f}")
    print(f"\nratio {ours_us / bare_us:.2f}x the bare span (goal <= 1.5x)")


if __name__ == "__main__":
    main()
