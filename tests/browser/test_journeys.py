"""Journeys through the real app in a real browser, one per kind of person.

The server is shared by the whole browser suite, so a journey that adds something gives it a name
of its own and never counts on being first.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.harness import (
    ADMIN,
    MANAGER,
    OFFICER,
    check_accessibility,
    focused,
    login,
    logout,
    screenshot,
    settle,
)


def test_provider_manager_sees_only_their_own_services(page: Page) -> None:
    login(page, MANAGER)
    expect(page).to_have_url(re.compile(r"/home$"))
    home = page.get_by_role("main")
    for own in ("Rose Lane House", "Eastmoor Lodge"):
        expect(home.get_by_role("region", name=own)).to_be_visible()
    expect(home).not_to_contain_text("Hollybank")
    screenshot(page, "provider-home")
    check_accessibility(page, "provider-home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    expect(page).to_have_url(re.compile(r"/services$"))
    results = page.locator("#results")
    # Brightwater runs services in two councils' areas; it sees all of its own and nobody else's.
    for own in ("Rose Lane House", "Brightwater Homecare Northbridge", "Eastmoor Lodge"):
        expect(results).to_contain_text(own)
    for other in ("Hollybank", "Willow Court", "Meadowview"):
        expect(results).not_to_contain_text(other)
    expect(page.get_by_role("link", name="Add a service")).to_have_count(0)
    screenshot(page, "provider-services")
    check_accessibility(page, "provider-services")

    page.get_by_role("link", name="Rose Lane House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rose Lane House")
    screenshot(page, "provider-service")
    check_accessibility(page, "provider-service")


def test_officer_searches_live_and_adds_a_service_after_fixing_a_mistake(page: Page) -> None:
    login(page, OFFICER)
    page.goto("/services")
    results = page.locator("#results")
    expect(results).to_contain_text("Rose Lane House")
    expect(results).not_to_contain_text("Eastmoor Lodge")  # another council's area
    check_accessibility(page, "officer-services")

    # Live search: htmx fetches the results alone and swaps only #results; the page stays put.
    page.evaluate(
        """() => { window.__samePage = true;
                   window.__oldResults = document.getElementById("results");
                   document.querySelector("h1").dataset.probe = "kept"; }"""
    )
    with page.expect_response(lambda response: "/services?q=holly" in response.url) as answer:
        page.get_by_label("Name, town, postcode or provider").fill("holly")
    response = answer.value
    assert response.request.headers.get("hx-request") == "true"
    assert response.text().lstrip().startswith('<div id="results">'), "the server sent the results only"
    expect(results).to_contain_text("Hollybank")
    expect(results).not_to_contain_text("Rose Lane House")
    expect(page).to_have_url(re.compile(r"/services\?q=holly"))
    assert page.evaluate(
        """() => window.__samePage === true
                 && document.querySelector("h1").dataset.probe === "kept"
                 && document.getElementById("results") !== window.__oldResults"""
    ), "only #results was replaced: no page load, the heading is the same element"
    assert focused(page)["id"] == "field-q", "typing carries on in the search box"
    screenshot(page, "officer-live-search")

    page.get_by_role("link", name="Add a service").click()
    expect(page).to_have_url(re.compile(r"/services/new$"))
    name = f"Juniper Court {uuid.uuid4().hex[:6]}"
    page.get_by_label("Service name").fill(name)
    page.get_by_label("Type of service").select_option(label="Care home without nursing")
    page.get_by_label("Provider organisation").select_option(label="Hollybank Homes")
    page.get_by_label("Address line 1").fill("3 Juniper Way")
    page.get_by_label("Town or city").fill("Northbridge")
    page.get_by_label("Postcode").fill("NOT A POSTCODE")
    page.get_by_role("button", name="Add service").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a real UK postcode")
    link = summary.get_by_role("link", name=re.compile("Enter a real UK postcode"))
    expect(link).to_have_attribute("href", "#field-postcode")
    expect(page.get_by_label("Service name")).to_have_value(name)  # nothing typed is lost
    expect(page.get_by_label("Postcode")).to_have_value("NOT A POSTCODE")
    expect(page.get_by_label("Postcode")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "officer-add-service-error")
    check_accessibility(page, "officer-add-service-error")

    link.click()
    assert focused(page)["id"] == "field-postcode", "the error links to the field and focuses it"
    page.get_by_label("Postcode").fill("NB4 7JC")
    page.get_by_role("button", name="Add service").click()
    expect(page).to_have_url(re.compile(r"/services/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text(f"Added {name}.")
    screenshot(page, "officer-service-added")
    check_accessibility(page, "officer-service-added")


def test_council_admin_invites_a_newcomer_who_follows_the_emailed_link(
    page: Page, new_page: Callable[[], Page], live_server: LiveServer
) -> None:
    login(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("main").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    check_accessibility(page, "admin-accounts")
    page.get_by_role("link", name="Invite someone").click()
    email = f"newcomer-{uuid.uuid4().hex[:6]}@northbridge.example"
    page.get_by_label("Full name").fill("Nadia Newcomer")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Job title (optional)").fill("Quality performance officer")
    page.get_by_label("Role", exact=True).select_option(label="Quality officer")
    check_accessibility(page, "admin-add-account")
    page.get_by_role("button", name="Send the invitation").click()

    notice = page.get_by_role("status").filter(has_text="Invited Nadia Newcomer")
    expect(notice).to_contain_text(f"we have e-mailed {email} a link")
    expect(page.locator("#results")).to_contain_text(email)
    expect(page.locator("#results")).to_contain_text("Invited")
    screenshot(page, "admin-account-invited")

    received = [message for message in live_server.send_mail() if message["To"] == email]
    assert received, "the invitation went through the mail server"
    found = re.search(r"http://[^\s]+/set-password\?token=[\w-]+", received[-1].get_content())
    assert found, received[-1].get_content()

    newcomer = new_page()
    newcomer.goto(found.group(0))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Set up your account")
    screenshot(newcomer, "newcomer-sets-password")
    check_accessibility(newcomer, "newcomer-sets-password")
    newcomer.get_by_label("New password", exact=True).fill("a long and memorable phrase")
    newcomer.get_by_label("Type the new password again").fill("a long and memorable phrase")
    newcomer.get_by_role("button", name="Set my password").click()
    expect(newcomer).to_have_url(re.compile(r"/login\?password_set=true$"))
    expect(newcomer.get_by_role("status")).to_contain_text("Your password is set.")
    login(newcomer, email, "a long and memorable phrase")
    expect(newcomer).to_have_url(re.compile(r"/home$"))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Your work")

    newcomer.goto(found.group(0))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(newcomer.locator(".error-summary")).to_contain_text("This link has already been used.")
    screenshot(newcomer, "used-link-refused")


def test_council_admin_reviews_the_audit_log(page: Page) -> None:
    login(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("#results")).to_contain_text("Signed in")
    check_accessibility(page, "admin-audit-log")
    with page.expect_response(lambda response: "event=login.succeeded" in response.url):
        page.get_by_label("Type of event").select_option("login.succeeded")
    expect(page).to_have_url(re.compile(r"/admin/audit\?event=login\.succeeded"))
    settle(page)
    expect(page.locator("#results tbody tr").first).to_contain_text("Signed in")
    expect(page.locator("#results")).not_to_contain_text("Signed out")
    screenshot(page, "admin-audit-log")


def test_signing_out_ends_the_session(page: Page) -> None:
    login(page, MANAGER)
    logout(page)
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    screenshot(page, "signed-out")
    check_accessibility(page, "signed-out")
    page.goto("/services")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fservices$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login"))
