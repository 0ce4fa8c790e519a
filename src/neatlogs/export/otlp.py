"""OTLP/HTTP export: protobuf, gzip, ``x-api-key``, to ``{endpoint}/v1/traces``, never losing a batch.

Spans are encoded by ``otlp_wire`` (the same bytes as OpenTelemetry's encoder, several times
faster); the sending is ours, for what the stock exporter cannot do: keep the exact request
body in the on-disk spool when the endpoint is down, split a batch the endpoint rejects as
too large (413) so one huge span never costs the rest, honour ``Retry-After``, stop waiting on a dead or black-holed
endpoint (a circuit opens and later batches go straight to the spool), and send through
``http.client`` instead of importing ``requests`` (about 100 ms).
"""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
import urllib.parse

from opentelemetry.sdk.trace.export import SpanExportResult

from .. import _log
from .base import NeatlogsSpanExporter
from .otlp_wire import encode_spans
from .spool import Spool

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

    from opentelemetry.sdk.trace import ReadableSpan

    from ..config import Settings

__all__ = ["OtlpHttpSpanExporter", "traces_url"]

CONNECT_TIMEOUT_SECONDS = 3.0
"""Connect and read timeout per request."""

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507})
"""Statuses worth trying again later; the body is spooled if retries run out."""

MAX_ATTEMPTS = 3
"""Attempts per batch before it goes to the spool."""

MAX_RETRY_WAIT_SECONDS = 5.0
"""Longest wait between attempts, whatever ``Retry-After`` says."""

GZIP_LEVEL = 3
"""Compression level of request bodies: level 5 is 2.5x the CPU for about 8% smaller bodies."""

_CIRCUIT_MIN, _CIRCUIT_MAX = 1.0, 60.0


