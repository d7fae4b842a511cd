"""The record of a path loads as a dependency before the handler runs: an id that does not exist, or
that names another organisation's record, is a 404 page (never a 403, a 500 or a redirect), whether
or not htmx sent the request.

Each route below is requested by someone its guard lets in, so the 404 comes from the dependency:
once with an id that exists nowhere, once with a record of Council A / Provider One (the records of
``test_isolation.FOREIGN``). test_isolation tries every route as four outsiders and also accepts a
403 from a guard; this pins the dependency's own answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role, User
from tests import factories
from tests.security.test_isolation import FOREIGN, Foreign, Scene
from tests.support import Browser, text_of

ABSENT = 987_654_321


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # with {name} for each parameter
    viewer: str  # a key of the viewers below; "" for nobody signed in


CASES = [
    Case("POST", "/account/tokens/{token_id}/revoke", "officer_b"),
    Case("POST", "/admin/tokens/{token_id}/revoke", "admin_b"),
    Case("GET", "/frameworks/{version_id}", "officer_b"),
    Case("POST", "/admin/frameworks/{version_id}/publish", "admin_b"),
    Case("POST", "/admin/frameworks/{version_id}/delete", "admin_b"),
    Case("POST", "/admin/frameworks/{version_id}/choose", "admin_b"),
    Case("GET", "/oversight/support/providers/{provider_id}", "officer_b"),
    Case("POST", "/oversight/support/providers/{provider_id}", "officer_b"),
    Case("GET", "/providers/{provider_id}/accuracy", "officer_b"),
    Case("GET", "/visits/{visit_id}/good-practice", "officer_b"),
    Case("POST", "/visits/{visit_id}/good-practice", "officer_b"),
    Case("POST", "/visits/{visit_id}/good-practice/{practice_id}/consent", "manager_2"),
    Case("POST", "/visits/{visit_id}/plan", "officer_b"),
    Case("POST", "/rounds/{round_id}/services/{service_id}/start", "manager_2"),
    Case("POST", "/notifications/{notification_id}/read", "manager_2"),
    Case("POST", "/admin/councils/{council_id}/accept", "provider_admin_2"),
    Case("POST", "/admin/councils/{council_id}/decline", "provider_admin_2"),
    Case("POST", "/admin/ratings/{correction_id}/republish", "admin_b"),
    Case("GET", "/public/{slug}/services/{service_id}", ""),
]


def _params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


async def _request(browser: Browser, case: Case, url: str, htmx: bool):  # type: ignore[no-untyped-def]
    if case.method == "GET":
        return await browser.get(url, htmx=htmx, follow_redirects=False)
    return await browser.post(url, {}, htmx=htmx, follow_redirects=False)


async def test_absent_and_foreign_records_of_the_path_are_not_found(
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    world: factories.World,
) -> None:
    scene = Scene(db, world)
    viewers: dict[str, User] = {
        "officer_b": world.officer_b,
        "admin_b": await factories.user(db, world.council_b, Role.COUNCIL_ADMIN, name="Bob B-Admin"),
        "manager_2": world.manager_2,
        "provider_admin_2": await factories.user(db, world.provider_2, Role.PROVIDER_ADMIN, name="Pat Two"),
    }
    needed = sorted({name for case in CASES for name in _params(case.path)} - {"slug"})
    foreign: dict[str, Foreign] = {name: await FOREIGN[name](scene) for name in needed}
    foreign["slug"] = Foreign(world.council_b.slug, ())  # Council B's public pages, Council A's service
    secrets = sorted({text for record in foreign.values() for text in record.names})

    failures = []
    for viewer in [*viewers, ""]:
        async with browsers() as browser:
            if viewer:
                await browser.login(viewers[viewer].email)
            for case in (case for case in CASES if case.viewer == viewer):
                names = _params(case.path)
                absent = {name: "no-such-council" if name == "slug" else ABSENT for name in names}
                tries = {"absent": absent, "foreign": {name: foreign[name].id for name in names}}
                for label, values in tries.items():
                    url = case.path.format(**values)
                    for htmx in (False, True):
                        response = await _request(browser, case, url, htmx)
                        leaked = [text for text in secrets if text in response.text]
                        if response.status_code != 404 or leaked:
                            how = f"{label}, htmx" if htmx else label
                            failures.append(
                                f"{case.method} {url} ({how}) as {viewer or 'nobody'}: "
                                f"{response.status_code} {leaked or ''} — {text_of(response.text)[:100]}"
                            )
    assert not failures, "Expected 404 from the path's dependency:\n" + "\n".join(failures)
