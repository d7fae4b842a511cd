"""Test data made through the real service functions, so tests exercise what production does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, OrganisationKind, Role, User
from selfassess.accounts.service import create_organisation, create_user
from selfassess.frameworks.service import create_council
from selfassess.providers.models import CareService, CouncilProvider, RegulatorRating, ServiceType

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


async def council(db: AsyncSession, name: str | None = None) -> Organisation:
    organisation = await create_council(db, name=name or f"Council {next(_numbers)}")
    await db.commit()
    return organisation


async def provider(db: AsyncSession, *councils: Organisation, name: str | None = None) -> Organisation:
    organisation = await create_organisation(
        db, kind=OrganisationKind.PROVIDER, name=name or f"Provider {next(_numbers)}"
    )
    for linked in councils:
        db.add(CouncilProvider(council_id=linked.id, provider_id=organisation.id))
    await db.commit()
    return organisation


async def user(
    db: AsyncSession,
    organisation: Organisation,
    role: Role,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
) -> User:
    number = next(_numbers)
    account = await create_user(
        db,
        organisation=organisation,
        email=email or f"person{number}@example.org",
        full_name=name or f"Person {number}",
        role=role,
        password=password,
    )
    await db.commit()
    return account


async def service(
    db: AsyncSession,
    council_org: Organisation,
    provider_org: Organisation,
    *,
    name: str | None = None,
    officer: User | None = None,
    service_type: ServiceType = ServiceType.CARE_HOME,
    rating: RegulatorRating = RegulatorRating.GOOD,
) -> CareService:
    number = next(_numbers)
    care_service = CareService(
        council_id=council_org.id,
        provider_id=provider_org.id,
        name=name or f"Service {number}",
        service_type=service_type,
        address_line1=f"{number} High Street",
        town="Northbridge",
        postcode="NB1 1AA",
        capacity=30,
        cqc_location_id=f"1-{900000000 + number}",
        regulator_rating=rating,
        assigned_officer_id=officer.id if officer else None,
    )
    db.add(care_service)
    await db.commit()
    return care_service


@dataclass
class World:
    """Two councils and two providers, one of which works for both councils.

    council_a: admin_a, officer_a, officer_a2      council_b: officer_b
    provider_1 (A only): manager_1                 provider_2 (A and B): manager_2
    services: alpha (A, provider_1, officer_a), beta (A, provider_2, officer_a2),
              gamma (B, provider_2, officer_b)
    """

    council_a: Organisation
    council_b: Organisation
    provider_1: Organisation
    provider_2: Organisation
    admin_a: User
    officer_a: User
    officer_a2: User
    officer_b: User
    manager_1: User
    manager_2: User
    alpha: CareService
    beta: CareService
    gamma: CareService


async def world(db: AsyncSession) -> World:
    council_a = await council(db, "Council A")
    council_b = await council(db, "Council B")
    provider_1 = await provider(db, council_a, name="Provider One")
    provider_2 = await provider(db, council_a, council_b, name="Provider Two")
    officer_a = await user(db, council_a, Role.OFFICER, email="officer.a@example.org", name="Olive Officer")
    officer_a2 = await user(db, council_a, Role.OFFICER, email="officer.a2@example.org", name="Oscar Officer")
    officer_b = await user(db, council_b, Role.OFFICER, email="officer.b@example.org", name="Bea Officer")
    return World(
        council_a=council_a,
        council_b=council_b,
        provider_1=provider_1,
        provider_2=provider_2,
        admin_a=await user(db, council_a, Role.COUNCIL_ADMIN, email="admin.a@example.org", name="Ada Admin"),
        officer_a=officer_a,
        officer_a2=officer_a2,
        officer_b=officer_b,
        manager_1=await user(
            db, provider_1, Role.PROVIDER, email="manager.1@example.org", name="Mona Manager"
        ),
        manager_2=await user(
            db, provider_2, Role.PROVIDER, email="manager.2@example.org", name="Max Manager"
        ),
        alpha=await service(db, council_a, provider_1, name="Alpha House", officer=officer_a),
        beta=await service(
            db,
            council_a,
            provider_2,
            name="Beta Homecare",
            officer=officer_a2,
            service_type=ServiceType.HOMECARE,
        ),
        gamma=await service(db, council_b, provider_2, name="Gamma Lodge", officer=officer_b),
    )
