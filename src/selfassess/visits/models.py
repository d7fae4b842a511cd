"""Intelligence about services, and officers' visits scored against the same framework.

A visit moves: scheduled -> in progress (scoring) -> scores locked -> draft shared with the
provider for factual accuracy -> published. Providers never see a visit before it is published.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from selfassess.choices import Choice
from selfassess.db import Timestamped, enum_type, utcnow
from selfassess.frameworks.scoring import Breach


class ConcernSource(Choice):
    PROFESSIONAL = "professional", "Health or social care professional"
    CQC = "cqc", "Care Quality Commission"
    PERSON = "person", "Person using the service"
    RELATIVE = "relative", "Relative or carer"
    PUBLIC = "public", "Member of the public"
    WHISTLEBLOWER = "whistleblower", "Staff whistle-blower"
    SAFEGUARDING = "safeguarding", "Safeguarding investigation"
    OTHER = "other", "Other"

    @property
    def always_confidential(self) -> bool:
        """Whistle-blowers and safeguarding enquiries must never be traceable by the provider."""
        return self in (ConcernSource.WHISTLEBLOWER, ConcernSource.SAFEGUARDING)


class Severity(Choice):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ConcernStatus(Choice):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Concern(Timestamped, table=True):
    # A quarter's concerns by source and severity (the quarterly report) from this index alone; the
    # open ones (the concerns list's default and its count) from a partial index of the few open.
    __table_args__ = (
        Index("ix_concern_received", "received_on", "service_id", "source", "severity"),
        Index(
            "ix_concern_open_service_id",
            "service_id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="care_service.id", index=True)
    source: ConcernSource = Field(sa_type=enum_type(ConcernSource))
    received_on: date
    summary: str = Field(max_length=300)
    details: str = Field(default="", sa_type=Text)
    severity: Severity = Field(sa_type=enum_type(Severity))
    is_complaint: bool = Field(default=False, description="A concern is not the same as a complaint.")
    is_confidential: bool = Field(default=False, description="Never shown to the provider.")
    status: ConcernStatus = Field(default=ConcernStatus.OPEN, sa_type=enum_type(ConcernStatus))
    outcome: str = Field(default="", sa_type=Text)
    logged_by_id: int = Field(foreign_key="user.id")
    # What the provider is told and asked (never for a confidential concern); see concern_rules.
    shared_summary: str = Field(
        default="",
        sa_type=Text,
        sa_column_kwargs={"server_default": ""},
        description="What the provider reads.",
    )
    provider_request: str = Field(
        default="",
        sa_type=Text,
        sa_column_kwargs={"server_default": ""},
        description="What the provider is asked to do.",
    )
    respond_by: date | None = Field(default=None, description="When the provider is asked to respond by.")
    shared_at: datetime | None = Field(
        default=None, description="When the officer last shared it with the provider."
    )

    def summary_for_provider(self) -> str:
        """The words the provider reads: what the officer chose to share, else the summary."""
        return self.shared_summary or self.summary


class ConcernResponse(SQLModel, table=True):
    """A provider's response to a concern shared with it: who said what, when."""

    __tablename__ = "concern_response"

    id: int | None = Field(default=None, primary_key=True)
    concern_id: int = Field(foreign_key="concern.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)


class VisitType(Choice):
    PROACTIVE = "proactive", "Proactive"
    REACTIVE = "reactive", "Reactive"
    FOLLOW_UP = "follow_up", "Follow-up"


class VisitStatus(Choice):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "Scoring in progress"
    SCORES_LOCKED = "scores_locked", "Scores locked"
    DRAFT_SHARED = "draft_shared", "Draft shared for factual accuracy"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


class Visit(Timestamped, table=True):
    __table_args__ = (
        # Visits by date, with what the lists filter and count on: a quarter's visits (the quarterly
        # report) or the last few months' (the visits list) are read from this index alone, so their
        # cost is the window's visits, however many years of visits are kept.
        Index("ix_visit_by_date", "scheduled_for", "service_id", "status", "visit_type", "officer_id", "id"),
        # The same for one council's visits (the council copied onto each visit): the quarterly
        # report's visits carried out and the visits list read the council's window, not the country's.
        Index(
            "ix_visit_council_date",
            "council_id",
            "scheduled_for",
            "status",
            "visit_type",
            "officer_id",
            "service_id",
            "id",
        ),
        # A provider's visits of one status (draft reports waiting for its comments, and their date),
        # looked up service by service: not every visit each service ever had.
        Index("ix_visit_service_status", "service_id", "status", "factual_accuracy_due", "id"),
        # Every draft report waiting for comments in the country (a few thousand, however many years
        # of visits are kept): a provider's are found by hashing its services against this small
        # index, not by a lookup per service (a national chain runs 300).
        Index(
            "ix_visit_draft_shared",
            "service_id",
            "id",
            "factual_accuracy_due",
            postgresql_where=text("status = 'draft_shared'"),
            sqlite_where=text("status = 'draft_shared'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="care_service.id", index=True)
    council_id: int = Field(
        foreign_key="organisation.id",
        description="The service's council, copied when the visit is scheduled (a service never changes "
        "council): a council's visits are found by their own index instead of through every visit's service.",
    )
    framework_version_id: int = Field(foreign_key="framework_version.id")
    self_assessment_id: int | None = Field(
        default=None, foreign_key="self_assessment.id", description="The self-assessment this visit tests."
    )
    visit_type: VisitType = Field(sa_type=enum_type(VisitType))
    status: VisitStatus = Field(default=VisitStatus.SCHEDULED, sa_type=enum_type(VisitStatus), index=True)
    scheduled_for: date
    announced: bool = True
    officer_id: int = Field(foreign_key="user.id", index=True)
    summary: str = Field(default="", sa_type=Text)
    scores_locked_at: datetime | None = None
    shared_at: datetime | None = None
    factual_accuracy_due: date | None = None
    published_at: datetime | None = Field(default=None, index=True)
    published_by_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=0, description="Guards the summary against concurrent edits.")
    # The ratings as published, kept with the visit so lists, dashboards and the public page read
    # them without re-scoring; the scores cannot change after publication.
    rating_key: str | None = Field(default=None, max_length=40, index=True, description="Canonical band key.")
    rating_label: str | None = Field(default=None, max_length=80)
    rating_percent: int | None = None
    rating_reason: str | None = Field(default=None, max_length=200, description="Why, in a few words.")
    key_question_ratings: list[dict[str, object]] | None = Field(default=None, sa_type=JSON)


class BreachKind(Choice):
    REGULATIONS = "regulations", "Breach of regulations"
    CONTRACT = "contract", "Breach of the council's contract standards"

    @property
    def breach(self) -> Breach:
        return Breach(self.value)


class VisitBreach(Timestamped, table=True):
    """A breach the officer found at a visit: the overall rating is then requires improvement at best."""

    __tablename__ = "visit_breach"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    kind: BreachKind = Field(sa_type=enum_type(BreachKind))
    standard: str = Field(max_length=200, description="Which regulation or contract standard.")
    finding: str = Field(sa_type=Text, description="What the officer found.")
    recorded_by_id: int = Field(foreign_key="user.id")


class RatingCorrection(SQLModel, table=True):
    """A published overall rating that the corrected method rates differently. The public page keeps
    the published rating until a council admin reviews the correction and republishes."""

    __tablename__ = "rating_correction"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", unique=True)
    published_key: str | None = Field(default=None, max_length=40)
    published_label: str | None = Field(default=None, max_length=80)
    corrected_key: str = Field(max_length=40)
    corrected_label: str = Field(max_length=80)
    corrected_reason: str = Field(max_length=200)
    found_at: datetime = Field(default_factory=utcnow)
    republished_at: datetime | None = Field(default=None, index=True)
    republished_by_id: int | None = Field(default=None, foreign_key="user.id")


class VisitConcern(SQLModel, table=True):
    __tablename__ = "visit_concern"

    visit_id: int = Field(foreign_key="visit.id", primary_key=True)
    concern_id: int = Field(foreign_key="concern.id", primary_key=True, index=True)


class VisitScore(SQLModel, table=True):
    __tablename__ = "visit_score"
    __table_args__ = (
        UniqueConstraint("visit_id", "statement_id"),
        # Covers the statements most often scored below good (oversight.quality): read from the index alone.
        Index("ix_visit_score_visit_score", "visit_id", "score", "statement_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id")
    statement_id: int = Field(foreign_key="quality_statement.id", index=True)
    score: int | None = None
    findings: str = Field(default="", sa_type=Text)
    evidence_seen: str = Field(default="", sa_type=Text)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class PointStatus(Choice):
    OPEN = "open", "Awaiting the officer"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Not accepted"


class FactualAccuracyPoint(Timestamped, table=True):
    __tablename__ = "factual_accuracy_point"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    statement_id: int | None = Field(default=None, foreign_key="quality_statement.id")
    raised_by_id: int = Field(foreign_key="user.id")
    text: str = Field(sa_type=Text)
    status: PointStatus = Field(default=PointStatus.OPEN, sa_type=enum_type(PointStatus))
    response: str = Field(default="", sa_type=Text)
    score_before: int | None = None
    score_after: int | None = None
    resolved_by_id: int | None = Field(default=None, foreign_key="user.id")
    resolved_at: datetime | None = None


class VisitEvent(SQLModel, table=True):
    """Status changes, and any score changed after scores were locked, with who and why."""

    __tablename__ = "visit_event"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    actor_id: int = Field(foreign_key="user.id")
    occurred_at: datetime = Field(default_factory=utcnow)
    event: str = Field(max_length=60)
    detail: str = Field(default="", sa_type=Text)


class CouncilPublication(SQLModel, table=True):
    """How many times a council's published ratings have changed (a report published, a corrected
    rating republished), bumped in the same transaction: the public pages' version (their ETag),
    read by primary key, however many visits the council or the country has. No row: none yet.
    With it, how many of the council's services have a published report, counted at that moment,
    for the public list of councils (counting them there read every published visit in the country)."""

    __tablename__ = "council_publication"

    council_id: int = Field(
        foreign_key="organisation.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    version: int = Field(default=0)
    changed_at: datetime = Field(default_factory=utcnow)
    rated_services: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
