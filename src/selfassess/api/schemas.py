"""What the API sends and accepts: plain (non-table) models, with examples for the OpenAPI schema.

Outputs are built from the records the scoped services return; nothing here reads the database."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from selfassess.actions.rules import ActionStatus
from selfassess.assessments.models import AssessmentStatus
from selfassess.providers.schemas import ServicePublic
from selfassess.visits.models import VisitStatus, VisitType


class ServiceOut(ServicePublic):
    latest_rating: str | None = Field(
        description="Overall rating of the latest published visit (band key), if any.", examples=["good"]
    )
    updated_at: datetime


class AnswerOut(BaseModel):
    id: int = Field(examples=[340])
    statement_id: int = Field(examples=[17])
    statement_code: str = Field(examples=["S3"])
    score: int | None = Field(examples=[3])
    narrative: str = Field(
        examples=["Safeguarding training is refreshed every year; audits in March and May."]
    )
    improvement_plan: str = Field(examples=["Add safeguarding to team meetings."])
    version: int = Field(description="Send it back when saving; a stale version is a 409.", examples=[4])
    updated_at: datetime


class AnswerIn(BaseModel):
    """Saving one statement, exactly as autosave does: only if nobody saved it since `version`."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, le=2**31 - 1, examples=[4])
    score: int | None = Field(default=None, ge=-1000, le=1000, examples=[3])
    narrative: str = Field(default="", max_length=20_000, examples=["Audits in March and May found no gaps."])
    improvement_plan: str = Field(default="", max_length=20_000, examples=[""])


class SelfAssessmentOut(BaseModel):
    id: int = Field(examples=[12])
    service_id: int = Field(examples=[3])
    framework_version_id: int = Field(examples=[1])
    status: AssessmentStatus
    period_label: str = Field(examples=["2026/27"])
    submitted_at: datetime | None
    reviewed_at: datetime | None
    updated_at: datetime


class SelfAssessmentDetail(SelfAssessmentOut):
    answers: list[AnswerOut]


class ScoreOut(BaseModel):
    statement_id: int = Field(examples=[17])
    statement_code: str = Field(examples=["S3"])
    score: int | None = Field(examples=[2])
    findings: str = Field(examples=["Two staff files lacked safeguarding training records."])


class VisitOut(BaseModel):
    id: int = Field(examples=[8])
    service_id: int = Field(examples=[3])
    visit_type: VisitType
    status: VisitStatus
    scheduled_for: date
    announced: bool
    officer_id: int = Field(examples=[5])
    summary: str = Field(examples=["A warm, well-run home with gaps in staff records."])
    shared_at: datetime | None
    published_at: datetime | None
    rating_key: str | None = Field(examples=["good"])
    rating_label: str | None = Field(examples=["Good"])
    rating_percent: int | None = Field(examples=[71])
    updated_at: datetime


class VisitDetail(VisitOut):
    scores: list[ScoreOut]


class StatementComparisonOut(BaseModel):
    statement_code: str = Field(examples=["S3"])
    key_question_code: str = Field(examples=["safe"])
    self_score: int | None = Field(examples=[4])
    officer_score: int | None = Field(examples=[2])
    difference: int | None = Field(examples=[2])
    direction: str = Field(examples=["over"])
    beyond_margin: bool


class KeyQuestionComparisonOut(BaseModel):
    code: str = Field(examples=["safe"])
    self_percent: int | None = Field(examples=[88])
    officer_percent: int | None = Field(examples=[66])
    self_rating: str | None = Field(examples=["outstanding"])
    officer_rating: str | None = Field(examples=["good"])


class ComparisonOut(BaseModel):
    service_id: int = Field(examples=[3])
    self_assessment_id: int = Field(examples=[12])
    visit_id: int = Field(examples=[8])
    self_overall: str | None = Field(examples=["good"])
    officer_overall: str | None = Field(examples=["requires_improvement"])
    agreement_pairs: int = Field(examples=[34])
    exact_share: float | None = Field(examples=[0.62])
    within_one_share: float | None = Field(examples=[0.97])
    key_questions: list[KeyQuestionComparisonOut]
    statements: list[StatementComparisonOut]


