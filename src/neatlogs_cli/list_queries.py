"""The lists' SQL: the sessions and traces lists' queries for checked filters, and costs priced in SQL.

Each list's query reads the rollups (``neatlogs.store.rollup``) and, for costs, the
connection's ``temp.prices`` (``neatlogs_cli.pricing.install``) or, when current, the cost
cache (``neatlogs_cli.costs``). Values are always bound parameters, never SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .filters import SEARCH_FIRST, SEARCH_MATCHES, SESSION_SORTS, TRACE_SORTS, Filters

__all__ = ["COST_SQL", "UNPRICED_SQL", "Query", "cost_of", "priced", "sessions_query", "traces_query", "unpriced_of"]

_JOIN_PRICES = " u LEFT JOIN temp.prices p ON p.provider = u.provider AND p.model = u.model"

COST_SQL = ("SUM(CASE WHEN u.own_cost THEN u.cost ELSE"
            " MAX(u.input_tokens - u.cache_read_tokens - u.cache_write_tokens, 0) * p.input"
            " + u.output_tokens * p.output + u.cache_read_tokens * p.cache_read"
            " + u.cache_write_tokens * p.cache_write END)")
"""The cost in USD of a group of usage rows ``u`` joined to their prices ``p``; unpriced rows add nothing."""

UNPRICED_SQL = ("SUM(CASE WHEN NOT u.own_cost AND u.input_tokens + u.output_tokens > 0 AND p.input IS NULL"
                " THEN u.calls ELSE 0 END)")
"""Calls of a group of usage rows that have tokens but no price (their model is unknown)."""


def priced(table: str, where: str = "", columns: str = f"{COST_SQL}, {UNPRICED_SQL}") -> str:
    """``SELECT columns FROM table u LEFT JOIN temp.prices p ... [WHERE where]`` (see ``pricing.install``)."""
    return f"SELECT {columns} FROM {table}{_JOIN_PRICES}" + (f" WHERE {where}" if where else "")


def cost_of(table: str, where: str) -> str:
    """A scalar subquery: the cost of ``table``'s rows matching ``where``."""
    return f"({priced(table, where, COST_SQL)})"


def unpriced_of(table: str, where: str) -> str:
    """A scalar subquery: the unpriced calls of ``table``'s rows matching ``where``."""
    return f"({priced(table, where, UNPRICED_SQL)})"


@dataclass
class Query:
    """SQL and its parameters."""

    sql: str
    params: list[object]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phrase(text: str, prefix: bool = True) -> str:
    """An FTS5 query: the words in order, the last one as a prefix ("order #10" finds "order #1042").

    Without ``prefix``, whole words only: a prefix query reads the whole index of every word
    it starts, which grows with the store; whole words read only the newest matches.
    """
    return '"' + text.replace('"', '""') + ('"*' if prefix else '"')


def _part(text: str) -> str:
    """A ``span_ids`` (trigram) query: the text anywhere, in any case ("sion-12" finds "session-120")."""
    return '"' + text.replace('"', '""') + '"'


def _search(index: str, matches: int) -> str:
    """The newest ``matches`` rows of a search index matching a parameter."""
    return f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rowid DESC LIMIT {int(matches)}"


def _first_pass(q: str, a: str, key: str, where: list[str], params: list[object]) -> None:
    """A search's first pass (``reports._searched``) on the list of alias ``a`` keyed by ``key``.

    The row's own session or user id containing the text, or the text's words whole in the
    newest :data:`SEARCH_FIRST` turns that have them.
    """
    where.append(f"({a}.session_id LIKE ? ESCAPE '\\' OR {a}.user_id LIKE ? ESCAPE '\\'"
                 f" OR {a}.{key} IN (SELECT {key} FROM spans WHERE rowid IN ({_search('span_text', SEARCH_FIRST)})))")
    params += [_like(q)] * 2 + [_phrase(q, prefix=False)]


