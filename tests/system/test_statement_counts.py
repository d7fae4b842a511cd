"""Statements per page do not grow with data.

Every main page of every role is asked for once with a small data set (one service with one
cycle) and once after it has grown (more services, several cycles of self-assessments, visits
and plans, in two councils), counting the SQL statements each request sends (a SQLAlchemy event
listener on every engine). A page whose count grows runs a query per row somewhere: at national
scale that is hundreds of round trips. Per-record pages are compared between a service with one
cycle and a service with three; lists and dashboards between the two moments.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import Organisation, Role, User
from selfassess.assessments.service import SelfAssessments
from selfassess.frameworks.service import council_settings
from selfassess.providers.models import CareService
from selfassess.rounds.models import AssessmentRound
from selfassess.settings import Settings
from selfassess.visits.forms import VisitForm
from selfassess.visits.models import VisitType
from selfassess.visits.service import Visits
from tests import factories
from tests.cycles import Cycle, full_cycle
from tests.support import Browser, browser_for

pytestmark = pytest.mark.usefixtures("frameworks")

# (role, name, url template, htmx). Templates are filled from `Ids` of the data set's size.
PAGES: list[tuple[str, str, str, bool]] = [
    ("officer", "home (council staff)", "/home", False),
    ("officer", "services list", "/services", False),
    ("officer", "services search", "/services?q=house", True),
    ("officer", "service page", "/services/{service}", False),
    ("officer", "panel: self-assessments", "/services/{service}/assessments/panel", True),
    ("officer", "panel: visits", "/services/{service}/visits/panel", True),
    ("officer", "panel: action plans", "/services/{service}/plans/panel", True),
    ("officer", "panel: comparison", "/services/{service}/comparison/panel", True),
    ("officer", "panel: concerns", "/services/{service}/concerns/panel", True),
    ("officer", "panel: risk", "/services/{service}/risk/panel", True),
    ("officer", "comparison page", "/services/{service}/comparison", False),
    ("officer", "comparison: another pair (htmx)", "/services/{service}/comparison?visit={visit}", True),
    ("officer", "visit page", "/visits/{visit}", False),
    ("officer", "visit scoring page", "/visits/{scoring}/questions/S", False),
    ("officer", "action plan page", "/plans/{plan}", False),
    ("officer", "plans list", "/plans", False),
    ("officer", "actions list (the report's figures)", "/plans/actions?overdue_on=2099-01-01", False),
    ("officer", "visits list", "/visits", False),
    ("officer", "reviews queue", "/reviews", False),
    ("officer", "concerns list", "/concerns", False),
    ("officer", "notifications badge", "/notifications/badge", True),
    ("officer", "provider accuracy", "/providers/{provider}/accuracy", False),
    ("officer", "oversight: quality over time", "/oversight/quality", False),
    ("officer", "oversight: services behind a figure", "/oversight/quality/services?what=good", False),
    ("officer", "oversight: risk register", "/oversight/risk", False),
    ("officer", "oversight: visit programme", "/oversight/programme", False),
    ("officer", "oversight: quarterly report", "/oversight/report", False),
    ("officer", "oversight: support levels", "/oversight/support", False),
    ("officer", "good practice", "/good-practice", False),
    ("officer", "waiting for you", "/waiting", False),
    ("officer", "rounds list", "/rounds", False),
    ("provider", "provider: home", "/home", False),
    ("provider", "provider: services list", "/services", False),
    ("provider", "provider: service page", "/services/{service}", False),
    ("provider", "provider: comparison page", "/services/{service}/comparison", False),
    ("provider", "provider: self-assessment key question", "/assessments/{draft}/questions/S", False),
    ("provider", "provider: action plan page", "/plans/{plan}", False),
    ("provider", "provider: accuracy across services", "/providers/{provider}/accuracy", False),
    ("admin", "admin: home", "/home", False),
    ("admin", "admin: provider register", "/providers", False),
    ("admin", "admin: users", "/admin/users", False),
    ("admin", "admin: audit log", "/admin/audit", False),
    ("public", "public: councils", "/public", False),
    ("public", "public: council page", "/public/{slug}", False),
    ("public", "public: service page", "/public/{slug}/services/{service}", False),
]


@dataclass(frozen=True)
class Ids:
    """The records the per-record pages are asked for, in one data set."""

    service: int
    visit: int
    scoring: int  # a visit being scored
    plan: int
    draft: int  # a self-assessment in progress
    provider: int
    slug: str

    def url(self, template: str) -> str:
        return template.format(**self.__dict__)


class StatementCounter:
    """Counts the statements sent through any engine while `counting()`."""

    def __init__(self) -> None:
        self.count = 0
        self.active = False

    def __call__(self, *args: Any) -> None:
        if self.active:
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.count, self.active = 0, True
        try:
            yield
        finally:
            self.active = False


@pytest.fixture
def counter() -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(Engine, "before_cursor_execute", counter)
    yield counter
    event.remove(Engine, "before_cursor_execute", counter)


async def _history(
    db: AsyncSession, settings: Settings, world: factories.World, service: CareService, cycles: int
) -> Cycle:
    """`cycles` yearly cycles at `service` (the latest last), then a new self-assessment started and
    a visit being scored."""
    officer = world.officer_a if service.council_id == world.council_a.id else world.officer_b
    provider_user = world.manager_1 if service.provider_id == world.provider_1.id else world.manager_2
    today = clock.today()
    made = []
    for number in range(cycles):
        made.append(
            await full_cycle(
                db,
                settings,
                service=service,
                provider_user=provider_user,
                officer=officer,
                period=f"20{20 + number}/{21 + number}",
                on=today - timedelta(days=300 - 100 * number),
                self_score=3,
                officer_score=2 + number % 2,
            )  # fmt: skip
        )
    await SelfAssessments(db, provider_user, settings).start(service, "2030/31")
    await Visits(db, officer, settings).schedule(
        service,
        VisitForm(visit_type=VisitType.PROACTIVE, scheduled_for=today, announced=True, officer_id=officer.id),
    )
    return made[-1]


async def _ids(db: AsyncSession, world: factories.World, service: CareService, latest: Cycle) -> Ids:
    from selfassess.assessments.models import AssessmentStatus, SelfAssessment
    from selfassess.visits.models import Visit, VisitStatus

    draft = await db.scalar(
        select(SelfAssessment.id).where(
            SelfAssessment.service_id == service.id, SelfAssessment.status == AssessmentStatus.DRAFT
        )
    )
    scoring = await db.scalar(
        select(Visit.id).where(Visit.service_id == service.id, Visit.status == VisitStatus.SCHEDULED)
    )
    assert draft and scoring and latest.plan and latest.plan.id and latest.visit.id
    await db.commit()  # no read transaction left open while the app writes
    return Ids(
        service=service.id,
        visit=latest.visit.id,
        scoring=scoring,
        plan=latest.plan.id,
        draft=draft,
        provider=service.provider_id,
        slug=world.council_a.slug,
    )


async def _count_every_page(
    app: Litestar, world: factories.World, ids: Ids, counter: StatementCounter
) -> dict[str, int]:
    emails = {
        "officer": world.officer_a.email,
        "provider": world.manager_1.email,
        "admin": world.admin_a.email,
    }
    counts: dict[str, int] = {}
    for role in ("officer", "provider", "admin", "public"):
        async with browser_for(app) as browser:
            if role in emails:
                await browser.login(emails[role])
            for page_role, name, template, htmx in PAGES:
                if page_role != role:
                    continue
                url = ids.url(template)
                await browser.get(url, htmx=htmx)  # caches warmed, as on a server that has been up
                with counter.counting():
                    response = await browser.get(url, htmx=htmx)
                assert response.status_code == 200, f"{name}: {url} answered {response.status_code}"
                counts[name] = counter.count
            if role == "provider":
                counts["provider: self-assessment autosave"] = await _autosave(browser, ids, counter)
            if role == "officer":
                counts["visit scoring autosave"] = await _score(browser, ids, counter)
    return counts


async def _autosave(browser: Browser, ids: Ids, counter: StatementCounter) -> int:
    async def save(answer_id: int, version: int) -> int:
        with counter.counting():
            response = await browser.post(
                f"/assessments/{ids.draft}/answers/{answer_id}",
                {
                    "version": version,
                    "score": 3,
                    "narrative": "We review incidents weekly.",
                    "improvement_plan": "",
                },
                htmx=True,
            )
        assert response.status_code == 200, response.text[:300]
        return counter.count

    answer_id = int(
        _first_match(
            r'action="/assessments/\d+/answers/(\d+)"',
            await browser.get(f"/assessments/{ids.draft}/questions/S"),
        )
    )
    await save(answer_id, 0)
    return await save(answer_id, 1)


async def _score(browser: Browser, ids: Ids, counter: StatementCounter) -> int:
    page = await browser.get(f"/visits/{ids.scoring}/questions/S")
    score_id = int(_first_match(r"/visits/\d+/scores/(\d+)", page))

    async def save(version: int) -> int:
        with counter.counting():
            response = await browser.post(
                f"/visits/{ids.scoring}/scores/{score_id}",
                {"version": version, "score": 3, "findings": "Kind staff.", "evidence_seen": "Records."},
                htmx=True,
            )
        assert response.status_code == 200, response.text[:300]
        return counter.count

    await save(0)
    return await save(1)


async def _open_round(db: AsyncSession, council: Organisation, admin: User) -> None:
    """A self-assessment round open today in the council's area (the provider's home shows it)."""
    today = clock.today()
    db.add(
        AssessmentRound(
            council_id=council.id,
            name="2030/31",
            framework_version_id=(await council_settings(db, council.id)).framework_version_id,
            opens_on=today - timedelta(days=1),
            deadline=today + timedelta(days=30),
            created_by_id=admin.id,
        )
    )
    await db.commit()


def _first_match(pattern: str, response: Any) -> str:
    import re

    found = re.search(pattern, response.text)
    assert found, f"{pattern} not in the page"
    return found.group(1)


async def test_no_page_sends_more_statements_as_the_data_grows(
    app: Litestar, db: AsyncSession, world: factories.World, settings: Settings, counter: StatementCounter
) -> None:
    await _open_round(db, world.council_a, world.admin_a)
    small = await _ids(db, world, world.alpha, await _history(db, settings, world, world.alpha, 1))
    before = await _count_every_page(app, world, small, counter)

    # More of everything: a service of the same provider and council with three cycles, the
    # other provider's services in both councils with history, more staff, and the provider in a
    # second council's round.
    delta = await factories.service(
        db, world.council_a, world.provider_1, name="Delta Court", officer=world.officer_a
    )
    latest = await _history(db, settings, world, delta, 3)
    await _history(db, settings, world, world.beta, 2)
    await _history(db, settings, world, world.gamma, 2)
    await factories.service(db, world.council_b, world.provider_1, name="Epsilon House")
    await _open_round(db, world.council_b, world.admin_a)
    for _ in range(3):
        await factories.user(db, world.council_a, Role.OFFICER)
        await factories.user(db, world.provider_1, Role.PROVIDER)
    after = await _count_every_page(app, world, await _ids(db, world, delta, latest), counter)

    grown = {name: (before[name], after[name]) for name in before if after[name] > before[name]}
    assert not grown, "statements per request grew with the data: " + "; ".join(
        f"{name}: {first} -> {second}" for name, (first, second) in grown.items()
    )
