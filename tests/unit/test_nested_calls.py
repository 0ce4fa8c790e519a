"""A client library that calls another instrumented one (litellm over openai) makes one LLM span."""

from __future__ import annotations

import openai
import pytest

from neatlogs import _testing
from neatlogs.instrumentation._llm.operation import LLMOperation
from neatlogs.instrumentation._llm.patching import patch_method, unpatch_all


class _Router:
    """A library of one method that sends its call through the real openai client."""

    def __init__(self, base_url: str) -> None:
        self.client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)

    def completion(self, **kwargs):
        return self.client.chat.completions.create(model=kwargs["model"], messages=kwargs["messages"])


def _request(kwargs, policy):
    return {"openinference.span.kind": "LLM"}


def _response(result, policy):
    return {"output.value": result.choices[0].message.content}


@pytest.fixture
def memory():
    exporter = _testing.init_in_memory(instrumentations=["openai"])
    patch_method(_Router, "completion", LLMOperation("router", _request, _response), is_async=False)
    yield exporter
    unpatch_all(__name__)


def test_the_outer_library_span_stands_for_the_call(memory, standin_model) -> None:
    router = _Router(standin_model.base_url)
    router.completion(model="m", messages=[{"role": "user", "content": "hi"}])
    [span] = memory.get_finished_spans()
    assert span.name == "router m"
    assert "hi" in span.attributes["output.value"]
    # Outside the router the same client is traced as usual.
    router.client.chat.completions.create(model="direct", messages=[{"role": "user", "content": "hi"}])
    assert [s.name for s in memory.get_finished_spans()] == ["router m", "chat direct"]
