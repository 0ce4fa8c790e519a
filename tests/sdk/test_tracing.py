"""init() lifecycle: idempotence, flush/shutdown, atexit, joining another TracerProvider."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

import neatlogs
from neatlogs import _testing, store, tracing


def test_init_twice_gives_no_duplicate_spans_and_updates_settings(otlp_receiver):
    neatlogs.init(endpoint=otlp_receiver.endpoint, workflow_name="first", instrumentations=["openai"])
    neatlogs.init(endpoint=otlp_receiver.endpoint, workflow_name="second", user_id="later",
                  instrumentations=["anthropic"])
    with neatlogs.trace("once"):
        pass
    assert neatlogs.flush()
    spans = otlp_receiver.wait_for(1)
    assert [s["name"] for s in spans] == ["once"]
    assert spans[0]["attributes"]["user.id"] == "later"
    assert spans[0]["attributes"]["neatlogs.workflow_name"] == "second"
    assert tracing.settings().instrumentations == ("anthropic", "openai")
    assert len(tracing.runtime.processors) == 4  # sessions, templates, GenAI content, export


def test_init_switches_exporter_in_place_when_the_endpoint_changes(otlp_receiver, tmp_path):
    neatlogs.init()  # local store
    with neatlogs.trace("to-store"):
        pass
    neatlogs.flush()
    neatlogs.init(endpoint=otlp_receiver.endpoint)
    with neatlogs.trace("to-endpoint"):
        pass
    neatlogs.flush()
    assert [s["name"] for s in otlp_receiver.wait_for(1)] == ["to-endpoint"]
    conn = store.connect(tracing.settings().store_path)
    assert [s.name for s in store.iter_spans(conn)] == ["to-store"]


def test_flush_and_shutdown_are_safe_before_init_and_after_shutdown():
    assert neatlogs.flush() is True
    assert neatlogs.shutdown() is True
    _testing.init_in_memory()
    assert neatlogs.shutdown() is True
    assert neatlogs.shutdown() is True
    assert neatlogs.flush() is True
    with neatlogs.trace("after-shutdown") as handle:
        assert handle.span is None


def test_disabled_makes_init_a_noop(monkeypatch):
    monkeypatch.setenv("NEATLOGS_DISABLED", "true")
    neatlogs.init()
    assert not tracing.is_enabled()
    with neatlogs.trace("x") as handle:
        assert handle.span is None


def test_a_later_init_disabled_turns_tracing_off():
    exporter = _testing.init_in_memory()
    with neatlogs.trace("before"):
        pass
    neatlogs.init(disabled=True)
    with neatlogs.trace("after") as handle:
        assert handle.span is None
    assert [s.name for s in exporter.get_finished_spans()] == ["before"]


def test_joins_an_existing_global_provider_instead_of_replacing_it(otlp_receiver, caplog):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    theirs = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(theirs))
    trace.set_tracer_provider(provider)

    with caplog.at_level(logging.DEBUG, logger="neatlogs"):
        neatlogs.init(endpoint=otlp_receiver.endpoint, auto_session=True)
        with neatlogs.trace("ours"):
            with trace.get_tracer("app").start_as_current_span("theirs"):
                pass
        neatlogs.flush()
    assert trace.get_tracer_provider() is provider
    assert sorted(s.name for s in theirs.get_finished_spans()) == ["ours", "theirs"]
    received = otlp_receiver.wait_for(2)
    assert sorted(s["name"] for s in received) == ["ours", "theirs"]
    assert all(s["attributes"]["session.id"] == neatlogs.current_session_id() for s in received)
    assert any("joining the existing TracerProvider" in r.getMessage() for r in caplog.records)


def run_program(code: str, env_home, extra_env=None) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEATLOGS_", "OTEL_"))}
    env["NEATLOGS_HOME"] = str(env_home)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=60)


def test_init_registers_flush_at_exit(tmp_path):
    result = run_program(
        """
        import neatlogs
        neatlogs.init(workflow_name="exit-test")
        @neatlogs.span(kind="AGENT")
        def turn(): return "ok"
        turn()
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    conn = store.connect(str(tmp_path / "traces.db"))
    assert [s.name for s in store.iter_spans(conn)] == ["turn"]


def test_a_program_that_makes_no_span_never_loads_opentelemetry(tmp_path):
    result = run_program(
        """
        import sys, neatlogs
        neatlogs.init(instrumentations=["openai"], auto_session=True)
        heavy = [m for m in ("opentelemetry.trace", "opentelemetry.sdk.trace", "requests", "openai",
                             "typer", "wrapt", "sqlite3") if m in sys.modules]
        print(heavy)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_neatlogs_loads_nothing_heavy(tmp_path):
    result = run_program(
        """
        import sys
        before = set(sys.modules)
        import neatlogs
        added = sorted(m for m in set(sys.modules) - before if not m.startswith("neatlogs"))
        print(added)
        """,
        tmp_path,
    )
    added = eval(result.stdout)
    for heavy in ("typing", "json", "inspect", "logging", "threading", "opentelemetry", "re", "dataclasses"):
        assert heavy not in added, added


@pytest.mark.parametrize(("rate", "kept"), [(1.0, 40), (0.0, 0)])
def test_sample_rate_keeps_all_or_no_traces(rate, kept):
    exporter = _testing.init_in_memory(sample_rate=rate)
    for i in range(40):
        with neatlogs.trace(f"turn {i}"):
            pass
    assert len(exporter.get_finished_spans()) == kept


def test_a_sample_rate_between_keeps_some_traces_whole():
    exporter = _testing.init_in_memory(sample_rate=0.5)
    for i in range(200):
        with neatlogs.trace(f"turn {i}"):
            with neatlogs.trace("inner"):
                pass
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.parent is None]
    assert 40 < len(roots) < 160  # 200 coin flips at 0.5: far outside this is a broken sampler
    assert len(spans) == 2 * len(roots)  # a kept trace keeps its children


def test_every_supported_library_is_instrumented_unless_some_were_chosen(tmp_path):
    from neatlogs.instrumentation import REGISTRY

    _testing.init_in_memory()
    assert tracing.settings().instrumentations == tuple(sorted(REGISTRY))
    _testing.reset()
    _testing.init_in_memory(instrumentations=["openai"])
    assert tracing.settings().instrumentations == ("openai",)
    # Hooked, never imported: a program that imports none of them pays for none.
    code = ("import sys, neatlogs; neatlogs.init(); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(REGISTRY)!r}))")
    env = {**os.environ, "NEATLOGS_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
