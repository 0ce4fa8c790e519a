"""Fixtures for the instrumentation tests: traced neatlogs (OTLP or in memory) and real clients."""

from __future__ import annotations

import gzip
from typing import Any, Callable

import pytest

import neatlogs
from neatlogs import _testing


class Wire:
    """neatlogs exporting over real OTLP/HTTP to the loopback receiver."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver

    def spans(self, count: int, scope: str | None = None) -> list[dict[str, Any]]:
        """Flush, wait for ``count`` spans (of tracer ``scope`` if given) and return exactly those."""
        import time

        neatlogs.flush()
        deadline = time.monotonic() + 10
        while True:
            spans = [s for s in self.receiver.spans() if scope is None or s["scope"] == scope]
            if len(spans) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(spans) == count, [s["name"] for s in spans]
        return spans

    def raw_text(self) -> str:
        """Every export body received, gunzipped, as text (protobuf bytes decoded loosely)."""
        bodies = []
        for request in self.receiver.raw:
            body = request["body"]
            if request["headers"].get("Content-Encoding", request["headers"].get("content-encoding")) == "gzip":
                body = gzip.decompress(body)
            bodies.append(body.decode("utf-8", "replace"))
        return "\n".join(bodies)


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
    """neatlogs with the OpenAI instrumentation exporting synchronously to memory."""
    return _testing.init_in_memory(instrumentations=["openai", "anthropic"])


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
