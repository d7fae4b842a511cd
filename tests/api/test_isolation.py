"""Every /api/ route with another organisation's ids and read-write tokens: never found, never
changed. The routes are read from the app, so a new API route is covered the day it is added."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role
from tests import factories
from tests.api.helpers import call, token_for
from tests.security.routes import changed_tables, database_contents, endpoints
from tests.security.test_isolation import FOREIGN, Scene
from tests.support import Browser

pytestmark = pytest.mark.usefixtures("frameworks")

# A body the route would accept, so that a refusal comes from the scope, not from validation.
_BODIES: dict[str, dict[str, Any]] = {
    "answers": {"version": 0, "score": 3, "narrative": "Ours now", "improvement_plan": ""},
    "status": {"status": "in_progress", "version": 0, "reason": ""},
    "notes": {"text": "A note from elsewhere"},
    "decision": {"accept": True, "comment": "From elsewhere"},
    "more-time": {"proposed_due_date": "2099-01-01", "reason": "From elsewhere"},
}


def _body(path: str) -> dict[str, Any] | None:
    return next((body for suffix, body in _BODIES.items() if suffix in path), None)


async def test_other_organisations_ids_and_tokens_reach_nothing(
    app: Litestar, client: Browser, db: AsyncSession, world: factories.World
) -> None:
    api = [e for e in endpoints(app) if e.path.startswith("/api/")]
    assert len(api) >= 14
    scene = Scene(db, world)
    needed = {name for endpoint in api for name in endpoint.params}
    foreign = {name: await FOREIGN[name](scene) for name in sorted(needed)}
    foreign_lists = [
        await FOREIGN[name](scene) for name in ("concern_id", "plan_id", "visit_id", "answer_id")
    ]
    secrets = sorted({text for record in [*foreign.values(), *foreign_lists] for text in record.names})
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN)
    tokens = {
        "a provider of another organisation": await token_for(db, world.manager_2, write=True),
        "an officer of another council": await token_for(db, world.officer_b, write=True),
        "an admin of another council": await token_for(db, admin_b, write=True),
    }
    before = await database_contents(db)
    failures = []
    for label, token in tokens.items():
        for endpoint in api:
            url = endpoint.url({name: foreign[name].id for name in endpoint.params})
            body = _body(endpoint.path) if endpoint.unsafe else None
            response = await call(client, endpoint.method, url, token, json=body)
            leaked = [text for text in secrets if text in response.text]
            allowed = {403, 404} if endpoint.params else {200, 403}
            if response.status_code not in allowed or leaked:
                failures.append(f"{endpoint.method} {url} as {label}: {response.status_code} {leaked}")
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json"), url
    assert not failures, "\n".join(failures)
    changed = set(changed_tables(before, await database_contents(db)))
    assert changed <= {"api_token", "audit_event"}, "only the tokens' last use was recorded"
