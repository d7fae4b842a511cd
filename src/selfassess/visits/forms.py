"""What the visit pages send."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from selfassess import clock
from selfassess.frameworks.score_sheet import TEXT_LIMIT
from selfassess.frameworks.sheet_routes import SheetForm
from selfassess.visits.models import BreachKind, VisitType

TEXT_MAX = 20_000


class VisitForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    visit_type: VisitType = Field(title="Type of visit")
    scheduled_for: date = Field(title="Date of the visit")
    announced: bool = Field(default=False, title="Announced")
    officer_id: int = Field(title="Officer")
    concern_ids: list[int] = Field(default_factory=list, title="Concerns this visit follows up")

    @field_validator("concern_ids", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        """One ticked box arrives as a single value, several as a list, none as nothing."""
        if value is None or value == "":
            return []
        return value if isinstance(value, list) else [value]

    @field_validator("scheduled_for")
    @classmethod
    def _sensible_date(cls, value: date) -> date:
        today = clock.today()
        if value < today - timedelta(days=366) or value > today + timedelta(days=731):
            raise ValueError("The date of the visit must be within a year before or two years after today.")
        return value


class ScoreForm(SheetForm):
    findings: str | None = Field(default=None, title="Findings", max_length=TEXT_LIMIT)
    evidence_seen: str | None = Field(default=None, title="Evidence seen", max_length=TEXT_LIMIT)


class SummaryForm(BaseModel):
    version: int = Field(title="Version", ge=0)
    summary: str | None = Field(default=None, title="Overall summary", max_length=TEXT_MAX)


class PointForm(BaseModel):
    statement_id: int | None = Field(default=None, title="Statement")
    text: str = Field(title="Your factual accuracy point", min_length=1, max_length=5_000)


class AcceptPointForm(BaseModel):
    response: str | None = Field(default=None, title="Response", max_length=5_000)
    new_score: int | None = Field(default=None, title="New score")


class RejectPointForm(BaseModel):
    response: str = Field(title="Reason for not accepting", min_length=1, max_length=5_000)


class CancelForm(BaseModel):
    reason: str = Field(title="Reason for cancelling", min_length=1, max_length=2_000)


class BreachForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    kind: BreachKind = Field(title="What was breached")
    standard: str = Field(title="Which regulation or standard", min_length=1, max_length=200)
    finding: str = Field(title="What you found", min_length=1, max_length=5_000)
