"""One score sheet for the two scored forms: the provider's self-assessment answers and the
officer's visit scores. Each is a row per statement of a framework version, with a score on the
framework's scale and a version number, saved as it is typed. What counts as a score, what is
still missing, and how a clash or an unfinished sheet is reported are decided here, once, for
both. No web or database imports."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from selfassess.errors import Conflict, Invalid

if TYPE_CHECKING:
    from selfassess.frameworks.service import StatementView


class ScoredRow(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def score(self) -> int | None: ...


Row = TypeVar("Row")

TEXT_LIMIT = 20_000  # characters in one text box: several pages, well short of abuse
OFF_SCALE = "Choose a score from the scale."


@dataclass(frozen=True)
class SheetEntry:
    """What one person typed into one row: the version they loaded, the score and the two texts by
    field name. Kept whole when it cannot be saved, so the conflict view can offer it again."""

    version: int
    score: int | None
    texts: dict[str, str]


@dataclass(frozen=True)
class SheetProgress:
    """How many of a sheet's statements are scored, of how many: the bar above the sheet."""

    scored: int
    total: int


@dataclass(frozen=True)
class SheetSave(Generic[Row]):
    """A row as its save left it, and the sheet's progress counted in the save's own transaction."""

    row: Row
    progress: SheetProgress


def require_on_scale(score: int | None, scale: Collection[int]) -> None:
    """A score is one of the framework's scale values, or none yet."""
    if score is not None and score not in scale:
        raise Invalid(OFF_SCALE)


def check_entry(score: int | None, texts: Iterable[str], scale: Collection[int]) -> None:
    """What a row may hold, whoever saves it (the page's autosave or the API): a score on the scale
    and texts within the limit."""
    require_on_scale(score, scale)
    if any(len(text) > TEXT_LIMIT for text in texts):
        raise Invalid(f"Each text box takes at most {TEXT_LIMIT:,} characters.")


def unscored(
    statements: Sequence[StatementView], rows: Mapping[int, ScoredRow]
) -> list[tuple[StatementView, int]]:
    """Statements not scored yet, with their rows' ids, in framework order."""
    return [
        (statement, rows[statement.id].id)  # type: ignore[misc]
        for statement in statements
        if rows[statement.id].score is None
    ]


class SheetConflict(Conflict, Generic[Row]):
    """Someone saved this statement after the user loaded it: show both versions, overwrite nothing."""

    def __init__(self, current: Row, saved_by: str | None) -> None:
        super().__init__(f"{saved_by or 'Someone'} saved a different version of this statement.")
        self.current = current
        self.saved_by = saved_by


class SheetIncomplete(Invalid):
    """The sheet cannot be submitted or locked while statements are unscored; ``missing`` lists them."""

    def __init__(self, missing: list[tuple[StatementView, int]]) -> None:
        count = len(missing)
        super().__init__(f"{count} statement{'s are' if count != 1 else ' is'} not scored yet.")
        self.missing = missing
