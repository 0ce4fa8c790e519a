"""AWS Bedrock Runtime through the real boto3 client against the loopback Bedrock stand-in.

botocore has no async client: every call here is sync.
"""

from __future__ import annotations

import gc
import io
import json
from typing import Any, Iterator

import pytest
from standins.bedrock import BedrockStandin
from standins.tool_schema import FORECAST, assert_fits

from neatlogs import _testing
from neatlogs import semconv as sc

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

USER = [{"role": "user", "content": [{"text": "hello bedrock"}]}]
TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "description": "find things",
                                 "inputSchema": {"json": {"type": "object"}}}}]}


def _in(i: int, key: str) -> str:
    return f"{sc.LLM_INPUT_MESSAGES}.{i}.{key}"


def _out(key: str) -> str:
    return f"{sc.LLM_OUTPUT_MESSAGES}.0.{key}"


@pytest.fixture(scope="module")
def standin() -> Iterator[BedrockStandin]:
    with BedrockStandin() as server:
        yield server


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    # No instance metadata, no profile files: the client uses the keys it is given, and nothing else.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def _client(standin: BedrockStandin, service: str = "bedrock-runtime", **config: Any) -> Any:
    return boto3.client(service, endpoint_url=standin.base_url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}, **config))


@pytest.fixture
def memory() -> Any:
    return _testing.init_in_memory(instrumentations=["bedrock"])


def _spans(memory: Any) -> dict[str, Any]:
    return {s.name: s for s in memory.get_finished_spans() if s.instrumentation_scope.name == "neatlogs"}


def test_converse_on_the_wire(wire: Any, standin: BedrockStandin) -> None:
    w = wire(instrumentations=["bedrock"])
    client = _client(standin)
    history = [
        {"role": "user", "content": [{"text": "look it up"},
                                     {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tu_1", "name": "lookup", "input": {"q": 1}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "tu_1", "content": [{"text": "found"}]}},
                                     {"text": "and now?"}]},
    ]
    reply = client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", system=[{"text": "be brief"}],
                            messages=history, inferenceConfig={"maxTokens": 64, "temperature": 0.5})
    [span] = w.spans(1, scope="neatlogs")
    a = span["attributes"]
    assert span["name"] == "chat anthropic.claude-3-haiku-20240307-v1:0"
    assert span["kind"] == 3 and span["status_code"] == 1
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "LLM"
    assert a[sc.GEN_AI_PROVIDER_NAME] == "aws.bedrock"
    assert a[sc.LLM_PROVIDER] == a[sc.LLM_SYSTEM] == "aws"
    assert a[sc.LLM_MODEL_NAME] == a[sc.GEN_AI_REQUEST_MODEL] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert a[_in(0, sc.MESSAGE_ROLE)] == "system" and a[_in(0, sc.MESSAGE_CONTENT)] == "be brief"
    assert a[_in(1, sc.MESSAGE_CONTENT)].startswith("look it up\n")  # the image as JSON, its bytes as a size
    assert "<4 bytes>" in a[_in(1, sc.MESSAGE_CONTENT)]
    assert a[_in(2, f"{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}")] == "lookup"
    assert a[_in(2, f"{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}")] == '{"q": 1}'
    assert a[_in(2, f"{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_ID}")] == "tu_1"
    assert a[_in(3, sc.MESSAGE_ROLE)] == "tool" and a[_in(3, sc.MESSAGE_TOOL_CALL_ID)] == "tu_1"
    assert a[_in(3, sc.MESSAGE_CONTENT)] == "found"
    assert a[_in(4, sc.MESSAGE_CONTENT)] == "and now?"
    assert json.loads(a[sc.LLM_INVOCATION_PARAMETERS]) == {"maxTokens": 64, "temperature": 0.5}
    assert a[sc.OUTPUT_VALUE] == reply["output"]["message"]["content"][0]["text"]
    assert a[_out(sc.MESSAGE_ROLE)] == "assistant"
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ["end_turn"]
    usage = reply["usage"]
    # Bedrock's inputTokens leave out the cache: the prompt count is every input token.
    prompt = usage["inputTokens"] + usage["cacheReadInputTokens"] + usage["cacheWriteInputTokens"]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == a[sc.GEN_AI_USAGE_INPUT_TOKENS] == prompt
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == usage["outputTokens"]
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == usage["totalTokens"]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] == usage["cacheReadInputTokens"]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE] == usage["cacheWriteInputTokens"]


