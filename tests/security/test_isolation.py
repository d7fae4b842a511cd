"""Another organisation's ids, on every route: pages, htmx fragments, forms and the JSON API.

The routes are read from the app. Each path parameter is filled with the id of a record that
belongs to Council A and Provider One (Alpha House's side of ``factories.World``), and the route
is requested by four people who must not see it:

- Max Manager, a provider user of another organisation (Provider Two, also on Council A's register),
- an admin of Provider Two,
- Bea Officer, a quality officer of another council (Council B),
- an admin of Council B.

Every answer must be 403 or 404 and must not contain the record's name. Both tests run twice: as
above, and with Provider One also on Council B's register (its link accepted), which is how one
council could once reach another's records through a provider they share. A form sent (with a valid
CSRF token and nothing filled in) to someone else's record may instead be refused for its contents
(400, 409, 422, or 303 back to the form's page with a message), as long as nothing of the record
shows and nothing in the database changes.

**When you add a route with a new path parameter**, add an entry to FOREIGN below: an async
function that makes (or finds) a record of that kind belonging to Council A / Provider One and
returns its id and the text that would give it away. The test fails and says so until you do.
Routes with several parameters (``/assessments/{assessment_id}/answers/{answer_id}``) are also
tried with one foreign id among the viewer's own, which catches a child looked up without its
parent; give the parameters an OWN entry (the viewer's own record) to switch that on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import Role, User
from selfassess.actions.models import Action, ActionNote, ActionPlan, PlanStatus
from selfassess.actions.rules import ActionStatus, Priority, Reason
from selfassess.assessments.models import (
    AssessmentStatus,
    EvidenceItem,
    EvidenceKind,
    SelfAssessment,
    SelfAssessmentAnswer,
)
from selfassess.db import utcnow
from selfassess.frameworks.models import KeyQuestion, QualityStatement
from selfassess.frameworks.service import (
    DEFAULT_FRAMEWORK_SLUG,
    install_framework,
    install_shipped_frameworks,
    latest_published_version_id,
)
from selfassess.frameworks.spec import parse_framework, shipped_framework_path
from selfassess.notifications.models import Notification
from selfassess.oversight.models import GoodPractice
from selfassess.providers.models import CareService, CouncilProvider, LinkStatus
from selfassess.visits.models import (
    BreachKind,
    Concern,
    ConcernSource,
    FactualAccuracyPoint,
    RatingCorrection,
    Severity,
    Visit,
    VisitBreach,
    VisitScore,
    VisitStatus,
    VisitType,
)
from selfassess.webhooks.models import HookEvent
from tests import factories
from tests.security.routes import Endpoint, changed_tables, database_contents, endpoints
from tests.support import Browser, text_of


@dataclass(frozen=True)
class Foreign:
    id: Any
    names: tuple[str, ...]  # text from the record that must never reach the viewer
    owned: bool = True  # False for a parameter that names no one's record (a question code)
    open_to: tuple[str, ...] = ()  # viewers who may open it, provided no other record's text shows


@dataclass
class Scene:
    """The world, and the records of other kinds made for it (each made once, when first needed)."""

    db: AsyncSession
    world: factories.World
    made: dict[Any, Any] = field(default_factory=dict)
    provider_one_shared: bool = False  # Provider One on Council B's register too

    async def once(self, key: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self.made:
            self.made[key] = await make()
        return self.made[key]

    async def add(self, *records: Any) -> None:
        self.db.add_all(records)
        await self.db.commit()

    async def framework_version_id(self) -> int:
        async def install() -> int:
            await install_shipped_frameworks(self.db)
            await self.db.commit()
            version_id = await latest_published_version_id(self.db, DEFAULT_FRAMEWORK_SLUG)
            assert version_id is not None
            return version_id

        return await self.once("framework", install)

    async def statements(self) -> list[QualityStatement]:
        version_id = await self.framework_version_id()

        async def load() -> list[QualityStatement]:
            rows = await self.db.scalars(
                select(QualityStatement)
                .where(QualityStatement.version_id == version_id)
                .order_by(QualityStatement.id)
            )
            return list(rows)

        return await self.once("statements", load)

    async def key_question_code(self) -> str:
        statement = (await self.statements())[0]
        return await self.once(
            "code",
            lambda: self.db.scalar(
                select(KeyQuestion.code).where(KeyQuestion.id == statement.key_question_id)
            ),
        )

    async def assessment(self, service_id: int, by: User, secret: str) -> dict[str, Any]:
        """A submitted self-assessment (what council staff may see), answered, with a note."""

        async def make() -> dict[str, Any]:
            assessment = SelfAssessment(
                service_id=service_id,
                framework_version_id=await self.framework_version_id(),
                status=AssessmentStatus.SUBMITTED,
                period_label="2026/27",
                started_by_id=by.id,
            )
            await self.add(assessment)
            answers = [
                SelfAssessmentAnswer(
                    assessment_id=assessment.id, statement_id=statement.id, score=3, narrative=secret
                )
                for statement in await self.statements()
            ]
            await self.add(*answers)
            answer = answers[0]
            note = EvidenceItem(answer_id=answer.id, kind=EvidenceKind.TEXT, text=secret, added_by_id=by.id)
            await self.add(note)
            return {"assessment_id": assessment.id, "answer_id": answer.id, "item_id": note.id}

        return await self.once(("assessment", service_id), make)

    async def visit(self, service_id: int, officer: User, provider_user: User, secret: str) -> dict[str, Any]:
        """A published visit (what a provider may see), scored, with a factual accuracy point."""

        async def make() -> dict[str, Any]:
            visit = Visit(
                service_id=service_id,
                council_id=(await self.db.get_one(CareService, service_id)).council_id,
                framework_version_id=await self.framework_version_id(),
                visit_type=VisitType.PROACTIVE,
                status=VisitStatus.PUBLISHED,
                scheduled_for=date(2026, 3, 2),
                officer_id=officer.id,
                summary=secret,
                published_at=utcnow(),
                published_by_id=officer.id,
            )
            await self.add(visit)
            scores = [
                VisitScore(visit_id=visit.id, statement_id=statement.id, score=2, findings=secret)
                for statement in await self.statements()
            ]
            point = FactualAccuracyPoint(visit_id=visit.id, raised_by_id=provider_user.id, text=secret)
            breach = VisitBreach(
                visit_id=visit.id,
                kind=BreachKind.REGULATIONS,
                standard=secret,
                finding=secret,
                recorded_by_id=officer.id,
            )
            correction = RatingCorrection(
                visit_id=visit.id,
                corrected_key="requires_improvement",
                corrected_label="Requires improvement",
                corrected_reason=secret,
            )
            await self.add(*scores, point, breach, correction)
            score = scores[0]
            return {
                "visit_id": visit.id,
                "score_id": score.id,
                "point_id": point.id,
                "breach_id": breach.id,
                "correction_id": correction.id,
            }

        return await self.once(("visit", service_id), make)

    async def plan(
        self, visit_ids: dict[str, Any], service_id: int, author: User, secret: str
    ) -> dict[str, Any]:
        """An agreed action plan (what both sides work on) for the visit, with an action and a note."""

        async def make() -> dict[str, Any]:
            service = await self.db.get_one(CareService, service_id)
            plan = ActionPlan(
                service_id=service_id,
                council_id=service.council_id,
                provider_id=service.provider_id,
                visit_id=visit_ids["visit_id"],
                status=PlanStatus.AGREED,
                provider_due=date(2026, 4, 1),
                agreed_at=utcnow(),
            )
            await self.add(plan)
            action = Action(
                plan_id=plan.id,
                reason=Reason.ADDED,
                title=secret,
                priority=Priority.HIGH,
                due_date=date(2026, 6, 1),
                status=ActionStatus.IN_PROGRESS,
            )
            await self.add(action)
            note = ActionNote(action_id=action.id, author_id=author.id, text=secret)
            await self.add(note)
            return {"plan_id": plan.id, "action_id": action.id, "note_id": note.id}

        return await self.once(("plan", service_id), make)


# --- records that belong to the other side --------------------------------------------------

ALPHA_SECRET = "Alpha secret: missed medication rounds"


async def foreign_service(scene: Scene) -> Foreign:
    return Foreign(scene.world.alpha.id, ("Alpha House",))


async def foreign_user(scene: Scene) -> Foreign:
    manager = scene.world.manager_1
    return Foreign(manager.id, ("Mona Manager", manager.email))


async def foreign_provider(scene: Scene) -> Foreign:
    """Shared with Council B, it is B's to see too (its work in B's area); its work in A's is not."""
    if scene.provider_one_shared:
        return Foreign(scene.world.provider_1.id, (), open_to=(OFFICER_B, ADMIN_B))
    return Foreign(scene.world.provider_1.id, ("Provider One",))


