"""The tool every provider's schema test declares, and the check its call's arguments must pass.

A stand-in calls a tool with arguments built from the tool's declared parameters
(``neatlogs_cli.demo.schema_examples.tool_arguments``); each provider test asks with this
schema through its real client and checks the call it gets back with ``assert_fits``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORECAST", "assert_fits"]

FORECAST: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
}
"""JSON schema of ``forecast(city: str, days: int)``."""


def assert_fits(arguments: Any) -> None:
    """The arguments have exactly ``city`` (a string) and ``days`` (an integer, not a bool)."""
    assert isinstance(arguments, dict) and set(arguments) == {"city", "days"}, arguments
    assert isinstance(arguments["city"], str)
    assert isinstance(arguments["days"], int) and not isinstance(arguments["days"], bool)
