"""The two score sheets behave as one: the provider's self-assessment answers and the officer's
visit scores are saved by the same autosave (frameworks/sheet_routes.py), so every case here runs
over both sheets through HTTP, as the pages post."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from httpx import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.models import SelfAssessment
from selfassess.frameworks.score_sheet import TEXT_LIMIT
from selfassess.visits.models import Visit, VisitScore
from tests import factories
from tests.assessments.helpers import answers, start
from tests.support import Browser, text_of


@dataclass
class OpenSheet:
    """One row of a sheet, opened by the person who fills it in."""

    client: Browser
    row_id: int
    url: str  # the row's address: GET the row as stored, POST an autosave
    page: str  # the key question's page, at the row
    texts: tuple[str, str]  # the names of the row's two text boxes
    saved_by: str
    stored: Callable[[], Awaitable[tuple[int | None, str, str, int]]]  # score, both texts, version
    touched: Callable[[], Awaitable[datetime]]  # when the sheet's parent (assessment, visit) last changed

    async def post(
        self, *, version: int, score: object = "", first: str = "", second: str = "", htmx: bool = True
    ) -> Response:
        return await self.client.post(
            self.url,
            {"version": version, "score": score, self.texts[0]: first, self.texts[1]: second},
            htmx=htmx,
            follow_redirects=False,
        )


async def _answer_row(client: Browser, db: AsyncSession, world: factories.World) -> OpenSheet:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    row = (await answers(db, assessment))[0]

    async def stored() -> tuple[int | None, str, str, int]:
        now = next(answer for answer in await answers(db, assessment) if answer.id == row.id)
        return now.score, now.narrative, now.improvement_plan, now.version

    async def touched() -> datetime:
        return await _updated_at(db, SelfAssessment, assessment.id)  # type: ignore[arg-type]

    return OpenSheet(
        client,
        row.id,  # type: ignore[arg-type]
        f"/assessments/{assessment.id}/answers/{row.id}",
        f"/assessments/{assessment.id}/questions/S#statement-{row.id}",
        ("narrative", "improvement_plan"),
        world.manager_1.full_name,
        stored,
        touched,
    )


async def _updated_at(
    db: AsyncSession, model: type[SelfAssessment] | type[Visit], record_id: int
) -> datetime:
    await db.commit()  # see what the app committed (SQLite reads from the transaction's snapshot)
    changed = await db.scalar(select(model.updated_at).where(model.id == record_id))
    await db.commit()
    assert changed is not None
    return changed


async def _visit_row(client: Browser, db: AsyncSession, world: factories.World) -> OpenSheet:
    await client.login(world.officer_a.email)
    scheduled = await client.post(
        f"/services/{world.alpha.id}/visits/new",
        {
            "visit_type": "proactive",
            "scheduled_for": date.today().isoformat(),
            "announced": "true",
            "officer_id": world.officer_a.id,
        },
        follow_redirects=False,
    )
    assert scheduled.status_code == 303, scheduled.text
    visit_id = int(re.fullmatch(r"/visits/(\d+)", scheduled.headers["location"]).group(1))  # type: ignore[union-attr]
    row_id = await db.scalar(
        select(VisitScore.id).where(VisitScore.visit_id == visit_id).order_by(VisitScore.id)
    )
    await db.commit()

    async def stored() -> tuple[int | None, str, str, int]:
        now = await db.scalar(
            select(VisitScore).where(VisitScore.id == row_id).execution_options(populate_existing=True)
        )
        await db.commit()
        assert now is not None
        return now.score, now.findings, now.evidence_seen, now.version

    async def touched() -> datetime:
        return await _updated_at(db, Visit, visit_id)

    return OpenSheet(
        client,
        row_id,  # type: ignore[arg-type]
        f"/visits/{visit_id}/scores/{row_id}",
        f"/visits/{visit_id}/questions/S#score-{row_id}",
        ("findings", "evidence_seen"),
        world.officer_a.full_name,
        stored,
        touched,
    )


@pytest.fixture(params=["self-assessment answer", "visit score"])
async def sheet(
    request: pytest.FixtureRequest,
    frameworks: None,
    client: Browser,
    db: AsyncSession,
    world: factories.World,
) -> OpenSheet:
    opener = {"self-assessment answer": _answer_row, "visit score": _visit_row}[request.param]
    return await opener(client, db, world)


async def test_autosave_stores_the_row_and_answers_with_the_new_version(sheet: OpenSheet) -> None:
    saved = await sheet.post(version=0, score=3, first="Seen every week.", second="Monthly audits.")
    assert saved.status_code == 200, saved.text
    assert f'id="save-status-{sheet.row_id}"' in saved.text
    assert "Saved" in text_of(saved.text) and sheet.saved_by in text_of(saved.text)
    assert f'id="version-{sheet.row_id}" value="1" hx-swap-oob="true"' in saved.text
    assert "1 of 34" in text_of(saved.text), "the progress changes in place"
    assert "Scored 3: Good standard" in text_of(saved.text), "so does the row's score in its heading"
    assert await sheet.stored() == (3, "Seen every week.", "Monthly audits.", 1)

    again = await sheet.client.get(sheet.url, htmx=True)
    assert 'name="score" value="3" checked' in again.text
    assert "Seen every week." in again.text and "Monthly audits." in again.text


async def test_the_progress_after_each_save_counts_the_scores_stored_and_the_parent_is_marked_changed(
    sheet: OpenSheet,
) -> None:
    before = await sheet.touched()
    scored = await sheet.post(version=0, score=2, first="First draft.")
    assert "1 of 34" in text_of(scored.text)
    assert await sheet.touched() > before, "the assessment or visit records that it changed"

    text_only = await sheet.post(version=1, score=2, first="Second draft.")
    assert "1 of 34" in text_of(text_only.text), "a row saved again is still counted once"
    cleared = await sheet.post(version=2, score="", first="Second draft.")
    assert "0 of 34" in text_of(cleared.text), "a score taken away is no longer counted"
    assert "Not scored yet" in text_of(cleared.text)

    refused = await sheet.post(version=2, score=3, first="Stale.")
    assert refused.status_code == 409 and "of 34" not in text_of(refused.text)
    assert await sheet.stored() == (None, "Second draft.", "", 3)


async def test_a_score_off_the_scale_or_too_much_text_is_refused_beside_the_row(sheet: OpenSheet) -> None:
    for bad in (9, "three", -1):
        refused = await sheet.post(version=0, score=bad, first="Kept in the form.")
        assert refused.status_code == 422
        assert f'id="save-status-{sheet.row_id}"' in refused.text
        assert "Choose a score from the scale." in refused.text
        assert "Your text is still here" in refused.text
    huge = await sheet.post(version=0, score=3, first="x" * (TEXT_LIMIT + 1))
    assert huge.status_code == 422
    assert re.search(r"20,?000 characters", huge.text), huge.text
    assert (await sheet.stored())[3] == 0, "nothing was stored"


async def test_a_stale_version_is_a_conflict_that_shows_both_versions_and_overwrites_nothing(
    sheet: OpenSheet,
) -> None:
    assert (await sheet.post(version=0, score=3, first="Theirs.")).status_code == 200

    conflict = await sheet.post(version=0, score=2, first="Mine.", second="My second box.")
    assert conflict.status_code == 409
    shown = text_of(conflict.text)
    assert "Not saved: you saved a different version at" in shown, "the same person, in another tab"
    assert "in another tab or window" in shown
    assert "The saved version" in shown and "Your version (not saved)" in shown
    assert "Theirs." in shown and "Mine." in shown and "My second box." in shown
    assert "3: Good standard" in shown and "2: Some shortfalls" in shown
    assert f'id="save-status-{sheet.row_id}" class="conflict notice notice--warning" role="alert"' in (
        conflict.text
    )
    assert f'hx-get="{sheet.url}"' in conflict.text, "keep the saved version: the row as stored"
    assert '<input type="hidden" name="version" value="1">' in conflict.text, "mine, on the new version"
    assert f'name="{sheet.texts[1]}" value="My second box."' in conflict.text
    assert await sheet.stored() == (3, "Theirs.", "", 1), "nothing was overwritten"

    kept = await sheet.client.get(sheet.url, htmx=True)
    assert kept.status_code == 200 and "Theirs." in kept.text

    mine = await sheet.post(version=1, score=2, first="Mine.", second="My second box.")
    assert mine.status_code == 200
    assert await sheet.stored() == (2, "Mine.", "My second box.", 2)


async def test_a_browser_without_javascript_is_sent_back_to_the_row_with_a_flash(sheet: OpenSheet) -> None:
    posted = await sheet.post(version=0, score=4, first="Posted by the form itself.", htmx=False)
    assert posted.status_code == 303
    assert posted.headers["location"] == sheet.page
    page = await sheet.client.get(sheet.page.split("#")[0])
    assert "Saved." in text_of(page.text)
    assert "Posted by the form itself." in page.text
    assert (await sheet.stored())[0] == 4
