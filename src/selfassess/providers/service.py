"""Care services and provider organisations as one viewer may see them.

Every read goes through ``CareServices``, which is built for the signed-in user and scopes every
query to what that user may see (their council's area, or their own organisation's services).
No route can forget the scope, and an id from elsewhere is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, Select, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import LinkPurpose, Organisation, OrganisationKind, Role, User
from selfassess.accounts.rules import Account, AccountChange, account_refusal
from selfassess.accounts.service import (
    FieldInvalid,
    create_organisation,
    create_user,
    manager_of,
    send_account_link,
)
from selfassess.db import Page, contains_any, fetch_page, one_of, utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.notifications.service import notify
from selfassess.providers.hooks import service_moved, service_regrouped, service_saved
from selfassess.providers.levels import SupportLevel
from selfassess.providers.models import (
    DECIDABLE_LINK_STATUSES,
    CareService,
    CouncilProvider,
    LinkStatus,
    RegulatorRating,
    ServiceType,
    registered_provider_ids,
)
from selfassess.providers.schemas import ProviderForm, ServiceForm
from selfassess.providers.support_levels import with_support_level
from selfassess.settings import Settings

# Aliased once, not per request: an alias copies every column of its table each time one is made
# (about a millisecond for a user's), and these lists are asked for all day.
_PROVIDER, _OFFICER = aliased(Organisation), aliased(User)


@dataclass(frozen=True)
class ServiceRow:
    """One line of the services list: only the columns it shows."""

    service_id: int
    name: str
    town: str
    postcode: str
    service_type: ServiceType
    regulator_rating: RegulatorRating
    assigned_officer_id: int | None
    provider_name: str
    officer_name: str | None
    overdue_actions: int
    support_level: SupportLevel | None = None  # above routine, for council staff only


@dataclass(frozen=True)
class ProviderSummary:
    """One line of the provider register: only the columns it shows."""

    provider_id: int
    name: str
    cqc_provider_id: str | None
    contact_email: str | None
    service_count: int
    user_count: int


class CareServices:
    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer

    # --- scope ----------------------------------------------------------------------------

    def scope(self, statement: Select) -> Select:  # type: ignore[type-arg]
        """Restrict any query that involves CareService to what the viewer may see."""
        return statement.where(self._visible())

    def _visible(self) -> ColumnElement[bool]:
        if self.viewer.is_provider:
            return CareService.provider_id == self.viewer.organisation_id
        return CareService.council_id == self.viewer.organisation_id

    def in_area(
        self,
        service_id: ColumnElement[int],
        council_id: ColumnElement[int],
        provider_id: ColumnElement[int] | None = None,
    ) -> ColumnElement[bool]:
        """What ``scope`` asks, said of a record's own columns: its service and the council (and, on
        plans, the provider) copied onto it (plans and visits; a service never changes council, and
        its plans follow it to another provider), so that PostgreSQL starts from the viewer's records
        by that column's index instead of the country's; a provider's from its services
        (``includes``) where the record has no provider column."""
        if self.viewer.is_provider:
            if provider_id is not None:
                return provider_id == self.viewer.organisation_id
            return self.includes(service_id)
        return council_id == self.viewer.organisation_id

    def includes(self, service_id: ColumnElement[int]) -> ColumnElement[bool]:
        """``service_id`` (of plans, actions' plans, concerns) is one of the services ``scope`` lets
        the viewer see. Added beside ``scope`` on lists over a big table, it has PostgreSQL start
        from the viewer's services and that table's service index instead of reading the table."""
        return one_of(service_id, select(CareService.id).where(self._visible()))

    def _require_council_staff(self) -> None:
        if not self.viewer.is_council_staff:
            raise Forbidden("Only council staff can change service details.")

    # --- reads ----------------------------------------------------------------------------

    async def page(
        self,
        *,
        overdue_actions: ScalarSelect[int],
        query: str = "",
        service_type: ServiceType | None = None,
        assigned_to_me: bool = False,
        number: int = 1,
        size: int = 25,
    ) -> Page[ServiceRow]:
        """One page of the services list. ``overdue_actions`` counts a service's overdue actions,
        correlated to CareService: the actions slice says what is overdue, and comes after this one,
        so the caller passes it in (the page gets it as a dependency, see ``actions.routes``)."""
        provider, officer = _PROVIDER, _OFFICER
        listed = self.scope(select(CareService.id).where(CareService.is_active.is_(True)))
        if query:
            # The provider's name looked up for the services whose own columns do not match, not
            # joined: a join hashed every organisation in the country for one council's search.
            provider_name = (
                select(Organisation.name).where(Organisation.id == CareService.provider_id).scalar_subquery()
            )
            listed = listed.where(
                contains_any(query, CareService.name, CareService.postcode, CareService.town, provider_name)
            )
        if service_type is not None:
            listed = listed.where(CareService.service_type == service_type)
        if assigned_to_me:
            listed = listed.where(CareService.assigned_officer_id == self.viewer.id)
        total = await self.db.scalar(select(func.count()).select_from(listed.subquery())) or 0
        number = max(1, min(number, -(-total // size) or 1))
        order = (
            case((CareService.assigned_officer_id == self.viewer.id, 0), else_=1),
            CareService.name,
            CareService.id,
        )
        # The page's services are picked first; names, overdue actions and levels are then read for
        # those 25 only, not for every service before the page.
        shown = listed.order_by(*order).limit(size).offset((number - 1) * size).correlate(None)
        rows = await self.db.execute(
            self.scope(
                with_support_level(
                    select(
                        CareService.id,
                        CareService.name,
                        CareService.town,
                        CareService.postcode,
                        CareService.service_type,
                        CareService.regulator_rating,
                        CareService.assigned_officer_id,
                        provider.name,
                        officer.full_name,
                        overdue_actions,
                    )
                    .join(provider, provider.id == CareService.provider_id)
                    .outerjoin(officer, officer.id == CareService.assigned_officer_id),
                    self.viewer,
                ).where(CareService.id.in_(shown))
            ).order_by(*order)
        )
        items = [ServiceRow(*row) for row in rows]
        return Page(items=items, total=total, number=number, size=size)

    async def council_name(self, service: CareService) -> str:
        """The council in whose area the service is: it issues the reports and plans about it."""
        return (
            await self.db.scalar(select(Organisation.name).where(Organisation.id == service.council_id)) or ""
        )

    def listing(self, latest_rating: ScalarSelect[str | None]) -> Select:  # type: ignore[type-arg]
        """The viewer's active services with their provider's name and ``latest_rating`` (for the
        API): each one's latest published visit rating, correlated to CareService, which the visits
        slice says and the caller passes in (visits come after this slice)."""
        provider = _PROVIDER
        return self.scope(
            select(CareService, provider.name, latest_rating)
            .join(provider, provider.id == CareService.provider_id)
            .where(CareService.is_active.is_(True))
        )

    async def listed(self, service_id: int, latest_rating: ScalarSelect[str | None]) -> Row:  # type: ignore[type-arg]
        """One row of `listing()`: the service, its provider's name and latest published rating."""
        row = (await self.db.execute(self.listing(latest_rating).where(CareService.id == service_id))).first()
        if row is None:
            raise NotFound("service")
        return row

    async def get(self, service_id: int) -> CareService:
        """The service with its provider, council and officer, in one statement (each is one row:
        joined, not a statement apiece, for every page and panel under /services/{id})."""
        service = await self.db.scalar(
            # One statement (the service page and each of its panels ask this first), not four.
            self.scope(select(CareService).where(CareService.id == service_id)).options(
                joinedload(CareService.provider),
                joinedload(CareService.council),
                joinedload(CareService.assigned_officer),
            )
        )
        if service is None:
            raise NotFound("service")
        return service

    def _providers(self, *columns: Any) -> Select:  # type: ignore[type-arg]
        """Provider organisations this council works with (for a provider user: their own), by name."""
        if self.viewer.is_provider:
            chosen = Organisation.id == self.viewer.organisation_id
        else:
            chosen = one_of(Organisation.id, registered_provider_ids(self.viewer.organisation_id))
        return select(*columns).where(chosen).order_by(Organisation.name)

    async def providers(self) -> list[Organisation]:
        if self.viewer.is_provider:
            return [await self.db.get_one(Organisation, self.viewer.organisation_id)]
        return list(await self.db.scalars(self._providers(Organisation)))

    async def provider_choices(self) -> list[tuple[int, str]]:
        """The same providers as (id, name), for a filter or a form's list: a county works with
        hundreds, and loading each as a whole organisation cost more than the page it was on. A
        council's are read from its register, each name by key: joined to the organisations, the
        planner hashed all of the country's (21,000) to find a county's 600 (7 ms, now 1 ms)."""
        if self.viewer.is_provider:
            statement = self._providers(Organisation.id, Organisation.name)
        else:
            name = (
                select(Organisation.name)
                .where(Organisation.id == CouncilProvider.provider_id)
                .scalar_subquery()
                .label("provider_name")
            )
            statement = registered_provider_ids(self.viewer.organisation_id).add_columns(name).order_by(name)
        return [(id_, name) for id_, name in await self.db.execute(statement)]

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
        registered = select(Organisation.id).where(
            one_of(Organisation.id, registered_provider_ids(self.viewer.organisation_id))
        )
        if query:
            registered = registered.where(
                contains_any(
                    query, Organisation.name, Organisation.cqc_provider_id, Organisation.contact_email
                )
            )
        rows, total, number = await fetch_page(
            self.db,
            registered.add_columns(
                Organisation.name,
                Organisation.cqc_provider_id,
                Organisation.contact_email,
                service_count,
                user_count,
            ),
            Organisation.name,
            Organisation.id,
            number=number,
            size=size,
            counted=registered,
        )
        items = [ProviderSummary(*row) for row in rows]
        return Page(items=items, total=total, number=number, size=size)

    def _officers(self, *columns: Any) -> Select:  # type: ignore[type-arg]
        return (
            select(*columns)
            .where(
                User.organisation_id == self.viewer.organisation_id,
                User.role.in_([Role.OFFICER, Role.COUNCIL_ADMIN]),
                User.is_active.is_(True),
            )
            .order_by(User.full_name)
        )

    async def officers(self) -> list[User]:
        if self.viewer.is_provider:
            return []
        return list(await self.db.scalars(self._officers(User)))

    async def officer_choices(self) -> list[tuple[int, str]]:
        """The same officers as (id, name), for a filter or a form's list."""
        if self.viewer.is_provider:
            return []
        return [(id_, name) for id_, name in await self.db.execute(self._officers(User.id, User.full_name))]

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
        grouped_by = (service.service_type, service.town) if stored else None
        provider_before = service.provider_id
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
        await service_saved.announce(self.db, service)  # oversight keeps the regulator rating history
        if grouped_by is not None and grouped_by != (service.service_type, service.town):
            await service_regrouped.announce(self.db, service)
        if stored and provider_before != service.provider_id:
            await service_moved.announce(self.db, service)
        record_audit(self.db, event, actor=self.viewer, subject=f"service:{service.id}", detail=service.name)
        await self.db.commit()

    async def add_provider(self, form: ProviderForm, settings: Settings) -> tuple[Organisation, AddOutcome]:
        """A new organisation is created and put on the register at once (a council admin may
        invite its first provider admin in the same step). One that exists already (the same CQC
        provider ID) is only asked: its admins accept or decline, and until then this council
        sees nothing of it beyond the services in its own area it already had."""
        self._require_council_staff()
        provider = None
        if form.cqc_provider_id:
            provider = await self.db.scalar(
                select(Organisation).where(
                    Organisation.kind == OrganisationKind.PROVIDER,
                    Organisation.cqc_provider_id == form.cqc_provider_id,
                )
            )
        if provider is not None:
            if form.admin_email:
                raise FieldInvalid(
                    "admin_email",
                    f"{provider.name} is already in selfassess and its own admins manage its accounts. "
                    "Leave the first admin out to ask it to join your register.",
                )
            return provider, await self._request_link(provider, settings)
        clash = await self.db.scalar(
            select(Organisation.id).where(
                Organisation.kind == OrganisationKind.PROVIDER, Organisation.name == form.name
            )
        )
        if clash is not None:
            raise FieldInvalid(
                "name",
                "A provider organisation with that name already exists. "
                "Give its CQC provider ID to ask it to join your register, or use a distinguishing name.",
            )
        if form.admin_email:
            founding = Account(
                organisation_id=0,  # not made yet
                organisation_kind=OrganisationKind.PROVIDER,
                role=Role.PROVIDER_ADMIN,
                first_admin_of_new_provider=True,
            )
            if refusal := account_refusal(manager_of(self.viewer), founding, AccountChange.INVITE):
                raise FieldInvalid("admin_email", refusal)
        provider = await create_organisation(
            self.db,
            kind=OrganisationKind.PROVIDER,
            name=form.name,
            contact_email=form.contact_email,
            cqc_provider_id=form.cqc_provider_id,
        )
        self.db.add(
            CouncilProvider(
                council_id=self.viewer.organisation_id,
                provider_id=provider.id,
                status=LinkStatus.ACCEPTED,
                requested_by_id=self.viewer.id,
                decided_at=utcnow(),
            )
        )
        record_audit(self.db, "provider.linked", actor=self.viewer, subject=f"organisation:{provider.id}")
        if form.admin_email and form.admin_full_name:
            admin = await create_user(
                self.db,
                organisation=provider,
                email=form.admin_email,
                full_name=form.admin_full_name,
                role=Role.PROVIDER_ADMIN,
                created_by=self.viewer,
            )
            await send_account_link(
                self.db,
                user=admin,
                organisation_name=provider.name,
                purpose=LinkPurpose.INVITATION,
                settings=settings,
                sent_by=self.viewer,
            )
        await self.db.commit()
        return provider, AddOutcome.CREATED

    async def _request_link(self, provider: Organisation, settings: Settings) -> AddOutcome:
        link = await self.db.get(CouncilProvider, (self.viewer.organisation_id, provider.id))
        if link is not None and link.status is LinkStatus.ACCEPTED:
            return AddOutcome.ALREADY_REGISTERED
        if link is not None and link.status is LinkStatus.PENDING:
            return AddOutcome.ALREADY_ASKED
        if link is None:
            link = CouncilProvider(council_id=self.viewer.organisation_id, provider_id=provider.id)
            self.db.add(link)
        link.status, link.created_at = LinkStatus.PENDING, utcnow()
        link.requested_by_id, link.decided_by_id, link.decided_at = self.viewer.id, None, None
        record_audit(
            self.db, "provider_link.requested", actor=self.viewer, subject=f"organisation:{provider.id}"
        )
        admins = await self.db.scalars(
            select(User).where(User.organisation_id == provider.id, User.role == Role.PROVIDER_ADMIN)
        )
        council = self.viewer.organisation.name
        await notify(
            self.db,
            recipients=list(admins),
            message=f"{council} asks to add {provider.name} to its register. Accept or decline it.",
            link="/admin/councils",
            dedupe_key=f"provider-link:{self.viewer.organisation_id}:{provider.id}:{utcnow().isoformat()}",
            email_subject=f"{council} asks to add {provider.name} to its register",
            settings=settings,
        )
        await self.db.commit()
        return AddOutcome.ASKED

    async def link_requests(self) -> list[LinkRequestRow]:
        """This council's requests still waiting for the provider, and those declined."""
        rows = await self.db.execute(
            select(CouncilProvider, Organisation.name)
            .join(Organisation, Organisation.id == CouncilProvider.provider_id)
            .where(
                CouncilProvider.council_id == self.viewer.organisation_id,
                CouncilProvider.status != LinkStatus.ACCEPTED,
            )
            .order_by(CouncilProvider.created_at.desc())
        )
        return [LinkRequestRow(link, name) for link, name in rows]


class AddOutcome(Enum):
    CREATED = "Added {name} to your council's register."
    ASKED = (
        "{name} is already in selfassess. We have asked its admins to accept your council's register; "
        "until they do, you see nothing of it beyond the services in your area you already had."
    )
    ALREADY_ASKED = "You have already asked {name} to join your register; its admins have not decided yet."
    ALREADY_REGISTERED = "{name} is already on your council's register."


@dataclass(frozen=True)
class LinkRequestRow:
    link: CouncilProvider
    name: str  # the other side's name

    @property
    def can_decide(self) -> bool:
        return self.link.status.awaits_decision


class ProviderLinks:
    """A provider admin's side of the register links: which councils' registers their
    organisation is on, and the requests waiting for a decision. Only their own organisation's."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        if not viewer.is_provider_admin:
            raise Forbidden("Only provider admins decide which councils' registers to join.")
        self.db = db
        self.viewer = viewer

    async def rows(self) -> list[LinkRequestRow]:
        rows = await self.db.execute(
            select(CouncilProvider, Organisation.name)
            .join(Organisation, Organisation.id == CouncilProvider.council_id)
            .where(CouncilProvider.provider_id == self.viewer.organisation_id)
            .order_by(CouncilProvider.status != LinkStatus.PENDING, Organisation.name)
        )
        return [LinkRequestRow(link, name) for link, name in rows]

    async def waiting(self, council_id: int) -> LinkRequestRow:
        """A council's request to add the viewer's organisation to its register, while it awaits a
        decision (NotFound otherwise)."""
        row = (
            await self.db.execute(
                select(CouncilProvider, Organisation.name)
                .join(Organisation, Organisation.id == CouncilProvider.council_id)
                .where(
                    CouncilProvider.council_id == council_id,
                    CouncilProvider.provider_id == self.viewer.organisation_id,
                    CouncilProvider.status.in_(DECIDABLE_LINK_STATUSES),
                )
            )
        ).first()
        if row is None:
            raise NotFound("request")
        return LinkRequestRow(*row)

    async def decide(self, request: LinkRequestRow, *, accept: bool) -> None:
        """Accepts or declines a request from ``waiting``."""
        link = request.link
        link.status = LinkStatus.ACCEPTED if accept else LinkStatus.DECLINED
        link.decided_by_id, link.decided_at = self.viewer.id, utcnow()
        record_audit(
            self.db,
            "provider_link.accepted" if accept else "provider_link.declined",
            actor=self.viewer,
            subject=f"organisation:{link.council_id}",
            detail=request.name,
        )
        await self.db.commit()
