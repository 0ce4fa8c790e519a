"""How long a traced program's exit is held, in the cases that used to hold it longest.

Each case runs a fresh program that makes spans and ends; the hold is the time from its
last line of code to the end of the process (one system-wide monotonic clock, so nothing
of start-up is counted). Cases: a healthy loopback receiver, a closed port, a black hole
(accepts, never answers), a slow endpoint with 24 KB spans (answers one request, then
holds every other), a 25k-span burst to a healthy receiver, and the local store locked by
another process. Beside each, the OpenTelemetry SDK's own BatchSpanProcessor + OTLP/HTTP
exporter (the peer, when installed) on the same endpoint. Goal: neatlogs holds at most
3 s in every case, and what it did not send is in the spool (the "kept" column).
Usage: python bench/exit_hold.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NEATLOGS = textwrap.dedent(
    """
    import os, sys, time, neatlogs
    neatlogs.init(session_id="exit")
    for i in range(int(sys.argv[1])):
        with neatlogs.trace("work", kind="LLM") as t:
            t.set_output(os.urandom(int(sys.argv[2]) // 2).hex())
    print(time.monotonic(), flush=True)
    """
)
PEER = textwrap.dedent(
    """
    import os, sys, time
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    provider = TracerProvider()  # shuts down (flushes) at exit, as the SDK does by default
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[3] + "/v1/traces")))
    tracer = provider.get_tracer("exit")
    for i in range(int(sys.argv[1])):
        with tracer.start_as_current_span("work") as span:
            span.set_attribute("output.value", os.urandom(int(sys.argv[2]) // 2).hex())
    print(time.monotonic(), flush=True)
    """
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    answer_first: int | None = None  # None: answer all; else answer this many, then hold the rest
    answered = 0

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        cls = type(self)
        if cls.answer_first is not None and cls.answered >= cls.answer_first:
            threading.Event().wait(120)  # a slow endpoint: never answers in time
            return
        cls.answered += 1
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def serve(answer_first: int | None) -> str:
    handler = type("Handler", (_Handler,), {"answer_first": answer_first, "answered": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def spooled_spans(home: str) -> int:
    """Spans in every spool under ``home`` (each file name ends in its span count)."""
    total = 0
    for _root, _, names in os.walk(os.path.join(home, "spool")):
        for name in names:
            if ".otlp.gz" in name and not name.endswith(".tmp"):
                try:
                    total += int(name.split(".otlp.gz")[0].rsplit("-", 1)[1])
                except (IndexError, ValueError):
                    pass  # not a spool file
    return total


def hold(code: str, spans: int, size: int, endpoint: str | None, home: str) -> tuple[float, str]:
    """Seconds from the program's last line to its end; and its last stderr line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env["NEATLOGS_HOME"] = home
    if endpoint:
        env["NEATLOGS_ENDPOINT"] = endpoint
    proc = subprocess.Popen([sys.executable, "-c", code, str(spans), str(size), endpoint or ""], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=600)
    ended = time.monotonic()
    try:
        last_line = float(out.split()[-1])
    except (IndexError, ValueError):
        return float("nan"), (err.strip().splitlines() or ["?"])[-1]
    return ended - last_line, (err.strip().splitlines() or [""])[-1]


def locked_store_home() -> tuple[str, sqlite3.Connection]:
    """A home whose traces.db another process (this one) holds an exclusive write lock on."""
    home = tempfile.mkdtemp(prefix="neatlogs-exit-locked-")
    hold(NEATLOGS, 1, 10, None, home)  # creates the store and its schema
    conn = sqlite3.connect(os.path.join(home, "traces.db"), isolation_level=None, timeout=60)
    conn.execute("BEGIN EXCLUSIVE")
    return home, conn


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(128)  # accepts, never answers
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    cases = [  # label, spans, bytes per span, endpoint (None: the local store, locked)
        ("healthy", 20, 10, lambda: serve(None)),
        ("closed port", 20, 10, lambda: f"http://127.0.0.1:{closed_port}"),
        ("black hole", 20, 10, lambda: f"http://127.0.0.1:{hole.getsockname()[1]}"),
        ("slow endpoint, 24 KB spans", 2000, 24_000, lambda: serve(1)),
        ("25k-span burst", 25_000, 0, lambda: serve(None)),
        ("locked local store", 2000, 1000, None),
    ]
    try:
        import opentelemetry.exporter.otlp.proto.http  # noqa: F401

        have_peer = True
    except ImportError:
        have_peer = False
        print("(OpenTelemetry's OTLP/HTTP exporter is not installed: no peer column; pip install '.[bench]')")
    print(f"{'case':<28} {'spans':>7} {'neatlogs held s':>16} {'kept (spool)':>13} {'peer held s':>12}")
    for label, spans, size, endpoint_of in cases:
        held, kept, peer = [], [], []
        last = ""
        for _ in range(args.runs):
            if endpoint_of is None:
                home, lock = locked_store_home()
                seconds, last = hold(NEATLOGS, spans, size, None, home)
                lock.rollback()
                lock.close()
            else:
                home = tempfile.mkdtemp(prefix="neatlogs-exit-")
                seconds, last = hold(NEATLOGS, spans, size, endpoint_of(), home)
            held.append(seconds)
            kept.append(spooled_spans(home))
            if have_peer and endpoint_of is not None:
                peer.append(hold(PEER, spans, size, endpoint_of(), tempfile.mkdtemp())[0])
        peer_text = f"{statistics.median(peer):>12.2f}" if peer else f"{'n/a':>12}"
        print(f"{label:<28} {spans:>7,} {statistics.median(held):>16.2f} {int(statistics.median(kept)):>13,} "
              f"{peer_text}")
        if last:
            print(f"    (neatlogs said: {last[:150]})")
    print("\ngoal: neatlogs holds exit at most 3 s in every case; what it did not send is in the spool")


if __name__ == "__main__":
    main()
