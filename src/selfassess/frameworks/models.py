"""Standards frameworks stored as versioned data. A published version never changes: every
assessment and visit points at the exact version it was scored against."""

from datetime import datetime

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from selfassess.choices import Choice
from selfassess.db import Timestamped, enum_type


class VersionStatus(Choice):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Framework(Timestamped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    owner_council_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, description="None: shipped with selfassess."
    )


class FrameworkVersion(Timestamped, table=True):
    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("framework_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    version: str = Field(max_length=40)
    status: VersionStatus = Field(default=VersionStatus.DRAFT, sa_type=enum_type(VersionStatus))
    published_at: datetime | None = None
    good_value: int = Field(description="The 'good' point of the scale; actions are proposed below it.")
    overall_method: str = Field(
        default="key_question_points",
        max_length=40,
        description="How key question ratings become the overall rating (scoring.OverallMethod).",
    )
    source_yaml: str = Field(sa_type=Text, description="The file as imported, kept for audit and export.")
    imported_by_id: int | None = Field(default=None, foreign_key="user.id")

    framework: Framework = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class FrameworkScaleLevel(SQLModel, table=True):
    __tablename__ = "framework_scale_level"
    __table_args__ = (UniqueConstraint("version_id", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id")
    value: int
    label: str = Field(max_length=80)
    description: str = Field(default="", sa_type=Text)


class FrameworkRatingBand(SQLModel, table=True):
    __tablename__ = "framework_rating_band"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id")
    key: str = Field(max_length=40, description="inadequate | requires_improvement | good | outstanding")
    label: str = Field(max_length=80)
    min_percent: int


class EvidenceCategory(SQLModel, table=True):
    __tablename__ = "evidence_category"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id")
    code: str = Field(max_length=40)
    label: str = Field(max_length=120)


class KeyQuestion(SQLModel, table=True):
    __tablename__ = "key_question"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id")
    code: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    position: int


class QualityStatement(SQLModel, table=True):
    __tablename__ = "quality_statement"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="framework_version.id")
    key_question_id: int = Field(foreign_key="key_question.id", index=True)
    code: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    prompts: list[str] = Field(default_factory=list, sa_type=JSON)
    evidence_categories: list[str] = Field(default_factory=list, sa_type=JSON)
    position: int
