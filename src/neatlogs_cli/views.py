"""``neatlogs sessions`` and ``neatlogs show``: the local store in the terminal, with rich."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime
from typing import Any

from neatlogs import semconv, store

from . import pricing, reports
from .filters import Filters
from .store_open import StoreProblem, reading
from .timeline import STREAM_ENDED_EARLY, Turn, build_turns

__all__ = [
    "print_timeline",
    "print_trace",
    "resolve_id",
    "resolve_session",
    "sessions_command",
    "show_command",
    "traces_command",
    "turns_json",
]

_TEXT_CHARS = 400  # a bubble longer than this is cut in the terminal (the dashboard shows all)


def _db_path(db: str | None) -> str:
    if db:
        return db
    from .ui import default_db_path

    return default_db_path()


def _console(file: Any = None) -> Any:
    from rich.console import Console

    console = Console(file=file or sys.stdout, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        # Piped output has no width to fit: do not fold ids and times into 80 columns.
        console.width = 160
    return console


def _time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def _ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


# Control characters (C0 but newline and tab, DEL, C1) and lone surrogates in a value would
# drive the terminal (escape sequences clear it, retitle it) or fail the write: shown escaped.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """``text`` safe to print: every control character or lone surrogate as a visible escape."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def _cut(text: str) -> str:
    text = _clean(text)
    return text if len(text) <= _TEXT_CHARS else text[:_TEXT_CHARS] + f"… [{len(text) - _TEXT_CHARS} more chars]"


def _labelled(label: str, style: str, text: str) -> Any:
    """``  Label: text``, its later lines indented under the first line's text."""
    from rich.text import Text

    head = f"  {label}: "
    return Text(head, style=style) + Text(_cut(text).replace("\n", "\n" + " " * len(head)))


def _error(message: str) -> int:
    print(f"neatlogs: {message}", file=sys.stderr)
    return 1


def sessions_command(limit: int = 20, as_json: bool = False, db: str | None = None) -> int:
    """Print the most recent sessions (a table, or JSON); return the exit code."""
    path = _db_path(db)
    if limit < 1:
        return _error(f"--limit must be 1 or more, got {limit}")
    try:
        sessions = reading(path, lambda conn: reports.list_sessions(pricing.install(conn), Filters(limit=limit))
                           if conn else [])
    except StoreProblem as problem:
        return _error(str(problem))
    if as_json:
        print(json.dumps([s.to_json() for s in sessions], indent=2))
        return 0
    console = _console()
    if not sessions:
        from rich.text import Text

        where = "the local store" if os.path.exists(path) else "the local store (no file there yet)"
        note = Text(f"No sessions in {where} {path}.")
        if os.environ.get("NEATLOGS_ENDPOINT"):
            note.append(f" NEATLOGS_ENDPOINT is set: traced runs send to {os.environ['NEATLOGS_ENDPOINT']} instead.")
        note.append(" Try ")
        note.append("neatlogs demo", style="bold")
        note.append(", or trace a program with ")
        note.append("neatlogs run -- python bot.py", style="bold")
        note.append(".")
        console.print(note)
        return 0
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Recent sessions ({path})", title_justify="left")
    numbers = ("turns", "calls", "tokens", "cost", "errors", "p50 / p95")
    for name in ("session", "workflow", "started", "last activity", *numbers):
        table.add_column(name, justify="right" if name in numbers else "left", no_wrap=name == "session")
    for row in sessions:
        s = row.summary
        # Text cells, never markup strings: ids and workflow names come from programs.
        session_cell = Text(_clean(s.session_id))
        if s.no_session:
            session_cell.append("  (no session: one trace)", style="dim")
        table.add_row(
            session_cell, Text(_clean(s.service_name or "")), _time(s.first_start_ns),
            _time(s.last_end_ns), str(s.turn_count), str(row.call_count),
            pricing.format_tokens(s.token_count, row.call_count),
            pricing.format_cost(row.cost, row.unpriced_calls, pricing.tokens_reported(s.token_count, row.call_count)),
            Text(str(s.error_count), style="red" if s.error_count else ""),
            f"{_ms(row.p50_ms)} / {_ms(row.p95_ms)}" if row.p50_ms is not None and row.p95_ms is not None else "",
        )
    console.print(table)
    return 0


