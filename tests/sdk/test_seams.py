"""The declared seams: exporters and processors are the SDK's kinds; the router forwards; exit spills."""

from __future__ import annotations

import socket

import pytest
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import neatlogs
from neatlogs import config, store, tracing
from neatlogs.export.base import NeatlogsSpanExporter
from neatlogs.export.batch import SpoolingBatchSpanProcessor
from neatlogs.export.otlp import OtlpHttpSpanExporter
from neatlogs.export.routing import RoutingSpanExporter
from neatlogs.export.spool import Spool, spool_folder
from neatlogs.export.sqlite import SqliteSpanExporter
from neatlogs.processors import (
    GenAIContentSpanProcessor,
    PromptTemplateSpanProcessor,
    SessionSpanProcessor,
    StartOnlySpanProcessor,
)


def dead_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def finished_spans(count: int):
    """Real ``ReadableSpan``s from a private SDK provider, never the global one."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("seams")
    for i in range(count):
        with tracer.start_as_current_span(f"span-{i}"):
            pass
    return list(memory.get_finished_spans())


def settings_for(**arguments):
    return config.load(arguments)


# --- every exporter and processor is an SDK one -------------------------------------------------
def test_wired_processors_and_exporters_are_the_sdks_kinds(otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint)
    assert tracing.get_tracer() is not None
    runtime = tracing.runtime
    assert [type(p) for p in runtime.processors] == [
        SessionSpanProcessor, PromptTemplateSpanProcessor, GenAIContentSpanProcessor, SpoolingBatchSpanProcessor]
    assert all(isinstance(p, SpanProcessor) for p in runtime.processors)
    assert runtime.batch is runtime.processors[-1]
    assert runtime.batch.exporter is runtime.router
    assert isinstance(runtime.router, SpanExporter)
    assert isinstance(runtime.router.target, OtlpHttpSpanExporter)


def test_every_exporter_and_processor_class_subclasses_the_sdk(tmp_path):
    home = str(tmp_path)
    exporters = [
        SqliteSpanExporter(str(tmp_path / "traces.db")),
        OtlpHttpSpanExporter("http://127.0.0.1:9", None, Spool(spool_folder(home, "e"), "e")),
        RoutingSpanExporter(settings_for()),
    ]
    for exporter in exporters:
        assert isinstance(exporter, SpanExporter)
        assert isinstance(exporter, NeatlogsSpanExporter)
        assert (exporter.spooled, exporter.dropped, exporter.evicted) == (0, 0, 0)
        exporter.shutdown()
    processors = [StartOnlySpanProcessor(), SessionSpanProcessor(), PromptTemplateSpanProcessor(),
                  GenAIContentSpanProcessor("neatlogs"),
                  SpoolingBatchSpanProcessor(exporters[0])]
    assert all(isinstance(p, SpanProcessor) for p in processors)


def test_an_exporter_must_say_how_it_exports_and_spills():
    class Incomplete(NeatlogsSpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    with pytest.raises(TypeError, match="spill"):
        Incomplete()  # type: ignore[abstract]


# --- the router --------------------------------------------------------------------------------
def test_router_forwards_spill_and_counters_to_the_current_target(tmp_path):
    endpoint = dead_endpoint()
    router = RoutingSpanExporter(settings_for(endpoint=endpoint))
    target = router.target
    assert isinstance(target, OtlpHttpSpanExporter)

    router.spill(finished_spans(3))
    spool = Spool(spool_folder(str(tmp_path / "neatlogs-home"), endpoint), endpoint)
    assert spool.pending_spans() == 3
    assert router.spooled == target.spooled == 3

    assert target.spool is not None
    target.spool.max_bytes = 1  # smaller than any body: the next put evicts every file, its own too
    router.spill(finished_spans(2))
    assert router.evicted == target.evicted == 5
    assert router.dropped == target.dropped == 0
    router.shutdown()


def test_router_forwards_set_deadline_and_spool_inflight(tmp_path):
    router = RoutingSpanExporter(settings_for(endpoint=dead_endpoint()))
    target = router.target
    assert isinstance(target, OtlpHttpSpanExporter)
    router.set_deadline(123.0)
    assert target._deadline == 123.0
    router.set_deadline(None)
    assert target._deadline is None
    router.spool_inflight()  # nothing in flight: nothing spooled
    assert router.spooled == 0
    assert router.force_flush() is True


def test_router_counts_what_the_endpoint_rejects_as_dropped(otlp_receiver):
    otlp_receiver.status = 400  # rejected for good: dropped, never spooled
    router = RoutingSpanExporter(settings_for(endpoint=otlp_receiver.endpoint))
    assert router.export(finished_spans(2)) is SpanExportResult.FAILURE
    assert router.dropped == 2
    assert router.spooled == 0
    router.shutdown()


def test_reinit_with_another_endpoint_switches_the_target_and_shuts_the_old_one(otlp_receiver):
    neatlogs.init()  # the local store first
    tracing.get_tracer()
    router = tracing.runtime.router
    assert router is not None
    old = router.target
    assert isinstance(old, SqliteSpanExporter)

    neatlogs.init(endpoint=otlp_receiver.endpoint)
    assert tracing.runtime.router is router  # same provider, processors and queue
    assert isinstance(router.target, OtlpHttpSpanExporter)
    assert old.export(finished_spans(1)) is SpanExportResult.FAILURE  # shut down
    with neatlogs.trace("after-switch"):
        pass
    assert neatlogs.flush()
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["after-switch"]

    neatlogs.init(endpoint=otlp_receiver.endpoint)  # same destination: the target is kept
    assert isinstance(router.target, OtlpHttpSpanExporter)


def test_after_fork_the_router_builds_a_new_target_and_leaves_the_parents_open(tmp_path):
    neatlogs.init()
    tracing.get_tracer()
    router = tracing.runtime.router
    assert router is not None
    parents = router.target
    assert isinstance(parents, SqliteSpanExporter)

    tracing.runtime.after_fork_in_child()  # what the os.register_at_fork hook runs in a child

    assert router.target is not parents
    assert isinstance(router.target, SqliteSpanExporter)
    assert parents.export(finished_spans(1)) is SpanExportResult.SUCCESS  # not closed under the parent


# --- the batch processor at its exit bound ------------------------------------------------------
def test_shutdown_past_the_deadline_spills_the_queue_into_the_spool(tmp_path):
    endpoint = dead_endpoint()
    router = RoutingSpanExporter(settings_for(endpoint=endpoint))
    batch = SpoolingBatchSpanProcessor(router, schedule_delay=60.0)
    for span in finished_spans(5):
        batch.on_end(span)

    batch.shutdown(timeout_millis=0)  # the bound is already reached: nothing may be sent

    spool = Spool(spool_folder(str(tmp_path / "neatlogs-home"), endpoint), endpoint)
    assert spool.pending_spans() == 5
    assert router.spooled == 5
    assert batch.dropped == 0


def test_shutdown_past_the_deadline_writes_the_queue_to_the_local_store(tmp_path):
    path = str(tmp_path / "traces.db")
    batch = SpoolingBatchSpanProcessor(SqliteSpanExporter(path), schedule_delay=60.0)
    for span in finished_spans(4):
        batch.on_end(span)

    batch.shutdown(timeout_millis=0)

    names = sorted(s.name for s in store.iter_spans(store.connect(path)))
    assert names == [f"span-{i}" for i in range(4)]


# --- the runtime -------------------------------------------------------------------------------
def test_reset_forgets_the_runtime_as_a_new_process_would():
    from neatlogs import _testing

    _testing.init_in_memory(instrumentations=["openai"])
    runtime = tracing.runtime
    assert runtime.enabled and runtime.tracer is not None and runtime.test_exporter is not None
    _testing.reset()
    assert (runtime.settings, runtime.tracer, runtime.provider, runtime.router, runtime.batch,
            runtime.test_exporter) == (None,) * 6
    assert not runtime.enabled
    assert runtime.processors == [] and runtime.instrumentations == set()