class ActionOut(BaseModel):
    id: int = Field(examples=[51])
    plan_id: int = Field(examples=[6])
    statement_id: int | None = Field(examples=[17])
    title: str = Field(examples=["Complete safeguarding training records"])
    description: str = Field(examples=["Every staff file shows current safeguarding training."])
    priority: str = Field(examples=["high"])
    owner_id: int | None = Field(examples=[9])
    due_date: date
    status: ActionStatus
    proposed_due_date: date | None
    completed_at: datetime | None
    verified_at: datetime | None
    overdue: bool
    version: int = Field(
        description="Send it back when changing the status; a stale one is a 409.", examples=[2]
    )
    updated_at: datetime


class ActionPlanOut(BaseModel):
    id: int = Field(examples=[6])
    service_id: int = Field(examples=[3])
    visit_id: int = Field(examples=[8])
    status: str = Field(examples=["agreed"])
    provider_due: date
    agreed_at: datetime | None
    closed_at: datetime | None
    follow_up_due: date | None
    updated_at: datetime


class ActionPlanDetail(ActionPlanOut):
    actions: list[ActionOut]


class StatusChangeIn(BaseModel):
    """Move an action on: providers report progress and completion, officers verify or reopen."""

    model_config = ConfigDict(extra="forbid")

    status: ActionStatus = Field(examples=["completed"])
    version: int = Field(ge=0, le=2**31 - 1, examples=[2])
    reason: str = Field(default="", max_length=5_000, description="Needed to reopen.", examples=[""])


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5_000, examples=["Training booked for 12 March."])


class MoreTimeIn(BaseModel):
    """A provider asks for a later due date; the officer decides on the page."""

    model_config = ConfigDict(extra="forbid")

    proposed_due_date: date = Field(examples=["2027-04-30"])
    reason: str = Field(min_length=1, max_length=5_000, examples=["The trainer cancelled."])


class MoreTimeDecisionIn(BaseModel):
    """The officer accepts or refuses a provider's request for a later due date."""

    model_config = ConfigDict(extra="forbid")

    accept: bool = Field(examples=[True])
    comment: str = Field(default="", max_length=5_000, examples=["Agreed: the trainer is booked."])


class Accepted(BaseModel):
    detail: str = Field(examples=["Saved."])


# --- market oversight (council staff) ---------------------------------------------------------------


class QuarterFiguresOut(BaseModel):
    """One source's ratings in force at the end of a quarter (or today, for the quarter under way)."""

    rated: int = Field(examples=[180], description="Services with a rating in force.")
    good_or_better: int = Field(examples=[146])
    unrated: int = Field(
        examples=[20], description="Services without a rating in force: left out of the share."
    )
    percent: int | None = Field(
        examples=[81], description="good_or_better as a share of rated; null if none rated."
    )


class QualityQuarterOut(BaseModel):
    quarter: str = Field(examples=["2026Q3"])
    as_at: date = Field(examples=["2026-09-30"])
    council: QuarterFiguresOut
    regulator: QuarterFiguresOut | None = Field(
        description="Null for one key question: the regulator's key question ratings are not kept."
    )


class QualityOut(BaseModel):
    """The share of services rated good or better at the end of each quarter, oldest first."""

    services: int = Field(examples=[200], description="Services covered by the filters.")
    key_question: str = Field(examples=[""], description="Empty for the overall rating.")
    quarters: list[QualityQuarterOut]


class RiskFactorOut(BaseModel):
    name: str = Field(examples=["Open concerns"])
    detail: str = Field(examples=["1 open concern, 1 from safeguarding or a whistle-blower"])
    points: int = Field(examples=[20])


class RiskOut(BaseModel):
    service_id: int = Field(examples=[3])
    service_name: str = Field(examples=["Rose Lane House"])
    provider_name: str = Field(examples=["Brightwater Care"])
    score: int = Field(examples=[55])
    band: str = Field(examples=["very_high"])
    factors: list[RiskFactorOut]
    next_visit_due: date | None
    support_level: str | None = Field(examples=["enhanced_monitoring"])
    assessed_at: datetime
