"""A provider's self-assessment of one service against one framework version.

Every statement gets an answer row when the assessment starts, so progress is a count in SQL and
autosave is a single-row update guarded by the row's version number.
"""

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from selfassess.choices import Choice
from selfassess.db import Timestamped, enum_type, utcnow


class AssessmentStatus(Choice):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted, awaiting review"
    RETURNED = "returned", "Returned for more information"
    REVIEWED = "reviewed", "Reviewed by the council"

    @property
    def editable(self) -> bool:
        return self in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)

    @property
    def is_submitted(self) -> bool:
        """Counts as the provider's considered view: submitted, and not sent back."""
        return self in (AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED)


class SelfAssessment(Timestamped, table=True):
    __tablename__ = "self_assessment"
    # A service's self-assessment for one period, latest first, with its status: a round's progress
    # reads one index entry per service, however many years of self-assessments are kept.
    # ix_self_assessment_service_status: a provider's returned self-assessments, service by service.
    __table_args__ = (
        Index("ix_self_assessment_period", "service_id", "period_label", "id", "status"),
        Index("ix_self_assessment_service_status", "service_id", "status", "id"),
        # Self-assessments returned to their provider, the country's few hundred: a provider's are
        # found by hashing its services against this small index, not by a lookup per service.
        Index(
            "ix_self_assessment_returned",
            "service_id",
            "id",
            postgresql_where=text("status = 'returned'"),
            sqlite_where=text("status = 'returned'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="care_service.id", index=True)
    framework_version_id: int = Field(foreign_key="framework_version.id", index=True)
    status: AssessmentStatus = Field(
        default=AssessmentStatus.DRAFT, sa_type=enum_type(AssessmentStatus), index=True
    )
    period_label: str = Field(max_length=40, description="The cycle it covers, e.g. 2026/27.")
    started_by_id: int = Field(foreign_key="user.id")
    submitted_at: datetime | None = Field(default=None, index=True)
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = None
    reviewed_by_id: int | None = Field(default=None, foreign_key="user.id")


class SelfAssessmentAnswer(SQLModel, table=True):
    __tablename__ = "self_assessment_answer"
    __table_args__ = (UniqueConstraint("assessment_id", "statement_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="self_assessment.id")
    statement_id: int = Field(foreign_key="quality_statement.id", index=True)
    score: int | None = None
    narrative: str = Field(default="", sa_type=Text)
    improvement_plan: str = Field(default="", sa_type=Text, description="What we plan to improve (optional).")
    version: int = Field(
        default=0, description="Bumped on every save; a save from an older version is a conflict."
    )
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    carried_over: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": false()},
        description="Copied from the last submitted self-assessment and not changed since.",
    )


class EvidenceKind(Choice):
    TEXT = "text", "Note"
    FILE = "file", "File"


class EvidenceItem(SQLModel, table=True):
    __tablename__ = "evidence_item"

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="self_assessment_answer.id", index=True)
    kind: EvidenceKind = Field(sa_type=enum_type(EvidenceKind))
    category: str | None = Field(default=None, max_length=40, description="Evidence category code.")
    text: str = Field(default="", sa_type=Text)
    file_id: int | None = Field(default=None, foreign_key="stored_file.id")
    added_by_id: int = Field(foreign_key="user.id")
    added_at: datetime = Field(default_factory=utcnow)
    carried_over: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": false()},
        description="Copied with its answer from the last submitted self-assessment.",
    )


class AssessmentEvent(SQLModel, table=True):
    """The history of an assessment's status: who moved it, when, and why."""

    __tablename__ = "assessment_event"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="self_assessment.id", index=True)
    from_status: AssessmentStatus | None = Field(default=None, sa_type=enum_type(AssessmentStatus))
    to_status: AssessmentStatus = Field(sa_type=enum_type(AssessmentStatus))
    actor_id: int = Field(foreign_key="user.id")
    occurred_at: datetime = Field(default_factory=utcnow)
    comment: str = Field(default="", sa_type=Text)
