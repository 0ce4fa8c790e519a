"""Cost in money: genai-prices' tables, a unit price per model, "no price" for an unknown model, a span's own cost as is."""

from __future__ import annotations

import sqlite3

import pytest

from neatlogs_cli import pricing


def test_a_known_model_is_priced_per_token_kind():
    prices = pricing.unit_prices("openai", "gpt-4o")
    assert prices is not None
    assert prices.input == pytest.approx(2.5e-6)
    assert prices.output == pytest.approx(10e-6)
    assert prices.cache_read == pytest.approx(1.25e-6)
    # 1000 input of which 400 cache reads, 200 output
    assert pricing.price_call("openai", "gpt-4o", 1000, 200, cache_read=400) == pytest.approx(
        (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6)


def test_cache_reads_and_writes_are_priced_apart_from_other_input():
    prices = pricing.unit_prices("anthropic", "claude-3-5-sonnet-20241022")
    assert prices is not None
    plain = pricing.price_call("anthropic", "claude-3-5-sonnet-20241022", 2000, 0)
    written = pricing.price_call("anthropic", "claude-3-5-sonnet-20241022", 2000, 0, cache_write=1000)
    read = pricing.price_call("anthropic", "claude-3-5-sonnet-20241022", 2000, 0, cache_read=1000)
    assert plain == pytest.approx(2000 * 3e-6)
    assert written == pytest.approx(1000 * 3e-6 + 1000 * 3.75e-6)
    assert read == pytest.approx(1000 * 3e-6 + 1000 * 0.3e-6)
    assert read < plain < written


def test_an_unknown_model_has_no_price_not_zero():
    assert pricing.unit_prices("acme", "acme-unknown-1") is None
    assert pricing.price_call("acme", "acme-unknown-1", 100, 100) is None
    assert pricing.format_cost(None) == "no price"
    assert pricing.format_cost(0.0, unpriced_calls=2) == "no price"
    assert pricing.format_cost(0.004, unpriced_calls=1) == "$0.0040 + no price"


def test_a_provider_name_the_tables_lack_falls_back_to_the_model():
    assert pricing.unit_prices("some-proxy", "gpt-4o") == pricing.unit_prices("openai", "gpt-4o")


def test_a_cost_the_span_carries_is_taken_as_it_is():
    assert pricing.price_call("acme", "acme-unknown-1", 100, 100, own_cost=0.5) == 0.5
    assert pricing.price_call("openai", "gpt-4o", 10**6, 10**6, own_cost=0.01) == 0.01


def test_sql_prices_through_the_registered_function():
    conn = pricing.install(sqlite3.connect(":memory:"))
    assert conn.execute("SELECT neatlogs_price('openai', 'gpt-4o', 'output')").fetchone()[0] == pytest.approx(1e-5)
    assert conn.execute("SELECT neatlogs_price('acme', 'acme-unknown-1', 'input')").fetchone()[0] is None


def test_costs_print_in_dollars():
    assert pricing.format_cost(0.0) == "$0"
    assert pricing.format_cost(0.00825) == "$0.0083"
    assert pricing.format_cost(0.0000123) == "$0.000012"  # a short gpt-4o-mini call: never "$0.0000"
    assert pricing.format_cost(12.5) == "$12.50"


def test_a_model_with_a_release_tag_is_priced_as_its_family():
    assert pricing.model_names("gemini-2.5-flash-001") == ["gemini-2.5-flash-001", "gemini-2.5-flash"]
    assert pricing.model_names("models/gemini-2.5-flash") == ["models/gemini-2.5-flash", "gemini-2.5-flash"]
    assert pricing.model_names("gpt-4o-mini") == ["gpt-4o-mini"]  # a name's own words stay
    tagged = pricing.unit_prices("google", "gemini-2.5-flash-001")
    assert tagged is not None
    assert tagged == pricing.unit_prices("google", "gemini-2.5-flash")
    assert pricing.unit_prices("acme", "acme-unknown-1-001") is None
