"""The wider neatlogs SDK surface (shared/NEATLOGS-SDK-API.md): each name exists and records what it says."""

from __future__ import annotations

import json

import openai
import pytest
from opentelemetry import trace as trace_api

import neatlogs
from neatlogs import SystemPromptTemplate, UserPromptTemplate, _testing, config
from neatlogs import semconv as sc


def by_name(exporter):
    return {s.name: s for s in exporter.get_finished_spans()}


def test_tool_and_agent_keyword_arguments_become_their_keys():
    exporter = _testing.init_in_memory()

    @neatlogs.span(kind="TOOL", tool_name="search", description="finds things", parameters={"q": "string"},
                   version=3, tags=["a", "b"])
    def search(q: str) -> str:
        return "found " + q

    @neatlogs.span(kind="AGENT", role="researcher", goal="answer well", description="the lead agent")
    def agent(question: str) -> str:
        return search(question)

    agent("why")
    spans = by_name(exporter)
    tool = spans["test_tool_and_agent_keyword_arguments_become_their_keys.<locals>.search"].attributes
    assert (tool[sc.TOOL_NAME], tool[sc.TOOL_DESCRIPTION]) == ("search", "finds things")
    assert json.loads(tool[sc.TOOL_PARAMETERS]) == {"q": "string"}
    assert tool[sc.NEATLOGS_VERSION] == "3" and tool[sc.TAG_TAGS] == ("a", "b")
    assert tool[sc.INPUT_VALUE] == '{"q": "why"}'
    lead = spans["test_tool_and_agent_keyword_arguments_become_their_keys.<locals>.agent"].attributes
    assert (lead[sc.AGENT_NAME], lead[sc.NEATLOGS_AGENT_ROLE], lead[sc.NEATLOGS_AGENT_GOAL]) == (
        "researcher", "researcher", "answer well")
    assert lead[sc.NEATLOGS_DESCRIPTION] == "the lead agent"
    assert "role" not in lead and "tool_name" not in tool


def test_a_retriever_records_its_query_and_documents():
    exporter = _testing.init_in_memory()

    @neatlogs.span(kind="RETRIEVER", name="retrieve")
    def retrieve(question: str, top_k: int = 2) -> dict:
        return {"documents": [{"id": 7, "content": "Paris is in France", "score": 0.9, "metadata": {"src": "wiki"}},
                              "a plain text document"]}

    retrieve("where is Paris?")
    a = by_name(exporter)["retrieve"].attributes
    assert a[sc.RETRIEVAL_QUERY] == "where is Paris?"
    assert a[f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_ID}"] == "7"
    assert a[f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_CONTENT}"] == "Paris is in France"
    assert a[f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_SCORE}"] == 0.9
    assert json.loads(a[f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_METADATA}"]) == {"src": "wiki"}
    assert a[f"{sc.RETRIEVAL_DOCUMENTS}.1.{sc.DOCUMENT_CONTENT}"] == "a plain text document"


def test_a_root_span_names_its_traces_session_and_end_user_and_its_own_mask():
    exporter = _testing.init_in_memory(auto_session=True)

    @neatlogs.span(kind="CHAIN", name="inner")
    def inner(note: str) -> str:
        return note

    @neatlogs.span(kind="AGENT", name="handle", session_id="conv-9", end_user_id="alice",
                   mask=lambda v: v.replace("1234", "####") if isinstance(v, str) else v)
    def handle(card: str) -> str:
        return inner("card " + card)

    handle("1234")
    inner("outside")
    spans = exporter.get_finished_spans()
    inside = [s for s in spans if s.context.trace_id == by_name(exporter)["handle"].context.trace_id]
    assert {s.attributes[sc.SESSION_ID] for s in inside} == {"conv-9"}
    assert {s.attributes[sc.USER_ID] for s in inside} == {"alice"}
    outside = [s for s in spans if s not in inside]
    assert outside[0].attributes[sc.SESSION_ID] == neatlogs.current_session_id() != "conv-9"
    assert by_name(exporter)["handle"].attributes[sc.INPUT_VALUE] == '{"card": "####"}'


def test_identify_scopes_session_and_end_user_and_nests_by_field():
    exporter = _testing.init_in_memory()
    with neatlogs.identify(session_id="s1", end_user_id="u1", end_user_metadata={"plan": "pro"}):
        with neatlogs.trace("outer"):
            pass
        with neatlogs.identify(end_user_id="u2"), neatlogs.trace("nested"):
            pass
    with neatlogs.trace("after"):
        pass
    spans = by_name(exporter)
    assert (spans["outer"].attributes[sc.SESSION_ID], spans["outer"].attributes[sc.USER_ID]) == ("s1", "u1")
    assert json.loads(spans["outer"].attributes[sc.NEATLOGS_END_USER_METADATA]) == {"plan": "pro"}
    assert (spans["nested"].attributes[sc.SESSION_ID], spans["nested"].attributes[sc.USER_ID]) == ("s1", "u2")
    assert sc.SESSION_ID not in spans["after"].attributes


def test_system_prompt_template_and_variables_reach_the_llm_spans(standin_model):
    exporter = _testing.init_in_memory(instrumentations=["openai"])
    client = openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0)
    system = SystemPromptTemplate("You help {{company}} customers.")
    with neatlogs.trace("turn", kind="AGENT", system_prompt_template=system,
                        system_prompt_variables={"company": "Acme"}, version="v2"):
        client.chat.completions.create(model="m", messages=[{"role": "system", "content": system.compile(
            company="Acme")}, {"role": "user", "content": "hi"}])
    with neatlogs.trace("unpassed", kind="CHAIN"):
        user = UserPromptTemplate("Question: {{q}}", version="u1")
        client.chat.completions.create(model="m2", messages=[{"role": "user", "content": user.compile(q="why")}])
    spans = by_name(exporter)
    for name in ("turn", "chat m"):
        a = spans[name].attributes
        assert a[sc.LLM_PROMPT_TEMPLATE] == "You help {{company}} customers."
        assert json.loads(a[sc.LLM_PROMPT_TEMPLATE_VARIABLES]) == {"company": "Acme"}
        assert a[sc.LLM_PROMPT_TEMPLATE_VERSION] == "v2"
    llm = spans["chat m2"].attributes  # compiled inside the block without being passed to trace()
    assert llm[sc.NEATLOGS_USER_PROMPT_TEMPLATE] == "Question: {{q}}"
    assert json.loads(llm[sc.NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES]) == {"q": "why"}
    assert llm[sc.NEATLOGS_USER_PROMPT_TEMPLATE_VERSION] == "u1"


