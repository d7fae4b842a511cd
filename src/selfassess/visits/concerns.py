"""Concerns and intelligence about care services, as one viewer may see them.

Council staff log what they hear about a service in their area and follow it to an outcome.
Provider users see the concerns about their own services that are not confidential, and never
the internal notes or who logged them. Every query goes through ``_visible``, so a confidential
concern, or another council's, is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, case, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from selfassess import clock
from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import User
from selfassess.db import Page, built_once, contains_any, fetch_page, utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.notifications.recipients import council_contacts, provider_staff
from selfassess.notifications.service import notify
from selfassess.providers.levels import SupportLevel
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.providers.support_levels import with_support_level
from selfassess.settings import Settings, get_settings
from selfassess.visits.concern_rules import (
    ConcernCommand,
    awaits_response,
    concern_commands,
    concern_refusal,
    concern_role_may,
    response_overdue,
)
from selfassess.visits.models import Concern, ConcernResponse, ConcernSource, ConcernStatus, Severity
from selfassess.visits.schemas import ConcernForm, ConcernResponseForm, ShareConcernForm

# The severity filters of the concerns list, by their value in the address: each severity alone,
# and the serious ones together (the home page counts those and links here).
HIGH_OR_CRITICAL = "high_or_critical"
SEVERITY_FILTERS: dict[str, tuple[Severity, ...]] = {
    **{severity.value: (severity,) for severity in Severity},
    HIGH_OR_CRITICAL: (Severity.HIGH, Severity.CRITICAL),
}
SEVERITY_FILTER_OPTIONS = [*Severity.options(), (HIGH_OR_CRITICAL, "High or critical")]

# Orderings for triage: open before closed, the most severe first.
_OPEN_FIRST = case((Concern.status == ConcernStatus.OPEN, 0), else_=1)
_MOST_SEVERE_FIRST = case(
    *(
        (Concern.severity == level, rank)
        for rank, level in enumerate((Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW))
    )
)


def default_shared_summary(concern: Concern, service_name: str) -> str:
    """What the share form offers the officer to tell the provider: what was raised and when,
    never who raised it or the internal notes."""
    kind = "a complaint" if concern.is_complaint else "a concern"
    received = _long_date(concern.received_on)
    return f"We received {kind} about {service_name} on {received}: {concern.summary.rstrip('.')}."


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class ResponseEntry:
    """A provider's response with the name of who wrote it."""

    response: ConcernResponse
    author_name: str


@dataclass(frozen=True)
class Received:
    """Concerns received between two days (inclusive), from one source or any: the quarterly
    report's counts and the lists they link to."""

    starts: date
    ends: date
    source: ConcernSource | None = None

    def query(self, severity: Severity | None = None) -> str:
        """The concerns list's address for these concerns (of any status), /concerns?{query}."""
        return _received_query(self, severity)


@lru_cache(maxsize=1024)
def _received_query(received: Received, severity: Severity | None) -> str:
    """Encoded once per quarter, source and severity: the report links some thirty counts, the
    same every time it is shown."""
    values = {
        "status": "all",
        "received_from": received.starts.isoformat(),
        "received_to": received.ends.isoformat(),
    }
    if received.source is not None:
        values["source"] = received.source.value
    if severity is not None:
        values["severity"] = severity.value
    return urlencode(values)


@dataclass(frozen=True)
class ConcernEntry:
    """A concern with the names its pages show. ``logged_by_name`` is None for provider users,
    who are not told who logged a concern."""

    concern: Concern
    service_name: str
    logged_by_name: str | None
    support_level: SupportLevel | None = None  # the provider's level above routine, for council staff

    @property
    def awaits_response(self) -> bool:
        return awaits_response(self.concern.status, self.concern.provider_request)

    @property
    def response_overdue(self) -> bool:
        return response_overdue(self.concern.status, self.concern.respond_by, clock.today())


