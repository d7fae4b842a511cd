"""Breaches found at a visit: recorded by the officer while the report may change, they limit the
overall rating to requires improvement at best, and the report, the published rating and the public
page say so."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.visits.models import BreachKind, VisitBreach, VisitEvent, VisitStatus
from tests import factories
from tests.support import Browser, reload, text_of
from tests.visits.test_visits import _schedule, _score_all, _submitted_assessment

pytestmark = pytest.mark.usefixtures("frameworks")

OUTSTANDING = "Outstanding All five key questions outstanding"
LIMITED = "Requires improvement Limited by a breach of regulations"


async def test_a_breach_limits_the_overall_rating_and_the_report_says_so(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    await _score_all(db, visit, 4)
    overview = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert f"Overall {OUTSTANDING}" in overview
    assert "No breach of regulations or of the council's contract standards recorded." in overview

    missing = await client.post(
        f"/visits/{visit.id}/breaches", {"kind": "regulations", "standard": "", "finding": "Expired stock."}
    )
    page = text_of(missing.text)
    assert missing.status_code == 422 and "There is a problem" in page
    assert "Which regulation or standard is required." in page
    assert "Expired stock." in missing.text, "what the officer typed is kept"
    assert not list(await db.scalars(select(VisitBreach)))
    await db.commit()

    recorded = await client.post(
        f"/visits/{visit.id}/breaches",
        {
            "kind": "regulations",
            "standard": "Regulation 12: safe care and treatment",
            "finding": "Insulin stored above the safe temperature for a week.",
        },
        follow_redirects=False,
    )
    assert recorded.status_code == 303 and recorded.headers["location"] == f"/visits/{visit.id}#breaches"
    overview = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert f"Overall {LIMITED}" in overview
    assert "Breach of regulations: Regulation 12: safe care and treatment" in overview
    event = await db.scalar(select(VisitEvent.detail).where(VisitEvent.event == "breach_recorded"))
    assert event == "Breach of regulations: Regulation 12: safe care and treatment"

    await client.post(f"/visits/{visit.id}/lock")
    await client.post(
        f"/visits/{visit.id}/summary", {"version": 0, "summary": "Good care, one serious lapse."}
    )
    await client.post(f"/visits/{visit.id}/share")
    await reload(db, visit)
    assert visit.status is VisitStatus.DRAFT_SHARED
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        report = text_of((await provider.get(f"/visits/{visit.id}/report")).text)
        assert f"Overall {LIMITED}" in report
        assert "Breach of regulations: Regulation 12: safe care and treatment." in report
        assert "Insulin stored above the safe temperature for a week." in report
        assert "A breach of regulations or of the council's contract standards limits it" in report
        await provider.post(f"/visits/{visit.id}/points/done")

    await client.post(f"/visits/{visit.id}/publish")
    await reload(db, visit)
    assert visit.status is VisitStatus.PUBLISHED
    assert (visit.rating_key, visit.rating_label, visit.rating_reason) == (
        "requires_improvement",
        "Requires improvement",
        "Limited by a breach of regulations",
    )
    public = text_of((await client.get(f"/public/{world.council_a.slug}/services/{world.alpha.id}")).text)
    assert "Requires improvement Limited by a breach of regulations." in public

    breach = await db.scalar(select(VisitBreach))
    await db.commit()
    after = await client.post(
        f"/visits/{visit.id}/breaches", {"kind": "contract", "standard": "Staffing", "finding": "Late."}
    )
    assert after.status_code == 422 and "The report is published and can no longer change." in after.text
    removed = await client.post(f"/visits/{visit.id}/breaches/{breach.id}/remove")
    assert removed.status_code == 400 and "The report is published" in removed.text
    assert len(list(await db.scalars(select(VisitBreach)))) == 1
    assert "Record a breach" not in (await client.get(f"/visits/{visit.id}")).text


async def test_a_contract_breach_can_be_removed_while_the_report_may_change(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    await _score_all(db, visit, 3)
    await client.post(
        f"/visits/{visit.id}/breaches",
        {"kind": "contract", "standard": "Contract schedule 2: staffing", "finding": "Rota gaps."},
    )
    breach = await db.scalar(select(VisitBreach))
    await db.commit()
    assert breach.kind is BreachKind.CONTRACT
    page = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert "Overall Requires improvement Limited by a breach of the council's contract standards" in page
    await client.post(f"/visits/{visit.id}/breaches/{breach.id}/remove")
    page = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert "Overall Good All five key questions good" in page
    assert not list(await db.scalars(select(VisitBreach)))


async def test_nobody_else_can_record_or_remove_a_breach(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    form = {"kind": "regulations", "standard": "Regulation 17", "finding": "No audits."}
    await client.post(f"/visits/{visit.id}/breaches", form)
    breach = await db.scalar(select(VisitBreach))
    await db.commit()
    async with browsers() as officer_b:
        await officer_b.login(world.officer_b.email)
        assert (await officer_b.post(f"/visits/{visit.id}/breaches", form)).status_code == 404
        assert (await officer_b.post(f"/visits/{visit.id}/breaches/{breach.id}/remove")).status_code == 404
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assert (await provider.post(f"/visits/{visit.id}/breaches", form)).status_code == 403
        assert (await provider.post(f"/visits/{visit.id}/breaches/{breach.id}/remove")).status_code == 403
    other = await _schedule(client, world, db)
    wrong_visit = await client.post(f"/visits/{other.id}/breaches/{breach.id}/remove")
    assert wrong_visit.status_code == 404, "a breach is only found under its own visit"
    bad_kind = await client.post(f"/visits/{visit.id}/breaches", {**form, "kind": "rumour"})
    assert bad_kind.status_code == 422 and "What was breached" in text_of(bad_kind.text)
    assert len(list(await db.scalars(select(VisitBreach)))) == 1


async def test_the_comparison_shows_the_officers_rating_limited_by_the_breach(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await _submitted_assessment(browsers, db, world, score=4)
    await client.login(world.officer_a.email)
    visit = await _schedule(client, world, db)
    await _score_all(db, visit, 4)
    await client.post(
        f"/visits/{visit.id}/breaches",
        {"kind": "regulations", "standard": "Regulation 18: staffing", "finding": "Nights short-staffed."},
    )
    await client.post(f"/visits/{visit.id}/lock")
    page = text_of((await client.get(f"/services/{world.alpha.id}/comparison")).text)
    assert f"Provider's self-rating {OUTSTANDING}" in page
    assert f"Council officer's rating {LIMITED}" in page
    assert f"Overall — {OUTSTANDING} — {LIMITED}" in page
