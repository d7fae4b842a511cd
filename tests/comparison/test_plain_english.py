"""Plain English beside the measures (issue 11): the bands in words, what "Good (lower good) 72%"
means, why kappa can be low while most scores match, a glossary for everyone, and the scale's
descriptions while the officer scores. And the comparison's charts drawn again for a phone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.frameworks.scoring import band_ranges, describe_position, rate
from selfassess.visits.models import VisitScore, VisitStatus
from tests import factories
from tests.comparison.helpers import submitted_assessment, visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_the_comparison_explains_bands_positions_and_kappa_in_words(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    """Provider 3 everywhere; officer 3 except 2 on S8 and W5: 32 of 34 the same, kappa 0."""
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    await visit(db, world.alpha, world.officer_a, assessment, scores={"S8": 2, "W5": 2})
    response = await client.get(f"/services/{world.alpha.id}/comparison")
    page = text_of(response.text)
    assert (
        "A percentage is rated by its band: Inadequate 25–38%; Requires improvement 39–62%; "
        "Good 63–87%; Outstanding 88–100%." in page
    ), "the bands are in the text, not only on the chart"
    assert (
        "How to read a rating: the officer rated Safe Good (lower good) with 72%. 72% is in Good "
        "(63–87%), in the lower half: 10 points above Requires improvement." in page
    )
    assert (
        "32 of 34 statements have exactly the same score. Kappa measures agreement beyond chance: "
        "97% of all the scores given were 3 (Good standard), so about 32 of 34 would match by chance "
        "alone, given how often each side used each score. That is why kappa is low although most "
        "scores match." in page
    )
    assert 'href="/glossary"' in response.text and 'href="/glossary#rating-bands"' in response.text


async def test_provisional_ratings_are_explained(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    record = await visit(db, world.alpha, world.officer_a, assessment, status=VisitStatus.SCORES_LOCKED)
    first = await db.scalar(
        select(VisitScore).where(VisitScore.visit_id == record.id).order_by(VisitScore.id)
    )
    assert first is not None
    first.score = None
    await db.commit()
    async with browsers() as officer:  # the provider sees only published visits
        await officer.login(world.officer_a.email)
        page = text_of((await officer.get(f"/services/{world.alpha.id}/comparison")).text)
    assert "provisional" in page
    assert "Provisional means not every statement in that key question is scored yet" in page


async def test_the_glossary_is_open_to_everyone_and_linked_from_every_page(client: Browser) -> None:
    response = await client.get("/glossary")
    assert response.status_code == 200
    page = text_of(response.text)
    for term in ("Upper and lower", "Provisional", "Weighted kappa", "Below good and over-rated"):
        assert term in page
    assert "kappa can be low even though most scores are exactly the same" in page
    login = await client.get("/login")
    assert 'href="/glossary"' in login.text, "the footer links to it"


async def test_the_officer_sees_the_scales_descriptions_while_scoring(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    record = await visit(db, world.alpha, world.officer_a, assessment, status=VisitStatus.IN_PROGRESS)
    await client.logout()
    await client.login(world.officer_a.email)
    page = text_of((await client.get(f"/visits/{record.id}/questions/S")).text)
    assert "3: Good standard Good. Care meets the expected standard." in page
    assert "1: Significant shortfalls Inadequate. The standard of care is significantly below" in page


async def test_the_charts_are_drawn_again_for_a_phone_with_legible_text(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    await visit(db, world.alpha, world.officer_a, assessment)
    html = (await client.get(f"/services/{world.alpha.id}/comparison")).text
    narrow = re.search(
        r'<div class="chart chart--narrow"><svg[^>]*viewBox="0 0 (\d+) \d+"[^>]*'
        r'id="key-question-chart-narrow"',
        html,
    )
    assert narrow and int(narrow.group(1)) <= 360, "drawn for a phone, so it is shown near its own size"
    chart = html[narrow.start() : html.index("</svg>", narrow.start())]
    sizes = [int(size) for size in re.findall(r'font-size="(\d+)"', chart)]
    assert min(sizes) >= 12, "at 390 px the smallest text is still about 11 px high"
    assert 'id="trend-chart-narrow"' in html and 'class="chart chart--wide"' in html


def test_position_sentences_cover_both_halves_and_the_ends() -> None:
    from tests.comparison.test_rules import CQC

    assert [str(span) for span in band_ranges(CQC.bands)][2] == "good 63–87%"
    assert describe_position(rate(80, CQC), CQC.bands).endswith("upper half: 8 points below outstanding.")
    assert describe_position(rate(95, CQC), CQC.bands).endswith("upper half of the top band.")
    assert describe_position(rate(26, CQC), CQC.bands).endswith("lower half of the bottom band.")
