"""The collector under abuse: killed mid-ingest loses no acknowledged span; bad bodies get 4xx.

``neatlogs ui`` runs as a real subprocess; the fuzzing drives the real app in a thread
with hypothesis for a bounded number of examples (a longer run: bench/fuzz_collector.py).
"""

from __future__ import annotations

import gzip
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from neatlogs_cli.ui import DashboardServer

BATCH = 50


def batch_body(batch_no: int, value_size: int = 200, attributes: int = 3) -> bytes:
    """One export request: BATCH spans of one trace, ids derived from ``batch_no``."""
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for i in range(BATCH):
        span = scope.spans.add()
        span.trace_id = (batch_no + 1).to_bytes(16, "big")
        span.span_id = (batch_no * BATCH + i + 1).to_bytes(8, "big")
        span.name = f"batch-{batch_no}"
        span.start_time_unix_nano = 1_700_000_000_000_000_000 + i
        span.end_time_unix_nano = span.start_time_unix_nano + 1000
        for a in range(attributes):
            span.attributes.append(KeyValue(key=f"attr.{a}", value=AnyValue(string_value="v" * value_size)))
        span.attributes.append(KeyValue(key="session.id", value=AnyValue(string_value="ingest")))
    return gzip.compress(request.SerializeToString())


def post(url: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 5) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {
        "content-type": "application/x-protobuf", "content-encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return 0  # not answered: the server is down


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ui(port: int, db: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "neatlogs_cli", "ui", "--port", str(port), "--db", db],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("neatlogs ui did not start")


def test_collector_killed_and_restarted_mid_ingest_loses_no_acknowledged_span(tmp_path):
    port, db = free_port(), str(tmp_path / "traces.db")
    url = f"http://127.0.0.1:{port}/v1/traces"
    proc = start_ui(port, db)
    acked: set[int] = set()
    total = 120
    kill_at = 40
    try:
        batch = 0
        killed = False
        while batch < total:
            if batch == kill_at and not killed:
                # Kill it hard while a body is on its way in.
                sender = threading.Thread(target=post, args=(url, batch_body(10_000)))
                sender.start()
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                sender.join()
                killed = True
                proc = start_ui(port, db)
            if post(url, batch_body(batch)) == 200:
                acked.add(batch)
                batch += 1
            else:
                time.sleep(0.05)  # as an exporter would: retry the same batch
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    conn = sqlite3.connect(db)
    counts = dict(conn.execute("SELECT name, COUNT(*) FROM spans GROUP BY name").fetchall())
    for b in acked:
        assert counts.get(f"batch-{b}") == BATCH, f"acknowledged batch {b} incomplete"
    assert all(c == BATCH for c in counts.values()), "a half-written batch is visible"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("fuzz") / "traces.db")
    with DashboardServer(db, max_body=1024 * 1024) as server:
        yield server


CONTENT_TYPES = ["application/x-protobuf", "application/json", "text/plain", "application/octet-stream", ""]


@settings(max_examples=int(os.environ.get("NEATLOGS_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.binary(max_size=4096), content_type=st.sampled_from(CONTENT_TYPES), gzipped=st.booleans(),
       truncate=st.booleans())
def test_fuzzed_bodies_get_4xx_and_the_collector_keeps_serving(fuzz_server, body, content_type, gzipped, truncate):
    url = fuzz_server.url + "/v1/traces"
    headers = {"content-type": content_type} if content_type else {}
    if gzipped:
        body = gzip.compress(body)
        body = body[: len(body) // 2] if truncate else body
        headers["content-encoding"] = "gzip"
    status = post(url, body, headers)
    assert status == 200 or 400 <= status < 500, status
    assert post(url, batch_body(1)) == 200  # still serving


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    length, varint = len(payload), b""
    while True:
        byte = length & 0x7F
        length >>= 7
        varint += bytes([byte | (0x80 if length else 0)])
        if not length:
            break
    return bytes([(number << 3) | 2]) + varint + payload


def deeply_nested_body(depth: int) -> bytes:
    """An export request whose one attribute is an array nested ``depth`` levels deep."""
    value = _field(1, b"leaf")  # AnyValue.string_value
    for _ in range(depth):
        value = _field(5, _field(1, value))  # AnyValue.array_value -> ArrayValue.values
    attribute = _field(1, b"deep") + _field(2, value)  # KeyValue
    span = _field(1, os.urandom(16)) + _field(2, os.urandom(8)) + _field(5, b"deep") + _field(9, attribute)
    return _field(1, _field(2, _field(2, span)))  # request > resource_spans > scope_spans > spans


@pytest.mark.parametrize("case", ["huge value", "deep nesting", "invalid utf-8", "10k attributes"])
def test_hostile_but_wellformed_protobuf(fuzz_server, case):
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = os.urandom(16), os.urandom(8), case
    if case == "huge value":
        span.attributes.append(KeyValue(key="big", value=AnyValue(string_value="x" * 900_000)))
    elif case == "deep nesting":
        # Deeper than protobuf itself will build: write the wire bytes by hand.
        status = post(fuzz_server.url + "/v1/traces", deeply_nested_body(300), {"content-type": "application/x-protobuf"})
        assert status in (200, 400)
        assert post(fuzz_server.url + "/v1/traces", batch_body(2)) == 200
        return
    elif case == "invalid utf-8":
        raw = request.SerializeToString() + b"\x1a\x03\xff\xfe\xfd"  # a name field that is not UTF-8
        assert post(fuzz_server.url + "/v1/traces", raw, {"content-type": "application/x-protobuf"}) in (200, 400)
        return
    else:
        span.attributes.extend(KeyValue(key=f"k{i}", value=AnyValue(int_value=i)) for i in range(10_000))
    status = post(fuzz_server.url + "/v1/traces", request.SerializeToString(), {"content-type": "application/x-protobuf"})
    assert status in (200, 400, 413)
    assert post(fuzz_server.url + "/v1/traces", batch_body(2)) == 200
