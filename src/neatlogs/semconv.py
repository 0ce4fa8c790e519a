"""Every span attribute key neatlogs reads or writes, and nothing else.

OpenInference keys come first (Phoenix and Arize read them); the OpenTelemetry GenAI
keys sit beside them. We keep our own copies of the ``gen_ai.*`` keys because the
OpenTelemetry semconv package marks them deprecated.

Versions cited: "OpenInference" is openinference-semantic-conventions 0.1.42
(https://github.com/Arize-ai/openinference, ``semconv/trace``); "GenAI" is the
OpenTelemetry GenAI conventions in https://github.com/open-telemetry/semantic-conventions-genai
as of 2026-10 (registry ``docs/registry/attributes/gen-ai.md``; message schemas
``model/gen-ai/gen-ai-input-messages.json`` @7568a24, ``gen-ai-output-messages.json`` @ae14c02,
``gen-ai-system-instructions.json`` @16c5f01; first released with semantic-conventions v1.37).
Keys in neither spec are ``neatlogs.*``; keys written by earlier neatlogs versions and only
read now are marked "legacy".
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; annotations only
    from typing import Final

__all__ = [
    "PYDANTIC_AI_FINAL_RESULT",
    "PYDANTIC_AI_MODEL_REQUEST_PARAMETERS",
    "PYDANTIC_AI_ALL_MESSAGES",
    "NEATLOGS_MCP_SERVER_NAME",
    "MCP_PROTOCOL_VERSION",
    "MCP_METHOD_NAME",
    "GEN_AI_TOOL_CALL_ID",
    "GEN_AI_OPERATION_KINDS",
    "EXPLICIT_CONTENT_KEYS",
    "EXPLICIT_CONTENT_PREFIXES",
    "GEN_AI_CONTENT_KEYS",
    "AGENT_NAME",
    "ALL_KEYS",
    "DOCUMENT_CONTENT",
    "DOCUMENT_ID",
    "DOCUMENT_METADATA",
    "DOCUMENT_SCORE",
    "EMBEDDING_EMBEDDINGS",
    "EMBEDDING_MODEL_NAME",
    "EMBEDDING_TEXT",
    "EMBEDDING_VECTOR",
    "ERROR_TYPE",
    "EXCEPTION_EVENT",
    "GEN_AI_AGENT_ID",
    "GEN_AI_AGENT_NAME",
    "GEN_AI_CHOICE_EVENT",
    "GEN_AI_CONVERSATION_ID",
    "GEN_AI_EVENT_FIELDS",
    "GEN_AI_INPUT_MESSAGES",
    "GEN_AI_MESSAGE_EVENTS",
    "GEN_AI_OPERATION_NAME",
    "GEN_AI_OUTPUT_MESSAGES",
    "GEN_AI_PROVIDER_NAME",
    "GEN_AI_REQUEST_CHOICE_COUNT",
    "GEN_AI_REQUEST_FREQUENCY_PENALTY",
    "GEN_AI_REQUEST_MAX_TOKENS",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_REQUEST_PRESENCE_PENALTY",
    "GEN_AI_REQUEST_SEED",
    "GEN_AI_REQUEST_STOP_SEQUENCES",
    "GEN_AI_REQUEST_TEMPERATURE",
    "GEN_AI_REQUEST_TOP_K",
    "GEN_AI_REQUEST_TOP_P",
    "GEN_AI_RESPONSE_FINISH_REASONS",
    "GEN_AI_RESPONSE_ID",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_SYSTEM_INSTRUCTIONS",
    "GEN_AI_TOOL_CALL_ARGUMENTS",
    "GEN_AI_TOOL_CALL_RESULT",
    "GEN_AI_TOOL_NAME",
    "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS",
    "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS",
    "GEN_AI_USAGE_COST",
    "GEN_AI_USAGE_INPUT_TOKENS",
    "GEN_AI_USAGE_OUTPUT_TOKENS",
    "GRAPH_NODE_ID",
    "GRAPH_NODE_PARENT_ID",
    "INPUT_MIME_TYPE",
    "INPUT_VALUE",
    "LLM_COST_COMPLETION",
    "LLM_COST_PROMPT",
    "LLM_COST_TOTAL",
    "LLM_FINISH_REASONS",
    "LLM_INPUT_MESSAGES",
    "LLM_INVOCATION_PARAMETERS",
    "LLM_MODEL_NAME",
    "LLM_OUTPUT_MESSAGES",
    "LLM_PROMPT_TEMPLATE",
    "LLM_PROMPT_TEMPLATE_VARIABLES",
    "LLM_PROMPT_TEMPLATE_VERSION",
    "LLM_PROVIDER",
    "LLM_SYSTEM",
    "LLM_TOKEN_COUNT_COMPLETION",
    "LLM_TOKEN_COUNT_COMPLETION_REASONING",
    "LLM_TOKEN_COUNT_PROMPT",
    "LLM_TOKEN_COUNT_PROMPT_CACHE_READ",
    "LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE",
    "LLM_TOKEN_COUNT_TOTAL",
    "LLM_TOOLS",
    "LLM_USER_PROMPT_TEMPLATE",
    "LLM_USER_PROMPT_TEMPLATE_VARIABLES",
    "LLM_USER_PROMPT_TEMPLATE_VERSION",
    "LOG_BODY",
    "LOG_DATA_PREFIX",
    "LOG_EVENT",
    "LOG_LEVEL",
    "LOG_TEMPLATE",
    "MESSAGE_CONTENT",
    "MESSAGE_ROLE",
    "MESSAGE_TOOL_CALLS",
    "MESSAGE_TOOL_CALL_ID",
    "METADATA",
    "MIME_JSON",
    "MIME_TEXT",
    "NEATLOGS_AGENT_GOAL",
    "NEATLOGS_AGENT_HANDOFFS",
    "NEATLOGS_AGENT_ROLE",
    "NEATLOGS_AGENT_TOOLS",
    "NEATLOGS_DESCRIPTION",
    "NEATLOGS_END_USER_METADATA",
    "NEATLOGS_FIRST_CHUNK_MS",
    "NEATLOGS_GUARDRAIL_TRIGGERED",
    "NEATLOGS_HANDOFF_FROM",
    "NEATLOGS_HANDOFF_TO",
    "NEATLOGS_PII_ENABLED",
    "NEATLOGS_PII_ENTITIES",
    "NEATLOGS_PII_SPAN_TYPES",
    "NEATLOGS_REASONING_REDACTED_BLOCKS",
    "NEATLOGS_REASONING_TEXT",
    "NEATLOGS_RERANKER_INPUT_DOCUMENTS",
    "NEATLOGS_RERANKER_MODEL_NAME",
    "NEATLOGS_RERANKER_OUTPUT_DOCUMENTS",
    "NEATLOGS_RERANKER_QUERY",
    "NEATLOGS_RERANKER_TOP_K",
    "NEATLOGS_RETRIEVAL_DOCUMENTS",
    "NEATLOGS_RETRIEVAL_QUERY",
    "NEATLOGS_RETRIEVAL_TOP_K",
    "NEATLOGS_STDOUT",
    "NEATLOGS_STREAM_INCOMPLETE",
    "NEATLOGS_USER_PROMPT_TEMPLATE",
    "NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES",
    "NEATLOGS_USER_PROMPT_TEMPLATE_VERSION",
    "NEATLOGS_VERSION",
    "NEATLOGS_WORKFLOW_NAME",
    "NEATLOGS_WORKFLOW_PREFIX",
    "OPENAI_API_TYPE",
    "OPENINFERENCE_SPAN_KIND",
    "OUTPUT_MIME_TYPE",
    "OUTPUT_VALUE",
    "RERANKER_INPUT_DOCUMENTS",
    "RERANKER_MODEL_NAME",
    "RERANKER_OUTPUT_DOCUMENTS",
    "RERANKER_QUERY",
    "RERANKER_TOP_K",
    "RETRIEVAL_DOCUMENTS",
    "RETRIEVAL_QUERY",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "SERVICE_NAME",
    "SESSION_ID",
    "SPAN_KINDS",
    "TAG_TAGS",
    "TOOL_CALL_FUNCTION_ARGUMENTS",
    "TOOL_CALL_FUNCTION_NAME",
    "TOOL_CALL_ID",
    "TOOL_DESCRIPTION",
    "TOOL_JSON_SCHEMA",
    "TOOL_NAME",
    "TOOL_PARAMETERS",
    "USER_ID",
]

# --- OpenInference: span kind --------------------------------------------------
OPENINFERENCE_SPAN_KIND: Final[str] = "openinference.span.kind"
"""Upper-case kind of the span: AGENT, LLM, TOOL, ... (OpenInference)."""

SPAN_KINDS: Final[frozenset[str]] = frozenset(
    {
        "WORKFLOW",
        "AGENT",
        "CHAIN",
        "LLM",
        "TOOL",
        "RETRIEVER",
        "EMBEDDING",
        "RERANKER",
        "GUARDRAIL",
        "EVALUATOR",
    }
)
"""The values ``openinference.span.kind`` may take."""

# --- sessions, users, tags ------------------------------------------------------
SESSION_ID: Final[str] = "session.id"
"""The conversation a span belongs to (OpenInference)."""

GEN_AI_CONVERSATION_ID: Final[str] = "gen_ai.conversation.id"
"""The same session id under the OpenTelemetry GenAI name."""

USER_ID: Final[str] = "user.id"
"""The end user the span was made for (OpenInference)."""

TAG_TAGS: Final[str] = "tag.tags"
"""A list of free-form tags (OpenInference)."""

METADATA: Final[str] = "metadata"
"""Free-form metadata as a JSON object string (OpenInference)."""

# --- workflow ---------------------------------------------------------------------
SERVICE_NAME: Final[str] = "service.name"
"""Resource attribute: the workflow name (OpenTelemetry general conventions)."""

NEATLOGS_WORKFLOW_NAME: Final[str] = "neatlogs.workflow_name"
"""The workflow name, also stamped on each span (neatlogs)."""

# --- input / output ---------------------------------------------------------------
INPUT_VALUE: Final[str] = "input.value"
"""What the span was given (JSON or text) (OpenInference)."""

INPUT_MIME_TYPE: Final[str] = "input.mime_type"
"""``application/json`` or ``text/plain`` for ``input.value`` (OpenInference)."""

OUTPUT_VALUE: Final[str] = "output.value"
"""What the span produced (JSON or text) (OpenInference)."""

OUTPUT_MIME_TYPE: Final[str] = "output.mime_type"
"""``application/json`` or ``text/plain`` for ``output.value`` (OpenInference)."""

MIME_JSON: Final[str] = "application/json"
"""Mime type value for JSON payloads (a value, not a key) (OpenInference)."""

MIME_TEXT: Final[str] = "text/plain"
"""Mime type value for plain text payloads (a value, not a key) (OpenInference)."""

# --- model --------------------------------------------------------------------------
LLM_MODEL_NAME: Final[str] = "llm.model_name"
"""Model name (OpenInference)."""

LLM_PROVIDER: Final[str] = "llm.provider"
"""Hosting provider, e.g. ``openai`` (OpenInference)."""

LLM_SYSTEM: Final[str] = "llm.system"
"""Model family / API, e.g. ``openai`` (OpenInference)."""

LLM_INVOCATION_PARAMETERS: Final[str] = "llm.invocation_parameters"
"""Request parameters other than the messages, as JSON (OpenInference)."""

GEN_AI_REQUEST_MODEL: Final[str] = "gen_ai.request.model"
"""The model the request asked for (GenAI)."""

GEN_AI_RESPONSE_MODEL: Final[str] = "gen_ai.response.model"
"""The model that answered (GenAI)."""

GEN_AI_PROVIDER_NAME: Final[str] = "gen_ai.provider.name"
"""Provider under the GenAI name."""

GEN_AI_OPERATION_NAME: Final[str] = "gen_ai.operation.name"
"""``chat`` (the Responses API too), ``text_completion``, ``generate_content``, ``embeddings`` (GenAI)."""

GEN_AI_RESPONSE_ID: Final[str] = "gen_ai.response.id"
"""The id the API gave its response (GenAI)."""

GEN_AI_RESPONSE_FINISH_REASONS: Final[str] = "gen_ai.response.finish_reasons"
"""List of finish reasons, one per choice (GenAI)."""

LLM_FINISH_REASONS: Final[str] = "llm.finish_reasons"
"""Legacy: finish reasons as written before (in neither spec); now only ``gen_ai.response.finish_reasons``."""

OPENAI_API_TYPE: Final[str] = "openai.api.type"
"""Which OpenAI API a ``chat`` call used: ``responses`` (GenAI, openai.md)."""

# gen_ai.request.*: the request's sampling settings (GenAI registry, gen-ai.md).
GEN_AI_REQUEST_TEMPERATURE: Final[str] = "gen_ai.request.temperature"
"""The temperature setting (GenAI)."""

GEN_AI_REQUEST_MAX_TOKENS: Final[str] = "gen_ai.request.max_tokens"
"""The most tokens the model may generate (GenAI)."""

GEN_AI_REQUEST_TOP_P: Final[str] = "gen_ai.request.top_p"
"""The top_p sampling setting (GenAI)."""

GEN_AI_REQUEST_TOP_K: Final[str] = "gen_ai.request.top_k"
"""The top_k sampling setting (GenAI)."""

GEN_AI_REQUEST_STOP_SEQUENCES: Final[str] = "gen_ai.request.stop_sequences"
"""Sequences that stop generation, a list (GenAI)."""

GEN_AI_REQUEST_FREQUENCY_PENALTY: Final[str] = "gen_ai.request.frequency_penalty"
"""The frequency penalty setting (GenAI)."""

GEN_AI_REQUEST_PRESENCE_PENALTY: Final[str] = "gen_ai.request.presence_penalty"
"""The presence penalty setting (GenAI)."""

GEN_AI_REQUEST_SEED: Final[str] = "gen_ai.request.seed"
"""The request's seed (GenAI)."""

