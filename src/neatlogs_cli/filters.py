"""The sessions and traces lists' filters: parsed and checked once (``list_queries`` turns them into SQL).

The dashboard's pages, the JSON API (``/api/sessions``, ``/api/traces``,
``/api/sessions.csv``) and the Overview take the same query parameters:

    range=1h|24h|7d|30d         the last hour, day, week, month (or from=, to=: ISO date/time or epoch s)
    workflow=NAME               service.name
    model=NAME  provider=NAME   a model call of that model / provider
    status=error|ok             with errors only / without any
    min_latency=2s              a turn (trace) at least this slow (ms unless "s" or "ms" follows)
    min_tokens=N  min_cost=USD  at least this many tokens / this cost
    user=ID  tag=TAG  meta=KEY=VALUE
    q=TEXT                      words of the turns' text (the newest 10,000 turns that have them);
                                a part of a session, trace or user id, or of a root span's name
                                (3 characters or more: through the span_ids index, the newest
                                10,000 roots that have it). Whole words and session or user ids
                                are looked for first, in the newest 1,000 matching turns; the
                                rest only when those fill no page
    sort=COLUMN  (-COLUMN for descending)   limit=N

A bad value raises :class:`FilterError` naming the parameter (the API answers 400 with it).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Mapping
from urllib.parse import urlencode

__all__ = [
    "MAX_LIMIT",
    "PARAMETERS",
    "SEARCH_FIRST",
    "SEARCH_MATCHES",
    "RANGES",
    "SESSION_SORTS",
    "TRACE_SORTS",
    "FilterError",
    "Filters",
    "parse_filters",
]

MAX_LIMIT = 1000

SEARCH_MATCHES = 10_000
"""The newest turns matching a word search that are looked at: a common word stays fast on a big store."""

SEARCH_FIRST = 1_000
"""The newest matching turns a search looks at first; all :data:`SEARCH_MATCHES` only when those fill no page.

A common word fills a page from its newest matches, so a search costs the same on a big
store as on a small one; a rare word has few matches to look at anyway."""

RANGES = {"1h": 3600, "24h": 86400, "1d": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
"""The ``range`` values and their length in seconds."""

_NS = 1_000_000_000

SESSION_SORTS = {
    "last": "s.last_end_ns", "started": "s.first_start_ns", "session": "s.session_id",
    "workflow": "s.service_name", "turns": "s.turn_count", "calls": "s.call_count", "tokens": "s.token_count",
    "errors": "s.error_count", "latency": "s.max_latency_ns", "user": "s.user_id", "cost": "cost",
}
"""``sort`` columns of the sessions list and what they order by."""

TRACE_SORTS = {
    "started": "t.start_ns", "trace": "t.trace_id", "session": "t.session_id", "name": "t.name",
    "workflow": "t.service_name", "latency": "t.latency_ns", "spans": "t.span_count", "calls": "t.call_count",
    "tokens": "t.token_count", "errors": "t.error_count", "user": "t.user_id", "cost": "cost",
}
"""``sort`` columns of the traces list."""


class FilterError(ValueError):
    """A filter parameter's value is not one we take; the message names the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class Filters:
    """The filters of one list request, checked (see the module docstring for the parameters)."""

    range: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    workflow: str | None = None
    model: str | None = None
    provider: str | None = None
    status: str | None = None
    min_latency_ns: int | None = None
    min_tokens: int | None = None
    min_cost: float | None = None
    user: str | None = None
    tag: str | None = None
    meta: tuple[str, str] | None = None
    q: str | None = None
    sort: str | None = None
    limit: int = 50
    raw: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def active(self) -> bool:
        """True when anything narrows the list (a sort or a limit alone does not)."""
        return any(getattr(self, f.name) is not None for f in fields(self)
                   if f.name not in ("sort", "limit", "raw", "since_ns", "until_ns")) or self.since_ns is not None

    def query_string(self, **changes: str | None) -> str:
        """The filters as a URL query, with some parameters changed (None drops one)."""
        params = {**self.raw, **changes}
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})


