"""Ratings published before the corrected method: recomputing lists the changed ones for the
council's admins (in the audit log too), public pages keep the published rating until an admin
republishes, and no other council sees or touches the list."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent, Role
from selfassess.settings import Settings
from selfassess.visits.models import RatingCorrection, Visit, VisitEvent
from selfassess.visits.rating_reviews import recompute_published_ratings
from tests import factories
from tests.actions.helpers import published_visit
from tests.support import Browser, reload, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

# Safe and Effective every statement 2 (50%): two key questions require improvement, the rest good.
TWO_REQUIRE_IMPROVEMENT = {f"S{n}": 2 for n in range(1, 9)} | {f"E{n}": 2 for n in range(1, 7)}


async def _published_before_the_correction(
    db: AsyncSession, world: factories.World, settings: Settings
) -> Visit:
    """Alpha House's visit as the earlier method published it: Good, 65% of key question points."""
    _, visit = await published_visit(
        db, world, settings, self_scores={}, officer_scores=TWO_REQUIRE_IMPROVEMENT
    )
    assert visit.rating_key == "requires_improvement", "published today, by the rating principles"
    await db.execute(
        update(Visit)
        .where(Visit.id == visit.id)
        .values(rating_key="good", rating_label="Good", rating_percent=65, rating_reason=None)
    )
    await db.commit()
    await reload(db, visit)
    return visit


async def test_changed_ratings_are_listed_for_review_and_republished_by_an_admin(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    visit = await _published_before_the_correction(db, world, settings)
    public_url = f"/public/{world.council_a.slug}/services/{world.alpha.id}"

    report = await recompute_published_ratings(db)
    assert (report.checked, report.listed, report.reasons_updated) == (1, 1, 0)
    again = await recompute_published_ratings(db)
    assert (again.checked, again.listed) == (1, 0), "listed once, however often it runs"
    correction = await db.scalar(select(RatingCorrection))
    assert (correction.visit_id, correction.published_key, correction.corrected_key) == (
        visit.id,
        "good",
        "requires_improvement",
    )
    listed = list(await db.scalars(select(AuditEvent).where(AuditEvent.event == "rating.correction_listed")))
    assert [(event.organisation_id, event.subject) for event in listed] == [
        (world.council_a.id, f"visit:{visit.id}")
    ]
    assert listed[0].detail == "Good -> Requires improvement: Two key questions require improvement"
    await db.commit()

    public = text_of((await client.get(public_url)).text)
    assert "Council rating Good" in public, "the public page does not change by itself"
    assert "Requires improvement" not in public.split("What the council found")[0]

    notice = (
        "Rated again by your framework's method, this visit's overall rating is Requires improvement "
        "(two key questions require improvement), not Good as published."
    )
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        report = text_of((await provider.get(f"/visits/{visit.id}/report")).text)
        assert "Overall Good" in report and "Rated again" not in report
    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        report = text_of((await officer.get(f"/visits/{visit.id}/report")).text)
        assert notice in report and "Overall Good" in report, "the report keeps what was published"
        assert notice in text_of((await officer.get(f"/visits/{visit.id}")).text)
        assert (await officer.get("/admin/ratings")).status_code == 403
        assert (await officer.post(f"/admin/ratings/{correction.id}/republish")).status_code == 403
    async with browsers() as admin_b:
        await admin_b.login((await factories.user(db, world.council_b, Role.COUNCIL_ADMIN)).email)
        other = text_of((await admin_b.get("/admin/ratings")).text)
        assert "Alpha House" not in other and "Nothing to review" in other
        assert (await admin_b.post(f"/admin/ratings/{correction.id}/republish")).status_code == 404

    await client.login(world.admin_a.email)
    assert "Published ratings to review" in (await client.get("/admin")).text
    page = text_of((await client.get("/admin/ratings")).text)
    assert "1 published rating to review" in page
    assert "Alpha House" in page and "Good Requires improvement Two key questions require improvement" in page
    audit = text_of((await client.get("/admin/audit")).text)
    assert "Published rating listed for review (the corrected method differs)" in audit

    republished = await client.post(f"/admin/ratings/{correction.id}/republish", follow_redirects=False)
    assert republished.status_code == 303 and republished.headers["location"] == "/admin/ratings"
    await reload(db, visit, correction)
    assert (visit.rating_key, visit.rating_label, visit.rating_percent, visit.rating_reason) == (
        "requires_improvement",
        "Requires improvement",
        None,
        "Two key questions require improvement",
    )
    assert correction.republished_at is not None and correction.republished_by_id == world.admin_a.id
    event = await db.scalar(select(AuditEvent).where(AuditEvent.event == "rating.republished"))
    assert (event.actor_id, event.subject) == (world.admin_a.id, f"visit:{visit.id}")
    history = await db.scalar(select(VisitEvent.detail).where(VisitEvent.event == "rating_republished"))
    assert history == "Good -> Requires improvement: Two key questions require improvement"
    await db.commit()
    public = text_of((await client.get(public_url)).text)
    assert "Council rating Requires improvement Two key questions require improvement." in public
    assert "Nothing to review" in text_of((await client.get("/admin/ratings")).text)
    assert "Rated again" not in (await client.get(f"/visits/{visit.id}/report")).text
    twice = await client.post(f"/admin/ratings/{correction.id}/republish")
    assert twice.status_code == 400 and "already been republished" in twice.text


async def test_an_unchanged_rating_gets_its_current_reason_and_is_not_listed(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={})
    for stored in (None, "Worded by an earlier release"):
        await db.execute(update(Visit).where(Visit.id == visit.id).values(rating_reason=stored))
        await db.commit()
        report = await recompute_published_ratings(db)
        assert (report.checked, report.listed, report.reasons_updated) == (1, 0, 1)
        await reload(db, visit)
        assert (visit.rating_key, visit.rating_reason) == ("good", "All five key questions good")
    assert (await recompute_published_ratings(db)).reasons_updated == 0
    assert await db.scalar(select(RatingCorrection)) is None