async def foreign_council(scene: Scene) -> Foreign:
    """A council's request to a provider's register: decided by that provider's admins only."""
    world = scene.world
    council = await factories.council(scene.db, "Council Waiting")
    scene.db.add(
        CouncilProvider(council_id=council.id, provider_id=world.provider_1.id, status=LinkStatus.PENDING)
    )
    await scene.db.commit()
    return Foreign(council.id, ())  # councils' names are public (/public); the decision is not theirs


async def foreign_notification(scene: Scene) -> Foreign:
    notification = Notification(
        user_id=scene.world.manager_1.id, message="Mona's reminder: Alpha House plan due", link="/services"
    )
    await scene.add(notification)
    return Foreign(notification.id, ("Mona's reminder",))


async def foreign_concern(scene: Scene) -> Foreign:
    concern = Concern(
        service_id=scene.world.alpha.id,
        source=ConcernSource.PROFESSIONAL,
        received_on=date(2025, 1, 6),
        summary=ALPHA_SECRET,
        severity=Severity.HIGH,
        logged_by_id=scene.world.officer_a.id,
    )
    await scene.add(concern)
    return Foreign(concern.id, (ALPHA_SECRET, "Alpha House"))


def _alpha_assessment(key: str) -> Callable[[Scene], Awaitable[Foreign]]:
    async def make(scene: Scene) -> Foreign:
        ids = await scene.assessment(scene.world.alpha.id, scene.world.manager_1, ALPHA_SECRET)
        return Foreign(ids[key], (ALPHA_SECRET, "Alpha House"))

    return make


