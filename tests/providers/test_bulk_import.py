# ruff: noqa: E501  (the rows of a spreadsheet read best one to a line)
"""Bulk import of services and provider organisations from CSV: a dry run that says what every row
would do, an import that re-checks the file, invitations only on confirmation, and nothing changed
by importing the same file twice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.accounts.models import AccountLink, Organisation, Role, User
from selfassess.notifications.models import OutboxEmail
from selfassess.providers.bulk import (
    MAX_IMPORT_BYTES,
    FileProblem,
    ImportKind,
    RowAction,
    SourceRow,
    plan_providers,
    read_csv,
)
from selfassess.providers.bulk_import import ProviderSnapshot
from selfassess.providers.models import CareService, CouncilProvider, ServiceType
from selfassess.settings import Settings
from tests import factories
from tests.accounts.mail import mailed_link
from tests.mail_sink import SmtpSink
from tests.support import Browser, text_of

SERVICES_HEADER = "name,service_type,provider,address_line1,address_line2,town,postcode,capacity,cqc_location_id,officer_email\n"


def services_file(world: factories.World) -> bytes:
    """Every kind of mistake, beside good rows: one new, one update of Alpha House, one unchanged."""
    alpha = world.alpha
    lines = [
        # 2: new
        "Cedar Court,Care home with nursing,Provider One,1 Cedar Road,,Northbridge,nb2 3cd,40,1-555000001,officer.a@example.org",
        # 3: Alpha House matched by its CQC location ID, capacity changed
        f"Alpha House,care_home,Provider One,{alpha.address_line1},,Northbridge,NB1 1AA,35,{alpha.cqc_location_id},",
        # 4: Beta Homecare matched by name and postcode, nothing different
        f"Beta Homecare,Homecare agency,Provider Two,{world.beta.address_line1},,Northbridge,NB1 1AA,,,",
        # 5: bad postcode
        "Dale View,Care home without nursing,Provider One,2 Dale Road,,Northbridge,NOT A CODE,10,,",
        # 6: unknown service type
        "Elm Lodge,Hospice,Provider One,3 Elm Road,,Northbridge,NB1 2EL,10,,",
        # 7: duplicate of line 2 (same CQC location ID)
        "Cedar Court Annexe,Care home with nursing,Provider One,1 Cedar Road,,Northbridge,NB2 3CD,5,1-555000001,",
        # 8: missing required field (town)
        "Fir House,Care home without nursing,Provider One,4 Fir Road,,,NB1 2FH,10,,",
        # 9: provider not on the council's register
        "Gorse Hall,Care home without nursing,Nobody Ltd,5 Gorse Road,,Northbridge,NB1 2GH,10,,",
        # 10: location belongs to council B's Gamma Lodge
        f"Gamma Copy,Care home without nursing,Provider Two,6 Road,,Northbridge,NB1 2GC,10,{world.gamma.cqc_location_id},",
        # 11: capacity not a number
        "Holly House,Care home without nursing,Provider One,7 Holly Road,,Northbridge,NB1 2HH,lots,,",
        # 12: officer from another council
        "Ivy House,Care home without nursing,Provider One,8 Ivy Road,,Northbridge,NB1 2IH,10,,officer.b@example.org",
        # 13: a town longer than the column holds
        "Juniper House,Care home without nursing,Provider One,9 Juniper Road,," + "N" * 101 + ",NB1 2JH,10,,",
        "",  # a blank line at the end, as spreadsheets leave
    ]
    return (SERVICES_HEADER + "\n".join(lines)).encode()


async def _upload(client: Browser, kind: str, content: bytes, filename: str = "register.csv"):  # type: ignore[no-untyped-def]
    if client.csrf_token is None:
        await client.client.get("/login")
    return await client.client.post(
        f"/admin/import/{kind}",
        data={"_csrf_token": client.csrf_token},
        files={"file": (filename, content, "text/csv")},
    )


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


async def _confirm(client: Browser, kind: str, preview_html: str):  # type: ignore[no-untyped-def]
    return await client.post(
        f"/admin/import/{kind}/confirm",
        {
            "content": _hidden(preview_html, "content"),
            "digest": _hidden(preview_html, "digest"),
            "filename": "register.csv",
        },
        follow_redirects=False,
    )


def _row(html: str, line: int) -> str:
    match = re.search(rf'<tr id="line-{line}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no line {line}"
    return text_of(match.group(1))


# --- the file as a whole ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
        (b"name\x00type\n", "not a text file"),
        ("name,service_type\nCaf\u00e9,x\n".encode("cp1252"), "not in UTF-8 (line 2"),
        (b"title,kind,where\nA,B,C\n", "it has no column “name”"),
        (b"name,cqc_provider_id,contact_email\nA,,\n", "looks like a file of provider organisations"),
        (SERVICES_HEADER.encode(), "no rows to import"),
        (b"x" * (MAX_IMPORT_BYTES + 1), "the largest we take is 2 MB"),
    ],
)
def test_a_file_that_is_not_a_services_csv_is_refused_with_what_to_do(content: bytes, message: str) -> None:
    with pytest.raises(FileProblem, match=re.escape(message)):
        read_csv(content, ImportKind.SERVICES)


def test_header_names_are_forgiving_and_a_bom_is_ignored() -> None:
    rows = read_csv(
        "\ufeffName, Service Type ,PROVIDER,Address line1,town,postcode\nA,b,c,d,e,f\n".encode(),
        ImportKind.SERVICES,
    )
    assert rows[0].cells["service_type"] == "b" and rows[0].line == 2


def test_provider_rows_say_what_they_would_do() -> None:
    snapshot = ProviderSnapshot(
        registered_by_name={"known ltd": 1},
        registered_by_cqc_id={"1-100000001": 1},
        elsewhere_names=frozenset({"elsewhere ltd"}),
        elsewhere_cqc_ids=frozenset(),
        taken_emails=frozenset({"taken@example.org"}),
    )
    cells = [
        {"name": "New Ltd", "admin_full_name": "Sam Lee", "admin_email": "Sam@Example.org"},
        {
            "name": "Other",
            "cqc_provider_id": "1-100000001",
            "admin_full_name": "A",
            "admin_email": "a@example.org",
        },
        {"name": "Elsewhere Ltd"},
        {"name": "Taken Ltd", "admin_full_name": "T", "admin_email": "taken@example.org"},
        {"name": "Half Ltd", "admin_email": "half@example.org"},
        {"name": "new ltd"},
        {"name": "Bad Ltd", "cqc_provider_id": "12345"},
    ]
    plan = plan_providers([SourceRow(i + 2, c) for i, c in enumerate(cells)], snapshot)
    actions = [(row.action, row.reason) for row in plan.rows]
    assert actions[0] == (
        RowAction.CREATE,
        "New organisation on your register. sam@example.org is invited as its first admin.",
    )
    assert actions[1][0] is RowAction.UNCHANGED and "no invitation is sent" in actions[1][1]
    assert actions[2][0] is RowAction.ERROR and "Already in selfassess with another council" in actions[2][1]
    assert actions[3] == (RowAction.ERROR, "taken@example.org already has a selfassess account.")
    assert actions[4][0] is RowAction.ERROR and "full name and e-mail" in actions[4][1]
    assert actions[5] == (
        RowAction.ERROR,
        "Duplicate in the file: line 2 has the same organisation or admin.",
    )
    assert actions[6][0] is RowAction.ERROR and "not a CQC provider ID" in actions[6][1]


# --- through the pages -------------------------------------------------------------------------------


async def test_services_dry_run_lists_every_row_then_imports_and_a_second_import_changes_nothing(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    content = services_file(world)
    before = await db.scalar(select(func.count(CareService.id)))

    preview = await _upload(client, "services", content)
    assert preview.status_code == 200
    html = preview.text
    assert await db.scalar(select(func.count(CareService.id))) == before, "a dry run changes nothing"
    assert "Create" in _row(html, 2) and "New service" in _row(html, 2)
    assert "Update" in _row(html, 3) and "capacity: 30 → 35" in _row(html, 3)
    assert "Unchanged" in _row(html, 4)
    assert "“NOT A CODE” is not a UK postcode" in _row(html, 5)
    assert "Unknown service type “Hospice”" in _row(html, 6)
    assert "Duplicate in the file: line 2" in _row(html, 7)
    assert "“town” is required" in _row(html, 8)
    assert "Provider “Nobody Ltd” not found on your council's register" in _row(html, 9)
    assert "already a service in another council's area" in _row(html, 10)
    assert "Capacity “lots” is not a whole number" in _row(html, 11)
    assert "No active officer at your council has the e-mail address" in _row(html, 12)
    assert "“town” is longer than 100 characters" in _row(html, 13)
    assert "Import 2 rows" in text_of(html)

    done = await _confirm(client, "services", html)
    assert done.status_code == 303 and done.headers["location"] == "/services"
    await db.commit()  # see what the app committed
    cedar = await db.scalar(select(CareService).where(CareService.name == "Cedar Court"))
    assert cedar is not None
    assert (cedar.council_id, cedar.postcode, cedar.service_type, cedar.assigned_officer_id) == (
        world.council_a.id,
        "NB2 3CD",
        ServiceType.CARE_HOME_NURSING,
        world.officer_a.id,
    )
    assert await db.scalar(select(CareService.capacity).where(CareService.id == world.alpha.id)) == 35
    listed = text_of((await client.get("/services")).text)
    assert (
        "Imported register.csv: 1 created, 1 updated, 1 unchanged. 9 row(s) with errors were left out"
        in listed
    )

    again = await _upload(client, "services", content)
    assert "Importing this file would change nothing" in text_of(again.text)
    assert "Unchanged" in _row(again.text, 2) and "Unchanged" in _row(again.text, 3)
    assert 'action="/admin/import/services/confirm"' not in again.text
    assert await db.scalar(select(func.count(CareService.id))) == before + 1


async def test_blank_optional_cells_leave_stored_values_and_a_row_matched_by_name_updates_in_place(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    content = (
        SERVICES_HEADER + "Beta Homecare,Homecare agency,Provider Two,2 New Street,,Northbridge,NB1 1AA,,,\n"
    ).encode()
    preview = await _upload(client, "services", content)
    assert "address line 1: " in _row(preview.text, 2) and "→ 2 New Street" in _row(preview.text, 2)
    assert (await _confirm(client, "services", preview.text)).status_code == 303
    await db.commit()
    beta = (
        await db.execute(
            select(CareService.address_line1, CareService.capacity, CareService.cqc_location_id).where(
                CareService.id == world.beta.id
            )
        )
    ).one()
    assert beta == ("2 New Street", 30, world.beta.cqc_location_id)


async def test_confirming_checks_the_file_again_and_shows_a_changed_plan_first(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    content = (
        SERVICES_HEADER
        + "Cedar Court,Care home with nursing,Provider One,1 Cedar Road,,Northbridge,NB2 3CD,40,,\n"
    ).encode()
    preview = await _upload(client, "services", content)
    # Someone adds the same service by hand after the preview.
    await factories.service(db, world.council_a, world.provider_1, name="Cedar Court")
    await db.execute(
        CareService.__table__.update().where(CareService.name == "Cedar Court").values(postcode="NB2 3CD")
    )
    await db.commit()

    stale = await _confirm(client, "services", preview.text)
    assert stale.status_code == 200
    await db.commit()
    assert "The records changed since you checked this file" in text_of(stale.text)
    assert "Update" in _row(stale.text, 2)
    assert await db.scalar(select(func.count(CareService.id)).where(CareService.name == "Cedar Court")) == 1

    tampered = await client.post(
        "/admin/import/services/confirm", {"content": "not base64!", "digest": "x"}, follow_redirects=False
    )
    assert tampered.status_code == 422 and "The file did not come through" in tampered.text


async def test_bad_files_are_answered_in_the_page_never_with_a_500(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    workbook = await _upload(client, "services", b"PK\x03\x04rest-of-a-zip", "register.xlsx")
    assert workbook.status_code == 422
    assert "register.xlsx: This is an Excel workbook, not a CSV file" in text_of(workbook.text)
    wrong = await _upload(client, "providers", SERVICES_HEADER.encode() + b"A,b,c,d,,e,f,,,\n")
    assert "looks like a file of care services" in text_of(wrong.text)
    huge = await _upload(client, "services", b"name\n" + b"x" * (MAX_IMPORT_BYTES + 10))
    assert huge.status_code == 422 and "the largest we take is 2 MB" in text_of(huge.text)
    nothing = await client.client.post(
        "/admin/import/services",
        data={"_csrf_token": client.csrf_token},
        files={"file": ("", b"", "text/csv")},
    )
    assert nothing.status_code == 422 and "Choose a CSV file to upload" in nothing.text
    assert (await _upload(client, "visits", b"a\n")).status_code == 404


async def test_template_downloads_and_reimports_cleanly(client: Browser, world: factories.World) -> None:
    await client.login(world.admin_a.email)
    response = await client.get("/admin/import/template/providers.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert (
        response.text.lstrip("\ufeff").splitlines()[0]
        == "name,cqc_provider_id,contact_email,admin_full_name,admin_email"
    )
    preview = await _upload(client, "providers", response.content)
    assert "Create" in _row(preview.text, 2)


async def test_providers_import_invites_first_admins_only_on_confirmation_and_only_once(
    client: Browser,
    browsers,  # type: ignore[no-untyped-def]
    db: AsyncSession,
    engine: AsyncEngine,
    world: factories.World,
    mail_settings: Settings,
    sink: SmtpSink,
) -> None:
    await client.login(world.admin_a.email)
    content = (
        b"name,cqc_provider_id,contact_email,admin_full_name,admin_email\n"
        b"Willow Care Ltd,1-200000001,office@willow.example,Wendy Willow,wendy@willow.example\n"
        b"Provider One,,,,\n"
        b"Provider Two,,,Ann Other,ann@other.example\n"
        b"Willow Care Ltd,,,,\n"
        b",1-200000002,,,\n"
    )
    preview = await _upload(client, "providers", content)
    assert "Create" in _row(preview.text, 2) and "wendy@willow.example is invited" in _row(preview.text, 2)
    assert "Unchanged" in _row(preview.text, 3)
    assert "no invitation is sent" in _row(preview.text, 4)
    assert "Duplicate in the file: line 2" in _row(preview.text, 5)
    assert "“name” is required" in _row(preview.text, 6)
    assert await db.scalar(select(func.count(OutboxEmail.id))) == 0, "nothing is sent by a dry run"

    assert (await _confirm(client, "providers", preview.text)).status_code == 303
    await db.commit()
    willow = await db.scalar(select(Organisation).where(Organisation.name == "Willow Care Ltd"))
    assert willow is not None and willow.cqc_provider_id == "1-200000001"
    assert await db.get(CouncilProvider, (world.council_a.id, willow.id)) is not None
    wendy = await db.scalar(select(User).where(User.email == "wendy@willow.example"))
    assert wendy is not None and wendy.role is Role.PROVIDER_ADMIN and wendy.password_hash is None

    # The invitation is the ordinary single-use link: it sets Wendy's password.
    link = await mailed_link(engine, mail_settings, sink, "wendy@willow.example")
    async with browsers() as wendys:
        page = await wendys.get(link)
        assert page.status_code == 200
        token = link.split("token=")[1]
        done = await wendys.post(
            "/set-password",
            {
                "token": token,
                "new_password": "a long new password",
                "confirm_password": "a long new password",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303
        await wendys.login("wendy@willow.example", "a long new password")
        assert "Willow Care Ltd" in (await wendys.get("/home")).text

    again = await _upload(client, "providers", content)
    assert "Unchanged" in _row(again.text, 2)
    assert "Importing this file would change nothing" in text_of(again.text)
    await db.commit()
    assert await db.scalar(select(func.count(AccountLink.id))) == 1
    assert (
        await db.scalar(select(func.count(Organisation.id)).where(Organisation.name == "Willow Care Ltd"))
        == 1
    )


async def test_only_council_admins_import_and_only_into_their_own_council(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    assert (await client.get("/admin/import")).status_code == 403
    refused = await client.post("/admin/import/services/confirm", {"content": "", "digest": ""})
    assert refused.status_code == 403
    await client.logout()

    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN, email="admin.b@example.org")
    await client.login(admin_b.email)
    # Council B's admin names council A's service and council A's own provider: A's records are
    # not B's to update, and a provider not on B's register is not found.
    content = (
        SERVICES_HEADER
        + f"Alpha House,care_home,Provider One,1 Road,,Town,NB1 1AA,99,{world.alpha.cqc_location_id},\n"
        + "Gamma Lodge,care_home,Provider Two,1 Road,,Northbridge,NB1 1AA,99,,\n"
    ).encode()
    preview = await _upload(client, "services", content)
    assert "Provider “Provider One” not found on your council's register" in _row(preview.text, 2)
    assert "Update" in _row(preview.text, 3)  # council B's own Gamma Lodge
    assert (await _confirm(client, "services", preview.text)).status_code == 303
    await db.commit()
    assert await db.scalar(select(CareService.capacity).where(CareService.id == world.alpha.id)) == 30
    assert await db.scalar(select(CareService.capacity).where(CareService.id == world.gamma.id)) == 99
