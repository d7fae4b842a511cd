"""A progress note the page sends again (the answer to the first was lost when the database or the
network went away) is added once: each note form carries its own key."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import ActionNote
from selfassess.settings import Settings
from tests import factories
from tests.actions.test_plans import _actions, _agreed
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")


async def test_a_note_sent_twice_with_its_key_is_added_once(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    world: factories.World,
    settings: Settings,
) -> None:
    plan = await _agreed(client, browsers, db, world, settings)
    action = (await _actions(db, plan))["S8"]
    async with browsers() as provider:
        await provider.login(world.manager_1.email)

        async def send(text: str, key: str) -> int:
            response = await provider.client.post(
                f"/plans/{plan.id}/actions/{action.id}/notes",
                data={"text": text, "submission_key": key, "_csrf_token": provider.csrf_token},
                files={"file": ("", b"", "application/octet-stream")},
                headers={"HX-Request": "true"},
            )
            return response.status_code

        key = "6f1c1c3e-6f5b-4c0e-9d55-0a3f1f0a7b11"
        assert await send("Protocols reviewed with the pharmacist.", key) == 200
        assert await send("Protocols reviewed with the pharmacist.", key) == 200, "sent again: fine"
        assert await send("A second, separate note.", "0b7f2d7e-1f0e-4a4c-8d57-3c8b2d4f9e21") == 200
    texts = list(
        await db.scalars(
            select(ActionNote.text).where(ActionNote.action_id == action.id).order_by(ActionNote.id)
        )
    )
    assert texts == ["Protocols reviewed with the pharmacist.", "A second, separate note."]
    assert await db.scalar(select(func.count()).select_from(ActionNote)) == 2
