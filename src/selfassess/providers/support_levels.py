"""Which provider quality support level is in force for a provider in a council's area: the record
of each decision, and the joins that lists in earlier slices (plans, reviews, concerns, services) use
to show it beside each service. Deciding levels is market oversight's (``oversight.support``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, Select, Text, and_, null
from sqlmodel import Field, SQLModel

from selfassess.accounts.models import User
from selfassess.db import enum_type
from selfassess.providers.levels import ESCALATED, SupportLevel
from selfassess.providers.models import CareService


class ProviderSupport(SQLModel, table=True):
    """One decision to put a provider on a support level in one council's area, in force until the
    next decision replaces it (``ended_on``). Who decided, why, what must happen to step down, and
    when the level is reviewed."""

    __tablename__ = "provider_support"
    __table_args__ = (Index("ix_provider_support_current", "council_id", "provider_id", "ended_on"),)

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="organisation.id")
    provider_id: int = Field(foreign_key="organisation.id", index=True)
    level: SupportLevel = Field(sa_type=enum_type(SupportLevel))
    reason: str = Field(sa_type=Text)
    step_down_conditions: str = Field(default="", sa_type=Text)
    review_on: date | None = Field(default=None, index=True)
    decided_by_id: int = Field(foreign_key="user.id")
    decided_on: date
    ended_on: date | None = None
    review_reminded_on: date | None = None


def current_level(council_id, provider_id):  # type: ignore[no-untyped-def]
    """Join condition for the decision in force for a provider in a council's area."""
    return and_(
        ProviderSupport.council_id == council_id,
        ProviderSupport.provider_id == provider_id,
        ProviderSupport.ended_on.is_(None),
    )


def with_support_level(statement: Select, viewer: User, *, grouped: bool = False) -> Select:  # type: ignore[type-arg]
    """Add, as the last column, the level above routine in force for the provider of each
    ``CareService`` row in the service's council area, by an outer join in the same query. Only
    council staff get it: in a list nobody else sees a provider's level (a provider reads its own on
    its service page). ``grouped`` for a statement that groups its rows."""
    if not viewer.is_council_staff:
        return statement.add_columns(null())
    statement = statement.add_columns(ProviderSupport.level).outerjoin(
        ProviderSupport,
        and_(
            current_level(CareService.council_id, CareService.provider_id),
            ProviderSupport.level.in_(ESCALATED),
        ),
    )
    return statement.group_by(ProviderSupport.level) if grouped else statement