def _alpha_plan(key: str) -> Callable[[Scene], Awaitable[Foreign]]:
    async def make(scene: Scene) -> Foreign:
        world = scene.world
        visit = await scene.visit(world.alpha.id, world.officer_a, world.manager_1, ALPHA_SECRET)
        ids = await scene.plan(visit, world.alpha.id, world.manager_1, ALPHA_SECRET)
        return Foreign(ids[key], (ALPHA_SECRET, "Alpha House"))

    return make


def _alpha_visit(key: str) -> Callable[[Scene], Awaitable[Foreign]]:
    async def make(scene: Scene) -> Foreign:
        world = scene.world
        ids = await scene.visit(world.alpha.id, world.officer_a, world.manager_1, ALPHA_SECRET)
        return Foreign(ids[key], (ALPHA_SECRET, "Alpha House"))

    return make


async def foreign_key_question(scene: Scene) -> Foreign:
    """Not anyone's record: a question code of the framework, the same for everyone."""
    return Foreign(await scene.key_question_code(), (), owned=False)


async def foreign_framework_version(scene: Scene) -> Foreign:
    """Council A's own framework, still a draft: for Council A's eyes only."""
    text = shipped_framework_path("council-quality-audit").read_text()
    text = text.replace("slug: council-quality-audit", "slug: alpha-private-audit")
    text = text.replace("name: Council quality assurance audit", "name: Alpha private audit")
    version = await install_framework(
        scene.db, parse_framework(text), source_yaml=text, owner_council_id=scene.world.council_a.id
    )
    await scene.db.commit()
    return Foreign(version.id, ("Alpha private audit",))


