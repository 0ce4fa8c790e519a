"""Server time of the sessions and traces lists with each filter, the Overview and the Users page, small store vs big.

Two stores, 10,000 and 1,000,000 spans (by default), filled alike: chatbot turns of three
spans (AGENT > LLM > LLM client call) spread evenly over the last 7 days, 20 turns a session,
three models of two providers, a user for most sessions, a tag and metadata on some, an error
every 40th turn. For each request, the median time of GET on loopback (after warm-up) and the
rows it returned, and the big store's time as a ratio of the small one's (the baseline, same
run) for as many rows: a filter that finds a few rows in the small store fills a page in the
big one, so there it is timed again with ``limit`` set to the small store's count (that
time in brackets beside the ratio).
Goal: < 150 ms each, and flat (ratio near 1.00) from 10,000 to 1,000,000 spans.
Usage: python bench/dashboard_lists.py [--sizes 10000,1000000] [--runs 9] [--stores DIR]
(--stores keeps the stores in DIR and reuses them on the next run; an older schema's store
there is migrated on opening, and the time that takes is printed.)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time

from neatlogs import semconv, store
from neatlogs_cli.ui import DashboardServer

TURNS_PER_SESSION = 20
WEEK_NS = 7 * 86400 * 10**9
MODELS = (("openai", "gpt-4o"), ("anthropic", "claude-3-5-sonnet-20241022"), ("openai", "gpt-4o-mini"))

REQUESTS = [
    ("sessions, no filter", "/api/sessions"),
    ("sessions page, no filter", "/"),
    ("range=24h", "/api/sessions?range=24h"),
    ("from/to (one day)", None),  # filled in with the store's own times
    ("workflow", "/api/sessions?workflow=bench-sales"),
    ("model", "/api/sessions?model=gpt-4o-mini"),
    ("provider", "/api/sessions?provider=anthropic"),
    ("status=error", "/api/sessions?status=error"),
    ("min_latency", "/api/sessions?min_latency=1.5s"),
    ("min_tokens", "/api/sessions?min_tokens=5000"),
    ("min_cost", "/api/sessions?min_cost=0.05"),
    ("user", "/api/sessions?user=user-7"),
    ("tag", "/api/sessions?tag=vip"),
    ("meta", "/api/sessions?meta=plan%3Dpro"),
    ("q words", "/api/sessions?q=parcel%20number"),
    ("q part of an id", "/api/sessions?q=sion-12"),
    ("combined", "/api/sessions?range=7d&provider=openai&status=error&tag=vip&min_tokens=100"),  # every vip session has an error
    ("sort=-cost", "/api/sessions?sort=-cost"),
    ("sort=tokens", "/api/sessions?sort=tokens"),
    ("traces, no filter", "/api/traces"),
    ("traces page, model", "/traces?model=gpt-4o"),
    ("traces status=error", "/api/traces?status=error"),
    ("traces sort=-latency", "/api/traces?sort=-latency"),
    ("Overview 24h per hour", "/overview?range=24h"),
    ("Overview 7d per day, by model", "/overview?range=7d&bucket=day&split=model"),
    ("Users", "/users"),
]


def turn_records(n: int, turns: int, now: int) -> list[store.SpanRecord]:
    """Turn ``n`` of ``turns``: three spans, its session, model, user, tags and timing from ``n``."""
    session_no = n // TURNS_PER_SESSION
    session = f"session-{session_no}"
    start = now - WEEK_NS + n * (WEEK_NS // turns)
    provider, model = MODELS[n % len(MODELS)]
    latency = (200 + (n * 37) % 2000) * 1_000_000
    trace_id, ids = f"{n + 1:032x}", [f"{(n + 1) * 4 + i:016x}" for i in range(3)]
    common: dict = {semconv.SESSION_ID: session}
    if session_no % 5:
        common[semconv.USER_ID] = f"user-{session_no % 97}"
    if session_no % 10 == 3:
        common[semconv.TAG_TAGS] = ("vip",)
        common[semconv.METADATA] = '{"plan": "pro"}'
    resource = {semconv.SERVICE_NAME: "bench-sales" if session_no % 4 == 0 else "bench-support"}
    status = "ERROR" if n % 40 == 39 else "OK"
    call = {**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM", semconv.LLM_PROVIDER: provider,
            semconv.LLM_MODEL_NAME: model, semconv.LLM_TOKEN_COUNT_PROMPT: 300 + n % 500,
            semconv.LLM_TOKEN_COUNT_COMPLETION: 80, semconv.LLM_TOKEN_COUNT_TOTAL: 380 + n % 500,
            semconv.LLM_TOKEN_COUNT_PROMPT_CACHE_READ: 100}
    return [
        store.SpanRecord(trace_id, ids[2], ids[1], f"chat {model}", start + 2000, start + latency - 2000, kind="LLM",
                         span_kind="CLIENT", status_code=status, attributes=call, resource=resource),
        store.SpanRecord(trace_id, ids[1], ids[0], "respond", start + 1000, start + latency - 1000, kind="LLM",
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "LLM"}, resource=resource),
        store.SpanRecord(trace_id, ids[0], None, "chatbot_turn", start, start + latency, kind="AGENT",
                         status_code=status, resource=resource,
                         attributes={**common, semconv.OPENINFERENCE_SPAN_KIND: "AGENT",
                                     semconv.INPUT_VALUE: f"where is parcel number {n}",
                                     semconv.OUTPUT_VALUE: f"parcel {n} left the depot"}),
    ]


def build_store(path: str, total: int, now: int) -> None:
    """Fill ``path`` with ``total`` spans of turns, in exports of 6,000 spans."""
    conn = store.connect(path)
    turns = total // 3
    batch: list[store.SpanRecord] = []
    for n in range(turns):
        batch += turn_records(n, turns, now)
        if len(batch) >= 6000:
            store.insert_spans(conn, batch)
            batch = []
    store.insert_spans(conn, batch)
    conn.close()


def first_request_ms(port: int, path: str) -> float:
    """One GET's time: the first after opening pays for pricing what the store holds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", path)
    conn.getresponse().read()
    conn.close()
    return (time.perf_counter() - start) * 1000


