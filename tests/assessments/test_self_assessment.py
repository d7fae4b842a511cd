"""The self-assessment cycle through HTTP: start, autosave, conflicts, submit, return, resubmit, review."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role
from selfassess.assessments.models import AssessmentEvent, AssessmentStatus
from selfassess.notifications.models import Notification, OutboxEmail
from selfassess.visits.comparison_summaries import refresh_visit_comparisons
from selfassess.visits.models import Visit, VisitStatus, VisitType
from tests import factories
from tests.assessments.helpers import answers, save, score_all, start
from tests.support import Browser, reload, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_provider_starts_a_self_assessment_against_the_councils_framework(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    panel = await client.get(f"/services/{world.alpha.id}/assessments/panel", htmx=True)
    assert "Start a self-assessment" in panel.text
    assessment = await start(client, world.alpha, db)
    rows = await answers(db, assessment)
    assert len(rows) == 34, "one answer per CQC quality statement"
    overview = text_of((await client.get(f"/assessments/{assessment.id}")).text)
    assert "0 of 34 statements scored" in overview
    for question in ("Safe", "Effective", "Caring", "Responsive", "Well-led"):
        assert question in overview
    page = await client.get(f"/assessments/{assessment.id}/questions/S")
    assert "Learning culture" in page.text and "Medicines optimisation" in page.text
    assert page.text.count('class="statement"') == 8
    again = await client.post(f"/services/{world.alpha.id}/assessments", {})
    assert again.status_code == 400
    assert "already has a self-assessment in progress" in again.text


async def test_autosave_stores_the_answer_and_returns_the_new_version(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    response = await save(client, assessment, first, score=3, narrative="Incidents are reviewed weekly.")
    assert response.status_code == 200
    assert "Saved" in response.text
    assert f'id="version-{first.id}" value="1" hx-swap-oob="true"' in response.text
    assert "1 of 34" in text_of(response.text)
    stored = (await answers(db, assessment))[0]
    assert (stored.score, stored.narrative, stored.version) == (3, "Incidents are reviewed weekly.", 1)
    assert stored.updated_by_id == world.manager_1.id
    # Reload: the answer is there, checked and filled in.
    page = await client.get(f"/assessments/{assessment.id}/questions/S")
    assert f'id="score-{first.id}-3" name="score" value="3" checked' in page.text
    assert "Incidents are reviewed weekly." in page.text


async def test_bad_values_are_refused_with_a_message_and_nothing_changes(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    for bad in (9, "three", -1):
        response = await save(client, assessment, first, score=bad, narrative="kept")
        assert response.status_code == 422
        assert "Choose a score from the scale." in response.text
    huge = await save(client, assessment, first, score=3, narrative="x" * 20_001)
    assert huge.status_code == 422
    assert "20,000 characters" in huge.text or "20000 characters" in huge.text
    assert (await answers(db, assessment))[0].version == 0


async def test_two_managers_editing_one_statement_see_a_conflict_not_a_lost_update(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    deputy = await factories.user(db, world.provider_1, Role.PROVIDER, name="Dee Deputy")
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]  # both load version 0
    async with browsers() as other:
        await other.login(deputy.email)
        ok = await save(other, assessment, first, version=0, score=4, narrative="Deputy's account.")
        assert ok.status_code == 200

    conflict = await save(client, assessment, first, version=0, score=2, narrative="Manager's account.")
    assert conflict.status_code == 409
    page = text_of(conflict.text)
    assert "Not saved: Dee Deputy saved a different version" in page
    assert "Deputy's account." in page and "Manager's account." in page
    stored = (await answers(db, assessment))[0]
    assert (stored.score, stored.narrative) == (4, "Deputy's account."), "nothing was overwritten"

    take_mine = await save(
        client, assessment, first, version=stored.version, score=2, narrative="Manager's account."
    )
    assert take_mine.status_code == 200
    stored = (await answers(db, assessment))[0]
    assert (stored.score, stored.narrative, stored.version) == (2, "Manager's account.", 2)


async def test_submitting_lists_what_is_missing_with_links(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    rows = await answers(db, assessment)
    for answer in rows[:-2]:
        await save(client, assessment, answer, score=3)
    response = await client.post(f"/assessments/{assessment.id}/submit")
    assert response.status_code == 422
    page = text_of(response.text)
    assert "2 statements are not scored yet" in page
    assert "W7 Learning, improvement and innovation" in page and "W8 Environmental sustainability" in page
    assert f'href="/assessments/{assessment.id}/questions/W#statement-{rows[-1].id}"' in response.text
    await reload(db, assessment)
    assert assessment.status is AssessmentStatus.DRAFT


async def test_full_cycle_submit_return_resubmit_review_with_history(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    await score_all(db, assessment)
    response = await client.post(f"/assessments/{assessment.id}/submit")
    assert "now with the council" in text_of(response.text)
    locked = await save(client, assessment, (await answers(db, assessment))[0], score=1)
    assert locked.status_code == 422 and "cannot be changed" in locked.text

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        queue = text_of((await officer.get("/reviews")).text)
        assert "Alpha House" in queue and "2026/27" in queue
        blank = await officer.post(f"/assessments/{assessment.id}/return", {"comment": ""})
        assert blank.status_code == 422
        assert "What more information is needed is required." in blank.text
        await officer.post(
            f"/assessments/{assessment.id}/return",
            {"comment": "Please add evidence of your medicines audits."},
        )

    overview = text_of((await client.get(f"/assessments/{assessment.id}")).text)
    assert "Returned for more information" in overview
    assert "Please add evidence of your medicines audits." in overview
    medicines = (await answers(db, assessment))[7]
    changed = await save(client, assessment, medicines, score=3, narrative="Monthly audits since March.")
    assert changed.status_code == 200
    await client.post(f"/assessments/{assessment.id}/submit")

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        await officer.post(f"/assessments/{assessment.id}/review", {})
    await reload(db, assessment)
    assert assessment.status is AssessmentStatus.REVIEWED
    assert assessment.reviewed_by_id == world.officer_a.id
    events = list(
        await db.scalars(
            select(AssessmentEvent)
            .where(AssessmentEvent.assessment_id == assessment.id)
            .order_by(AssessmentEvent.id)
        )
    )
    assert [event.to_status for event in events] == [
        AssessmentStatus.DRAFT,
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.RETURNED,
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.REVIEWED,
    ]
    assert [event.actor_id for event in events] == [
        world.manager_1.id,
        world.manager_1.id,
        world.officer_a.id,
        world.manager_1.id,
        world.officer_a.id,
    ]
    history = text_of((await client.get(f"/assessments/{assessment.id}")).text)
    assert "Returned for more information by Olive Officer" in history

    # Each step told the other side: the assigned officer on submission, the provider otherwise.
    told = list(
        await db.execute(select(Notification.user_id, Notification.message).order_by(Notification.id))
    )
    assert [user_id for user_id, _ in told] == [
        world.officer_a.id,
        world.manager_1.id,
        world.officer_a.id,
        world.manager_1.id,
    ]
    assert "Alpha House submitted its self-assessment 2026/27" in told[0][1]
    assert "Please add evidence of your medicines audits." in told[1][1]
    emails = list(await db.scalars(select(OutboxEmail.to_address).order_by(OutboxEmail.id)))
    assert emails == [world.officer_a.email, world.manager_1.email, world.officer_a.email]


async def test_key_question_ratings_follow_the_frameworks_thresholds(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    rows = await answers(db, assessment)
    # Safe: 8 statements, scores 3,3,3,3,3,3,2,2 -> 22/32 = 68.75 -> 69% Good.
    for answer, score in zip(rows[:8], [3, 3, 3, 3, 3, 3, 2, 2], strict=True):
        await save(client, assessment, answer, score=score)
    # Effective: 6 statements all 2 -> 12/24 = 50% Requires improvement.
    for answer in rows[8:14]:
        await save(client, assessment, answer, score=2)
    overview = text_of((await client.get(f"/assessments/{assessment.id}")).text)
    assert re.search(r"Safe 8 of 8 Good 69%", overview), overview
    assert re.search(r"Effective 6 of 6 Requires improvement 50%", overview)
    assert re.search(r"Caring 0 of 5 Not scored yet", overview)


async def test_other_organisations_cannot_see_or_change_an_assessment(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    async with browsers() as stranger:
        await stranger.login(world.manager_2.email)
        for url in (
            f"/assessments/{assessment.id}",
            f"/assessments/{assessment.id}/questions/S",
            f"/assessments/{assessment.id}/print",
            f"/assessments/{assessment.id}/answers/{first.id}",
        ):
            assert (await stranger.get(url)).status_code == 404, url
        assert (await save(stranger, assessment, first, score=1)).status_code == 404
        assert (await stranger.post(f"/services/{world.alpha.id}/assessments", {})).status_code == 404
        assert (await stranger.post(f"/assessments/{assessment.id}/submit")).status_code == 404
    async with browsers() as officer_b:
        await officer_b.login(world.officer_b.email)
        assert (await officer_b.get(f"/assessments/{assessment.id}")).status_code == 404
    async with browsers() as officer_a:
        await officer_a.login(world.officer_a.email)
        assert (await officer_a.get(f"/assessments/{assessment.id}")).status_code == 404, (
            "drafts stay private"
        )
        assert (await save(officer_a, assessment, first, score=1)).status_code == 404
    assert (await answers(db, assessment))[0].score is None


async def test_council_staff_cannot_write_answers_or_start_assessments(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    await score_all(db, assessment)
    await client.post(f"/assessments/{assessment.id}/submit")
    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        first = (await answers(db, assessment))[0]
        assert (await save(officer, assessment, first, score=1)).status_code == 403
        assert (await officer.post(f"/services/{world.beta.id}/assessments", {})).status_code == 403
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assert (await provider.post(f"/assessments/{assessment.id}/review", {})).status_code == 403


async def test_blind_scoring_hides_self_scores_from_officers_until_visit_scores_are_locked(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    await score_all(db, assessment, score=4)
    await client.post(f"/assessments/{assessment.id}/submit")
    assert "4: Exceptional standard" in (await client.get(f"/assessments/{assessment.id}/questions/S")).text

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        page = await officer.get(f"/assessments/{assessment.id}/questions/S")
        assert "Hidden until visit scores are locked" in page.text
        assert "Exceptional standard" not in page.text
        assert f"We meet this statement: {(await answers(db, assessment))[0].id}" in page.text, (
            "narrative readable"
        )
        printable = await officer.get(f"/assessments/{assessment.id}/print")
        assert "Exceptional standard" not in printable.text

        visit = Visit(
            service_id=world.alpha.id,
            council_id=world.alpha.council_id,
            framework_version_id=assessment.framework_version_id,
            self_assessment_id=assessment.id,
            visit_type=VisitType.PROACTIVE,
            scheduled_for=assessment.created_at.date(),
            officer_id=world.officer_a.id,
            status=VisitStatus.IN_PROGRESS,
        )
        db.add(visit)
        await db.commit()
        assert (
            "Exceptional standard"
            not in (await officer.get(f"/assessments/{assessment.id}/questions/S")).text
        )
        visit.status = VisitStatus.SCORES_LOCKED
        await refresh_visit_comparisons(db, world.alpha.id)  # as locking through the visit's page does
        await db.commit()
        assert (
            "4: Exceptional standard" in (await officer.get(f"/assessments/{assessment.id}/questions/S")).text
        )


async def test_blind_scoring_can_be_switched_off_by_the_council(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    from selfassess.frameworks.service import council_settings

    settings = await council_settings(db, world.council_a.id)
    settings.blind_scoring = False
    await db.commit()
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    await score_all(db, assessment, score=4)
    await client.post(f"/assessments/{assessment.id}/submit")
    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        assert (
            "4: Exceptional standard" in (await officer.get(f"/assessments/{assessment.id}/questions/S")).text
        )


async def test_assessment_keeps_its_framework_version_when_the_council_changes_framework(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    from selfassess.frameworks.service import council_settings, latest_published_version_id

    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    settings = await council_settings(db, world.council_a.id)
    settings.framework_version_id = await latest_published_version_id(db, "council-quality-audit")
    await db.commit()
    page = await client.get(f"/assessments/{assessment.id}/questions/S")
    assert page.status_code == 200 and "Learning culture" in page.text
    async with browsers() as other:
        await other.login(world.manager_2.email)
        newer = await start(other, world.beta, db)
        assert newer.framework_version_id == settings.framework_version_id
        assert newer.framework_version_id != assessment.framework_version_id
        page = await other.get(f"/assessments/{newer.id}/questions/D1")
        assert "Involvement and information" in page.text
        assert "Excellent" in page.text, "the council framework's own scale labels"
