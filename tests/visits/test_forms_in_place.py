"""Forms that fail in place (issue 11): the error summary beside the form that failed, the
<details> holding it open, the address bar on the page's own address; prerequisites checked before
any confirmation; warnings for work dated before the visit; the report, plan and self-assessment
as PDFs; check your answers before submitting a self-assessment."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionPlan
from selfassess.assessments.models import AssessmentStatus
from selfassess.kept import KeptRecently
from selfassess.settings import Settings
from selfassess.visits.models import Visit, VisitScore
from selfassess.web import pdf
from tests import factories
from tests.actions.helpers import published_visit
from tests.assessments.helpers import answers, save, score_all, start
from tests.support import Browser, reload, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def _summary(html: str) -> str:
    """The page's one error summary."""
    found = re.findall(r'<div class="error-summary" id="error-summary".*?</div>', html, flags=re.S)
    assert len(found) == 1, found
    return found[0]


async def _visit(client: Browser, world: factories.World, db: AsyncSession, on: date) -> Visit:
    response = await client.post(
        f"/services/{world.alpha.id}/visits/new",
        {"visit_type": "proactive", "scheduled_for": on.isoformat(), "officer_id": world.officer_a.id},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    await db.commit()  # a new snapshot (SQLite), which sees the visit
    visit = await db.get_one(Visit, int(response.headers["location"].rsplit("/", 1)[1]))
    await db.commit()
    return visit


async def test_lock_and_share_check_first_and_fail_beside_their_buttons(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    visit = await _visit(client, world, db, date.today())
    page = (await client.get(f"/visits/{visit.id}")).text
    lock_form = re.search(r'<form method="post" action="/visits/\d+/lock"[^>]*>', page).group(0)
    assert "hx-confirm" not in lock_form, "no confirm() for a lock that cannot work"

    refused = await client.post(f"/visits/{visit.id}/lock", headers=BOOSTED)
    assert refused.status_code == 422
    assert refused.headers["hx-replace-url"] == f"/visits/{visit.id}"
    assert refused.headers["hx-reswap"] == "innerHTML show:#error-summary:top"
    summary = _summary(refused.text)
    assert "Score every statement before locking" in summary and "34 statements are not scored yet" in summary
    assert len(re.findall(rf'href="/visits/{visit.id}/questions/\w+#score-\d+"', summary)) == 34
    # The summary is in step 1, right above the lock button.
    step_one = refused.text.split("1. Score the statements")[1].split("2. Write the summary")[0]
    assert 'id="error-summary"' in step_one and f'action="/visits/{visit.id}/lock"' in step_one

    await db.execute(update(VisitScore).where(VisitScore.visit_id == visit.id).values(score=3))
    await db.commit()
    page = (await client.get(f"/visits/{visit.id}")).text
    assert re.search(r'action="/visits/\d+/lock" hx-confirm=', page), "confirmed once it can work"
    await client.post(f"/visits/{visit.id}/lock")
    page = (await client.get(f"/visits/{visit.id}")).text
    assert not re.search(r'action="/visits/\d+/share" hx-confirm=', page)
    refused = await client.post(f"/visits/{visit.id}/share", headers=BOOSTED)
    assert refused.status_code == 422 and refused.headers["hx-replace-url"] == f"/visits/{visit.id}"
    assert '<a href="#field-summary">Write the overall summary before sharing' in _summary(refused.text)


async def test_scoring_and_publishing_a_visit_dated_after_today_warns(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    ahead = date.today() + timedelta(days=6)
    visit = await _visit(client, world, db, ahead)
    warning = f"This visit is dated {ahead:%-d %B %Y}, which is after today."
    assert warning in text_of((await client.get(f"/visits/{visit.id}/questions/S")).text)
    assert warning in text_of((await client.get(f"/visits/{visit.id}")).text)
    # A warning, not a block: the scores still lock, the draft is shared, and the warning stays.
    await db.execute(update(VisitScore).where(VisitScore.visit_id == visit.id).values(score=3))
    await db.commit()
    assert (await client.post(f"/visits/{visit.id}/lock", follow_redirects=False)).status_code == 303
    await reload(db, visit)
    saved = await client.post(
        f"/visits/{visit.id}/summary", {"version": visit.version, "summary": "Seen."}, htmx=True
    )
    assert saved.status_code == 200, saved.text
    assert (await client.post(f"/visits/{visit.id}/share", follow_redirects=False)).status_code == 303
    page = text_of((await client.get(f"/visits/{visit.id}")).text)
    assert warning in page.split("3. Factual accuracy and publication")[1], "beside publishing"

    today = await _visit(client, world, db, date.today())
    assert "which is after today" not in text_of((await client.get(f"/visits/{today.id}/questions/S")).text)


async def _agreed_plan_action(
    client: Browser, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """An agreed plan's one action, owned by the provider's manager: (plan id, action id)."""
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S6": 2})
    await client.login(world.officer_a.email)
    plan_id = int(
        (await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)).headers["location"][7:]
    )
    await db.execute(update(Action).where(Action.plan_id == plan_id).values(owner_id=world.manager_1.id))
    await db.commit()
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        await provider.post(f"/plans/{plan_id}/submit")
        await client.post(f"/plans/{plan_id}/agree")
    action = (await db.execute(Action.__table__.select().where(Action.plan_id == plan_id))).first()
    await db.commit()
    return plan_id, action.id


async def test_a_failed_request_for_more_time_keeps_its_section_open_with_the_error_on_the_field(
    client: Browser, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    plan_id, action_id = await _agreed_plan_action(client, browsers, db, world, settings)
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        refused = await provider.post(
            f"/plans/{plan_id}/actions/{action_id}/due-date", {"reason": "Recruiting."}, htmx=True
        )
    assert refused.status_code == 422
    section = refused.text.split("<summary>Ask for more time</summary>")[0].rsplit("<details", 1)[1]
    assert section.startswith(" open"), "the section that holds the field stays open"
    after = refused.text.split("<summary>Ask for more time</summary>")[1]
    field = f"more-time-{action_id}-proposed_due_date"
    assert f'<a href="#{field}">New due date is required.</a>' in _summary(after)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', after)
    assert "Recruiting." in after, "what was typed is kept"


async def test_a_failed_reopen_keeps_its_section_open_with_the_error_and_what_was_typed(
    client: Browser, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    plan_id, action_id = await _agreed_plan_action(client, browsers, db, world, settings)
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        version = (await db.get(Action, action_id, populate_existing=True)).version
        done = await provider.post(
            f"/plans/{plan_id}/actions/{action_id}/status",
            {"version": version, "status": "completed"},
            htmx=True,
        )
        assert done.status_code == 200, done.text
    version = (await db.get(Action, action_id, populate_existing=True)).version
    await db.commit()

    def reopen_section(html: str) -> tuple[str, str]:
        """The opening of the "Reopen this action" section's tag, and what follows its summary."""
        before, after = html.split("<summary>Reopen this action</summary>")
        return before.rsplit("<details", 1)[1], after.split("</details>")[0]

    blank = await client.post(
        f"/plans/{plan_id}/actions/{action_id}/status", {"version": version, "status": "reopened"}, htmx=True
    )
    assert blank.status_code == 422
    opening, section = reopen_section(blank.text)
    assert opening.startswith(" open"), "the section that holds the field stays open"
    assert "give a reason for reopening" in text_of(_summary(section))

    too_long = "Night rota still short. " * 100
    refused = await client.post(
        f"/plans/{plan_id}/actions/{action_id}/status",
        {"version": version, "status": "reopened", "reason": too_long},
        htmx=True,
    )
    assert refused.status_code == 422
    opening, section = reopen_section(refused.text)
    assert opening.startswith(" open")
    field = f"reopen-{action_id}-reason"
    assert f'<a href="#{field}">' in _summary(section)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', section)
    assert too_long.strip() in section, "what was typed is kept"


async def test_the_published_report_links_its_comparison_plan_and_pdf(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S6": 2})
    await client.login(world.manager_1.email)
    report = (await client.get(f"/visits/{visit.id}/report")).text
    assert f'href="/services/{world.alpha.id}/comparison?visit={visit.id}"' in report
    assert f'href="/visits/{visit.id}/report.pdf"' in report
    await client.logout()
    await client.login(world.officer_a.email)
    plan = (await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)).headers["location"]
    report = (await client.get(f"/visits/{visit.id}/report")).text
    assert f'href="{plan}"' in report


def _pdf_text(content: bytes) -> tuple[str, list[str]]:
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]
    return " ".join(pages), pages


async def test_report_plan_and_self_assessment_as_pdf(
    client: Browser, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    assessment, visit = await published_visit(
        db,
        world,
        settings,
        self_scores={},
        officer_scores={"S6": 2},
        findings={"S6": "Rotas short at night."},
    )
    await client.login(world.officer_a.email)
    plan = (await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)).headers["location"]
    produced = f"Produced {date.today():%-d %B %Y}"
    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        documents = {
            f"/visits/{visit.id}/report.pdf": ("Visit report", "Rotas short at night."),
            f"{plan}/print.pdf": ("Improvement action plan", "S6"),
            f"/assessments/{assessment.id}/print.pdf": ("Self-assessment 2026/27", "How we meet it"),
        }
        for address, (title, content) in documents.items():
            response = await provider.get(address)
            assert response.status_code == 200, (address, response.text[:300])
            assert response.headers["content-type"] == "application/pdf"
            text, pages = _pdf_text(response.content)
            assert title in text and content in text, address
            assert "Sign out" not in text and "Send to the officer" not in text
            for number, page in enumerate(pages, start=1):
                # The council's name (not the provider's), the date and the page number on every page.
                assert "Council A" in page and produced in page, (address, number)
                assert f"Page {number} of {len(pages)}" in page
    async with browsers() as stranger:
        await stranger.login(world.officer_b.email)
        for address in documents:
            assert (await stranger.get(address)).status_code == 404, address


async def test_a_document_downloaded_again_unchanged_is_not_laid_out_again(
    client: Browser,
    db: AsyncSession,
    world: factories.World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    laid_out: list[str] = []
    write_pdf = pdf._write_pdf
    monkeypatch.setattr(pdf, "_recent", KeptRecently(pdf.RECENT_DOCUMENTS))
    monkeypatch.setattr(
        pdf, "_write_pdf", lambda html, *args: laid_out.append(html) or write_pdf(html, *args)
    )
    assessment, visit = await published_visit(
        db,
        world,
        settings,
        self_scores={},
        officer_scores={"S6": 2},
        findings={"S6": "Rotas short at night."},
    )
    await client.login(world.manager_1.email)
    report = f"/visits/{visit.id}/report.pdf"
    first, again = await client.get(report), await client.get(report)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and len(laid_out) == 1

    await db.execute(
        update(VisitScore).where(VisitScore.visit_id == visit.id).values(findings="Rotas full now.")
    )
    await db.commit()
    changed = await client.get(report)
    assert len(laid_out) == 2 and "Rotas full now." in _pdf_text(changed.content)[0]
    assert (await client.get(f"/assessments/{assessment.id}/print.pdf")).status_code == 200
    assert len(laid_out) == 3, "another document is laid out"


async def test_check_your_answers_then_submit_and_what_happens_next(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    rows = await answers(db, assessment)
    await save(client, assessment, rows[0], score=3, narrative="Learning reviews every week.")
    overview = (await client.get(f"/assessments/{assessment.id}")).text
    assert f'href="/assessments/{assessment.id}/check"' in overview
    assert f'action="/assessments/{assessment.id}/submit"' not in overview, "submitted only after checking"

    check = await client.get(f"/assessments/{assessment.id}/check")
    page = text_of(check.text)
    assert "Check your answers before submitting" in page
    for title in ("Safe", "Effective", "Caring", "Responsive", "Well-led"):
        assert re.search(rf'<h2 id="check-\w+">{title}</h2>', check.text), title
    assert "33 statements are not scored yet" in _summary(check.text)
    assert "S1 Learning culture 3: Good" in page and "Learning reviews every week." in page
    assert check.text.count(">Change<span") == 34
    assert f'href="/assessments/{assessment.id}/questions/S#statement-{rows[0].id}"' in check.text

    refused = await client.post(f"/assessments/{assessment.id}/submit", headers=BOOSTED)
    assert refused.status_code == 422
    assert refused.headers["hx-replace-url"] == f"/assessments/{assessment.id}/check"
    assert "33 statements are not scored yet" in _summary(refused.text)

    await score_all(db, assessment)
    submitted = await client.post(f"/assessments/{assessment.id}/submit", follow_redirects=False)
    assert submitted.headers["location"] == f"/assessments/{assessment.id}/submitted"
    confirmation = text_of((await client.get(submitted.headers["location"])).text)
    assert "Self-assessment submitted" in confirmation and "What happens next" in confirmation
    assert "now with the council" in confirmation
    await reload(db, assessment)
    assert assessment.status is AssessmentStatus.SUBMITTED
    assert (
        await client.get(f"/assessments/{assessment.id}/check", follow_redirects=False)
    ).status_code == 303


async def test_history_rows_write_dates_as_the_page_does(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S6": 2})
    await client.login(world.officer_a.email)
    plan_address = (await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)).headers["location"]
    plan = await db.get_one(ActionPlan, int(plan_address.rsplit("/", 1)[1]))
    action = (await db.execute(Action.__table__.select().where(Action.plan_id == plan.id))).first()
    await db.commit()
    due = date(2027, 1, 4)
    await client.post(
        f"{plan_address}/actions/{action.id}",
        {
            "version": action.version,
            "title": action.title,
            "due_date": due.isoformat(),
            "priority": action.priority,
            "owner_id": world.manager_1.id,
        },
        htmx=True,
    )
    history = text_of((await client.get(plan_address)).text).split("Every change to this plan")[1]
    assert "→ 4 January 2027" in history and "2027-01-04" not in history
