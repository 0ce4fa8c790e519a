"""Server time for a 200-turn session's page and API, in a small store and in a big one; a long session.

Two stores, 10,000 and 1,000,000 spans, each holding the same 200-turn session (600 spans:
AGENT > LLM > CLIENT, 1 KB inputs) among filler sessions. Prints the median time of
GET /sessions/{id} and GET /api/sessions/{id} on loopback, and the big store's time as a
ratio of the small one's (the baseline, same run). Goal: < 300 ms, flat with store size.

Then one session of 20,000 turns (60,000 spans, what one `neatlogs run -- uvicorn app:app`
makes), served by `neatlogs ui` in its own process: the first page's time and size, the
median of later ones, a live page's fetch of its newest turn, and the dashboard's peak RSS
against an idle dashboard's (the baseline). Goal: first page < 1 s, memory bounded.
Usage: python bench/session_page.py [--sizes 10000,1000000] [--runs 15] [--long-turns 20000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from neatlogs import semconv, store
from neatlogs.store.schema import LOCAL_ROOT_SQL
from neatlogs_cli.ui import DashboardServer

TARGET = "bench-target-session"
TURNS = 200
PAYLOAD = ("lorem ipsum dolor sit amet " * 40)[:1024]


def turn_records(session: str, turn: int, trace_no: int, start: int, payload: str) -> list[store.SpanRecord]:
    """One chatbot turn: AGENT > LLM > CLIENT chat span."""
    trace_id = f"{trace_no:032x}"
    ids = [f"{trace_no * 4 + i:016x}" for i in range(3)]
    common = {semconv.SESSION_ID: session}
    user_key = semconv.message_key(semconv.LLM_INPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT)
    reply_key = semconv.message_key(semconv.LLM_OUTPUT_MESSAGES, 0, semconv.MESSAGE_CONTENT)
    return [
        store.SpanRecord(trace_id, ids[0], None, "chatbot_turn", start, start + 900_000, kind="AGENT",
                         span_kind="INTERNAL", resource={semconv.SERVICE_NAME: "bench"},
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "AGENT",
                                     semconv.INPUT_VALUE: f"turn {turn}: {payload}",
                                     semconv.OUTPUT_VALUE: f"reply to turn {turn}"}),
        store.SpanRecord(trace_id, ids[1], ids[0], "respond", start + 1000, start + 800_000, kind="LLM",
                         span_kind="INTERNAL", resource={semconv.SERVICE_NAME: "bench"},
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM",
                                     semconv.LLM_PROMPT_TEMPLATE: "You are helpful."}),
        store.SpanRecord(trace_id, ids[2], ids[1], "chat gpt-4o", start + 2000, start + 700_000, kind="LLM",
                         span_kind="CLIENT", resource={semconv.SERVICE_NAME: "bench"},
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM", user_key: payload,
                                     reply_key: f"reply to turn {turn}", semconv.LLM_TOKEN_COUNT_TOTAL: 40}),
    ]


def build_store(path: str, total: int) -> None:
    """Fill ``path`` with the target session (in the middle of time) and filler up to ``total`` spans."""
    conn = store.connect(path)
    base = 1_700_000_000_000_000_000
    trace_no = 1
    batch: list[store.SpanRecord] = []
    filler_turns = (total - TURNS * 3) // 3
    target_at = filler_turns // 2
    written = 0
    for n in range(filler_turns + TURNS):
        if target_at <= n < target_at + TURNS:
            records = turn_records(TARGET, n - target_at, trace_no, base + n * 10**9, PAYLOAD)
        else:
            records = turn_records(f"filler-{n // 50}", n % 50, trace_no, base + n * 10**9, "short input")
        trace_no += 1
        batch += records
        if len(batch) >= 6000:
            written += store.insert_spans(conn, batch)
            batch = []
    written += store.insert_spans(conn, batch)
    conn.close()
    assert written >= total - 3, written


def median_ms(port: int, path: str, runs: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for i in range(runs + 2):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        if i >= 2:  # two warm-up requests: thread connections, page cache
            times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return statistics.median(times)


def build_long_session(path: str, turns: int) -> None:
    """One session of ``turns`` turns (3 spans each), as one long-running server program makes."""
    conn = store.connect(path)
    base = time.time_ns() - turns * 10**9
    batch: list[store.SpanRecord] = []
    for n in range(turns):
        batch += turn_records("long-session", n, n + 1, base + n * 10**9, PAYLOAD[:200])
        if len(batch) >= 6000:
            store.insert_spans(conn, batch)
            batch = []
    store.insert_spans(conn, batch)
    conn.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _get(port: int, path: str) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
    return elapsed, len(body)


def long_session(folder: str, turns: int, runs: int) -> None:
    """Serve a ``turns``-turn session from `neatlogs ui` in its own process and measure its page."""
    path = os.path.join(folder, "long.db")
    start = time.perf_counter()
    build_long_session(path, turns)
    built_s = time.perf_counter() - start
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "ui", "--db", path, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/api/traces?limit=1")
                break
            except (OSError, SystemExit):
                if time.monotonic() > deadline:
                    raise SystemExit("neatlogs ui did not start") from None
                time.sleep(0.2)
        idle_rss = _peak_rss_mb(server.pid)
        first_ms, size = _get(port, "/sessions/long-session")
        later = statistics.median(_get(port, "/sessions/long-session")[0] for _ in range(runs))
        conn = store.connect(path)
        last_root = conn.execute("SELECT MAX(start_time_ns) FROM spans WHERE session_id = 'long-session' "
                                 f"AND {LOCAL_ROOT_SQL}").fetchone()[0]
        conn.close()
        live = statistics.median(_get(port, f"/sessions/long-session?after={last_root}&from={turns}&fragment=1")[0]
                                 for _ in range(runs))
        peak_rss = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"a {turns:,}-turn session ({turns * 3:,} spans; built in {built_s:.0f} s): first page {first_ms:6.1f} ms "
          f"({size / 1024:.0f} KB), later pages {later:6.1f} ms, live fetch of the newest turn {live:5.1f} ms; "
          f"dashboard peak RSS {peak_rss:.0f} MiB vs {idle_rss:.0f} MiB idle (x{peak_rss / idle_rss:.2f}); "
          f"goal first page < 1 s: {'met' if first_ms < 1000 else 'NOT met'}", flush=True)


def main() -> None:
    """Build the stores, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--long-turns", type=int, default=20_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="neatlogs-page-")
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        path = os.path.join(folder, f"store-{size}.db")
        start = time.perf_counter()
        build_store(path, size)
        built_s = time.perf_counter() - start
        with DashboardServer(path) as server:
            page = median_ms(server.port, f"/sessions/{TARGET}", args.runs)
            api = median_ms(server.port, f"/api/sessions/{TARGET}", args.runs)
            listing = median_ms(server.port, "/", args.runs)
            conn = http.client.HTTPConnection("127.0.0.1", server.port)
            conn.request("GET", f"/api/sessions/{TARGET}/summary")
            turns = json.loads(conn.getresponse().read())["trace_count"]
        results.append((size, page, api, listing))
        print(f"store {size:>9,} spans (built in {built_s:.0f} s; session has {turns} turns): "
              f"page {page:6.1f} ms   api {api:6.1f} ms   sessions list {listing:5.1f} ms", flush=True)
    (small, page0, api0, _), *rest = results
    for size, page, api, _ in rest:
        print(f"{size:,} vs {small:,} spans: page x{page / page0:.2f}, api x{api / api0:.2f} "
              f"(1.00 = flat); goal < 300 ms: {'met' if max(page, api) < 300 else 'NOT met'}")
    if args.long_turns:
        long_session(folder, args.long_turns, args.runs)


if __name__ == "__main__":
    sys.exit(main())