async def foreign_good_practice(scene: Scene) -> Foreign:
    """Good practice offered from Alpha House's report, not (yet) agreed to be shared."""
    world = scene.world
    ids = await scene.visit(world.alpha.id, world.officer_a, world.manager_1, ALPHA_SECRET)
    practice = GoodPractice(
        council_id=world.council_a.id,
        service_id=world.alpha.id,
        visit_id=ids["visit_id"],
        statement_id=(await scene.statements())[0].id,
        summary=ALPHA_SECRET,
        marked_by_id=world.officer_a.id,
    )
    await scene.add(practice)
    return Foreign(practice.id, (ALPHA_SECRET, "Alpha House"))


async def foreign_token(scene: Scene) -> Foreign:
    """An API token of Council A's officer: only she and Council A's admins may revoke it."""
    from selfassess.tokens.service import issue_token

    token, _ = await issue_token(
        scene.db,
        owner=scene.world.officer_a,
        name="Alpha BI feed",
        can_write=False,
        expires_at=utcnow() + timedelta(days=30),
        ip=None,
    )
    return Foreign(token.id, ("Alpha BI feed",))


async def foreign_webhook(scene: Scene) -> Foreign:
    """Council A's webhook, with its signing secret: for Council A's admins only."""
    from selfassess.settings import Settings
    from selfassess.webhooks.service import Webhooks

    settings = Settings(_env_file=None, webhook_allow_private_targets=True)  # no address lookup
    hook = await Webhooks(scene.db, scene.world.admin_a, settings).register(
        url="https://alpha-hooks.example/selfassess", events=[HookEvent.REPORT_PUBLISHED]
    )
    return Foreign(hook.id, ("alpha-hooks.example", hook.secret))


async def foreign_regulator_import(scene: Scene) -> Foreign:
    """Council A's import from the CQC, staged and not yet applied: for Council A's admins only."""
    from selfassess.regulator.models import ImportStatus, RegulatorImport, RegulatorImportItem

    batch = RegulatorImport(
        council_id=scene.world.council_a.id, local_authority="Alphaville Borough", status=ImportStatus.READY
    )
    await scene.add(batch)
    await scene.add(
        RegulatorImportItem(
            import_id=batch.id, location_id="1-7770001", provider_name="Alpha Regulator Group", plan="create"
        )
    )
    return Foreign(batch.id, ("Alphaville Borough", "Alpha Regulator Group"))


async def foreign_round(scene: Scene) -> Foreign:
    """Council A's open round of care homes: Provider Two's service in Council A is a homecare
    agency, so not even Provider Two may start anything in it."""
    from selfassess.rounds.models import AssessmentRound

    round_ = AssessmentRound(
        council_id=scene.world.council_a.id,
        name="Alpha round 2031",
        framework_version_id=await scene.framework_version_id(),
        service_types=["care_home"],
        opens_on=clock.today() - timedelta(days=1),
        deadline=clock.today() + timedelta(days=10),
        created_by_id=scene.world.admin_a.id,
    )
    await scene.add(round_)
    return Foreign(round_.id, ("Alpha round 2031",))