GEN_AI_REQUEST_CHOICE_COUNT: Final[str] = "gen_ai.request.choice.count"
"""How many candidate completions were asked for, when not 1 (GenAI)."""

# --- messages -----------------------------------------------------------------------
LLM_INPUT_MESSAGES: Final[str] = "llm.input_messages"
"""Prefix of the flattened input messages: ``llm.input_messages.{i}.message.*`` (OpenInference)."""

LLM_OUTPUT_MESSAGES: Final[str] = "llm.output_messages"
"""Prefix of the flattened output messages (OpenInference)."""

MESSAGE_ROLE: Final[str] = "message.role"
"""Suffix: a message's role (OpenInference)."""

MESSAGE_CONTENT: Final[str] = "message.content"
"""Suffix: a message's text (OpenInference)."""

MESSAGE_TOOL_CALLS: Final[str] = "message.tool_calls"
"""Suffix prefix of a message's tool calls (OpenInference)."""

MESSAGE_TOOL_CALL_ID: Final[str] = "message.tool_call_id"
"""Suffix: the tool call a tool message answers (OpenInference)."""

TOOL_CALL_ID: Final[str] = "tool_call.id"
"""Suffix: a tool call's id (OpenInference)."""

TOOL_CALL_FUNCTION_NAME: Final[str] = "tool_call.function.name"
"""Suffix: the called function's name (OpenInference)."""

