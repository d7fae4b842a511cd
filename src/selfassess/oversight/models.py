"""What market oversight keeps: every rating with the dates it was in force, each service's latest
risk assessment, and each council's oversight settings."""

from datetime import date, datetime

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from selfassess.choices import Choice
from selfassess.db import enum_type, utcnow
from selfassess.oversight.practice import Consent


class RatingSource(Choice):
    COUNCIL = "council", "Council rating"
    REGULATOR = "regulator", "Regulator (CQC) rating"


OVERALL = ""  # the ``aspect`` of an overall rating; key question ratings carry the question's code
# The ``valid_to`` of the rating in force now: a date rather than NULL, so "in force on a day" is one
# index range (valid_to > day) and reading a window never touches the ratings that ended before it.
OPEN_END = date(9999, 12, 31)


# What the council index carries besides its keys (migration 0034 has the same list).
RATING_PERIOD_COVERED = ("source", "valid_from", "service_id", "rank", "good_or_better", "visit_id")


class RatingPeriod(SQLModel, table=True):
    """One rating of one service, in force from ``valid_from`` until the next rating replaced it
    (``valid_to``, exclusive; OPEN_END while it is the current one). Written when a council rating is
    published or a regulator rating is recorded, so the picture at any past date is one indexed
    range condition instead of a replay of the history."""

    __tablename__ = "rating_period"
    __table_args__ = (
        Index("ix_rating_period_in_force", "service_id", "aspect", "valid_to"),
        # Covering: the quality picture's counts, its movement and the home page's market figures
        # read a council's ratings in force from this index alone, not from the table's rows.
        Index(
            "ix_rating_period_council",
            "council_id",
            "aspect",
            "valid_to",
            postgresql_include=list(RATING_PERIOD_COVERED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="care_service.id")
    council_id: int = Field(
        foreign_key="organisation.id", description="The service's council, kept for its index."
    )
    source: RatingSource = Field(sa_type=enum_type(RatingSource))
    aspect: str = Field(default=OVERALL, max_length=40, description="'' overall, else a key question code.")
    rating_key: str = Field(
        max_length=40, description="inadequate | requires_improvement | good | outstanding"
    )
    rank: int = Field(description="1 inadequate .. 4 outstanding, for 'improved' and 'declined'.")
    good_or_better: bool
    valid_from: date
    valid_to: date = OPEN_END
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)


class QualityQuarter(SQLModel, table=True):
    """A council's rated and good-or-better counts at the end of one past quarter, for one source and
    aspect (overall or a key question), by service type and town: the quality picture reads these few
    rows per quarter instead of every rating that was in force. A past quarter changes only when a
    rating is recorded with an earlier start or a service changes its type or town, and those are the
    moments ``oversight.summary`` writes it again (in the same transaction)."""

    __tablename__ = "quality_quarter"

    council_id: int = Field(foreign_key="organisation.id", primary_key=True)
    aspect: str = Field(max_length=40, primary_key=True)
    quarter_end: date = Field(primary_key=True)
    source: str = Field(max_length=40, primary_key=True)
    service_type: str = Field(max_length=40, primary_key=True)
    town: str = Field(max_length=100, primary_key=True)
    rated: int
    good: int


class QualityQuarterSummarised(SQLModel, table=True):
    """Which of a council's past quarters ``quality_quarter`` holds: a quarter with no rating at all
    has no count rows, and a quarter not summarised yet is counted from the ratings themselves."""

    __tablename__ = "quality_quarter_summarised"

    council_id: int = Field(foreign_key="organisation.id", primary_key=True)
    quarter_end: date = Field(primary_key=True)


class ServiceRisk(SQLModel, table=True):
    """A service's latest risk assessment, kept so the register sorts and filters in SQL and a
    move into a higher band is noticed (and its officer told) once."""

    __tablename__ = "service_risk"

    service_id: int = Field(foreign_key="care_service.id", primary_key=True)
    council_id: int = Field(foreign_key="organisation.id", index=True)
    score: int = Field(index=True)
    band: str = Field(max_length=20, index=True)
    factors: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    next_visit_due: date | None = Field(default=None, index=True)
    last_visit_on: date | None = None
    assessed_at: datetime = Field(default_factory=utcnow)


class OversightSettings(SQLModel, table=True):
    """A council's risk weights and visit intervals; a council without a row uses the defaults."""

    __tablename__ = "oversight_settings"

    council_id: int = Field(foreign_key="organisation.id", primary_key=True)
    risk_weights: dict[str, int] | None = Field(default=None, sa_type=JSON)
    months_outstanding: int = 24
    months_good: int = 12
    months_requires_improvement: int = 6
    months_inadequate: int = 6
    months_unrated: int = 6
    months_high_risk: int = 3
    publish_suspensions: bool = Field(
        default=False, description="Show a suspension of new placements on the public pages."
    )
    updated_at: datetime = Field(default_factory=utcnow)


class GoodPractice(SQLModel, table=True):
    """A finding an officer marked as good practice, and whether the provider agreed to share it."""

    __tablename__ = "good_practice"
    __table_args__ = (UniqueConstraint("visit_id", "statement_id"),)

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="organisation.id", index=True)
    service_id: int = Field(foreign_key="care_service.id", index=True)
    visit_id: int = Field(foreign_key="visit.id")
    statement_id: int = Field(foreign_key="quality_statement.id", index=True)
    summary: str = Field(sa_type=Text)
    marked_by_id: int = Field(foreign_key="user.id")
    marked_at: datetime = Field(default_factory=utcnow)
    consent: Consent = Field(default=Consent.PENDING, sa_type=enum_type(Consent), index=True)
    consent_by_id: int | None = Field(default=None, foreign_key="user.id")
    consent_at: datetime | None = None
