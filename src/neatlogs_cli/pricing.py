"""Cost in money: the store's model usage priced with ``genai-prices``, a price per model cached.

Only the reading side (the dashboard, ``neatlogs sessions``/``show``) imports this module:
the pricing library, with its price tables, is never loaded into a traced program, whose
writer records only the usage pricing needs (``neatlogs.store.rollup``).

A model's unit prices (USD per token of input, output, cache read and cache write) are
looked up once and kept; SQL queries price usage rows by joining the connection's
``temp.prices`` table, which :func:`refresh` fills for the models in the store (a
``neatlogs_price`` SQL function, registered by :func:`install`, answers single lookups). A model the library does not
know has no price (None), never 0. Calls that carried their own cost are taken as they are.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from decimal import Decimal

from neatlogs import _log

__all__ = ["KINDS", "NOT_REPORTED", "UnitPrices", "format_cost", "format_tokens", "install", "model_names",
           "price_call", "refresh", "tokens_reported", "unit_prices"]

KINDS = ("input", "output", "cache_read", "cache_write")
"""The token kinds priced separately, in the order of :class:`UnitPrices`' fields."""

_PROBE = 1000
"""Tokens priced to find a unit price: small, so a model's lowest tier (by prompt size) applies."""

# genai-prices names providers by its ids; the instrumentations write OpenInference's
# llm.provider / llm.system values or GenAI's gen_ai.provider.name.
_PROVIDER_IDS = {
    "gcp.gemini": "google", "gcp.vertex_ai": "google", "google": "google", "vertexai": "google",
    "gemini": "google", "aws": "aws", "aws.bedrock": "aws", "bedrock": "aws", "azure": "azure",
    "azure.ai.openai": "azure", "mistral_ai": "mistral", "mistralai": "mistral", "cohere": "cohere",
    "groq": "groq", "openai": "openai", "anthropic": "anthropic", "ollama": None, "litellm": None,
}


@dataclass(frozen=True)
class UnitPrices:
    """USD per token of each kind for one model."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    def cost(self, input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0) -> float:
        """The cost of one call's (or a sum of calls') tokens; ``input_tokens`` includes the cached ones."""
        uncached = max(input_tokens - cache_read - cache_write, 0)
        return (uncached * self.input + output_tokens * self.output + cache_read * self.cache_read
                + cache_write * self.cache_write)


_VERSION_SUFFIX = re.compile(r"(?:[-@](?:\d{3,8}|latest|preview)|:\d+)$")
"""A release tag after a model's name: ``-001``, ``-20240307``, ``@20240620``, ``-latest``, Bedrock's ``:0``."""


def model_names(model: str) -> list[str]:
    """The names a model is looked up by, most specific first.

    The name as the call reported it, then without a path (``models/gemini-2.5-flash``) and
    without the release tags providers append to a model the price tables list by its
    family name (``gemini-2.5-flash-001`` is priced as ``gemini-2.5-flash``). Only dates,
    numbers, ``latest`` and ``preview`` are taken off, never a name's own words (``-mini``).
    """
    names = [model]
    name = model.rsplit("/", 1)[-1] if model.startswith("models/") else model
    while True:
        if name not in names:
            names.append(name)
        shorter = _VERSION_SUFFIX.sub("", name)
        if shorter == name or not shorter:
            return names
        name = shorter


_cache: dict[tuple[str, str], UnitPrices | None] = {}
_lock = threading.Lock()


def _lookup(provider: str, model: str) -> UnitPrices | None:
    import genai_prices  # the reading side only: never imported by a traced program

    provider_id = _PROVIDER_IDS.get(provider, provider or None)
    attempts = [(name, candidate) for name in model_names(model)
                for candidate in ([provider_id, None] if provider_id else [None])]
    for model_name, candidate in attempts:
        try:
            def price(candidate: str | None = candidate, model_name: str = model_name, **tokens: int) -> float:
                usage = genai_prices.Usage(**tokens)
                calc = genai_prices.calc_price(usage, model_name, provider_id=candidate)
                return float(calc.total_price / Decimal(_PROBE))

            prices = UnitPrices(
                input=price(input_tokens=_PROBE),
                output=price(output_tokens=_PROBE),
                cache_read=price(input_tokens=_PROBE, cache_read_tokens=_PROBE),
                cache_write=price(input_tokens=_PROBE, cache_write_tokens=_PROBE),
            )
        except LookupError:
            continue  # this provider or model is not in the price tables
        except Exception as error:  # noqa: BLE001 - a price table the library cannot apply
            _log.debug("no price for %s/%s: %r", provider, model, error)
            return None
        return prices
    return None


def unit_prices(provider: str, model: str) -> UnitPrices | None:
    """The model's unit prices, or None when the pricing library does not know it (cached)."""
    key = (provider.lower(), model)
    if key in _cache:
        return _cache[key]
    with _lock:
        if key not in _cache:
            _cache[key] = _lookup(*key) if model else None
        return _cache[key]