TOOL_CALL_FUNCTION_ARGUMENTS: Final[str] = "tool_call.function.arguments"
"""Suffix: the called function's arguments (JSON text) (OpenInference)."""

# GenAI messages, spec v1.37+ (semantic-conventions-genai, gen-ai-spans.md "Content"):
# JSON lists of {role, parts: [{type: "text", content} | {type: "tool_call", id, name,
# arguments} | {type: "tool_call_response", id, response}], finish_reason?}.
GEN_AI_INPUT_MESSAGES: Final[str] = "gen_ai.input.messages"
"""The request's chat messages as JSON, ``gen-ai-input-messages.json`` (GenAI; content capture on only)."""

GEN_AI_OUTPUT_MESSAGES: Final[str] = "gen_ai.output.messages"
"""The model's reply messages as JSON, ``gen-ai-output-messages.json`` (GenAI; content capture on only)."""

GEN_AI_SYSTEM_INSTRUCTIONS: Final[str] = "gen_ai.system_instructions"
"""A system prompt given apart from the chat history, JSON parts, ``gen-ai-system-instructions.json`` (GenAI)."""

GEN_AI_MESSAGE_EVENTS: Final[dict[str, str]] = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
"""Event names of the older GenAI message events (spec v1.28-1.36, gen-ai-events.md) and their role."""

