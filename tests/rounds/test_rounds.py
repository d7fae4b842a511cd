"""The yearly self-assessment round: a council opens it, providers see it and start from last
year's answers, reminders go out through a real SMTP server, and the council sees completion by
provider and by type of service, each figure linked to the services behind it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import Role
from selfassess.assessments.models import AssessmentStatus, EvidenceItem, SelfAssessment
from selfassess.cli import main
from selfassess.frameworks.service import council_settings
from selfassess.notifications.models import OutboxEmail
from selfassess.providers.models import CareService, ServiceType
from selfassess.rounds.models import AssessmentRound
from selfassess.rounds.rules import Progress, RoundPhase, progress_of, reminder_due
from selfassess.rounds.service import Rounds
from tests import factories
from tests.assessments.helpers import answers, save, score_all
from tests.mail_sink import SmtpSink
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

JAN_1 = date(2027, 1, 1)


# --- the rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "progress", "expected"),
    [
        (date(2026, 11, 30), Progress.NOT_STARTED, None),  # not open yet
        (date(2026, 12, 1), Progress.NOT_STARTED, "opened"),
        (date(2026, 12, 1), Progress.IN_PROGRESS, None),  # started, deadline far off
        (date(2026, 12, 18), Progress.IN_PROGRESS, "due-14"),
        (date(2026, 12, 29), Progress.NOT_STARTED, "due-3"),
        (JAN_1, Progress.IN_PROGRESS, "due-3"),  # the deadline day itself
        (date(2027, 1, 2), Progress.IN_PROGRESS, "overdue"),
        (date(2026, 12, 29), Progress.SUBMITTED, None),
    ],
)
def test_which_reminder_is_due(today: date, progress: Progress, expected: str | None) -> None:
    reminder = reminder_due(
        today, round_name="2026/27", opens_on=date(2026, 12, 1), deadline=JAN_1, progress=progress
    )
    assert (reminder.key if reminder else None) == expected


def test_a_returned_self_assessment_is_in_progress_and_a_reviewed_one_submitted() -> None:
    assert progress_of(None) is Progress.NOT_STARTED
    assert progress_of(AssessmentStatus.RETURNED) is Progress.IN_PROGRESS
    assert progress_of(AssessmentStatus.REVIEWED) is Progress.SUBMITTED


# --- helpers ------------------------------------------------------------------------------------------


async def _open_round(client: Browser, db: AsyncSession, world: factories.World, **overrides: object):  # type: ignore[no-untyped-def]
    version_id = (await council_settings(db, world.council_a.id)).framework_version_id
    await db.commit()
    today = clock.today()
    form = {
        "name": "2026/27",
        "framework_version_id": version_id,
        "opens_on": (today - timedelta(days=1)).isoformat(),
        "deadline": (today + timedelta(days=3)).isoformat(),
        **overrides,
    }
    return await client.post("/rounds/new", form, follow_redirects=False)


async def _submitted(client: Browser, db: AsyncSession, service_id: int, period: str) -> SelfAssessment:
    response = await client.post(
        f"/services/{service_id}/assessments", {"period_label": period}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assessment = await db.get_one(SelfAssessment, int(response.headers["location"].rsplit("/", 1)[1]))
    await score_all(db, assessment)
    first = (await answers(db, assessment))[0]
    note = await client.post(
        f"/assessments/{assessment.id}/answers/{first.id}/evidence/note",
        {"text": "Falls audit 2025"},
        htmx=True,
    )
    assert note.status_code == 200
    assert (
        await client.post(f"/assessments/{assessment.id}/submit", follow_redirects=False)
    ).status_code == 303
    await db.commit()
    return assessment


def _round_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    return int(re.fullmatch(r"/rounds/(\d+)", response.headers["location"]).group(1))


async def _opened_by_the_admin(
    browsers: Callable[[], AbstractAsyncContextManager[Browser]],
    db: AsyncSession,
    world: factories.World,
    **overrides: object,
) -> int:
    """The id of a round council A's admin opens (``_open_round``), signed in beside the test's own."""
    async with browsers() as admin:
        await admin.login(world.admin_a.email)
        return _round_id(await _open_round(admin, db, world, **overrides))


# --- opening, seeing, starting ----------------------------------------------------------------------


async def test_a_council_admin_opens_a_round_with_clear_refusals(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    today = clock.today()
    backwards = await _open_round(client, db, world, deadline=(today - timedelta(days=5)).isoformat())
    assert backwards.status_code == 422 and "The deadline must be on or after the opening date" in text_of(
        backwards.text
    )
    nonsense = await _open_round(client, db, world, framework_version_id="999999", opens_on="not a date")
    assert nonsense.status_code == 422 and "Opening date must be a real date" in text_of(nonsense.text)
    wrong_version = await _open_round(client, db, world, framework_version_id="999999")
    assert wrong_version.status_code == 422 and "Choose a published framework version" in text_of(
        wrong_version.text
    )

    round_id = _round_id(await _open_round(client, db, world, service_types=["care_home", "homecare"]))
    again = await _open_round(client, db, world)
    assert again.status_code == 422 and "already has a round called 2026/27" in text_of(again.text)
    page = text_of((await client.get(f"/rounds/{round_id}")).text)
    assert "Care home without nursing, Homecare agency" in page and "Open" in page


async def test_providers_see_the_round_and_start_from_last_years_answers_marked_until_edited(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    last_year = await _submitted(client, db, world.alpha.id, "2025/26")
    round_id = await _opened_by_the_admin(browsers, db, world)

    home = await client.get("/home")
    text = text_of(home.text)
    deadline = clock.today() + timedelta(days=3)
    assert f"Council A: self-assessment 2026/27 Deadline: {deadline:%-d %B %Y}" in text
    assert "Alpha House : not started" in text and "Start from 2025/26's answers" in text

    started = await client.post(
        f"/rounds/{round_id}/services/{world.alpha.id}/start", {"carry_over": "true"}, follow_redirects=False
    )
    assert started.status_code == 303
    assessment = await db.get_one(SelfAssessment, int(started.headers["location"].rsplit("/", 1)[1]))
    assert (
        assessment.period_label == "2026/27"
        and assessment.framework_version_id == last_year.framework_version_id
    )
    rows = await answers(db, assessment)
    assert all(row.carried_over and row.score == 3 for row in rows)
    assert rows[0].narrative.startswith("We meet this statement")
    carried = await db.scalars(select(EvidenceItem).where(EvidenceItem.answer_id == rows[0].id))
    assert [(item.text, item.carried_over) for item in carried] == [("Falls audit 2025", True)]

    overview = text_of((await client.get(f"/assessments/{assessment.id}")).text)
    assert f"{len(rows)} answers carried over from last year's self-assessment, unchanged." in overview
    page = await client.get(f"/assessments/{assessment.id}/questions/S")
    assert page.text.count("Carried over, unchanged since last year") == 8
    assert "Carried over</span>" in page.text  # the evidence too
    # Saving what is there changes nothing; editing it does.
    unchanged = await save(client, assessment, rows[1], score=3, narrative=rows[1].narrative)
    assert unchanged.status_code == 200 and f'id="carried-{rows[1].id}" hx-swap-oob' not in unchanged.text
    edited = await save(client, assessment, rows[0], score=2, narrative="Changed this year")
    assert f'<span id="carried-{rows[0].id}" hx-swap-oob="true"></span>' in edited.text
    stored = await answers(db, assessment)
    assert (stored[0].carried_over, stored[1].carried_over) == (False, True)

    home = text_of((await client.get("/home")).text)
    assert "Alpha House : started, not submitted Carry on" in home


async def test_starting_is_only_for_the_providers_own_services_in_an_open_round(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    round_id = await _opened_by_the_admin(browsers, db, world, service_types=["care_home"])
    await client.login(world.manager_2.email)
    # Beta is provider 2's, but a homecare agency: not in this care-home round. Alpha is not theirs.
    for service_id in (world.beta.id, world.alpha.id):
        refused = await client.post(
            f"/rounds/{round_id}/services/{service_id}/start", {"carry_over": "false"}
        )
        assert refused.status_code == 404
    assert "self-assessment 2026/27" not in text_of((await client.get("/home")).text)
    assert (await client.get(f"/rounds/{round_id}")).status_code == 403


# --- completion and tenancy --------------------------------------------------------------------------


async def test_completion_by_provider_and_type_matches_the_lists_it_links_to(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    extra = await factories.service(db, world.council_a, world.provider_1, name="Aspen Court")
    async with browsers() as manager:
        await manager.login(world.manager_1.email)
        await _submitted(manager, db, world.alpha.id, "2026/27")
        started = await manager.post(
            f"/services/{extra.id}/assessments", {"period_label": "2026/27"}, follow_redirects=False
        )
        assert started.status_code == 303
    await client.login(world.officer_a.email)
    round_id = await _opened_by_the_admin(browsers, db, world)

    page = await client.get(f"/rounds/{round_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "1 Not started 1 Started, not submitted 1 Submitted" in text
    assert "33% of 3 services submitted" in text
    assert "Provider One 0 1 1 2" in text and "Provider Two 1 0 0 1" in text
    assert "Care home without nursing 0 1 1 2" in text and "Homecare agency 1 0 0 1" in text

    links = re.findall(r'href="(/rounds/\d+/services\?[^"]+)">(\d+)</a>', page.text)
    assert len(links) == 2 * 2 * 4  # two tables of two rows, four figures each
    for href, count in links:
        listed = await client.get(href.replace("&amp;", "&"))
        assert listed.text.count('data-label="Service"') == int(count), href

    home = text_of((await client.get("/home")).text)
    assert "2026/27 : 1 of 3 submitted" in home


async def test_the_by_provider_table_is_paged_with_the_providers_most_behind_first(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large county's round has hundreds of providers: the page shows one page of them, those
    with most services not yet submitted first, and every figure still matches its list."""
    monkeypatch.setattr("selfassess.rounds.service.PROVIDERS_PER_PAGE", 1)
    await factories.service(db, world.council_a, world.provider_2, name="Birch House")
    async with browsers() as manager:
        await manager.login(world.manager_1.email)
        await _submitted(manager, db, world.alpha.id, "2026/27")
    await client.login(world.officer_a.email)
    round_id = await _opened_by_the_admin(browsers, db, world)

    first = await client.get(f"/rounds/{round_id}")
    text = text_of(first.text)
    assert "Provider Two 2 0 0 2" in text and "Provider One" not in text  # two not started, before A-Z
    assert "Showing 1 to 1 of 2 providers" in text and "Page 1 of 2" in text
    assert "0 Started, not submitted 1 Submitted" in text  # the totals still count every provider
    second = text_of((await client.get(f"/rounds/{round_id}?page=2")).text)
    assert "Provider One 0 0 1 1" in second and "Provider Two" not in second
    assert "Provider One 0 0 1 1" in text_of((await client.get(f"/rounds/{round_id}?page=9")).text)

    for page in (first.text, (await client.get(f"/rounds/{round_id}?page=2")).text):
        for href, count in re.findall(r'href="(/rounds/\d+/services\?[^"]+)">(\d+)</a>', page):
            listed = await client.get(href.replace("&amp;", "&"))
            assert listed.text.count('data-label="Service"') == int(count), href