def test_converse_tool_call_plain_and_streamed(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    reply = client.converse(modelId="tool-plain", messages=USER, toolConfig=TOOLS)
    response = client.converse_stream(modelId="tool-stream", messages=USER, toolConfig=TOOLS)
    assert type(response) is dict  # the dict stays a dict; its stream is our proxy
    events = list(response["stream"])
    assert {"messageStop": {"stopReason": "tool_use"}} in events
    use = reply["output"]["message"]["content"][0]["toolUse"]
    for name in ("chat tool-plain", "chat tool-stream"):
        a = _spans(memory)[name].attributes
        call = _out(f"{sc.MESSAGE_TOOL_CALLS}.0.")
        assert a[call + sc.TOOL_CALL_FUNCTION_NAME] == "lookup"
        assert json.loads(a[call + sc.TOOL_CALL_FUNCTION_ARGUMENTS]) == use["input"]
        assert a[call + sc.TOOL_CALL_ID].startswith("tooluse_")
        assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_use",)
        assert "lookup" in a[sc.LLM_INVOCATION_PARAMETERS]


def test_converse_stream_text_tokens_and_first_chunk(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    response = client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=USER)
    events = list(response["stream"])
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    usage = events[-1]["metadata"]["usage"]
    span = _spans(memory)["chat amazon.nova-lite-v1:0"]
    a = span.attributes
    assert span.status.is_ok
    assert a[sc.OUTPUT_VALUE] == a[_out(sc.MESSAGE_CONTENT)] == text
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("end_turn",)
    assert a[sc.LLM_TOKEN_COUNT_COMPLETION] == usage["outputTokens"]
    assert a[sc.LLM_TOKEN_COUNT_TOTAL] == usage["totalTokens"]
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] > 0
    assert sc.NEATLOGS_STREAM_INCOMPLETE not in a


def _anthropic_body(**extra: Any) -> str:
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "system": "be brief",
                       "messages": [{"role": "user", "content": "hello claude"}], **extra})


BODIES = {
    "anthropic.claude-3-5-sonnet-20240620-v1:0": _anthropic_body(),
    "amazon.titan-text-express-v1": json.dumps({"inputText": "hello titan",
                                                "textGenerationConfig": {"maxTokenCount": 64}}),
    "amazon.nova-micro-v1:0": json.dumps({"system": [{"text": "be brief"}], "inferenceConfig": {"maxTokens": 64},
                                          "messages": [{"role": "user", "content": [{"text": "hello nova"}]}]}),
    "meta.llama3-8b-instruct-v1:0": json.dumps({"prompt": "hello llama", "max_gen_len": 64}),
}


def _reply_text(model: str, payload: dict[str, Any]) -> str:
    if "anthropic" in model:
        return payload["content"][0]["text"]
    if "titan" in model:
        return payload["results"][0]["outputText"]
    if "nova" in model:
        return payload["output"]["message"]["content"][0]["text"]
    return payload["generation"]


@pytest.mark.parametrize("model", BODIES)
def test_invoke_model_body_is_recorded_and_still_readable(memory: Any, standin: BedrockStandin, model: str) -> None:
    client = _client(standin)
    data = client.invoke_model(modelId=model, body=BODIES[model])["body"].read()
    payload = json.loads(data)
    assert data == json.dumps(payload).encode()  # every byte the stand-in sent, as sent
    lines = list(client.invoke_model(modelId=model, body=BODIES[model])["body"].iter_lines())
    assert len(lines) == 1 and json.loads(lines[0]).keys() == payload.keys()  # iter_lines() reads it all too
    a = _spans(memory)[f"chat {model}"].attributes
    assert a[sc.GEN_AI_PROVIDER_NAME] == "aws.bedrock"
    assert a[sc.OUTPUT_VALUE] == _reply_text(model, payload)
    assert "hello" in a[_in(1 if "system" in BODIES[model] else 0, sc.MESSAGE_CONTENT)]
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] > 0 and a[sc.LLM_TOKEN_COUNT_COMPLETION] > 0
    assert "64" in a[sc.LLM_INVOCATION_PARAMETERS]


