"""Statements built once and kept (``db.built_once``): one per key, the least recently used dropped
past the limit, so a page's statements for one viewer and day are built on its first request only."""

from __future__ import annotations

import pytest

from selfassess import db
from selfassess.kept import KeptRecently


def test_a_key_is_built_once_and_the_least_recently_used_is_dropped_past_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "_BUILT", KeptRecently(2))
    built: list[str] = []

    def build(name: str):  # type: ignore[no-untyped-def]
        return lambda: built.append(name) or object()

    first = db.built_once(("figures", 1, "2026-11-30"), build("one"))
    assert db.built_once(("figures", 1, "2026-11-30"), build("again")) is first
    other = db.built_once(("figures", 2, "2026-11-30"), build("two"))  # another viewer
    assert other is not first
    db.built_once(("figures", 1, "2026-11-30"), build("again"))  # used: now the most recent
    db.built_once(("figures", 1, "2026-12-01"), build("next day"))  # the third: drops viewer 2's
    assert built == ["one", "two", "next day"]
    db.built_once(("figures", 2, "2026-11-30"), build("two again"))
    assert built == ["one", "two", "next day", "two again"]
