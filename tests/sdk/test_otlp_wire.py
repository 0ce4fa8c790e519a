"""Our OTLP encoder writes the same message as OpenTelemetry's, for every kind of span content."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as stock_encode
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from neatlogs.export.otlp_wire import encode_spans


def make_spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "wire", "deployment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("neatlogs.test", "1.2.3")
    other = provider.get_tracer("other.scope")
    remote = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=TraceFlags(1))
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER, attributes={
        "str": "héllo \u2603", "empty": "", "bool": True, "false": False, "int": 42, "negative": -7,
        "big": 2**62, "float": 3.25, "strs": ["a", "b"], "ints": [1, -2], "floats": [0.5], "bools": [True, False],
    }) as root:
        root.add_event("something", {"detail": "x", "n": 1})
        root.add_event("bare")
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT, links=[Link(remote, {"why": "retry"})]) as c:
            c.set_status(Status(StatusCode.ERROR, "it broke"))
        with other.start_as_current_span("ok-span") as o:
            o.set_status(Status(StatusCode.OK))
    with tracer.start_as_current_span("remote-child", context=trace.set_span_in_context(NonRecordingSpan(remote))):
        pass
    return exporter.get_finished_spans()


def test_same_message_as_the_stock_encoder():
    spans = make_spans()
    ours = ExportTraceServiceRequest.FromString(encode_spans(spans))
    assert ours == stock_encode(spans)


def test_spans_of_the_sdk_round_trip_through_the_receiver_decoder():
    spans = make_spans()
    decoded = ExportTraceServiceRequest.FromString(encode_spans(spans))
    names = [s.name for rs in decoded.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert sorted(names) == ["child", "ok-span", "remote-child", "root"]
