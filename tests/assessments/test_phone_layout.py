"""A key question fits a phone (issue 11): each statement is a section that opens and closes, its
heading says where it stands, and an autosave updates that heading in place."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories
from tests.assessments.helpers import answers, save, start
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_each_statement_is_a_section_whose_heading_says_where_it_stands(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    html = (await client.get(f"/assessments/{assessment.id}/questions/S")).text
    sections = re.findall(r'<details class="statement-body" open( data-unscored)?>\s*<summary>', html)
    assert len(sections) == 8 and all(sections), "eight sections, open until app.js folds them on a phone"
    assert text_of(html).count("Not scored yet") == 8

    saved = await save(client, assessment, first, score=3, narrative="Incidents are reviewed weekly.")
    assert f'id="statement-state-{first.id}" class="statement-state" hx-swap-oob="true"' in saved.text
    assert "Scored 3: Good standard" in text_of(saved.text), "the closed section's heading is updated"
    html = (await client.get(f"/assessments/{assessment.id}/questions/S")).text
    assert html.count("data-unscored") == 7
    state = re.search(rf'id="statement-state-{first.id}"[^>]*>(.*?)</span></span>', html, re.S)
    assert state and "Scored 3: Good standard" in state.group(1)
