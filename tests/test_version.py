"""One version everywhere: the package, the CLI, the extension manifest and the changelog agree.

The servers report `cairn.__version__` (checked end to end on the installed wheel in
tests/packaging/test_wheel.py); this test catches a release that bumped one place and not the others.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import cairn

ROOT = Path(__file__).resolve().parents[1]


def test_package_json_and_pyproject_follow_cairn_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", cairn.__version__)
    assert json.loads((ROOT / "package.json").read_text())["version"] == cairn.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cairn.__version__"}


def test_cli_reports_the_version() -> None:
    out = subprocess.run([sys.executable, "-m", "cairn", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"cairn {cairn.__version__}"


def test_changelog_has_an_entry_for_the_version() -> None:
    headings = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), flags=re.M)
    assert cairn.__version__ in headings