def _common(f: Filters, a: str, owner: str, usage: str, where: list[str], params: list[object],
            by_label: bool = False) -> list[tuple[str, list[object]]]:
    """Conditions both lists share; ``a`` is the table alias, ``owner`` its key column in ``usage`` and labels.

    With ``by_label`` (sessions only) the rows are chosen through the tag or meta filter's label.

    The row's own columns go into ``where`` now; the lookups in other tables are returned, for
    the caller to add after its own column tests: SQLite tests conditions in the order given,
    so a row a cheap test rejects never pays for a lookup.
    """
    key = f"{a}.{owner}"
    lookups: list[tuple[str, list[object]]] = []
    if f.workflow is not None:
        where.append(f"{a}.service_name = ?")
        params.append(f.workflow)
    if f.status == "error":
        where.append(f"{a}.error_count > 0")
    elif f.status == "ok":
        where.append(f"{a}.error_count = 0")
    if f.min_tokens is not None:
        where.append(f"{a}.token_count >= ?")
        params.append(f.min_tokens)
    if f.user is not None:
        where.append(f"{a}.user_id = ?")
        params.append(f.user)
    for label_key, value in ((("tag", f.tag),) if f.tag is not None else ()) + (
            (("meta." + f.meta[0], f.meta[1]),) if f.meta is not None else ()):
        if owner == "session_id" and by_label:
            # Read only the sessions that have the label (session_labels is keyed by it), each tested
            # and the few sorted, instead of walking the sessions in list order (see ``few_labeled``).
            lookups.append((f"{key} IN (SELECT sl.session_id FROM session_labels sl WHERE sl.key = ?"
                            " AND sl.value = ?)", [label_key, value]))
        elif owner == "session_id":
            lookups.append((f"EXISTS (SELECT 1 FROM session_labels sl WHERE sl.key = ? AND sl.value = ?"
                            f" AND sl.session_id = {key})", [label_key, value]))
        else:
            lookups.append((f"EXISTS (SELECT 1 FROM labels l WHERE l.{owner} = {key} AND l.key = ? AND l.value = ?)",
                            [label_key, value]))
    if f.model is not None or f.provider is not None:
        cond, values = [f"u.{owner} = {key}"], list[object]()
        for column, wanted in (("provider", f.provider), ("model", f.model)):
            if wanted is not None:
                cond.append(f"u.{column} = ?")
                values.append(wanted)
        lookups.append((f"EXISTS (SELECT 1 FROM {usage} u WHERE {' AND '.join(cond)})", values))
    return lookups


def _add(lookups: list[tuple[str, list[object]]], where: list[str], params: list[object]) -> None:
    for condition, values in lookups:
        where.append(condition)
        params += values


def _order(f: Filters, sorts: Mapping[str, str], default: str, tiebreak: str) -> str:
    sort = f.sort or default
    column = sorts[sort.lstrip("-")]
    direction = "DESC" if sort.startswith("-") else "ASC"
    nulls = " NULLS LAST" if direction == "ASC" else ""
    return f" ORDER BY {column} {direction}{nulls}, {tiebreak} DESC LIMIT ?"


def _cost_filter(cost: str, minimum: float, where: list[str], params: list[object]) -> None:
    """``cost`` at least ``minimum``: a bare column (the cache) so its index applies; no cost counts as 0."""
    where.append(f"{cost} >= ?" if minimum > 0 else f"COALESCE({cost}, 0) >= ?")
    params.append(minimum)


@dataclass(frozen=True)
class _Columns:
    """Where one list's filters look: its table alias, key, usage table and time and latency columns."""

    alias: str
    owner: str
    usage: str
    ends: str
    starts: str
    latency: str


def _filtered(f: Filters, c: _Columns, cached: bool, where: list[str], params: list[object],
              by_label: bool = False) -> str:
    """Add the conditions both lists share, cheapest first; returns the list's cost expression.

    A row's own columns come before the lookups in other tables (SQLite tests the conditions
    in the order written), and the cached cost, a bare column, before them too.
    """
    if f.since_ns is not None:
        where.append(f"{c.ends} >= ?")
        params.append(f.since_ns)
    if f.until_ns is not None:
        where.append(f"{c.starts} <= ?")
        params.append(f.until_ns)
    lookups = _common(f, c.alias, c.owner, c.usage, where, params, by_label)
    if f.min_latency_ns is not None:
        where.append(f"{c.latency} >= ?")
        params.append(f.min_latency_ns)
    cost = f"{c.alias}.cost" if cached else cost_of(c.usage, f"u.{c.owner} = {c.alias}.{c.owner}")
    if f.min_cost is not None and cached:
        _cost_filter(cost, f.min_cost, where, params)
    _add(lookups, where, params)
    if f.min_cost is not None and not cached:
        _cost_filter(cost, f.min_cost, where, params)
    return cost


def _two_steps(table: str, key: str, usage: str, cost: str, cached: bool, where: list[str], order: str,
               index: str | None = None) -> str:
    """The page's keys chosen first (a sort by cost prices every row unless ``cached``), then its rows priced.

    ``table`` is "sessions s" or "traces t", ``key`` its key column, ``usage`` its usage table;
    ``index`` names the index the rows are chosen through (None: SQLite's choice).
    SQLite would otherwise compute every selected column of every row it sorts. The rows
    shown are priced in the query, so a cost shown is exact even when the cache lags a write.
    """
    alias = table.split()[1]
    match = f"u.{key} = {alias}.{key}"
    inner_order = order.replace(" cost ", f" {cost} ") if cached else order
    chosen = (f"SELECT {alias}.{key}" + (f", {cost} AS cost" if "cost" in order else "") + f" FROM {table}"
              + (f" INDEXED BY {index}" if index else "")
              + (" WHERE " + " AND ".join(where) if where else "") + inner_order)
    return (f"SELECT {alias}.*, {cost_of(usage, match)} AS cost_usd, {unpriced_of(usage, match)} AS unpriced_calls"
            f" FROM ({chosen}) c JOIN {table} ON {alias}.{key} = c.{key}"
            + order.replace(" LIMIT ?", "").replace(" cost ", " c.cost "))