# path parameter name -> a record of that kind that none of the viewers may see
FOREIGN: dict[str, Callable[[Scene], Awaitable[Foreign]]] = {
    "service_id": foreign_service,
    "user_id": foreign_user,
    "provider_id": foreign_provider,
    "council_id": foreign_council,
    "notification_id": foreign_notification,
    "concern_id": foreign_concern,
    "assessment_id": _alpha_assessment("assessment_id"),
    "answer_id": _alpha_assessment("answer_id"),
    "item_id": _alpha_assessment("item_id"),
    "code": foreign_key_question,
    "version_id": foreign_framework_version,
    "visit_id": _alpha_visit("visit_id"),
    "score_id": _alpha_visit("score_id"),
    "point_id": _alpha_visit("point_id"),
    "breach_id": _alpha_visit("breach_id"),
    "correction_id": _alpha_visit("correction_id"),
    "plan_id": _alpha_plan("plan_id"),
    "action_id": _alpha_plan("action_id"),
    "note_id": _alpha_plan("note_id"),
    "practice_id": foreign_good_practice,
    "token_id": foreign_token,
    "webhook_id": foreign_webhook,
    "import_id": foreign_regulator_import,
    "round_id": foreign_round,
}


# --- the viewer's own records, for routes with several parameters ----------------------------


def _own_service_id(scene: Scene, viewer: User) -> int:
    """Provider Two's service in Council A for its manager; Council B's service for B's staff."""
    world = scene.world
    return world.beta.id if viewer.organisation_id == world.provider_2.id else world.gamma.id


def _own_assessment(key: str) -> Callable[[Scene, User], Awaitable[Any]]:
    async def make(scene: Scene, viewer: User) -> Any:
        ids = await scene.assessment(_own_service_id(scene, viewer), scene.world.manager_2, "Our own answer")
        return ids[key]

    return make


def _own_visit(key: str) -> Callable[[Scene, User], Awaitable[Any]]:
    async def make(scene: Scene, viewer: User) -> Any:
        world = scene.world
        service_id = _own_service_id(scene, viewer)
        officer = world.officer_a2 if service_id == world.beta.id else world.officer_b
        return (await scene.visit(service_id, officer, world.manager_2, "Our own visit"))[key]

    return make


def _own_plan(key: str) -> Callable[[Scene, User], Awaitable[Any]]:
    async def make(scene: Scene, viewer: User) -> Any:
        world = scene.world
        service_id = _own_service_id(scene, viewer)
        officer = world.officer_a2 if service_id == world.beta.id else world.officer_b
        visit = await scene.visit(service_id, officer, world.manager_2, "Our own visit")
        return (await scene.plan(visit, service_id, world.manager_2, "Our own plan"))[key]

    return make


async def _own(value: Any) -> Any:
    return value


# path parameter name -> the viewer's own record of that kind
OWN: dict[str, Callable[[Scene, User], Awaitable[Any]]] = {
    "service_id": lambda scene, viewer: _own(_own_service_id(scene, viewer)),
    "user_id": lambda scene, viewer: _own(viewer.id),
    "assessment_id": _own_assessment("assessment_id"),
    "answer_id": _own_assessment("answer_id"),
    "item_id": _own_assessment("item_id"),
    "code": lambda scene, viewer: scene.key_question_code(),
    "visit_id": _own_visit("visit_id"),
    "score_id": _own_visit("score_id"),
    "point_id": _own_visit("point_id"),
    "breach_id": _own_visit("breach_id"),
    "plan_id": _own_plan("plan_id"),
    "action_id": _own_plan("action_id"),
    "note_id": _own_plan("note_id"),
}

# Routes whose parameters name no one's record, with the reason.
NOT_RECORDS = {
    "/static/{file_path:path}": "files from static/, the same for everyone",
    "/schema/{path:str}": "the OpenAPI viewers",
    # What a council publishes is for everyone, signed in or not; mixing one council's address
    # with another's service is tested in test_public_pages_never_mix_councils.
    "/public/{slug:str}": "published for everyone",
    "/public/{slug:str}/services/{service_id:int}": "published for everyone",
    # The kind of import (services or providers); an import always goes into the admin's own
    # council, which no parameter names (tested in tests/providers/test_bulk_import.py).
    "/admin/import/template/{kind:str}": "the same template for everyone",
    "/admin/import/{kind:str}": "into the admin's own council",
    "/admin/import/{kind:str}/confirm": "into the admin's own council",
}