GEN_AI_CHOICE_EVENT: Final[str] = "gen_ai.choice"
"""Event name of a reply under the older GenAI events (an event name, not a key)."""

GEN_AI_EVENT_FIELDS: Final[tuple[str, ...]] = ("content", "role", "tool_calls", "id", "message", "body")
"""Body fields of the older GenAI events, as span event attributes (gen-ai-events.md)."""

# GenAI agent and tool spans (semantic-conventions-genai, gen-ai-agent-spans.md and
# gen-ai-spans.md "Execute tool span", registry/attributes/gen-ai.md, 2026); the agent and
# tool name, arguments and result keys are in the tokens section below.
GEN_AI_TOOL_CALL_ID: Final[str] = "gen_ai.tool.call.id"
"""The id of the tool call an ``execute_tool`` span answers (GenAI registry)."""

GEN_AI_OPERATION_KINDS: Final[dict[str, str]] = {
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
    "invoke_workflow": "WORKFLOW",
    "execute_tool": "TOOL",
    "chat": "LLM",
    "text_completion": "LLM",
    "generate_content": "LLM",
    "embeddings": "EMBEDDING",
    "retrieval": "RETRIEVER",
}
"""``gen_ai.operation.name`` well-known values (gen-ai-agent-spans.md) and the OpenInference kind each is."""

# pydantic-ai's own keys on its agent-run span (pydantic_ai/_instrumentation.py, InstrumentationSettings v2+):
PYDANTIC_AI_ALL_MESSAGES: Final[str] = "pydantic_ai.all_messages"
"""pydantic-ai: the run's whole conversation, GenAI JSON messages, on its ``invoke_agent`` span."""

PYDANTIC_AI_FINAL_RESULT: Final[str] = "final_result"
"""pydantic-ai: the run's output on its ``invoke_agent`` span (its own unprefixed key)."""

PYDANTIC_AI_MODEL_REQUEST_PARAMETERS: Final[str] = "model_request_parameters"
"""pydantic-ai: a ``chat`` span's request parameters, JSON, the agent's instructions among them (unprefixed)."""

