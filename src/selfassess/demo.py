"""The demo data set: two councils, their providers, services and people, mid-way through a cycle.

Every feature adds its part here, so a new user who runs the demo sees it working at once.
Loading is idempotent: a database that already holds the demo is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import Organisation, OrganisationKind, Role, User
from selfassess.accounts.service import create_organisation, create_user
from selfassess.actions.demo import add_demo_plan
from selfassess.api.demo import add_demo_api
from selfassess.assessments.demo import add_demo_assessments
from selfassess.assessments.models import SelfAssessment
from selfassess.db import utcnow
from selfassess.frameworks.service import create_council, install_shipped_frameworks
from selfassess.oversight.demo import add_demo_oversight
from selfassess.providers.models import CareService, CouncilProvider, LinkStatus, RegulatorRating, ServiceType
from selfassess.queues.demo import add_demo_queues
from selfassess.regulator.demo import add_demo_regulator
from selfassess.rounds.demo import add_demo_round
from selfassess.settings import Settings
from selfassess.visits.comparison_summaries import refresh_visit_comparisons
from selfassess.visits.concern_demo import add_demo_concerns
from selfassess.visits.demo import add_demo_visits
from selfassess.visits.models import Visit

DEMO_PASSWORD = "demo-password"
DEMO_COUNCIL = "Northbridge Council"
SET_UP_DAYS_AGO = 400


@dataclass
class DemoLogins:
    password: str = DEMO_PASSWORD
    lines: list[str] = field(default_factory=list)


@dataclass
class Demo:
    """Handles on the demo records, for the steps that build on each other."""

    councils: dict[str, Organisation] = field(default_factory=dict)
    providers: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    services: dict[str, CareService] = field(default_factory=dict)
    assessments: dict[str, SelfAssessment] = field(default_factory=dict)
    visits: dict[str, Visit] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)


_PEOPLE = [
    # key, organisation key, role, name, job title, e-mail
    (
        "admin",
        "northbridge",
        Role.COUNCIL_ADMIN,
        "Amira Shah",
        "Quality assurance manager",
        "admin@northbridge.example",
    ),
    (
        "officer",
        "northbridge",
        Role.OFFICER,
        "Owen Clarke",
        "Quality performance officer",
        "officer@northbridge.example",
    ),
    (
        "officer2",
        "northbridge",
        Role.OFFICER,
        "Priya Natarajan",
        "Quality performance officer",
        "priya@northbridge.example",
    ),
    (
        "eastmoor_officer",
        "eastmoor",
        Role.OFFICER,
        "Erin Walsh",
        "Quality performance officer",
        "officer@eastmoor.example",
    ),
    (
        "eastmoor_admin",
        "eastmoor",
        Role.COUNCIL_ADMIN,
        "Ewan Brooks",
        "Quality assurance lead",
        "admin@eastmoor.example",
    ),
    (
        "manager",
        "brightwater",
        Role.PROVIDER_ADMIN,
        "Rose Adeyemi",
        "Registered manager, Rose Lane House",
        "manager@brightwater.example",
    ),
    ("deputy", "brightwater", Role.PROVIDER, "Tom Becker", "Deputy manager", "deputy@brightwater.example"),
    (
        "hollybank",
        "hollybank",
        Role.PROVIDER_ADMIN,
        "Helen Okafor",
        "Registered manager",
        "manager@hollybank.example",
    ),
    (
        "meadowview",
        "meadowview",
        Role.PROVIDER_ADMIN,
        "Marcus Hale",
        "Operations director",
        "admin@meadowview.example",
    ),
]

_SERVICES = [
    # key, council, provider, name, type, address, town, postcode, capacity, CQC id, rating, officer
    (
        "rose_lane",
        "northbridge",
        "brightwater",
        "Rose Lane House",
        ServiceType.CARE_HOME_NURSING,
        "14 Rose Lane",
        "Northbridge",
        "NB1 4RL",
        48,
        "1-1000000001",
        RegulatorRating.GOOD,
        "officer",
    ),
    (
        "brightwater_home",
        "northbridge",
        "brightwater",
        "Brightwater Homecare Northbridge",
        ServiceType.HOMECARE,
        "Unit 3, Canal Street",
        "Northbridge",
        "NB2 7CS",
        120,
        "1-1000000002",
        RegulatorRating.REQUIRES_IMPROVEMENT,
        "officer",
    ),
    (
        "hollybank",
        "northbridge",
        "hollybank",
        "Hollybank",
        ServiceType.CARE_HOME,
        "2 Chapel Road",
        "Ashworth",
        "NB5 2CH",
        32,
        "1-1000000003",
        RegulatorRating.GOOD,
        "officer2",
    ),
    (
        "willow",
        "northbridge",
        "hollybank",
        "Willow Court Supported Living",
        ServiceType.SUPPORTED_LIVING,
        "Willow Court, Mill Lane",
        "Northbridge",
        "NB3 9ML",
        12,
        None,
        RegulatorRating.NOT_RATED,
        None,
    ),
    (
        "meadow",
        "northbridge",
        "meadowview",
        "Meadowview Day Centre",
        ServiceType.DAY_SERVICE,
        "The Old School, High Street",
        "Ashworth",
        "NB5 1HS",
        30,
        "1-1000000005",
        RegulatorRating.OUTSTANDING,
        "officer2",
    ),
    (
        "eastmoor_lodge",
        "eastmoor",
        "brightwater",
        "Eastmoor Lodge",
        ServiceType.CARE_HOME,
        "9 Moor Road",
        "Eastmoor",
        "EM1 3MR",
        40,
        "1-1000000006",
        RegulatorRating.INADEQUATE,
        "eastmoor_officer",
    ),
]


async def load_demo(db: AsyncSession, settings: Settings) -> DemoLogins:
    existing = await db.scalar(
        select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL, Organisation.name == DEMO_COUNCIL
        )
    )
    if existing is None:
        # The councils, providers and people were set up well before the story the slices tell.
        with clock.standing_on(clock.today() - timedelta(days=SET_UP_DAYS_AGO)):
            await install_shipped_frameworks(db)
            demo = await _build(db)
            await db.commit()
        # Each feature adds its part of the story, in the order things happen in a cycle.
        await add_demo_assessments(db, demo, settings)
        await add_demo_concerns(db, demo)
        await db.commit()
        await add_demo_visits(db, demo, settings)
        await add_demo_plan(db, demo, settings)
        await add_demo_oversight(db, demo, settings)
        await add_demo_api(db, demo, settings)
        await add_demo_regulator(db, demo, settings)
        await add_demo_round(db, demo, settings)
        await add_demo_queues(db, demo, settings)
        await refresh_visit_comparisons(db, None)  # the story's dates were set back after the fact
        await db.commit()
    return _logins()


async def _build(db: AsyncSession) -> Demo:
    demo = Demo()
    for key, name in (("northbridge", DEMO_COUNCIL), ("eastmoor", "Eastmoor Council")):
        demo.councils[key] = await create_council(db, name=name, contact_email=f"quality@{key}.example")
    for key, name, cqc_id in (
        ("brightwater", "Brightwater Care Ltd", "1-2000000001"),
        ("hollybank", "Hollybank Homes", "1-2000000002"),
        ("meadowview", "Meadowview Community Trust", "1-2000000003"),
    ):
        demo.providers[key] = await create_organisation(
            db,
            kind=OrganisationKind.PROVIDER,
            name=name,
            cqc_provider_id=cqc_id,
            contact_email=f"office@{key}.example",
        )
    organisations = {**demo.councils, **demo.providers}
    for key, organisation, role, name, title, email in _PEOPLE:
        demo.users[key] = await create_user(
            db,
            organisation=organisations[organisation],
            email=email,
            full_name=name,
            job_title=title,
            role=role,
            password=DEMO_PASSWORD,
        )
    await db.flush()
    # Northbridge added its providers itself; Eastmoor asked Brightwater (already on Northbridge's
    # register), whose admin accepted, and has asked Hollybank, whose admin has not decided yet.
    links = {
        ("northbridge", "brightwater"): (LinkStatus.ACCEPTED, "admin", None),
        ("northbridge", "hollybank"): (LinkStatus.ACCEPTED, "admin", None),
        ("northbridge", "meadowview"): (LinkStatus.ACCEPTED, "admin", None),
        ("eastmoor", "brightwater"): (LinkStatus.ACCEPTED, "eastmoor_admin", "manager"),
        ("eastmoor", "hollybank"): (LinkStatus.PENDING, "eastmoor_admin", None),
    }
    for (council, provider), (status, asked_by, decided_by) in sorted(links.items()):
        db.add(
            CouncilProvider(
                council_id=demo.councils[council].id,
                provider_id=demo.providers[provider].id,
                status=status,
                requested_by_id=demo.users[asked_by].id,
                decided_by_id=demo.users[decided_by].id if decided_by else None,
                decided_at=utcnow() if status is not LinkStatus.PENDING else None,
            )
        )

    for (
        key,
        council,
        provider,
        name,
        kind,
        address,
        town,
        postcode,
        capacity,
        cqc_id,
        rating,
        officer,
    ) in _SERVICES:
        service = CareService(
            council_id=demo.councils[council].id,
            provider_id=demo.providers[provider].id,
            name=name,
            service_type=kind,
            address_line1=address,
            town=town,
            postcode=postcode,
            capacity=capacity,
            cqc_location_id=cqc_id,
            regulator_rating=rating,
            regulator_rating_date=date(2025, 6, 12) if rating is not RegulatorRating.NOT_RATED else None,
            assigned_officer_id=demo.users[officer].id if officer else None,
        )
        db.add(service)
        demo.services[key] = service
    await db.flush()
    return demo


def _logins() -> DemoLogins:
    logins = DemoLogins()
    for _key, _org, role, name, title, email in _PEOPLE:
        logins.lines.append(f"{email:<32} {role.label:<16} {name} ({title})")
    return logins
