"""The MCP server (`cairn mcp`): the engine's recall, search, check and note writes as agent tools."""

from cairn.mcp.server import build_server, run_stdio

__all__ = ["build_server", "run_stdio"]