PARAMETERS = ("range", "from", "to", "workflow", "model", "provider", "status", "min_latency", "min_tokens",
              "min_cost", "user", "tag", "meta", "q", "sort", "limit")
"""Every query parameter the lists take."""


def _time(name: str, raw: str) -> int:
    if raw.isdigit():
        return int(raw) * _NS
    try:
        return int(datetime.fromisoformat(raw).timestamp() * _NS)
    except ValueError:
        raise FilterError(name, f"expected an ISO date or time (2026-01-31, 2026-01-31T14:00) or epoch seconds, "
                                f"got {raw!r}") from None


def _duration_ns(name: str, raw: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", raw)
    if not match:
        raise FilterError(name, f"expected a duration such as 500, 500ms or 2s, got {raw!r}")
    scale = {"s": 1e9, "m": 60e9}.get(match.group(2) or "ms", 1e6)
    return int(float(match.group(1)) * scale)


def _whole(name: str, raw: str) -> int:
    if not raw.isdigit():
        raise FilterError(name, f"expected a whole number, got {raw!r}")
    return int(raw)


def _money(name: str, raw: str) -> float:
    try:
        value = float(raw.lstrip("$"))
    except ValueError:
        raise FilterError(name, f"expected an amount in USD such as 0.05, got {raw!r}") from None
    if not value >= 0:
        raise FilterError(name, f"expected an amount of 0 or more, got {raw!r}")
    return value


def parse_filters(params: Mapping[str, str], *, sorts: Mapping[str, str] = SESSION_SORTS,
                  default_limit: int = 50, now_ns: int | None = None) -> Filters:
    """Check a request's query parameters and return its :class:`Filters`.

    Args:
        params: the query parameters (empty values count as absent).
        sorts: the ``sort`` columns the list has (:data:`SESSION_SORTS` or :data:`TRACE_SORTS`).
        default_limit: the ``limit`` when none is given; a larger one is cut to 1000.
        now_ns: the time ``range`` counts back from (now when None).

    Raises:
        FilterError: a value is not valid; its message names the parameter.
    """
    raw = {k: params[k].strip() for k in PARAMETERS if k in params and params[k].strip()}
    get = raw.get
    since = until = None
    if get("range"):
        if raw["range"] not in RANGES:
            raise FilterError("range", f"expected one of {', '.join(RANGES)}, got {raw['range']!r}")
        now = now_ns if now_ns is not None else time.time_ns()
        since = now - RANGES[raw["range"]] * _NS
    if get("from"):
        since = _time("from", raw["from"])
    if get("to"):
        until = _time("to", raw["to"])
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw["to"]):
            until += 86400 * _NS - 1  # a date "to" includes that whole day
    if since is not None and until is not None and since > until:
        raise FilterError("to", "the range ends before it starts")
    status = get("status")
    if status is not None and status not in ("error", "ok"):
        raise FilterError("status", f"expected error or ok, got {status!r}")
    meta = None
    if get("meta"):
        key, sep, value = raw["meta"].partition("=")
        if not sep or not key:
            key, sep, value = raw["meta"].partition(":")
        if not sep or not key:
            raise FilterError("meta", f"expected KEY=VALUE, got {raw['meta']!r}")
        meta = (key.strip(), value.strip())
    sort = get("sort")
    if sort is not None and sort.lstrip("-") not in sorts:
        raise FilterError("sort", f"expected one of {', '.join(sorts)} (with - for descending), got {sort!r}")
    limit = min(max(_whole("limit", raw["limit"]), 1), MAX_LIMIT) if get("limit") else default_limit
    return Filters(
        range=get("range"), since_ns=since, until_ns=until, workflow=get("workflow"), model=get("model"),
        provider=raw["provider"].lower() if get("provider") else None, status=status,
        min_latency_ns=_duration_ns("min_latency", raw["min_latency"]) if get("min_latency") else None,
        min_tokens=_whole("min_tokens", raw["min_tokens"]) if get("min_tokens") else None,
        min_cost=_money("min_cost", raw["min_cost"]) if get("min_cost") else None,
        user=get("user"), tag=get("tag"), meta=meta, q=get("q"), sort=sort, limit=limit, raw=raw,
    )
