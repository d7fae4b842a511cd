"""Junk to every route the app registers, never a 500.

Every route is read from the app and sent what careless or hostile clients send: ids that do not
exist (alone and among the viewer's own ids, so a child looked up without its parent is caught),
overlong text, values of the wrong type, forms with nothing filled in, searches longer than any
search box, each as a plain request and as an htmx one. The answer may be anything the app
means (a page, a redirect, a 4xx with a message), but never a 5xx.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.db import SEARCH_MAX_LENGTH
from selfassess.frameworks.score_sheet import TEXT_LIMIT
from selfassess.visits.forms import TEXT_MAX
from selfassess.visits.schemas import NOTES_MAX_LENGTH
from tests import factories
from tests.security.routes import Endpoint, endpoints, placeholder
from tests.security.test_isolation import OWN, Scene
from tests.support import Browser, text_of

ABSENT_ID = 999_999
# One character past the longest text the app takes anywhere (its 20,000-character text boxes):
# too long for every field, without sending megabytes that only the test client's encoding and the
# form parser pay for. (test_an_overlong_search_gets_a_clear_message sends 50,000.)
OVERLONG = "x" * (max(TEXT_LIMIT, TEXT_MAX, NOTES_MAX_LENGTH) + 1)
OVERLONG_SEARCH = "x" * (SEARCH_MAX_LENGTH + 1)
# Field names the app's forms use, each given text too long for it or the wrong type.
TEXT_FIELDS = """name title description comment reason text narrative findings summary details outcome email
    full_name job_title password current_password new_password confirm_password postcode town address_line1
    cqc_location_id cqc_provider_id contact_email period_label"""
NUMBER_FIELDS = """version score capacity owner_id officer_id provider_id service_id statement_id
    assessment_id framework_version_id due_in_days follow_up_months"""
DATE_FIELDS = "due_date proposed_due_date scheduled_for received_on regulator_rating_date"
CHOICE_FIELDS = """status severity source visit_type priority decision role service_type regulator_rating
    announced is_active confidential"""
JUNK_FORM = (
    dict.fromkeys(TEXT_FIELDS.split(), OVERLONG)
    | dict.fromkeys(NUMBER_FIELDS.split(), "not-a-number")
    | dict.fromkeys(DATE_FIELDS.split(), "31/02/2026")
    | dict.fromkeys(CHOICE_FIELDS.split(), "spaceship")
)
JUNK_QUERY = {
    "q": "%_" * (SEARCH_MAX_LENGTH // 2),  # the longest search allowed, all wildcards
    "page": "abc",
    "status": "spaceship",
    "severity": "x" * 500,
    "type": "\x00",
    "mine": "maybe",
    "overdue_only": "perhaps",
    "visit_type": "x",
    "event": "x" * 1000,
    "next": "//evil.example",
}
# Signing out mid-test would leave every later request at the log-in page, testing nothing.
SKIPPED = {"POST /logout"}


def _path_values(endpoint: Endpoint, own: dict[str, Any]) -> list[dict[str, Any]]:
    """The viewer's own ids where it has them; then each parameter in turn an id that does not exist."""
    base = {name: own.get(name, placeholder(kind)) for name, kind in endpoint.params.items()}
    tries = [base]
    for name, kind in endpoint.params.items():
        if kind is int:
            tries.append({**base, name: ABSENT_ID})
    return tries


async def _send_junk(
    browser: Browser, endpoint: Endpoint, values: dict[str, Any], *, htmx: bool, every_kind: bool
) -> list[Any]:
    url = endpoint.url(values)
    if endpoint.unsafe:
        forms = [{}, JUNK_FORM] if every_kind else [JUNK_FORM]
        return [await browser.post(url, form, htmx=htmx, follow_redirects=False) for form in forms]
    queries = [{}, JUNK_QUERY, {"q": OVERLONG_SEARCH}] if every_kind else [JUNK_QUERY]
    return [await browser.get(url, htmx=htmx, follow_redirects=False, params=query) for query in queries]