NOT_FOUND = {403, 404}
OFFICER_B, ADMIN_B = "an officer of another council", "an admin of another council"
# A form sent to someone else's record may instead be refused for its (empty) contents, shown again
# or sent back to the page it came from with a message (303), as long as nothing of the record is
# shown and nothing in the database changes.
REFUSED_FORM = NOT_FOUND | {303, 400, 409, 422}


def _with_params(app: Litestar) -> list[Endpoint]:
    return [e for e in endpoints(app) if e.params and e.path not in NOT_RECORDS]


def test_every_path_parameter_has_a_foreign_record(app: Litestar) -> None:
    """Fails first and clearly when a new route's parameter is missing from FOREIGN."""
    missing: dict[str, list[str]] = {}
    for endpoint in _with_params(app):
        for name in endpoint.params:
            if name not in FOREIGN:
                missing.setdefault(f"FOREIGN[{name!r}]", []).append(str(endpoint))
    assert not missing, (
        "tests/security/test_isolation.py needs entries for new path parameters:\n"
        + "\n".join(f"  {entry}, used by {', '.join(users)}" for entry, users in sorted(missing.items()))
    )
    stale = set(NOT_RECORDS) - {e.path for e in endpoints(app)}
    assert not stale, f"NOT_RECORDS names routes that are gone: {stale}"


def _combinations(
    endpoint: Endpoint, foreign: dict[str, Foreign], own: dict[str, Any]
) -> list[dict[str, Any]]:
    """All foreign; and, with several parameters, each one foreign among the viewer's own."""
    names = list(endpoint.params)
    tries = [{name: foreign[name].id for name in names}]
    if len(names) > 1:
        for foreign_name in names:
            if foreign[foreign_name].owned and all(name in own for name in names if name != foreign_name):
                tries.append(
                    {name: foreign[name].id if name == foreign_name else own[name] for name in names}
                )
    return tries


TWO_REGISTERS = pytest.mark.parametrize(
    "provider_one_shared", [False, True], ids=["one-register", "provider-on-two-registers"]
)


async def _share_provider_one(db: AsyncSession, world: factories.World, shared: bool) -> None:
    if shared:
        db.add(CouncilProvider(council_id=world.council_b.id, provider_id=world.provider_1.id))
        await db.commit()


