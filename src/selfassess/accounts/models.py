"""Organisations (councils and providers), their people, and the records log-in leaves behind."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKeyConstraint, Index, Text, UniqueConstraint, event
from sqlmodel import Field, Relationship, SQLModel

from selfassess.choices import Choice
from selfassess.db import Timestamped, enum_type, utcnow


class OrganisationKind(Choice):
    COUNCIL = "council", "Council"
    PROVIDER = "provider", "Provider organisation"


class Role(Choice):
    PROVIDER = "provider", "Provider user"
    PROVIDER_ADMIN = "provider_admin", "Provider admin"
    OFFICER = "officer", "Quality officer"
    COUNCIL_ADMIN = "council_admin", "Council admin"

    @property
    def organisation_kind(self) -> OrganisationKind:
        """Council roles only in councils, provider roles only in providers (the database agrees)."""
        if self in (Role.PROVIDER, Role.PROVIDER_ADMIN):
            return OrganisationKind.PROVIDER
        return OrganisationKind.COUNCIL

    @property
    def is_council_staff(self) -> bool:
        return self.organisation_kind is OrganisationKind.COUNCIL

    @property
    def is_admin(self) -> bool:
        """Admins manage their own organisation's accounts (see accounts/rules.py)."""
        return self in (Role.COUNCIL_ADMIN, Role.PROVIDER_ADMIN)

    @classmethod
    def for_kind(cls, kind: OrganisationKind) -> tuple["Role", ...]:
        return tuple(role for role in cls if role.organisation_kind is kind)

    @classmethod
    def admin_for(cls, kind: OrganisationKind) -> "Role":
        return cls.COUNCIL_ADMIN if kind is OrganisationKind.COUNCIL else cls.PROVIDER_ADMIN


def _roles_fit_organisations() -> str:
    """The CHECK on user rows, written from Role so the model and the database say the same."""
    return " OR ".join(
        f"(organisation_kind = '{kind.value}' AND role IN "
        f"({', '.join(repr(role.value) for role in Role.for_kind(kind))}))"
        for kind in OrganisationKind
    )


class Organisation(Timestamped, table=True):
    # (id, kind) is unique so that a user's row can refer to both: see User.
    __table_args__ = (UniqueConstraint("kind", "name"), UniqueConstraint("id", "kind"))

    id: int | None = Field(default=None, primary_key=True)
    kind: OrganisationKind = Field(sa_type=enum_type(OrganisationKind), index=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True, description="Used in public addresses.")
    contact_email: str | None = Field(default=None, max_length=254)
    cqc_provider_id: str | None = Field(default=None, max_length=40)

    @property
    def is_council(self) -> bool:
        return self.kind is OrganisationKind.COUNCIL


