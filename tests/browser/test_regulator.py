"""A council admin imports Northbridge's area from the CQC in the browser: the preview fills in by
itself (htmx), reads well at 1280 and 390 px, and confirming creates, matches and updates services.

The CQC is a local fake served over HTTP; the service under test is a demo server of its own,
pointed at the fake with a subscription key (the shared demo server has no key, as a fresh install)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, LiveServer, _new_context, _wait_until_healthy, _watch, demo_server
from tests.browser.harness import ADMIN, check_accessibility, login, screenshot
from tests.browser.phone import PHONE
from tests.regulator.fake_cqc import KEY, FakeCQC, location_json, serving

TREES = ("Oak", "Elm", "Ash", "Yew", "Fir")


def northbridge() -> FakeCQC:
    """Ten new services, Willow Court (typed in by hand, no CQC ID yet) and Rose Lane House."""
    fake = FakeCQC()
    for number in range(10):
        fake.add(
            location_json(
                f"1-30000000{number:02d}",
                f"1-40000000{number % 3}",
                name=f"{TREES[number % 5]} {'House' if number < 5 else 'Lodge'}",
                postcode=f"NB{number % 5 + 1} {number}QT",
                care_home=number % 3 != 2,
            ),
            provider_name=("Northshire Care", "Kindly Homes Ltd", "Helping Hands at Home")[number % 3],
        )
    fake.add(
        location_json(
            "1-1000000004",
            "1-2000000002",
            name="Willow Court Supported Living",
            postcode="NB3 9ML",
            care_home=False,
        )
    )
    fake.add(
        location_json(
            "1-1000000001", "1-2000000001", name="Rose Lane House", postcode="NB1 4RL", nursing=True
        )
    )
    return fake


@pytest.fixture(scope="module")
def regulator_server(tmp_path_factory: pytest.TempPathFactory, demo_data: Path) -> Iterator[LiveServer]:
    """A server of its own (the import changes the area), on a copy of the loaded demo."""
    with (
        serving(northbridge()) as base_url,
        demo_server(
            tmp_path_factory,
            demo_data,
            "regulator-server",
            SELFASSESS_CQC_API_BASE_URL=base_url,
            SELFASSESS_CQC_SUBSCRIPTION_KEY=KEY,
        ) as server,
    ):
        _wait_until_healthy(server)
        yield server


@pytest.fixture
def admin_page(browser: Browser, regulator_server: LiveServer) -> Iterator[Page]:
    context = _new_context(browser, regulator_server)
    problems: list[str] = []
    yield _watch(context.new_page(), problems)
    context.close()
    assert not problems, "The browser reported errors:\n" + "\n".join(problems)


def test_an_admin_imports_the_area_from_the_cqc(admin_page: Page) -> None:
    page = admin_page
    login(page, ADMIN)
    page.goto("/admin")
    page.get_by_role("link", name="Regulator (CQC) data").click()
    expect(page.get_by_role("heading", name="Regulator (CQC) data", level=1)).to_be_visible()
    last_sync = page.get_by_text("212 locations changed at the CQC, 1 service refreshed")  # the demo's
    expect(last_sync).to_be_visible()
    expect(page.get_by_label("Local authority")).to_have_value("Northbridge")
    screenshot(page, "regulator-admin")
    check_accessibility(page, "regulator-admin")
    page.get_by_role("button", name="Preview the area").click()

    expect(page.get_by_role("heading", name="What confirming will do")).to_be_visible(timeout=15000)
    expect(page.get_by_role("link", name="New service: 10")).to_be_visible()
    expect(page.get_by_role("link", name="Matched to a service you had: 1")).to_be_visible()
    expect(page.get_by_role("link", name="Update: 1")).to_be_visible()
    screenshot(page, "regulator-preview")
    check_accessibility(page, "regulator-preview")
    page.set_viewport_size(PHONE)
    screenshot(page, "regulator-preview-390")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "no sideways scroll"
    )
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Confirm: create or update 12 services").click()
    expect(
        page.get_by_text("Imported from the CQC: 10 new service(s), 1 matched, 1 updated.")
    ).to_be_visible()
    page.get_by_role("link", name="Matched to a service you had: 1").click()
    expect(page).to_have_url(re.compile(r"plan=match"))
    page.get_by_role("link", name="Willow Court Supported Living").click()
    expect(page.get_by_role("heading", name="Willow Court Supported Living")).to_be_visible()
    panel = page.locator("#regulator-panel")
    expect(panel).to_contain_text("Registered managerJane Smith")
    screenshot(page, "regulator-service-panel")
