"""Visits through HTTP: from a concern to a reactive visit, blind scoring, locking, the draft
report, factual accuracy (with a score changed and recorded), publication, and who sees what."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent
from selfassess.assessments.models import EvidenceItem, EvidenceKind, SelfAssessmentAnswer
from selfassess.frameworks.models import QualityStatement
from selfassess.notifications.models import OutboxEmail
from selfassess.visits.models import (
    Concern,
    ConcernSource,
    FactualAccuracyPoint,
    PointStatus,
    Severity,
    Visit,
    VisitConcern,
    VisitEvent,
    VisitScore,
    VisitStatus,
)
from tests import factories
from tests.assessments.helpers import score_all, start
from tests.support import Browser, reload, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def _submitted_assessment(browsers, db: AsyncSession, world: factories.World, score: int = 4):  # type: ignore[no-untyped-def]
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assessment = await start(provider, world.alpha, db)
        await score_all(db, assessment, score=score)
        assert (await provider.post(f"/assessments/{assessment.id}/submit")).status_code == 200
    return assessment


async def _concern(db: AsyncSession, world: factories.World, **changes: object) -> Concern:
    concern = Concern(
        service_id=world.alpha.id,
        source=ConcernSource.RELATIVE,
        received_on=date.today() - timedelta(days=3),
        summary="Missed medication reported by a daughter",
        severity=Severity.HIGH,
        is_complaint=True,
        logged_by_id=world.officer_a.id,
    )
    for name, value in changes.items():
        setattr(concern, name, value)
    db.add(concern)
    await db.commit()
    return concern


async def _schedule(client: Browser, world: factories.World, db: AsyncSession, **form: object) -> Visit:
    data = {
        "visit_type": "proactive",
        "scheduled_for": date.today().isoformat(),
        "announced": "true",
        "officer_id": world.officer_a.id,
        **form,
    }
    data = {name: value for name, value in data.items() if value is not None}  # None: box left unticked
    response = await client.post(f"/services/{world.alpha.id}/visits/new", data, follow_redirects=False)
    assert response.status_code == 303, response.text
    visit_id = int(re.fullmatch(r"/visits/(\d+)", response.headers["location"]).group(1))
    visit = await db.get_one(Visit, visit_id)
    await db.commit()
    return visit


async def _score_all(db: AsyncSession, visit: Visit, score: int = 3, **by_code: int) -> None:
    """Arrange: every statement scored (autosave is tested on its own), some codes with other scores."""
    from selfassess.frameworks.models import QualityStatement

    await db.execute(
        update(VisitScore)
        .where(VisitScore.visit_id == visit.id)
        .values(score=score, findings="Seen on the day.", version=1)
    )
    for code, value in by_code.items():
        statement_id = await db.scalar(
            select(QualityStatement.id).where(
                QualityStatement.version_id == visit.framework_version_id, QualityStatement.code == code
            )
        )
        await db.execute(
            update(VisitScore)
            .where(VisitScore.visit_id == visit.id, VisitScore.statement_id == statement_id)
            .values(score=value, findings=f"{code}: shortfalls found.")
        )
    await db.commit()


async def test_a_concern_leads_to_a_reactive_visit_that_tests_the_latest_self_assessment(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    assessment = await _submitted_assessment(browsers, db, world)
    concern = await _concern(db, world)
    await client.login(world.officer_a.email)
    form = await client.get(f"/services/{world.alpha.id}/visits/new?concern={concern.id}")
    assert f'id="concern-{concern.id}" name="concern_ids" value="{concern.id}" checked' in form.text
    assert 'value="reactive" selected' in form.text

    without = await client.post(
        f"/services/{world.alpha.id}/visits/new",
        {
            "visit_type": "reactive",
            "scheduled_for": date.today().isoformat(),
            "officer_id": world.officer_a.id,
        },
    )
    assert without.status_code == 422 and "A reactive visit responds to concerns" in text_of(without.text)

    visit = await _schedule(
        client, world, db, visit_type="reactive", concern_ids=str(concern.id), announced=None
    )
    assert visit.self_assessment_id == assessment.id
    assert visit.framework_version_id == assessment.framework_version_id
    assert visit.council_id == world.alpha.council_id, "the service's council, copied for the council's lists"
    assert not visit.announced
    links = list(await db.scalars(select(VisitConcern.concern_id).where(VisitConcern.visit_id == visit.id)))
    assert links == [concern.id]
    scores = list(await db.scalars(select(VisitScore).where(VisitScore.visit_id == visit.id)))
    assert len(scores) == 34
    page = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert "Missed medication reported by a daughter" in page
    assert "Tests the provider's self-assessment 2026/27" in page


async def test_scoring_a_key_question_shows_the_providers_evidence_for_its_statements_only(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    assessment = await _submitted_assessment(browsers, db, world)
    answers = dict(
        (
            await db.execute(
                select(QualityStatement.code, SelfAssessmentAnswer.id)
                .join(QualityStatement, QualityStatement.id == SelfAssessmentAnswer.statement_id)
                .where(SelfAssessmentAnswer.assessment_id == assessment.id)
            )
        ).all()
    )
    for code in ("S1", "E1"):
        db.add(
            EvidenceItem(
                answer_id=answers[code],
                kind=EvidenceKind.TEXT,
                text=f"Evidence for {code}",
                added_by_id=world.manager_1.id,
            )
        )
    await db.commit()
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    safe = text_of((await client.get(f"/visits/{visit.id}/questions/S")).text)
    assert "Evidence for S1" in safe and "Evidence for E1" not in safe
    effective = text_of((await client.get(f"/visits/{visit.id}/questions/E")).text)
    assert "Evidence for E1" in effective and "Evidence for S1" not in effective


async def test_the_first_score_saved_starts_the_visit_once_in_its_history(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    first, second = (
        await db.scalars(
            select(VisitScore.id).where(VisitScore.visit_id == visit.id).order_by(VisitScore.id).limit(2)
        )
    ).all()
    await db.commit()
    for score_id, version in [(first, 0), (second, 0), (first, 1)]:
        saved = await client.post(
            f"/visits/{visit.id}/scores/{score_id}", {"version": version, "score": 3}, htmx=True
        )
        assert saved.status_code == 200, saved.text
    await reload(db, visit)
    assert visit.status is VisitStatus.IN_PROGRESS
    overview = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert overview.count(f"Scoring started by {world.officer_a.full_name}") == 1, overview


async def test_scoring_autosaves_blind_then_lock_reveals_the_self_scores(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    assessment = await _submitted_assessment(browsers, db, world, score=4)
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    page = await client.get(f"/visits/{visit.id}/questions/S")
    their_scores = re.findall(r"<dt>Their score</dt>\s*<dd>(.*?)</dd>", page.text, re.S)
    assert len(their_scores) == 8
    assert all("Hidden until you lock your scores" in cell for cell in their_scores), "blind while scoring"
    assert "We meet this statement" in page.text, "the provider's narrative can be read"

    first = await db.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id).order_by(VisitScore.id))
    await db.commit()
    saved = await client.post(
        f"/visits/{visit.id}/scores/{first.id}",
        {"version": 0, "score": 2, "findings": "Incident log not reviewed since May."},
        htmx=True,
    )
    assert saved.status_code == 200 and "Saved" in saved.text
    await reload(db, visit)
    assert visit.status is VisitStatus.IN_PROGRESS
    stale = await client.post(f"/visits/{visit.id}/scores/{first.id}", {"version": 0, "score": 3}, htmx=True)
    assert stale.status_code == 409 and "Incident log not reviewed since May." in text_of(stale.text)

    refused = await client.post(f"/visits/{visit.id}/lock")
    assert refused.status_code == 422
    assert "Score every statement before locking" in text_of(refused.text)
    await _score_all(db, visit, 3, S1=2)
    await client.post(f"/visits/{visit.id}/lock")
    await reload(db, visit)
    assert visit.status is VisitStatus.SCORES_LOCKED
    page = await client.get(f"/visits/{visit.id}/questions/S")
    their_scores = re.findall(r"<dt>Their score</dt>\s*<dd>(.*?)</dd>", page.text, re.S)
    assert all("4: Exceptional standard" in cell for cell in their_scores), "revealed once the officer locks"
    late = await client.post(f"/visits/{visit.id}/scores/{first.id}", {"version": 5, "score": 1}, htmx=True)
    assert late.status_code == 422 and "locked" in late.text
    assert assessment.id == visit.self_assessment_id


async def test_draft_report_factual_accuracy_and_publication(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await _submitted_assessment(browsers, db, world)
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    await _score_all(db, visit, 3, S8=2)
    await client.post(f"/visits/{visit.id}/lock")

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assert (await provider.get(f"/visits/{visit.id}/report")).status_code == 404, "not shared yet"
        panel = await provider.get(f"/services/{world.alpha.id}/visits/panel")
        assert f"/visits/{visit.id}" not in panel.text

    no_summary = await client.post(f"/visits/{visit.id}/share")
    assert no_summary.status_code == 422 and "Write the overall summary" in no_summary.text
    assert '<a href="#field-summary">Write the overall summary' in no_summary.text, "linked to the field"
    await client.post(
        f"/visits/{visit.id}/summary",
        {"version": visit.version, "summary": "A warm, well-run home."},
        htmx=True,
    )
    await client.post(f"/visits/{visit.id}/share")
    await reload(db, visit)
    assert visit.status is VisitStatus.DRAFT_SHARED
    assert visit.factual_accuracy_due == date.today() + timedelta(days=14)
    early = await client.post(f"/visits/{visit.id}/publish")
    assert early.status_code == 400 and "has until" in early.text

    s8 = await db.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id, VisitScore.score == 2))
    await db.commit()
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        report = text_of((await provider.get(f"/visits/{visit.id}/report")).text)
        assert "Draft visit report" in report and "A warm, well-run home." in report
        blank = await provider.post(
            f"/visits/{visit.id}/points", {"statement_id": s8.statement_id, "text": ""}
        )
        assert blank.status_code == 422 and "Your factual accuracy point is required." in blank.text
        await provider.post(
            f"/visits/{visit.id}/points",
            {
                "statement_id": s8.statement_id,
                "text": "The two missed doses were in August and were already investigated; see our audit.",
            },
        )
        await provider.post(
            f"/visits/{visit.id}/points", {"statement_id": "", "text": "The visit date is wrong."}
        )
        assert (await provider.post(f"/visits/{visit.id}/publish")).status_code == 403

    points = list(await db.scalars(select(FactualAccuracyPoint).order_by(FactualAccuracyPoint.id)))
    await db.commit()
    blocked = await client.post(f"/visits/{visit.id}/publish")
    assert "open factual accuracy point" in blocked.text
    no_reason = await client.post(f"/visits/{visit.id}/points/{points[1].id}/reject", {"response": ""})
    assert no_reason.status_code == 422
    # The error is in the point's own card, linked to its field.
    card = no_reason.text.split(f'id="point-{points[1].id}"')[1].split("</li>")[0]
    assert 'id="error-summary"' in card and f'href="#reject-{points[1].id}-response"' in card
    accepted = await client.post(
        f"/visits/{visit.id}/points/{points[0].id}/accept",
        {"response": "Agreed; the audit shows it was resolved.", "new_score": 3},
        follow_redirects=False,
    )
    assert accepted.headers["location"] == f"/visits/{visit.id}/report#point-{points[0].id}"
    await client.post(
        f"/visits/{visit.id}/points/{points[1].id}/reject", {"response": "The date matches our visit log."}
    )
    await reload(db, s8, *points)
    assert s8.score == 3
    assert (points[0].status, points[0].score_before, points[0].score_after) == (PointStatus.ACCEPTED, 2, 3)
    assert points[1].status is PointStatus.REJECTED
    changed = await db.scalar(select(VisitEvent.detail).where(VisitEvent.event == "score_changed"))
    assert changed == "S8: 2 -> 3 after factual accuracy point"

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        await provider.post(f"/visits/{visit.id}/points/done")
    await client.post(f"/visits/{visit.id}/publish")
    await reload(db, visit)
    assert visit.status is VisitStatus.PUBLISHED and visit.published_by_id == world.officer_a.id
    assert await db.scalar(select(AuditEvent.subject).where(AuditEvent.event == "visit.published")) == (
        f"visit:{visit.id}"
    )
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        report = text_of((await provider.get(f"/visits/{visit.id}/report")).text)
        assert "Visit report" in report and "Draft" not in report.split("Summary")[0]
        assert "Score changed from 2 to 3" in report
        assert "The date matches our visit log." in report
    subjects = list(
        await db.scalars(
            select(OutboxEmail.subject)
            .where(OutboxEmail.to_address == world.manager_1.email)
            .order_by(OutboxEmail.id)
        )
    )
    assert subjects == [
        "Council visit to Alpha House on " + date.today().strftime("%-d %B %Y"),
        "Draft visit report for factual accuracy: Alpha House",
        "Visit report published: Alpha House",
    ]


async def test_points_after_the_deadline_are_refused(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    await _score_all(db, visit)
    await client.post(f"/visits/{visit.id}/lock")
    await client.post(f"/visits/{visit.id}/summary", {"version": 0, "summary": "Summary."}, htmx=True)
    await client.post(f"/visits/{visit.id}/share")
    await db.execute(
        update(Visit).where(Visit.id == visit.id).values(factual_accuracy_due=date.today() - timedelta(1))
    )
    await db.commit()
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        late = await provider.post(f"/visits/{visit.id}/points", {"text": "Too late?"})
        assert late.status_code == 422 and "ended on" in text_of(late.text)
    published = await client.post(f"/visits/{visit.id}/publish")
    assert "is published" in text_of(published.text)


async def test_unannounced_visits_and_confidential_concerns_stay_hidden_from_the_provider(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    secret = await _concern(
        db,
        world,
        source=ConcernSource.WHISTLEBLOWER,
        is_confidential=True,
        summary="Night staff asleep on shift, says a care worker",
    )
    await client.login(world.officer_a.email)
    hidden = await _schedule(
        client, world, db, visit_type="reactive", concern_ids=str(secret.id), announced=None
    )
    announced = await _schedule(
        client, world, db, scheduled_for=(date.today() + timedelta(days=10)).isoformat()
    )
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        panel = text_of((await provider.get(f"/services/{world.alpha.id}/visits/panel")).text)
        assert (date.today() + timedelta(days=10)).strftime("%-d %B %Y") in panel, "announced date is shown"
        for visit in (hidden, announced):
            assert (await provider.get(f"/visits/{visit.id}")).status_code == 404
            assert (await provider.get(f"/visits/{visit.id}/report")).status_code == 404

    await _score_all(db, hidden)
    await client.post(f"/visits/{hidden.id}/lock")
    await client.post(
        f"/visits/{hidden.id}/summary", {"version": 0, "summary": "Staffing at night was safe."}, htmx=True
    )
    await client.post(f"/visits/{hidden.id}/share")
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        report = await provider.get(f"/visits/{hidden.id}/report")
        assert report.status_code == 200
        assert "Night staff asleep" not in report.text, "confidential intelligence never reaches the provider"


async def test_other_organisations_cannot_reach_visits(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    score = await db.scalar(select(VisitScore).where(VisitScore.visit_id == visit.id))
    await db.commit()
    async with browsers() as officer_b:
        await officer_b.login(world.officer_b.email)
        for url in (
            f"/visits/{visit.id}",
            f"/visits/{visit.id}/questions/S",
            f"/visits/{visit.id}/report",
            f"/visits/{visit.id}/scores/{score.id}",
        ):
            assert (await officer_b.get(url)).status_code == 404, url
        posted = await officer_b.post(f"/visits/{visit.id}/scores/{score.id}", {"version": 0, "score": 1})
        assert posted.status_code == 404
        assert (await officer_b.post(f"/services/{world.alpha.id}/visits/new", {})).status_code == 404
        assert "Alpha House" not in (await officer_b.get("/visits")).text
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assert (await provider.get(f"/visits/{visit.id}/questions/S")).status_code == 403
        assert (await provider.get("/visits")).status_code == 403
        assert (
            await provider.post(f"/visits/{visit.id}/scores/{score.id}", {"version": 0, "score": 1})
        ).status_code == 403


async def test_visit_form_refuses_other_councils_officers_and_concerns(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    elsewhere = Concern(
        service_id=world.gamma.id,
        source=ConcernSource.CQC,
        received_on=date.today(),
        summary="Council B matter",
        severity=Severity.LOW,
        logged_by_id=world.officer_b.id,
    )
    db.add(elsewhere)
    await db.commit()
    await client.login(world.officer_a.email)
    base = {
        "visit_type": "proactive",
        "scheduled_for": date.today().isoformat(),
        "officer_id": world.officer_a.id,
    }
    wrong_officer = await client.post(
        f"/services/{world.alpha.id}/visits/new", {**base, "officer_id": world.officer_b.id}
    )
    assert "Choose an officer from your council." in wrong_officer.text
    wrong_concern = await client.post(
        f"/services/{world.alpha.id}/visits/new", {**base, "concern_ids": elsewhere.id}
    )
    assert "Choose concerns about this service from the list." in wrong_concern.text
    bad_date = await client.post(
        f"/services/{world.alpha.id}/visits/new", {**base, "scheduled_for": "2026-02-31"}
    )
    assert bad_date.status_code == 422 and "Date of the visit must be a real date." in bad_date.text
    far = await client.post(f"/services/{world.alpha.id}/visits/new", {**base, "scheduled_for": "2099-01-01"})
    assert "within a year before or two years after today" in far.text


async def test_a_concern_page_offers_a_reactive_visit(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    concern = await _concern(db, world)
    await client.login(world.officer_a.email)
    page = await client.get(f"/concerns/{concern.id}")
    assert f'href="/services/{world.alpha.id}/visits/new?concern={concern.id}"' in page.text
