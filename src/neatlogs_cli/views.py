"""``neatlogs sessions`` and ``neatlogs show``: the local store in the terminal, with rich."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any

from neatlogs import store

from .timeline import Turn, build_turns

__all__ = ["print_timeline", "resolve_session", "sessions_command", "show_command"]

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


def _cut(text: str) -> str:
    return text if len(text) <= _TEXT_CHARS else text[:_TEXT_CHARS] + f"… [{len(text) - _TEXT_CHARS} more chars]"


def _error(message: str) -> int:
    print(f"neatlogs: {message}", file=sys.stderr)
    return 1


def sessions_command(limit: int = 20, as_json: bool = False, db: str | None = None) -> int:
    """Print the most recent sessions (a table, or JSON); return the exit code."""
    path = _db_path(db)
    if limit < 1:
        return _error(f"--limit must be 1 or more, got {limit}")
    sessions = store.list_sessions(store.connect(path), limit=limit) if os.path.exists(path) else []
    if as_json:
        print(json.dumps([s.to_json() for s in sessions], indent=2))
        return 0
    console = _console()
    if not sessions:
        console.print(f"No sessions in {path} yet. Try [bold]neatlogs demo[/bold].")
        return 0
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Recent sessions ({path})", title_justify="left")
    for name in ("session", "workflow", "started", "last activity", "turns", "tokens", "errors"):
        table.add_column(name, justify="right" if name in ("turns", "tokens", "errors") else "left",
                         no_wrap=name == "session")
    for s in sessions:
        # Text cells, never markup strings: ids and workflow names come from programs.
        table.add_row(
            Text(s.session_id), Text(s.service_name or ""), _time(s.first_start_ns),
            _time(s.last_end_ns), str(s.trace_count), str(s.token_count),
            Text(str(s.error_count), style="red" if s.error_count else ""),
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


def show_command(session_id: str, as_json: bool = False, db: str | None = None) -> int:
    """Print one session's timeline (or its JSON); a unique prefix of the id is enough."""
    path = _db_path(db)
    if not os.path.exists(path):
        return _error(f"no session matches {session_id!r}: there is no store at {path} yet")
    conn = store.connect(path)
    try:
        full_id = resolve_session(conn, session_id)
    except LookupError as error:
        return _error(str(error))
    session = store.get_session(conn, full_id)
    if session is None:  # deleted between the two queries
        return _error(f"no session matches {session_id!r}")
    if as_json:
        print(json.dumps(session.to_json(), indent=2, ensure_ascii=False))
        return 0
    print_timeline(session)
    return 0


def print_timeline(session: store.SessionDetail, file: Any = None) -> None:
    """Print a session's turns in order, each with its bubbles and span tree."""
    from rich.text import Text

    console = _console(file)
    head = Text()
    head.append("Session ", style="bold")
    head.append(session.session_id, style="bold cyan")
    if session.service_name:
        head.append(f"  workflow {session.service_name}")
    head.append(
        f"  {session.trace_count} turns  {session.token_count} tokens  "
        f"{session.error_count} errors  started {_time(session.first_start_ns)}"
    )
    console.print(head)
    for turn in build_turns(session.traces):
        console.print()
        _print_turn(console, turn)


def _print_turn(console: Any, turn: Turn) -> None:
    from rich.text import Text
    from rich.tree import Tree

    title = Text(f"Turn {turn.index}", style="bold")
    title.append(f"  {_time(turn.start_ns)}  {_ms(turn.duration_ms)}", style="dim")
    if turn.tokens:
        title.append(f"  {turn.tokens} tokens", style="dim")
    if turn.error_count:
        title.append(f"  {turn.error_count} errors", style="bold red")
    console.print(title)
    # Text objects are never parsed as markup: a reply holding "[red]" prints as typed.
    console.print(Text("  You: ", style="bold blue") + Text(_cut(turn.user_text or "(no input recorded)")))
    console.print(Text("  Bot: ", style="bold green") + Text(_cut(turn.reply_text or "(no output recorded)")))
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
    from rich.padding import Padding

    for tree in roots:
        console.print(Padding(tree, (0, 0, 0, 2), expand=False))


def _span_label(row: Any) -> Any:
    from rich.text import Text

    span = row.span
    label = Text()
    label.append(f"{span.kind or span.span_kind or 'SPAN'} ", style="magenta")
    label.append(span.name, style="bold red" if row.is_error else "")
    if span.kind and span.span_kind not in (None, "INTERNAL", "UNSPECIFIED"):
        label.append(f" ({span.span_kind.lower()})", style="dim")
    label.append(f"  {_ms(row.duration_ms)}", style="dim")
    if row.tokens:
        label.append(f"  {row.tokens} tokens", style="dim")
    if row.is_error:
        label.append(f"  {span.status_message or 'ERROR'}", style="red")
    return label
