"""Provider quality support levels: decisions to escalate (or step down) a provider in one council's
area, who may see them, and reminders when a level is due for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import Organisation, User
from selfassess.db import Page, built_once, fetch_page, one_of
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.notifications.service import notify
from selfassess.providers.levels import ESCALATED, SupportLevel
from selfassess.providers.models import CareService, CouncilProvider, LinkStatus, registered_provider_ids
from selfassess.providers.support_levels import ProviderSupport, current_level
from selfassess.settings import Settings


@dataclass(frozen=True)
class SupportRow:
    provider: Organisation
    decision: ProviderSupport | None


@dataclass(frozen=True)
class SupportLine:
    provider_id: int
    provider_name: str
    level: SupportLevel | None  # None: no decision recorded, routine monitoring
    review_on: date | None


@dataclass(frozen=True)
class DecisionRow:
    decision: ProviderSupport
    decided_by: str


class ProviderSupports:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings

    def _require_council_staff(self) -> None:
        if not self.viewer.is_council_staff:
            raise Forbidden("Support levels are decided by council staff.")

    async def registered_provider(self, provider_id: int) -> Organisation:
        """A provider on the council's register, for council staff (NotFound for any other)."""
        self._require_council_staff()
        provider = await self.db.scalar(
            select(Organisation)
            .join(CouncilProvider, CouncilProvider.provider_id == Organisation.id)
            .where(
                CouncilProvider.council_id == self.viewer.organisation_id,
                CouncilProvider.status == LinkStatus.ACCEPTED,
                Organisation.id == provider_id,
            )
        )
        if provider is None:
            raise NotFound("provider")
        return provider

    async def for_service(self, service: CareService) -> ProviderSupport | None:
        """The level in force for the provider running ``service`` in the service's council area;
        the caller has already found the service through the viewer's scope."""
        return await self.db.scalar(
            select(ProviderSupport).where(current_level(service.council_id, service.provider_id))
        )

    def _register(self, escalated_only: bool, *columns: Any) -> Select:  # type: ignore[type-arg]
        """The council's register with each provider's level in force (none recorded = routine):
        the support page's lines and the quarterly report's escalated providers."""
        self._require_council_staff()
        statement = (
            select(*columns)
            .select_from(Organisation)
            .join(CouncilProvider, CouncilProvider.provider_id == Organisation.id)
            .outerjoin(ProviderSupport, current_level(CouncilProvider.council_id, Organisation.id))
            .where(
                CouncilProvider.council_id == self.viewer.organisation_id,
                CouncilProvider.status == LinkStatus.ACCEPTED,
                # Each organisation read by key, not the country's hashed to find the council's few hundred.
                one_of(Organisation.id, registered_provider_ids(self.viewer.organisation_id)),
            )
        )
        if escalated_only:
            statement = statement.where(ProviderSupport.level.in_(ESCALATED))
        return statement

    async def providers(self, *, escalated_only: bool = False) -> list[SupportRow]:
        """The register's providers with the decision in force, by name."""
        self._require_council_staff()
        statement = built_once(  # once per council: building it cost more than running it
            ("support register providers", self.viewer.organisation_id, escalated_only),
            lambda: self._register(escalated_only, Organisation, ProviderSupport).order_by(Organisation.name),
        )
        return [SupportRow(provider, decision) for provider, decision in await self.db.execute(statement)]

    async def lines(
        self, *, escalated_only: bool = False, number: int = 1, size: int = 50
    ) -> Page[SupportLine]:
        """One page of the support page's list, by name, like the provider register: only the
        columns it shows, read as plain values (a county's hundreds of providers in one page cost
        more than the rest of it)."""
        columns = (Organisation.id, Organisation.name, ProviderSupport.level, ProviderSupport.review_on)
        rows, total, number = await fetch_page(
            self.db,
            self._register(escalated_only, *columns),
            Organisation.name,
            Organisation.id,
            number=number,
            size=size,
            counted=self._register(escalated_only, Organisation.id),
        )
        return Page(items=[SupportLine(*row) for row in rows], total=total, number=number, size=size)

    async def history(self, provider: Organisation) -> list[DecisionRow]:
        """Every decision about a provider from ``registered_provider``, the latest first."""
        decided_by = aliased(User)
        rows = await self.db.execute(
            select(ProviderSupport, decided_by.full_name)
            .join(decided_by, decided_by.id == ProviderSupport.decided_by_id)
            .where(
                ProviderSupport.council_id == self.viewer.organisation_id,
                ProviderSupport.provider_id == provider.id,
            )
            .order_by(ProviderSupport.decided_on.desc(), ProviderSupport.id.desc())
        )
        return [DecisionRow(decision, name) for decision, name in rows]

    async def decide(
        self,
        provider: Organisation,
        *,
        level: SupportLevel,
        reason: str,
        step_down_conditions: str,
        review_on: date | None,
        today: date,
    ) -> ProviderSupport:
        """The new level for a provider from ``registered_provider`` replaces the one in force from
        today; the provider's staff are told."""
        provider_id = provider.id
        if not reason.strip():
            raise Invalid("Say why the provider is on this level.")
        if level is not SupportLevel.ROUTINE and review_on is None:
            raise Invalid("Give a date to review this level.")
        if review_on is not None and review_on < today:
            raise Invalid("The review date cannot be in the past.")
        await self.db.execute(
            update(ProviderSupport)
            .where(current_level(self.viewer.organisation_id, provider_id))
            .values(ended_on=today)
            .execution_options(synchronize_session=False)
        )
        decision = ProviderSupport(
            council_id=self.viewer.organisation_id,
            provider_id=provider_id,
            level=level,
            reason=reason.strip(),
            step_down_conditions=step_down_conditions.strip(),
            review_on=review_on,
            decided_by_id=self.viewer.id,
            decided_on=today,
        )
        self.db.add(decision)
        await self.db.flush()
        record_audit(
            self.db,
            "provider.support_level",
            actor=self.viewer,
            subject=f"organisation:{provider_id}",
            detail=level.label,
        )
        staff = list(
            await self.db.scalars(
                select(User).where(User.organisation_id == provider_id, User.is_active.is_(True))
            )
        )
        council = await self.db.get_one(Organisation, self.viewer.organisation_id)
        await notify(
            self.db,
            recipients=staff,
            message=f"{council.name} placed {provider.name} on {level.label.lower()}.",
            link="/home",
            dedupe_key=f"support:{decision.id}",
            email_subject=f"Quality support level: {level.label}",
            settings=self.settings,
        )
        await self.db.commit()
        return decision


async def remind_reviews(db: AsyncSession, today: date, settings: Settings) -> int:
    """Tell whoever decided a level when its review date has come (once per review date)."""
    due = list(
        await db.execute(
            select(ProviderSupport, Organisation.name)
            .join(Organisation, Organisation.id == ProviderSupport.provider_id)
            .where(
                ProviderSupport.ended_on.is_(None),
                ProviderSupport.review_on <= today,
                ProviderSupport.review_reminded_on.is_(None),
            )
        )
    )
    for decision, provider_name in due:
        decider = await db.get(User, decision.decided_by_id)
        if decider is not None:
            await notify(
                db,
                recipients=[decider],
                message=f"Review {provider_name}'s level ({decision.level.label.lower()}): due "
                f"{decision.review_on:%-d %B %Y}.",
                link=f"/oversight/support/providers/{decision.provider_id}",
                dedupe_key=f"support:{decision.id}:review",
                email_subject=f"Support level review due: {provider_name}",
                settings=settings,
            )
        decision.review_reminded_on = today
    await db.commit()
    return len(due)