class Concerns:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings | None = None) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings or get_settings()
        self.care_services = CareServices(db, viewer)

    # --- scope ----------------------------------------------------------------------------

    def _visible(self) -> Select:  # type: ignore[type-arg]
        """Concerns about services the viewer may see; for a provider, only the shareable ones,
        loaded without their internal notes (reading them would raise, not leak)."""
        logged_by_name = User.full_name if self.viewer.is_council_staff else null()
        statement = self.care_services.scope(
            with_support_level(
                select(Concern, CareService.name, logged_by_name)
                .join(CareService, CareService.id == Concern.service_id)
                .join(User, User.id == Concern.logged_by_id),
                self.viewer,
            )
        )
        if self.viewer.is_provider:
            statement = statement.where(Concern.is_confidential.is_(False)).options(
                defer(Concern.details, raiseload=True)
            )
        return statement

    def _counted(self, statement: Select) -> Select:  # type: ignore[type-arg]
        """``statement`` over the concerns in the council's area, without the joins that only name
        things: the council list's counts (council staff only, so every concern is in them)."""
        return self.care_services.scope(statement.join(CareService, CareService.id == Concern.service_id))

    def _of_the_area(self) -> ColumnElement[bool]:
        """Beside ``scope`` on the council's list and its counts: PostgreSQL starts from the council's
        services (``includes``), not from the country's open concerns."""
        return self.care_services.includes(Concern.service_id)

    def _list_counted(self, *columns: ColumnElement[Any]) -> Select:  # type: ignore[type-arg]
        """``columns`` over the council's list, before its filters: the list's own count and its tile."""
        return self._counted(select(*columns)).where(self._of_the_area())

    def _require_council_staff(self) -> None:
        if not self.viewer.is_council_staff:
            raise Forbidden("Only council staff can log and manage concerns.")

    # --- reads ----------------------------------------------------------------------------

    def listing(self) -> Select:  # type: ignore[type-arg]
        """The council's concerns (for the API): council staff only."""
        self._require_council_staff()
        return self._visible()

    async def for_service(self, service_id: int) -> list[ConcernEntry]:
        """The service's concerns, open ones first, newest first."""
        rows = await self.db.execute(
            self._visible()
            .where(Concern.service_id == service_id)
            .order_by(_OPEN_FIRST, Concern.received_on.desc(), Concern.id.desc())
        )
        return [ConcernEntry(*row) for row in rows]

    def _listed(
        self,
        statement: Select,  # type: ignore[type-arg]
        status: ConcernStatus | None,
        severities: tuple[Severity, ...],
        query: str,
        received: Received | None = None,
    ) -> Select:  # type: ignore[type-arg]
        """The council list's filter: its rows, its count and the quarterly report's counts."""
        statement = statement.where(CareService.is_active.is_(True))
        if received is not None:
            statement = statement.where(
                Concern.received_on >= received.starts, Concern.received_on <= received.ends
            )
            if received.source is not None:
                statement = statement.where(Concern.source == received.source)
        if status is not None:
            statement = statement.where(Concern.status == status)
        if severities:
            statement = statement.where(Concern.severity.in_(severities))
        if query:
            statement = statement.where(
                contains_any(query, Concern.summary, Concern.details, Concern.outcome, CareService.name)
            )
        return statement

    async def received_counts(self, starts: date, ends: date) -> list[tuple[ConcernSource, Severity, int]]:
        """Concerns received between two days by source and severity, counted with the list's own
        filter: each count is the length of the list at ``Received(...).query(severity)``. Counted
        with ``count(*)``: every column it needs is in the index by date received, so the quarter's
        concerns are read from the index alone (national scale: 1,836 buffers -> 48)."""
        self._require_council_staff()

        def build() -> Select:  # type: ignore[type-arg]
            counted = self._counted(select(Concern.source, Concern.severity, func.count()))
            statement = self._listed(counted, None, (), "", Received(starts, ends))
            return statement.group_by(Concern.source, Concern.severity).order_by(
                Concern.source, Concern.severity
            )

        viewer = self.viewer  # built once per viewer and days: building it cost more than running it
        key = ("concerns received", viewer.id, viewer.organisation_id, viewer.role, starts, ends)
        rows = await self.db.execute(built_once(key, build))
        return [(ConcernSource(source), Severity(severity), count) for source, severity, count in rows]

    def counted(
        self, *, status: ConcernStatus | None = None, severities: tuple[Severity, ...] = ()
    ) -> Select:  # type: ignore[type-arg]
        """The statement that counts ``page``'s list: the home page's tile runs it with its other
        figures in one statement."""
        self._require_council_staff()
        return self._listed(self._list_counted(func.count(Concern.id)), status, severities, "")

    async def total(
        self, *, status: ConcernStatus | None = None, severities: tuple[Severity, ...] = ()
    ) -> int:
        """The length of ``page``'s list."""
        return await self.db.scalar(self.counted(status=status, severities=severities)) or 0

    async def page(
        self,
        *,
        status: ConcernStatus | None = None,
        severities: tuple[Severity, ...] = (),
        query: str = "",
        received: Received | None = None,
        number: int = 1,
        size: int = 25,
    ) -> Page[ConcernEntry]:
        """The council's list for triage: open first, most severe first, newest first."""
        self._require_council_staff()
        statement = self._listed(
            self._visible().where(self._of_the_area()), status, severities, query, received
        )
        rows, total, number = await fetch_page(
            self.db,
            statement,
            _OPEN_FIRST,
            _MOST_SEVERE_FIRST,
            Concern.received_on.desc(),
            Concern.id.desc(),
            number=number,
            size=size,
            counted=self._listed(self._list_counted(Concern.id), status, severities, query, received),
        )
        return Page(items=[ConcernEntry(*row) for row in rows], total=total, number=number, size=size)

    async def get(self, concern_id: int) -> ConcernEntry:
        row = (await self.db.execute(self._visible().where(Concern.id == concern_id))).one_or_none()
        if row is None:
            raise NotFound("concern")
        return ConcernEntry(*row)

    async def responses(self, concern: Concern) -> list[ResponseEntry]:
        """The provider's responses, oldest first. ``concern`` comes from ``get``, so the viewer may
        see it (a confidential concern never has any)."""
        rows = await self.db.execute(
            select(ConcernResponse, User.full_name)
            .join(User, User.id == ConcernResponse.author_id)
            .where(ConcernResponse.concern_id == concern.id)
            .order_by(ConcernResponse.created_at, ConcernResponse.id)
        )
        return [ResponseEntry(*row) for row in rows]

    # --- writes ---------------------------------------------------------------------------

    async def create(self, service: CareService, form: ConcernForm) -> Concern:
        """``service`` comes from ``care_services.get``, so it is already one the viewer may see."""
        self._require_council_staff()
        concern = Concern(service_id=service.id, logged_by_id=self.viewer.id, **self._fields(form))
        self.db.add(concern)
        await self.db.flush()
        self._audit("concern.logged", concern)
        await self.db.commit()
        return concern

    def commands(self, concern: Concern) -> frozenset[ConcernCommand]:
        return concern_commands(
            concern.status, council_staff=self.viewer.is_council_staff, confidential=concern.is_confidential
        )

    def _require(self, command: ConcernCommand, concern: Concern) -> None:
        """Refuse what the rulebook does not allow: the same answer the concern page was given
        (forbidden for a command this kind of person never gives, a message for the rest)."""
        if command in self.commands(concern):
            return
        council_staff = self.viewer.is_council_staff
        message = concern_refusal(
            command, concern.status, council_staff=council_staff, confidential=concern.is_confidential
        )
        raise (Invalid if concern_role_may(command, council_staff=council_staff) else Forbidden)(message)

    async def share(self, entry: ConcernEntry, form: ShareConcernForm) -> Concern:
        """Tell the provider about the concern: what it reads, what it is asked to do, by when.
        The provider's staff are told in the app and by e-mail."""
        concern = entry.concern
        self._require(ConcernCommand.SHARE, concern)
        first_time = concern.shared_at is None
        concern.shared_summary = form.shared_summary
        concern.provider_request = form.provider_request or ""
        concern.respond_by = form.respond_by
        concern.shared_at = concern.updated_at = utcnow()
        self._audit("concern.shared", concern)
        service = await self.db.get(CareService, concern.service_id)
        assert service is not None
        asked = f" and asks you to respond by {_long_date(form.respond_by)}" if form.respond_by else ""
        await notify(
            self.db,
            recipients=await provider_staff(self.db, service),
            message=f"The council has {'shared' if first_time else 'updated'} a concern about {service.name}"
            f"{asked}.",
            link=f"/concerns/{concern.id}",
            dedupe_key=f"concern:{concern.id}:shared:{concern.shared_at.isoformat()}",
            email_subject=f"A concern about {service.name} needs your attention",
            settings=self.settings,
        )
        await self.db.commit()
        return concern

    async def respond(self, entry: ConcernEntry, form: ConcernResponseForm) -> ConcernResponse:
        """The provider answers on the page; the officer who logged the concern and the service's
        council contacts are told."""
        concern = entry.concern
        self._require(ConcernCommand.RESPOND, concern)
        response = ConcernResponse(concern_id=concern.id, author_id=self.viewer.id, text=form.text)
        self.db.add(response)
        await self.db.flush()
        record_audit(
            self.db, "concern.responded", actor=self.viewer, subject=f"concern:{concern.id}", detail=""
        )
        service = await self.db.get(CareService, concern.service_id)
        logged_by = await self.db.get(User, concern.logged_by_id)
        assert service is not None
        recipients = [*([logged_by] if logged_by else []), *await council_contacts(self.db, service)]
        await notify(
            self.db,
            recipients=recipients,
            message=f"{service.name} responded to the concern \u201c{concern.summary}\u201d.",
            link=f"/concerns/{concern.id}#responses",
            dedupe_key=f"concern-response:{response.id}",
            email_subject=f"{service.name} responded to a concern",
            settings=self.settings,
        )
        await self.db.commit()
        return response

    async def update(self, concern: Concern, form: ConcernForm) -> Concern:
        self._require(ConcernCommand.EDIT, concern)
        for name, value in self._fields(form).items():
            setattr(concern, name, value)
        concern.updated_at = utcnow()
        self._audit("concern.updated", concern)
        await self.db.commit()
        return concern

    async def close(self, concern: Concern, outcome: str) -> Concern:
        self._require(ConcernCommand.CLOSE, concern)
        concern.status = ConcernStatus.CLOSED
        concern.outcome = outcome
        concern.updated_at = utcnow()
        self._audit("concern.closed", concern)
        await self.db.commit()
        return concern

    async def reopen(self, concern: Concern) -> Concern:
        """The earlier outcome is kept, shown as the last one, and offered again when it is next closed."""
        self._require(ConcernCommand.REOPEN, concern)
        concern.status = ConcernStatus.OPEN
        concern.updated_at = utcnow()
        self._audit("concern.reopened", concern)
        await self.db.commit()
        return concern

    @staticmethod
    def _fields(form: ConcernForm) -> dict[str, object]:
        """Whistle-blowers and safeguarding enquiries are confidential whatever the form says."""
        return {
            **form.model_dump(),
            "details": form.details or "",
            "is_confidential": form.is_confidential or form.source.always_confidential,
        }

    def _audit(self, event: str, concern: Concern) -> None:
        """The trail says what kind of concern it was, not what it said: the text stays in one place."""
        kind = f"{concern.source.label}; {concern.severity.label} severity"
        if concern.is_confidential:
            kind += "; confidential"
        record_audit(self.db, event, actor=self.viewer, subject=f"concern:{concern.id}", detail=kind)
