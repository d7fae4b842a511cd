"""Adoption and the yearly round in a real browser: a council admin imports provider organisations
from a CSV file (dry run, then confirm, then the first admin's invitation arrives); a provider starts
the demo's open round from last year's answers, which stay marked until edited; the council follows
completion down to the services behind a figure.

Works on demo records no other browser test changes: Meadowview Day Centre's self-assessments, and
provider organisations with names of their own."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.harness import ADMIN, check_accessibility, login, screenshot

MEADOWVIEW = "admin@meadowview.example"


def test_council_admin_imports_providers_from_a_csv_after_a_dry_run(
    page: Page, live_server: LiveServer
) -> None:
    suffix = uuid.uuid4().hex[:6]
    email = f"first-admin-{suffix}@example.org"
    content = (
        "name,cqc_provider_id,contact_email,admin_full_name,admin_email\n"
        f"Larch Care {suffix},,,Lara Larch,{email}\n"
        "Brightwater Care Ltd,,,,\n"
        ",,,,\n"
        "Nameless,,not-an-address,,\n"
    )
    login(page, ADMIN)
    page.goto("/admin")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import from a spreadsheet")
    check_accessibility(page, "import-upload")
    page.get_by_label("CSV file of provider organisations").set_input_files(
        {"name": "providers.csv", "mimeType": "text/csv", "buffer": content.encode()}
    )
    page.locator("#import-providers").locator("xpath=..").get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import of provider organisations")
    rows = page.locator("tbody tr")
    expect(rows.nth(0)).to_contain_text(f"{email} is invited as its first admin")
    expect(rows.nth(1)).to_contain_text("Already on your register")
    expect(rows.nth(2)).to_contain_text("An e-mail address is not valid")
    check_accessibility(page, "import-preview")
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import 1 row").click()

    expect(page.get_by_role("status").filter(has_text="Imported providers.csv")).to_contain_text(
        "1 created, 0 updated, 1 unchanged. 1 row(s) with errors were left out"
    )
    expect(page.locator("#results")).to_contain_text(f"Larch Care {suffix}")
    received = [message for message in live_server.send_mail() if message["To"] == email]
    assert received and "/set-password?token=" in received[-1].get_content()


def test_provider_starts_the_round_from_last_years_answers_and_the_council_sees_it(
    page: Page, new_page
) -> None:  # type: ignore[no-untyped-def]
    login(page, MEADOWVIEW)
    round_card = page.locator("section", has_text="self-assessment 2026/27")
    expect(round_card).to_contain_text("Deadline:")
    expect(round_card).to_contain_text("Meadowview Day Centre: not started")
    screenshot(page, "round-provider-home")
    round_card.get_by_role("button", name="Start from 2025/26's answers").click()
    expect(page).to_have_url(re.compile(r"/assessments/\d+$"))

    page.goto(page.url + "/questions/S")
    marked = page.get_by_text("Carried over, unchanged since last year")
    expect(marked).to_have_count(8)
    check_accessibility(page, "round-carried-over")
    narrative = page.locator("textarea[name=narrative]").first
    narrative.fill("This year we added a falls-prevention lead.")
    expect(page.locator("[id^=save-status-]").first).to_contain_text("Saved")
    expect(marked).to_have_count(7)
    screenshot(page, "round-carried-over")

    council = new_page()
    login(council, ADMIN)
    council.goto("/home")
    council.get_by_role("link", name="2026/27").click()
    expect(council.get_by_role("heading", level=1)).to_have_text("Self-assessment round 2026/27")
    check_accessibility(council, "round-completion")
    screenshot(council, "round-completion")
    by_provider = council.locator("table", has_text="Meadowview Community Trust")
    by_provider.locator("tr", has_text="Meadowview").locator(
        "td[data-label='Started, not submitted'] a"
    ).click()
    expect(council.locator("tbody tr")).to_have_count(1)
    expect(council.locator("tbody")).to_contain_text("Meadowview Day Centre")
