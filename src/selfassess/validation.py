"""Checks shared by several forms."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Control characters other than tab and new lines: PostgreSQL refuses NUL, and none belong in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def email_address(value: str) -> str:
    """Lower-cased, so one person cannot end up with two accounts differing only in case."""
    value = value.strip().lower()
    if not _EMAIL.fullmatch(value) or len(value) > 254:
        raise ValueError("Enter an e-mail address like name@example.org.")
    return value