# MCP (semantic-conventions-genai, gen-ai/mcp.md "Client"; registry/attributes/mcp.md):
MCP_METHOD_NAME: Final[str] = "mcp.method.name"
"""The MCP request's method, e.g. ``tools/call`` (MCP conventions)."""

MCP_PROTOCOL_VERSION: Final[str] = "mcp.protocol.version"
"""The MCP protocol version the session negotiated (MCP conventions)."""

NEATLOGS_MCP_SERVER_NAME: Final[str] = "neatlogs.mcp.server.name"
"""The MCP server's name from its initialize result (``serverInfo.name``; the spec has no key for it)."""

# --- tokens -------------------------------------------------------------------------
LLM_TOKEN_COUNT_PROMPT: Final[str] = "llm.token_count.prompt"
"""Input tokens (OpenInference)."""

LLM_TOKEN_COUNT_COMPLETION: Final[str] = "llm.token_count.completion"
"""Output tokens (OpenInference)."""

LLM_TOKEN_COUNT_TOTAL: Final[str] = "llm.token_count.total"
"""Input plus output tokens (OpenInference)."""

LLM_TOKEN_COUNT_PROMPT_CACHE_READ: Final[str] = "llm.token_count.prompt_details.cache_read"
"""Input tokens served from the provider's cache (OpenInference)."""

LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE: Final[str] = "llm.token_count.prompt_details.cache_write"
"""Input tokens written to the provider's cache (OpenInference; Anthropic's cache creation)."""

LLM_TOKEN_COUNT_COMPLETION_REASONING: Final[str] = "llm.token_count.completion_details.reasoning"
"""Output tokens spent on reasoning (OpenInference)."""

GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final[str] = "gen_ai.usage.cache_read.input_tokens"
"""Input tokens served from the provider's cache; included in ``gen_ai.usage.input_tokens`` (GenAI registry)."""

GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final[str] = "gen_ai.usage.cache_creation.input_tokens"
"""Input tokens written to the provider's cache; included in ``gen_ai.usage.input_tokens`` (GenAI registry)."""

# --- cost ---------------------------------------------------------------------------
LLM_COST_TOTAL: Final[str] = "llm.cost.total"
"""The call's cost in USD as the instrumentation priced it (OpenInference semantic conventions, llm.cost.*)."""

LLM_COST_PROMPT: Final[str] = "llm.cost.prompt"
"""The cost in USD of the call's input tokens (OpenInference semantic conventions, llm.cost.*)."""

LLM_COST_COMPLETION: Final[str] = "llm.cost.completion"
"""The cost in USD of the call's output tokens (OpenInference semantic conventions, llm.cost.*)."""

GEN_AI_USAGE_COST: Final[str] = "gen_ai.usage.cost"
"""The call's cost in USD, as some GenAI emitters record it (not in the GenAI registry as of semconv 1.37)."""

GEN_AI_AGENT_NAME: Final[str] = "gen_ai.agent.name"
"""The agent's name (GenAI registry)."""

GEN_AI_AGENT_ID: Final[str] = "gen_ai.agent.id"
"""The id of a remote agent a call runs (GenAI registry; Mistral's ``agents.complete``)."""

GEN_AI_TOOL_NAME: Final[str] = "gen_ai.tool.name"
"""The tool's name (GenAI registry)."""

GEN_AI_TOOL_CALL_ARGUMENTS: Final[str] = "gen_ai.tool.call.arguments"
"""The arguments a tool was called with, JSON (GenAI registry; opt-in content)."""

GEN_AI_TOOL_CALL_RESULT: Final[str] = "gen_ai.tool.call.result"
"""What a tool returned (GenAI registry; opt-in content)."""

GEN_AI_CONTENT_KEYS: Final[frozenset[str]] = frozenset(
    {
        GEN_AI_INPUT_MESSAGES,
        GEN_AI_OUTPUT_MESSAGES,
        GEN_AI_SYSTEM_INSTRUCTIONS,
        GEN_AI_TOOL_CALL_ARGUMENTS,
        GEN_AI_TOOL_CALL_RESULT,
    }
)
"""The GenAI keys that hold captured content (all opt-in in the spec): the content policy covers them."""

GEN_AI_USAGE_INPUT_TOKENS: Final[str] = "gen_ai.usage.input_tokens"
"""Input tokens under the GenAI name."""

GEN_AI_USAGE_OUTPUT_TOKENS: Final[str] = "gen_ai.usage.output_tokens"
"""Output tokens under the GenAI name."""

# --- agents, tools, retrievers (OpenInference; neatlogs SDK names under neatlogs.*) ------
AGENT_NAME: Final[str] = "agent.name"
"""The agent's name (OpenInference; ``@span(kind="AGENT", role=...)``)."""

NEATLOGS_AGENT_ROLE: Final[str] = "neatlogs.agent.role"
"""The agent's role, as the neatlogs SDK's ``role=`` gives it."""

