"""Fixtures of the conformance kit: one OTLP receiver for the whole matrix, emptied before each case,
and one stand-in server per provider row, started the first time a case needs it."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import pytest
from otlp_receiver import OtlpReceiver


@pytest.fixture(scope="module")
def _shared_receiver() -> Iterator[OtlpReceiver]:
    # One receiver for the module: stopping one waits out its serve loop's half-second poll.
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(_shared_receiver: OtlpReceiver) -> Any:
    """The shared receiver, holding nothing from earlier cases."""
    with _shared_receiver.lock:
        _shared_receiver.raw.clear()
        _shared_receiver.requests.clear()
    return _shared_receiver


@pytest.fixture(scope="session")
def standins() -> Iterator[Any]:
    """``standins(provider)``: the base URL of that row's stand-in, started once for the session."""
    started: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:

        def base_url(provider: Any) -> str:
            server = started.get(provider.name)
            if server is None:
                server = started[provider.name] = stack.enter_context(provider.standin())
            return server.base_url

        yield base_url
