"""@span and trace(): every function shape, inputs/outputs, errors, and no harm to the host."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest

import neatlogs
from neatlogs import _testing


@pytest.fixture
def exporter():
    return _testing.init_in_memory(workflow_name="spans-test")


def by_name(exporter):
    return {s.name: s for s in exporter.get_finished_spans()}


def test_sync_function_records_bound_arguments_and_return_value(exporter):
    @neatlogs.span(kind="agent", name="turn")
    def turn(message: str, history: list, retries: int = 2) -> str:
        return f"echo {message}"

    assert turn("hi", []) == "echo hi"
    span = by_name(exporter)["turn"]
    assert span.attributes["openinference.span.kind"] == "AGENT"
    assert json.loads(span.attributes["input.value"]) == {"message": "hi", "history": [], "retries": 2}
    assert span.attributes["input.mime_type"] == "application/json"
    assert span.attributes["output.value"] == "echo hi"
    assert span.attributes["output.mime_type"] == "text/plain"


def test_name_defaults_to_qualname_and_self_is_left_out(exporter):
    class Agent:
        @neatlogs.span(kind="TOOL")
        def lookup(self, query):
            return {"hits": [query]}

    Agent().lookup("q")
    span = exporter.get_finished_spans()[0]
    assert span.name.endswith("Agent.lookup")
    assert json.loads(span.attributes["input.value"]) == {"query": "q"}
    assert json.loads(span.attributes["output.value"]) == {"hits": ["q"]}


def test_decorator_keeps_kind_signature_and_wrapped():
    async def coro(a, b=1): ...

    def gen(x):
        yield x

    async def agen(x):
        yield x

    def plain(x, *, y=3): ...

    for func, check in ((coro, inspect.iscoroutinefunction), (gen, inspect.isgeneratorfunction),
                        (agen, inspect.isasyncgenfunction), (plain, inspect.isfunction)):
        wrapped = neatlogs.span()(func)
        assert check(wrapped), func
        assert wrapped.__wrapped__ is func
        assert inspect.signature(wrapped) == inspect.signature(func)
        assert wrapped.__name__ == func.__name__


def test_bare_decorator_without_parentheses(exporter):
    @neatlogs.span
    def f():
        return 1

    assert f() == 1
    assert by_name(exporter)[f.__qualname__].attributes["openinference.span.kind"] == "CHAIN"


def test_unknown_kind_is_a_value_error_at_decoration():
    with pytest.raises(ValueError, match="unknown span kind 'AGENTX'"):
        neatlogs.span(kind="AGENTX")
    with pytest.raises(ValueError, match="unknown span kind"):
        neatlogs.trace("x", kind="nope")


def test_async_function(exporter):
    @neatlogs.span(kind="LLM")
    async def ask(q):
        await asyncio.sleep(0)
        return q.upper()

    assert asyncio.run(ask("a")) == "A"
    assert by_name(exporter)[ask.__qualname__].attributes["output.value"] == "A"


def test_generator_span_ends_when_exhausted_and_children_nest(exporter):
    @neatlogs.span(kind="TOOL", name="child")
    def child(i):
        return i

    @neatlogs.span(kind="RETRIEVER", name="docs")
    def docs(n):
        for i in range(n):
            yield child(i)
        return "done"

    assert list(docs(3)) == [0, 1, 2]
    spans = by_name(exporter)
    assert json.loads(spans["docs"].attributes["output.value"]) == [0, 1, 2]
    children = [s for s in exporter.get_finished_spans() if s.name == "child"]
    assert len(children) == 3
    assert all(c.parent.span_id == spans["docs"].context.span_id for c in children)


def test_generator_send_throw_and_return_value_pass_through(exporter):
    @neatlogs.span()
    def accumulate():
        total = 0
        while True:
            try:
                value = yield total
            except KeyError:
                value = 100
            if value is None:
                return total
            total += value

    gen = accumulate()
    assert next(gen) == 0
    assert gen.send(5) == 5
    assert gen.throw(KeyError()) == 105
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    assert stop.value.value == 105
    assert len(exporter.get_finished_spans()) == 1


def test_generator_closed_early_still_ends_its_span(exporter):
    @neatlogs.span(name="numbers")
    def numbers():
        yield from range(10)

    for n in numbers():
        if n == 2:
            break
    import gc

    gc.collect()
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["numbers"]


def test_async_generator(exporter):
    @neatlogs.span(kind="LLM", name="tokens")
    async def tokens():
        for t in ("a", "b"):
            yield t

    async def main():
        return [t async for t in tokens()]

    assert asyncio.run(main()) == ["a", "b"]
    assert json.loads(by_name(exporter)["tokens"].attributes["output.value"]) == ["a", "b"]


def test_exception_marks_error_and_is_reraised_unchanged(exporter):
    class Boom(Exception):
        pass

    error = Boom("bad")

    @neatlogs.span(name="fails")
    def fails():
        raise error

    with pytest.raises(Boom) as info:
        fails()
    assert info.value is error
    span = by_name(exporter)["fails"]
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "test_exception_marks_error_and_is_reraised_unchanged.<locals>.Boom"
    assert [e.name for e in span.events] == ["exception"]


def test_trace_context_manager_sync_and_async(exporter):
    with neatlogs.trace("outer", kind="CHAIN", team="support") as handle:
        handle.set_input({"q": 1})
        handle.set_output("answer")
        handle.set_attribute("custom", {"a": 1})

    async def main():
        async with neatlogs.trace("inner-async", kind="TOOL") as h:
            h.set_output([1, 2])

    asyncio.run(main())
    spans = by_name(exporter)
    assert spans["outer"].attributes["team"] == "support"
    assert spans["outer"].attributes["custom"] == '{"a": 1}'
    assert spans["outer"].attributes["output.value"] == "answer"
    assert spans["inner-async"].attributes["output.value"] == "[1, 2]"


def test_trace_records_and_reraises_exceptions(exporter):
    with pytest.raises(ZeroDivisionError):
        with neatlogs.trace("div"):
            _ = 1 / 0
    assert by_name(exporter)["div"].status.status_code.name == "ERROR"


def test_nesting_makes_one_trace(exporter):
    @neatlogs.span(kind="AGENT", name="root")
    def root():
        with neatlogs.trace("respond", kind="LLM"):
            return 1

    root()
    spans = by_name(exporter)
    assert spans["respond"].parent.span_id == spans["root"].context.span_id
    assert spans["respond"].context.trace_id == spans["root"].context.trace_id


def test_long_values_are_cut_with_a_visible_marker(exporter):
    @neatlogs.span(name="big")
    def big(text):
        return text

    big("x" * 1_200_000)  # beyond the local store's 1,000,000 characters
    span = by_name(exporter)["big"]
    assert "truncated" in span.attributes["output.value"]
    assert len(span.attributes["output.value"]) < 1_010_000


def test_the_cut_length_is_a_setting():
    exporter = _testing.init_in_memory(max_value_chars=1_000)

    @neatlogs.span(name="big")
    def big(text):
        return text

    big("x" * 5_000)
    value = by_name(exporter)["big"].attributes["output.value"]
    assert value.startswith("x" * 1_000) and "truncated" in value and len(value) < 1_100


def test_capture_flags_and_capture_content_false():
    exporter = _testing.init_in_memory(capture_content=False)

    @neatlogs.span(name="secret")
    def secret(password):
        return password

    secret("hunter2")
    span = exporter.get_finished_spans()[0]
    assert "input.value" not in span.attributes
    assert "output.value" not in span.attributes


# --- never breaks the host -------------------------------------------------------------
def test_without_init_everything_is_a_transparent_noop():
    calls = []

    @neatlogs.span(kind="AGENT")
    def f(x):
        calls.append(x)
        return x * 2

    @neatlogs.span()
    def g():
        yield 1
        return "r"

    assert f(2) == 4
    assert list(g()) == [1]
    with neatlogs.trace("t") as handle:
        handle.set_output("ignored")
        handle.set_attribute("k", "v")
    assert handle.span is None
    assert calls == [2]
    assert neatlogs.flush() is True
    assert neatlogs.shutdown() is True


def test_our_own_failure_is_swallowed_and_the_result_unchanged():
    def broken_mask(value):
        raise RuntimeError("mask exploded")

    exporter = _testing.init_in_memory(mask=broken_mask)

    @neatlogs.span(name="work")
    def work(x):
        return {"x": x}

    assert work(1) == {"x": 1}
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["work"]
    assert "output.value" not in spans[0].attributes


def test_wrong_call_arguments_raise_the_users_own_type_error(exporter):
    @neatlogs.span()
    def needs_two(a, b):
        return a + b

    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        needs_two(1)


def test_unserializable_values_fall_back_to_repr(exporter):
    class Opaque:
        __slots__ = ()

        def __repr__(self):
            return "<Opaque>"

    @neatlogs.span(name="opaque")
    def opaque(o):
        return o

    assert isinstance(opaque(Opaque()), Opaque)
    assert "<Opaque>" in by_name(exporter)["opaque"].attributes["output.value"]
