"""Fixtures of the conformance kit: one OTLP receiver for the whole matrix, emptied before each case."""

from __future__ import annotations

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
