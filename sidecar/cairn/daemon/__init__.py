"""Warm per-repository process for the read-only CLI commands (an adapter, like server/ and mcp/)."""