def test_wrap_traces_a_client_whatever_was_enabled_and_stamps_its_workflow(standin_model):
    exporter = _testing.init_in_memory(instrumentations=[])
    client = neatlogs.wrap(openai.OpenAI(base_url=standin_model.base_url, api_key="x", max_retries=0),
                           team="support", tier=2)
    client.chat.completions.create(model="wrapped", messages=[{"role": "user", "content": "hi"}])
    [span] = exporter.get_finished_spans()
    assert span.name == "chat wrapped"
    assert (span.attributes["neatlogs.workflow.team"], span.attributes["neatlogs.workflow.tier"]) == ("support", 2)
    with pytest.raises(TypeError, match="cannot trace a builtins.object"):
        neatlogs.wrap(object())


def test_log_records_an_event_only_with_capture_logs():
    exporter = _testing.init_in_memory(capture_logs=True, log_level="info")
    with neatlogs.trace("work"):
        neatlogs.log("charged {amount} to {who}", amount=3, who="bob")
        neatlogs.log("noise", level="debug")
        neatlogs.log("a {template} of its own", template="word")
    neatlogs.log("outside any span")
    event, own_names = by_name(exporter)["work"].events
    assert event.name == sc.LOG_EVENT
    assert event.attributes[sc.LOG_BODY] == "charged 3 to bob"
    assert event.attributes[sc.LOG_TEMPLATE] == "charged {amount} to {who}"
    assert (event.attributes[sc.LOG_LEVEL], event.attributes["log.amount"]) == ("info", 3)
    assert event.attributes["log.who"] == "bob"
    # A data key named like the record's own keys does not overwrite them.
    assert own_names.attributes[sc.LOG_TEMPLATE] == "a {template} of its own"
    assert own_names.attributes["log.data.template"] == "word"
    _testing.reset()
    exporter = _testing.init_in_memory()
    with neatlogs.trace("quiet"):
        neatlogs.log("not recorded")
    assert by_name(exporter)["quiet"].events == ()


def test_trace_context_crosses_services():
    exporter = _testing.init_in_memory()
    headers: dict[str, str] = {}
    assert neatlogs.inject_trace_context(headers) is False  # no current span
    with neatlogs.trace("caller"):
        assert neatlogs.inject_trace_context(headers) is True
    with neatlogs.extract_trace_context(headers, session_id="remote-s"), neatlogs.trace("callee"):
        pass
    spans = by_name(exporter)
    assert spans["callee"].context.trace_id == spans["caller"].context.trace_id
    assert spans["callee"].parent.span_id == spans["caller"].context.span_id
    assert spans["callee"].attributes[sc.SESSION_ID] == "remote-s"
    assert trace_api.get_current_span() is trace_api.INVALID_SPAN