def traces_url(endpoint: str) -> str:
    """Return the traces URL for ``endpoint``; one already ending in ``/v1/traces`` is kept."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def _request_body(spans: Sequence[ReadableSpan]) -> bytes:
    return gzip.compress(encode_spans(spans), compresslevel=GZIP_LEVEL)


class _Unreachable(Exception):
    """The endpoint did not answer (refused, reset, timed out)."""


class OtlpHttpSpanExporter(NeatlogsSpanExporter):
    """Sends span batches as OTLP/HTTP; what cannot be sent goes to ``spool``.

    ``export`` returns SUCCESS once the spans are either acknowledged by the endpoint or
    safely on disk, FAILURE only when they were dropped (and counted).
    """

    def __init__(self, endpoint: str, api_key: str | None, spool: Spool | None) -> None:
        self.url = traces_url(endpoint)
        parts = urllib.parse.urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path or "/v1/traces"
        self._headers = {
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "gzip",
            "User-Agent": "neatlogs",
        }
        if api_key:
            self._headers["x-api-key"] = api_key
        self.spool = spool
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down_for = 0.0
        self._deadline: float | None = None  # set at shutdown: never wait past it
        self._inflight: tuple[bytes, int] | None = None
        self._inflight_lock = threading.Lock()
        self._spooled_at_exit: bytes | None = None
        self._dropped = 0
        self._spooled = 0
        self._refusal: str | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> OtlpHttpSpanExporter:
        """The exporter for ``settings.endpoint``, spooling under ``settings.home``."""
        from .._files import private_folder
        from .spool import Spool, spool_folder

        endpoint = settings.endpoint
        if not endpoint:
            raise ValueError("OTLP export needs an endpoint; none is configured")
        try:  # the home is private (0700) even when the spool makes it first
            private_folder(settings.home)
        except OSError:
            _log.debug("cannot create %s; the spool will say why", settings.home)
        spool = Spool(spool_folder(settings.home, endpoint), endpoint)
        return cls(endpoint, settings.api_key, spool)

    # --- NeatlogsSpanExporter interface ------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            body = _request_body(spans)
        except Exception:
            _log.debug("encoding %d spans failed", len(spans), exc_info=True)
            spans = self._encodable(spans)
            if not spans:
                return SpanExportResult.FAILURE
            body = _request_body(spans)
        ok = self._deliver(body, list(spans))
        if ok:
            self._drain_spool_after_success()
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def spill(self, spans: Sequence[ReadableSpan]) -> None:
        """Put spans straight into the spool, without trying the network (used at exit)."""
        try:
            try:
                body = _request_body(spans)
            except Exception:
                spans = self._encodable(spans)
                body = _request_body(spans)
            self._to_spool(body, len(spans))
        except Exception:
            _log.debug("spilling %d spans failed", len(spans), exc_info=True)

    def _encodable(self, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
        """The spans of a batch that failed to encode that do encode alone; the others are dropped (counted)."""
        kept = []
        for span in spans:
            try:
                encode_spans([span])
            except Exception as error:
                _log.debug("a span could not be encoded", exc_info=True)
                self._drop(1, f"could not be encoded ({type(error).__name__})")
                continue
            kept.append(span)
        return kept

    def spool_inflight(self) -> None:
        """At the exit bound, keep the body of a request still in flight: it would die with the process."""
        with self._inflight_lock:
            if self._inflight is None:
                return
            body, count = self._inflight
            self._spooled_at_exit = body
        self._to_spool(body, count)

    def set_deadline(self, deadline: float | None) -> None:
        """Bound every later request by ``deadline`` (a ``time.monotonic()`` value)."""
        self._deadline = deadline

    def shutdown(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def spooled(self) -> int:
        return self._spooled

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def evicted(self) -> int:
        return self.spool.evicted if self.spool is not None else 0

    @property
    def refusal(self) -> str | None:
        return self._refusal

    # --- delivery ------------------------------------------------------------------------------
    def _deliver(self, body: bytes, spans: list[ReadableSpan]) -> bool:
        """Send one body with bounded retries; spool it when the endpoint is unavailable."""
        count = len(spans)
        if time.monotonic() < self._down_until:
            return self._to_spool(body, count)
        for attempt in range(MAX_ATTEMPTS):
            with self._inflight_lock:
                self._inflight = (body, count)
            try:
                status, retry_after = self._post(body)
            except _Unreachable as error:
                _log.debug("endpoint %s unreachable: %s", self.url, error)
                self._refusal = None
                self._open_circuit()
                status, retry_after = 0, None
            with self._inflight_lock:
                self._inflight = None
                if self._spooled_at_exit is body:
                    return True  # spool_inflight() already kept it
            if status == 0:
                return self._to_spool(body, count)
            if 200 <= status < 300:
                self._down_for = 0.0
                self._refusal = None
                return True
            if status == 413 and count > 1:
                half = count // 2
                return self._split(spans[:half]) & self._split(spans[half:])
            if status == 413:
                self._drop(1, "rejected as too large (413) even alone")
                return False
            if status in RETRY_STATUSES:
                wait = min(retry_after if retry_after is not None else 0.25 * 2**attempt, MAX_RETRY_WAIT_SECONDS)
                if attempt + 1 < MAX_ATTEMPTS and self._can_wait(wait):
                    time.sleep(wait)
                    continue
                return self._to_spool(body, count)
            if status in (401, 403):
                # The key may be fixed later (then `neatlogs push`): keep the data.
                _log.warning(f"endpoint {self.url} refused the API key (HTTP {status}); spans kept in the spool")
                return self._to_spool(body, count)
            self._drop(count, f"rejected by the endpoint (HTTP {status})")
            return False
        return self._to_spool(body, count)

    def _split(self, spans: list[ReadableSpan]) -> bool:
        body = _request_body(spans)
        return self._deliver(body, spans)

    def _can_wait(self, seconds: float) -> bool:
        return self._deadline is None or time.monotonic() + seconds < self._deadline

    def _timeout(self) -> float:
        if self._deadline is None:
            return CONNECT_TIMEOUT_SECONDS
        return max(0.05, min(CONNECT_TIMEOUT_SECONDS, self._deadline - time.monotonic()))

    def _post(self, body: bytes) -> tuple[int, float | None]:
        with self._lock:
            for reused in (True, False):
                if self._conn is None:
                    cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
                    self._conn = cls(self._host, self._port, timeout=self._timeout())
                    reused = False
                conn = self._conn
                try:
                    conn.timeout = self._timeout()
                    if conn.sock is not None:
                        conn.sock.settimeout(conn.timeout)
                    conn.request("POST", self._path, body=body, headers=self._headers)
                    response = conn.getresponse()
                    answer = response.read()
                    if response.status >= 400:
                        self._note_refusal(response.status, answer)
                    retry_after = _retry_after_seconds(response.getheader("retry-after"))
                    if response.getheader("connection", "").lower() == "close":
                        conn.close()
                        self._conn = None
                    return response.status, retry_after
                except (OSError, http.client.HTTPException) as error:
                    conn.close()
                    self._conn = None
                    # A kept-alive connection the server closed meanwhile: retry once on a new one.
                    if reused and not isinstance(error, TimeoutError):
                        continue
                    raise _Unreachable(f"{type(error).__name__}: {error}") from None
        raise _Unreachable("no connection")  # pragma: no cover

    def _note_refusal(self, status: int, answer: bytes) -> None:
        """Keep the endpoint's reason (an OTLP collector's ``{"error": ...}``, ours included)."""
        try:
            reason = json.loads(answer[:4096]).get("error") if answer[:1] == b"{" else None
        except (ValueError, AttributeError):
            reason = None
        refusal = f"endpoint {self.url} answered HTTP {status}" + (f": {reason}" if isinstance(reason, str) else "")
        if refusal != self._refusal and status not in (401, 403):
            _log.debug(refusal)
        self._refusal = refusal

    def _open_circuit(self) -> None:
        self._down_for = min(max(self._down_for * 2, _CIRCUIT_MIN), _CIRCUIT_MAX)
        self._down_until = time.monotonic() + self._down_for

    def _to_spool(self, body: bytes, count: int) -> bool:
        if self.spool is None:
            self._drop(count, "endpoint unavailable and no spool")
            return False
        try:
            self.spool.put(body, count)
            self._spooled += count
            return True
        except OSError as error:
            _log.debug("spooling failed: %s", error)
            self._drop(count, "endpoint unavailable and the spool could not be written")
            return False

    def _drop(self, count: int, reason: str) -> None:
        self._dropped += count
        _log.debug("dropped %d spans: %s", count, reason)
        if self.spool is not None:
            try:
                self.spool.count_dropped(count, reason)
            except OSError:
                pass

    # --- the spool ------------------------------------------------------------------------------
    def _drain_spool_after_success(self) -> None:
        if self.spool is None or self._deadline is not None:
            return
        try:
            if self.spool.pending():
                self.send_spool(max_seconds=2.0)
        except Exception:
            _log.debug("draining the spool failed", exc_info=True)

    def send_spool(self, max_seconds: float | None = None) -> tuple[int, int]:
        """Send what the spool holds, oldest first; return (spans sent, spans still pending)."""
        if self.spool is None:
            return 0, 0
        from .spool import span_count_of

        started = time.monotonic()
        sent = 0
        for path in self.spool.pending():
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
            claimed = self.spool.claim(path)
            if claimed is None:
                continue
            try:
                with open(claimed, "rb") as f:
                    body = f.read()
                status, _ = self._post(body)
            except (_Unreachable, OSError):
                self.spool.release(claimed, sent=False)
                self._open_circuit()
                break
            ok = 200 <= status < 300
            if not ok and status not in RETRY_STATUSES and status not in (401, 403):
                self.spool.count_dropped(span_count_of(claimed), f"rejected by the endpoint (HTTP {status})")
                ok = True  # never resend a body the endpoint refuses for good
            elif ok:
                sent += span_count_of(claimed)
            self.spool.release(claimed, sent=ok)
            if not ok:
                break
        return sent, self.spool.pending_spans()


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
