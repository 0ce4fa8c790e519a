"""A small threaded HTTP server on loopback, run in a background thread.

The stand-in model and the tests' OTLP receiver are built on it. Nagle's algorithm is off
on every connection: with it, each keep-alive call stalls ~40 ms on delayed ACKs (measured
here) and hides every overhead a benchmark tries to see.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable

__all__ = ["BackgroundHTTPServer", "QuietHandler"]


class QuietHandler(BaseHTTPRequestHandler):
    """A keep-alive (HTTP/1.1) request handler with Nagle off and no access log.

    It also writes the two answers every stand-in server sends: a whole JSON body, and a
    chunked stream of events (SSE, NDJSON, AWS event-stream: the caller frames each one).
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` as JSON, plus ``headers``."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def send_chunked(self, chunks: Iterable[bytes], content_type: str, delay: float = 0.0,
                     headers: dict[str, str] | None = None) -> None:
        """Answer 200 with one transfer chunk per item of ``chunks``, ``delay`` seconds apart.

        A client that hangs up mid-stream (a program leaving early) ends the connection quietly.
        """
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                if delay:
                    time.sleep(delay)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up on a keep-alive connection is normal, not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class BackgroundHTTPServer:
    """Serves ``handler`` on 127.0.0.1 in a daemon thread: ``with Sub() as server: server.port``.

    The handler reaches the owning object as ``self.server.owner``.
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._server.server_address[1]

    def start(self):
        """Start serving in a daemon thread; returns self."""
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
