"""Good practice: offered by the officer from a published report, shared only with the provider's
consent (named or anonymously), browsed by providers in the council's area by statement."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.frameworks.models import QualityStatement
from selfassess.oversight.models import Consent, GoodPractice
from selfassess.oversight.practice import may_mark, shown_as
from selfassess.visits.models import VisitStatus
from tests.comparison.helpers import visit
from tests.factories import World
from tests.support import reload, text_of


def test_rules() -> None:
    assert may_mark(3, 3, True) and may_mark(4, 3, True)
    assert not may_mark(2, 3, True) and not may_mark(None, 3, True) and not may_mark(4, 3, False)
    assert shown_as(Consent.NAMED, "Alpha House", "Provider One", "Care home") == "Alpha House (Provider One)"
    assert (
        shown_as(Consent.ANONYMOUS, "Alpha House", "Provider One", "Care home") == "A care home in the area"
    )


async def _statement_id(db: AsyncSession, code: str) -> int:
    return (await db.scalars(select(QualityStatement.id).where(QualityStatement.code == code))).first()


async def test_offer_consent_and_browse(client, browsers, db: AsyncSession, world: World, frameworks) -> None:
    report = await visit(
        db, world.alpha, world.officer_a, None, framework_slug="cqc-saf", scores={"S1": 4, "S2": 2}
    )
    s1, s2 = await _statement_id(db, "S1"), await _statement_id(db, "S2")
    await client.login(world.officer_a.email)
    page = await client.get(f"/visits/{report.id}/good-practice")
    assert page.status_code == 200 and "Mark as good practice" in page.text

    refused = await client.post(
        f"/visits/{report.id}/good-practice", {"statement_id": str(s2), "summary": "x"}
    )
    assert refused.status_code == 422 and "scored good or better" in text_of(refused.text)
    empty = await client.post(f"/visits/{report.id}/good-practice", {"statement_id": str(s1), "summary": " "})
    assert empty.status_code == 422 and "Describe the practice" in text_of(empty.text)
    marked = await client.post(
        f"/visits/{report.id}/good-practice",
        {"statement_id": str(s1), "summary": "Daily learning huddles after every incident"},
        follow_redirects=True,
    )
    assert "The provider has been asked" in text_of(marked.text)
    await reload(db)
    practice = await db.scalar(select(GoodPractice))
    assert practice is not None and practice.consent is Consent.PENDING

    # Another provider in the same council's area sees nothing until the provider agrees.
    other_service_provider = world.manager_2  # Provider Two works in council A's area too
    async with browsers() as other:
        await other.login(other_service_provider.email)
        assert "Daily learning huddles" not in (await other.get("/good-practice")).text
        assert (await other.get(f"/visits/{report.id}/good-practice")).status_code == 404

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        asked = await provider.get(f"/visits/{report.id}/good-practice")
        assert "Daily learning huddles" in asked.text and "Share this practice?" in asked.text
        bad = await provider.post(
            f"/visits/{report.id}/good-practice/{practice.id}/consent", {"consent": "pending"}
        )
        assert bad.status_code == 422
        await provider.post(
            f"/visits/{report.id}/good-practice/{practice.id}/consent", {"consent": "anonymous"}
        )

    async with browsers() as other:
        await other.login(other_service_provider.email)
        shared = text_of((await other.get("/good-practice")).text)
        assert "Daily learning huddles after every incident" in shared
        assert "A care home without nursing in the area" in shared and "Alpha House" not in shared
        by_statement = text_of((await other.get("/good-practice?statement=S2")).text)
        assert "Choose a statement from the list." in by_statement
    async with browsers() as elsewhere:
        await elsewhere.login(world.officer_b.email)
        assert "Daily learning huddles" not in (await elsewhere.get("/good-practice")).text
        assert (await elsewhere.get(f"/visits/{report.id}/good-practice")).status_code == 404


async def test_only_published_reports(client, db: AsyncSession, world: World, frameworks) -> None:
    draft = await visit(
        db, world.alpha, world.officer_a, None, framework_slug="cqc-saf", status=VisitStatus.SCORES_LOCKED
    )
    await client.login(world.officer_a.email)
    assert (await client.get(f"/visits/{draft.id}/good-practice")).status_code == 404
