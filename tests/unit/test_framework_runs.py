"""The framework run of a context: the parent of spans started beneath it, and what an ended one leaves."""

from __future__ import annotations

import contextvars

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from neatlogs import _framework_runs
from neatlogs._framework_runs import FrameworkRun, enter, leave, parent_context

tracer = TracerProvider().get_tracer("test")


def _parent_span(context) -> object:
    return trace.get_current_span(context) if context is not None else None


def test_a_live_run_parents_spans_started_here_and_its_end_restores_the_outer_run():
    outer = FrameworkRun(tracer.start_span("outer"), None)
    inner = FrameworkRun(tracer.start_span("inner"), outer)
    assert parent_context() is None
    enter(outer)
    enter(inner)
    assert _parent_span(parent_context()) is inner.span
    leave(inner)
    assert _parent_span(parent_context()) is outer.span
    leave(outer)
    assert parent_context() is None and _framework_runs._current.get() is None


def test_a_run_ended_from_another_context_is_skipped_for_its_live_parent():
    outer = FrameworkRun(tracer.start_span("outer"), None)
    inner = FrameworkRun(tracer.start_span("inner"), outer)

    def start_here() -> None:
        enter(outer)
        enter(inner)

    context = contextvars.copy_context()
    context.run(start_here)
    contextvars.copy_context().run(leave, inner)  # an end callback run in a copy: no reset possible
    assert context.run(lambda: _parent_span(parent_context())) is outer.span
    leave(outer)
    assert context.run(parent_context) is None  # only ended runs left: nothing is parented to them


def test_a_span_current_that_started_inside_the_run_is_the_nearer_parent():
    run = FrameworkRun(tracer.start_span("tool"), None)
    enter(run)
    try:
        with trace.use_span(tracer.start_span("user's own span")):
            assert parent_context() is None  # the current one, which started after the run
        with trace.use_span(tracer.start_span("earlier", start_time=run.span.start_time - 1)):
            assert _parent_span(parent_context()) is run.span
    finally:
        leave(run)
