"""The local SQLite store: ``connect``, write spans, read sessions and traces.

``schema`` holds the SQL and migrations, ``records`` the records written and read (and the
one kind normaliser), ``write`` the inserts, ``read`` the queries. Nothing imports this
package at ``import neatlogs`` time: only the local exporter, the collector and the CLI.
"""

from .read import find_session_ids, get_session, get_session_summary, get_trace, iter_spans, list_sessions
from .records import SessionDetail, SessionSummary, SpanRecord, TraceSpans, span_kind_of
from .schema import SCHEMA_VERSION, connect
from .write import insert_spans

__all__ = [
    "SCHEMA_VERSION",
    "SessionDetail",
    "SessionSummary",
    "SpanRecord",
    "TraceSpans",
    "connect",
    "find_session_ids",
    "get_session",
    "get_session_summary",
    "get_trace",
    "insert_spans",
    "iter_spans",
    "list_sessions",
    "span_kind_of",
]
