"""Shared fixtures: a clean environment, the stand-in OpenAI model, a real OTLP receiver."""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

# litellm fetches its model cost map and other catalogs from the internet at import unless told
# not to; no test may reach the internet, whichever test imports it first.
for _name, _value in (("LITELLM_LOCAL_MODEL_COST_MAP", "True"), ("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True"),
                      ("LITELLM_OFFLINE_MODE", "true")):
    os.environ.setdefault(_name, _value)

from otlp_receiver import OtlpReceiver  # noqa: E402

from neatlogs import _log  # noqa: E402
from neatlogs_cli.demo.standin_model import StandinModel  # noqa: E402

# A bug in neatlogs' own code must fail our tests, not hide as a missing attribute: every
# internal error the SDK would swallow in a user's program is raised here.
_log.raise_internal_errors = True


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    """Clear NEATLOGS_*/OTEL_* and point NEATLOGS_HOME at a fresh folder, so tests don't leak."""
    for key in list(os.environ):
        if key.startswith(("NEATLOGS_", "OTEL_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NEATLOGS_HOME", str(tmp_path / "neatlogs-home"))
    # No config file of the checkout (pyproject.toml) may leak into tests: search from tmp.
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def reset_neatlogs() -> Iterator[None]:
    """Shut neatlogs down after each test so the next one starts from scratch."""
    yield
    from neatlogs import _testing

    _testing.reset()


@pytest.fixture(scope="session")
def standin_model() -> Iterator[StandinModel]:
    """The stand-in OpenAI-compatible model on loopback (shared: it keeps no state that matters)."""
    with StandinModel() as model:
        yield model


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """A fresh OTLP/HTTP receiver on loopback."""
    with OtlpReceiver() as receiver:
        yield receiver
