"""Provider quality support levels: decisions with who and why, seen by council staff and by the
provider for its own services, public only as a published suspension, reviews reminded."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import ActionPlan
from selfassess.assessments.models import AssessmentStatus, SelfAssessment, SelfAssessmentAnswer
from selfassess.db import utcnow
from selfassess.frameworks.models import FrameworkVersion, QualityStatement
from selfassess.notifications.models import Notification
from selfassess.oversight.models import OversightSettings
from selfassess.oversight.support import remind_reviews
from selfassess.providers.levels import SupportLevel, shown_publicly
from selfassess.providers.support_levels import ProviderSupport
from selfassess.settings import Settings
from selfassess.visits.models import Concern, ConcernSource, Severity, Visit, VisitType
from tests import factories
from tests.factories import World
from tests.support import reload, text_of


def test_only_a_published_suspension_is_public() -> None:
    assert shown_publicly(SupportLevel.SUSPENSION, True)
    assert not shown_publicly(SupportLevel.SUSPENSION, False)
    assert not shown_publicly(SupportLevel.ENHANCED, True)
    assert not shown_publicly(None, True)


async def _decide(client, world: World, level: str, review: date | None = None):  # type: ignore[no-untyped-def]
    return await client.post(
        f"/oversight/support/providers/{world.provider_1.id}",
        {
            "level": level,
            "reason": "Two safeguarding concerns in a month",
            "step_down_conditions": "Medicines audit passed twice",
            "review_on": (review or date.today() + timedelta(days=30)).isoformat(),
        },
        follow_redirects=True,
    )


async def test_escalation_is_recorded_and_seen_where_the_service_appears(
    client, browsers, db: AsyncSession, world: World
) -> None:
    await client.login(world.officer_a.email)
    response = await _decide(client, world, "enhanced_monitoring")
    assert "Recorded: Enhanced monitoring." in text_of(response.text)
    await _decide(client, world, "provider_quality_support")
    decisions = list(await db.scalars(select(ProviderSupport).order_by(ProviderSupport.id)))
    assert [(d.level, d.ended_on) for d in decisions] == [
        (SupportLevel.ENHANCED, date.today()),
        (SupportLevel.PROVIDER_QUALITY_SUPPORT, None),
    ]
    assert decisions[1].decided_by_id == world.officer_a.id
    history = text_of((await client.get(f"/oversight/support/providers/{world.provider_1.id}")).text)
    assert "Olive Officer: Two safeguarding concerns in a month" in history
    listed = text_of((await client.get("/oversight/support?escalated=true")).text)
    assert "Provider One" in listed and "Provider Two" not in listed
    panel = text_of((await client.get(f"/services/{world.alpha.id}/support/panel")).text)
    assert "Provider quality support (provider of concern)" in panel and "To step down" in panel
    await client.post("/oversight/risk/refresh")
    assert "Provider quality support" in text_of((await client.get("/oversight/risk")).text)

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        own = text_of((await provider.get(f"/services/{world.alpha.id}/support/panel")).text)
        assert "What you need to do Medicines audit passed twice" in own
        assert (await provider.get(f"/oversight/support/providers/{world.provider_1.id}")).status_code == 403
        notices = [
            n.message
            for n in await db.scalars(select(Notification).where(Notification.user_id == world.manager_1.id))
        ]
        assert "Council A placed Provider One on enhanced monitoring." in notices
    async with browsers() as other:
        await other.login(world.manager_2.email)
        assert (await other.get(f"/services/{world.alpha.id}/support/panel")).status_code == 404
    async with browsers() as other_council:
        await other_council.login(world.officer_b.email)
        assert (
            await other_council.get(f"/oversight/support/providers/{world.provider_1.id}")
        ).status_code == 404
        response = await _decide(other_council, world, "suspension")
        assert response.status_code == 404


def _suspended(page: str, name: str) -> bool:
    """Whether the list row that names ``name`` shows a suspension of new placements."""
    row = next(line for line in page.split("<tr") if name in line)
    return "Suspension of new placements" in row


async def test_council_staff_see_the_level_in_every_list_of_services_work(
    client, browsers, db: AsyncSession, world: World, frameworks
) -> None:
    version = await db.scalar(select(FrameworkVersion.id).limit(1))
    statement_id = await db.scalar(select(QualityStatement.id).where(QualityStatement.version_id == version))
    for service, manager in ((world.alpha, world.manager_1), (world.beta, world.manager_2)):
        visit = Visit(
            service_id=service.id,
            council_id=service.council_id,
            framework_version_id=version,
            visit_type=VisitType.PROACTIVE,
            scheduled_for=date.today() + timedelta(days=7),
            officer_id=world.officer_a.id,
        )
        assessment = SelfAssessment(
            service_id=service.id,
            framework_version_id=version,
            status=AssessmentStatus.SUBMITTED,
            period_label="2026/27",
            started_by_id=manager.id,
            submitted_at=utcnow(),
        )
        db.add_all([visit, assessment])
        await db.flush()
        db.add_all(
            [
                SelfAssessmentAnswer(assessment_id=assessment.id, statement_id=statement_id, score=3),
                ActionPlan(
                    service_id=service.id,
                    council_id=service.council_id,
                    provider_id=service.provider_id,
                    visit_id=visit.id,
                    provider_due=date.today(),
                ),
                Concern(
                    service_id=service.id,
                    source=ConcernSource.PROFESSIONAL,
                    received_on=date.today(),
                    summary="Late medicines",
                    severity=Severity.HIGH,
                    logged_by_id=world.officer_a.id,
                ),
            ]
        )
    await db.commit()
    await client.login(world.officer_a.email)
    await client.post(
        f"/oversight/support/providers/{world.provider_2.id}",
        {
            "level": "suspension",
            "reason": "Fire safety",
            "review_on": (date.today() + timedelta(30)).isoformat(),
        },
    )
    for path in ("/services", "/visits", "/reviews", "/plans", "/concerns"):
        page = (await client.get(path)).text
        assert _suspended(page, world.beta.name) and not _suspended(page, world.alpha.name), path

    async with browsers() as other_council:  # the level is council A's, not council B's
        await other_council.login(world.officer_b.email)
        for path in ("/services", "/concerns"):
            assert "Suspension" not in (await other_council.get(path)).text, path
    async with browsers() as provider:  # a provider sees no level in a list, not even its own
        await provider.login(world.manager_2.email)
        page = (await provider.get("/services")).text
        assert world.beta.name in page and "Suspension" not in page


async def test_bad_decisions_keep_what_was_typed(client, db: AsyncSession, world: World) -> None:
    await client.login(world.officer_a.email)
    response = await client.post(
        f"/oversight/support/providers/{world.provider_1.id}",
        {"level": "suspension", "reason": "Placements unsafe", "review_on": ""},
    )
    assert response.status_code == 422
    assert "Give a date to review this level." in text_of(response.text)
    assert "Placements unsafe" in response.text
    response = await client.post(
        f"/oversight/support/providers/{world.provider_1.id}", {"level": "banished", "reason": ""}
    )
    assert response.status_code == 422
    assert await db.scalar(select(ProviderSupport.id)) is None


async def test_suspension_is_public_only_when_the_council_publishes_it(
    client, db: AsyncSession, world: World
) -> None:
    await client.login(world.officer_a.email)
    await _decide(client, world, "suspension")
    public_page = f"/public/{world.council_a.slug}/services/{world.alpha.id}"
    assert "suspended new placements" not in text_of((await client.get(public_page)).text)
    db.add(OversightSettings(council_id=world.council_a.id, publish_suspensions=True))
    await db.commit()
    assert "Council A has suspended new placements with Provider One" in text_of(
        (await client.get(public_page)).text
    )


async def test_review_reminded_once(client, db: AsyncSession, world: World, settings: Settings) -> None:
    await client.login(world.officer_a.email)
    await _decide(client, world, "enhanced_monitoring", review=date.today())
    await reload(db)
    assert await remind_reviews(db, date.today(), settings) == 1
    assert await remind_reviews(db, date.today(), settings) == 0
    messages = [
        n.message
        for n in await db.scalars(select(Notification).where(Notification.user_id == world.officer_a.id))
    ]
    assert any(
        message.startswith("Review Provider One's level (enhanced monitoring)") for message in messages
    )


async def test_admin_sets_weights_and_intervals(client, db: AsyncSession, world: World) -> None:
    await client.login(world.admin_a.email)
    page = await client.get("/admin/oversight")
    assert page.status_code == 200 and 'value="24"' in page.text
    form = {
        "months_outstanding": "36",
        "months_good": "12",
        "months_requires_improvement": "6",
        "months_inadequate": "3",
        "months_unrated": "6",
        "months_high_risk": "2",
    }
    from selfassess.oversight.risk import DEFAULT_WEIGHTS

    weights = {f"weight_{key}": str(value) for key, value in DEFAULT_WEIGHTS.items()}
    bad = await client.post("/admin/oversight", {**form, **weights, "weight_never_visited": "lots"})
    assert bad.status_code == 422 and "“Never visited” must be a whole number" in text_of(bad.text)
    saved = await client.post(
        "/admin/oversight", {**form, **weights, "weight_never_visited": "40"}, follow_redirects=True
    )
    assert "Oversight settings saved" in text_of(saved.text)
    stored = await db.get(OversightSettings, world.council_a.id)
    assert (
        stored is not None and stored.months_outstanding == 36 and stored.risk_weights["never_visited"] == 40
    )
    await client.logout()
    await client.login(world.officer_a.email)
    assert (await client.get("/admin/oversight")).status_code == 403
    await client.post("/oversight/risk/refresh")
    assert "Never visited +40" in text_of((await client.get("/oversight/risk")).text)


async def test_support_page_lists_the_register_fifty_at_a_time(
    client, db: AsyncSession, world: World
) -> None:
    for number in range(50):
        await factories.provider(db, world.council_a, name=f"Zeta Care {number:02}")
    await client.login(world.officer_a.email)
    first = text_of((await client.get("/oversight/support")).text)
    assert "Showing 1–50 of 52" in first and "Zeta Care 47" in first and "Zeta Care 49" not in first
    last = text_of((await client.get("/oversight/support?page=2")).text)
    assert "Showing 51–52 of 52" in last and "Zeta Care 49" in last and "Provider One" not in last
    await _decide(client, world, "enhanced_monitoring")
    escalated = text_of((await client.get("/oversight/support?escalated=true")).text)
    assert "Showing 1–1 of 1" in escalated and "Provider One" in escalated