NEATLOGS_AGENT_GOAL: Final[str] = "neatlogs.agent.goal"
"""The agent's goal (``goal=``) (neatlogs)."""

NEATLOGS_AGENT_TOOLS: Final[str] = "neatlogs.agent.tools"
"""Names of the tools an agent run could call (OpenAI Agents SDK ``AgentSpanData.tools``, openai-agents 0.2+)."""

NEATLOGS_AGENT_HANDOFFS: Final[str] = "neatlogs.agent.handoffs"
"""Names of the agents an agent run could hand off to (Agents SDK ``AgentSpanData.handoffs``)."""

NEATLOGS_HANDOFF_FROM: Final[str] = "neatlogs.handoff.from_agent"
"""The agent a handoff left (Agents SDK ``HandoffSpanData.from_agent``)."""

NEATLOGS_HANDOFF_TO: Final[str] = "neatlogs.handoff.to_agent"
"""The agent a handoff went to (Agents SDK ``HandoffSpanData.to_agent``)."""

NEATLOGS_GUARDRAIL_TRIGGERED: Final[str] = "neatlogs.guardrail.triggered"
"""True when a guardrail's tripwire fired (Agents SDK ``GuardrailSpanData.triggered``)."""

TOOL_NAME: Final[str] = "tool.name"
"""The tool's name (OpenInference)."""

TOOL_DESCRIPTION: Final[str] = "tool.description"
"""The tool's description (OpenInference)."""

TOOL_PARAMETERS: Final[str] = "tool.parameters"
"""The tool's parameters schema, JSON (OpenInference)."""

LLM_TOOLS: Final[str] = "llm.tools"
"""Prefix of the tools a model call offered: ``llm.tools.{i}.tool.json_schema`` (OpenInference semconv 0.1.x)."""

TOOL_JSON_SCHEMA: Final[str] = "tool.json_schema"
"""Suffix: one offered tool's definition as JSON (OpenInference semconv 0.1.x, ``llm.tools``)."""

NEATLOGS_DESCRIPTION: Final[str] = "neatlogs.description"
"""A span's description, for kinds other than tools (``description=``) (neatlogs)."""

NEATLOGS_STDOUT: Final[str] = "neatlogs.stdout"
"""What the span's code printed to stdout (``capture_stdout=True``; content, under the policy) (neatlogs)."""

NEATLOGS_VERSION: Final[str] = "neatlogs.version"
"""A span's version (``version=``) (neatlogs)."""

RETRIEVAL_QUERY: Final[str] = "retrieval.query"
"""A retriever's query (the neatlogs SDK's key)."""

RETRIEVAL_DOCUMENTS: Final[str] = "retrieval.documents"
"""Prefix of a retriever's documents: ``retrieval.documents.{i}.document.*`` (OpenInference)."""

DOCUMENT_ID: Final[str] = "document.id"
"""Suffix: a document's id (OpenInference)."""

DOCUMENT_CONTENT: Final[str] = "document.content"
"""Suffix: a document's text (OpenInference)."""

DOCUMENT_SCORE: Final[str] = "document.score"
"""Suffix: a document's relevance score (OpenInference)."""

DOCUMENT_METADATA: Final[str] = "document.metadata"
"""Suffix: a document's metadata, JSON (OpenInference)."""

NEATLOGS_RETRIEVAL_QUERY: Final[str] = "neatlogs.retrieval.query"
"""A retriever's query, as programs written for the neatlogs SDK set it."""

NEATLOGS_RETRIEVAL_TOP_K: Final[str] = "neatlogs.retrieval.top_k"
"""How many documents a retriever was asked for (neatlogs SDK)."""

NEATLOGS_RETRIEVAL_DOCUMENTS: Final[str] = "neatlogs.retrieval.documents"
"""A retriever's documents, a JSON list of ``{id, content, score, metadata}`` (neatlogs SDK)."""

RERANKER_QUERY: Final[str] = "reranker.query"
"""A reranker's query (OpenInference)."""

RERANKER_MODEL_NAME: Final[str] = "reranker.model_name"
"""A reranker's model (OpenInference)."""

RERANKER_TOP_K: Final[str] = "reranker.top_k"
"""How many documents a reranker keeps (OpenInference)."""

RERANKER_INPUT_DOCUMENTS: Final[str] = "reranker.input_documents"
"""Prefix of a reranker's input documents: ``reranker.input_documents.{i}.document.*`` (OpenInference)."""

RERANKER_OUTPUT_DOCUMENTS: Final[str] = "reranker.output_documents"
"""Prefix of a reranker's output documents: ``reranker.output_documents.{i}.document.*`` (OpenInference)."""

NEATLOGS_RERANKER_QUERY: Final[str] = "neatlogs.reranker.query"
"""A reranker's query (neatlogs SDK)."""

