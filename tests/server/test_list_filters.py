"""The lists' filters, sort, cost and the Overview through the real dashboard: JSON API, CSV and pages."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import textwrap
import time

import dashboard_data
import pytest
from http_client import http

from neatlogs import semconv, store


@pytest.fixture
def data_server(db_path):
    from neatlogs_cli.ui import DashboardServer

    dashboard_data.build(db_path)
    with DashboardServer(db_path) as running:
        yield running


def _sessions(server, query: str) -> list[str]:
    reply = http("GET", server.url + "/api/sessions?" + query)
    assert reply.status == 200, reply.body
    return [s["session_id"] for s in reply.json()["sessions"]]


def _traces(server, query: str) -> list[str]:
    reply = http("GET", server.url + "/api/traces?" + query)
    assert reply.status == 200, reply.body
    return [t["session_id"] for t in reply.json()["traces"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["alpha-session", "beta-session", "gamma-session"]),
    ("range=1h", ["alpha-session"]),
    ("range=24h", ["alpha-session", "beta-session"]),
    ("workflow=sales", ["beta-session"]),
    ("model=gpt-4o", ["alpha-session", "gamma-session"]),
    ("provider=anthropic", ["beta-session"]),
    ("status=error", ["beta-session"]),
    ("status=ok&workflow=support", ["alpha-session", "gamma-session"]),
    ("min_latency=2s", ["beta-session"]),
    ("min_tokens=2400", ["alpha-session"]),
    ("min_cost=0.1", ["gamma-session"]),
    ("min_cost=0.005&range=7d", ["alpha-session", "beta-session", "gamma-session"]),
    ("user=alice", ["alpha-session"]),
    ("tag=vip", ["alpha-session"]),
    ("meta=plan%3Dpro", ["alpha-session"]),
    ("tag=vip&status=error", []),
    ("q=parcel", ["alpha-session"]),  # words of the turns' text
    ("q=parc", ["alpha-session"]),  # the last word as a prefix
    ("q=refund%20my%20ord&limit=1", ["beta-session"]),
    ("q=pha-ses", ["alpha-session"]),  # a part of an id
    ("q=support_t", ["alpha-session", "beta-session", "gamma-session"]),  # a part of a root span's name
    ("sort=-cost", ["gamma-session", "beta-session", "alpha-session"]),
    ("sort=tokens", ["gamma-session", "beta-session", "alpha-session"]),
    ("sort=session&limit=2", ["alpha-session", "beta-session"]),
])
def test_sessions_filter_and_sort(data_server, query, expected):
    assert _sessions(data_server, query) == expected


def test_a_search_gives_whole_words_first_and_parts_of_words_when_those_fill_no_page(db_path):
    from neatlogs_cli.ui import DashboardServer

    now = time.time_ns()
    spans = []
    for n, (session, text) in enumerate([("older", "my parcel is lost"), ("newer", "parcels arrived")]):
        spans += dashboard_data._turn(10 + n, session, now - (100 - n) * 10**9, service="support", provider="openai",
                                      model="gpt-4o", prompt=10, completion=10, text=text)
    conn = store.connect(db_path)
    store.insert_spans(conn, spans)
    conn.close()
    with DashboardServer(db_path) as server:
        assert _sessions(server, "q=parcel&limit=1") == ["older"]  # a page of whole words: the first pass's
        assert _sessions(server, "q=parcel") == ["newer", "older"]  # no page full: "parcels" too, newest first
        assert _traces(server, "q=parcel&limit=1") == ["older"]


def test_model_calls_that_reported_no_tokens_say_so_rather_than_0_tokens_and_0_dollars(db_path):
    from neatlogs_cli.ui import DashboardServer

    # An OpenAI stream without stream_options={"include_usage": True} reports no usage.
    spans = [s for s in dashboard_data._turn(20, "unreported", time.time_ns(), service="support", provider="openai",
                                             model="gpt-4o", prompt=0, completion=0, text="hi")]
    for span in spans:
        for key in (semconv.LLM_TOKEN_COUNT_PROMPT, semconv.LLM_TOKEN_COUNT_COMPLETION, semconv.LLM_TOKEN_COUNT_TOTAL):
            span.attributes.pop(key, None)
    conn = store.connect(db_path)
    store.insert_spans(conn, spans)
    conn.close()
    with DashboardServer(db_path) as server:
        row = http("GET", server.url + "/api/sessions").json()["sessions"][0]
        assert (row["call_count"], row["token_count"]) == (1, 0)  # the API keeps the numbers
        for page in ("/", "/traces", "/sessions/unreported"):
            body = http("GET", server.url + page).body.decode()
            assert "not reported" in body, page
            assert "$0<" not in body, page
    shown = subprocess.run([sys.executable, "-m", "neatlogs_cli", "sessions"], capture_output=True, text=True,
                           env={**os.environ, "NEATLOGS_HOME": os.path.dirname(db_path), "COLUMNS": "200"})
    assert "not reported" in shown.stdout, shown.stdout + shown.stderr


def test_traces_take_the_same_parameters(data_server):
    assert _traces(data_server, "model=gpt-4o&sort=started") == ["gamma-session"] + ["alpha-session"] * 2
    assert _traces(data_server, "status=error") == ["beta-session"]
    assert _traces(data_server, "user=alice&range=1h") == ["alpha-session"] * 2
    assert _traces(data_server, "min_cost=0.4") == ["gamma-session"]
    assert _traces(data_server, "sort=-latency&limit=1") == ["beta-session"]


def test_costs_are_priced_summed_and_no_price_is_null(data_server):
    by_id = {s["session_id"]: s for s in http("GET", data_server.url + "/api/sessions").json()["sessions"]}
    assert by_id["alpha-session"]["cost_usd"] == pytest.approx(2 * dashboard_data.ALPHA_CALL_COST)
    assert by_id["beta-session"]["cost_usd"] == pytest.approx(dashboard_data.BETA_COST)
    assert (by_id["gamma-session"]["cost_usd"], by_id["gamma-session"]["unpriced_calls"]) == (0.5, 1)
    assert (by_id["alpha-session"]["call_count"], by_id["alpha-session"]["turn_count"]) == (2, 2)
    traces = http("GET", data_server.url + "/api/traces?workflow=support&sort=started").json()["traces"]
    assert [t["cost_usd"] for t in traces][:2] == [None, 0.5]  # the unknown model: no price, not 0
    users = {u["user_id"]: u for u in http("GET", data_server.url + "/api/users").json()["users"]}
    assert users["alice"]["cost_usd"] == pytest.approx(2 * dashboard_data.ALPHA_CALL_COST)
    assert (users["alice"]["session_count"], users["bob"]["token_count"]) == (1, 2100)


@pytest.mark.parametrize(("query", "message"), [
    ("range=fortnight", "range: expected one of"),
    ("min_cost=lots", "min_cost: expected an amount in USD"),
    ("sort=colour", "sort: expected one of"),
    ("meta=oops", "meta: expected KEY=VALUE"),
])
def test_a_bad_parameter_is_a_400_naming_it(data_server, query, message):
    for path in ("/api/sessions", "/api/traces", "/api/sessions.csv"):
        reply = http("GET", data_server.url + path + "?" + query)
        assert reply.status == 400
        assert reply.json()["error"].startswith(message)
    page = http("GET", data_server.url + "/?" + query)
    assert page.status == 400 and message.split(":")[0] in page.text


def test_the_csv_takes_the_filters(data_server):
    reply = http("GET", data_server.url + "/api/sessions.csv?model=gpt-4o")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["session_id"] for r in rows] == ["alpha-session", "gamma-session"]
    assert float(rows[0]["cost_usd"]) == pytest.approx(2 * dashboard_data.ALPHA_CALL_COST)


def test_the_overview_buckets_split_by_model(data_server):
    reply = http("GET", data_server.url + "/api/overview?range=7d&bucket=day&split=model")
    view = reply.json()
    assert view["bucket_ns"] == 86400 * 10**9 and len(view["starts_ns"]) == 8
    assert sum(view["series"]["traces"]["all"]) == 5
    assert sum(view["series"]["errors"]["all"]) == 2  # beta's call and its turn
    cost = view["series"]["cost"]
    assert sum(cost["gpt-4o"]) == pytest.approx(2 * dashboard_data.ALPHA_CALL_COST + 0.5)
    assert sum(cost["claude-3-5-sonnet-20241022"]) == pytest.approx(dashboard_data.BETA_COST)
    assert sum(view["series"]["tokens"]["acme-unknown-1"]) == 100 and view["unpriced_calls"] == 1
    assert max(view["series"]["p95_ms"]["all"]) == pytest.approx(3000, rel=0.1)
    by_workflow = http("GET", data_server.url + "/api/overview?range=7d&split=workflow").json()
    assert set(by_workflow["series"]["traces"]) == {"support", "sales"}
    assert http("GET", data_server.url + "/api/overview?split=colour").status == 400


def test_the_pages_render_the_filters_from_the_url(data_server):
    page = http("GET", data_server.url + "/?model=gpt-4o&status=ok").text
    assert "alpha-session" in page and "beta-session" not in page
    assert '<option selected>gpt-4o</option>' in page
    assert http("GET", data_server.url + "/traces?user=bob").text.count('class="trace-row') == 1
    overview = http("GET", data_server.url + "/overview?range=7d").text
    assert overview.count("<svg") == 5
    assert "Users" in http("GET", data_server.url + "/users").text


def test_a_traced_program_never_imports_the_pricing_library(tmp_path):
    code = textwrap.dedent("""
        import sys, neatlogs
        neatlogs.init(auto_session=True)
        with neatlogs.trace("turn"):
            pass
        neatlogs.shutdown() if hasattr(neatlogs, "shutdown") else None
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("genai_prices", "neatlogs_cli")))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**env, "NEATLOGS_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    conn = store.connect(str(tmp_path / "traces.db"))
    assert conn.execute("SELECT COUNT(*) FROM traces").fetchone()[0] == 1  # the rollups were written