async def test_the_services_behind_a_figure_are_paged_and_each_page_keeps_the_filter(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A county's round holds hundreds of services: the list behind a figure shows a page of them,
    its total is the figure's, and the next page keeps the figure's filter."""
    monkeypatch.setattr("selfassess.rounds.service.SERVICES_PER_PAGE", 1)
    await factories.service(db, world.council_a, world.provider_2, name="Birch House")
    await client.login(world.officer_a.email)
    round_id = await _opened_by_the_admin(browsers, db, world)

    listed = await client.get(f"/rounds/{round_id}/services?progress=not_started")
    text = text_of(listed.text)
    assert 'data-list-total="3"' in listed.text and "3 services: not started" in text
    assert listed.text.count('data-label="Service"') == 1 and "Page 1 of 3" in text
    following = re.search(r'href="([^"]+)" rel="next"', listed.text)
    assert following, "a link to the next page"
    next_page = following.group(1).replace("&amp;", "&")
    assert next_page == f"/rounds/{round_id}/services?progress=not_started&page=2"
    second = await client.get(next_page)
    assert "Page 2 of 3" in text_of(second.text) and second.text.count('data-label="Service"') == 1
    names = [
        re.search(r'data-label="Service"><a [^>]*>([^<]+)<', page).group(1)  # type: ignore[union-attr]
        for page in [listed.text, second.text, (await client.get(f"{next_page[:-1]}3")).text]
    ]
    assert len(set(names)) == 3, names
    last = text_of((await client.get(f"/rounds/{round_id}/services?progress=not_started&page=99")).text)
    assert "Page 3 of 3" in last, "a page past the end shows the last"


async def test_a_chains_home_counts_its_services_in_a_round_and_links_to_each_list(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    """Above a few services in a round, home shows counts (one statement for every round), each
    linked to the provider's list of them, which has the same length; the council's completion by
    provider (its own selection) agrees. A homecare service is outside a care-home round."""
    for name in ("Aspen Court", "Birch View", "Cedar Lodge"):
        await factories.service(db, world.council_a, world.provider_1, name=name)
    await factories.service(
        db, world.council_a, world.provider_1, name="Dove Homecare", service_type=ServiceType.HOMECARE
    )
    await client.login(world.manager_1.email)
    await _submitted(client, db, world.alpha.id, "2026/27")
    aspen = await db.scalar(select(CareService.id).where(CareService.name == "Aspen Court"))
    started = await client.post(
        f"/services/{aspen}/assessments", {"period_label": "2026/27"}, follow_redirects=False
    )
    assert started.status_code == 303
    async with browsers() as admin:
        await admin.login(world.admin_a.email)
        round_id = _round_id(await _open_round(admin, db, world, service_types=["care_home"]))
        council_page = text_of((await admin.get(f"/rounds/{round_id}")).text)
    assert "Provider One 2 1 1 4" in council_page

    home = await client.get("/home")
    text = text_of(home.text)
    assert "Your 4 services in this round : 2 not started , 1 started, not submitted , 1 submitted ." in text
    assert "Start blank" not in home.text  # counted, not listed: four services, Dove Homecare not among them
    links = re.findall(rf'href="(/rounds/{round_id}/your-services[^"]*)">(?:Your )?(\d+) ', home.text)
    assert len(links) == 4  # all, then one per progress
    for href, count in links:
        listed = await client.get(href)
        assert listed.status_code == 200
        assert listed.text.count('class="round-service"') == int(count), href
    not_started = text_of((await client.get(f"/rounds/{round_id}/your-services?progress=not_started")).text)
    assert "Birch View : not started" in not_started and "Cedar Lodge : not started" in not_started

    await client.logout()
    await client.login(world.manager_2.email)  # its homecare agency is not in this round
    assert (await client.get(f"/rounds/{round_id}/your-services")).status_code == 404
    await client.logout()
    await client.login(world.officer_a.email)
    assert (await client.get(f"/rounds/{round_id}/your-services")).status_code == 403


async def test_home_shows_the_nearest_rounds_and_links_to_every_open_one(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    """A chain in many councils' rounds at once: its home shows the ROUNDS_ON_HOME with the nearest
    deadlines and links to all of them, which only provider staff may open."""
    today = clock.today()
    deadlines = {"2031/32": 40, "2028/29": 10, "2030/31": 30, "2029/30": 20}
    for name, days in deadlines.items():
        deadline = (today + timedelta(days=days)).isoformat()
        await _opened_by_the_admin(
            browsers, db, world, name=name, deadline=deadline, service_types=["care_home"]
        )
    await client.login(world.manager_1.email)
    home = text_of((await client.get("/home")).text)
    shown = re.findall(r"self-assessment (20\d\d/\d\d)", home)
    assert shown == ["2028/29", "2029/30", "2030/31"], shown  # the nearest deadlines, nearest first
    assert "All 4 rounds open to your services" in home

    every = await client.get("/rounds/yours")
    assert every.status_code == 200
    listed = re.findall(r"self-assessment (20\d\d/\d\d)", text_of(every.text))
    assert listed == ["2028/29", "2029/30", "2030/31", "2031/32"], listed
    assert "All 4 rounds" not in every.text

    await client.logout()
    await client.login(world.manager_2.email)  # its homecare agency is in none of these rounds
    assert "No round is open to your services." in text_of((await client.get("/rounds/yours")).text)
    await client.logout()
    await client.login(world.officer_a.email)
    assert (await client.get("/rounds/yours")).status_code == 403


async def test_another_council_cannot_see_or_act_on_a_round(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    round_id = await _opened_by_the_admin(browsers, db, world)
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN, email="admin.b@example.org")
    await client.login(admin_b.email)
    assert (await client.get(f"/rounds/{round_id}")).status_code == 404
    assert (await client.get(f"/rounds/{round_id}/services?progress=not_started")).status_code == 404
    assert "2026/27" not in text_of((await client.get("/rounds")).text)
    # Provider 2 works for both councils: its council B service is not in council A's round.
    await client.logout()
    await client.login(world.manager_2.email)
    refused = await client.post(
        f"/rounds/{round_id}/services/{world.gamma.id}/start", {"carry_over": "false"}
    )
    assert refused.status_code == 404
    officer = await client.post("/rounds/new", {"name": "x"})
    assert officer.status_code == 403


# --- reminders ----------------------------------------------------------------------------------------


async def test_reminders_go_to_those_not_submitted_through_smtp_once(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    world: factories.World,
    sink: SmtpSink,
    cli_environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with browsers() as manager:
        await manager.login(world.manager_1.email)
        await _submitted(manager, db, world.alpha.id, "2026/27")
    await client.login(world.admin_a.email)
    _round_id(await _open_round(client, db, world))
    await db.execute(OutboxEmail.__table__.delete())
    await db.commit()

    assert await asyncio.to_thread(main, ["send-round-reminders"]) == 0
    output = capsys.readouterr().out
    assert "Queued 1 self-assessment round reminder(s)." in output
    assert [message["To"] for message in sink.received] == [world.manager_2.email]
    deadline = clock.today() + timedelta(days=3)
    message = sink.received[0]
    assert message["Subject"] == f"Self-assessment 2026/27 due on {deadline:%-d %B %Y}: Beta Homecare"
    assert "is not started yet" in message.get_content() and "3 days left" in message.get_content()

    assert await asyncio.to_thread(main, ["send-round-reminders"]) == 0
    assert "Queued 0 self-assessment round reminder(s)." in capsys.readouterr().out
    assert len(sink.received) == 1
    assert await db.scalar(select(func.count(AssessmentRound.id))) == 1


async def test_the_homes_rounds_are_those_not_closed_counted_as_on_the_rounds_list(
    db: AsyncSession, world: factories.World
) -> None:
    """The home page asks for the rounds not closed (`not_closed`, the rule's CLOSED in SQL) and the
    rounds list for every round, each counted in one statement for all rounds: the home's are exactly
    those whose phase is not closed, on the deadline day too, with the same figures as the list's."""
    version_id = (await council_settings(db, world.council_a.id)).framework_version_id
    assert version_id is not None
    today = clock.today()
    for name, opens, deadline in [
        ("closed yesterday", -30, -1),
        ("closes today", -30, 0),
        ("open", -1, 3),
        ("upcoming", 5, 40),
    ]:
        db.add(
            AssessmentRound(
                council_id=world.council_a.id,
                name=name,
                framework_version_id=version_id,
                service_types=[] if name != "open" else [world.alpha.service_type.value],
                opens_on=today + timedelta(days=opens),
                deadline=today + timedelta(days=deadline),
                created_by_id=world.admin_a.id,
            )
        )
    await db.flush()
    db.add(
        SelfAssessment(
            service_id=world.alpha.id,
            period_label="open",
            framework_version_id=version_id,
            status=AssessmentStatus.SUBMITTED,
            started_by_id=world.manager_1.id,
        )
    )
    await db.commit()
    rounds = Rounds(db, world.officer_a)
    every = await rounds.rows(today)
    current = await rounds.rows(today, current_only=True)
    assert (
        [row.round.name for row in current]
        == [row.round.name for row in every if row.phase is not RoundPhase.CLOSED]
        == ["upcoming", "open", "closes today"]
    )
    for row in every:
        assert row.completion == (await rounds.completion(row.round)).totals, (
            row.round.name
        )  # the round page's own figures
    assert next(row for row in current if row.round.name == "open").completion.submitted == 1
