"""Log-in, sessions and user administration. Writes commit here; controllers never build queries."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from selfassess.accounts.audit import AUDIT_EVENT_LABELS, audit_event_label, record_audit
from selfassess.accounts.models import (
    AuditEvent,
    LoginAttempt,
    LoginSession,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from selfassess.accounts.passwords import hash_password, needs_rehash, verify_password
from selfassess.accounts.schemas import UserForm
from selfassess.db import Page, contains_any, fetch_page, utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.providers.models import CouncilProvider

# Refreshing last_seen_at on every request would turn every page view into a write.
_TOUCH_INTERVAL = timedelta(minutes=5)


class LoginRefused(Exception):
    """Shown to the person trying to log in, so it never says which half was wrong."""


class LoginThrottled(LoginRefused):
    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, round(retry_after_seconds / 60))
        super().__init__(
            "Too many failed log-in attempts. For your security, wait "
            f"{minutes} minute{'s' if minutes != 1 else ''} and try again."
        )
        self.retry_after_seconds = retry_after_seconds


class DuplicateEmail(Invalid):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:70] or "organisation"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- log-in ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta

    @property
    def max_failures_per_ip(self) -> int:
        """An office behind one address has many people; allow it more, but not unlimited."""
        return self.max_failures * 4


async def _retry_after(db: AsyncSession, *, email: str, ip: str | None, policy: ThrottlePolicy) -> int:
    """Seconds until the oldest counted failure leaves the window, or 0 when not throttled."""
    since = utcnow() - policy.window
    failed = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since
    )
    count, oldest = (await db.execute(failed.where(LoginAttempt.email == email))).one()
    if count < policy.max_failures and ip is not None:
        count, oldest = (await db.execute(failed.where(LoginAttempt.ip == ip))).one()
        if count < policy.max_failures_per_ip:
            return 0
    elif count < policy.max_failures:
        return 0
    return max(1, int((oldest + policy.window - utcnow()).total_seconds()))


async def authenticate(
    db: AsyncSession, *, email: str, password: str, ip: str | None, policy: ThrottlePolicy
) -> User:
    email = normalise_email(email)
    retry_after = await _retry_after(db, email=email, ip=ip, policy=policy)
    if retry_after:
        record_audit(db, "login.throttled", subject=email, ip=ip)
        await db.commit()
        raise LoginThrottled(retry_after)

    user = await db.scalar(select(User).where(User.email == email))
    password_ok = verify_password(password, user.password_hash if user else None)
    succeeded = bool(user and password_ok and user.is_active)
    db.add(LoginAttempt(email=email, ip=ip, succeeded=succeeded))
    if not succeeded:
        reason = "inactive" if user and password_ok else "bad credentials"
        record_audit(db, "login.failed", actor=user, subject=email, detail=reason, ip=ip)
        await db.commit()
        if user and password_ok:
            raise LoginRefused(
                "This account has been deactivated. Ask your council's admin to reactivate it."
            )
        raise LoginRefused("The e-mail address or password is not right.")

    assert user is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record_audit(db, "login.succeeded", actor=user, subject=email, ip=ip)
    return user


async def start_session(
    db: AsyncSession, *, user: User, ip: str | None, user_agent: str | None, max_age: timedelta
) -> str:
    """A fresh random token on every log-in, so a token planted before log-in is worthless."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        LoginSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            expires_at=now + max_age,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    await db.commit()
    return token


async def end_session(db: AsyncSession, *, token: str, ip: str | None) -> None:
    login = await db.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    if login and login.ended_at is None:
        login.ended_at = utcnow()
        record_audit(db, "logout", actor_id=login.user_id, ip=ip)
        await db.commit()


async def end_all_sessions(db: AsyncSession, *, user_id: int) -> None:
    await db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


