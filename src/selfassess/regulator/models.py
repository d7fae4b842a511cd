"""What the regulator (CQC) says about each service, imports staged before they are applied, and the
runs of the sync job. A service's name, address, capacity and CQC rating stay on ``care_service``
(and its rating history in ``rating_period``); this slice keeps only what the regulator adds."""

from datetime import datetime

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from selfassess.choices import Choice
from selfassess.db import enum_type, utcnow


class RegulatorLocation(SQLModel, table=True):
    """The regulator's record of one service as last fetched (``mapping.LocationRecord``): the
    registered manager, registration, key question ratings and the rest. Later fetches are compared
    with it, so a change the council made by hand is kept until the regulator changes that field."""

    __tablename__ = "regulator_location"

    service_id: int = Field(foreign_key="care_service.id", primary_key=True)
    record: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    fetched_at: datetime = Field(default_factory=utcnow)


class ImportStatus(Choice):
    FETCHING = "fetching", "Fetching from the CQC"
    READY = "ready", "Ready to confirm"
    APPLIED = "applied", "Applied"


class RegulatorImport(SQLModel, table=True):
    """An import of a council's area (or chosen locations): fetched and planned first, applied only
    when confirmed, one location per transaction, so an interrupted import carries on where it
    stopped and never leaves half a service."""

    __tablename__ = "regulator_import"

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="organisation.id", index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id")
    local_authority: str | None = Field(default=None, max_length=100)
    status: ImportStatus = Field(default=ImportStatus.FETCHING, sa_type=enum_type(ImportStatus))
    created_at: datetime = Field(default_factory=utcnow)
    applied_at: datetime | None = None


class RegulatorImportItem(SQLModel, table=True):
    __tablename__ = "regulator_import_item"
    __table_args__ = (UniqueConstraint("import_id", "location_id"),)

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="regulator_import.id", index=True)
    location_id: str = Field(max_length=20)
    record: dict[str, object] | None = Field(
        default=None, sa_type=JSON(none_as_null=True), description="None (SQL NULL) until fetched."
    )
    provider_name: str | None = Field(default=None, max_length=200)
    plan: str | None = Field(default=None, max_length=20, description="A mapping.Plan value once planned.")
    detail: str = Field(default="", sa_type=Text)
    service_id: int | None = Field(default=None, foreign_key="care_service.id")
    applied_at: datetime | None = None


class RegulatorSyncRun(SQLModel, table=True):
    """One run of ``sync-regulator``; the next run asks for the changes since the last finished one."""

    __tablename__ = "regulator_sync_run"

    id: int | None = Field(default=None, primary_key=True)
    window_start: datetime
    window_end: datetime = Field(index=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    changed_at_cqc: int = 0
    refreshed: int = 0
    alerts: int = 0
    problem: str | None = Field(default=None, sa_type=Text)
