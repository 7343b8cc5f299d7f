"""The extension manifest is ready for the Marketplace and the .vsix ships only what a user needs.

`vsce ls` is what `vsce package` would put in the .vsix: the bundle, the manifest, the README/LICENSE, the
icon and the Cairn wheel under bundled/ (plus the wheelhouse in the platform .vsix) — never sources,
tests, the Python sidecar or a virtualenv.
"""

from __future__ import annotations

import fnmatch
import json
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "package.json").read_text())
SHIPPED = ["package.json", "README.md", "LICENSE", "dist/extension.js", "extension/media/*.png",
           "bundled/cairn_context-*-py3-none-any.whl", "bundled/wheelhouse/*.whl"]


def test_manifest_has_what_the_marketplace_shows() -> None:
    icon = ROOT / MANIFEST["icon"]
    head = icon.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (128, 128)
    assert {"AI", "Chat", "Linters"} <= set(MANIFEST["categories"])
    assert len(MANIFEST["keywords"]) >= 5 and MANIFEST["repository"]["url"].startswith("https://")
    assert MANIFEST["displayName"] and MANIFEST["description"] and MANIFEST["license"] == "MIT"
    # The floor is the oldest VS Code with every API called unguarded (chat participants, 1.90); newer ones
    # (language-model tools 1.95, MCP providers 1.101) are feature-checked in extension/src/newApi.ts.
    floor = MANIFEST["engines"]["vscode"].lstrip("^")
    assert MANIFEST["devDependencies"]["@types/vscode"] == floor == "1.90.0"
    assert "(1.90)" in (ROOT / "extension/src/newApi.ts").read_text()


def test_vsix_lists_only_what_ships() -> None:
    vsce = ROOT / "node_modules/.bin/vsce"
    if not vsce.exists():
        pytest.fail("node_modules is missing: run `make node_modules` (make test does)")
    listed = subprocess.run([str(vsce), "ls", "--no-dependencies"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    stray = [f for f in listed if not any(fnmatch.fnmatch(f, pattern) for pattern in SHIPPED)]
    assert not stray, f"files that should not ship: {stray}"
    assert {"package.json", "README.md", "LICENSE"} <= set(listed)
