"""A burst of spans with the endpoint down: peak memory, time to exit, and what was kept or dropped.

Runs a program that makes N spans as fast as it can against a dead endpoint, in a fresh
process, then reads the spool. Beside it, the same burst through OpenTelemetry's own
batch processor and OTLP/HTTP exporter (when installed) as the peer; a counting wrapper
tells how many spans that pipeline ever handed to its exporter.

Then memory with big spans: 24 KB replies while the endpoint is slow (it answers one
request, then holds every other), peak RSS against the same loop untraced; the goal is at
most +100 MB for neatlogs (its queue is bounded in bytes: ``max_queue_bytes``).
Usage: python bench/burst.py [--spans N] [--big-spans N]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NEATLOGS_PROGRAM = textwrap.dedent(
    """
    import resource, sys, neatlogs
    neatlogs.init(session_id="burst")
    for i in range(int(sys.argv[1])):
        with neatlogs.trace("burst", kind="TOOL"):
            pass
    neatlogs.shutdown()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)

PEER_PROGRAM = textwrap.dedent(
    """
    import resource, sys
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    inner = OTLPSpanExporter(endpoint=sys.argv[2] + "/v1/traces")
    handed = [0]
    class Counting:
        def export(self, spans):
            handed[0] += len(spans)
            return inner.export(spans)
        def shutdown(self): inner.shutdown()
        def force_flush(self, timeout_millis=30000): return True
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Counting()))
    tracer = provider.get_tracer("burst")
    for i in range(int(sys.argv[1])):
        with tracer.start_as_current_span("burst"):
            pass
    provider.shutdown()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, handed[0], file=sys.stderr)
    """
)


BIG_PROGRAM = textwrap.dedent(
    """
    import os, resource, sys
    spans, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "neatlogs":
        import neatlogs
        neatlogs.init(session_id="big")
    elif mode == "peer":
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[3] + "/v1/traces")))
        tracer = provider.get_tracer("big")
    for i in range(spans):
        reply = f"{i:08d}-" + os.urandom(12000).hex()[:23990]  # a 24 KB reply, incompressible
        if mode == "neatlogs":
            with neatlogs.trace("reply", kind="LLM") as t:
                t.set_output(reply)
        elif mode == "peer":
            with tracer.start_as_current_span("reply") as span:
                span.set_attribute("output.value", reply)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, flush=True)
    os._exit(0)  # peak memory is the figure here; the exit is bench/exit_hold.py's
    """
)


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    answered = 0

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if type(self).answered >= 1:
            threading.Event().wait(300)  # slow: never answers in time
            return
        type(self).answered += 1
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def slow_endpoint() -> str:
    """A loopback endpoint that answers one request, then holds every other."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Slow", (_Slow,), {"answered": 0}))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def run_big(spans: int) -> None:
    """Peak RSS of 24 KB spans with a slow endpoint: untraced, neatlogs, and the peer."""
    print(f"\n{spans:,} spans of 24 KB, endpoint slow (answers one request, then holds):")
    print(f"{'pipeline':<28} {'peak RSS MiB':>13} {'over untraced':>14}")
    base = None
    modes = ["untraced", "neatlogs"]
    try:
        import opentelemetry.exporter.otlp.proto.http  # noqa: F401

        modes.append("peer")
    except ImportError:
        pass
    for mode in modes:
        endpoint = slow_endpoint()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
        env.update(NEATLOGS_HOME=tempfile.mkdtemp(prefix="neatlogs-big-"), NEATLOGS_ENDPOINT=endpoint)
        result = subprocess.run([sys.executable, "-c", BIG_PROGRAM, str(spans), mode, endpoint], env=env,
                                capture_output=True, text=True, timeout=600)
        rss = int(result.stdout.split()[-1])
        base = rss if base is None else base
        label = {"untraced": "untraced", "neatlogs": "neatlogs (16 MiB queue)",
                 "peer": "OpenTelemetry SDK (peer)"}[mode]
        print(f"{label:<28} {rss:>13,} {rss - base:>+14,}")
    print("goal: neatlogs at most +100 MB over the untraced run")


def dead_endpoint() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def run_neatlogs(spans: int) -> None:
    """Run the burst under neatlogs and print memory, time and the spool's count."""
    from neatlogs.export.spool import Spool, spool_folder

    home = tempfile.mkdtemp(prefix="neatlogs-burst-")
    endpoint = dead_endpoint()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env.update(NEATLOGS_HOME=home, NEATLOGS_ENDPOINT=endpoint)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", NEATLOGS_PROGRAM, str(spans)], env=env,
                            capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    spool = Spool(spool_folder(home, endpoint), endpoint)
    kept = spool.pending_spans()
    spool_full = spool.dropped_total()
    dropped = spans - kept
    print(f"{'neatlogs':<28} {spans:>10,} {elapsed:>9.1f} {int(result.stdout.split()[-1]):>13,} "
          f"{kept:>12,} {dropped:>10,}   (spool full, oldest dropped: {spool_full:,}; "
          f"queue overflow: {dropped - spool_full:,}; spool bound {spool.max_bytes // 2**20} MiB)")
    if result.stderr.strip():
        print(f"    (it said: {result.stderr.strip().splitlines()[-1]})")


def run_peer(spans: int) -> None:
    """Run the same burst through OpenTelemetry's batch processor and OTLP exporter."""
    try:
        import opentelemetry.exporter.otlp.proto.http  # noqa: F401
    except ImportError:
        print("OpenTelemetry OTLP/HTTP exporter not installed: peer row skipped (pip install '.[bench]')")
        return
    start = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, "-c", PEER_PROGRAM, str(spans), dead_endpoint()],
                                capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        print(f"{'OpenTelemetry SDK (peer)':<28} {spans:>10,} {'>300':>9}")
        return
    elapsed = time.perf_counter() - start
    rss, handed = (int(x) for x in result.stderr.split()[-2:])
    print(f"{'OpenTelemetry SDK (peer)':<28} {spans:>10,} {elapsed:>9.1f} {rss:>13,} {0:>12,} {spans - handed:>10,}"
          f"   (reached its exporter: {handed:,}, all lost with the endpoint down)")


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--peer-spans", type=int, default=200_000)
    parser.add_argument("--big-spans", type=int, default=20_000)
    args = parser.parse_args()
    print(f"{'pipeline':<28} {'spans':>10} {'seconds':>9} {'peak RSS MiB':>13} {'kept (spool)':>12} {'dropped':>10}")
    run_neatlogs(args.spans)
    run_peer(args.peer_spans)
    run_big(args.big_spans)


if __name__ == "__main__":
    main()
