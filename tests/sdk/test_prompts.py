"""Prompt templates: compile() semantics and where their attributes are recorded."""

from __future__ import annotations

import json

import pytest

import neatlogs
from neatlogs import PromptTemplate, SystemPromptTemplate, UserPromptTemplate, _testing


def test_string_template_compiles_to_a_string_with_spaces_in_braces():
    tpl = PromptTemplate("Hello {{ name }}, you are {{role}}.")
    assert tpl.compile(name="Ada", role="admin") == "Hello Ada, you are admin."
    assert tpl.variables == ["name", "role"]


def test_list_template_returns_new_messages_and_keeps_other_keys():
    messages = [{"role": "user", "content": "{{message}}", "name": "customer"}]
    tpl = UserPromptTemplate(messages)
    out = tpl.compile(message="hi")
    assert out == [{"role": "user", "content": "hi", "name": "customer"}]
    out[0]["content"] = "changed"
    assert tpl.compile(message="again")[0]["content"] == "again"
    assert messages[0]["content"] == "{{message}}"


def test_missing_variable_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="missing variable 'message'"):
        UserPromptTemplate("{{message}} and {{other}}").compile(other=1)


def test_system_prompt_template_is_the_same_class():
    assert SystemPromptTemplate is PromptTemplate


def test_templates_are_recorded_on_the_trace_and_llm_spans_inside_only():
    exporter = _testing.init_in_memory()
    system = PromptTemplate([{"role": "system", "content": "Be brief."}], version="v3")
    user = UserPromptTemplate([{"role": "user", "content": "{{message}}"}])
    from opentelemetry import trace

    tracer = trace.get_tracer("fake.llm.client")
    with neatlogs.trace("respond", kind="LLM", prompt_template=system, user_prompt_template=user):
        system.compile()
        user.compile(message="where is my order?")
        with tracer.start_as_current_span("chat gpt-4o", attributes={"openinference.span.kind": "LLM"}):
            pass
        with tracer.start_as_current_span("not-an-llm-span"):
            pass
    with tracer.start_as_current_span("chat outside", attributes={"openinference.span.kind": "LLM"}):
        pass
    spans = {s.name: s.attributes for s in exporter.get_finished_spans()}
    for name in ("respond", "chat gpt-4o"):
        attrs = spans[name]
        assert json.loads(attrs["llm.prompt_template.template"]) == [{"role": "system", "content": "Be brief."}]
        assert attrs["llm.prompt_template.version"] == "v3"
        assert json.loads(attrs["neatlogs.user_prompt_template.template"]) == [{"role": "user", "content": "{{message}}"}]
        assert json.loads(attrs["neatlogs.user_prompt_template.variables"]) == {"message": "where is my order?"}
        assert json.loads(attrs["llm.prompt_template.variables"]) == {}
    assert "llm.prompt_template.template" not in spans["not-an-llm-span"]
    assert "llm.prompt_template.template" not in spans["chat outside"]


def test_templates_without_init_compile_normally():
    assert UserPromptTemplate("{{a}}").compile(a=1) == "1"
    with neatlogs.trace("t", prompt_template=PromptTemplate("x")):
        pass


def test_wrong_template_type_is_a_type_error():
    _testing.init_in_memory()
    with pytest.raises(TypeError, match="prompt_template"):
        with neatlogs.trace("t", prompt_template=42):
            pass
