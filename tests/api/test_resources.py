"""The API's resources, used with tokens the way a BI tool or a provider's quality system would."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionNote
from selfassess.actions.rules import ActionStatus
from selfassess.assessments.models import SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits.models import Concern, ConcernSource, Severity
from tests import factories
from tests.api.helpers import agreed_plan, call, token_for
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_services_page_by_cursor_and_sync_by_updated_since(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    token = await token_for(db, world.officer_a)
    seen, cursor = [], None
    while True:
        url = "/api/v1/services?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = (await call(client, "GET", url, token)).json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["Alpha House", "Beta Homecare"], "each once, nothing of Council B"

    later = world.beta.updated_at + timedelta(hours=1)
    await db.execute(update(CareService).where(CareService.id == world.alpha.id).values(updated_at=later))
    await db.commit()
    since = (later - timedelta(minutes=1)).isoformat()
    changed = await call(client, "GET", "/api/v1/services", token, params={"updated_since": since})
    assert [item["name"] for item in changed.json()["items"]] == ["Alpha House"]

    bad = await call(client, "GET", "/api/v1/services?cursor=not-ours", token)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    too_many = await call(client, "GET", "/api/v1/services?limit=5000", token)
    assert too_many.status_code == 400


async def test_a_provider_saves_an_answer_with_the_autosave_version_check(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    assessment = await SelfAssessments(db, world.manager_1, settings).start(world.alpha, "2026/27")
    token = await token_for(db, world.manager_1, write=True)
    detail = (await call(client, "GET", f"/api/v1/self-assessments/{assessment.id}", token)).json()
    assert detail["status"] == "draft" and len(detail["answers"]) == 34
    answer = detail["answers"][0]
    url = f"/api/v1/self-assessments/{assessment.id}/answers/{answer['id']}"
    body = {"version": answer["version"], "score": 3, "narrative": "Audits in March.", "improvement_plan": ""}
    saved = await call(client, "PUT", url, token, json=body)
    assert saved.status_code == 200 and saved.json()["version"] == answer["version"] + 1

    stale = await call(client, "PUT", url, token, json={**body, "narrative": "Overwrite?"})
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["current"]["version"] == answer["version"] + 1
    assert problem["current"]["narrative"] == "Audits in March."
    stored = await db.get_one(SelfAssessmentAnswer, answer["id"], populate_existing=True)
    assert stored.narrative == "Audits in March."

    off_scale = await call(client, "PUT", url, token, json={**body, "version": stored.version, "score": 9})
    assert off_scale.status_code == 400 and "scale" in off_scale.json()["detail"]

    council = await token_for(db, world.officer_a)
    listed = (await call(client, "GET", "/api/v1/self-assessments", council)).json()
    assert listed["items"] == [], "council staff never see a provider's working draft"


async def test_visits_comparison_and_the_plan_through_the_same_rules_as_the_pages(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    plan = await agreed_plan(db, world, settings)
    provider = await token_for(db, world.manager_1, write=True)
    officer = await token_for(db, world.officer_a, write=True)

    visits = (await call(client, "GET", "/api/v1/visits", provider)).json()["items"]
    assert [visit["status"] for visit in visits] == ["published"]
    visit = (await call(client, "GET", f"/api/v1/visits/{visits[0]['id']}", provider)).json()
    assert {score["statement_code"]: score["score"] for score in visit["scores"]}["S8"] == 1

    comparison = await call(client, "GET", f"/api/v1/services/{world.alpha.id}/comparison", provider)
    assert comparison.status_code == 200
    lines = {line["statement_code"]: line for line in comparison.json()["statements"]}
    assert lines["W5"]["direction"] == "over" and lines["S8"]["officer_score"] == 1

    detail = (await call(client, "GET", f"/api/v1/action-plans/{plan.id}", provider)).json()
    action = detail["actions"][0]
    base = f"/api/v1/action-plans/{plan.id}/actions/{action['id']}"
    verify = await call(
        client, "POST", f"{base}/status", provider, json={"status": "verified", "version": action["version"]}
    )
    assert verify.status_code == 400, "only an officer verifies, as on the page"
    done = await call(
        client, "POST", f"{base}/status", provider, json={"status": "completed", "version": action["version"]}
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    stale = await call(
        client, "POST", f"{base}/status", officer, json={"status": "verified", "version": action["version"]}
    )
    assert stale.status_code == 409
    verified = await call(
        client,
        "POST",
        f"{base}/status",
        officer,
        json={"status": "verified", "version": done.json()["version"]},
    )
    assert verified.status_code == 200 and verified.json()["status"] == ActionStatus.VERIFIED.value

    other = detail["actions"][1]
    other_base = f"/api/v1/action-plans/{plan.id}/actions/{other['id']}"
    note = await call(client, "POST", f"{other_base}/notes", provider, json={"text": "Training booked."})
    assert note.status_code == 201
    later = (date.today() + timedelta(days=200)).isoformat()
    more_time = await call(
        client,
        "POST",
        f"{other_base}/more-time",
        provider,
        json={"proposed_due_date": later, "reason": "Trainer off"},
    )
    assert more_time.status_code == 202
    officer_asks = await call(
        client, "POST", f"{other_base}/more-time", officer, json={"proposed_due_date": later, "reason": "x"}
    )
    assert officer_asks.status_code in (400, 403)
    await db.commit()
    assert (
        await db.scalar(select(ActionNote.text).where(ActionNote.action_id == other["id"]))
        == "Training booked."
    )
    stored = await db.get_one(Action, other["id"], populate_existing=True)
    assert stored.proposed_due_date == date.today() + timedelta(days=200)

    decision = f"{other_base}/more-time/decision"
    provider_decides = await call(client, "POST", decision, provider, json={"accept": True})
    assert provider_decides.status_code in (400, 403), "only an officer decides, as on the page"
    unexplained = await call(client, "POST", decision, officer, json={"accept": False})
    assert unexplained.status_code == 400 and "Say why" in unexplained.text
    accepted = await call(client, "POST", decision, officer, json={"accept": True, "comment": "Fine"})
    assert accepted.status_code == 200 and accepted.json()["due_date"] == later
    again = await call(client, "POST", decision, officer, json={"accept": True})
    assert again.status_code == 400, "nothing left to decide"


async def test_concerns_are_for_council_staff_only(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    db.add(
        Concern(
            service_id=world.alpha.id,
            source=ConcernSource.PROFESSIONAL,
            received_on=date(2026, 1, 6),
            summary="Missed evening medication",
            severity=Severity.HIGH,
            logged_by_id=world.officer_a.id,
        )
    )
    await db.commit()
    officer = await token_for(db, world.officer_a)
    listed = (await call(client, "GET", "/api/v1/concerns", officer)).json()
    assert [item["summary"] for item in listed["items"]] == ["Missed evening medication"]
    by_service = await call(client, "GET", f"/api/v1/services/{world.alpha.id}/concerns", officer)
    assert [item["summary"] for item in by_service.json()] == ["Missed evening medication"]
    provider = await token_for(db, world.manager_1)
    for url in ("/api/v1/concerns", f"/api/v1/services/{world.alpha.id}/concerns"):
        response = await call(client, "GET", url, provider)
        assert response.status_code == 403 and "Missed" not in response.text


async def test_every_api_error_is_a_problem_document(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    token = await token_for(db, world.officer_a)
    for method, url, status in (
        ("GET", "/api/v1/nowhere", 404),
        ("DELETE", "/api/v1/services", 405),
        ("GET", "/api/v1/services/999999", 404),
        ("GET", "/api/v1/services?updated_since=yesterday", 400),
    ):
        response = await call(client, method, url, token)
        assert response.status_code == status, url
        assert response.headers["content-type"].startswith("application/problem+json"), url
        problem = response.json()
        assert problem["status"] == status and problem["title"] and problem["instance"].startswith("/api/")
    unreadable = await call(
        client,
        "PUT",
        "/api/v1/self-assessments/1/answers/1",
        await token_for(db, world.manager_1, write=True),
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert unreadable.status_code == 400 and unreadable.headers["content-type"].startswith(
        "application/problem+json"
    )
