"""The code stays lint-clean and formatted: one style, checked by the same test command as the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PATHS = ["src", "tests", "migrations", "bench"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(repo_root: Path, command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, *PATHS], cwd=repo_root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
