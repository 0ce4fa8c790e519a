"""The plumbing every JSON-over-HTTP stand-in shares: request log, ``error-<status>`` models, SSE and NDJSON streams.

A provider's stand-in subclasses :class:`JsonHandler` (its routes in ``route``, its error
body in ``error_body``) and :class:`JsonStandin` (its ``base_url``). The conventions the
conformance kit relies on live here once: a model named ``error-<status>`` answers that
status, a model name containing ``slow`` streams with a pause of 50 ms between events.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Iterable

from neatlogs_cli.demo.loopback import BackgroundHTTPServer, QuietHandler

__all__ = ["JsonHandler", "JsonStandin", "ndjson_line", "sse_event", "tokens"]

SLOW_DELAY = 0.05
"""Seconds between stream events for a model whose name contains ``slow``."""


def tokens(text: str) -> int:
    """A deterministic token count: words, at least one."""
    return max(1, len(text.split()))


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One server-sent event: ``data:`` is JSON (or the text given), after an optional ``event:`` line."""
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def ndjson_line(data: Any) -> bytes:
    """One line of newline-delimited JSON."""
    return json.dumps(data).encode() + b"\n"


class JsonHandler(QuietHandler):
    """Parses a JSON POST, logs it, answers ``error-<status>`` models; the rest goes to :meth:`route`."""

    server: Any  # its .owner is the JsonStandin

    def route(self, path: str, body: dict[str, Any], model: str, delay: float) -> None:
        """Answer one request (``path`` without its query); a subclass's job."""
        self.send_json(404, self.error_body(404))

    def error_body(self, status: int) -> Any:
        """The provider's error JSON for ``status``."""
        return {"message": f"stand-in error {status}"}

    def send_stream(self, chunks: Iterable[bytes], content_type: str, delay: float) -> None:
        """A chunked response, one transfer chunk per item, ``delay`` seconds apart."""
        self.send_chunked(chunks, content_type, delay)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self.send_json(400, self.error_body(400))
            return
        owner = self.server.owner
        with owner.lock:
            owner.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        model = str(body.get("model", ""))
        if model.startswith("error-"):
            status = int(model.split("-", 1)[1] or 500)
            self.send_json(status, self.error_body(status))
            return
        self.route(self.path.split("?")[0].rstrip("/"), body, model, SLOW_DELAY if "slow" in model else 0.0)


class JsonStandin(BackgroundHTTPServer):
    """A stand-in server on 127.0.0.1 (port 0 by default) in a background thread: ``with Sub() as s: s.base_url``."""

    handler: type[JsonHandler] = JsonHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(self.handler, host, port)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """Every request received so far: path, parsed JSON body and headers."""

    @property
    def base_url(self) -> str:
        """Where the client is pointed."""
        return f"http://127.0.0.1:{self.port}"
