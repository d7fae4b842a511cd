"""A care service (the regulator calls it a location) sits in one council's area and is run by
one provider organisation, which may run services in many councils' areas."""

from datetime import date, datetime

from sqlalchemy import Index, Select
from sqlmodel import Field, Relationship, SQLModel, select

from selfassess.accounts.models import Organisation, User
from selfassess.choices import Choice
from selfassess.db import Timestamped, enum_type, utcnow


class ServiceType(Choice):
    CARE_HOME_NURSING = "care_home_nursing", "Care home with nursing"
    CARE_HOME = "care_home", "Care home without nursing"
    HOMECARE = "homecare", "Homecare agency"
    SUPPORTED_LIVING = "supported_living", "Supported living"
    DAY_SERVICE = "day_service", "Day service"
    OTHER = "other", "Other"


class RegulatorRating(Choice):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_RATED = "not_rated", "Not yet rated"


class CareService(Timestamped, table=True):
    __tablename__ = "care_service"
    # A provider's services by name (its home page's list, a page at a time) and their ids (every
    # provider query starts from them), from this index alone: a national chain's few hundred, not
    # the whole country's names in order. Whether each is active, its council and its type ride
    # along, so counting the active ones and putting them in their councils' rounds read no row.
    __table_args__ = (
        Index(
            "ix_care_service_provider_name",
            "provider_id",
            "name",
            "id",
            "is_active",
            "council_id",
            "service_type",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="organisation.id", index=True)
    provider_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200, index=True)
    service_type: ServiceType = Field(sa_type=enum_type(ServiceType))
    address_line1: str = Field(max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    town: str = Field(max_length=100)
    postcode: str = Field(max_length=10)
    capacity: int | None = Field(default=None, description="Beds, or people supported.")
    cqc_location_id: str | None = Field(default=None, max_length=20, unique=True)
    regulator_rating: RegulatorRating = Field(
        default=RegulatorRating.NOT_RATED, sa_type=enum_type(RegulatorRating)
    )
    regulator_rating_date: date | None = None
    assigned_officer_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    is_active: bool = True

    # lazy="raise": pages load what they show explicitly (selectinload), never by accident.
    council: Organisation = Relationship(
        sa_relationship_kwargs={"foreign_keys": "[CareService.council_id]", "lazy": "raise"}
    )
    provider: Organisation = Relationship(
        sa_relationship_kwargs={"foreign_keys": "[CareService.provider_id]", "lazy": "raise"}
    )
    assigned_officer: User | None = Relationship(sa_relationship_kwargs={"lazy": "raise"})

    @property
    def address(self) -> str:
        parts = (self.address_line1, self.address_line2, self.town, self.postcode)
        return ", ".join(part for part in parts if part)


class LinkStatus(Choice):
    PENDING = "pending", "Waiting for the provider"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"

    @property
    def awaits_decision(self) -> bool:
        """Only a request still waiting may be accepted or declined (by the provider's admins)."""
        return self is LinkStatus.PENDING


DECIDABLE_LINK_STATUSES = tuple(status for status in LinkStatus if status.awaits_decision)


class CouncilProvider(SQLModel, table=True):
    """A council's register of the provider organisations it works with. Council staff see a
    provider only through an accepted link; a provider working for several councils has one link
    each. A council that adds an organisation which already exists only asks: the provider's
    admins accept or decline (a new organisation the council creates is accepted at once)."""

    __tablename__ = "council_provider"

    council_id: int = Field(foreign_key="organisation.id", primary_key=True)
    provider_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    status: LinkStatus = Field(
        default=LinkStatus.ACCEPTED,
        sa_type=enum_type(LinkStatus),
        sa_column_kwargs={"server_default": LinkStatus.ACCEPTED.value},
        index=True,
    )
    requested_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


def registered_provider_ids(council_id: int) -> Select:  # type: ignore[type-arg]
    """The providers on a council's register: accepted links only. Every council-side read of
    providers goes through this, so a pending or declined request shows nothing."""
    return select(CouncilProvider.provider_id).where(
        CouncilProvider.council_id == council_id, CouncilProvider.status == LinkStatus.ACCEPTED
    )
