"""Where the repository-root folders (templates/, static/, migrations/) are found at run time."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """A wheel carries the folders inside the package; a source checkout has them at its root."""
    bundled = _PACKAGE_DIR / "_bundled" / name
    if bundled.exists():
        return bundled
    return _PACKAGE_DIR.parents[1] / name
