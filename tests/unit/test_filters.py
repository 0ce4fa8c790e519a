"""The lists' filter parameters: parsed and checked in one place, a bad value named in one line."""

from __future__ import annotations

import pytest

from neatlogs_cli.filters import TRACE_SORTS, FilterError, parse_filters
from neatlogs_cli.list_queries import sessions_query, traces_query

NOW = 1_800_000_000 * 10**9


def test_every_parameter_is_parsed_into_its_value():
    f = parse_filters({"range": "24h", "workflow": "support", "model": "gpt-4o", "provider": "OpenAI",
                       "status": "error", "min_latency": "2s", "min_tokens": "100", "min_cost": "$0.05",
                       "user": "alice", "tag": "vip", "meta": "plan=pro", "q": "parcel", "sort": "-cost",
                       "limit": "20"}, now_ns=NOW)
    assert (f.since_ns, f.until_ns) == (NOW - 86400 * 10**9, None)
    assert (f.workflow, f.model, f.provider, f.status) == ("support", "gpt-4o", "openai", "error")
    assert (f.min_latency_ns, f.min_tokens, f.min_cost) == (2 * 10**9, 100, 0.05)
    assert (f.user, f.tag, f.meta, f.q, f.sort, f.limit) == ("alice", "vip", ("plan", "pro"), "parcel", "-cost", 20)
    assert f.active


def test_durations_dates_and_limits():
    assert parse_filters({"min_latency": "500"}).min_latency_ns == 500 * 10**6
    assert parse_filters({"min_latency": "250ms"}).min_latency_ns == 250 * 10**6
    assert parse_filters({"min_latency": "1.5m"}).min_latency_ns == 90 * 10**9
    day = parse_filters({"from": "2026-01-31", "to": "2026-01-31"})
    assert day.until_ns - day.since_ns == 86400 * 10**9 - 1  # a date "to" takes in its whole day
    assert parse_filters({"from": "1700000000"}).since_ns == 1_700_000_000 * 10**9
    assert parse_filters({"limit": "999999"}).limit == 1000
    assert parse_filters({"meta": "region: eu"}).meta == ("region", "eu")
    empty = parse_filters({"q": "  ", "model": ""})
    assert (empty.q, empty.model, empty.active) == (None, None, False)


@pytest.mark.parametrize(("params", "message"), [
    ({"range": "2w"}, "range: expected one of 1h, 24h, 1d, 7d, 30d, got '2w'"),
    ({"from": "yesterday"}, "from: expected an ISO date or time"),
    ({"from": "2026-02-02", "to": "2026-02-01"}, "to: the range ends before it starts"),
    ({"status": "failed"}, "status: expected error or ok, got 'failed'"),
    ({"min_latency": "slow"}, "min_latency: expected a duration"),
    ({"min_tokens": "-5"}, "min_tokens: expected a whole number, got '-5'"),
    ({"min_cost": "cheap"}, "min_cost: expected an amount in USD"),
    ({"meta": "novalue"}, "meta: expected KEY=VALUE"),
    ({"sort": "colour"}, "sort: expected one of last, started"),
    ({"limit": "lots"}, "limit: expected a whole number, got 'lots'"),
])
def test_a_bad_value_names_its_parameter(params, message):
    with pytest.raises(FilterError) as caught:
        parse_filters(params)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert caught.value.name == ("to" if "to" in params else next(iter(params)))


def test_the_traces_list_has_its_own_sort_columns():
    assert parse_filters({"sort": "spans"}, sorts=TRACE_SORTS).sort == "spans"
    with pytest.raises(FilterError, match="^sort: "):
        parse_filters({"sort": "turns"}, sorts=TRACE_SORTS)


def test_values_are_bound_parameters_never_sql():
    hostile = "x' OR 1=1 --"
    f = parse_filters({"model": hostile, "user": hostile, "q": hostile, "meta": f"k={hostile}"})
    for query in (sessions_query(f), traces_query(f)):
        assert hostile not in query.sql
        assert hostile in query.params


def test_query_string_keeps_the_filters_and_changes_one():
    f = parse_filters({"model": "gpt-4o", "status": "error", "sort": "cost"})
    assert f.query_string(sort="-tokens") == "model=gpt-4o&status=error&sort=-tokens"
    assert f.query_string(status=None) == "model=gpt-4o&sort=cost"
