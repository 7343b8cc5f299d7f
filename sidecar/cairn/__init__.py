"""Cairn: memory for AI coding agents, anchored to the code it describes."""

__version__ = "0.1.0"
