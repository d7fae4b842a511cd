"""A council's yearly self-assessment round: which services (all, or some types), which framework
version, from when and by when. A self-assessment belongs to a round when its service is in the
round's scope and its period is the round's name (e.g. 2026/27)."""

from datetime import date, datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from selfassess.db import utcnow


class AssessmentRound(SQLModel, table=True):
    __tablename__ = "assessment_round"
    __table_args__ = (UniqueConstraint("council_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=40, description="The period it covers, e.g. 2026/27.")
    framework_version_id: int = Field(foreign_key="framework_version.id")
    service_types: list[str] = Field(
        default_factory=list, sa_type=JSON, description="ServiceType values in scope; empty means all."
    )
    opens_on: date
    deadline: date = Field(index=True)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