def price_call(provider: str, model: str, input_tokens: int, output_tokens: int, cache_read: int = 0,
               cache_write: int = 0, own_cost: float | None = None) -> float | None:
    """One call's cost: its own reported cost as is, else its tokens priced, else None ("no price")."""
    if own_cost is not None:
        return own_cost
    prices = unit_prices(provider, model)
    return prices.cost(input_tokens, output_tokens, cache_read, cache_write) if prices is not None else None


def _sql_price(provider: str | None, model: str | None, kind: str) -> float | None:
    prices = unit_prices(provider or "", model or "")
    return getattr(prices, kind) if prices is not None else None


def install(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Give ``conn`` its ``temp.prices`` table and ``neatlogs_price(provider, model, kind)`` function.

    A row of ``temp.prices`` holds a model's USD per token of each kind (NULLs: no price);
    :func:`refresh` adds the models the store holds. Returns ``conn``.
    """
    conn.create_function("neatlogs_price", 3, _sql_price, deterministic=True)
    conn.execute("""CREATE TEMP TABLE IF NOT EXISTS prices (
                        provider TEXT NOT NULL, model TEXT NOT NULL, input REAL, output REAL,
                        cache_read REAL, cache_write REAL, PRIMARY KEY (provider, model))""")
    refresh(conn)
    return conn


def refresh(conn: sqlite3.Connection) -> None:
    """Add to ``temp.prices`` the store's models it lacks (from the small hourly table: cheap)."""
    try:
        stored = set(conn.execute("SELECT DISTINCT provider, model FROM usage_hours").fetchall())
    except sqlite3.OperationalError:  # a store from before version 4, opened read-only
        return
    known = set(conn.execute("SELECT provider, model FROM temp.prices").fetchall())
    new = [tuple(key) for key in stored - known]
    if new:
        rows = []
        for provider, model in new:
            prices = unit_prices(provider, model)
            values = (prices.input, prices.output, prices.cache_read, prices.cache_write) if prices else (None,) * 4
            rows.append((provider, model, *values))
        conn.executemany("INSERT OR REPLACE INTO temp.prices VALUES (?,?,?,?,?,?)", rows)


NOT_REPORTED = "not reported"
"""What the views print for the tokens and cost of model calls none of which reported tokens
(an OpenAI stream without ``stream_options={"include_usage": True}``, say): not 0 and $0."""


def tokens_reported(token_count: int, call_count: int | None) -> bool:
    """False when model calls were made and none of them reported a token count."""
    return bool(token_count) or not call_count


def format_tokens(token_count: int, call_count: int | None = None) -> str:
    """A token count as the views print it: the number, or "not reported" (see :data:`NOT_REPORTED`)."""
    return str(token_count) if tokens_reported(token_count, call_count) else NOT_REPORTED


def format_cost(cost: float | None, unpriced_calls: int = 0, reported: bool = True) -> str:
    """A cost as the views print it: "$0.0123", "no price", or "$0.0123 + no price" when partly priced.

    ``reported`` False (:func:`tokens_reported`): the calls reported no tokens to price, so a
    cost of nothing is "not reported" rather than "$0".
    """
    if not cost and not reported:
        return NOT_REPORTED
    if cost is None or (not cost and unpriced_calls):
        return "no price"
    if cost == 0:
        text = "$0"
    elif cost < 0.01:
        # Two significant digits however small ("$0.000012" for a short gpt-4o-mini call), never "$0.0000".
        text = f"${cost:.{max(4, 1 - math.floor(math.log10(cost)))}f}"
    else:
        text = f"${cost:,.2f}"
    return f"{text} + no price" if unpriced_calls else text
