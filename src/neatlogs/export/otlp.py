"""OTLP/HTTP export: protobuf, gzip, ``x-api-key``, to ``{endpoint}/v1/traces``, never losing a batch.

Spans are encoded by ``otlp_wire`` (the same bytes as OpenTelemetry's encoder, several times
faster); the sending is ours, for what the stock exporter cannot do: keep the exact request
body in the on-disk spool when the endpoint is down, split a batch the endpoint rejects as
too large (413) so one huge span never costs the rest (a live batch and a spooled body
alike: one ``_deliver`` sends both), honour ``Retry-After``, stop waiting on a dead or black-holed
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
    from typing import Callable, Sequence

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

SPILL_GZIP_LEVEL = 1
"""Compression level of bodies spilled at exit or on overflow: about 25% less CPU than level 3, bodies ~1% larger."""

_CIRCUIT_MIN, _CIRCUIT_MAX = 1.0, 60.0
_INFLIGHT_REASON = "still being sent at the exit bound"


def traces_url(endpoint: str) -> str:
    """Return the traces URL for ``endpoint``; one already ending in ``/v1/traces`` is kept."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def _request_body(spans: Sequence[ReadableSpan], level: int = GZIP_LEVEL) -> bytes:
    return gzip.compress(encode_spans(spans), compresslevel=level)


class _Unreachable(Exception):
    """The endpoint did not answer (refused, reset, timed out); ``str()`` is the reason for the report."""


class _Payload:
    """One request body and how to cut it in two when the endpoint answers 413."""

    def __init__(self, body: bytes, count: int) -> None:
        self.body, self.count = body, count

    def halves(self) -> list[_Payload]:
        """The spooled body's spans in two bodies (split at span boundaries, resource and scope kept)."""
        from .otlp_split import halve_request

        return [_Payload(gzip.compress(part, compresslevel=GZIP_LEVEL), count)
                for part, count in halve_request(gzip.decompress(self.body))]


class _Spans(_Payload):
    """A live batch: its halves are encoded again from the spans."""

    def __init__(self, spans: list[ReadableSpan]) -> None:
        super().__init__(_request_body(spans), len(spans))
        self.spans = spans

    def halves(self) -> list[_Payload]:
        half = len(self.spans) // 2
        return [_Spans(self.spans[:half]), _Spans(self.spans[half:])]