def median_ms(port: int, path: str, runs: int) -> tuple[float, int | None]:
    """The median time of GET ``path`` and the rows its JSON list holds (None for a page or the Overview)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    times = []
    rows = None
    for i in range(runs + 2):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
        if i >= 2:  # two warm-up requests: thread connections, price cache, page cache
            times.append((time.perf_counter() - start) * 1000)
        if i == 0 and path.startswith(("/api/sessions", "/api/traces", "/api/users")):
            answer = json.loads(body)
            rows = next((len(v) for v in answer.values() if isinstance(v, list)), None)
    conn.close()
    return statistics.median(times), rows


def with_limit(path: str, limit: int) -> str:
    """``path`` asking for at most ``limit`` rows."""
    return path + ("&" if "?" in path else "?") + f"limit={limit}"


def main() -> None:
    """Build the stores, measure every request on each, print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--stores", help="a folder to keep the stores in and reuse them from")
    args = parser.parse_args()
    folder = args.stores or tempfile.mkdtemp(prefix="neatlogs-lists-")
    os.makedirs(folder, exist_ok=True)
    now = time.time_ns()
    day_from = (now - 3 * 86400 * 10**9) // 10**9
    requests = [(name, path or f"/api/sessions?from={day_from}&to={day_from + 86400}") for name, path in REQUESTS]
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, tuple[float, int | None]]] = {}
    same_rows: dict[int, dict[str, float]] = {}
    small = sizes[0]
    for size in sizes:
        path = os.path.join(folder, f"store-{size}.db")
        start = time.perf_counter()
        reused = os.path.exists(path)  # its spans end when it was built: range=24h finds fewer the older it is
        if not reused:
            build_store(path, size, now)
        built_s = time.perf_counter() - start
        start = time.perf_counter()
        with DashboardServer(path) as server:
            opened_s = time.perf_counter() - start
            first_ms = first_request_ms(server.port, "/api/sessions?sort=-cost")
            results[size] = {name: median_ms(server.port, url, args.runs) for name, url in requests}
            # A filter that fills a page here but found a few rows in the small store returns more
            # rows, not a slower search: it is timed again for as many rows as there.
            same_rows[size] = {}
            for name, url in requests:
                rows, baseline = results[size][name][1], results[small][name][1]
                if size != small and rows is not None and baseline is not None and rows > baseline:
                    same_rows[size][name] = median_ms(server.port, with_limit(url, max(baseline, 1)), args.runs)[0]
        print(f"store {size:>9,} spans ({'reused' if reused else f'built in {built_s:.0f} s'}, "
              f"{os.path.getsize(path) / 2**20:.0f} MiB; opened in {opened_s:.1f} s, "
              f"first list {first_ms:.0f} ms)", flush=True)
    rest = sizes[1:]
    width = max(len(name) for name, _ in requests)

    def like_for_like(size: int, name: str) -> float:
        return same_rows[size].get(name, results[size][name][0]) / results[small][name][0]

    header = f"{'request':<{width}}  " + "  ".join(f"{f'{s:,} spans (rows)':>24}" for s in sizes) + "  " + "  ".join(
        f"{f'x vs {small:,}, same rows':>24}" for _ in rest)
    print(header)
    worst_ms, worst_ratio = 0.0, 0.0
    for name, _ in requests:
        cells = "  ".join(f"{results[s][name][0]:9.1f} ms {'' if results[s][name][1] is None else f'({results[s][name][1]})':>11}"
                          for s in sizes)
        ratios = "  ".join(f"{like_for_like(s, name):>12.2f}" + (f" ({same_rows[s][name]:.1f} ms)" if name in same_rows[s]
                                                                  else " " * 11) for s in rest)
        print(f"{name:<{width}}  {cells}  {ratios}")
        worst_ms = max(worst_ms, *(results[s][name][0] for s in sizes))
        worst_ratio = max([worst_ratio] + [like_for_like(s, name) for s in rest])
    slow = [name for name, _ in requests if max(results[s][name][0] for s in sizes) >= 150]
    print(f"dashboard lists: slowest {worst_ms:.1f} ms, largest ratio x{worst_ratio:.2f} (1.00 = flat); "
          f"goal < 150 ms each: {'met' if not slow else 'NOT met by ' + ', '.join(slow)}")


if __name__ == "__main__":
    sys.exit(main())