async def test_junk_to_every_route_is_never_a_server_error(
    app: Litestar, browsers, db: AsyncSession, world: factories.World, frameworks: None
) -> None:  # type: ignore[no-untyped-def]
    """Each route is tried by a council officer, or by a provider manager where officers are
    refused, so that the handler itself (not only its guard) meets the junk."""
    scene = Scene(db, world)
    routes = [endpoint for endpoint in endpoints(app) if str(endpoint) not in SKIPPED]
    assert len(routes) > 50, "the routes are read from the app"
    needed = {name for endpoint in routes for name in endpoint.params if name in OWN}
    viewers = [world.officer_b, world.manager_2]
    owns = [{name: await OWN[name](scene, viewer) for name in sorted(needed)} for viewer in viewers]
    await db.commit()
    failures = []
    async with browsers() as officer, browsers() as manager:
        await officer.login(world.officer_b.email)
        await manager.login(world.manager_2.email)
        for endpoint in routes:
            tries = [(officer, owns[0]), (manager, owns[1])]
            for browser, own in tries:
                found = []
                for number, values in enumerate(_path_values(endpoint, own)):
                    # The viewer's own ids: every kind of junk, then the worst as htmx; absent ids
                    # alternate plain and htmx.
                    for htmx in (False, True) if number == 0 else (number % 2 == 1,):
                        every_kind = number == 0 and not htmx
                        responses = await _send_junk(
                            browser, endpoint, values, htmx=htmx, every_kind=every_kind
                        )
                        found += [(response, htmx) for response in responses]
                who = "officer" if browser is officer else "provider"
                failures += [
                    f"{endpoint.method} {response.request.url.path} as {who}{' (htmx)' if htmx else ''}: "
                    f"{response.status_code} {text_of(response.text)[:150]}"
                    for response, htmx in found
                    if response.status_code >= 500
                ]
                if found[0][0].status_code not in (401, 403):
                    break  # the officer got past the guards: no need to ask the provider too
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:60])


async def test_an_overlong_search_gets_a_clear_message(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    # (The JSON API pages by cursor and takes no search term: /api/v1/services ignores ?q=.)
    for url in ("/services", "/concerns", "/providers"):
        response = await client.get(url, params={"q": "x" * 50_000})
        assert response.status_code == 400, url
        assert f"Search terms must be {SEARCH_MAX_LENGTH} characters or fewer." in response.text, url
    await client.logout()
    public = await client.get(f"/public/{world.council_a.slug}", params={"q": "x" * 50_000})
    assert public.status_code == 400
    assert "characters or fewer" in text_of(public.text)


async def test_like_wildcards_in_a_search_match_only_themselves(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await factories.service(db, world.council_a, world.provider_1, name="100% Care_Home")
    await client.login(world.officer_a.email)
    assert "100% Care_Home" in text_of((await client.get("/services", params={"q": "0% care_"})).text)
    for wildcard in ("%", "_"):
        page = text_of((await client.get("/services", params={"q": wildcard})).text)
        assert "100% Care_Home" in page and "Alpha House" not in page, wildcard


async def test_an_action_not_on_the_plan_is_not_found_for_htmx_and_plain_posts(
    client: Browser, db: AsyncSession, frameworks: None, world: factories.World, settings: Any
) -> None:
    from tests.actions.helpers import published_visit

    _, visit = await published_visit(db, world, settings, self_scores={}, officer_scores={"S1": 1})
    await client.login(world.officer_a.email)
    created = await client.post(f"/visits/{visit.id}/plan", follow_redirects=False)
    plan_url = created.headers["location"]
    for suffix, form in (
        ("", {"title": "x", "version": "1"}),
        ("/status", {"status": "in_progress", "version": "1"}),
        ("/due-date", {"proposed_due_date": "2030-01-01", "reason": "x"}),
        ("/notes", {"text": "x"}),
    ):
        for htmx in (False, True):
            response = await client.post(
                f"{plan_url}/actions/{ABSENT_ID}{suffix}", form, htmx=htmx, follow_redirects=False
            )
            assert response.status_code == 404, (suffix, htmx, response.status_code)