class OtlpHttpSpanExporter(NeatlogsSpanExporter):
    """Sends span batches as OTLP/HTTP; what cannot be sent goes to ``spool``.

    ``export`` returns SUCCESS once the spans are either acknowledged by the endpoint or
    safely on disk, FAILURE only when they were dropped (and counted).
    """

    def __init__(self, endpoint: str, api_key: str | None, spool: Spool | None,
                 headers: dict[str, str] | None = None) -> None:
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
        for name, value in (headers or {}).items():  # the program's own (an Authorization header, say)
            if name.lower() not in ("content-type", "content-encoding", "content-length"):
                self._headers[name] = value
        if api_key:
            self._headers["x-api-key"] = api_key
        self.spool = spool
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down_for = 0.0
        self._down_reason = "endpoint unreachable"
        self._deadline: float | None = None  # set at shutdown: never wait past it
        self._inflight: tuple[bytes, int] | None = None
        self._inflight_lock = threading.Lock()
        self._spooled_at_exit: bytes | None = None
        self._inflight_spooled_to: str | None = None  # the spool file spool_inflight() wrote
        self._counts_lock = threading.Lock()
        self.sent = 0
        """Spans the endpoint acknowledged."""
        self.spooled_why: dict[str, int] = {}
        """Spans put in the spool by this exporter, by reason (unreachable, timed out, refused, exit bound)."""
        self.dropped_why: dict[str, int] = {}
        """Spans given up for good, by reason."""
        self.unsent_reason = ""
        """Why ``send_spool`` last stopped early (the endpoint's answer, or its silence)."""
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
        return cls(endpoint, settings.api_key, spool, settings.headers)

    # --- NeatlogsSpanExporter interface ------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            payload = _Spans(list(spans))
        except Exception:
            _log.debug("encoding %d spans failed", len(spans), exc_info=True)
            kept = self._encodable(spans)
            if not kept:
                return SpanExportResult.FAILURE
            payload = _Spans(kept)
        ok = self._deliver(payload, self._to_spool)
        if ok:
            self._drain_spool_after_success()
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def spill(self, spans: Sequence[ReadableSpan]) -> None:
        """Put spans straight into the spool, without trying the network (at exit, or when the queue is full)."""
        reason = "queue full (endpoint too slow)" if self._deadline is None else "not sent within the exit bound"
        try:
            try:
                body = _request_body(spans, SPILL_GZIP_LEVEL)
            except Exception:
                spans = self._encodable(spans)
                if not spans:
                    return
                body = _request_body(spans, SPILL_GZIP_LEVEL)
        except Exception:
            _log.debug("encoding %d spans failed", len(spans), exc_info=True)
            self._drop(len(spans), "could not be encoded")
            return
        self._to_spool(body, len(spans), reason)

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

    def spool_inflight(self) -> bool:
        """At the exit bound, keep the body of a request still in flight: it would die with the process."""
        with self._inflight_lock:
            if self._inflight is None:
                return False
            body, count = self._inflight
            self._spooled_at_exit = body
        self._inflight_spooled_to = self._spool_body(body, count, _INFLIGHT_REASON)
        return True

    def set_deadline(self, deadline: float | None) -> None:
        """Bound every later request by ``deadline`` (a ``time.monotonic()`` value)."""
        self._deadline = deadline

    def shutdown(self) -> None:
        # Never wait for a request still on the wire (it holds the lock): at exit it is already
        # spooled, and its connection dies with the process.
        if self._lock.acquire(timeout=0.05):
            try:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            finally:
                self._lock.release()

    @property
    def spooled(self) -> int:
        return sum(self.spooled_why.values())

    @property
    def dropped(self) -> int:
        return sum(self.dropped_why.values())

    @property
    def evicted(self) -> int:
        return self.spool.evicted if self.spool is not None else 0

    @property
    def refusal(self) -> str | None:
        return self._refusal
    def unsent_report(self) -> list[str]:
        """Accurate and consistent lines: what this run left in the spool (and why), dropped (and why), evicted."""
        lines = []
        spool = self.spool
        kept = spool.own_pending_spans() if spool is not None else 0
        if kept:
            why = "; ".join(f"{reason}: {n}" for reason, n in sorted(self.spooled_why.items(), key=lambda kv: -kv[1]))
            later = self.spooled - kept - (spool.evicted_own if spool is not None else 0)
            lines.append(f"{kept} spans kept in the spool ({why}"
                         + (f"; {later} of them sent later in this run" if later > 0 else "")
                         + "); the next run or `neatlogs push` sends them")
        if self.dropped:
            why = "; ".join(f"{reason}: {n}" for reason, n in sorted(self.dropped_why.items(), key=lambda kv: -kv[1]))
            lines.append(f"{self.dropped} spans were dropped ({why}); see {spool.folder if spool else 'the spool'}"
                         "/dropped.log")
        if spool is not None and spool.evicted:
            own = f", {spool.evicted_own} of them spooled by this run" if spool.evicted_own else ""
            lines.append(f"the spool is full ({spool.max_bytes // 2**20} MiB): {spool.evicted} of its oldest spans "
                         f"were dropped to make room{own}")
        return lines

    # --- delivery ------------------------------------------------------------------------------
    def _deliver(self, payload: _Payload, keep: Callable[[bytes, int, str], bool]) -> bool:
        """Send one body with bounded retries, its halves on 413; ``keep`` it when the endpoint cannot take it now.

        True when delivered or kept; False when (some of) its spans were dropped, counted.
        A half that cannot be sent goes to the spool: the body it came from is then done.
        """
        body, count = payload.body, payload.count
        if time.monotonic() < self._down_until:
            return keep(body, count, self._down_reason)  # the circuit is open: why it opened
        reason = "endpoint unreachable"
        for attempt in range(MAX_ATTEMPTS):
            with self._inflight_lock:
                self._inflight = (body, count)
            try:
                status, retry_after = self._post(body)
            except _Unreachable as error:
                _log.debug("endpoint %s unreachable: %s", self.url, error)
                self._refusal = None
                self._open_circuit()
                status, retry_after, reason = 0, None, str(error)
                self._down_reason = reason
            with self._inflight_lock:
                self._inflight = None
                if self._spooled_at_exit is body:
                    if 200 <= status < 300:
                        self._unspool_delivered(count)  # answered after all: no second copy
                    return True  # spool_inflight() already kept it
            if status == 0:
                return keep(body, count, reason)
            if 200 <= status < 300:
                self._down_for = 0.0
                self._refusal = None
                self._count("sent", count)
                return True
            if status == 413 and count > 1:
                try:
                    parts = payload.halves()
                except Exception:  # a spooled file that is not an OTLP request
                    _log.debug("cutting a %d-span body in two failed", count, exc_info=True)
                    parts = []
                if len(parts) > 1:
                    return all([self._deliver(part, self._to_spool) for part in parts])
            if status == 413:
                self._drop(count, "rejected as too large (HTTP 413) even alone")
                return False
            if status in RETRY_STATUSES:
                wait = min(retry_after if retry_after is not None else 0.25 * 2**attempt, MAX_RETRY_WAIT_SECONDS)
                if attempt + 1 < MAX_ATTEMPTS and self._can_wait(wait):
                    time.sleep(wait)
                    continue
                return keep(body, count, f"endpoint refused (HTTP {status})")
            if status in (401, 403):
                # The key may be fixed later (then `neatlogs push`): keep the data.
                _log.warning(f"endpoint {self.url} refused the API key (HTTP {status}); spans kept in the spool")
                return keep(body, count, f"API key refused (HTTP {status})")
            self._drop(count, f"rejected by the endpoint (HTTP {status})")
            return False
        return keep(body, count, reason)  # pragma: no cover - every attempt returns or continues

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
                    if isinstance(error, TimeoutError):
                        raise _Unreachable("endpoint timed out") from None
                    if isinstance(error, ConnectionRefusedError):
                        raise _Unreachable("endpoint unreachable (connection refused)") from None
                    raise _Unreachable(f"endpoint unreachable ({type(error).__name__})") from None
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

    def _count(self, what: str, count: int, reason: str = "") -> None:
        with self._counts_lock:
            if what == "sent":
                self.sent += count
            else:
                table = self.spooled_why if what == "spooled" else self.dropped_why
                table[reason] = table.get(reason, 0) + count

    def _to_spool(self, body: bytes, count: int, reason: str) -> bool:
        return self._spool_body(body, count, reason) is not None

    def _spool_body(self, body: bytes, count: int, reason: str) -> str | None:
        """Put one body in the spool, counted under ``reason``; its path, or None when it was dropped (counted)."""
        if self.spool is None:
            self._drop(count, f"{reason}, and no spool")
            return None
        try:
            path = self.spool.put(body, count)
        except OSError as error:
            _log.debug("spooling failed: %s", error)
            self._drop(count, f"{reason}, and the spool could not be written")
            return None
        if path is None:  # larger than the whole spool (put counted it in dropped.log)
            self._count("dropped", count, f"{reason}, and one body is larger than the spool's bound")
            return None
        self._count("spooled", count, reason)
        return path

    def _unspool_delivered(self, count: int) -> None:
        """The request spool_inflight() kept was answered 2xx before the process ended: take the copy back."""
        path, self._inflight_spooled_to = self._inflight_spooled_to, None
        if path is None or self.spool is None or not self.spool.remove(path):
            return  # another sender took it meanwhile: it sends it again (at least once, then)
        with self._counts_lock:
            self.spooled_why[_INFLIGHT_REASON] -= count
            self.sent += count

    def _drop(self, count: int, reason: str) -> None:
        self._count("dropped", count, reason)
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

    def send_spool(self, max_seconds: float | None = None, stop: threading.Event | None = None) -> tuple[int, int]:
        """Send what the spool holds, oldest first, until it is empty or the endpoint stops taking it.

        Returns (spans sent, spans still in the spool when this call stopped early: the
        endpoint stopped taking them, or ``max_seconds`` or ``stop`` ended it; else 0). A body
        too large for the endpoint goes in halves, as a live batch would; a body the
        endpoint refuses for good is dropped (counted in dropped.log), never resent. Files
        other senders hold are theirs; files of senders that died are taken over.
        """
        if self.spool is None:
            return 0, 0
        from .spool import span_count_of

        started = time.monotonic()
        sent_before = self.sent
        progress = True
        while progress:  # again: a half spooled, or a dead sender's file put back, meanwhile
            progress = False
            for path in self.spool.pending():
                if (max_seconds is not None and time.monotonic() - started > max_seconds) or (
                        stop is not None and stop.is_set()):
                    self.unsent_reason = "time limit reached" if stop is None or not stop.is_set() else "stopped"
                    return self.sent - sent_before, self.spool.pending_spans()
                claimed = self.spool.claim(path)
                if claimed is None:
                    continue  # another sender has it
                count = span_count_of(claimed)
                try:
                    with open(claimed, "rb") as f:
                        body = f.read()
                except OSError:
                    self.spool.release(claimed, sent=False)
                    continue
                unsent: list[int] = []

                def keep(_body: bytes, n: int, reason: str, unsent: list[int] = unsent) -> bool:
                    unsent.append(n)  # the file stays: it is put back below
                    self.unsent_reason = reason
                    return True

                self._deliver(_Payload(body, count), keep)
                self.spool.release(claimed, sent=not unsent)
                if unsent:
                    return self.sent - sent_before, self.spool.pending_spans()
                progress = True
        return self.sent - sent_before, 0


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
