"""Sessions: auto_session, NEATLOGS_SESSION_ID, session() scoping and the stamping processor."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import neatlogs
from neatlogs import _testing


def session_of(exporter, name):
    return next(s.attributes.get("session.id") for s in exporter.get_finished_spans() if s.name == name)


def test_auto_session_gives_one_id_to_every_span():
    exporter = _testing.init_in_memory(auto_session=True, user_id="u1", tags=["beta"], metadata={"plan": "pro"})
    for i in range(3):
        with neatlogs.trace(f"turn{i}", kind="AGENT"):
            pass
    spans = exporter.get_finished_spans()
    ids = {s.attributes["session.id"] for s in spans}
    assert len(ids) == 1 and None not in ids
    assert len({s.context.trace_id for s in spans}) == 3
    for s in spans:
        assert s.attributes["gen_ai.conversation.id"] == s.attributes["session.id"]
        assert s.attributes["user.id"] == "u1"
        assert s.attributes["tag.tags"] == ("beta",)
        assert s.attributes["metadata"] == '{"plan": "pro"}'
    assert neatlogs.current_session_id() == ids.pop()


def test_auto_session_takes_neatlogs_session_id(monkeypatch):
    monkeypatch.setenv("NEATLOGS_SESSION_ID", "from-the-wrapper")
    exporter = _testing.init_in_memory(auto_session=True)
    with neatlogs.trace("t"):
        pass
    assert session_of(exporter, "t") == "from-the-wrapper"


def test_without_auto_session_spans_have_no_session():
    exporter = _testing.init_in_memory()
    with neatlogs.trace("t"):
        pass
    assert session_of(exporter, "t") is None


def test_session_block_scopes_and_restores():
    exporter = _testing.init_in_memory(auto_session=True)
    process_session = neatlogs.current_session_id()
    with neatlogs.session("chat-42", user_id="alice") as scoped:
        assert scoped.session_id == "chat-42"
        with neatlogs.trace("inside"):
            pass
        with neatlogs.session("nested"):
            with neatlogs.trace("nested-span"):
                pass
        assert neatlogs.current_session_id() == "chat-42"
    with neatlogs.trace("after"):
        pass
    assert session_of(exporter, "inside") == "chat-42"
    assert session_of(exporter, "nested-span") == "nested"
    assert session_of(exporter, "after") == process_session
    inside = next(s for s in exporter.get_finished_spans() if s.name == "inside")
    assert inside.attributes["user.id"] == "alice"


def test_session_is_kept_across_await_and_isolated_between_tasks():
    exporter = _testing.init_in_memory()

    async def handle(conversation):
        async with neatlogs.session(conversation):
            await asyncio.sleep(0.01)
            with neatlogs.trace(f"reply-{conversation}"):
                await asyncio.sleep(0)

    async def main():
        await asyncio.gather(handle("a"), handle("b"), handle("c"))

    asyncio.run(main())
    for c in "abc":
        assert session_of(exporter, f"reply-{c}") == c


def test_threads_started_inside_a_session_inherit_it():
    exporter = _testing.init_in_memory()

    def work(name):
        with neatlogs.trace(name):
            pass

    with neatlogs.session("threaded"):
        thread = threading.Thread(target=work, args=("in-thread",))
        thread.start()
        thread.join()
    outside = threading.Thread(target=work, args=("outside-thread",))
    outside.start()
    outside.join()
    assert session_of(exporter, "in-thread") == "threaded"
    assert session_of(exporter, "outside-thread") is None


def test_thread_pool_tasks_carry_their_submitters_session():
    exporter = _testing.init_in_memory()

    def work(name):
        with neatlogs.trace(name):
            pass

    with ThreadPoolExecutor(max_workers=1) as pool:
        with neatlogs.session("first"):
            pool.submit(work, "task-1").result()
        pool.submit(work, "task-2").result()  # same worker thread, no session
        with neatlogs.session("second"):
            pool.submit(work, "task-3").result()
    assert session_of(exporter, "task-1") == "first"
    assert session_of(exporter, "task-2") is None
    assert session_of(exporter, "task-3") == "second"


def test_session_opened_inside_a_generator_restores_on_exit():
    exporter = _testing.init_in_memory()

    def conversation():
        with neatlogs.session("gen-session"):
            yield 1
            with neatlogs.trace("in-gen"):
                pass
            yield 2

    gen = conversation()
    next(gen)
    next(gen)
    with pytest.raises(StopIteration):
        next(gen)
    assert session_of(exporter, "in-gen") == "gen-session"
    assert neatlogs.current_session_id() is None


def test_spans_from_other_opentelemetry_code_are_stamped():
    exporter = _testing.init_in_memory(auto_session=True, user_id="bob")
    from opentelemetry import trace

    with trace.get_tracer("third.party").start_as_current_span("foreign"):
        pass
    span = next(s for s in exporter.get_finished_spans() if s.name == "foreign")
    assert span.attributes["session.id"] == neatlogs.current_session_id()
    assert span.attributes["user.id"] == "bob"


def test_a_span_takes_its_parents_session_so_a_trace_is_in_one_conversation():
    """A framework that names its run's conversation on its root span puts the spans beneath it there."""
    exporter = _testing.init_in_memory(auto_session=True)
    process_session = neatlogs.current_session_id()
    with neatlogs.trace("graph run", kind="CHAIN") as root:
        root.set_attribute("session.id", "thread-7")
        with neatlogs.trace("node", kind="AGENT"):
            with neatlogs.trace("model call", kind="LLM"):
                pass
    with neatlogs.trace("next run"):
        pass
    assert session_of(exporter, "node") == "thread-7"
    assert session_of(exporter, "model call") == "thread-7"
    conversation = next(s.attributes["gen_ai.conversation.id"] for s in exporter.get_finished_spans()
                        if s.name == "model call")
    assert conversation == "thread-7"
    assert session_of(exporter, "next run") == process_session


def test_a_conversation_id_the_spans_maker_set_is_its_session():
    """OpenTelemetry-native frameworks name their conversation with gen_ai.conversation.id at start."""
    from opentelemetry import trace

    exporter = _testing.init_in_memory(auto_session=True)
    tracer = trace.get_tracer("native-framework")
    with tracer.start_as_current_span("invoke_agent helper", attributes={"gen_ai.conversation.id": "conv-9"}):
        with tracer.start_as_current_span("chat gpt-4o"):
            pass
    assert session_of(exporter, "invoke_agent helper") == "conv-9"
    assert session_of(exporter, "chat gpt-4o") == "conv-9"