def resolve_session(conn: Any, prefix: str) -> str:
    """Return the one session id starting with ``prefix``.

    Raises:
        LookupError: none or several match (the message says which).
    """
    found = store.find_session_ids(conn, prefix, limit=2)
    if not found:
        raise LookupError(f"no session matches {prefix!r}; `neatlogs sessions` lists them")
    if len(found) > 1:
        raise LookupError(f"{prefix!r} matches more than one session; give more of the id")
    return found[0]


def resolve_id(conn: Any, prefix: str) -> tuple[str, str]:
    """Return ``("session", id)`` or ``("trace", id)``: the one session or trace id ``prefix`` names.

    An exact id wins; else the prefix must start exactly one session id or trace id (a trace
    with no session is listed as a session keyed by its trace id: that counts once).

    Raises:
        LookupError: none or several match (the message says which).
    """
    sessions = store.find_session_ids(conn, prefix, limit=2)
    if prefix in sessions:
        return "session", prefix
    traces = store.find_trace_ids(conn, prefix, limit=2)
    if prefix in traces:
        return "trace", prefix
    traces = [t for t in traces if t not in sessions]
    found = [("session", s) for s in sessions] + [("trace", t) for t in traces]
    if not found:
        raise LookupError(
            f"no session or trace matches {prefix!r}; `neatlogs sessions` and `neatlogs traces` list them"
        )
    if len(found) > 1:
        raise LookupError(f"{prefix!r} matches more than one session or trace; give more of the id")
    return found[0]


def turns_json(traces: list[store.TraceSpans]) -> list[dict[str, Any]]:
    """The view model's turns as ``show --json`` gives them: what the user said, the reply, tokens."""
    return [
        {
            "index": turn.index,
            "trace_ids": turn.trace_ids,
            "user_text": turn.user_text,
            "reply_text": turn.reply_text,
            "tokens": turn.tokens,
            "tokens_not_reported": turn.tokens_not_reported,
            "duration_ms": round(turn.duration_ms, 3),
            "first_chunk_ms": turn.first_chunk_ms,
            "stream_incomplete": turn.stream_incomplete,
            "error_count": turn.error_count,
            "spans": len(turn.rows),
        }
        for turn in build_turns(traces)
    ]


def show_command(session_id: str, as_json: bool = False, db: str | None = None) -> int:
    """Print one session's (or trace's) timeline, or its JSON; a unique prefix of either id is enough."""
    path = _db_path(db)

    totals: list[reports.SessionRow | None] = []

    def read(conn: Any) -> store.SessionDetail | store.TraceSpans | str:
        if conn is None:
            return f"no session or trace matches {session_id!r}: there is no store at {path} yet"
        try:
            what, full_id = resolve_id(conn, session_id)
        except LookupError as error:
            return str(error)
        found = store.get_trace(conn, full_id) if what == "trace" else store.get_session(conn, full_id)
        if what == "session" and not as_json:
            totals.append(reports.session_totals(pricing.install(conn), full_id))
        return found if found is not None else f"no {what} matches {session_id!r}"  # deleted meanwhile

    try:
        found = reading(path, read)
    except StoreProblem as problem:
        return _error(str(problem))
    if isinstance(found, str):
        return _error(found)
    if as_json:
        traces = [found] if isinstance(found, store.TraceSpans) else found.traces
        _print_json({**found.to_json(), "turns": turns_json(traces)})
    elif isinstance(found, store.TraceSpans):
        print_trace(found)
    else:
        print_timeline(found, totals=totals[0] if totals else None)
    return 0


