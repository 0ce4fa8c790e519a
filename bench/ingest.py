"""The collector's ingest rate: spans/s from the first POST until all are queryable via the API.

20,000 spans (1 KB inputs, 100 sessions, turns of AGENT > LLM > CLIENT > TOOL) sent to a
`neatlogs ui` server on loopback as OTLP protobuf, batches of 512, from two threads. The
baseline, measured in the same run, is the store alone: the same spans written straight
with store.insert_spans (no HTTP, no protobuf). Goal: >= 10,000 spans/s.

The memory case: 8 clients at once each POST one max-size body (gzip, 16 MiB decoded) to a
`neatlogs ui` subprocess, retrying as its 503 ``Retry-After`` says, until all are stored;
the server's peak RSS (VmHWM) is printed. Goal: <= 300 MB.
Usage: python bench/ingest.py [--spans N] [--threads N] [--case rate|memory|all]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from queue import Empty, Queue

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "server"))

from otlp_bodies import protobuf_body  # noqa: E402 - built with opentelemetry-proto, test helper

from neatlogs import semconv, store  # noqa: E402
from neatlogs_cli.server.otlp_decode import decode_request  # noqa: E402
from neatlogs_cli.ui import DashboardServer  # noqa: E402

SESSIONS = 100
BATCH = 512
PAYLOAD = ("lorem ipsum dolor sit amet " * 40)[:1024]


def make_spans(total: int) -> list[dict]:
    """``total`` spans as 4-span turns spread over SESSIONS sessions, each with a 1 KB input."""
    spans = []
    base = time.time_ns() - 3600 * 10**9
    kinds = [("chatbot_turn", "AGENT", 1), ("respond", "LLM", 1), ("chat gpt-4o", "LLM", 3), ("lookup", "TOOL", 1)]
    turn = 0
    while len(spans) < total:
        session = f"bench-session-{turn % SESSIONS:03d}"
        trace_id = f"{turn + 1:032x}"
        start = base + turn * 10_000_000
        for i, (name, kind, otel_kind) in enumerate(kinds):
            if len(spans) == total:
                break
            attributes = {semconv.SESSION_ID: session, semconv.OPENINFERENCE_SPAN_KIND: kind,
                          semconv.INPUT_VALUE: f"turn {turn} {PAYLOAD}", semconv.OUTPUT_VALUE: f"reply {turn}"}
            if kind == "LLM" and otel_kind == 3:
                attributes[semconv.LLM_TOKEN_COUNT_TOTAL] = 42
            spans.append({
                "trace_id": trace_id, "span_id": f"{turn * 4 + i + 1:016x}",
                "parent": None if i == 0 else f"{turn * 4 + (1 if i == 3 else i):016x}",
                "name": name, "kind": otel_kind, "start": start + i * 1000, "end": start + 5_000_000 - i * 1000,
                "attributes": attributes,
            })
        turn += 1
    return spans


def post_all(host: str, port: int, bodies: Queue, errors: list) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while True:
        try:
            body = bodies.get_nowait()
        except Empty:
            break
        conn.request("POST", "/v1/traces", body, {"content-type": "application/x-protobuf"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            errors.append(response.status)
    conn.close()


def queryable(host: str, port: int) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.request("GET", "/api/sessions?limit=1000")
    data = json.loads(conn.getresponse().read())
    conn.close()
    return sum(s["span_count"] for s in data["sessions"])


MAX_BODY = 16 * 1024 * 1024  # the collector's default --max-body
CLIENTS = 8


def max_size_body(client: int) -> bytes:
    """A gzip OTLP body whose protobuf is just under MAX_BODY, its ids unique to ``client``."""
    per_span = len(protobuf_body(make_spans(8))) / 8
    spans = make_spans(int(MAX_BODY / per_span * 0.97))
    for span in spans:
        span["trace_id"] = f"{client + 1:04x}" + span["trace_id"][4:]
    while len(raw := protobuf_body(spans)) > MAX_BODY:
        spans = spans[: int(len(spans) * 0.98)]
    return gzip.compress(raw)


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024


def _post_until_stored(port: int, body: bytes, outcome: dict) -> None:
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/v1/traces", body, {"content-type": "application/x-protobuf",
                                                   "content-encoding": "gzip"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 503:
            outcome.setdefault("statuses", []).append(response.status)
            return
        outcome["busy"] = outcome.get("busy", 0) + 1
        time.sleep(float(response.getheader("retry-after") or 1))


def memory_case() -> None:
    """8 concurrent max-size bodies into a `neatlogs ui` subprocess: its peak RSS."""
    bodies = [max_size_body(c) for c in range(CLIENTS)]
    folder = tempfile.mkdtemp(prefix="neatlogs-ingest-mem-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "ui", "--port", str(port),
                               "--db", os.path.join(folder, "traces.db")], stdout=subprocess.DEVNULL)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        idle = _peak_rss_mb(server.pid)
        outcome: dict = {}
        threads = [threading.Thread(target=_post_until_stored, args=(port, b, outcome)) for b in bodies]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        peak = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"memory: {CLIENTS} concurrent bodies of {MAX_BODY / 2**20:.0f} MiB decoded "
          f"({len(bodies[0]) / 1e6:.2f} MB gzip each), statuses {sorted(set(outcome['statuses']))}, "
          f"{outcome.get('busy', 0)} answers 503 + Retry-After (retried), all stored in {elapsed:.1f} s")
    print(f"memory: collector peak RSS {peak:.0f} MB (idle {idle:.0f} MB); goal <= 300 MB: "
          f"{'met' if peak <= 300 else 'NOT met'}")


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--case", choices=("rate", "memory", "all"), default="all")
    args = parser.parse_args()
    if args.case in ("memory", "all"):
        memory_case()
    if args.case == "memory":
        return
    spans = make_spans(args.spans)
    bodies = [protobuf_body(spans[i:i + BATCH]) for i in range(0, len(spans), BATCH)]
    folder = tempfile.mkdtemp(prefix="neatlogs-ingest-")

    # Baseline: the same records straight into a store, in the same batches.
    records = [decode_request(b, "application/x-protobuf", None, 1 << 30) for b in bodies]
    conn = store.connect(os.path.join(folder, "direct.db"))
    start = time.perf_counter()
    for batch in records:
        store.insert_spans(conn, batch)
    direct_s = time.perf_counter() - start
    conn.close()

    with DashboardServer(os.path.join(folder, "ui.db")) as server:
        queue: Queue = Queue()
        for body in bodies:
            queue.put(body)
        errors: list = []
        threads = [threading.Thread(target=post_all, args=("127.0.0.1", server.port, queue, errors))
                   for _ in range(args.threads)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        while queryable("127.0.0.1", server.port) < len(spans):
            time.sleep(0.005)
        collector_s = time.perf_counter() - start
    if errors:
        raise SystemExit(f"the collector refused batches: {errors[:5]}")

    rate = len(spans) / collector_s
    print(f"spans: {len(spans)} in {len(bodies)} OTLP protobuf batches of {BATCH} from {args.threads} threads, "
          f"{SESSIONS} sessions, 1 KB inputs")
    print(f"store alone (baseline): {len(spans) / direct_s:10,.0f} spans/s  ({direct_s * 1000:.0f} ms)")
    print(f"collector, queryable:   {rate:10,.0f} spans/s  ({collector_s * 1000:.0f} ms)  "
          f"= {direct_s / collector_s:.2f} x the baseline's rate")
    print(f"goal >= 10,000 spans/s: {'met' if rate >= 10_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
