"""Attributes set without the SDK's per-value checks end up exactly as ``set_attributes`` leaves them."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import SpanLimits, TracerProvider

from neatlogs import _fast_attributes
from neatlogs._fast_attributes import set_clean_attributes

CLEAN = {"text": "héllo", "count": 3, "ratio": 0.5, "flag": False, "reasons": ("stop", "length")}


def tracer(**limits):
    return TracerProvider(span_limits=SpanLimits(**limits)).get_tracer("test")


def both_ways(attributes, **limits):
    """The attributes of one span set through the public API and one set through ours."""
    t = tracer(**limits)
    public, ours = t.start_span("public", attributes={"first": "x"}), t.start_span("ours", attributes={"first": "x"})
    public.set_attributes(attributes)
    set_clean_attributes(ours, attributes)
    return public, ours


def test_the_installed_sdk_takes_the_fast_path():
    # If an SDK release moves these internals, this fails instead of neatlogs silently slowing down.
    span = tracer().start_span("s")
    table = span._attributes
    assert type(table) is _fast_attributes._sdk_table_class()
    assert table.max_value_len is None and isinstance(table._dict, dict)
    assert hasattr(table, "_lock") and hasattr(span, "_lock") and span._end_time is None


@pytest.mark.parametrize(
    ("attributes", "limits"),
    [
        (CLEAN, {}),
        ({"first": "overwritten", **CLEAN}, {}),
        ({"list": ["a", "b"], "nested": {"k": "v"}}, {}),  # not clean: the SDK path makes them immutable
        ({"long": "x" * 50}, {"max_attribute_length": 10}),  # a limit the SDK applies
        ({f"k{i}": i for i in range(10)}, {"max_span_attributes": 4}),  # a full table drops the oldest
    ],
)
def test_same_attributes_as_the_public_api(attributes, limits):
    public, ours = both_ways(attributes, **limits)
    assert dict(ours.attributes) == dict(public.attributes)
    assert ours.dropped_attributes == public.dropped_attributes


def test_an_ended_span_is_left_unchanged():
    span = tracer().start_span("s", attributes={"a": 1})
    span.end()
    set_clean_attributes(span, {"b": 2})
    assert dict(span.attributes) == {"a": 1}


def test_a_span_of_another_kind_goes_through_its_own_set_attributes():
    from opentelemetry.trace import INVALID_SPAN

    set_clean_attributes(INVALID_SPAN, {"a": "b"})  # a non-recording span: accepted, ignored
    assert not INVALID_SPAN.is_recording()
