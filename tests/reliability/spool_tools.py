"""What the spool tests share: a spool's spans read back from disk, a receiver that stops answering, a program runner.

Counting is by span name: each test program names every span uniquely, so a name seen
twice (received twice, or received and still spooled) is a duplicate, and a name seen
nowhere is a loss.
"""

from __future__ import annotations

import collections
import gzip
import os
import subprocess
import sys
import threading
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from neatlogs.export.spool import spool_folder
from neatlogs_cli.demo.loopback import BackgroundHTTPServer, QuietHandler

__all__ = ["HoldingReceiver", "move_spool", "names_in_body", "run_program", "spool_files", "spooled_names"]

HANG_GUARD_SECONDS = 120


def names_in_body(body: bytes) -> list[str]:
    """The span names of one gzipped OTLP request body."""
    request = ExportTraceServiceRequest()
    request.ParseFromString(gzip.decompress(body))
    return [span.name for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


def spool_files(home, endpoint: str) -> list[str]:
    """Every request file in the spool, claimed or not."""
    folder = spool_folder(str(home), endpoint)
    try:
        return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if ".otlp.gz" in n and
                not n.endswith(".tmp")]
    except FileNotFoundError:
        return []


def spooled_names(home, endpoint: str) -> collections.Counter:
    """How often each span name is in the spool."""
    counts: collections.Counter = collections.Counter()
    for path in spool_files(home, endpoint):
        with open(path, "rb") as f:
            counts.update(names_in_body(f.read()))
    return counts


def move_spool(home, from_endpoint: str, to_endpoint: str) -> None:
    """Make what was spooled for one endpoint the spool of another (``push`` sends it there)."""
    target = spool_folder(str(home), to_endpoint)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.rename(spool_folder(str(home), from_endpoint), target)


def environment(home, endpoint: str, **extra: str) -> dict[str, str]:
    """A plain environment: what other tests' libraries left in ``os.environ`` must not shape the program."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")}
    env.update(NEATLOGS_HOME=str(home), NEATLOGS_ENDPOINT=endpoint, **extra)
    return env


def run_program(code: str, home, endpoint: str, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter traced to ``endpoint``; the timeout only catches a hang."""
    return subprocess.run([sys.executable, "-c", code, *args], env=environment(home, endpoint, **extra),
                          capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)


class _Holding(QuietHandler):
    server: object

    def do_POST(self) -> None:  # noqa: N802
        receiver = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with receiver.lock:
            answer = receiver.answered < receiver.answer_first
            if answer:
                receiver.answered += 1
                receiver.names.update(names_in_body(body))
        if not answer:
            receiver.released.wait(60)  # held: never answered, never counted
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()


class HoldingReceiver(BackgroundHTTPServer):
    """An OTLP/HTTP endpoint that answers (and counts) its first ``answer_first`` requests, then holds every other.

    A held request is read and never answered: a slow endpoint, as seen by a program that
    must exit. Only answered requests count as delivered, so delivered and spooled never
    overlap by the receiver's doing.
    """

    def __init__(self, answer_first: int = 0) -> None:
        super().__init__(_Holding)
        self.answer_first = answer_first
        self.answered = 0
        self.names: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        self.released = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.released.set()
        time.sleep(0.05)
        super().stop()
