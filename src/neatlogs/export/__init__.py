"""Span export: the exporter interface, its router, the OTLP/HTTP and SQLite exporters, spool and batching.

``base`` declares ``NeatlogsSpanExporter``; ``routing`` picks the exporter the settings call
for; ``otlp`` (with ``otlp_wire`` and ``spool``) sends to an endpoint; ``sqlite`` writes the
local store; ``batch`` queues finished spans for whichever is in use. Nothing here is
imported by ``import neatlogs`` or ``init()`` (only ``spool``, to look for leftovers).
"""

__all__: list[str] = []
