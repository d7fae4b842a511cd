"""Summaries of each visit against the self-assessment it tests, kept up to date by the service
functions that change what they summarise (see `comparison.summaries`), so that the comparison
and accuracy pages read a few rows per visit instead of joining every score of every cycle.
"""

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from selfassess.db import enum_type
from selfassess.visits.models import VisitStatus


class VisitComparison(SQLModel, table=True):
    """One row per visit whose scores are locked (or later, not cancelled): the self-assessment it
    tests (``visits.tested``; none when it tests none) and how the two sides' scores differ."""

    __tablename__ = "visit_comparison"

    visit_id: int = Field(foreign_key="visit.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    service_id: int = Field(foreign_key="care_service.id", index=True)
    provider_id: int = Field(
        foreign_key="organisation.id",
        index=True,
        description="The service's provider, copied so that a provider's accuracy page reads its own "
        "summaries by index instead of scanning the country's (rebuilt when a service moves provider).",
    )
    assessment_id: int | None = Field(default=None, foreign_key="self_assessment.id", index=True)
    # The visit's and the tested self-assessment's own columns a provider's accuracy page groups and
    # filters by, copied so that it reads the summaries alone, not a visit and a self-assessment per
    # summary (rebuilt whenever the visit is shared, published or cancelled; the rest never change
    # once scores are locked).
    visit_status: VisitStatus = Field(sa_type=enum_type(VisitStatus), description="The visit's status.")
    framework_version_id: int = Field(foreign_key="framework_version.id", description="The visit's.")
    scheduled_for: date = Field(description="The visit's day.")
    period_label: str | None = Field(
        default=None, max_length=40, description="The cycle of the self-assessment tested (none: none)."
    )
    pairs: int = Field(default=0, description="Statements scored by both sides.")
    difference_total: int = Field(default=0, description="Sum of self score minus officer score.")
    overrated: int = Field(default=0, description="Statements scored higher by the provider.")


class VisitComparisonCell(SQLModel, table=True):
    """How many statements got this self score and this officer score at the visit: the
    agreement table weighted kappa is computed from."""

    __tablename__ = "visit_comparison_cell"
    # A visit's cells with their counts from the index alone: the accuracy pages add up every
    # cell of hundreds of visits, and the primary key alone sent each lookup to the table.
    __table_args__ = (
        Index("ix_visit_comparison_cell_counts", "visit_id", "self_score", "officer_score", "statements"),
    )

    visit_id: int = Field(
        foreign_key="visit_comparison.visit_id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    self_score: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    officer_score: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    statements: int