def _print_json(value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if _SURROGATE.search(text):  # a lone surrogate cannot be written as UTF-8: escape it, as JSON may
        text = json.dumps(value, indent=2)
    print(text)


def traces_command(limit: int = 20, as_json: bool = False, db: str | None = None) -> int:
    """Print the most recent traces, with their session or "no session" (a table, or JSON)."""
    path = _db_path(db)
    if limit < 1:
        return _error(f"--limit must be 1 or more, got {limit}")
    try:
        traces = reading(path, lambda conn: reports.list_traces(pricing.install(conn), Filters(limit=limit))
                         if conn else [])
    except StoreProblem as problem:
        return _error(str(problem))
    if as_json:
        print(json.dumps([t.to_json() for t in traces], indent=2))
        return 0
    console = _console()
    from rich.table import Table
    from rich.text import Text

    if not traces:
        console.print(Text(f"No traces in the local store {path}."))
        return 0
    table = Table(title=f"Recent traces ({path})", title_justify="left")
    numbers = ("duration", "spans", "tokens", "cost", "errors")
    for name in ("trace", "root span", "session", "started", *numbers):
        table.add_column(name, justify="right" if name in numbers else "left", no_wrap=name in ("trace", "session"))
    for t in traces:
        table.add_row(
            Text(_clean(t.trace_id)), Text(_clean(t.name)),
            Text(_clean(t.session_id)) if t.session_id else Text("no session", style="dim"),
            _time(t.start_time_ns), _ms(t.latency_ms), str(t.span_count),
            pricing.format_tokens(t.token_count, t.call_count),
            pricing.format_cost(t.cost, t.unpriced_calls, pricing.tokens_reported(t.token_count, t.call_count)),
            Text(str(t.error_count), style="red" if t.error_count else ""),
        )
    console.print(table)
    return 0


def print_timeline(session: store.SessionDetail, file: Any = None, totals: reports.SessionRow | None = None) -> None:
    """Print a session's turns in order, each with its bubbles and span tree (under its totals, when given)."""
    from rich.text import Text

    console = _console(file)
    head = Text()
    head.append("Session ", style="bold")
    head.append(_clean(session.session_id), style="bold cyan")
    if session.no_session:
        head.append("  (no session: one trace)", style="dim")
    if session.service_name:
        head.append(f"  workflow {_clean(session.service_name)}")
    calls = totals.call_count if totals is not None else None
    head.append(
        f"  {session.turn_count} turn{'s' if session.turn_count != 1 else ''}  "
        f"{pricing.format_tokens(session.token_count, calls)} tokens  "
        f"{session.error_count} errors  started {_time(session.first_start_ns)}"
    )
    if totals is not None:
        cost = pricing.format_cost(totals.cost, totals.unpriced_calls,
                                   pricing.tokens_reported(session.token_count, totals.call_count))
        head.append(f"\n  {totals.call_count} model calls  cost {cost}  latency {_ms(totals.latency_ms)}")
        if totals.p50_ms is not None and totals.p95_ms is not None:
            head.append(f" (p50 {_ms(totals.p50_ms)}, p95 {_ms(totals.p95_ms)} per turn)")
    console.print(head)
    for turn in build_turns(session.traces):
        console.print()
        _print_turn(console, turn)


def print_trace(trace: store.TraceSpans, file: Any = None) -> None:
    """Print one trace as a turn, with its bubbles and span tree."""
    from rich.text import Text

    console = _console(file)
    head = Text("Trace ", style="bold")
    head.append(_clean(trace.trace_id), style="bold cyan")
    session_id = trace.spans[0].session_id if trace.spans else None
    head.append(f"  session {_clean(session_id)}" if session_id else "  no session")
    console.print(head)
    for turn in build_turns([trace]):
        console.print()
        _print_turn(console, turn)


def _print_turn(console: Any, turn: Turn) -> None:
    from rich.text import Text
    from rich.tree import Tree

    title = Text(f"Turn {turn.index}", style="bold")
    title.append(f"  {_time(turn.start_ns)}  {_ms(turn.duration_ms)}", style="dim")
    if turn.tokens:
        title.append(f"  {turn.tokens} tokens", style="dim")
    elif turn.tokens_not_reported:
        title.append("  tokens not reported", style="dim")
    if turn.first_chunk_ms is not None:
        title.append(f"  first token {_ms(turn.first_chunk_ms)}", style="dim")
    if turn.stream_incomplete:
        title.append(f"  {STREAM_ENDED_EARLY}", style="yellow")
    if len(turn.trace_ids) > 1:
        title.append(f"  {len(turn.trace_ids)} traces", style="dim")
    if turn.error_count:
        title.append(f"  {turn.error_count} errors", style="bold red")
    console.print(title)
    # Text objects are never parsed as markup: a reply holding "[red]" prints as typed.
    console.print(_labelled("You", "bold blue", turn.user_text or "(no input recorded)"))
    for step in turn.tool_steps:  # the tool loop between the message and the reply
        console.print(_labelled("Tool", "bold yellow", step.summary))
    console.print(_labelled("Bot", "bold green", turn.reply_text or "(no output recorded)"))
    roots: list[Any] = []
    path: list[Any] = []  # the open nodes from the root down to the previous row
    for row in turn.rows:
        label = _span_label(row)
        del path[row.depth:]
        if path:
            node = path[-1].add(label)
        else:
            node = Tree(label, guide_style="dim")
            roots.append(node)
        path.append(node)
        _add_facts(node, row)
    from rich.padding import Padding

    for tree in roots:
        console.print(Padding(tree, (0, 0, 0, 2), expand=False))


def _add_facts(node: Any, row: Any) -> None:
    """A tool's name and arguments, an agent's role and goal, a retriever's query and documents, log records."""
    from rich.text import Text

    facts = row.facts
    for label, value in facts.facts:
        node.add(Text(f"{label}: ", style="cyan") + Text(_cut(value)))
    for event in row.span.events:  # neatlogs.log() records, in the order they were made
        if event.get("name") == semconv.LOG_EVENT:
            attributes = event.get("attributes") or {}
            level = _clean(str(attributes.get(semconv.LOG_LEVEL, "info")))
            node.add(Text(f"log {level}: ", style="cyan") + Text(_cut(str(attributes.get(semconv.LOG_BODY, "")))))
    if facts.documents:
        listed = node.add(Text(f"{facts.documents_label} ({len(facts.documents)})", style="cyan"))
        for doc in facts.documents:
            line = Text()
            if doc.score is not None:
                line.append(f"{doc.score:.3f} ", style="dim")
            if doc.id:
                line.append(f"[{doc.id}] ", style="dim")
            line.append(_cut(doc.content or ""))
            listed.add(line)


def _span_label(row: Any) -> Any:
    from rich.text import Text

    span = row.span
    label = Text()
    label.append(f"{span.kind or span.span_kind or 'SPAN'} ", style="magenta")
    label.append(_clean(span.name), style="bold red" if row.is_error else "")
    if span.kind and span.span_kind not in (None, "INTERNAL", "UNSPECIFIED"):
        label.append(f" ({span.span_kind.lower()})", style="dim")
    label.append(f"  {_ms(row.duration_ms)}", style="dim")
    if row.first_chunk_ms is not None:
        label.append(f"  first token {_ms(row.first_chunk_ms)}", style="dim")
    if row.tokens:
        label.append(f"  {row.tokens} tokens", style="dim")
    elif row.tokens_not_reported:
        label.append("  tokens not reported", style="dim")
    if row.stream_incomplete:
        label.append(f"  {STREAM_ENDED_EARLY}", style="yellow")
    if row.is_error:
        label.append(f"  {_clean(span.status_message or 'ERROR')}", style="red")
    return label
