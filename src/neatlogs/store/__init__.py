"""The local SQLite store: ``connect``, write spans, read sessions and traces.

``schema`` holds the SQL and migrations, ``records`` the records written and read (and the
kind and token normalisers), ``chat`` the chat messages of a span in either convention,
``turns`` the rule of what a turn is, ``write`` the inserts, ``read`` the queries. Nothing imports this
package at ``import neatlogs`` time: only the local exporter, the collector and the CLI.
"""

from .chat import ChatMessage, ToolCall, input_messages, output_messages
from .maintenance import StoreStats, delete_session, delete_trace, prune, stats
from .read import (
    find_session_ids,
    find_trace_ids,
    get_session,
    get_session_page,
    get_session_summary,
    get_trace,
    iter_spans,
    list_sessions,
    list_traces,
)
from .records import (
    SessionDetail,
    SessionSummary,
    SpanRecord,
    TokenCounts,
    TraceSpans,
    TraceSummary,
    span_kind_of,
    token_counts,
)
from .schema import SCHEMA_VERSION, connect
from .turns import is_model_call, is_step, last_user_text, starts_turn
from .write import insert_spans

__all__ = [
    "ChatMessage",
    "SCHEMA_VERSION",
    "SessionDetail",
    "SessionSummary",
    "SpanRecord",
    "StoreStats",
    "TokenCounts",
    "ToolCall",
    "TraceSpans",
    "TraceSummary",
    "connect",
    "delete_session",
    "delete_trace",
    "find_session_ids",
    "find_trace_ids",
    "get_session",
    "get_session_page",
    "get_session_summary",
    "get_trace",
    "input_messages",
    "insert_spans",
    "is_model_call",
    "is_step",
    "iter_spans",
    "last_user_text",
    "list_sessions",
    "list_traces",
    "output_messages",
    "prune",
    "span_kind_of",
    "starts_turn",
    "stats",
    "token_counts",
]
