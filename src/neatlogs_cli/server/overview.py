"""The Overview page (traces, errors, tokens, cost and latency per hour or day, as SVG charts) and the Users page."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from .. import reports
from ..filters import FilterError, parse_filters
from ..pricing import format_cost
from .api import overview_options
from .charts import build_chart
from .pages import _filter_options, _format_ms, render, tidy_url
from .store_access import request_reader

__all__ = ["overview_page", "users_page"]

# Filters the hourly rollups cannot apply (the Overview says so rather than ignore them silently).
_NOT_APPLIED = ("status", "min_latency", "min_tokens", "min_cost", "user", "tag", "meta", "q")


def _count(value: float) -> str:
    return f"{value:,.0f}"


def overview_page(request: Request) -> Response:
    """GET /overview: the charts over the chosen range (the last 24 hours by default)."""
    tidy = tidy_url(request)
    if tidy is not None:
        return tidy
    params = dict(request.query_params)
    if not any(params.get(k) for k in ("range", "from", "to")):
        params["range"] = "24h"
    try:
        filters = parse_filters(params)
        bucket, split = overview_options(params)
    except FilterError as error:
        return render("error.html", status=400, message=str(error))
    conn = request_reader(request)
    view = reports.overview(conn, filters, bucket, split)
    s = view.series
    starts, width = view.starts_ns, view.bucket_ns
    charts = [
        build_chart("traces", "Traces", starts, width, s["traces"], _count),
        build_chart("errors", "Errors", starts, width, s["errors"], _count),
        build_chart("tokens", "Tokens", starts, width, s["tokens"], _count),
        build_chart("cost", "Cost", starts, width, s["cost"], lambda v: format_cost(v)),
        build_chart("latency", "Latency p50 / p95", starts, width,
                    {"p50": s["p50_ms"].get("all", [0.0] * len(starts)),
                     "p95": s["p95_ms"].get("all", [0.0] * len(starts))}, _format_ms, stacked=False, total=False),
    ]
    first = datetime.fromtimestamp(starts[0] / 1e9).strftime("%Y-%m-%d %H:%M") if starts else ""
    per = "hour" if width <= 3_600_000_000_000 else "day"
    period = f"{len(starts)} {per}s from {first}"
    ignored = [k for k in _NOT_APPLIED if filters.raw.get(k)]
    return render("overview.html", charts=charts, view=view, filters=filters, bucket=bucket, split=split,
                  current_range=filters.range, options=_filter_options(conn), period=period, ignored=ignored)


def users_page(request: Request) -> Response:
    """GET /users: end users (``user.id``) with their sessions, last activity, tokens and cost."""
    tidy = tidy_url(request)
    if tidy is not None:
        return tidy
    try:
        filters = parse_filters(request.query_params, default_limit=200)
    except FilterError as error:
        return render("error.html", status=400, message=str(error))
    users = reports.list_users(request_reader(request), filters)
    return render("users.html", users=users, filters=filters)
