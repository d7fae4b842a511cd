"""Who may manage which account: the one rule that pages, handlers and services all ask.

Each organisation runs its own accounts. A council admin manages the council's staff; a provider
admin manages the provider's staff. Nobody outside an organisation changes its people's
passwords, e-mail addresses, roles or active flags: a council that works with a provider sees
its staff only as names on shared records. One exception lets a new provider get started: the
council admin who adds a brand-new provider organisation to the register may invite its first
provider admin, in the same step. Pure: no web or database imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from selfassess.accounts.models import OrganisationKind, Role


class AccountChange(Enum):
    INVITE = "invite"
    EDIT_DETAILS = "edit details"  # name, e-mail address, job title
    CHANGE_ROLE = "change role"
    DEACTIVATE = "deactivate"  # and reactivate
    SEND_RESET = "send a password reset link"


@dataclass(frozen=True)
class Manager:
    """The person who wants to make the change."""

    user_id: int
    role: Role
    organisation_id: int
    is_active: bool = True


@dataclass(frozen=True)
class Account:
    """The account changed (or, for an invitation, about to be made)."""

    organisation_id: int
    organisation_kind: OrganisationKind
    role: Role
    user_id: int | None = None  # None: not made yet
    first_admin_of_new_provider: bool = False  # invited as the council adds a brand-new provider


def account_refusal(manager: Manager, account: Account, change: AccountChange) -> str | None:
    """Why ``manager`` may not make ``change`` to ``account``, or None when they may."""
    if account.role not in Role.for_kind(account.organisation_kind):
        allowed = " or ".join(role.label for role in Role.for_kind(account.organisation_kind))
        return f"People at a {account.organisation_kind.label.lower()} can be: {allowed}."
    if not manager.is_active:
        return "Your account is not active."
    if manager.organisation_id != account.organisation_id:
        founding = (
            change is AccountChange.INVITE
            and account.first_admin_of_new_provider
            and manager.role is Role.COUNCIL_ADMIN
            and account.organisation_kind is OrganisationKind.PROVIDER
            and account.role is Role.PROVIDER_ADMIN
        )
        if founding:
            return None
        return "Only that organisation's own admins manage its accounts."
    if manager.role is not Role.admin_for(account.organisation_kind):
        return "Only your organisation's admins manage its accounts."
    if account.user_id == manager.user_id and change in (AccountChange.CHANGE_ROLE, AccountChange.DEACTIVATE):
        return "You cannot change your own role or deactivate yourself; ask another admin."
    return None


def may_manage_account(manager: Manager, account: Account, change: AccountChange) -> bool:
    return account_refusal(manager, account, change) is None
