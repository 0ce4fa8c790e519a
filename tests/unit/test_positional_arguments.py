"""A method called with positional arguments (``chat(model, messages)``) is traced as if called with keywords."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from neatlogs import _testing
from neatlogs.instrumentation._llm.operation import LLMOperation
from neatlogs.instrumentation._llm.patching import bind_positional, patch_method, unpatch_all


class _Client:
    def chat(self, model: str = "", messages: Any = None, *, stream: bool = False) -> Any:
        return {"model": model, "messages": messages}

    async def achat(self, model: str = "", messages: Any = None) -> Any:
        return {"model": model, "messages": messages}


def _request(kwargs: dict[str, Any], policy: Any) -> dict[str, Any]:
    messages = kwargs.get("messages")
    if messages is not None and not isinstance(messages, list):
        messages = kwargs["messages"] = list(messages)  # a one-shot iterable: the client must get the list
    return {"openinference.span.kind": "LLM", "input.value": repr(messages)}


def _response(result: Any, policy: Any) -> dict[str, Any]:
    return {"output.value": repr(result["messages"])}


@pytest.fixture
def memory() -> Any:
    exporter = _testing.init_in_memory(instrumentations=[])
    operation = LLMOperation("chat", _request, _response)
    patch_method(_Client, "chat", operation, is_async=False, positional=("model", "messages"))
    patch_method(_Client, "achat", operation, is_async=True, positional=("model", "messages"))
    yield exporter
    unpatch_all(__name__)


def test_positional_arguments_reach_the_extractor_and_the_client(memory) -> None:
    messages = [{"role": "user", "content": "hi"}]
    result = _Client().chat("m1", iter(messages))
    assert result == {"model": "m1", "messages": messages}  # the list the extractor made was sent
    asyncio.run(_Client().achat("m2", messages))
    spans = memory.get_finished_spans()
    assert [s.name for s in spans] == ["chat m1", "chat m2"]
    assert spans[0].attributes["input.value"] == spans[0].attributes["output.value"] == repr(messages)


def test_arguments_that_cannot_be_named_are_left_to_the_client(memory) -> None:
    with pytest.raises(TypeError):
        _Client().chat("m", [], "extra")
    with pytest.raises(TypeError):
        _Client().chat("m", model="again")
    kwargs: dict[str, Any] = {"stream": True}
    assert bind_positional(("model", "messages"), ("m",), kwargs) == ()
    assert kwargs == {"stream": True, "model": "m"}
