"""The concern page and the concern handlers answer from one rulebook (visits/concern_rules.py):
for each state a concern can be in, each kind of person and every command, the page shows the
control exactly when the rulebook allows it and the server accepts the command exactly then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.visits.concern_rules import ConcernCommand, concern_commands
from selfassess.visits.models import Concern, ConcernStatus, Visit, VisitConcern, VisitEvent, VisitScore
from tests import factories
from tests.visits.test_concerns import _log, _valid_concern

pytestmark = pytest.mark.usefixtures("frameworks")


def _marks(concern: Concern, service_id: int) -> dict[ConcernCommand, str]:
    return {
        ConcernCommand.EDIT: f'href="/concerns/{concern.id}/edit"',
        ConcernCommand.CLOSE: f'action="/concerns/{concern.id}/close"',
        ConcernCommand.REOPEN: f'action="/concerns/{concern.id}/reopen"',
        ConcernCommand.SCHEDULE_VISIT: f'href="/services/{service_id}/visits/new?concern={concern.id}"',
        ConcernCommand.SHARE: f'action="/concerns/{concern.id}/share"',
        ConcernCommand.RESPOND: f'action="/concerns/{concern.id}/responses"',
    }


def _request(
    command: ConcernCommand, concern: Concern, world: factories.World
) -> tuple[str, dict[str, object]]:
    if command is ConcernCommand.EDIT:
        return f"/concerns/{concern.id}/edit", _valid_concern(summary="Missed medication, twice")
    if command is ConcernCommand.CLOSE:
        return f"/concerns/{concern.id}/close", {"outcome": "Spoke to the manager; rota fixed."}
    if command is ConcernCommand.REOPEN:
        return f"/concerns/{concern.id}/reopen", {}
    if command is ConcernCommand.SHARE:
        return f"/concerns/{concern.id}/share", {"shared_summary": "Medication was missed twice."}
    if command is ConcernCommand.RESPOND:
        return f"/concerns/{concern.id}/responses", {"text": "MAR charts checked; staff retrained."}
    return f"/services/{world.alpha.id}/visits/new", {
        "visit_type": "reactive",
        "scheduled_for": (clock.today() + timedelta(days=7)).isoformat(),
        "announced": "false",
        "officer_id": world.officer_a.id,
        "concern_ids": concern.id,
    }


@pytest.mark.parametrize("confidential", [False, True], ids=["shared", "confidential"])
@pytest.mark.parametrize("status", list(ConcernStatus), ids=lambda status: status.value)
async def test_the_concern_page_and_server_follow_the_rulebook(
    status: ConcernStatus, confidential: bool, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    concern = await _log(db, world, world.alpha, severity="high")
    concern_id = concern.id
    people = {"officer": (world.officer_a.email, True), "provider": (world.manager_1.email, False)}
    failures = []
    for label, (email, council_staff) in people.items():
        async with browsers() as browser:
            await browser.login(email)
            for command in ConcernCommand:
                await db.execute(delete(VisitScore))
                await db.execute(delete(VisitConcern))
                await db.execute(delete(VisitEvent))
                await db.execute(delete(Visit))
                await db.execute(
                    update(Concern)
                    .where(Concern.id == concern_id)
                    .values(status=status, summary="Missed", is_confidential=confidential)
                )
                await db.commit()
                allowed = concern_commands(status, council_staff=council_staff, confidential=confidential)
                page = await browser.get(f"/concerns/{concern_id}")
                if not council_staff and confidential:
                    # The provider is not told a confidential concern exists, let alone offered anything.
                    assert page.status_code == 404 and not allowed
                shown = _marks(concern, world.alpha.id)[command] in page.text
                if shown != (command in allowed):
                    failures.append(
                        f"{status.value}, {label}: the page {'shows' if shown else 'hides'} {command}"
                    )
                url, form = _request(command, concern, world)
                response = await browser.post(url, form, follow_redirects=False)
                accepted = response.status_code == 303 and "/login" not in response.headers.get(
                    "location", ""
                )
                if accepted != (command in allowed):
                    failures.append(
                        f"{status.value}, {label}: the server answers {response.status_code} to {command}"
                    )
    assert not failures, "\n".join(failures)


def test_the_rulebook_never_shares_a_confidential_concern_and_only_providers_respond() -> None:
    for status in ConcernStatus:
        for council_staff in (True, False):
            confidential = concern_commands(status, council_staff=council_staff, confidential=True)
            assert not confidential & {ConcernCommand.SHARE, ConcernCommand.RESPOND}
    assert ConcernCommand.RESPOND not in concern_commands(ConcernStatus.OPEN, council_staff=True)
    assert concern_commands(ConcernStatus.OPEN, council_staff=False) == {ConcernCommand.RESPOND}
    assert concern_commands(ConcernStatus.CLOSED, council_staff=False) == frozenset()
