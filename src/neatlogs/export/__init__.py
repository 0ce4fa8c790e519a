"""Span exporters: OTLP/HTTP to an endpoint, or the local SQLite store."""

__all__: list[str] = []
