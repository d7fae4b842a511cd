"""Bulk import of care services and provider organisations into the signed-in council admin's
council: a dry run (the plan of `bulk.py` against the council's records as they are now) and the
import itself, which plans again and applies the plan in one transaction, so a file never leaves
half its rows written. Invitations to new providers' first admins are queued only here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import LinkPurpose, Organisation, OrganisationKind, Role, User
from selfassess.accounts.rules import Account, AccountChange, account_refusal
from selfassess.accounts.service import create_organisation, create_user, manager_of, send_account_link
from selfassess.db import utcnow
from selfassess.errors import Forbidden
from selfassess.providers.bulk import (
    SERVICE_FIELDS,
    ExistingService,
    ImportKind,
    ImportPlan,
    ProviderSnapshot,
    RowAction,
    ServiceSnapshot,
    SourceRow,
    plan_providers,
    plan_services,
)
from selfassess.providers.hooks import service_moved, service_regrouped, service_saved
from selfassess.providers.models import CareService, CouncilProvider, LinkStatus, registered_provider_ids
from selfassess.settings import Settings


class BulkImport:
    """Always into the viewer's own council: no id in the request names the council."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        if not viewer.is_council_admin:
            raise Forbidden("Only council admins import services and providers.")
        self.db = db
        self.viewer = viewer
        self.council_id = viewer.organisation_id

    async def plan(self, kind: ImportKind, rows: list[SourceRow]) -> ImportPlan:
        if kind is ImportKind.SERVICES:
            return plan_services(rows, await self._service_snapshot(rows))
        return plan_providers(rows, await self._provider_snapshot(rows))

    async def _service_snapshot(self, rows: list[SourceRow]) -> ServiceSnapshot:
        columns = [getattr(CareService, name) for name in SERVICE_FIELDS]
        stored = await self.db.execute(
            select(CareService.id, *columns).where(
                CareService.council_id == self.council_id, CareService.is_active.is_(True)
            )
        )
        services = tuple(
            ExistingService(row[0], dict(zip(SERVICE_FIELDS, row[1:], strict=True))) for row in stored
        )
        providers = (
            await self.db.execute(
                select(Organisation.id, Organisation.name, Organisation.cqc_provider_id).where(
                    Organisation.id.in_(registered_provider_ids(self.council_id))
                )
            )
        ).all()
        officers = (
            await self.db.execute(
                select(User.id, User.email).where(
                    User.organisation_id == self.council_id,
                    User.role.in_([Role.OFFICER, Role.COUNCIL_ADMIN]),
                    User.is_active.is_(True),
                )
            )
        ).all()
        wanted_locations = {row.cells.get("cqc_location_id", "") for row in rows} - {""}
        elsewhere = await self.db.scalars(
            select(CareService.cqc_location_id).where(
                CareService.cqc_location_id.in_(wanted_locations), CareService.council_id != self.council_id
            )
        )
        return ServiceSnapshot(
            services=services,
            providers_by_name={name.lower(): id_ for id_, name, _ in providers},
            providers_by_cqc_id={cqc: id_ for id_, _, cqc in providers if cqc},
            provider_names={id_: name for id_, name, _ in providers},
            officers_by_email={email.lower(): id_ for id_, email in officers},
            officer_emails={id_: email for id_, email in officers},
            location_ids_elsewhere=frozenset(location for location in elsewhere if location),
        )

    async def _provider_snapshot(self, rows: list[SourceRow]) -> ProviderSnapshot:
        registered = (
            await self.db.execute(
                select(Organisation.id, Organisation.name, Organisation.cqc_provider_id).where(
                    Organisation.id.in_(registered_provider_ids(self.council_id))
                )
            )
        ).all()
        names = {row.cells.get("name", "").lower() for row in rows} - {""}
        cqc_ids = {row.cells.get("cqc_provider_id", "") for row in rows} - {""}
        emails = {row.cells.get("admin_email", "").strip().lower() for row in rows} - {""}
        elsewhere = (
            await self.db.execute(
                select(func.lower(Organisation.name), Organisation.cqc_provider_id).where(
                    Organisation.kind == OrganisationKind.PROVIDER,
                    Organisation.id.not_in(registered_provider_ids(self.council_id)),
                    func.lower(Organisation.name).in_(names) | Organisation.cqc_provider_id.in_(cqc_ids),
                )
            )
        ).all()
        taken = await self.db.scalars(select(User.email).where(User.email.in_(emails)))
        return ProviderSnapshot(
            registered_by_name={name.lower(): id_ for id_, name, _ in registered},
            registered_by_cqc_id={cqc: id_ for id_, _, cqc in registered if cqc},
            elsewhere_names=frozenset(name for name, _ in elsewhere),
            elsewhere_cqc_ids=frozenset(cqc for _, cqc in elsewhere if cqc),
            taken_emails=frozenset(taken),
        )

    async def apply(self, plan: ImportPlan, settings: Settings) -> None:
        """Write the rows that create or update, all or none; error rows are left out."""
        if plan.kind is ImportKind.SERVICES:
            await self._apply_services(plan)
        else:
            await self._apply_providers(plan, settings)
        record_audit(
            self.db,
            f"import.{plan.kind.value}",
            actor=self.viewer,
            detail=f"{plan.count(RowAction.CREATE)} created, {plan.count(RowAction.UPDATE)} updated",
        )
        await self.db.commit()

    async def _apply_services(self, plan: ImportPlan) -> None:
        for row in plan.rows:
            moved = provider_changed = False
            if row.action is RowAction.CREATE:
                service = CareService(council_id=self.council_id, **row.values)
                self.db.add(service)
                await self.db.flush()
                event = "service.created"
            elif row.action is RowAction.UPDATE:
                service = await self.db.get_one(CareService, row.existing_id)
                grouped_by, provider_before = (service.service_type, service.town), service.provider_id
                for name, value in row.values.items():
                    setattr(service, name, value)
                service.updated_at = utcnow()
                event = "service.updated"
                moved = grouped_by != (service.service_type, service.town)
                provider_changed = provider_before != service.provider_id
            else:
                continue
            await service_saved.announce(self.db, service)  # oversight keeps the rating history
            if moved:
                await service_regrouped.announce(self.db, service)
            if provider_changed:
                await service_moved.announce(self.db, service)
            record_audit(
                self.db, event, actor=self.viewer, subject=f"service:{service.id}", detail=service.name
            )

    async def _apply_providers(self, plan: ImportPlan, settings: Settings) -> None:
        founding = Account(
            organisation_id=0,  # not made yet
            organisation_kind=OrganisationKind.PROVIDER,
            role=Role.PROVIDER_ADMIN,
            first_admin_of_new_provider=True,
        )
        may_invite = account_refusal(manager_of(self.viewer), founding, AccountChange.INVITE) is None
        for row in plan.rows:
            if row.action is not RowAction.CREATE:
                continue
            values = row.values
            provider = await create_organisation(
                self.db,
                kind=OrganisationKind.PROVIDER,
                name=str(values["name"]),
                contact_email=values["contact_email"],  # type: ignore[arg-type]
                cqc_provider_id=values["cqc_provider_id"],  # type: ignore[arg-type]
            )
            self.db.add(
                CouncilProvider(
                    council_id=self.council_id,
                    provider_id=provider.id,
                    status=LinkStatus.ACCEPTED,
                    requested_by_id=self.viewer.id,
                    decided_at=utcnow(),
                )
            )
            record_audit(self.db, "provider.linked", actor=self.viewer, subject=f"organisation:{provider.id}")
            if values.get("admin_email") and may_invite:
                admin = await create_user(
                    self.db,
                    organisation=provider,
                    email=str(values["admin_email"]),
                    full_name=str(values["admin_full_name"]),
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
