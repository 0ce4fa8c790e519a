"""``NeatlogsTraceConfig``: neatlogs' content policy as the ``mask`` of OpenInference's tracer.

Every attribute an adopted instrumentor sets passes through ``mask(key, value)``: structural
keys are kept, everything else is content (dropped with capture off; masked, truncated and
repaired with it on), embedding vectors are never recorded.
"""

from __future__ import annotations

import pytest

pytest.importorskip("openinference.instrumentation", reason="no adopted instrumentor is installed")

from neatlogs import _testing  # noqa: E402
from neatlogs import semconv as sc  # noqa: E402
from neatlogs.instrumentation._adopted.content import NeatlogsTraceConfig, is_content  # noqa: E402

STRUCTURAL = {
    sc.OPENINFERENCE_SPAN_KIND: "LLM",
    sc.LLM_MODEL_NAME: "gpt-4o-mini",
    sc.LLM_TOKEN_COUNT_TOTAL: 12,
    "llm.token_count.prompt_details.audio": 0,
    f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_ROLE}": "user",
    f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_NAME}": "lookup",
    f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_ID}": "call_0",
    f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_ID}": "doc-1",
    f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_SCORE}": 0.5,
    sc.TOOL_NAME: "lookup",
    sc.GRAPH_NODE_ID: "Support agent",
    f"{sc.LLM_TOOLS}.0.tool.json_schema": '{"type": "function"}',
}
CONTENT = {
    sc.INPUT_VALUE: "my secret question",
    sc.OUTPUT_VALUE: "my secret answer",
    f"{sc.LLM_INPUT_MESSAGES}.0.{sc.MESSAGE_CONTENT}": "my secret question",
    f"{sc.LLM_OUTPUT_MESSAGES}.0.{sc.MESSAGE_TOOL_CALLS}.0.{sc.TOOL_CALL_FUNCTION_ARGUMENTS}": '{"q": "secret"}',
    f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_CONTENT}": "a secret document",
    f"{sc.RETRIEVAL_DOCUMENTS}.0.{sc.DOCUMENT_METADATA}": '{"file": "secret.txt"}',
    f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_TEXT}": "secret text",
    sc.LLM_PROMPT_TEMPLATE_VARIABLES: '{"name": "secret"}',
    "crew_inputs": '{"question": "secret"}',  # a framework's own key: content unless known otherwise
}
VECTOR = f"{sc.EMBEDDING_EMBEDDINGS}.0.{sc.EMBEDDING_VECTOR}"


def _masked(config: NeatlogsTraceConfig, attributes: dict) -> dict:
    kept = {key: config.mask(key, value) for key, value in attributes.items()}
    return {key: value for key, value in kept.items() if value is not None}


def test_the_rule_knows_structure_from_content():
    assert not any(is_content(key) for key in STRUCTURAL)
    assert all(is_content(key) for key in CONTENT)


def test_capture_off_keeps_only_structure_and_never_a_vector():
    _testing.init_in_memory(capture_content=False)
    config = NeatlogsTraceConfig()
    assert _masked(config, {**STRUCTURAL, **CONTENT, VECTOR: (0.1, 0.2)}) == STRUCTURAL


def test_capture_on_masks_content_only_and_cuts_and_repairs_text():
    _testing.init_in_memory(mask=lambda v: v.replace("secret", "[x]") if isinstance(v, str) else v,
                            max_value_chars=1000)
    config = NeatlogsTraceConfig()
    kept = _masked(config, {**STRUCTURAL, **CONTENT, VECTOR: (0.1, 0.2), sc.TOOL_DESCRIPTION: "finds secret orders"})
    assert kept[sc.INPUT_VALUE] == "my [x] question" and kept["crew_inputs"] == '{"question": "[x]"}'
    assert kept[sc.TOOL_DESCRIPTION] == "finds secret orders"  # structural: the program's own words, unmasked
    assert VECTOR not in kept
    long = config.mask(sc.OUTPUT_VALUE, "y" * 1500)
    assert long.startswith("y" * 1000) and long.endswith("[neatlogs: truncated 500 chars]")
    assert config.mask(sc.LLM_INVOCATION_PARAMETERS, "z" * 1500).endswith("[neatlogs: truncated 500 chars]")
    assert config.mask(sc.OUTPUT_VALUE, "half \ud83d emoji") == "half \ufffd emoji"
    assert config.mask(sc.INPUT_VALUE, lambda: "lazy secret") == "lazy [x]"  # OpenInference's lazy values


def test_a_failing_mask_drops_the_value_rather_than_leak_it():
    def broken(value):
        raise RuntimeError("mask bug")

    _testing.init_in_memory(mask=broken)
    config = NeatlogsTraceConfig()
    assert config.mask(sc.INPUT_VALUE, "my secret question") is None
    assert config.mask(sc.LLM_MODEL_NAME, "gpt-4o-mini") == "gpt-4o-mini"


def test_a_later_init_changes_the_policy_of_a_config_made_before_it():
    _testing.init_in_memory()
    config = NeatlogsTraceConfig()
    assert config.mask(sc.INPUT_VALUE, "hello") == "hello"
    import neatlogs

    neatlogs.init(capture_content=False)
    assert config.mask(sc.INPUT_VALUE, "hello") is None
