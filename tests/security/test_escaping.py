"""Script typed into any free-text field comes back as text, never as markup, on every page.

Each field gets its own payload, so a failure names the field. The records are made through the
forms people use; then every page the app has (read from its routes) is opened as a council admin,
an officer and the provider user concerned, and searched for the payloads unescaped.

**When you add a free-text field**, add it to FIELDS and fill it in ``_make_records``; when you add a
route with a new path parameter, say in ``_ids`` which of the records made here it shows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from markupsafe import escape
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, Role, User
from selfassess.accounts.passwords import hash_password
from selfassess.actions.models import Action, ActionNote, ActionPlan
from selfassess.assessments.models import EvidenceItem, SelfAssessment, SelfAssessmentAnswer
from selfassess.frameworks.models import KeyQuestion, QualityStatement
from selfassess.providers.models import CareService
from selfassess.visits.models import Concern, FactualAccuracyPoint, Visit, VisitScore
from tests import factories
from tests.factories import PASSWORD
from tests.security.routes import endpoints
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")  # the self-assessments and visits need one


def payload(field: str) -> str:
    """Breaks out of an attribute too, not just text, if it is not escaped."""
    return f'{field} "><script>alert("{field}")</script><img src=x onerror=alert(1)>'


FIELDS = [
    "provider-name",
    "service-name",
    "address-line-1",
    "address-line-2",
    "town",
    "user-name",
    "job-title",
    # self-assessments
    "period-label",
    "narrative",
    "improvement-plan",
    "evidence-note",
    # concerns and visits
    "concern-summary",
    "concern-details",
    "concern-outcome",
    "findings",
    "visit-summary",
    "accuracy-point",
    # action plans
    "action-title",
    "action-description",
    "progress-note",
]
PAYLOADS = {field: payload(field) for field in FIELDS}
# A period label takes at most 40 characters: a shorter payload, still breaking out of an attribute.
PAYLOADS["period-label"] = 'P"><script>alert("P")</script>'
DANGEROUS = ["<script>alert(", "<img src=x onerror"]


def unescaped(html: str) -> list[str]:
    return [marker for marker in DANGEROUS if marker in html]


def renders_script(response: Any) -> list[str]:
    """JSON (sent with nosniff) is data, not a page: only what a browser renders as HTML counts."""
    content_type = response.headers.get("content-type", "")
    if content_type.startswith(("application/json", "text/plain", "text/csv", "application/pdf")):
        return []
    return unescaped(response.text)


async def _make_records(client: Browser, db: AsyncSession, world: factories.World) -> dict[str, Any]:
    await client.login(world.admin_a.email)
    response = await client.post(
        "/providers",
        {
            "name": PAYLOADS["provider-name"],
            "admin_full_name": PAYLOADS["user-name"],
            "admin_email": "evil@provider.example",
        },
    )
    assert response.status_code == 200, response.text
    assert escape(PAYLOADS["provider-name"]) in response.text, "the flash message names it, escaped"
    provider = await db.scalar(select(Organisation).where(Organisation.name == PAYLOADS["provider-name"]))
    assert provider is not None
    response = await client.post(
        "/services/new",
        {
            "name": PAYLOADS["service-name"],
            "service_type": "care_home",
            "provider_id": provider.id,
            "address_line1": PAYLOADS["address-line-1"],
            "address_line2": PAYLOADS["address-line-2"],
            "town": PAYLOADS["town"],
            "postcode": "NB1 1AA",
            "regulator_rating": "good",
        },
    )
    assert response.status_code == 200 and not unescaped(response.text), response.text
    assert escape(PAYLOADS["service-name"]) in response.text
    await db.commit()  # end the snapshot SQLite reads from, to see what the app committed
    service = await db.scalar(select(CareService).where(CareService.name == PAYLOADS["service-name"]))
    assert service is not None
    await client.logout()
    await db.commit()

    person = await db.scalar(select(User).where(User.email == "evil@provider.example"))
    assert person is not None
    person.password_hash = hash_password(PASSWORD)  # as if they had followed their invitation
    await db.commit()
    await client.login(person.email)
    response = await client.post(
        f"/admin/users/{person.id}",
        {
            "full_name": PAYLOADS["user-name"],
            "job_title": PAYLOADS["job-title"],
            "email": person.email,
            "role": "provider_admin",
            "is_active": "true",
        },
    )
    assert response.status_code == 200 and not unescaped(response.text), response.text
    await client.logout()
    await db.commit()
    slug = await db.scalar(select(Organisation.slug).where(Organisation.id == world.council_a.id))
    records = {"provider": provider, "service": service, "user": person, "council_slug": slug}
    records.update(await _make_self_assessment(client, db, service, person))
    records.update(await _make_visit(client, db, world, service, person))
    records.update(await _make_plan(client, db, world, records["visit"], person))
    return records


def _ok(response: Any) -> None:
    assert response.status_code in (200, 303) and not unescaped(response.text), (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:2000]}"
    )


async def _make_self_assessment(
    client: Browser, db: AsyncSession, service: CareService, person: User
) -> dict[str, Any]:
    """The provider starts a self-assessment (period label), answers the first statement (narrative,
    improvement plan), adds a note of evidence, scores the rest and submits it."""
    await client.login(person.email)
    _ok(await client.post(f"/services/{service.id}/assessments", {"period_label": PAYLOADS["period-label"]}))
    await db.commit()
    assessment = await db.scalar(select(SelfAssessment).where(SelfAssessment.service_id == service.id))
    assert assessment is not None and assessment.period_label == PAYLOADS["period-label"]
    answer = await db.scalar(
        select(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .order_by(SelfAssessmentAnswer.id)
        .limit(1)
    )
    assert answer is not None
    base = f"/assessments/{assessment.id}/answers/{answer.id}"
    answer_form = {
        "version": answer.version,
        "score": 3,
        "narrative": PAYLOADS["narrative"],
        "improvement_plan": PAYLOADS["improvement-plan"],
    }
    _ok(await client.post(base, answer_form, htmx=True))
    _ok(await client.post(f"{base}/evidence/note", {"text": PAYLOADS["evidence-note"]}, htmx=True))
    # Arrange: the other statements scored at once (the forms themselves are tested elsewhere).
    await db.commit()  # end this session's read, or SQLite refuses the write (a stale snapshot)
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id, SelfAssessmentAnswer.score.is_(None))
        .values(score=3, version=SelfAssessmentAnswer.version + 1)
    )
    await db.commit()
    _ok(await client.post(f"/assessments/{assessment.id}/submit"))
    await client.logout()
    code = await db.scalar(
        select(KeyQuestion.code)
        .join(QualityStatement, QualityStatement.key_question_id == KeyQuestion.id)
        .where(QualityStatement.id == answer.statement_id)
    )
    item = await db.scalar(select(EvidenceItem).where(EvidenceItem.answer_id == answer.id))
    assert item is not None
    return {"assessment": assessment, "answer": answer, "code": code, "item": item}


async def _make_visit(
    client: Browser, db: AsyncSession, world: factories.World, service: CareService, person: User
) -> dict[str, Any]:
    """The officer logs a concern, schedules a reactive visit from it, scores the first statement
    (findings), locks, writes the summary and shares the draft; the provider raises a factual
    accuracy point; the officer accepts it, publishes, and closes the concern with its outcome."""
    today = date.today()
    await client.login(world.officer_a.email)
    concern_form = {
        "source": "relative",
        "received_on": (today - timedelta(days=2)).isoformat(),
        "summary": PAYLOADS["concern-summary"],
        "details": PAYLOADS["concern-details"],
        "severity": "high",
    }
    _ok(await client.post(f"/services/{service.id}/concerns/new", concern_form))
    await db.commit()
    concern = await db.scalar(select(Concern).where(Concern.service_id == service.id))
    assert concern is not None
    visit_form = {
        "visit_type": "reactive",
        "scheduled_for": today.isoformat(),
        "officer_id": world.officer_a.id,
        "concern_ids": concern.id,
    }
    _ok(await client.post(f"/services/{service.id}/visits/new", visit_form))
    await db.commit()
    visit = await db.scalar(select(Visit).where(Visit.service_id == service.id))
    assert visit is not None
    score = await db.scalar(
        select(VisitScore).where(VisitScore.visit_id == visit.id).order_by(VisitScore.id).limit(1)
    )
    assert score is not None
    score_form = {"version": score.version, "score": 2, "findings": PAYLOADS["findings"], "evidence_seen": ""}
    _ok(await client.post(f"/visits/{visit.id}/scores/{score.id}", score_form, htmx=True))
    await db.commit()
    await db.execute(
        update(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.score.is_(None)).values(score=3)
    )
    await db.commit()
    _ok(await client.post(f"/visits/{visit.id}/lock"))
    await db.refresh(visit)
    summary_form = {"version": visit.version, "summary": PAYLOADS["visit-summary"]}
    _ok(await client.post(f"/visits/{visit.id}/summary", summary_form, htmx=True))
    _ok(await client.post(f"/visits/{visit.id}/share"))
    await client.logout()

    await client.login(person.email)
    _ok(
        await client.post(
            f"/visits/{visit.id}/points", {"statement_id": "", "text": PAYLOADS["accuracy-point"]}
        )
    )
    _ok(await client.post(f"/visits/{visit.id}/points/done"))
    await client.logout()

    await db.commit()
    point = await db.scalar(select(FactualAccuracyPoint).where(FactualAccuracyPoint.visit_id == visit.id))
    assert point is not None
    await client.login(world.officer_a.email)
    _ok(await client.post(f"/visits/{visit.id}/points/{point.id}/accept", {"response": ""}))
    _ok(await client.post(f"/visits/{visit.id}/publish"))
    _ok(await client.post(f"/concerns/{concern.id}/close", {"outcome": PAYLOADS["concern-outcome"]}))
    await client.logout()
    await db.commit()
    await db.refresh(visit)
    assert visit.status.value == "published", visit.status
    return {"concern": concern, "visit": visit, "score": score, "point": point}


async def _make_plan(
    client: Browser, db: AsyncSession, world: factories.World, visit: Visit, person: User
) -> dict[str, Any]:
    """The officer proposes a plan from the visit and adds an action (title, description); the
    provider names who does the proposed one and submits; the officer agrees; the provider adds a
    progress note."""
    await client.login(world.officer_a.email)
    _ok(await client.post(f"/visits/{visit.id}/plan"))
    await db.commit()
    plan = await db.scalar(select(ActionPlan).where(ActionPlan.visit_id == visit.id))
    assert plan is not None
    action_form = {
        "title": PAYLOADS["action-title"],
        "description": PAYLOADS["action-description"],
        "owner_id": person.id,
        "due_date": (date.today() + timedelta(days=30)).isoformat(),
        "priority": "medium",
    }
    _ok(await client.post(f"/plans/{plan.id}/actions", action_form))
    await client.logout()

    await db.commit()
    await client.login(person.email)
    for action in await db.scalars(
        select(Action).where(Action.plan_id == plan.id, Action.owner_id.is_(None))
    ):
        proposed = {
            "version": action.version,
            "title": action.title,
            "description": action.description,
            "owner_id": person.id,
            "due_date": action.due_date.isoformat(),
            "priority": action.priority.value,
        }
        _ok(await client.post(f"/plans/{plan.id}/actions/{action.id}", proposed, htmx=True))
    _ok(await client.post(f"/plans/{plan.id}/submit"))
    await client.logout()
    await client.login(world.officer_a.email)
    _ok(await client.post(f"/plans/{plan.id}/agree"))
    await client.logout()

    await db.commit()
    action = await db.scalar(select(Action).where(Action.title == PAYLOADS["action-title"]))
    assert action is not None
    await client.login(person.email)
    note = await client.client.post(
        f"/plans/{plan.id}/actions/{action.id}/notes",
        data={"text": PAYLOADS["progress-note"], "_csrf_token": client.csrf_token},
        files={"file": ("", b"", "application/octet-stream")},  # multipart, as the page sends it
        headers={"HX-Request": "true"},
    )
    _ok(note)
    await client.logout()
    await db.commit()
    note_row = await db.scalar(select(ActionNote).where(ActionNote.action_id == action.id))
    assert note_row is not None and note_row.text == PAYLOADS["progress-note"]
    return {"plan": plan, "action": action, "note": note_row}


def _ids(records: dict[str, Any]) -> dict[str, Any]:
    """Path parameter -> the record made here that the route shows. Others are left out."""
    return {
        "service_id": records["service"].id,
        "user_id": records["user"].id,
        "provider_id": records["provider"].id,
        "assessment_id": records["assessment"].id,
        "answer_id": records["answer"].id,
        "item_id": records["item"].id,
        "code": records["code"],
        "concern_id": records["concern"].id,
        "visit_id": records["visit"].id,
        "score_id": records["score"].id,
        "plan_id": records["plan"].id,
        "note_id": records["note"].id,
        "slug": records["council_slug"],
    }


async def test_script_in_every_free_text_field_is_escaped_on_every_page(
    app: Litestar, client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    records = await _make_records(client, db, world)
    ids = _ids(records)
    pages = [
        endpoint
        for endpoint in endpoints(app)
        if endpoint.method == "GET" and all(name in ids for name in endpoint.params)
    ]

    failures, shown = [], {field: set() for field in FIELDS}
    for viewer in (world.admin_a, world.officer_a, records["user"]):
        async with browsers() as browser:
            await browser.login(viewer.email)
            for endpoint in pages:
                url = endpoint.url(ids)
                response = await browser.get(url)
                if response.status_code >= 500 or renders_script(response):
                    failures.append(
                        f"GET {url} as {viewer.email}: {response.status_code} {renders_script(response)}"
                    )
                if response.headers.get("content-type", "").startswith("text/html"):
                    for field, text in PAYLOADS.items():
                        if escape(text) in response.text:
                            shown[field].add(url)
    assert not failures, "Unescaped script on:\n" + "\n".join(failures)

    service = f"/services/{records['service'].id}"
    expected = {
        "provider-name": {"/services", service, "/providers", "/admin/users", "/admin/councils"},
        "service-name": {"/services", service, f"{service}/edit", "/admin/audit"},
        "address-line-1": {service, f"{service}/edit"},
        "address-line-2": {service, f"{service}/edit"},
        "town": {"/services", service, f"{service}/edit"},
        "user-name": {"/admin/users", f"/admin/users/{records['user'].id}"},
        "job-title": {f"/admin/users/{records['user'].id}"},
    }
    assessment, visit, plan = (
        f"/assessments/{records['assessment'].id}",
        f"/visits/{records['visit'].id}",
        f"/plans/{records['plan'].id}",
    )
    concern, code = f"/concerns/{records['concern'].id}", records["code"]
    public = f"/public/{records['council_slug']}/services/{records['service'].id}"
    expected |= {
        "period-label": {assessment, f"{assessment}/questions/{code}", f"{assessment}/print", "/reviews"},
        "narrative": {
            f"{assessment}/questions/{code}",
            f"{assessment}/answers/{records['answer'].id}",
            f"{assessment}/print",
            f"{visit}/questions/{code}",
        },
        "improvement-plan": {
            f"{assessment}/questions/{code}",
            f"{assessment}/print",
            f"{visit}/questions/{code}",
        },
        "evidence-note": {
            f"{assessment}/questions/{code}",
            f"{assessment}/answers/{records['answer'].id}",
            f"{assessment}/print",
            f"{visit}/questions/{code}",
        },
        "concern-summary": {concern, f"{concern}/edit", f"{service}/concerns/panel", visit},
        "concern-details": {concern, f"{concern}/edit"},
        "concern-outcome": {concern},
        "findings": {f"{visit}/questions/{code}", f"{visit}/scores/{records['score'].id}", f"{visit}/report"},
        "visit-summary": {visit, f"{visit}/report", public},
        "accuracy-point": {f"{visit}/report"},
        "action-title": {plan, f"{plan}/print"},
        "action-description": {plan, f"{plan}/print"},
        "progress-note": {plan},
    }
    for field, urls in expected.items():
        assert urls <= shown[field], f"{field} should be shown (escaped) on {sorted(urls - shown[field])}"


async def test_the_signed_in_users_own_name_and_organisation_are_escaped_in_the_header(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    provider = await factories.provider(db, world.council_a, name=PAYLOADS["provider-name"])
    person = await factories.user(db, provider, Role.PROVIDER, name=PAYLOADS["user-name"])
    await client.login(person.email)
    page = (await client.get("/services")).text
    assert not unescaped(page)
    assert escape(PAYLOADS["user-name"]) in page and escape(PAYLOADS["provider-name"]) in page


async def test_script_in_the_address_bar_is_never_reflected(
    app: Litestar, client: Browser, world: factories.World
) -> None:
    script = '"><script>alert("query")</script>'
    pages = [e for e in endpoints(app) if e.method == "GET" and not e.params]
    failures = []
    for signed_in in (False, True):
        if signed_in:
            await client.login(world.admin_a.email)
        for endpoint in pages:
            query = "&".join(
                f"{name}={script}" for name in sorted(endpoint.arguments) if name not in {"page"}
            )
            response = await client.get(f"{endpoint.path}?{query}")
            if renders_script(response) or response.status_code >= 500:
                failures.append(f"GET {endpoint.path}?{query}: {response.status_code}")
    login = await client.get(f"/login?next=/{script}")
    for response in (login, await client.get(f"/no/such/page/{script}")):
        if renders_script(response):
            failures.append(str(response.url))
    assert not failures, "Reflected unescaped:\n" + "\n".join(failures)


async def test_the_api_sends_text_as_json_not_html(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await factories.service(db, world.council_a, world.provider_1, name=PAYLOADS["service-name"])
    await client.login(world.officer_a.email)
    response = await client.get("/api/v1/services")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert PAYLOADS["service-name"] in [item["name"] for item in response.json()["items"]]
