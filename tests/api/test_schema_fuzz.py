"""schemathesis over the published OpenAPI schema: with a real token and seeded data, no request
it can make answers 5xx or with a response the schema does not describe."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzzing
from litestar import Litestar
from schemathesis.checks import ignored_auth, positive_data_acceptance
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.app import create_app
from selfassess.settings import Settings
from tests import factories
from tests.api.helpers import agreed_plan, token_for

pytestmark = pytest.mark.usefixtures("frameworks")

# Few examples per operation: the point is every route and every declared answer, quickly.
EXAMPLES_PER_OPERATION = 5
# Bad credentials are tested in test_tokens.py (repeated here they are, rightly, throttled); and a
# schema cannot say everything that makes a value acceptable (an opaque cursor this API gave out, a
# score on the council's own scale), so a well-formed value may still get a clear 400.
NOT_CHECKED = [ignored_auth, positive_data_acceptance]


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """An app of the fuzz's own: schemathesis starts and calls it on an event loop of its own, where
    the connections pooled on the tests' loop by the shared app must not go."""
    return create_app(settings)


async def test_the_api_keeps_to_its_schema(
    app: Litestar, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    await agreed_plan(db, world, settings)
    tokens = {
        "provider": await token_for(db, world.manager_1, write=True),
        "officer": await token_for(db, world.officer_a, write=True),
    }
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    api = schema.include(path_regex="^/api/")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 14, "every API route is in the schema"

    def run(operation, token: str) -> None:  # type: ignore[no-untyped-def]
        @fuzzing(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,  # the same examples every run: a failure in CI can be replayed
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=NOT_CHECKED)

        check()

    for operation in operations:
        for token in tokens.values():
            await asyncio.to_thread(run, operation, token)
