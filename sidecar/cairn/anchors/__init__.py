"""Anchors: recording code ranges and judging whether they still hold."""