@pytest.mark.parametrize("model", BODIES)
def test_invoke_model_with_response_stream(memory: Any, standin: BedrockStandin, model: str) -> None:
    client = _client(standin)
    plain = json.loads(client.invoke_model(modelId=model, body=BODIES[model])["body"].read())
    memory.clear()
    events = list(client.invoke_model_with_response_stream(modelId=model, body=BODIES[model])["body"])
    assert all(set(e) == {"chunk"} for e in events)
    span = _spans(memory)[f"chat {model}"]
    a = span.attributes
    assert span.status.is_ok
    assert a[sc.OUTPUT_VALUE] == _reply_text(model, plain)
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS]
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] > 0 and a[sc.LLM_TOKEN_COUNT_COMPLETION] > 0
    assert a[sc.NEATLOGS_FIRST_CHUNK_MS] > 0


def test_invoke_anthropic_tool_use_streamed_and_cache_tokens(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    body = _anthropic_body(tools=[{"name": "lookup", "input_schema": {"type": "object"}}])
    list(client.invoke_model_with_response_stream(modelId="anthropic.claude-tools", body=body)["body"])
    a = _spans(memory)["chat anthropic.claude-tools"].attributes
    call = _out(f"{sc.MESSAGE_TOOL_CALLS}.0.")
    assert a[call + sc.TOOL_CALL_FUNCTION_NAME] == "lookup"
    assert json.loads(a[call + sc.TOOL_CALL_FUNCTION_ARGUMENTS]) == {}  # the tool declares no properties
    assert a[sc.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_use",)
    assert a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_READ] == 2 and a[sc.LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE] == 1


def test_embedding_model_and_a_file_like_body(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    body = io.BytesIO(json.dumps({"inputText": "embed me"}).encode())
    vector = json.loads(client.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)["body"].read())
    assert vector["embedding"]
    assert json.loads(standin.requests[-1]["body"]) == {"inputText": "embed me"}  # the body still went out
    span = _spans(memory)["embeddings amazon.titan-embed-text-v2:0"]
    a = span.attributes
    assert a[sc.OPENINFERENCE_SPAN_KIND] == "EMBEDDING"
    assert a[sc.GEN_AI_OPERATION_NAME] == "embeddings"
    assert a[f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}"] == "embed me"
    assert a[sc.LLM_TOKEN_COUNT_PROMPT] == vector["inputTextTokenCount"]


def test_api_error_is_recorded_and_reraised_unchanged(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        client.converse(modelId="error-429", messages=USER)
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    with pytest.raises(client.exceptions.ValidationException):
        client.invoke_model_with_response_stream(modelId="error-400", body=_anthropic_body())
    spans = _spans(memory)
    for name, error in (("chat error-429", "ThrottlingException"), ("chat error-400", "ValidationException")):
        assert not spans[name].status.is_ok
        assert spans[name].attributes[sc.ERROR_TYPE] == error
        assert spans[name].events[0].name == "exception"


def test_a_body_that_fails_to_read_fails_the_program_as_before(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    response = client.invoke_model(modelId="anthropic.truncated", body=_anthropic_body())
    from botocore.exceptions import ResponseStreamingError

    with pytest.raises(ResponseStreamingError) as caught:
        response["body"].read()  # the program meets the read's failure, where it always did
    span = _spans(memory)["chat anthropic.truncated"]
    assert not span.status.is_ok
    assert span.attributes[sc.ERROR_TYPE] == type(caught.value).__qualname__


def test_read_timeout_mid_stream_and_a_dropped_stream(memory: Any, standin: BedrockStandin) -> None:
    import urllib3

    slow = _client(standin, read_timeout=0.02)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        for _ in slow.converse_stream(modelId="slow-model", messages=USER)["stream"]:
            pass
    stream = _client(standin).converse_stream(modelId="dropped", messages=USER)["stream"]
    next(iter(stream))
    del stream
    gc.collect()
    spans = _spans(memory)
    assert spans["chat slow-model"].attributes[sc.ERROR_TYPE] == "ReadTimeoutError"
    assert spans["chat dropped"].attributes[sc.NEATLOGS_STREAM_INCOMPLETE] is True


def test_other_aws_calls_are_untouched_and_patching_is_undone(memory: Any, standin: BedrockStandin) -> None:
    from botocore.client import BaseClient

    from neatlogs.instrumentation import bedrock as instrumentation

    made_before = _client(standin)  # a client made before instrument() runs again is traced too
    s3 = _client(standin, "s3")
    with pytest.raises(s3.exceptions.ClientError):
        s3.list_buckets()  # the stand-in knows no S3: an error, and no span
    instrumentation.instrument(__import__("botocore"))  # a second time: still one span per call
    made_before.converse(modelId="once", messages=USER)
    instrumentation.uninstrument()
    assert not hasattr(BaseClient._make_api_call, "__neatlogs_original__")
    made_before.converse(modelId="untraced", messages=USER)
    assert [s.name for s in memory.get_finished_spans()] == ["chat once"]


_VOLATILE = {"x-amz-date", "authorization", "amz-sdk-invocation-id", "content-length"}
"""Headers that differ between any two requests (the time, the signature over it, a fresh id)."""


def test_requests_carry_the_same_headers_traced_and_untraced(standin: BedrockStandin) -> None:
    from neatlogs.instrumentation import bedrock as instrumentation

    def sent(call: Any) -> dict[str, str]:
        call()
        return {k.lower(): v for k, v in standin.requests[-1]["headers"].items()}

    client = _client(standin)
    calls = [lambda: client.converse(modelId="headers", messages=USER),
             lambda: list(client.converse_stream(modelId="headers", messages=USER)["stream"]),
             lambda: client.invoke_model(modelId="anthropic.headers", body=_anthropic_body())["body"].read()]
    untraced = [sent(call) for call in calls]
    _testing.init_in_memory(instrumentations=["bedrock"])
    traced = [sent(call) for call in calls]
    instrumentation.uninstrument()
    for before, after in zip(untraced, traced):
        assert set(before) == set(after)
        assert {k: v for k, v in before.items() if k not in _VOLATILE} == {
            k: v for k, v in after.items() if k not in _VOLATILE}


def test_content_off_records_no_content(memory: Any, standin: BedrockStandin) -> None:
    import neatlogs

    neatlogs.init(capture_content=False)
    client = _client(standin)
    client.converse(modelId="quiet", system=[{"text": "be brief"}], messages=USER)
    list(client.invoke_model_with_response_stream(modelId="anthropic.quiet", body=_anthropic_body())["body"])
    for span in _spans(memory).values():
        a = span.attributes
        assert not [k for k in a if k in (sc.INPUT_VALUE, sc.OUTPUT_VALUE) or k.endswith(sc.MESSAGE_CONTENT)]
        assert a[sc.LLM_TOKEN_COUNT_PROMPT] > 0


def test_converse_tool_call_arguments_fit_the_tools_schema_plain_and_streamed(memory: Any,
                                                                               standin: BedrockStandin) -> None:
    client = _client(standin)
    config = {"tools": [{"toolSpec": {"name": "forecast", "inputSchema": {"json": FORECAST}}}]}
    reply = client.converse(modelId="tool-plain", messages=USER, toolConfig=config)
    use = reply["output"]["message"]["content"][0]["toolUse"]
    assert use["name"] == "forecast"
    assert_fits(use["input"])
    events = client.converse_stream(modelId="tool-stream", messages=USER, toolConfig=config)["stream"]
    pieces = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events
              if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert_fits(json.loads("".join(pieces)))


def test_invoke_anthropic_tool_use_input_fits_the_tools_schema(memory: Any, standin: BedrockStandin) -> None:
    client = _client(standin)
    body = _anthropic_body(tools=[{"name": "forecast", "input_schema": FORECAST}])
    reply = json.loads(client.invoke_model(modelId="anthropic.claude-tools", body=body)["body"].read())
    [block] = reply["content"]
    assert block["type"] == "tool_use" and block["name"] == "forecast"
    assert_fits(block["input"])
