"""The OTLP/HTTP collector route: POST /v1/traces, protobuf or JSON, gzip or plain.

Any OpenTelemetry SDK can export here. A 200 answer means the spans are committed to the
store; every refusal carries a JSON body ``{"error": "..."}`` naming what was wrong, and the
server keeps running. Memory is bounded whatever the clients send at once: the request
bodies held and the bodies being decoded each fit a byte budget (:class:`ByteBudget`); a
request that cannot get its share soon is answered 503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import sqlite3

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .auth import API_KEY_HEADER, KeyCheck
from .otlp_decode import OtlpError, check_headers, decode_request, encode_success, stated_size
from .store_access import ReadOnlyStore, StoreAccess

__all__ = ["BUDGET_WAIT_SECONDS", "ByteBudget", "collect_traces", "store_error"]

_DRAIN_FACTOR = 8  # read (and drop) an oversized body up to this many limits, so the client sees the 413

BUDGET_WAIT_SECONDS = 1.0
"""How long a request waits for its share of a budget before the 503 (clients time out at 3 s)."""

RETRY_AFTER_SECONDS = 1
"""What a 503 for a full budget asks the client to wait."""


class ByteBudget:
    """Bytes several requests hold at once, at most ``capacity`` in total; waiters served in order."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._queue = asyncio.Lock()  # FIFO: the first request waiting is the first served
        self._freed = asyncio.Event()

    async def acquire(self, amount: int, timeout: float = BUDGET_WAIT_SECONDS) -> bool:
        """Take ``amount`` bytes (clamped to the capacity); False when not free within ``timeout``."""
        amount = min(amount, self.capacity)
        if not self._queue.locked() and self.used + amount <= self.capacity:
            self.used += amount  # the common case: room now, nobody waiting
            return True
        try:
            await asyncio.wait_for(self._take(amount), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def _take(self, amount: int) -> None:
        async with self._queue:
            while self.used + amount > self.capacity:
                self._freed.clear()
                await self._freed.wait()
            self.used += amount

    def release(self, amount: int) -> None:
        """Give back what :meth:`acquire` took."""
        self.used -= min(amount, self.capacity)
        self._freed.set()


def _refuse(status: int, message: str, retry_after: int | None = None) -> JSONResponse:
    headers = {"retry-after": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _busy(request: Request) -> JSONResponse:
    request.app.state.busy_answers += 1
    return _refuse(503, "the collector is busy with other exports: retry shortly", RETRY_AFTER_SECONDS)


def store_error(path: str, error: sqlite3.Error) -> OtlpError:
    """The answer to a store write that failed: a status and a message naming the cause."""
    # A failed ROLLBACK (SQLite already rolled back after a full disk) hides the cause behind it.
    cause: BaseException | None = error
    while cause is not None and "no transaction is active" in str(cause):
        cause = cause.__context__
    if isinstance(cause, sqlite3.Error):
        error = cause
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL") or "full" in str(error):
        return OtlpError(507, f"the store {path} cannot take spans: the disk is full ({error}); free some space")
    if name.startswith("SQLITE_READONLY") or "readonly" in str(error):
        return OtlpError(503, f"the store {path} cannot be written: it is read-only ({error})")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error):
        return OtlpError(503, f"the store {path} is locked by another process ({error}): retry shortly")
    return OtlpError(500, f"the store {path} could not be written: {error}")


async def _read_body(request: Request, max_bytes: int, budget: ByteBudget) -> tuple[bytes, int]:
    """The body and the bytes of ``budget`` taken for it (the caller gives them back)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        await _drain(request, int(declared), max_bytes)
        raise OtlpError(413, f"the body has {declared} bytes; the limit is {max_bytes} (--max-body)")
    # Unknown length (chunked): hold room for the largest body, give back the rest once read.
    held = int(declared) if declared is not None and declared.isdigit() else max_bytes
    if not await budget.acquire(held):
        await _drain(request, 0, max_bytes)
        raise OtlpError(503, "busy")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                await _drain(request, size, max_bytes)
                raise OtlpError(413, f"the body is over the limit of {max_bytes} bytes (--max-body)")
            chunks.append(chunk)
    except BaseException:
        budget.release(held)
        raise
    if size < held:
        budget.release(held - size)
    return b"".join(chunks), size


async def _drain(request: Request, size: int, max_bytes: int) -> None:
    # Reading the rest lets the client finish sending and read our answer instead of
    # seeing a reset connection; past a few limits we stop and let the connection close.
    if size > _DRAIN_FACTOR * max_bytes:
        return
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > _DRAIN_FACTOR * max_bytes:
            return


async def collect_traces(request: Request) -> Response:
    """Take one OTLP trace export and commit its spans before answering 200."""
    access: StoreAccess = request.app.state.store
    key_check: KeyCheck = request.app.state.key_check
    max_bytes: int = request.app.state.max_body
    bodies: ByteBudget = request.app.state.body_budget
    decoding: ByteBudget = request.app.state.decode_budget
    client = request.client.host if request.client else ""
    header = request.headers.get(API_KEY_HEADER)
    if key_check.api_key is not None and not key_check.throttle.allowed(client):
        return _refuse(429, "too many wrong keys: wait before trying again", key_check.throttle.wait(client))
    if not key_check.key_matches(header):
        if header:
            key_check.throttle.failed(client)
        return _refuse(401, f"missing or wrong {API_KEY_HEADER} header")
    if access.readonly:
        return _refuse(503, f"the store {access.db_path} is read-only: this dashboard serves it read-only "
                            "and takes no spans (make it writable and restart neatlogs ui)")
    content_type = request.headers.get("content-type")
    content_encoding = request.headers.get("content-encoding")
    held = 0
    try:
        check_headers(content_type, content_encoding)
        body, held = await _read_body(request, max_bytes, bodies)
        # The bytes it will take decoded (a gzip body states them in its trailer); decoding
        # is held to that, so a body cannot claim little and inflate to more.
        size = stated_size(body, content_encoding, max_bytes)
        if not await decoding.acquire(size):
            return _busy(request)
        try:
            # Decoding and writing block: off the event loop, so pages stay responsive.
            await run_in_threadpool(_decode_and_store, access, body, content_type, content_encoding, size)
        finally:
            decoding.release(size)
    except OtlpError as error:
        if error.status == 503 and str(error) == "busy":
            return _busy(request)
        retry = RETRY_AFTER_SECONDS if error.status == 503 and "locked" in str(error) else None
        return _refuse(error.status, str(error), retry)
    finally:
        bodies.release(held)
    payload, media_type = encode_success(content_type)
    return Response(payload, media_type=media_type)


def _decode_and_store(
    access: StoreAccess, body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> int:
    records = decode_request(body, content_type, content_encoding, max_bytes)
    if not records:
        return 0
    try:
        return access.write(records)
    except ReadOnlyStore as error:
        raise OtlpError(503, str(error)) from None
    except sqlite3.Error as error:
        raise store_error(access.db_path, error) from None
