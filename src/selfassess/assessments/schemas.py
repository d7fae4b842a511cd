"""What the self-assessment pages send."""

from __future__ import annotations

from pydantic import BaseModel, Field

from selfassess.frameworks.score_sheet import TEXT_LIMIT
from selfassess.frameworks.sheet_routes import SheetForm


class AnswerForm(SheetForm):
    # Blank text arrives as None (see web.forms.bind); blank is a valid answer here.
    narrative: str | None = Field(default=None, title="Narrative", max_length=TEXT_LIMIT)
    improvement_plan: str | None = Field(default=None, title="What we plan to improve", max_length=TEXT_LIMIT)


class NoteForm(BaseModel):
    text: str = Field(title="Evidence", min_length=1, max_length=2_000)
    category: str | None = Field(default=None, title="Evidence category", max_length=40)


class StartForm(BaseModel):
    period_label: str | None = Field(default=None, title="Period", max_length=40)
    carry_over: bool = Field(default=False, title="Start from the last submitted self-assessment")


class ReturnForm(BaseModel):
    comment: str = Field(title="What more information is needed", min_length=1, max_length=5_000)


class ReviewForm(BaseModel):
    comment: str | None = Field(default=None, title="Comment", max_length=5_000)
