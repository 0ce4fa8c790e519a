"""The collector is bounded and cannot be starved.

* Bodies in flight share a byte budget: over it, 503 with ``Retry-After`` and a JSON error,
  and neatlogs' own exporter waits as told and delivers.
* Idle and slow connections: past the connection cap a normal request is still served
  (the oldest idle sockets are closed for it), and a connection that never finishes its
  headers is closed by the header timeout, however slowly it dribbles.
* The server's log is rate-limited: a flood of bad requests writes a few lines.
* A full disk answers 507 with a JSON error naming the cause, and the exporter reports it.

Real parts only: the app served by uvicorn on loopback, raw sockets, SQLite on a tmpfs.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from http_client import http  # noqa: E402
from otlp_bodies import protobuf_body, turn_spans  # noqa: E402

from neatlogs import store  # noqa: E402
from neatlogs_cli.ui import DashboardServer  # noqa: E402

PROTOBUF = {"content-type": "application/x-protobuf"}
MIB = 1024 * 1024


def _body(session: str, turn: int = 0, text: str = "hello") -> bytes:
    return protobuf_body(turn_spans(session, turn, text, "reply"))


def _hold_body(port: int, declared: int) -> socket.socket:
    """A POST that declares ``declared`` bytes and sends none yet: its budget share is held."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/x-protobuf\r\n"
                 + f"content-length: {declared}\r\n\r\n".encode())
    return sock


def _stored_sessions(db_path: str) -> set[str]:
    conn = store.connect(db_path)
    try:
        return {s.session_id for s in store.list_sessions(conn, limit=100)}
    finally:
        conn.close()


def _wait_until(predicate, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.01)