NEATLOGS_RERANKER_TOP_K: Final[str] = "neatlogs.reranker.top_k"
"""How many documents a reranker keeps (neatlogs SDK)."""

NEATLOGS_RERANKER_MODEL_NAME: Final[str] = "neatlogs.reranker.model_name"
"""A reranker's model (neatlogs SDK)."""

NEATLOGS_RERANKER_INPUT_DOCUMENTS: Final[str] = "neatlogs.reranker.input_documents"
"""A reranker's input documents, a JSON list (neatlogs SDK)."""

NEATLOGS_RERANKER_OUTPUT_DOCUMENTS: Final[str] = "neatlogs.reranker.output_documents"
"""A reranker's output documents, a JSON list (neatlogs SDK)."""

EXPLICIT_CONTENT_KEYS: Final[frozenset[str]] = GEN_AI_CONTENT_KEYS | {
    INPUT_VALUE,
    OUTPUT_VALUE,
    RETRIEVAL_QUERY,
    RERANKER_QUERY,
    RERANKER_INPUT_DOCUMENTS,
    RERANKER_OUTPUT_DOCUMENTS,
    NEATLOGS_RETRIEVAL_QUERY,
    NEATLOGS_RETRIEVAL_DOCUMENTS,
    NEATLOGS_RERANKER_QUERY,
    NEATLOGS_RERANKER_INPUT_DOCUMENTS,
    NEATLOGS_RERANKER_OUTPUT_DOCUMENTS,
}
"""Keys holding content when a program sets them itself (``SpanHandle.set_attribute``): masked; off, left out."""

EXPLICIT_CONTENT_PREFIXES: Final[tuple[str, ...]] = (
    LLM_INPUT_MESSAGES + ".", LLM_OUTPUT_MESSAGES + ".", RETRIEVAL_DOCUMENTS + ".",
    RERANKER_INPUT_DOCUMENTS + ".", RERANKER_OUTPUT_DOCUMENTS + ".",
)
"""Flattened content keys (messages, documents) under the same rule as :data:`EXPLICIT_CONTENT_KEYS`."""

NEATLOGS_WORKFLOW_PREFIX: Final[str] = "neatlogs.workflow"
"""Prefix of the attributes ``neatlogs.wrap(client, **attributes)`` stamps on trace roots."""

NEATLOGS_END_USER_METADATA: Final[str] = "neatlogs.end_user.metadata"
"""The end user's metadata, JSON (``identify(end_user_metadata=...)``) (neatlogs)."""

GRAPH_NODE_ID: Final[str] = "graph.node.id"
"""The node of an agent graph a span ran as, e.g. a CrewAI agent's role (OpenInference semconv 0.1.42)."""

GRAPH_NODE_PARENT_ID: Final[str] = "graph.node.parent_id"
"""The graph node that handed work to this one (OpenInference semconv 0.1.42)."""

# --- neatlogs.log() records, span events named ``log`` --------------------------------
LOG_EVENT: Final[str] = "log"
"""Name of the span event a ``neatlogs.log()`` call adds."""

LOG_BODY: Final[str] = "log.body"
"""The record's text: its template filled with its data (the neatlogs SDK's key, in neither spec)."""

LOG_TEMPLATE: Final[str] = "log.template"
"""The record's template, unfilled (the neatlogs SDK's key, in neither spec)."""

LOG_LEVEL: Final[str] = "log.level"
"""The record's level: debug, info, warning, error (the neatlogs SDK's key, in neither spec)."""

LOG_DATA_PREFIX: Final[str] = "log.data"
"""Prefix of a record's data value whose key is one of the record's own (body, template, level,
data): ``log.data.<key>``; every other value is ``log.<key>``, as the neatlogs SDK records it
(its keys, in neither spec)."""

# --- neatlogs SDK resource attributes -------------------------------------------------
NEATLOGS_PII_ENABLED: Final[str] = "neatlogs.pii.enabled"
"""Resource: the program asks its backend to redact PII (``init(pii_enabled=True)``) (neatlogs)."""

NEATLOGS_PII_ENTITIES: Final[str] = "neatlogs.pii.entities"
"""Resource: the PII entity types to redact (neatlogs)."""

NEATLOGS_PII_SPAN_TYPES: Final[str] = "neatlogs.pii.span_types"
"""Resource: the span kinds to redact PII in (neatlogs)."""

# --- where the call went (OpenTelemetry general conventions) -------------------------
SERVER_ADDRESS: Final[str] = "server.address"
"""Host the model call was sent to, for endpoints no provider name covers (OpenTelemetry general conventions)."""

SERVER_PORT: Final[str] = "server.port"
"""Port the model call was sent to (OpenTelemetry general conventions)."""

