"""The OTLP/HTTP collector route: POST /v1/traces, protobuf or JSON, gzip or plain.

Any OpenTelemetry SDK can export here. A 200 answer means the spans are committed to the
store; every refusal carries a JSON body ``{"error": "..."}`` naming what was wrong, and the
server keeps running.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .auth import API_KEY_HEADER, KeyCheck
from .otlp_decode import OtlpError, check_headers, decode_request, encode_success
from .store_access import StoreAccess

__all__ = ["collect_traces"]

_DRAIN_FACTOR = 8  # read (and drop) an oversized body up to this many limits, so the client sees the 413


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        await _drain(request, int(declared), max_bytes)
        raise OtlpError(413, f"the body has {declared} bytes; the limit is {max_bytes} (--max-body)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            await _drain(request, size, max_bytes)
            raise OtlpError(413, f"the body is over the limit of {max_bytes} bytes (--max-body)")
        chunks.append(chunk)
    return b"".join(chunks)


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
    if not key_check.key_matches(request.headers.get(API_KEY_HEADER)):
        return _refuse(401, f"missing or wrong {API_KEY_HEADER} header")
    content_type = request.headers.get("content-type")
    content_encoding = request.headers.get("content-encoding")
    try:
        check_headers(content_type, content_encoding)
        body = await _read_body(request, max_bytes)
        # Decoding and writing block: off the event loop, so pages stay responsive.
        await run_in_threadpool(_decode_and_store, access, body, content_type, content_encoding, max_bytes)
    except OtlpError as error:
        return _refuse(error.status, str(error))
    payload, media_type = encode_success(content_type)
    return Response(payload, media_type=media_type)


def _decode_and_store(
    access: StoreAccess, body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> int:
    records = decode_request(body, content_type, content_encoding, max_bytes)
    return access.write(records) if records else 0
