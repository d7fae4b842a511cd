"""The security audit log: council admins see their own council's events, and nobody else's."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.audit import AUDIT_EVENT_LABELS, record_audit
from selfassess.accounts.models import Role
from tests import factories
from tests.factories import PASSWORD
from tests.support import Browser, text_of


async def test_admin_sees_log_ins_failures_and_account_changes_newest_first(
    client: Browser, world: factories.World
) -> None:
    await client.post("/login", {"email": world.officer_a.email, "password": "not the password"})
    await client.login(world.officer_a.email)
    await client.logout()
    await client.login(world.admin_a.email)
    await client.post(
        f"/admin/users/{world.officer_a2.id}",
        {
            "full_name": world.officer_a2.full_name,
            "email": world.officer_a2.email,
            "role": "council_admin",
            "is_active": "true",
        },
    )

    page = html.unescape(text_of((await client.get("/admin/audit")).text))
    assert "Audit log" in page
    for seen in (
        "Failed sign-in",
        "Signed in",
        "Signed out",
        "Role changed",
        "Quality officer -> Council admin",
    ):
        assert seen in page, seen
    assert "Oscar Officer" in page, "the account a change was about is named, not just numbered"
    table = page.split("IP address", 1)[1]  # past the filter's list of event types
    assert table.index("Role changed") < table.index("Signed out") < table.index("Failed sign-in"), (
        "newest first"
    )


async def test_another_councils_events_are_never_shown(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN, name="Bob B-Admin")
    async with browsers() as other:
        await other.login(world.officer_b.email)
        await other.logout()
        await other.login(admin_b.email)
        await other.post(
            f"/admin/users/{world.officer_b.id}",
            {
                "full_name": world.officer_b.full_name,
                "email": world.officer_b.email,
                "role": "council_admin",
                "is_active": "true",
            },
        )
    for _ in range(5):  # council B's officer gets paused: the paused log-in has no actor
        await client.post("/login", {"email": world.officer_b.email, "password": "wrong guess"})
    await client.post("/login", {"email": world.officer_b.email, "password": PASSWORD})
    record_audit(db, "framework.chosen", organisation_id=world.council_b.id, detail="B's own choice")
    await db.commit()

    await client.login(world.admin_a.email)
    page = text_of((await client.get("/admin/audit", htmx=True)).text)  # the events, not the filter
    assert "Ada Admin" in page and "Signed in" in page
    for hidden in ("Bea Officer", "Bob B-Admin", world.officer_b.email, "B's own choice", "Role changed"):
        assert hidden not in page, hidden
    assert "paused" not in page
    options = (await client.get("/admin/audit")).text
    # The filter offers the service's fixed vocabulary of events, never kinds read from the log.
    assert all(f'<option value="{event}"' in options for event in AUDIT_EVENT_LABELS)

    filtered = text_of((await client.get("/admin/audit?event=user.role_changed")).text)
    assert "No events of this type." in filtered


async def test_each_organisation_sees_its_own_peoples_events_only(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:  # type: ignore[no-untyped-def]
    """A council works with a provider, but its sign-ins are the provider's business (and back)."""
    provider_admin = await factories.user(
        db, world.provider_2, Role.PROVIDER_ADMIN, name="Pia Provider-Admin"
    )
    for _ in range(6):  # the sixth is refused before the password is even checked
        await client.post("/login", {"email": world.manager_2.email, "password": "wrong guess"})
    await client.post("/login", {"email": world.officer_a.email, "password": "wrong guess"})
    async with browsers() as browser:
        await browser.login(provider_admin.email)
        page = text_of((await browser.get("/admin/audit")).text)
        assert "Max Manager" in page and "Failed sign-in" in page
        assert "Sign-in paused after repeated failures" in page, "found by the account's e-mail"
        assert "Olive Officer" not in page
    async with browsers() as browser:
        await browser.login(world.admin_a.email)
        page = text_of((await browser.get("/admin/audit", htmx=True)).text)  # the events, not the filter
        assert "Olive Officer" in page and "Failed sign-in" in page
        assert "Max Manager" not in page and "paused" not in page


async def test_filter_by_event_type_and_htmx_gets_only_the_results(
    client: Browser, world: factories.World
) -> None:
    await client.post("/login", {"email": world.officer_a2.email, "password": "not the password"})
    await client.login(world.admin_a.email)
    page = await client.get("/admin/audit")
    assert 'value="login.failed"' in page.text and "Failed sign-in" in page.text

    response = await client.get("/admin/audit?event=login.failed", htmx=True)
    assert response.text.lstrip().startswith('<div id="results">')
    listed = text_of(response.text)
    assert "Failed sign-in" in listed and "Oscar Officer" in listed
    assert "Signed in" not in listed


async def test_paged_fifty_at_a_time_newest_first(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    for n in range(60):
        record_audit(db, "service.updated", actor=world.officer_a, detail=f"change number {n:02d}")
        await db.flush()
    await db.commit()
    await client.login(world.admin_a.email)
    first = await client.get("/admin/audit?event=service.updated")
    shown = text_of(first.text)
    assert "change number 59" in shown and "change number 10" in shown and "change number 09" not in shown
    assert "Newest events" not in shown
    older = re.search(r'href="(/admin/audit\?event=service.updated&amp;before=[^"]+)"', first.text)
    assert older is not None
    second = text_of((await client.get(html.unescape(older.group(1)))).text)
    assert "change number 09" in second and "change number 00" in second and "change number 10" not in second
    assert "Newest events" in second and "Older events" not in second
    garbled = text_of((await client.get("/admin/audit?event=service.updated&before=yesterday")).text)
    assert "change number 59" in garbled, "a cursor that cannot be read starts from the newest"


async def test_audit_log_is_for_council_admins_only(client: Browser, world: factories.World) -> None:
    for person in (world.officer_a, world.manager_1):
        await client.login(person.email)
        assert (await client.get("/admin/audit")).status_code == 403
        assert "Audit log" not in (await client.get("/services")).text, "no link to it either"
        await client.logout()
    await client.login(world.admin_a.email)
    assert 'href="/admin"' in (await client.get("/services")).text
    assert 'href="/admin/audit"' in (await client.get("/admin")).text


async def test_an_event_without_a_label_is_refused(db: AsyncSession) -> None:
    with pytest.raises(ValueError, match="AUDIT_EVENT_LABELS"):
        record_audit(db, "service.teleported")
