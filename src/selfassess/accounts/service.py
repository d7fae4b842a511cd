"""Log-in, sessions and user administration. Writes commit here; controllers never build queries."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from selfassess.accounts.audit import AUDIT_EVENT_LABELS, audit_event_label, record_audit
from selfassess.accounts.hooks import AccountEmail, account_email_written
from selfassess.accounts.models import (
    AccountLink,
    AuditEvent,
    LinkPurpose,
    LoginAttempt,
    LoginSession,
    Organisation,
    OrganisationKind,
    Role,
    RoleDoesNotFitOrganisation,
    User,
)
from selfassess.accounts.passwords import hash_password, needs_rehash, verify_password
from selfassess.accounts.rules import Account, AccountChange, Manager, account_refusal, may_manage_account
from selfassess.accounts.schemas import UserForm
from selfassess.db import Page, contains_any, fetch_page, session_factory, utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.settings import Settings

logger = logging.getLogger("selfassess.accounts")

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
    """Seconds until this attempt may be checked, or 0 when it may be checked now.

    An account that failed too often is paused, from anywhere. An address (an office behind one
    IP) that failed too often is slowed down only for the e-mail addresses that failed from it,
    known or unknown alike: someone else there who types the right password for their own
    account still gets in, while a guesser gets one try per account per window."""
    now = utcnow()
    since = now - policy.window
    failed = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at > since
    )
    count, oldest = (await db.execute(failed.where(LoginAttempt.email == email))).one()
    if count >= policy.max_failures:
        return max(1, int((oldest + policy.window - now).total_seconds()))
    if ip is None:
        return 0
    ip_count, ip_oldest = (await db.execute(failed.where(LoginAttempt.ip == ip))).one()
    if ip_count < policy.max_failures_per_ip:
        return 0
    pair_count, pair_oldest = (
        await db.execute(failed.where(LoginAttempt.ip == ip, LoginAttempt.email == email))
    ).one()
    if pair_count == 0:
        return 0
    return max(1, int((min(ip_oldest, pair_oldest) + policy.window - now).total_seconds()))


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
                "This account has been deactivated. Ask your organisation's admin to reactivate it."
            )
        raise LoginRefused("The e-mail address or password is not right.")

    assert user is not None
    if user.password_hash and needs_rehash(user.password_hash):
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


# Every signed-in request asks this, so the statement is built once (building it anew cost ~0.1 ms
# of CPU a request); the organisation comes in the same statement.
_SIGNED_IN = (
    select(User, LoginSession)
    .join(LoginSession, LoginSession.user_id == User.id)
    .options(joinedload(User.organisation))
    .where(
        LoginSession.token_hash == bindparam("token_hash"),
        LoginSession.ended_at.is_(None),
        LoginSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


async def user_for_token(db: AsyncSession, token: str) -> User | None:
    now = utcnow()
    row = (await db.execute(_SIGNED_IN, {"token_hash": _token_hash(token), "now": now})).first()
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
    password: str | None = None,
    job_title: str | None = None,
    created_by: User | None = None,
) -> User:
    """Without a password the person sets one from the invitation e-mailed to them."""
    if role not in Role.for_kind(organisation.kind):
        raise RoleDoesNotFitOrganisation(
            f"A {organisation.kind.label.lower()} cannot have the role {role.label}."
        )
    email = normalise_email(email)
    if (await db.execute(select(User.id).where(User.email == email))).first():
        raise DuplicateEmail(f"There is already an account for {email}.")
    user = User(
        email=email,
        full_name=full_name.strip(),
        job_title=job_title,
        role=role,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        password_hash=hash_password(password) if password is not None else None,
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
    db: AsyncSession, *, council: Organisation, email: str, full_name: str, password: str
) -> tuple[User, Organisation]:
    """The first account of a council (the operator's bootstrap; the council comes from
    frameworks.service.council_named, which makes it with its settings when new)."""
    user = await create_user(
        db,
        organisation=council,
        email=email,
        full_name=full_name,
        role=Role.COUNCIL_ADMIN,
        password=password,
    )
    await db.commit()
    return user, council


async def invite_provider_admin(
    db: AsyncSession, *, provider: str, email: str, full_name: str, settings: Settings
) -> tuple[User, Organisation]:
    """The operator's way to give an existing provider organisation an admin (after upgrading
    from a version without provider admins, or when a provider has lost its last one): the
    person is invited by e-mail and sets their own password. ``provider`` is a name or CQC ID."""
    organisation = await db.scalar(
        select(Organisation).where(
            Organisation.kind == OrganisationKind.PROVIDER,
            or_(Organisation.name == provider.strip(), Organisation.cqc_provider_id == provider.strip()),
        )
    )
    if organisation is None:
        raise Invalid(f"There is no provider organisation called {provider!r} (give its name or CQC ID).")
    user = await create_user(
        db, organisation=organisation, email=email, full_name=full_name, role=Role.PROVIDER_ADMIN
    )
    await send_account_link(
        db, user=user, organisation_name=organisation.name, purpose=LinkPurpose.INVITATION, settings=settings
    )
    await db.commit()
    return user, organisation


# --- e-mailed links: invitations and password resets ------------------------------------------


class LinkRefused(Exception):
    """Shown on the page the link opens: why it cannot be used, and what to do instead."""


def _link_lifetime(purpose: LinkPurpose, settings: Settings) -> timedelta:
    hours = settings.invitation_link_hours if purpose is LinkPurpose.INVITATION else settings.reset_link_hours
    return timedelta(hours=hours)


def _lifetime_text(lifetime: timedelta) -> str:
    hours = int(lifetime.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


async def send_account_link(
    db: AsyncSession,
    *,
    user: User,
    organisation_name: str,
    purpose: LinkPurpose,
    settings: Settings,
    sent_by: User | None = None,
) -> AccountLink:
    """Queue an e-mail with a single-use link to set a password (the notifications slice puts it in
    the outbox, through the ``account_email_written`` hook). Earlier unused links of the same
    person stop working: only the newest is good. Nothing is committed here."""
    now = utcnow()
    await db.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None), AccountLink.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    lifetime = _link_lifetime(purpose, settings)
    link = AccountLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + lifetime,
        created_by_id=sent_by.id if sent_by else None,
    )
    db.add(link)
    await db.flush()
    address = f"{settings.base_url.rstrip('/')}/set-password?token={token}"
    if purpose is LinkPurpose.INVITATION:
        subject = f"Set up your selfassess account for {organisation_name}"
        opening = (
            f"Hello {user.full_name},\n\n"
            f"{sent_by.full_name if sent_by else 'An admin'} has invited you to selfassess, "
            f"where you will work as {user.role.label.lower()} for {organisation_name}.\n\n"
            "Choose your password here to set up your account:"
        )
    else:
        subject = "Reset your selfassess password"
        opening = (
            f"Hello {user.full_name},\n\n"
            "Someone (we hope you) asked to reset the password of your selfassess account. "
            "Choose a new password here:"
        )
    body = (
        f"{opening}\n{address}\n\n"
        f"The link works once, for {_lifetime_text(lifetime)}. If you did not expect this e-mail, "
        "you can ignore it: nothing changes until the link is used."
    )
    await account_email_written.announce(
        db,
        AccountEmail(
            to=user.email,
            subject=subject,
            body=body,
            dedupe_key=f"account-link:{link.id}",
            sealing_key=settings.secret,
        ),
    )
    record_audit(
        db,
        "invitation.sent" if purpose is LinkPurpose.INVITATION else "password.reset_sent",
        actor=sent_by,
        organisation_id=user.organisation_id,
        subject=f"user:{user.id}",
    )
    return link


async def account_link_user(db: AsyncSession, token: str) -> tuple[AccountLink, User]:
    """The link and its person, or LinkRefused saying why the link cannot be used."""
    row = (
        await db.execute(
            select(AccountLink, User)
            .join(User, User.id == AccountLink.user_id)
            .where(AccountLink.token_hash == _token_hash(token))
        )
    ).first()
    if row is None:
        raise LinkRefused("This link is not valid. Check that you copied the whole address from the e-mail.")
    link, user = row
    if link.used_at is not None:
        raise LinkRefused("This link has already been used. Each link works only once.")
    if link.expires_at <= utcnow():
        raise LinkRefused("This link has expired, or a newer one was sent since.")
    if not user.is_active:
        raise LinkRefused("This account has been deactivated. Ask your organisation's admin.")
    return link, user


async def set_password_from_link(db: AsyncSession, *, token: str, new_password: str, ip: str | None) -> User:
    """Use the link (once): set the password and sign the person out everywhere else."""
    link, user = await account_link_user(db, token)
    claimed = await db.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # the same link, used twice at once
        await db.rollback()
        raise LinkRefused("This link has already been used. Each link works only once.")
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    await end_all_sessions(db, user_id=user.id)
    event = "invitation.accepted" if link.purpose is LinkPurpose.INVITATION else "password.reset"
    record_audit(db, event, actor=user, subject=f"user:{user.id}", ip=ip)
    await db.commit()
    return user


def _reset_requests_since(since: datetime) -> Select[tuple[int]]:
    return select(func.count()).where(
        AuditEvent.event == "password.reset_requested", AuditEvent.occurred_at > since
    )


async def reset_requests_allowed(db: AsyncSession, *, ip: str | None, settings: Settings) -> bool:
    """'Forgot your password?' from one network address, a few times an hour. Whether the
    address asked about has an account plays no part, so a refusal says nothing about it."""
    if ip is None:
        return True
    since = utcnow() - timedelta(hours=1)
    asked = await db.scalar(_reset_requests_since(since).where(AuditEvent.ip == ip)) or 0
    return asked < settings.reset_requests_per_hour


async def request_password_reset(db: AsyncSession, *, email: str, ip: str | None, settings: Settings) -> None:
    """E-mail a reset link when the address has an active account (a few an hour at most: an
    inbox is not a target). The page has already answered, the same for any address: this runs
    after the response is sent, so how long it takes tells the asker nothing either."""
    email = normalise_email(email)
    since = utcnow() - timedelta(hours=1)
    inbox_has_enough = (
        await db.scalar(_reset_requests_since(since).where(AuditEvent.subject == email)) or 0
    ) >= 3
    record_audit(db, "password.reset_requested", subject=email[:200], ip=ip)
    user = await db.scalar(
        select(User)
        .where(User.email == email, User.is_active.is_(True))
        .options(selectinload(User.organisation))
    )
    if user is not None and not inbox_has_enough:
        await send_account_link(
            db,
            user=user,
            organisation_name=user.organisation.name,
            purpose=LinkPurpose.RESET,
            settings=settings,
        )
    await db.commit()


async def request_password_reset_later(
    engine: AsyncEngine, *, email: str, ip: str | None, settings: Settings
) -> None:
    """A background task (its own session: the request's has closed by then)."""
    try:
        async with session_factory(engine)() as db:
            await request_password_reset(db, email=email, ip=ip, settings=settings)
    except Exception:  # nobody is waiting for the answer; the log is where this must show
        logger.exception("a password reset request could not be handled")


# --- managing accounts -----------------------------------------------------------------------


class FieldInvalid(Invalid):
    """A refusal that belongs to one field of the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class UserRow:
    user: User
    invited: bool  # has not set a password yet


def manager_of(user: User) -> Manager:
    assert user.id is not None
    return Manager(
        user_id=user.id, role=user.role, organisation_id=user.organisation_id, is_active=user.is_active
    )


def managed(user: User) -> Account:
    return Account(
        organisation_id=user.organisation_id,
        organisation_kind=user.organisation_kind,
        role=user.role,
        user_id=user.id,
    )


class UserDirectory:
    """An admin's view of accounts: their own organisation's people, and nobody else's. What
    they may do to each is decided by accounts.rules.account_refusal."""

    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        if not viewer.is_admin:
            raise Forbidden("Only admins manage accounts.")
        self.db = db
        self.viewer = viewer
        self.settings = settings

    def _visible(self) -> ColumnElement[bool]:
        return User.organisation_id == self.viewer.organisation_id

    def may(self, user: User, change: AccountChange) -> bool:
        return may_manage_account(manager_of(self.viewer), managed(user), change)

    def _require(self, account: Account, change: AccountChange, field: str = "__all__") -> None:
        if refusal := account_refusal(manager_of(self.viewer), account, change):
            raise FieldInvalid(field, refusal)

    def role_options(self) -> list[tuple[str, str]]:
        return [(role.value, role.label) for role in Role.for_kind(self.viewer.organisation_kind)]

    async def page(self, *, query: str = "", number: int = 1, size: int = 50) -> Page[UserRow]:
        statement = select(User).where(self._visible())
        if query:
            statement = statement.where(contains_any(query, User.full_name, User.email))
        rows, total, number = await fetch_page(
            self.db, statement, User.full_name, User.id, number=number, size=size
        )
        items = [UserRow(user, user.password_hash is None) for (user,) in rows]
        return Page(items, total=total, number=number, size=size)

    async def get(self, user_id: int) -> User:
        user = await self.db.scalar(
            select(User).where(User.id == user_id, self._visible()).options(selectinload(User.organisation))
        )
        if user is None:
            raise NotFound("account")
        return user

    async def invite(self, form: UserForm) -> User:
        """Make the account and e-mail the person a link to choose their password."""
        organisation = self.viewer.organisation
        self._require(
            Account(organisation_id=organisation.id, organisation_kind=organisation.kind, role=form.role),
            AccountChange.INVITE,
            field="role",
        )
        user = await create_user(
            self.db,
            organisation=organisation,
            email=form.email,
            full_name=form.full_name,
            job_title=form.job_title,
            role=form.role,
            created_by=self.viewer,
        )
        await send_account_link(
            self.db,
            user=user,
            organisation_name=organisation.name,
            purpose=LinkPurpose.INVITATION,
            settings=self.settings,
            sent_by=self.viewer,
        )
        await self.db.commit()
        return user

    async def update(self, user: User, form: UserForm) -> User:
        self._require(managed(user), AccountChange.EDIT_DETAILS)
        if form.role is not user.role:
            self._require(replace(managed(user), role=form.role), AccountChange.CHANGE_ROLE, field="role")
        if form.is_active is not user.is_active:
            self._require(managed(user), AccountChange.DEACTIVATE, field="is_active")
        if form.email != user.email and await self.db.scalar(select(User.id).where(User.email == form.email)):
            raise FieldInvalid("email", f"There is already an account for {form.email}.")
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
        if form.email != user.email:
            await end_all_sessions(self.db, user_id=user.id)  # links sent to the old address stop too
            await self.db.execute(
                update(AccountLink)
                .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
                .values(expires_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        user.full_name, user.email, user.job_title = form.full_name, form.email, form.job_title
        user.role, user.is_active, user.updated_at = form.role, form.is_active, utcnow()
        await self.db.commit()
        return user

    async def send_link(self, user: User) -> LinkPurpose:
        """A reset link, or a fresh invitation for someone who never set a password. The admin
        never sees or sets a password; the person's current one keeps working until the link
        is used, so a reset sent by mistake locks nobody out."""
        self._require(managed(user), AccountChange.SEND_RESET)
        if not user.is_active:
            raise Invalid("Reactivate the account first.")
        purpose = LinkPurpose.INVITATION if user.password_hash is None else LinkPurpose.RESET
        await send_account_link(
            self.db,
            user=user,
            organisation_name=self.viewer.organisation.name,
            purpose=purpose,
            settings=self.settings,
            sent_by=self.viewer,
        )
        await self.db.commit()
        return purpose


# --- the security audit log ----------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    """One event as the log shows it: its columns as plain values (51 whole events and their
    identity map cost more than the page's statement)."""

    id: int
    occurred_at: datetime
    event: str
    subject: str | None
    detail: str | None
    ip: str | None
    actor_name: str | None
    actor_email: str | None
    actor_organisation: str | None
    subject_name: str | None = None  # "user:12" shown as the person's name, when the viewer may see them

    @property
    def label(self) -> str:
        return audit_event_label(self.event)


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditRow]
    older: str | None  # the cursor of the next, older page; None on the last
    is_newest: bool


def parse_audit_cursor(value: str) -> tuple[datetime, int] | None:
    """'<time>_<id>' of the last event shown; anything else starts from the newest."""
    at, _, last_id = value.rpartition("_")
    try:
        return datetime.fromisoformat(at), int(last_id)
    except ValueError:
        return None


class AuditLog:
    """An admin's view of the security audit trail: events recorded against their organisation,
    events by its people (including paused log-ins and reset requests for their e-mail
    addresses), and decisions about register links that name it. Nothing else is found: a
    council does not see the sign-ins of the providers it works with, nor they the council's."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        if not viewer.is_admin:
            raise Forbidden("Only admins see the audit log.")
        self.db = db
        self.viewer = viewer

    def _people(self) -> ColumnElement[bool]:
        return User.organisation_id == self.viewer.organisation_id

    async def _visible(self) -> list[ColumnElement[bool]]:
        """What the viewer may see, as separate conditions that each read one index (an OR of them
        would make the database read and sort every event it finds). The first is nearly all of the
        log and is read newest first; the others are the few events recorded against another
        organisation or none, sign-in failures for the people's addresses, and register links that
        name the organisation. The people's ids and addresses are read first so each condition
        names them and uses its index."""
        own = self.viewer.organisation_id
        people = (await self.db.execute(select(User.id, User.email).where(self._people()))).all()
        ids, emails = [row[0] for row in people], [row[1] for row in people]
        by_people = AuditEvent.actor_id.in_(ids)
        return [
            AuditEvent.organisation_id == own,
            and_(by_people, AuditEvent.organisation_id.is_(None)),
            and_(by_people, AuditEvent.organisation_id < own),
            and_(by_people, AuditEvent.organisation_id > own),
            # "No actor" is the address index's second column (subject, actor_id, occurred_at), so
            # both are its condition: checked on the rows found by address, it read every sign-in of
            # the people (16,000 at a county) to keep none.
            and_(AuditEvent.subject.in_(emails), AuditEvent.actor_id.is_(None)),
            and_(AuditEvent.subject == f"organisation:{own}", AuditEvent.event.like("provider_link.%")),
        ]

    @staticmethod
    def event_types() -> list[tuple[str, str]]:
        """(event, label) for the filter: every kind the service records. Asking the log which
        kinds it holds would read all of a council's events on every visit to the page."""
        return sorted(AUDIT_EVENT_LABELS.items(), key=lambda item: item[1])

    async def page(self, *, event: str = "", before: str = "", size: int = 50) -> AuditPage:
        """The newest ``size`` events older than the ``before`` cursor (keyset paging: each page
        reads ``size`` events from each index, however long the log is)."""
        cursor = parse_audit_cursor(before)
        newest_first = (AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        branches = []
        for number, visible in enumerate(await self._visible()):
            # One branch per condition, so each is planned on its own index; one statement for all.
            statement = select(AuditEvent.id, AuditEvent.occurred_at).where(visible)
            if event:
                statement = statement.where(AuditEvent.event == event)
            if cursor is not None:
                at, last_id = cursor
                statement = statement.where(
                    or_(
                        AuditEvent.occurred_at < at,
                        and_(AuditEvent.occurred_at == at, AuditEvent.id < last_id),
                    )
                )
            if number == 0:  # the organisation's own events: only the newest page of them
                newest = statement.order_by(*newest_first).limit(size + 1).subquery()
                statement = select(newest.c.id, newest.c.occurred_at)
            branches.append(statement)
        found = union(*branches).subquery()  # one event may meet two conditions: listed once
        # The page's events picked before the names are joined: the names are read for them alone.
        on_page = select(found.c.id).order_by(found.c.occurred_at.desc(), found.c.id.desc()).limit(size + 1)
        actor_org = aliased(Organisation)
        rows = list(
            await self.db.execute(
                select(
                    AuditEvent.id,
                    AuditEvent.occurred_at,
                    AuditEvent.event,
                    AuditEvent.subject,
                    AuditEvent.detail,
                    AuditEvent.ip,
                    User.full_name,
                    User.email,
                    actor_org.name,
                )
                .outerjoin(User, User.id == AuditEvent.actor_id)
                .outerjoin(actor_org, actor_org.id == User.organisation_id)
                .where(AuditEvent.id.in_(on_page))
                .order_by(*newest_first)
                .limit(size + 1)
            )
        )
        older = None
        if len(rows) > size:
            rows = rows[:size]
            older = f"{rows[-1].occurred_at.isoformat()}_{rows[-1].id}"
        names = await self._subject_names([row.subject for row in rows])
        items = [AuditRow(*row, subject_name=names.get(row.subject or "")) for row in rows]
        return AuditPage(items=items, older=older, is_newest=cursor is None)

    async def _subject_names(self, subjects: list[str | None]) -> dict[str, str]:
        ids = {int(s[5:]) for s in subjects if s and s.startswith("user:") and s[5:].isdigit()}
        if not ids:
            return {}
        rows = await self.db.execute(select(User.id, User.full_name).where(User.id.in_(ids), self._people()))
        return {f"user:{user_id}": name for user_id, name in rows}
