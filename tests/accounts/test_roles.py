"""Roles fit organisations: the one rule about who manages which account, the model layer, and the
database itself (a CHECK tied to the organisation's kind, on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import OrganisationKind, Role, RoleDoesNotFitOrganisation, User
from selfassess.accounts.rules import Account, AccountChange, Manager, account_refusal, may_manage_account
from tests import factories

COUNCIL, PROVIDER = OrganisationKind.COUNCIL, OrganisationKind.PROVIDER


def test_admins_manage_their_own_organisation_only() -> None:
    council_admin = Manager(user_id=1, role=Role.COUNCIL_ADMIN, organisation_id=10)
    provider_admin = Manager(user_id=2, role=Role.PROVIDER_ADMIN, organisation_id=20)
    officer = Manager(user_id=3, role=Role.OFFICER, organisation_id=10)
    council_staff = Account(organisation_id=10, organisation_kind=COUNCIL, role=Role.OFFICER, user_id=3)
    provider_staff = Account(organisation_id=20, organisation_kind=PROVIDER, role=Role.PROVIDER, user_id=4)
    for change in AccountChange:
        assert may_manage_account(council_admin, council_staff, change)
        assert may_manage_account(provider_admin, provider_staff, change)
        assert not may_manage_account(council_admin, provider_staff, change), change
        assert not may_manage_account(provider_admin, council_staff, change), change
        assert not may_manage_account(officer, council_staff, change), change
    inactive = Manager(user_id=1, role=Role.COUNCIL_ADMIN, organisation_id=10, is_active=False)
    assert not may_manage_account(inactive, council_staff, AccountChange.EDIT_DETAILS)


def test_nobody_demotes_or_deactivates_themselves() -> None:
    admin = Manager(user_id=1, role=Role.PROVIDER_ADMIN, organisation_id=20)
    themselves = Account(organisation_id=20, organisation_kind=PROVIDER, role=Role.PROVIDER_ADMIN, user_id=1)
    assert may_manage_account(admin, themselves, AccountChange.EDIT_DETAILS)
    for change in (AccountChange.CHANGE_ROLE, AccountChange.DEACTIVATE):
        assert "your own role" in (account_refusal(admin, themselves, change) or "")


def test_a_council_admin_may_invite_only_the_first_admin_of_a_new_provider() -> None:
    council_admin = Manager(user_id=1, role=Role.COUNCIL_ADMIN, organisation_id=10)
    officer = Manager(user_id=3, role=Role.OFFICER, organisation_id=10)
    founding = Account(0, PROVIDER, Role.PROVIDER_ADMIN, first_admin_of_new_provider=True)
    assert may_manage_account(council_admin, founding, AccountChange.INVITE)
    assert not may_manage_account(officer, founding, AccountChange.INVITE)
    for change in AccountChange:
        if change is not AccountChange.INVITE:
            assert not may_manage_account(council_admin, founding, change)
    plain_user = Account(
        organisation_id=0, organisation_kind=PROVIDER, role=Role.PROVIDER, first_admin_of_new_provider=True
    )
    assert not may_manage_account(council_admin, plain_user, AccountChange.INVITE)
    existing = Account(organisation_id=20, organisation_kind=PROVIDER, role=Role.PROVIDER_ADMIN)
    assert not may_manage_account(council_admin, existing, AccountChange.INVITE)


def test_a_role_from_the_other_kind_of_organisation_is_refused_by_the_rule() -> None:
    admin = Manager(user_id=1, role=Role.COUNCIL_ADMIN, organisation_id=10)
    wrong = Account(organisation_id=10, organisation_kind=COUNCIL, role=Role.PROVIDER)
    assert account_refusal(admin, wrong, AccountChange.INVITE) == (
        "People at a council can be: Quality officer or Council admin."
    )


async def test_the_model_refuses_a_role_that_does_not_fit(db: AsyncSession, world: factories.World) -> None:
    world.manager_1.role = Role.OFFICER
    with pytest.raises(RoleDoesNotFitOrganisation):
        await db.flush()
    await db.rollback()


@pytest.mark.parametrize(
    ("role", "kind_of"),
    [
        ("officer", "provider_1"),
        ("council_admin", "provider_1"),
        ("provider", "council_a"),
        ("provider_admin", "council_a"),
    ],
)
async def test_the_database_refuses_a_role_that_does_not_fit(
    db: AsyncSession, world: factories.World, role: str, kind_of: str
) -> None:
    """Written past the model (plain SQL), as a bug or a hand-made fix might: the CHECK fires."""
    organisation = getattr(world, kind_of)
    organisation_id, kind = organisation.id, organisation.kind.value
    person_id = (world.manager_1 if kind_of == "provider_1" else world.officer_a).id
    with pytest.raises(IntegrityError):
        await db.execute(
            text(
                'INSERT INTO "user" (created_at, updated_at, email, full_name, role, organisation_id, '
                "organisation_kind, is_active) VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'x@y.example', "
                "'X', :role, :organisation, :kind, TRUE)"
            ),
            {"role": role, "organisation": organisation_id, "kind": kind},
        )
    await db.rollback()
    with pytest.raises(IntegrityError):
        await db.execute(
            text('UPDATE "user" SET role = :role WHERE id = :id'),
            {"role": role, "id": person_id},
        )
    await db.rollback()


async def test_the_database_refuses_a_kind_that_is_not_the_organisations(
    db: AsyncSession, world: factories.World
) -> None:
    """The repeated kind must match the organisation's, so the CHECK cannot be dodged by lying."""
    manager_id = world.manager_1.id
    with pytest.raises(IntegrityError):
        await db.execute(
            text('UPDATE "user" SET organisation_kind = :kind, role = :role WHERE id = :id'),
            {"kind": "council", "role": "officer", "id": manager_id},
        )
    await db.rollback()
    fitting = await db.execute(
        text('UPDATE "user" SET role = :role WHERE id = :id'),
        {"role": "provider_admin", "id": manager_id},
    )
    assert fitting.rowcount == 1
    await db.commit()
    refreshed = await db.get(User, manager_id, populate_existing=True)
    assert refreshed is not None and refreshed.role is Role.PROVIDER_ADMIN
