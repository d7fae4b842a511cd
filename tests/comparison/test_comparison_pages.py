"""The comparison pages through HTTP: hand-worked numbers, who may see which visit, picking pairs,
frameworks with other scales, trends over cycles, and a provider's accuracy across its services."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role
from selfassess.frameworks.service import council_settings, latest_published_version_id
from selfassess.visits.models import VisitStatus
from tests import factories
from tests.comparison.helpers import submitted_assessment, visit
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


def comparison_url(service_id: int, **picked: int) -> str:
    query = "&".join(f"{name}={value}" for name, value in picked.items())
    return f"/services/{service_id}/comparison" + (f"?{query}" if query else "")


async def test_hand_worked_comparison_is_shown_to_the_provider_and_the_officer(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    """Provider: every statement 3. Officer: 3, except 2 on S8 (medicines) and W5 (governance).
    Safe: 24/32 = 75% against 23/32 = 71.875 -> 72%; Well-led the same. Every key question is Good
    on both sides, so by the rating principles both overall ratings are Good, with their reason.
    Exact agreement 32/34 = 94%, all 34 within one point, mean difference 2/34 = +0.06. Kappa is 0:
    the provider used one score only, so its agreement is no better than chance."""
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    await visit(db, world.alpha, world.officer_a, assessment, scores={"S8": 2, "W5": 2})

    for viewer in (client, None):
        if viewer is None:
            async with browsers() as officer:
                await officer.login(world.officer_a.email)
                response = await officer.get(comparison_url(world.alpha.id))
        else:
            response = await viewer.get(comparison_url(world.alpha.id))
        assert response.status_code == 200, response.text
        page = text_of(response.text)
        assert "Safe 75% Good (lower good) 72% Good (lower good) +3 (self higher)" in page
        assert "Well-led 75% Good (lower good) 72% Good (lower good) +3 (self higher)" in page
        assert "Caring 75% Good (lower good) 75% Good (lower good) 0 (same)" in page
        assert "Overall — Good All five key questions good — Good All five key questions good" in page, (
            "no percentage and no upper/lower position for an overall rating by the rating principles"
        )
        assert "at least two key questions are outstanding and all the others good" in page
        assert "S8 Medicines optimisation 3: Good standard 2: Some shortfalls +1 Over-rated by 1" in page
        governance = "W5 Governance, management and sustainability"
        assert f"{governance} 3: Good standard 2: Some shortfalls +1 Over-rated by 1" in page
        assert "S1 Learning culture 3: Good standard 3: Good standard 0 Agrees" in page
        assert page.count("Over-rated by 1") == 2 and "Under-rated by" not in page
        assert "Exactly the same score 32 of 34 (94%)" in page
        assert "Within one point 34 of 34 (100%)" in page
        assert "Mean difference +0.06 points per statement" in page
        assert "Weighted kappa 0.00. Slight agreement" in page
        assert "Over-rated 2 statements scored higher by the provider than by the officer" in page
        assert "CQC rating Good" in page, "the regulator's rating beside the other two"
        assert 'role="img"' in response.text and '<title id="key-question-chart-title">' in response.text
        assert "Self-assessment 75%" in page and "Officer 72%" in page, "the chart's direct labels"


async def test_a_provider_never_sees_an_unpublished_visit_nor_its_scores(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    locked = await visit(
        db, world.alpha, world.officer_a, assessment, status=VisitStatus.SCORES_LOCKED, score=1
    )
    shared = await visit(
        db,
        world.alpha,
        world.officer_a,
        assessment,
        status=VisitStatus.DRAFT_SHARED,
        score=1,
        on=date(2026, 6, 2),
    )

    page = await client.get(comparison_url(world.alpha.id))
    assert page.status_code == 200
    assert "has not published a visit report for Alpha House" in text_of(page.text)
    assert "Significant shortfalls" not in page.text
    for unpublished in (locked, shared):
        picked = await client.get(comparison_url(world.alpha.id, visit=unpublished.id))
        assert picked.status_code == 404 and "Significant shortfalls" not in picked.text
        both = await client.get(
            comparison_url(world.alpha.id, assessment=assessment.id, visit=unpublished.id)
        )
        assert both.status_code == 404
    panel = await client.get(f"/services/{world.alpha.id}/comparison/panel", htmx=True)
    assert "nothing to compare yet" in panel.text and "Significant shortfalls" not in panel.text
    assert "Nothing" not in text_of((await client.get(f"/providers/{world.provider_1.id}/accuracy")).text)

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        staff_view = text_of((await officer.get(comparison_url(world.alpha.id, visit=locked.id))).text)
        assert (
            "S1 Learning culture 3: Good standard 1: Significant shortfalls +2 Over-rated by 2" in staff_view
        )


async def test_a_visit_still_being_scored_never_appears_and_blind_scoring_holds(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha, score=4)
    scoring = await visit(
        db, world.alpha, world.officer_a, assessment, status=VisitStatus.IN_PROGRESS, score=1
    )

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        page = await officer.get(comparison_url(world.alpha.id))
        assert page.status_code == 200
        assert "no visit to Alpha House has its scores locked" in text_of(page.text)
        for text in ("Significant shortfalls", "Exceptional standard"):
            assert text not in page.text, "neither the officer's working scores nor the provider's (blind)"
        picked = await officer.get(comparison_url(world.alpha.id, assessment=assessment.id, visit=scoring.id))
        assert picked.status_code == 404
        assert "Exceptional standard" not in picked.text and "Significant shortfalls" not in picked.text
        panel = await officer.get(f"/services/{world.alpha.id}/comparison/panel", htmx=True)
        assert "nothing to compare yet" in panel.text

    # The provider sees its own scores, but nothing of the visit being scored.
    provider_page = await client.get(comparison_url(world.alpha.id, visit=scoring.id))
    assert provider_page.status_code == 404 and "Significant shortfalls" not in provider_page.text


async def test_other_organisations_and_councils_get_not_found(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    published = await visit(db, world.alpha, world.officer_a, assessment)
    urls = [
        comparison_url(world.alpha.id),
        comparison_url(world.alpha.id, assessment=assessment.id, visit=published.id),
        f"/services/{world.alpha.id}/comparison/panel",
        f"/providers/{world.provider_1.id}/accuracy",
    ]
    for stranger in (world.manager_2, world.officer_b):
        async with browsers() as browser:
            await browser.login(stranger.email)
            for url in urls:
                response = await browser.get(url)
                assert response.status_code == 404, f"{url} as {stranger.email}"
                assert "Alpha House" not in response.text and "Provider One" not in response.text
            # Their own service, with another service's ids picked.
            own = world.beta if stranger is world.manager_2 else world.gamma
            crossed = await browser.get(comparison_url(own.id, assessment=assessment.id, visit=published.id))
            assert crossed.status_code == 404


async def test_picking_another_pair_swaps_just_the_comparison(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    earlier = await submitted_assessment(
        client, db, world.alpha, period="2025/26", submitted_on=date(2025, 5, 1)
    )
    first_visit = await visit(db, world.alpha, world.officer_a, earlier, score=2, on=date(2025, 6, 1))
    later = await submitted_assessment(client, db, world.alpha, period="2026/27", score=4)
    second_visit = await visit(db, world.alpha, world.officer_a, later, scores={"S1": 4}, on=date(2026, 6, 1))

    default = await client.get(comparison_url(world.alpha.id))
    assert "The self-assessment for 2026/27" in text_of(default.text)
    assert "visit on 1 June 2026" in text_of(default.text)
    assert f'<option value="{later.id}" selected>' in default.text
    assert f'<option value="{second_visit.id}" selected>' in default.text

    picked = await client.get(
        comparison_url(world.alpha.id, assessment=earlier.id, visit=first_visit.id), htmx=True
    )
    assert picked.status_code == 200
    assert picked.text.lstrip().startswith('<div id="comparison">'), "only the block htmx swaps"
    assert "<html" not in picked.text and "Over time" not in picked.text
    assert "S1 Learning culture 3: Good standard 2: Some shortfalls +1 Over-rated by 1" in text_of(
        picked.text
    )

    # Any pair on the same framework: this year's self-assessment against last year's visit.
    mixed = text_of(
        (await client.get(comparison_url(world.alpha.id, assessment=later.id, visit=first_visit.id))).text
    )
    assert "S1 Learning culture 4: Exceptional standard 2: Some shortfalls +2 Over-rated by 2" in mixed

    # Last year's self-assessment against this year's visit: the officer scored S1 higher.
    under = text_of(
        (await client.get(comparison_url(world.alpha.id, assessment=earlier.id, visit=second_visit.id))).text
    )
    assert "S1 Learning culture 3: Good standard 4: Exceptional standard -1 Under-rated by 1" in under
    assert "Under-rated 1 statement scored lower by the provider than by the officer" in under

    # Only a visit picked (as a visit page links here): compared with the self-assessment it tested.
    by_visit = text_of((await client.get(comparison_url(world.alpha.id, visit=first_visit.id))).text)
    assert "The self-assessment for 2025/26" in by_visit and "visit on 1 June 2025" in by_visit

    # A history restore (htmx rebuilding the page from its address) gets the whole page.
    restored = await client.get(
        comparison_url(world.alpha.id, visit=first_visit.id),
        htmx=True,
        headers={"HX-History-Restore-Request": "true"},
    )
    assert "<html" in restored.text and "Over time" in restored.text


async def test_pairs_on_different_framework_versions_are_refused_with_a_reason(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await submitted_assessment(client, db, world.alpha)
    audit_visit = await visit(
        db, world.alpha, world.officer_a, assessment, framework_slug="council-quality-audit"
    )

    response = await client.get(
        comparison_url(world.alpha.id, assessment=assessment.id, visit=audit_visit.id)
    )
    assert response.status_code == 200
    page = text_of(response.text)
    assert "These two cannot be compared" in page
    assert "CQC single assessment framework (version 2024.1)" in page
    assert "Council quality assurance audit (version 1.0)" in page
    assert "choose a self-assessment and a visit scored against the same framework version" in page
    assert "Over-rated by" not in page and "Agrees" not in page
    # The lists say which framework each was scored against, since they differ.
    assert "2026/27, submitted 1 May 2026 (CQC single assessment framework (version 2024.1))" in page
    panel = text_of((await client.get(f"/services/{world.alpha.id}/comparison/panel", htmx=True)).text)
    assert "cannot be compared statement by statement" in panel


async def test_a_framework_with_its_own_scale_shows_its_own_labels(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    """Council quality audit: 25 statements scored 1-4 as Poor / Requires improvement / Good /
    Excellent, bands from 25/45/65/85%. Self: 4 on every D1 statement (20/20 = 100%, Excellent);
    officer: 3 on D1 except 1 on D1.3 (13/20 = 65%, Good, just in the band)."""
    settings = await council_settings(db, world.council_a.id)
    settings.framework_version_id = await latest_published_version_id(db, "council-quality-audit")
    await db.commit()
    await client.login(world.manager_1.email)
    d1 = {code: 4 for code in ("D1.1", "D1.2", "D1.3", "D1.4", "D1.5")}
    assessment = await submitted_assessment(client, db, world.alpha, scores=d1)
    await visit(db, world.alpha, world.officer_a, assessment, scores={"D1.3": 1})

    page = text_of((await client.get(comparison_url(world.alpha.id))).text)
    assert (
        "Involvement and information 100% Excellent (upper excellent) 65% Good (lower good) +35 (self higher)"
        in page
    )
    assert "D1.3 Consent and mental capacity 4: Excellent 1: Poor +3 Over-rated by 3" in page
    assert "D2.1 Assessment and care planning 3: Good 3: Good 0 Agrees" in page
    assert "Exceptional standard" not in page and "Outstanding" not in page, "no CQC words for this framework"
    assert "Excellent from 85%" in page, "the trend chart's band guides"


async def test_the_trend_shows_ratings_per_cycle_and_accuracy_improving(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    """2025/26: provider all 4 (100%, Outstanding), officer all 3: mean difference +1.00, every
    statement over-rated. 2026/27: provider all 3, officer 3 except S8 at 2: +0.03. Improving."""
    await client.login(world.manager_1.email)
    earlier = await submitted_assessment(
        client, db, world.alpha, period="2025/26", score=4, submitted_on=date(2025, 5, 1)
    )
    await visit(db, world.alpha, world.officer_a, earlier, score=3, on=date(2025, 6, 1))
    later = await submitted_assessment(client, db, world.alpha, period="2026/27", score=3)
    await visit(db, world.alpha, world.officer_a, later, scores={"S8": 2}, on=date(2026, 6, 1))

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        response = await officer.get(comparison_url(world.alpha.id))
    page = text_of(response.text)
    over_time = page[page.index("Over time") :]
    rows = re.findall(r"(\d+ \w+ 20\d\d) (Self-assessment \S+|Officer's visit)", over_time)
    assert rows == [
        ("1 May 2025", "Self-assessment 2025/26"),
        ("1 Jun 2025", "Officer's visit"),
        ("1 May 2026", "Self-assessment 2026/27"),
        ("1 Jun 2026", "Officer's visit"),
    ]
    assert "Self-assessment 2025/26 Outstanding 100% Outstanding 100%" in page
    assert "2025/26 (visit 1 June 2025) 34 +1.00 100% 0.00" in page
    assert "2026/27 (visit 1 June 2026) 34 +0.03 3% 0.00" in page
    assert "Improving The provider's own scores are getting closer to the officers' findings." in page
    assert 'id="trend-chart"' in response.text
    assert "Self-assessment accuracy across Provider One's services" in page


async def test_provider_accuracy_is_scoped_to_the_viewers_services(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    """Provider Two runs Beta Homecare (Council A) and Gamma Lodge (Council B). Beta: self all 3,
    officer 2 on S1-S4 (+4/34 = +0.12). Gamma: self all 4, officer all 3 (+1.00)."""
    await client.login(world.manager_2.email)
    beta = await submitted_assessment(client, db, world.beta)
    await visit(db, world.beta, world.officer_a2, beta, scores={"S1": 2, "S2": 2, "S3": 2, "S4": 2})
    gamma = await submitted_assessment(client, db, world.gamma, score=4)
    await visit(db, world.gamma, world.officer_b, gamma)
    url = f"/providers/{world.provider_2.id}/accuracy"

    own = text_of((await client.get(url)).text)
    assert "Beta Homecare 1 34 +0.12 12%" in own and "Gamma Lodge 1 34 +1.00 100%" in own
    assert "2026/27 2 68 +0.56 56%" in own, "both services pooled: 38 over-rated points over 68"
    assert (await client.get(f"/providers/{world.provider_1.id}/accuracy")).status_code == 404

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        council_a = text_of((await officer.get(url)).text)
        assert "Beta Homecare 1 34 +0.12 12%" in council_a and "Gamma Lodge" not in council_a
        assert "2026/27 1 34 +0.12 12%" in council_a
        register = await officer.get("/providers")
        assert f'href="/providers/{world.provider_2.id}/accuracy"' in register.text
    async with browsers() as officer:
        await officer.login(world.officer_b.email)
        council_b = text_of((await officer.get(url)).text)
        assert "Gamma Lodge 1 34 +1.00 100%" in council_b and "Beta Homecare" not in council_b


async def test_the_service_page_loads_the_comparison_panel(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    service_page = await client.get(f"/services/{world.alpha.id}")
    assert f'hx-get="/services/{world.alpha.id}/comparison/panel"' in service_page.text
    assessment = await submitted_assessment(client, db, world.alpha, score=4)
    await visit(db, world.alpha, world.officer_a, assessment)
    panel = text_of((await client.get(f"/services/{world.alpha.id}/comparison/panel", htmx=True)).text)
    assert "Provider's self-rating Outstanding All five key questions outstanding" in panel
    assert "Council officer's rating Good All five key questions good" in panel
    assert "CQC rating Good" in panel
    assert "34 statements over-rated and 0 statements under-rated" in panel
    assert "Compare self-assessment with visit" in panel


async def test_blind_scoring_keeps_a_self_assessment_not_yet_tested_out_of_the_officers_choices(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    world: factories.World,
) -> None:
    """Last cycle's self-assessment was tested by a published visit; this cycle's is being visited
    now. The officer scoring it must not see the provider's new scores through the comparison."""
    await client.login(world.manager_1.email)
    earlier = await submitted_assessment(
        client, db, world.alpha, period="2025/26", submitted_on=date(2025, 5, 1)
    )
    await visit(db, world.alpha, world.officer_a, earlier, on=date(2025, 6, 1))
    current = await submitted_assessment(client, db, world.alpha, period="2026/27", score=4)
    await visit(db, world.alpha, world.officer_a, current, status=VisitStatus.IN_PROGRESS, score=2)

    own = await client.get(comparison_url(world.alpha.id))
    assert f'<option value="{current.id}" selected>' in own.text, "the provider compares its newest"

    async with browsers() as officer:
        await officer.login(world.officer_a.email)
        page = await officer.get(comparison_url(world.alpha.id))
        assert f'<option value="{earlier.id}" selected>' in page.text
        assert f'value="{current.id}"' not in page.text and "Exceptional standard" not in page.text
        picked = await officer.get(comparison_url(world.alpha.id, assessment=current.id))
        assert picked.status_code == 404 and "Exceptional standard" not in picked.text

        settings = await council_settings(db, world.council_a.id)
        settings.blind_scoring = False
        await db.commit()
        unblind = await officer.get(comparison_url(world.alpha.id, assessment=current.id))
        assert unblind.status_code == 200
        assert "S1 Learning culture 4: Exceptional standard 3: Good standard +1 Over-rated by 1" in text_of(
            unblind.text
        )


async def test_names_are_escaped_on_the_pages_and_in_the_charts(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    hostile = '"><script>alert("x")</script>'
    provider = await factories.provider(db, world.council_a, name=f"Provider {hostile}")
    manager = await factories.user(db, provider, Role.PROVIDER)
    service = await factories.service(db, world.council_a, provider, name=f"Home {hostile}")
    await client.login(manager.email)
    assessment = await submitted_assessment(client, db, service)
    await visit(db, service, world.officer_a, assessment, scores={"S1": 2})
    for url in (
        comparison_url(service.id),
        f"/services/{service.id}/comparison/panel",
        f"/providers/{provider.id}/accuracy",
    ):
        response = await client.get(url)
        assert response.status_code == 200
        assert "<script>alert" not in response.text, url
        assert "&lt;script&gt;alert" in response.text, url
