"""Fixtures for the instrumentation tests: traced neatlogs (OTLP or in memory) and real clients."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from wire import Wire

import neatlogs
from neatlogs import _testing


@pytest.fixture
def wire(otlp_receiver: Any) -> Callable[..., Wire]:
    """``wire(**init_settings)``: init neatlogs with the OpenAI instrumentation to the receiver."""

    def start(**settings: Any) -> Wire:
        settings.setdefault("instrumentations", ["openai"])
        neatlogs.init(endpoint=otlp_receiver.endpoint, **settings)
        return Wire(otlp_receiver)

    return start


@pytest.fixture
def memory() -> Any:
    """neatlogs with every instrumentation, exporting synchronously to memory."""
    return _testing.init_in_memory()  # every supported library, as by default


@pytest.fixture
def client(standin_model: Any) -> Any:
    """A real sync OpenAI client talking to the stand-in model."""
    import openai

    with openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0) as value:
        yield value


@pytest.fixture
def async_client_factory(standin_model: Any) -> Callable[[], Any]:
    """Makes a real AsyncOpenAI client (inside the event loop that uses it)."""
    import openai

    return lambda **options: openai.AsyncOpenAI(
        base_url=standin_model.base_url, api_key="x", max_retries=0, **options
    )