class User(Timestamped, table=True):
    """A person. ``organisation_kind`` repeats the organisation's kind so that the database itself
    can refuse a role that does not fit the organisation: the pair (organisation_id,
    organisation_kind) must match an organisation, and the CHECK ties the role to the kind."""

    __table_args__ = (
        ForeignKeyConstraint(
            ["organisation_id", "organisation_kind"],
            ["organisation.id", "organisation.kind"],
            name="fk_user_organisation_id_kind_organisation",
        ),
        CheckConstraint(_roles_fit_organisations(), name="role_fits_organisation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, description="Stored lower-case.")
    full_name: str = Field(max_length=200)
    job_title: str | None = Field(default=None, max_length=200)
    password_hash: str | None = Field(
        default=None, max_length=255, description="None until the person sets one from their invitation."
    )
    role: Role = Field(sa_type=enum_type(Role))
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    organisation_kind: OrganisationKind = Field(sa_type=enum_type(OrganisationKind))
    is_active: bool = True
    last_login_at: datetime | None = None

    organisation: Organisation = Relationship(
        sa_relationship_kwargs={"foreign_keys": "[User.organisation_id]", "lazy": "raise"}
    )

    @property
    def is_provider(self) -> bool:
        return not self.role.is_council_staff

    @property
    def is_provider_admin(self) -> bool:
        return self.role is Role.PROVIDER_ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role.is_admin

    @property
    def is_council_staff(self) -> bool:
        return self.role.is_council_staff

    @property
    def is_council_admin(self) -> bool:
        return self.role is Role.COUNCIL_ADMIN


class RoleDoesNotFitOrganisation(ValueError):
    pass


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _role_fits_organisation(_mapper: object, _connection: object, user: User) -> None:
    """The model layer refuses what the database's CHECK would, with a message people can read."""
    if user.role not in Role.for_kind(user.organisation_kind):
        raise RoleDoesNotFitOrganisation(
            f"A {user.organisation_kind.label.lower()} cannot have the role {user.role.label}."
        )


class LoginSession(SQLModel, table=True):
    """One signed-in browser. The cookie holds a random token; we keep only its hash, so that
    signing out (or an admin deactivating the user) ends the session on every worker at once."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)


class LoginAttempt(SQLModel, table=True):
    """Failed and successful log-ins, counted to slow down password guessing across all workers."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip: str | None = Field(default=None, max_length=64, index=True)
    attempted_at: datetime = Field(default_factory=utcnow, index=True)
    succeeded: bool = False


class LinkPurpose(Choice):
    INVITATION = "invitation", "Invitation"
    RESET = "reset", "Password reset"


class AccountLink(SQLModel, table=True):
    """A single-use link e-mailed to set a password (an invitation or a reset). Only the hash of
    its random token is kept; the e-mail carrying the token is sealed in the outbox."""

    __tablename__ = "account_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    purpose: LinkPurpose = Field(sa_type=enum_type(LinkPurpose))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class AuditEvent(SQLModel, table=True):
    """Security-relevant events (log-ins, role changes, publication) kept for council review."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # The audit log's pages read each of these newest first (accounts.service.AuditLog).
        Index("ix_audit_event_organisation_time", "organisation_id", "occurred_at", "id"),
        # Also the index of reads by actor alone: one on actor_id only drew the planner away from
        # this one's organisation range (migration 0031).
        Index("ix_audit_event_actor_time", "actor_id", "organisation_id", "occurred_at"),
        Index("ix_audit_event_subject_time", "subject", "actor_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    event: str = Field(max_length=60, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    subject: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None, sa_type=Text)
    ip: str | None = Field(default=None, max_length=64)


class CouncilSettings(SQLModel, table=True):
    """Each council runs its own quality programme: its framework, its timescales, its rules."""

    __tablename__ = "council_settings"

    council_id: int = Field(foreign_key="organisation.id", primary_key=True)
    framework_version_id: int | None = Field(
        default=None, foreign_key="framework_version.id", description="The framework new assessments use."
    )
    blind_scoring: bool = Field(
        default=True,
        description="Hide the provider's self scores from the officer until visit scores are locked.",
    )
    factual_accuracy_days: int = Field(
        default=14, description="Days a provider has to comment on a draft report."
    )
    plan_completion_days: int = Field(default=14, description="Days a provider has to complete a draft plan.")
    follow_up_months: int = Field(
        default=6, description="Months after agreeing a plan to propose a follow-up visit."
    )
    overrating_margin: int = Field(default=1, description="Points of over-rating that call for an action.")
    reminder_days: int = Field(default=7, description="Remind owners of actions due within this many days.")
    priority_rules: dict[str, dict[str, object]] | None = Field(
        default=None,
        sa_type=JSON,
        description='Per score below good: {"1": {"priority": "high", "due_in_days": 28}, ...} and '
        '"overrated"; None uses the default policy.',
    )
    publish_ratings: bool = Field(
        default=True, description="Show published visit ratings on the public page."
    )
    updated_at: datetime = Field(default_factory=utcnow)
