"""Values that fit a JSON schema: what every stand-in provider calls a tool with.

One helper for every stand-in route (the OpenAI-style routes, anthropic, and the provider
stand-ins in ``tests/standins``), so a tool call's arguments fit the tool's declared
parameters whichever client asked: a framework then parses and validates them as it would
a real model's. Reads JSON Schema as pydantic writes it, and Gemini's OpenAPI-style
``Schema`` (upper-case type names such as ``"OBJECT"``) alike.
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema_example", "tool_arguments"]

_SCALARS: dict[str, Any] = {"string": "stand-in", "integer": 1, "number": 1.5, "boolean": True, "null": None}


def _kind(schema: dict[str, Any]) -> str | None:
    """The schema's type, lower case; the first non-null one of a type list."""
    kind = schema.get("type")
    if isinstance(kind, list):  # {"type": ["string", "null"]}
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    return kind.lower() if isinstance(kind, str) else None


def schema_example(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A value matching a JSON schema, for structured-output requests and tool-call arguments.

    Follows local ``$ref``s (``#/$defs/...``, as pydantic writes them), takes the first
    non-null choice of an ``anyOf``/``oneOf`` (an ``Optional[...]`` field) and a ``const``
    or the first ``enum`` value as it is.
    """
    root = schema if root is None else root
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        target: Any = root
        for part in reference[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return schema_example(target if isinstance(target, dict) else {}, root)
    choices = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(choices, list) and choices:
        typed = [c for c in choices if isinstance(c, dict) and _kind(c) != "null"] or choices
        return schema_example(typed[0], root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = _kind(schema)
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {k: schema_example(v if isinstance(v, dict) else {}, root) for k, v in properties.items()}
    if kind == "array":
        items = schema.get("items")
        return [schema_example(items if isinstance(items, dict) else {}, root)]
    return _SCALARS.get(kind or "string", "stand-in")


def tool_arguments(parameters: Any) -> dict[str, Any]:
    """The arguments the stand-in calls a tool with: a value for each property of its JSON schema.

    Args:
        parameters: the tool's declared parameters (a JSON schema object), or anything else.

    Returns:
        A dict with one value per property, each of its declared type; ``{}`` when the tool
        declares no parameters.
    """
    if not isinstance(parameters, dict):
        return {}
    arguments = schema_example(parameters)
    return arguments if isinstance(arguments, dict) else {}
