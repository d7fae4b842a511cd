"""String enums that carry the label people read, so templates never spell out codes."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Choice(StrEnum):
    """Declare members as ``MEMBER = "value", "Label shown to people"``."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def options(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]
