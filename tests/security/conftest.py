"""The language-server fixtures (`client`, `ws`) for the security tests that go through `cairn serve`."""

from tests.lsp.conftest import client, ws

__all__ = ["client", "ws"]
