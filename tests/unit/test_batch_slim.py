"""The batch processor keeps a queued span in plain containers, its values unchanged."""

import gc

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from neatlogs.export.batch import slim_span


def _finished(limits: SpanLimits | None = None, attributes: int = 3, events: int = 0):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = provider.get_tracer("t").start_span("call")
    for i in range(attributes):
        span.set_attribute(f"key.{i}", f"value {i}")
    for i in range(events):
        span.add_event(f"event {i}", {"n": i})
    span.end()
    return exporter.get_finished_spans()[0]


def _tracked_objects_of(span) -> int:
    return sum(1 for o in (span._attributes, span._events, span._links) if gc.is_tracked(o)) + sum(
        1 for o in (span._attributes, span._events, span._links) for inner in gc.get_referents(o)
        if gc.is_tracked(inner))


def test_a_span_with_nothing_dropped_keeps_its_values_in_plain_containers():
    span = _finished(events=2)
    before = (dict(span.attributes), [(e.name, dict(e.attributes)) for e in span.events], span.links)
    tracked_before = _tracked_objects_of(span)

    slim_span(span)

    assert type(span._attributes) is dict and type(span._events) is tuple and span._links == ()
    assert (dict(span.attributes), [(e.name, dict(e.attributes)) for e in span.events], span.links) == before
    assert span.dropped_attributes == 0 and span.dropped_events == 0
    assert _tracked_objects_of(span) < tracked_before


def test_a_span_that_dropped_attributes_keeps_its_count():
    span = _finished(SpanLimits(max_span_attributes=2), attributes=5)
    assert span.dropped_attributes == 3

    slim_span(span)

    assert isinstance(span._attributes, BoundedAttributes)
    assert span.dropped_attributes == 3
