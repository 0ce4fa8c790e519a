"""Internal errors: swallowed (logged at debug) in a user's program, raised under our own tests."""

from __future__ import annotations

import logging

import pytest

from neatlogs import _log, _testing
from neatlogs.instrumentation._llm.operation import LLMOperation
from neatlogs.instrumentation._llm.patching import patch_method, unpatch_all


class _Client:
    """A client library of one method, traced through the engine like any provider."""

    def create(self, **kwargs):
        return {"answer": 42}


def _request(kwargs, policy):
    return {"openinference.span.kind": "LLM"}


def _broken_response(result, policy):
    raise KeyError("a bug in an extractor")


@pytest.fixture
def traced_client():
    memory = _testing.init_in_memory()
    patch_method(_Client, "create", LLMOperation("chat", _request, _broken_response), is_async=False)
    yield memory
    unpatch_all(__name__)


def test_under_our_tests_an_extractor_bug_fails_the_call(traced_client) -> None:
    assert _log.raise_internal_errors is True  # tests/conftest.py turns it on for the whole suite
    with pytest.raises(KeyError, match="a bug in an extractor"):
        _Client().create(model="m")


def test_in_a_users_program_the_bug_is_logged_and_the_call_returns(traced_client, monkeypatch, caplog) -> None:
    monkeypatch.setattr(_log, "raise_internal_errors", False)
    caplog.set_level(logging.DEBUG, logger="neatlogs")
    assert _Client().create(model="m") == {"answer": 42}
    [span] = traced_client.get_finished_spans()
    assert span.name == "chat m"  # the span still ended, exactly once
    [record] = [r for r in caplog.records if "recording the chat result failed" in r.getMessage()]
    assert record.levelno == logging.DEBUG and record.exc_info[0] is KeyError

