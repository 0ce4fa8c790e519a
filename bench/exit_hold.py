"""How long a dead or black-holed endpoint holds a traced program's exit.

A program makes 20 spans and ends. Timed as fresh processes, medians of a few runs each:
against a healthy loopback receiver (the baseline), a closed port, and a black hole (a
socket that accepts and never answers); beside it the OpenTelemetry SDK's own batch
processor and OTLP/HTTP exporter (when installed) as the peer. Goal: neatlogs adds at most
5 s. Usage: python bench/exit_hold.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

NEATLOGS = textwrap.dedent(
    """
    import neatlogs
    neatlogs.init(session_id="exit")
    for i in range(20):
        with neatlogs.trace("work"):
            pass
    """
)
PEER = textwrap.dedent(
    """
    import sys
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1] + "/v1/traces")))
    tracer = provider.get_tracer("exit")
    for i in range(20):
        with tracer.start_as_current_span("work"):
            pass
    provider.shutdown()
    """
)


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def timed(code: str, endpoint: str, runs: int, as_argument: bool) -> float:
    """Median seconds of ``runs`` fresh processes of ``code`` sending to ``endpoint``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=tempfile.mkdtemp(prefix="neatlogs-exit-"), NEATLOGS_ENDPOINT=endpoint)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        argv = [sys.executable, "-c", code] + ([endpoint] if as_argument else [])
        subprocess.run(argv, env=env, capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    healthy = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    Thread(target=healthy.serve_forever, daemon=True).start()
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(128)  # accepts, never answers
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    endpoints = {
        "healthy": f"http://127.0.0.1:{healthy.server_address[1]}",
        "closed port": f"http://127.0.0.1:{closed_port}",
        "black hole": f"http://127.0.0.1:{hole.getsockname()[1]}",
    }
    try:
        import opentelemetry.exporter.otlp.proto.http  # noqa: F401

        pipelines = [("neatlogs", NEATLOGS, False), ("OpenTelemetry SDK (peer)", PEER, True)]
    except ImportError:
        pipelines = [("neatlogs", NEATLOGS, False)]
        print("(OpenTelemetry's OTLP/HTTP exporter is not installed: no peer row; pip install '.[bench]')")
    print(f"{'pipeline':<26} {'endpoint':<12} {'exit s':>7} {'held s':>7}")
    for name, code, as_argument in pipelines:
        base = timed(code, endpoints["healthy"], args.runs, as_argument)
        print(f"{name:<26} {'healthy':<12} {base:>7.2f} {0:>7.2f}")
        for label in ("closed port", "black hole"):
            seconds = timed(code, endpoints[label], args.runs, as_argument)
            print(f"{name:<26} {label:<12} {seconds:>7.2f} {seconds - base:>7.2f}")
    print("\ngoal: neatlogs holds exit at most 5 s over the healthy baseline")


if __name__ == "__main__":
    main()
