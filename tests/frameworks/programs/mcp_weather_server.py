"""A small MCP server over stdio (mcp 2.x ``MCPServer``, v1's FastMCP): one tool that works, one that fails.

Started by the tests through ``mcp.client.stdio.stdio_client``, under ``neatlogs run``. The
working tool does its own traced step (``neatlogs.span``), so the test can see the server's
spans join the client's trace.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

import neatlogs

server = MCPServer("weather-server")


@neatlogs.span(kind="CHAIN", name="read forecast table")
def _read_table(city: str) -> str:
    return f"sunny in {city}"


@server.tool()
def forecast(city: str) -> str:
    """Tomorrow's weather in a city."""
    return _read_table(city)


@server.tool()
def explode(reason: str) -> str:
    """A tool that always fails."""
    raise RuntimeError(f"the forecast station is down: {reason}")


if __name__ == "__main__":
    server.run()