@TWO_REGISTERS
async def test_other_organisations_records_are_not_found_on_any_route(
    app: Litestar, browsers, db: AsyncSession, world: factories.World, provider_one_shared: bool
) -> None:  # type: ignore[no-untyped-def]
    test_every_path_parameter_has_a_foreign_record(app)
    await _share_provider_one(db, world, provider_one_shared)
    scene = Scene(db, world, provider_one_shared=provider_one_shared)
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN, name="Bob B-Admin")
    needed = {name for e in _with_params(app) for name in e.params}
    foreign = {name: await FOREIGN[name](scene) for name in sorted(needed)}
    secrets = sorted({text for record in foreign.values() for text in record.names})
    provider_admin_2 = await factories.user(db, world.provider_2, Role.PROVIDER_ADMIN, name="Pat Two-Admin")
    viewers = {
        "a provider user of another organisation": world.manager_2,
        "a provider admin of another organisation": provider_admin_2,
        OFFICER_B: world.officer_b,
        ADMIN_B: admin_b,
    }
    needs_own = {name for e in _with_params(app) if len(e.params) > 1 for name in e.params if name in OWN}
    own = {
        label: {name: await OWN[name](scene, viewer) for name in sorted(needs_own)}
        for label, viewer in viewers.items()
    }

    emails = {label: viewer.email for label, viewer in viewers.items()}

    failures = []
    for label, email in emails.items():
        async with browsers() as browser:
            await browser.login(email)
            before = await database_contents(db)
            for endpoint in _with_params(app):
                for values in _combinations(endpoint, foreign, own[label]):
                    url = endpoint.url(values)
                    if (
                        endpoint.unsafe and endpoint.method != "POST"
                    ):  # the API's PUT, as a browser would send it
                        csrf = {"x-csrftoken": browser.csrf_token or ""}
                        response = await browser.client.request(endpoint.method, url, json={}, headers=csrf)
                    elif endpoint.unsafe:
                        response = await browser.post(url, {}, follow_redirects=False)
                    else:
                        response = await browser.get(url, follow_redirects=False)
                    leaked = [text for text in secrets if text in response.text]
                    allowed = REFUSED_FORM if endpoint.unsafe else NOT_FOUND
                    if all(
                        label in foreign[name].open_to for name in values if values[name] == foreign[name].id
                    ):
                        allowed = allowed | {200}
                    if response.status_code not in allowed or leaked:
                        failures.append(
                            f"{endpoint.method} {url} as {label}: {response.status_code}"
                            + (f", shows {leaked}" if leaked else "")
                            + f" — {text_of(response.text)[:120]}"
                        )
            if changed := changed_tables(before, await database_contents(db)):
                failures.append(f"requests as {label} changed these tables: {changed}")
    assert not failures, "Another organisation's record was reachable:\n" + "\n".join(failures)


@TWO_REGISTERS
async def test_lists_searches_and_the_api_never_include_other_organisations_records(
    app: Litestar, browsers, db: AsyncSession, world: factories.World, provider_one_shared: bool
) -> None:  # type: ignore[no-untyped-def]
    """Every page and API answer without path parameters, plain and searched for the record."""
    await _share_provider_one(db, world, provider_one_shared)
    scene = Scene(db, world, provider_one_shared=provider_one_shared)
    foreign = [await make(scene) for make in FOREIGN.values()]
    secrets = sorted({text for record in foreign for text in record.names})
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN)
    pages = [e for e in endpoints(app) if e.method == "GET" and not e.params]
    assert {"/services", "/api/v1/services"} <= {e.path for e in pages}

    failures = []
    provider_admin_2 = await factories.user(db, world.provider_2, Role.PROVIDER_ADMIN)
    for viewer in (world.manager_2, provider_admin_2, world.officer_b, admin_b):
        async with browsers() as browser:
            await browser.login(viewer.email)
            for endpoint in pages:
                for query in ("", "?q=Alpha", "?q=Mona") if "q" in endpoint.arguments else ("",):
                    response = await browser.get(endpoint.path + query)
                    leaked = [text for text in secrets if text in response.text]
                    if leaked or response.status_code >= 500:
                        failures.append(
                            f"GET {endpoint.path}{query} as {viewer.email}: {response.status_code} {leaked}"
                        )
    assert not failures, "\n".join(failures)


async def test_api_answers_not_found_as_json(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_b.email)
    response = await client.get(f"/api/v1/services/{world.alpha.id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Alpha House" not in response.text
    listed = await client.get("/api/v1/services")
    assert world.alpha.id not in {item["id"] for item in listed.json()["items"]}


async def test_public_pages_never_mix_councils(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    """Council A's service, even with a published visit, is not found under Council B's address."""
    scene = Scene(db, world)
    await scene.visit(world.alpha.id, world.officer_a, world.manager_1, ALPHA_SECRET)
    alpha_id, council_b_slug = world.alpha.id, world.council_b.slug
    response = await client.get(f"/public/{council_b_slug}/services/{alpha_id}")
    assert response.status_code == 404 and "Alpha House" not in response.text
    listed = await client.get(f"/public/{council_b_slug}?q=Alpha")
    assert "Alpha House" not in listed.text
