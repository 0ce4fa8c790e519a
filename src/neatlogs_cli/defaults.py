"""The defaults the CLI and the ``neatlogs run`` bootstrap share, written once.

The bootstrap imports this module into every traced program, so it imports nothing: no
typer, no rich, no neatlogs SDK.
"""

__all__ = [
    "COLLECTOR_MAX_BODY",
    "DASHBOARD_HOST",
    "DASHBOARD_PORT",
    "RUN_PID_ENV",
]

DASHBOARD_HOST = "127.0.0.1"
"""The address ``neatlogs ui`` listens on unless told otherwise (loopback only)."""

DASHBOARD_PORT = 6006
"""The port ``neatlogs ui`` listens on unless told otherwise."""

COLLECTOR_MAX_BODY = 16 * 1024 * 1024
"""Largest export body (after gunzip) the collector takes, in bytes, unless ``--max-body`` says otherwise."""

RUN_PID_ENV = "NEATLOGS_RUN_PID"
"""Pid of the process ``neatlogs run`` became; only that process prints the at-exit hint."""