async def user_for_token(db: AsyncSession, token: str) -> User | None:
    now = utcnow()
    row = (
        await db.execute(
            select(User, LoginSession)
            .join(LoginSession, LoginSession.user_id == User.id)
            .options(selectinload(User.organisation))
            .where(
                LoginSession.token_hash == _token_hash(token),
                LoginSession.ended_at.is_(None),
                LoginSession.expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    user, login = row
    if now - login.last_seen_at > _TOUCH_INTERVAL:
        login.last_seen_at = now
        await db.commit()
    return user


async def change_password(db: AsyncSession, *, user: User, new_password: str, keep_token: str) -> None:
    """Other browsers signed in as this user are signed out: a changed password means distrust."""
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.updated_at = utcnow()
    await db.execute(
        update(LoginSession)
        .where(
            LoginSession.user_id == user.id,
            LoginSession.ended_at.is_(None),
            LoginSession.token_hash != _token_hash(keep_token),
        )
        .values(ended_at=utcnow())
    )
    record_audit(db, "password.changed", actor=user, subject=f"user:{user.id}")
    await db.commit()


# --- organisations and users ----------------------------------------------------------------


async def unique_slug(db: AsyncSession, name: str) -> str:
    base = slugify(name)
    taken = set(
        (await db.execute(select(Organisation.slug).where(Organisation.slug.like(f"{base}%")))).scalars()
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


async def create_organisation(
    db: AsyncSession,
    *,
    kind: OrganisationKind,
    name: str,
    contact_email: str | None = None,
    cqc_provider_id: str | None = None,
) -> Organisation:
    organisation = Organisation(
        kind=kind,
        name=name.strip(),
        slug=await unique_slug(db, name),
        contact_email=contact_email,
        cqc_provider_id=cqc_provider_id,
    )
    db.add(organisation)
    await db.flush()
    return organisation


async def create_user(
    db: AsyncSession,
    *,
    organisation: Organisation,
    email: str,
    full_name: str,
    role: Role,
    password: str,
    job_title: str | None = None,
    must_change_password: bool = True,
    created_by: User | None = None,
) -> User:
    if role not in Role.for_kind(organisation.kind):
        raise ValueError(f"A {organisation.kind.label.lower()} cannot have the role {role.label}.")
    email = normalise_email(email)
    if (await db.execute(select(User.id).where(User.email == email))).first():
        raise DuplicateEmail(f"There is already an account for {email}.")
    user = User(
        email=email,
        full_name=full_name.strip(),
        job_title=job_title,
        role=role,
        organisation_id=organisation.id,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    try:
        async with db.begin_nested():  # two admins adding the same address at the same moment
            db.add(user)
            await db.flush()
    except IntegrityError as error:
        raise DuplicateEmail(f"There is already an account for {email}.") from error
    record_audit(
        db,
        "user.created",
        actor=created_by,
        organisation_id=organisation.id,
        subject=f"user:{user.id}",
        detail=f"{email} as {role.label}",
    )
    return user


async def create_council_admin(
    db: AsyncSession, *, council_name: str, email: str, full_name: str, password: str
) -> tuple[User, Organisation]:
    """The first account of a council; the council is created when it is new."""
    council = await db.scalar(
        select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL, Organisation.name == council_name.strip()
        )
    )
    if council is None:
        council = await create_organisation(db, kind=OrganisationKind.COUNCIL, name=council_name)
    user = await create_user(
        db,
        organisation=council,
        email=email,
        full_name=full_name,
        role=Role.COUNCIL_ADMIN,
        password=password,
        must_change_password=False,
    )
    await db.commit()
    return user, council


@dataclass(frozen=True)
class UserRow:
    user: User
    organisation_name: str


class UserDirectory:
    """A council admin's view of accounts: their council's staff, and the staff of the
    provider organisations on the council's register. Nothing else is found."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        if not viewer.is_council_admin:
            raise Forbidden("Only council admins manage accounts.")
        self.db = db
        self.viewer = viewer

    def _visible(self):  # type: ignore[no-untyped-def]
        linked_providers = select(CouncilProvider.provider_id).where(
            CouncilProvider.council_id == self.viewer.organisation_id
        )
        return or_(
            User.organisation_id == self.viewer.organisation_id,
            User.organisation_id.in_(linked_providers),
        )

    async def page(self, *, query: str = "", number: int = 1, size: int = 50) -> Page[UserRow]:
        statement = (
            select(User, Organisation.name)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(self._visible())
        )
        if query:
            statement = statement.where(contains_any(query, User.full_name, User.email, Organisation.name))
        rows, total, number = await fetch_page(
            self.db, statement, Organisation.kind, Organisation.name, User.full_name, number=number, size=size
        )
        return Page([UserRow(user, name) for user, name in rows], total=total, number=number, size=size)

    async def get(self, user_id: int) -> User:
        user = await self.db.scalar(
            select(User).where(User.id == user_id, self._visible()).options(selectinload(User.organisation))
        )
        if user is None:
            raise NotFound("account")
        return user

    async def _organisation_for(self, form: UserForm) -> Organisation:
        if not form.role.is_council_staff:
            linked = await self.db.get(CouncilProvider, (self.viewer.organisation_id, form.provider_id))
            if linked is None:
                raise Invalid("Choose a provider organisation from your council's register.")
            return await self.db.get_one(Organisation, form.provider_id)
        return await self.db.get_one(Organisation, self.viewer.organisation_id)

    async def create(self, form: UserForm) -> tuple[User, str]:
        """Returns the account and a temporary password to hand over; it must be changed at first log-in."""
        temporary_password = new_temporary_password()
        user = await create_user(
            self.db,
            organisation=await self._organisation_for(form),
            email=form.email,
            full_name=form.full_name,
            job_title=form.job_title,
            role=form.role,
            password=temporary_password,
            created_by=self.viewer,
        )
        user.is_active = form.is_active
        await self.db.commit()
        return user, temporary_password

    async def update(self, user: User, form: UserForm) -> User:
        if user.id == self.viewer.id and (form.role is not user.role or not form.is_active):
            raise Invalid("You cannot change your own role or deactivate yourself; ask another admin.")
        organisation = await self._organisation_for(form)
        if organisation.id != user.organisation_id:
            raise Invalid("An account cannot move to another organisation; create a new account instead.")
        if form.email != user.email and await self.db.scalar(select(User.id).where(User.email == form.email)):
            raise DuplicateEmail(f"There is already an account for {form.email}.")
        if form.role is not user.role:
            record_audit(
                self.db,
                "user.role_changed",
                actor=self.viewer,
                subject=f"user:{user.id}",
                detail=f"{user.role.label} -> {form.role.label}",
            )
        if user.is_active and not form.is_active:
            await end_all_sessions(self.db, user_id=user.id)
            record_audit(self.db, "user.deactivated", actor=self.viewer, subject=f"user:{user.id}")
        elif form.is_active and not user.is_active:
            record_audit(self.db, "user.reactivated", actor=self.viewer, subject=f"user:{user.id}")
        user.full_name, user.email, user.job_title = form.full_name, form.email, form.job_title
        user.role, user.is_active, user.updated_at = form.role, form.is_active, utcnow()
        await self.db.commit()
        return user

    async def reset_password(self, user: User) -> str:
        temporary_password = new_temporary_password()
        user.password_hash = hash_password(temporary_password)
        user.must_change_password = True
        user.updated_at = utcnow()
        await end_all_sessions(self.db, user_id=user.id)
        record_audit(self.db, "password.reset", actor=self.viewer, subject=f"user:{user.id}")
        await self.db.commit()
        return temporary_password

    async def provider_choices(self) -> list[Organisation]:
        return list(
            await self.db.scalars(
                select(Organisation)
                .join(CouncilProvider, CouncilProvider.provider_id == Organisation.id)
                .where(CouncilProvider.council_id == self.viewer.organisation_id)
                .order_by(Organisation.name)
            )
        )


def new_temporary_password() -> str:
    """Easy to read out over the phone, long enough not to guess; changed at first log-in."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


# --- the security audit log ----------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    actor_email: str | None
    actor_organisation: str | None
    subject_name: str | None  # "user:12" shown as the person's name, when the viewer may see them

    @property
    def label(self) -> str:
        return audit_event_label(self.event.event)


class AuditLog:
    """A council admin's view of the security audit trail: events recorded against their council,
    and events by anyone at their council or at a provider organisation on its register
    (including paused log-ins for those people's e-mail addresses). Nothing else is found."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        if not viewer.is_council_admin:
            raise Forbidden("Only council admins see the audit log.")
        self.db = db
        self.viewer = viewer

    def _people(self):  # type: ignore[no-untyped-def]
        council = self.viewer.organisation_id
        linked = select(CouncilProvider.provider_id).where(CouncilProvider.council_id == council)
        return or_(User.organisation_id == council, User.organisation_id.in_(linked))

    def _visible(self):  # type: ignore[no-untyped-def]
        return or_(
            AuditEvent.organisation_id == self.viewer.organisation_id,
            AuditEvent.actor_id.in_(select(User.id).where(self._people())),
            and_(
                AuditEvent.actor_id.is_(None),
                AuditEvent.subject.in_(select(User.email).where(self._people())),
            ),
        )

    @staticmethod
    def event_types() -> list[tuple[str, str]]:
        """(event, label) for the filter: every kind the service records. Asking the log which
        kinds it holds would read all of a council's events on every visit to the page."""
        return sorted(AUDIT_EVENT_LABELS.items(), key=lambda item: item[1])

    async def page(self, *, event: str = "", number: int = 1, size: int = 50) -> Page[AuditRow]:
        actor_org = aliased(Organisation)
        statement = (
            select(AuditEvent, User.full_name, User.email, actor_org.name)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .outerjoin(actor_org, actor_org.id == User.organisation_id)
            .where(self._visible())
        )
        if event:
            statement = statement.where(AuditEvent.event == event)
        rows, total, number = await fetch_page(
            self.db, statement, AuditEvent.occurred_at.desc(), AuditEvent.id.desc(), number=number, size=size
        )
        names = await self._subject_names([row[0].subject for row in rows])
        items = [
            AuditRow(audit, name, email, organisation, names.get(audit.subject or ""))
            for audit, name, email, organisation in rows
        ]
        return Page(items=items, total=total, number=number, size=size)

    async def _subject_names(self, subjects: list[str | None]) -> dict[str, str]:
        ids = {int(s[5:]) for s in subjects if s and s.startswith("user:") and s[5:].isdigit()}
        if not ids:
            return {}
        rows = await self.db.execute(select(User.id, User.full_name).where(User.id.in_(ids), self._people()))
        return {f"user:{user_id}": name for user_id, name in rows}
