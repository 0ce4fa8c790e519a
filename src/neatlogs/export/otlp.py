"""OTLP/HTTP export: protobuf, gzip, ``x-api-key``, to ``{endpoint}/v1/traces``."""

from __future__ import annotations

__all__ = ["create_otlp_exporter", "traces_url"]

EXPORT_TIMEOUT_SECONDS = 5.0
"""Per-request timeout; keeps a dead endpoint from holding the program's exit for long."""


def traces_url(endpoint: str) -> str:
    """Return the traces URL for ``endpoint``; one already ending in ``/v1/traces`` is kept."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def create_otlp_exporter(endpoint: str, api_key: str | None):
    """Build the OpenTelemetry OTLP/HTTP span exporter for ``endpoint`` (imported lazily)."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    headers = {"x-api-key": api_key} if api_key else {}
    return OTLPSpanExporter(
        endpoint=traces_url(endpoint),
        headers=headers,
        compression=Compression.Gzip,
        timeout=EXPORT_TIMEOUT_SECONDS,
    )