# --- prompt templates ------------------------------------------------------------------
LLM_PROMPT_TEMPLATE: Final[str] = "llm.prompt_template.template"
"""The system prompt template text (a list template as JSON) (OpenInference)."""

LLM_PROMPT_TEMPLATE_VARIABLES: Final[str] = "llm.prompt_template.variables"
"""The variables the system template was compiled with, as JSON (OpenInference)."""

LLM_PROMPT_TEMPLATE_VERSION: Final[str] = "llm.prompt_template.version"
"""The system template's version label (OpenInference)."""

NEATLOGS_USER_PROMPT_TEMPLATE: Final[str] = "neatlogs.user_prompt_template.template"
"""The user prompt template text (neatlogs: OpenInference has only the system template)."""

NEATLOGS_USER_PROMPT_TEMPLATE_VARIABLES: Final[str] = "neatlogs.user_prompt_template.variables"
"""The variables the user template was compiled with, as JSON (neatlogs)."""

NEATLOGS_USER_PROMPT_TEMPLATE_VERSION: Final[str] = "neatlogs.user_prompt_template.version"
"""The user template's version label (neatlogs)."""

LLM_USER_PROMPT_TEMPLATE: Final[str] = "llm.user_prompt_template.template"
"""Legacy: the user template text as neatlogs wrote it before (in neither spec); read by the views."""

LLM_USER_PROMPT_TEMPLATE_VARIABLES: Final[str] = "llm.user_prompt_template.variables"
"""Legacy: the user template's variables, as written before; read by the views."""

LLM_USER_PROMPT_TEMPLATE_VERSION: Final[str] = "llm.user_prompt_template.version"
"""Legacy: the user template's version label, as written before; read by the views."""

# --- errors ---------------------------------------------------------------------------
ERROR_TYPE: Final[str] = "error.type"
"""Class name of the exception that ended the span (OpenTelemetry general conventions)."""

EXCEPTION_EVENT: Final[str] = "exception"
"""Name of the span event that records an exception (an event name, not a key; OpenTelemetry general conventions)."""

# --- neatlogs' own ------------------------------------------------------------------------
NEATLOGS_FIRST_CHUNK_MS: Final[str] = "neatlogs.stream.first_chunk_ms"
"""Milliseconds from a streamed call's start to its first chunk (neatlogs)."""

NEATLOGS_STREAM_INCOMPLETE: Final[str] = "neatlogs.stream.incomplete"
"""True when a stream ended before the API finished it (closed early, dropped) (neatlogs)."""

NEATLOGS_REASONING_TEXT: Final[str] = "neatlogs.reasoning.text"
"""The reply's reasoning (extended thinking) text, apart from its content (GenAI: an output ``reasoning`` part)."""

NEATLOGS_REASONING_REDACTED_BLOCKS: Final[str] = "neatlogs.reasoning.redacted_blocks"
"""How many reasoning blocks arrived encrypted (Anthropic ``redacted_thinking``); never their data (neatlogs)."""

# --- embeddings ---------------------------------------------------------------------------
EMBEDDING_MODEL_NAME: Final[str] = "embedding.model_name"
"""The embedding model asked for (OpenInference)."""

EMBEDDING_EMBEDDINGS: Final[str] = "embedding.embeddings"
"""Prefix of the flattened embedded items: ``embedding.embeddings.{i}.embedding.text`` (OpenInference)."""

EMBEDDING_TEXT: Final[str] = "embedding.text"
"""Suffix: the text of one embedded item (vectors are never recorded) (OpenInference)."""

EMBEDDING_VECTOR: Final[str] = "embedding.vector"
"""Suffix: an embedded item's vector (OpenInference semconv 0.1.42); dropped, never recorded."""


def message_key(prefix: str, index: int, suffix: str) -> str:
    """Return the flattened key of message ``index`` under ``prefix``, e.g. role."""
    return f"{prefix}.{index}.{suffix}"


def tool_call_key(prefix: str, index: int, call_index: int, suffix: str) -> str:
    """Return the flattened key of tool call ``call_index`` of message ``index``."""
    return f"{prefix}.{index}.{MESSAGE_TOOL_CALLS}.{call_index}.{suffix}"


ALL_KEYS: Final[tuple[str, ...]] = tuple(
    value
    for name, value in dict(globals()).items()
    if name.isupper()
    and isinstance(value, str)
    # values, event names, and pydantic-ai's own unprefixed key (not ours to spell)
    and name not in {"MIME_JSON", "MIME_TEXT", "EXCEPTION_EVENT", "LOG_EVENT", "GEN_AI_CHOICE_EVENT",
                     "PYDANTIC_AI_FINAL_RESULT", "PYDANTIC_AI_MODEL_REQUEST_PARAMETERS"}
)
"""Every attribute key (and key prefix or suffix) above, for the uniqueness test."""
