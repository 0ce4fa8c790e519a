"""The public API: __all__ is exactly the public names, each with a docstring."""

from __future__ import annotations

import inspect

import neatlogs


def test_all_equals_the_sorted_public_names():
    public = sorted(n for n in vars(neatlogs) if not n.startswith("_") and not inspect.ismodule(getattr(neatlogs, n))
                    and n not in {"annotations", "TYPE_CHECKING"})
    assert sorted(neatlogs.__all__) == public


def test_every_public_callable_has_a_docstring():
    for name in neatlogs.__all__:
        obj = getattr(neatlogs, name)
        assert (obj.__doc__ or "").strip(), name


def test_init_signature_matches_the_design():
    params = list(inspect.signature(neatlogs.init).parameters)
    assert params[:14] == ["api_key", "endpoint", "workflow_name", "instrumentations", "auto_session", "session_id",
                           "user_id", "tags", "metadata", "capture_content", "mask", "sample_rate", "disabled", "debug"]
    # The wider neatlogs SDK's arguments follow, keyword-only (shared/NEATLOGS-SDK-API.md), then our own.
    keyword_only = [n for n, p in inspect.signature(neatlogs.init).parameters.items() if p.kind is p.KEYWORD_ONLY]
    assert keyword_only == params[14:] == ["batch_size", "flush_interval", "disable_export", "capture_logs",
                                           "log_level", "pii_enabled", "pii_entities", "pii_span_types",
                                           "tracer_provider", "isolate", "max_value_chars"]