def sessions_query(f: Filters, cached: bool = False, few_costly: bool = False, few_labeled: bool = False,
                   first_pass: bool = False) -> Query:
    """The sessions list's query: ``sessions`` rows (aliased ``s``) plus ``cost_usd`` and ``unpriced_calls``.

    With ``cached`` (``costs.refresh`` answered True) the cost filter and sort read the
    sessions' cached ``cost`` column; with ``few_costly`` too (``costs.few_costly``: few rows
    reach ``min_cost``) the rows are found through the index on it rather than by scanning
    the newest first for rows that reach it. With ``few_labeled`` (``reports.few_labeled``:
    the tag or meta filter's label is on few sessions) the rows are read through the label.
    A search (``q``) looks at the newest :data:`SEARCH_MATCHES` turns that match; its
    ``first_pass`` only at the newest :data:`SEARCH_FIRST` that have its words whole, and at
    the sessions' own ids and users (no index of id parts: see ``reports._searched``).
    """
    where: list[str] = []
    params: list[object] = []
    cost = _filtered(f, _Columns("s", "session_id", "session_usage", "s.last_end_ns", "s.first_start_ns",
                                 "s.max_latency_ns"), cached, where, params, few_labeled and not few_costly)
    session_of = "s.session_id IN (SELECT session_id FROM spans WHERE rowid IN ({}))".format
    if f.q and first_pass:
        _first_pass(f.q, "s", "session_id", where, params)
    elif f.q and len(f.q) >= 3:
        where.append(
            "(s.session_id LIKE ? ESCAPE '\\' OR s.user_id LIKE ? ESCAPE '\\'"
            f" OR {session_of(_search('span_ids', SEARCH_MATCHES))}"
            f" OR {session_of(_search('span_text', SEARCH_MATCHES))})")
        params += [_like(f.q)] * 2 + [_part(f.q), _phrase(f.q)]
    elif f.q:  # shorter than a trigram: the ids and root names are scanned
        where.append(
            "(s.session_id LIKE ? ESCAPE '\\' OR s.user_id LIKE ? ESCAPE '\\'"
            " OR EXISTS (SELECT 1 FROM traces t WHERE t.session_id = s.session_id"
            "            AND (t.trace_id LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\'))"
            f" OR {session_of(_search('span_text', SEARCH_MATCHES))})")
        params += [_like(f.q)] * 4 + [_phrase(f.q)]
    order = _order(f, SESSION_SORTS, "-last", "s.last_end_ns")
    index = "sessions_cost" if cached and few_costly and f.min_cost else None
    return Query(_two_steps("sessions s", "session_id", "session_usage", cost, cached, where, order, index),
                 [*params, f.limit])


def traces_query(f: Filters, cached: bool = False, few_costly: bool = False, first_pass: bool = False) -> Query:
    """The traces list's query: ``traces`` rows (aliased ``t``) plus ``cost_usd`` and ``unpriced_calls``.

    ``cached``, ``few_costly`` and ``first_pass`` as for :func:`sessions_query`.
    """
    where = ["t.latency_ns IS NOT NULL"]
    params: list[object] = []
    cost = _filtered(f, _Columns("t", "trace_id", "usage", "t.start_ns", "t.start_ns", "t.latency_ns"),
                     cached, where, params)
    if f.q and first_pass:
        _first_pass(f.q, "t", "trace_id", where, params)
    elif f.q and len(f.q) >= 3:
        where.append(
            f"(t.trace_id IN (SELECT trace_id FROM spans WHERE rowid IN ({_search('span_ids', SEARCH_MATCHES)}))"
            f" OR t.trace_id IN (SELECT trace_id FROM spans WHERE rowid IN ({_search('span_text', SEARCH_MATCHES)})))")
        params += [_part(f.q), _phrase(f.q)]
    elif f.q:  # shorter than a trigram: the ids and root names are scanned
        where.append(
            "(t.trace_id LIKE ? ESCAPE '\\' OR t.session_id LIKE ? ESCAPE '\\' OR t.name LIKE ? ESCAPE '\\'"
            " OR t.user_id LIKE ? ESCAPE '\\'"
            f" OR t.trace_id IN (SELECT trace_id FROM spans WHERE rowid IN ({_search('span_text', SEARCH_MATCHES)})))")
        params += [_like(f.q)] * 4 + [_phrase(f.q)]
    order = _order(f, TRACE_SORTS, "-started", "t.start_ns")
    index = "traces_cost" if cached and few_costly and f.min_cost else None
    return Query(_two_steps("traces t", "trace_id", "usage", cost, cached, where, order, index), [*params, f.limit])