def test_bodies_over_the_budget_get_503_with_retry_after(tmp_path: Path) -> None:
    db_path = str(tmp_path / "traces.db")
    with DashboardServer(db_path, max_body=MIB, body_budget=MIB) as server:
        body = _body("held")
        holder = _hold_body(server.port, len(body) + MIB // 2)  # more than half the budget, held
        try:
            _wait_until(lambda: server.app.state.body_budget.used > MIB // 2, "the held body takes its share")
            refused = http("POST", server.url + "/v1/traces", b"x" * (MIB // 2 + 1), PROTOBUF)
            assert refused.status == 503, refused.text
            assert int(refused.headers["retry-after"]) >= 1
            assert "busy" in refused.json()["error"]
            small = http("POST", server.url + "/v1/traces", _body("small"), PROTOBUF)
            assert small.status == 200, small.text  # what fits beside the held body goes through
        finally:
            holder.close()
        _wait_until(lambda: server.app.state.body_budget.used == 0, "the closed body gives its share back")
        assert http("POST", server.url + "/v1/traces", _body("after", 1), PROTOBUF).status == 200
    assert {"small", "after"} <= _stored_sessions(db_path)


def test_our_exporter_honours_retry_after_and_delivers(tmp_path: Path) -> None:
    from neatlogs.export.otlp import OtlpHttpSpanExporter
    from neatlogs.export.spool import Spool

    db_path = str(tmp_path / "traces.db")
    with DashboardServer(db_path, max_body=MIB, body_budget=MIB) as server:
        holder = _hold_body(server.port, MIB - 100)  # the whole budget but 100 bytes
        _wait_until(lambda: server.app.state.body_budget.used > 0, "the held body takes its share")
        exporter = OtlpHttpSpanExporter(server.url, None, Spool(str(tmp_path / "spool"), server.url))
        result: list[object] = []
        spans = _finished_spans()
        worker = threading.Thread(target=lambda: result.append(exporter.export(spans)))
        worker.start()
        _wait_until(lambda: server.app.state.busy_answers >= 1, "the exporter is told to retry later")
        holder.close()  # the budget frees: the exporter's next attempt, after Retry-After, fits
        worker.join(timeout=60)
        from opentelemetry.sdk.trace.export import SpanExportResult

        assert result == [SpanExportResult.SUCCESS]
        assert exporter.spooled == 0 and exporter.dropped == 0
    assert "retried" in _stored_sessions(db_path)


def _finished_spans() -> list:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("test").start_as_current_span("turn") as span:
        span.set_attribute("session.id", "retried")
        span.set_attribute("input.value", "x" * 400)  # over the 100 bytes left beside the held body
    provider.shutdown()
    return list(memory.get_finished_spans())


def _idle_socket(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # a request line, headers never finished
    return sock


def _closed_by_server(sock: socket.socket, limit: float = 60.0) -> bool:
    sock.settimeout(limit)
    try:
        return sock.recv(1024) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_idle_connections_past_the_cap_never_lock_a_request_out(tmp_path: Path) -> None:
    cap = 256  # the default cap (guard.MAX_CONNECTIONS); a long header timeout, so only the cap closes
    with DashboardServer(str(tmp_path / "traces.db"), header_timeout=600) as server:
        held = [_idle_socket(server.port) for _ in range(cap + 50)]
        try:
            for _ in range(3):
                assert http("GET", server.url + "/").status == 200
                assert http("POST", server.url + "/v1/traces", _body("served"), PROTOBUF).status == 200
            # The oldest idle sockets were closed to make room; the server never held more than the cap.
            open_now = [c for c in server._server.server_state.connections if not c.transport.is_closing()]
            assert len(open_now) <= cap
            closed = sum(_closed_by_server(s, limit=10) for s in held[:50])
            assert closed == 50
        finally:
            for sock in held:
                sock.close()


def test_a_connection_that_never_finishes_its_headers_is_closed(tmp_path: Path) -> None:
    with DashboardServer(str(tmp_path / "traces.db"), header_timeout=0.5) as server:
        silent = _idle_socket(server.port)
        assert _closed_by_server(silent)
        dribbling = _idle_socket(server.port)
        dribbling.settimeout(0.1)
        closed = False
        for _ in range(3000):  # one byte each 0.1 s: a slow-loris never finishing its header
            try:
                dribbling.sendall(b"a")
                if dribbling.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
        assert closed
        # A request sent at once is unaffected.
        assert http("GET", server.url + "/").status == 200


def test_a_flood_of_bad_requests_writes_a_few_log_lines(tmp_path: Path) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    with DashboardServer(str(tmp_path / "traces.db")) as server:
        keep = Keep()
        logging.getLogger("uvicorn.error").addHandler(keep)
        try:
            for _ in range(300):
                with socket.create_connection(("127.0.0.1", server.port)) as sock:
                    sock.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
                    _closed_by_server(sock, limit=10)
        finally:
            logging.getLogger("uvicorn.error").removeHandler(keep)
        assert http("GET", server.url + "/").status == 200
    assert len(records) <= 20, [r.getMessage() for r in records[:5]]


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 4 MiB (mounted as root), to be filled up."""
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a tmpfs, which only root can mount (.ci/run runs as root)")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"running as root but tmpfs cannot be mounted: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)])


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def test_a_full_disk_answers_507_naming_the_cause_and_the_client_reports_it(full_disk: Path, tmp_path: Path) -> None:
    db_path = str(full_disk / "traces.db")
    with DashboardServer(db_path) as server:
        assert http("POST", server.url + "/v1/traces", _body("before"), PROTOBUF).status == 200
        _fill(full_disk)
        big = protobuf_body([s for t in range(200) for s in turn_spans("after", t, "q" * 2000, "a" * 2000)])
        reply = http("POST", server.url + "/v1/traces", big, PROTOBUF)
        assert reply.status == 507, reply.text
        assert "disk is full" in reply.json()["error"]
        assert http("GET", server.url + "/api/sessions").status == 200  # reading still works
        # A traced program sending there says why its spans were kept, not "unreachable".
        program = ("import neatlogs\nneatlogs.init()\n@neatlogs.span('AGENT')\ndef turn(text):\n"
                   "    return text\nfor i in range(200):\n    turn('q' * 2000)\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
        env.update(NEATLOGS_HOME=str(tmp_path / "client-home"), NEATLOGS_ENDPOINT=server.url)
        result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env,
                                timeout=120, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "disk is full" in result.stderr and "unreachable" not in result.stderr, result.stderr
        shutil.rmtree(tmp_path / "client-home", ignore_errors=True)
