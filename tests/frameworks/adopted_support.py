"""What the tests of the adopted OpenInference instrumentors share: offline settings, span trees, runs.

LlamaIndex, CrewAI and DSPy are each tested in their own file (``test_llama_index.py``,
``test_crewai.py``, ``test_dspy.py``) against the stand-in model; this module keeps them
offline (settings, and a guard that refuses any connection off loopback), turns exported
spans into the store's records and the view model's turns, and runs a program under a real
``neatlogs run`` then reads it back with ``neatlogs show --json``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from neatlogs import store
from neatlogs.export.sqlite import span_to_record
from neatlogs_cli.timeline import Turn, build_turns

__all__ = ["OFFLINE_ENV", "GUARD", "block_internet", "neatlogs_run", "records", "scopes", "turns_of"]

OFFLINE_ENV = {
    "OPENAI_API_KEY": "sk-test",
    # litellm fetches its model cost map and catalogs at import unless told not to.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_OFFLINE_MODE": "true",
    # CrewAI's anonymous telemetry (its own provider, to its own collector) and its hosted tracing.
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
}
"""What keeps each framework and the libraries under it from reaching the internet."""

GUARD = textwrap.dedent("""
    import socket as _socket
    def _loopback(host):
        return host is None or str(host) in ("localhost", "::1") or str(host).startswith("127.")
    _connect, _getaddrinfo = _socket.socket.connect, _socket.getaddrinfo
    def _guarded_connect(self, address):
        if isinstance(address, tuple) and not _loopback(address[0]):
            raise OSError("test guard: no network beyond loopback (%r)" % (address,))
        return _connect(self, address)
    def _guarded_getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            raise OSError("test guard: no name lookups beyond loopback (%r)" % (host,))
        return _getaddrinfo(host, *args, **kwargs)
    _socket.socket.connect = _guarded_connect
    _socket.getaddrinfo = _guarded_getaddrinfo
""")
"""Source that refuses connections and name lookups off loopback: the head of every program run."""


def block_internet(monkeypatch: Any) -> list[str]:
    """Refuse connections and name lookups off loopback for this test; returns what was refused."""
    refused: list[str] = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def loopback(host: Any) -> bool:
        return host is None or str(host) in ("localhost", "::1") or str(host).startswith("127.")

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not loopback(address[0]):
            refused.append(str(address))
            raise OSError(f"test guard: no network beyond loopback ({address!r})")
        return connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not loopback(host):
            refused.append(str(host))
            raise OSError(f"test guard: no name lookups beyond loopback ({host!r})")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return refused


def records(spans: Any) -> list[store.SpanRecord]:
    """Finished SDK spans as the store keeps them, in start order."""
    return sorted((span_to_record(s) for s in spans), key=lambda r: r.start_time_ns)


def scopes(spans: Any) -> set[str]:
    """The instrumentation scopes (tracer names) of finished SDK spans."""
    return {s.instrumentation_scope.name for s in spans}


def turns_of(spans: list[store.SpanRecord]) -> list[Turn]:
    """The view model's turns of these spans, one trace each, in start order."""
    traces: dict[str, list[store.SpanRecord]] = {}
    for span in spans:
        traces.setdefault(span.trace_id, []).append(span)
    ordered = sorted(traces.items(), key=lambda item: min(s.start_time_ns for s in item[1]))
    return build_turns([store.TraceSpans(trace_id, trace_spans) for trace_id, trace_spans in ordered])


def neatlogs_run(program: str, tmp_path: Path, base_url: str, *options: str,
                 session: str = "run-session") -> tuple[subprocess.CompletedProcess[str], dict[str, Any], list[Turn]]:
    """Run ``program`` (its source) under ``neatlogs run`` into a fresh local store; read it back.

    Returns the finished run, ``neatlogs show SESSION --json`` and that session's turns.
    """
    script = tmp_path / "program.py"
    script.write_text(GUARD + textwrap.dedent(program))
    home = tmp_path / "run-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_", "OPENAI_"))}
    env.update(OFFLINE_ENV, NEATLOGS_HOME=str(home), STANDIN_URL=base_url, PYTHONUNBUFFERED="1")
    env.pop("PYTHONPATH", None)
    command = [sys.executable, "-m", "neatlogs_cli", "run", "--session-id", session, *options,
               "--", sys.executable, str(script)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    shown = subprocess.run([sys.executable, "-m", "neatlogs_cli", "show", session, "--json"],
                           capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr[-3000:]
    detail = json.loads(shown.stdout)
    spans = [store.SpanRecord(**{k: v for k, v in s.items() if k not in ("session_id", "service_name")})
             for t in detail["traces"] for s in t["spans"]]
    return done, detail, turns_of(spans)
