"""Care services and provider organisations as one viewer may see them.

Every read goes through ``CareServices``, which is built for the signed-in user and scopes every
query to what that user may see (their council's area, or their own organisation's services).
No route can forget the scope, and an id from elsewhere is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from selfassess import clock
from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import Organisation, OrganisationKind, Role, User
from selfassess.accounts.service import create_organisation
from selfassess.actions.models import Action, ActionPlan, PlanStatus, overdue_condition
from selfassess.db import Page, contains_any, fetch_page, utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.providers.models import CareService, CouncilProvider, ServiceType
from selfassess.providers.schemas import ProviderForm, ServiceForm


@dataclass(frozen=True)
class ServiceRow:
    """One line of the services list: the service and the names the list shows beside it."""

    service: CareService
    provider_name: str
    officer_name: str | None
    overdue_actions: int


@dataclass(frozen=True)
class ProviderSummary:
    provider: Organisation
    service_count: int
    user_count: int


class CareServices:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer

    # --- scope ----------------------------------------------------------------------------

    def scope(self, statement: Select) -> Select:  # type: ignore[type-arg]
        """Restrict any query that involves CareService to what the viewer may see."""
        if self.viewer.is_provider:
            return statement.where(CareService.provider_id == self.viewer.organisation_id)
        return statement.where(CareService.council_id == self.viewer.organisation_id)

    def _require_council_staff(self) -> None:
        if not self.viewer.is_council_staff:
            raise Forbidden("Only council staff can change service details.")

    # --- reads ----------------------------------------------------------------------------

    async def page(
        self,
        *,
        query: str = "",
        service_type: ServiceType | None = None,
        assigned_to_me: bool = False,
        number: int = 1,
        size: int = 25,
    ) -> Page[ServiceRow]:
        provider = aliased(Organisation)
        officer = aliased(User)
        overdue = (
            select(func.count(Action.id))
            .join(ActionPlan, ActionPlan.id == Action.plan_id)
            .where(
                ActionPlan.service_id == CareService.id,
                ActionPlan.status == PlanStatus.AGREED,
                overdue_condition(clock.today()),
            )
            .scalar_subquery()
        )
        statement = self.scope(
            select(CareService, provider.name, officer.full_name, overdue)
            .join(provider, provider.id == CareService.provider_id)
            .outerjoin(officer, officer.id == CareService.assigned_officer_id)
            .where(CareService.is_active.is_(True))
        )
        if query:
            statement = statement.where(
                contains_any(query, CareService.name, CareService.postcode, CareService.town, provider.name)
            )
        if service_type is not None:
            statement = statement.where(CareService.service_type == service_type)
        if assigned_to_me:
            statement = statement.where(CareService.assigned_officer_id == self.viewer.id)
        mine_first = case((CareService.assigned_officer_id == self.viewer.id, 0), else_=1)
        rows, total, number = await fetch_page(
            self.db, statement, mine_first, CareService.name, CareService.id, number=number, size=size
        )
        items = [ServiceRow(*row) for row in rows]
        return Page(items=items, total=total, number=number, size=size)

    async def get(self, service_id: int) -> CareService:
        service = await self.db.scalar(
            self.scope(select(CareService).where(CareService.id == service_id)).options(
                selectinload(CareService.provider),
                selectinload(CareService.council),
                selectinload(CareService.assigned_officer),
            )
        )
        if service is None:
            raise NotFound("service")
        return service

    async def providers(self) -> list[Organisation]:
        """Provider organisations this council works with (for a provider user: their own)."""
        if self.viewer.is_provider:
            return [await self.db.get_one(Organisation, self.viewer.organisation_id)]
        linked = exists().where(
            CouncilProvider.provider_id == Organisation.id,
            CouncilProvider.council_id == self.viewer.organisation_id,
        )
        return list(await self.db.scalars(select(Organisation).where(linked).order_by(Organisation.name)))

    async def provider_summaries(
        self, *, query: str = "", number: int = 1, size: int = 50
    ) -> Page[ProviderSummary]:
        """One page of the council's register with how many of each provider's services are in
        its area; a county works with hundreds of providers."""
        service_count = (
            select(func.count(CareService.id))
            .where(
                CareService.provider_id == Organisation.id,
                CareService.council_id == self.viewer.organisation_id,
                CareService.is_active.is_(True),
            )
            .scalar_subquery()
        )
        user_count = (
            select(func.count(User.id))
            .where(User.organisation_id == Organisation.id, User.is_active.is_(True))
            .scalar_subquery()
        )
        statement = (
            select(Organisation)
            .join(CouncilProvider, CouncilProvider.provider_id == Organisation.id)
            .where(CouncilProvider.council_id == self.viewer.organisation_id)
        )
        if query:
            statement = statement.where(
                contains_any(
                    query, Organisation.name, Organisation.cqc_provider_id, Organisation.contact_email
                )
            )
        rows, total, number = await fetch_page(
            self.db,
            statement.add_columns(service_count, user_count),
            Organisation.name,
            Organisation.id,
            number=number,
            size=size,
        )
        items = [ProviderSummary(provider, services, users) for provider, services, users in rows]
        return Page(items=items, total=total, number=number, size=size)

    async def officers(self) -> list[User]:
        if self.viewer.is_provider:
            return []
        return list(
            await self.db.scalars(
                select(User)
                .where(
                    User.organisation_id == self.viewer.organisation_id,
                    User.role.in_([Role.OFFICER, Role.COUNCIL_ADMIN]),
                    User.is_active.is_(True),
                )
                .order_by(User.full_name)
            )
        )

    # --- writes ---------------------------------------------------------------------------

    async def _check_choices(self, form: ServiceForm) -> None:
        if form.provider_id not in {provider.id for provider in await self.providers()}:
            raise Invalid("Choose a provider organisation from your council's list.")
        if form.assigned_officer_id is not None and form.assigned_officer_id not in {
            officer.id for officer in await self.officers()
        }:
            raise Invalid("Choose an officer from your council.")

    async def create(self, form: ServiceForm) -> CareService:
        self._require_council_staff()
        await self._check_choices(form)
        service = CareService(council_id=self.viewer.organisation_id, **form.model_dump())
        await self._save(service, "service.created")
        return service

    async def update(self, service: CareService, form: ServiceForm) -> CareService:
        self._require_council_staff()
        await self._check_choices(form)
        await self._save(service, "service.updated", changes={**form.model_dump(), "updated_at": utcnow()})
        return service

    async def _save(self, service: CareService, event: str, changes: dict[str, object] | None = None) -> None:
        stored = service.id is not None
        try:
            async with self.db.begin_nested():  # a clash rolls back this change only
                for name, value in (changes or {}).items():
                    setattr(service, name, value)
                self.db.add(service)
                await self.db.flush()
        except IntegrityError as error:
            if stored:
                await self.db.refresh(service)  # back to what is stored, for the page to show
            raise Invalid("Another service already has that CQC location ID.") from error
        record_audit(self.db, event, actor=self.viewer, subject=f"service:{service.id}", detail=service.name)
        await self.db.commit()

    async def add_provider(self, form: ProviderForm) -> tuple[Organisation, bool]:
        """Link the provider with this CQC provider ID if one exists, else create it.
        Returns the organisation and whether it was newly created."""
        self._require_council_staff()
        provider = None
        if form.cqc_provider_id:
            provider = await self.db.scalar(
                select(Organisation).where(
                    Organisation.kind == OrganisationKind.PROVIDER,
                    Organisation.cqc_provider_id == form.cqc_provider_id,
                )
            )
        created = provider is None
        if provider is None:
            clash = await self.db.scalar(
                select(Organisation.id).where(
                    Organisation.kind == OrganisationKind.PROVIDER, Organisation.name == form.name
                )
            )
            if clash is not None:
                raise Invalid(
                    "A provider organisation with that name already exists. "
                    "Give its CQC provider ID to link it, or use a distinguishing name."
                )
            provider = await create_organisation(
                self.db,
                kind=OrganisationKind.PROVIDER,
                name=form.name,
                contact_email=form.contact_email,
                cqc_provider_id=form.cqc_provider_id,
            )
        await self.link_provider(provider)
        record_audit(self.db, "provider.linked", actor=self.viewer, subject=f"organisation:{provider.id}")
        await self.db.commit()
        return provider, created

    async def link_provider(self, provider: Organisation) -> None:
        already = await self.db.get(CouncilProvider, (self.viewer.organisation_id, provider.id))
        if already is None:
            self.db.add(CouncilProvider(council_id=self.viewer.organisation_id, provider_id=provider.id))
            await self.db.flush()