def test_the_sdks_init_arguments_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEATLOGS_TRACE_CONTENT", "false")
    settings = config.load({"batch_size": 10, "flush_interval": 0.2}, environ=dict(NEATLOGS_TRACE_CONTENT="false"))
    assert (settings.capture_content, settings.batch_size, settings.flush_interval) == (False, 10, 0.2)
    with pytest.raises(config.ConfigError, match="batch_size"):
        config.load({"batch_size": 0}, environ={})
    neatlogs.init(disable_export=True, isolate=True, pii_enabled=True, pii_entities=["email"], batch_size=10)
    with neatlogs.trace("made, not exported") as handle:
        assert handle.span is not None and handle.span.is_recording()
        resource = handle.span.resource.attributes
    assert resource[sc.NEATLOGS_PII_ENABLED] is True and list(resource[sc.NEATLOGS_PII_ENTITIES]) == ["email"]
    assert isinstance(trace_api.get_tracer_provider(), trace_api.ProxyTracerProvider)  # isolate: not global
    neatlogs.flush()
    assert not (tmp_path / "neatlogs-home" / "traces.db").exists()  # nothing exported to the local store


@pytest.mark.parametrize("capture", [True, False])
def test_content_a_program_sets_itself_is_masked_or_left_out(capture):
    exporter = _testing.init_in_memory(capture_content=capture,
                                       mask=lambda v: v.replace("secret", "***") if isinstance(v, str) else v)
    documents = [{"id": "d1", "content": "the secret plan", "score": 0.9}]
    with neatlogs.trace("rerank", kind="RERANKER") as span:
        span.set_attribute(sc.NEATLOGS_RERANKER_QUERY, "which secret?")
        span.set_attribute(sc.NEATLOGS_RERANKER_OUTPUT_DOCUMENTS, json.dumps(documents))
        span.set_attribute(f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_CONTENT}", "a secret document")
        span.set_attribute(sc.NEATLOGS_RERANKER_TOP_K, 1)
        span.set_attribute("app.note", "not content: my secret label")
    a = by_name(exporter)["rerank"].attributes
    assert a[sc.NEATLOGS_RERANKER_TOP_K] == 1
    assert a["app.note"] == "not content: my secret label"  # the program's own key, as it set it
    if capture:
        assert a[sc.NEATLOGS_RERANKER_QUERY] == "which ***?"
        assert json.loads(a[sc.NEATLOGS_RERANKER_OUTPUT_DOCUMENTS])[0]["content"] == "the *** plan"
        assert a[f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_CONTENT}"] == "a *** document"
    else:
        assert sc.NEATLOGS_RERANKER_QUERY not in a
        assert sc.NEATLOGS_RERANKER_OUTPUT_DOCUMENTS not in a
        assert f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_CONTENT}" not in a


def test_capture_stdout_records_what_the_code_printed_and_still_prints_it(capsys):
    import threading

    exporter = _testing.init_in_memory(mask=lambda v: v.replace("secret", "***") if isinstance(v, str) else v)

    @neatlogs.span(kind="TOOL", name="printer", tool_name="printer", capture_stdout=True)
    def printer(x: str) -> str:
        print("printing", x)
        worker = threading.Thread(target=print, args=("from another thread",))
        worker.start()
        worker.join()
        return x

    @neatlogs.span(kind="TOOL", name="quiet")
    def quiet() -> None:
        print("not captured")

    printer("my secret")
    quiet()
    with neatlogs.trace("block", capture_stdout=True):
        print("inside the block")
    spans = by_name(exporter)
    assert spans["printer"].attributes[sc.NEATLOGS_STDOUT] == "printing my ***\n"
    assert sc.NEATLOGS_STDOUT not in spans["quiet"].attributes
    assert spans["block"].attributes[sc.NEATLOGS_STDOUT] == "inside the block\n"
    out = capsys.readouterr().out
    assert "printing my secret" in out and "from another thread" in out and "not captured" in out


def test_capture_stdout_records_nothing_with_capture_off():
    exporter = _testing.init_in_memory(capture_content=False)

    @neatlogs.span(name="talk", capture_stdout=True)
    def talk() -> None:
        print("hello")

    talk()
    assert sc.NEATLOGS_STDOUT not in by_name(exporter)["talk"].attributes
