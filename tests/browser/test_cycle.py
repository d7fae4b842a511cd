"""The whole cycle in a real browser: a provider fills in and submits a self-assessment, two people
edit one statement at once, an officer reviews, visits, scores and shares a draft report, the two
views are compared, action plans are proposed and worked through by both sides, and the public sees
the published ratings.

The server and its demo data are shared by the whole browser suite and tests may run in any order,
so every journey either makes what it needs through the UI first (a new service with a name of its
own) or works on a demo record that no other test changes:

- Brightwater Homecare Northbridge's draft self-assessment: only the provider journey (it submits it);
- Eastmoor Lodge and Willow Court, which have no self-assessment yet: only the conflict journey and
  the test of saves at the same moment, each starting one;
- Rose Lane House's plan, action "Follow audit actions through to completion": only the joint plan;
- Hollybank's published visit of last cycle, which has no plan: only the plan proposal;
- Rose Lane House's published visit, its comparison and the public pages: read only.

Waits are event-driven, never fixed sleeps. What a request brings (an autosave's status, a swapped
card, the next page) is waited for with ``arrives``: Playwright's own wait checks on every animation
frame, where ``expect`` retries only after 100, 250 and 500 ms and then once a second, which would
add most of a second to every autosave. ``expect`` is for checking what is already there.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import DESKTOP, LiveServer, _new_context
from tests.browser.harness import (
    MANAGER,
    OFFICER,
    check_accessibility,
    focused,
    login,
    screenshot,
    settle,
)
from tests.browser.phone import PHONE

DEPUTY = "deputy@brightwater.example"  # Tom Becker, Brightwater Care Ltd's deputy manager
MANAGER_NAME, DEPUTY_NAME, OFFICER_NAME = "Rose Adeyemi", "Tom Becker", "Owen Clarke"
HOMECARE = "Brightwater Homecare Northbridge"

# The smallest file a PDF reader opens: enough for the upload's check of the contents.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# --- helpers ---------------------------------------------------------------------------------------


def arrives(locator: Locator) -> Locator:
    """Wait until the thing a request brings is on the page (see the module's docstring)."""
    locator.wait_for()
    return locator


def at(page: Page, title: str | re.Pattern[str]) -> None:
    """Wait for the page whose main heading this is, settled (see ``settle``)."""
    arrives(page.get_by_role("heading", level=1, name=title, exact=isinstance(title, str)))
    settle(page)


def told(page: Page, text: str) -> None:
    """Wait for the flash message that says this."""
    arrives(page.locator(".flashes").filter(has_text=text))


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def mark_page(page: Page) -> None:
    """Leave a mark on the loaded document; ``assert_not_reloaded`` finds it only if no page load
    happened since (htmx swapped a part of the page)."""
    page.evaluate(
        """() => { window.__sameDocument = "kept";
                   document.querySelector("main h1").dataset.probe = "kept"; }"""
    )


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate(
        """() => window.__sameDocument === "kept"
                 && document.querySelector("main h1").dataset.probe === "kept" """
    ), "the page was loaded again: htmx should have swapped only a part of it"


def accept_confirmations(page: Page) -> None:
    """Buttons with hx-confirm ask first; say yes."""
    page.on("dialog", lambda dialog: dialog.accept())


def submit_after_checking(page: Page) -> None:
    """From a self-assessment's overview: check the answers, then submit."""
    page.get_by_role("link", name="Check your answers and submit").click()
    at(page, "Check your answers before submitting")
    page.get_by_role("button", name="Submit self-assessment").click()
    told(page, "Submitted.")


def status_tag(page: Page) -> Locator:
    return page.locator(".page-header .tag").first


def statement(page: Page, title: str) -> Locator:
    """One statement's card on a key question page (an article named by its title)."""
    return page.get_by_role("article", name=title, exact=True)


def score_radio(card: Locator, value: int) -> Locator:
    return card.get_by_role("radio", name=re.compile(rf"^{value}: "))


def saved(card: Locator, by: str | None = None) -> Locator:
    """Wait for the statement's autosave to say it saved (by this person)."""
    text = re.compile(rf"Saved .+ by {by}" if by else r"Saved ")
    return arrives(card.locator(".save-status--saved").filter(has_text=text))


def fits_a_phone(page: Page, name: str) -> list[str]:
    """Show the page 390px wide (a phone); returns what sticks out sideways, not counting tables
    and charts in their own scrolling boxes. The page goes back to its desktop size."""
    page.set_viewport_size(PHONE)
    try:
        screenshot(page, f"phone-{name}")
        too_wide = page.evaluate(
            """() => Array.from(document.querySelectorAll("main *"))
                .filter(el => !el.closest(".table-wrap, .chart"))
                .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
                                       + ": " + (el.textContent || "").trim().slice(0, 40))"""
        )
        width = page.evaluate("() => document.documentElement.scrollWidth")
        return too_wide + ([f"the page is {width}px wide"] if width > PHONE["width"] else [])
    finally:
        page.set_viewport_size(DESKTOP)


def open_service(page: Page, name: str) -> str:
    """From the services list (wherever signing in landed): the service's page. Returns its path."""
    page.goto("/services")
    page.locator("#results").get_by_role("link", name=name, exact=True).click()
    at(page, name)
    return path_of(page)


def add_service(page: Page, name: str) -> str:
    """As council staff: a new care home of Brightwater Care Ltd in Northbridge. Returns its path."""
    page.goto("/services/new")
    page.get_by_label("Service name").fill(name)
    page.get_by_label("Type of service").select_option(label="Care home without nursing")
    page.get_by_label("Provider organisation").select_option(label="Brightwater Care Ltd")
    page.get_by_label("Address line 1").fill("1 Larch Lane")
    page.get_by_label("Town or city").fill("Northbridge")
    page.get_by_label("Postcode").fill("NB4 7JC")
    page.get_by_role("button", name="Add service").click()
    at(page, name)
    return path_of(page)


def start_self_assessment(page: Page, service_path: str) -> str:
    """As the provider: start this period's self-assessment from the service page. Returns its path."""
    page.goto(service_path)
    page.get_by_role("button", name="Start a self-assessment").click()
    at(page, re.compile(r"^Self-assessment \d{4}.\d{2}$"))
    told(page, "Your self-assessment has started.")
    return path_of(page)


def score_this_page(page: Page, value: int) -> None:
    """Score every statement on this key question page that has no score yet, with the keyboard:
    Space on the radio picks the score, Enter saves the statement at once (as "Save now" does,
    without autosave's pause). Someone quick moves on before a save comes back: the saves overlap,
    as in test_statements_saved_at_the_same_moment_are_all_saved, and each must arrive."""
    arrives(page.locator("form.answer-form").first)
    unscored = page.evaluate(
        """() => Array.from(document.querySelectorAll("form.answer-form"))
            .filter(form => !form.querySelector("input[type=radio]:checked"))
            .map(form => {
                const number = form.id.split("-").pop();
                document.getElementById("save-status-" + number).dataset.before = "yes";
                return [form.id, number];
            })"""
    )
    for form_id, _ in unscored:
        page.locator(f"#{form_id} input[type=radio][value='{value}']").press("Space")
        page.keyboard.press("Enter")
    for _, number in unscored:
        arrives(page.locator(f"#save-status-{number}.save-status--saved:not([data-before])"))
    settle(page)


def score_every_page(page: Page, value: int, *, values: dict[str, int] | None = None) -> None:
    """From a key question page: score what is unscored here and on every later key question,
    following the "next" link; ``values`` gives other scores for some key questions (by title)."""
    while True:
        score_this_page(page, (values or {}).get(page.locator("main h1").inner_text(), value))
        following = page.get_by_role("navigation", name="Previous and next key question").locator(
            "a[rel=next]"
        )
        if not following.count():
            return
        next_title = following.inner_text().rstrip(" →")
        following.click()
        at(page, next_title)


# --- the provider ----------------------------------------------------------------------------------


def test_provider_fills_in_the_self_assessment_with_autosave_evidence_and_submits_it(page: Page) -> None:
    login(page, DEPUTY)
    open_service(page, HOMECARE)
    arrives(
        page.locator("#assessments-panel").get_by_role("link", name=re.compile("Self-assessment"))
    ).click()
    at(page, re.compile(r"^Self-assessment "))
    overview = page.url
    expect(page.locator("#progress")).to_contain_text("12 of 34")  # the demo's draft: Safe and four more
    page.get_by_role("link", name="Caring", exact=True).click()
    at(page, "Caring")
    check_accessibility(page, "provider-assessment-key-question")

    # Answer two statements: htmx saves each as it is typed and updates the counter in place.
    mark_page(page)
    kindness = statement(page, "Kindness, compassion and dignity")
    expect(kindness.locator("[id^=save-status-]")).to_have_text("Not answered yet")
    score_radio(kindness, 4).check()
    kindness_text = f"Relatives' survey: 96% say staff are kind. Mealtime spot checks. {uuid.uuid4().hex[:6]}"
    kindness.get_by_label("How you meet this statement").fill(kindness_text)
    saved(kindness, by=DEPUTY_NAME)
    arrives(page.locator("#progress").filter(has_text="13 of 34"))
    individuals = statement(page, "Treating people as individuals")
    score_radio(individuals, 3).check()
    individuals.get_by_label("What you plan to improve (optional)").fill(
        "Life-story work for everyone by March."
    )
    saved(individuals)
    arrives(page.locator("#progress").filter(has_text="14 of 34"))
    assert_not_reloaded(page)
    settle(page)
    screenshot(page, "provider-assessment-autosaved")
    assert not (problems := fits_a_phone(page, "assessment-key-question")), problems

    # A reload shows what the server kept.
    page.reload()
    kindness = statement(page, "Kindness, compassion and dignity")
    expect(score_radio(kindness, 4)).to_be_checked()
    expect(kindness.get_by_label("How you meet this statement")).to_have_value(kindness_text)
    expect(score_radio(statement(page, "Treating people as individuals"), 3)).to_be_checked()
    expect(page.locator("#progress")).to_contain_text("14 of 34")

    # Evidence: a note, then a PDF, each listed under the statement without a page load.
    mark_page(page)
    evidence = kindness.locator("section.evidence")
    evidence.get_by_text("Add evidence").click()
    note = "Mealtime observation, October: 12 of 12 positive."
    evidence.get_by_label("Describe a piece of evidence").fill(note)
    evidence.get_by_role("button", name="Add note").click()
    arrives(evidence.locator(".evidence-list li").filter(has_text=note))
    evidence.get_by_text("Add evidence").click()
    evidence.get_by_label("Attach a file").set_input_files(
        {"name": "dignity-audit.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    evidence.get_by_role("button", name="Upload").click()
    arrives(evidence.get_by_role("link", name="dignity-audit.pdf"))
    expect(evidence.locator(".evidence-list > li")).to_have_count(2)
    assert_not_reloaded(page)
    screenshot(page, "provider-assessment-evidence")

    # Checking the answers before submitting lists what is missing, each a link to its statement.
    page.get_by_role("link", name="Back to the overview").click()
    at(page, re.compile(r"^Self-assessment "))
    expect(page).to_have_url(overview)
    page.get_by_role("link", name="Check your answers and submit").click()
    at(page, "Check your answers before submitting")
    missing = arrives(page.locator(".error-summary"))
    expect(missing).to_contain_text("Score every statement before submitting")
    expect(missing).to_contain_text("20 statements are not scored yet")
    expect(missing.get_by_role("link")).to_have_count(20)
    expect(missing).to_be_focused()  # a screen reader hears the problem first
    screenshot(page, "provider-submit-missing")
    check_accessibility(page, "provider-submit-missing")
    first = missing.get_by_role("link").first
    expect(first).to_have_text("E5 Monitoring and improving outcomes")
    first.click()
    at(page, "Effective")
    expect(page).to_have_url(re.compile(r"/questions/E#statement-\d+$"))
    expect(statement(page, "Monitoring and improving outcomes")).to_be_in_viewport()

    # Fill in the rest (a click per statement), then check the answers, change one, and submit.
    score_every_page(page, 3)
    page.get_by_role("link", name="Back to the overview").click()
    arrives(page.locator("#progress").filter(has_text="34 of 34"))
    page.get_by_role("link", name="Check your answers and submit").click()
    at(page, "Check your answers before submitting")
    expect(page.locator(".error-summary")).to_have_count(0)
    for question in ("Safe", "Effective", "Caring", "Responsive", "Well-led"):
        expect(page.get_by_role("heading", name=question, exact=True)).to_be_visible()
    kindness_row = page.locator(".check-list__row").filter(has_text="Kindness, compassion and dignity")
    expect(kindness_row).to_contain_text("4: Exceptional standard")
    expect(kindness_row).to_contain_text("2 pieces of evidence")
    screenshot(page, "provider-check-answers")
    check_accessibility(page, "provider-check-answers")
    kindness_row.get_by_role("link", name=re.compile("^Change")).click()
    at(page, "Caring")
    expect(statement(page, "Kindness, compassion and dignity")).to_be_in_viewport()
    page.go_back()
    at(page, "Check your answers before submitting")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "provider-check-answers-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Submit self-assessment").click()
    at(page, "Self-assessment submitted")
    told(page, f"Submitted. {HOMECARE}'s self-assessment is now with the council.")
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(status_tag(page)).to_have_text(re.compile(r"^Submitted"))
    page.get_by_role("link", name="See your self-assessment").click()
    expect(page.get_by_role("link", name="Check your answers and submit")).to_have_count(0)
    screenshot(page, "provider-assessment-submitted")


def test_two_people_saving_one_statement_see_both_versions_and_lose_nothing(
    page: Page, new_page: Callable[[], Page]
) -> None:
    """Eastmoor Lodge (Brightwater's home in Eastmoor's area) has no self-assessment in the demo."""
    manager = page
    login(manager, MANAGER)
    safe = start_self_assessment(manager, open_service(manager, "Eastmoor Lodge")) + "/questions/S"
    manager.goto(safe)
    deputy = new_page()
    login(deputy, DEPUTY)
    deputy.goto(safe)  # both have the statement as it was: nobody has saved it yet

    managers_words = "Falls are reviewed every Monday by the clinical lead."
    mine = statement(manager, "Learning culture")
    score_radio(mine, 3).check()
    mine.get_by_label("How you meet this statement").fill(managers_words)
    saved(mine, by=MANAGER_NAME)

    deputys_words = "The weekly falls review lapsed in August; restarted in October."
    theirs = statement(deputy, "Learning culture")
    mark_page(deputy)
    score_radio(theirs, 2).check()
    theirs.get_by_label("How you meet this statement").fill(deputys_words)
    conflict = arrives(theirs.locator(".conflict"))
    expect(conflict).to_have_attribute("role", "alert")
    expect(conflict).to_contain_text(f"Not saved: {MANAGER_NAME} saved a different version at")
    saved_card = conflict.locator(".card").filter(has_text="The saved version")
    yours_card = conflict.locator(".card").filter(has_text="Your version (not saved)")
    expect(saved_card).to_contain_text(managers_words)
    expect(saved_card).to_contain_text("3: Good standard")
    expect(yours_card).to_contain_text(deputys_words)
    expect(yours_card).to_contain_text("2: Some shortfalls")
    # Nothing typed is lost: the deputy's words are still in the box as well as in the panel.
    expect(theirs.get_by_label("How you meet this statement")).to_have_value(deputys_words)
    screenshot(deputy, "assessment-conflict")
    check_accessibility(deputy, "assessment-conflict")

    conflict.get_by_role("button", name="Keep the saved version").click()
    saved(theirs, by=MANAGER_NAME)
    expect(theirs.locator(".conflict")).to_have_count(0)
    expect(theirs.get_by_label("How you meet this statement")).to_have_value(managers_words)
    expect(score_radio(theirs, 3)).to_be_checked()
    assert_not_reloaded(deputy)
    # The statement came back with the saved version number, so the deputy's next edit saves
    # ("Save now" saves at once, without autosave's pause).
    theirs.get_by_label("How you meet this statement").fill(managers_words + " Checked by Tom.")
    theirs.get_by_role("button", name="Save now").click()
    saved(theirs, by=DEPUTY_NAME)

    # The other choice: keep one's own version, knowingly replacing the colleague's.
    mine = statement(manager, "Safe systems, pathways and transitions")
    mine.get_by_label("How you meet this statement").fill("Discharge letters are filed the same day.")
    mine.get_by_role("button", name="Save now").click()
    saved(mine)
    theirs = statement(deputy, "Safe systems, pathways and transitions")
    theirs.get_by_label("How you meet this statement").fill("Discharge letters are filed within 24 hours.")
    theirs.get_by_role("button", name="Save now").click()
    arrives(theirs.locator(".conflict")).get_by_role("button", name="Save my version instead").click()
    saved(theirs, by=DEPUTY_NAME)
    manager.reload()
    expect(
        statement(manager, "Safe systems, pathways and transitions").get_by_label(
            "How you meet this statement"
        )
    ).to_have_value("Discharge letters are filed within 24 hours.")


def test_statements_saved_at_the_same_moment_are_all_saved(browser: Browser, live_server: LiveServer) -> None:
    """Overlapping saves are everyday use: someone types in one statement and picks a score in the
    next within autosave's 0.8 s pause, or two colleagues save at the same moment. Here the eight
    statements of a key question are sent at once; every one must be saved. On Willow Court
    Supported Living (Hollybank Homes), which has no self-assessment in the demo."""
    # A context of its own: the server errors this test provokes are its finding, not a page problem.
    context = _new_context(browser, live_server)
    try:
        manager = context.new_page()
        login(manager, "manager@hollybank.example")
        service = open_service(manager, "Willow Court Supported Living")
        manager.goto(start_self_assessment(manager, service) + "/questions/S")
        answers: list[int] = []
        manager.on(
            "response", lambda response: "/answers/" in response.url and answers.append(response.status)
        )
        manager.evaluate(
            """() => document.querySelectorAll("form.answer-form").forEach(form => {
                form.querySelector("input[type=radio][value='3']").checked = true;
                htmx.trigger(form, "submit");
            })"""
        )
        manager.wait_for_function("() => !document.querySelector('.htmx-request')")
        statuses = manager.locator("[id^=save-status-]").all_inner_texts()
        assert answers == [200] * 8, f"answers to the eight saves: {sorted(answers)}; on the page: {statuses}"
        manager.reload()
        expect(manager.locator("#progress")).to_contain_text("8 of 34")
    finally:
        context.close()


# --- the officer -----------------------------------------------------------------------------------


def test_officer_reviews_visits_scores_blind_locks_and_shares_the_draft_report(
    page: Page, new_page: Callable[[], Page]
) -> None:
    """On a service of its own: the provider submits, the officer returns it with a question, the
    provider submits again, the officer marks it reviewed, logs a concern, schedules a reactive visit
    from it, scores blind, locks (after being told what is missing), and shares the draft report."""
    name = f"Alder House {uuid.uuid4().hex[:6]}"
    officer = page
    accept_confirmations(officer)
    login(officer, OFFICER)
    service = add_service(officer, name)

    manager = new_page()
    login(manager, MANAGER)
    assessment = start_self_assessment(manager, service)
    manager.get_by_role("link", name="Safe", exact=True).click()
    at(manager, "Safe")
    narrative = "Falls are analysed monthly by time and place; learning shared at handovers."
    learning = statement(manager, "Learning culture")
    learning.get_by_label("How you meet this statement").fill(narrative)
    saved(learning)
    score_every_page(manager, 3)
    manager.goto(assessment)
    submit_after_checking(manager)

    # Review: return it with a question (the comment is required), then mark it reviewed.
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews").click()
    officer.get_by_role("link", name=name).click()
    at(officer, re.compile(r"^Self-assessment "))
    expect(officer.get_by_role("table")).to_contain_text("Hidden until visit scores are locked")  # blind
    officer.get_by_role("button", name="Return to provider").click()
    arrives(officer.locator(".error-summary"))
    question = "Please add the falls analysis for the last quarter as evidence."
    officer.get_by_label("What more information is needed").fill(question)
    officer.get_by_role("button", name="Return to provider").click()
    told(officer, f"Returned to {name} for more information.")

    manager.goto(assessment)
    expect(manager.locator(".notice--warning")).to_contain_text(question)
    submit_after_checking(manager)

    officer.reload()
    officer.get_by_role("button", name="Mark as reviewed").click()
    told(officer, "Marked as reviewed.")
    expect(status_tag(officer)).to_have_text(re.compile(r"^Reviewed"))

    # A concern, and a reactive visit scheduled from it.
    officer.goto(service)
    arrives(officer.get_by_role("link", name="Log a concern")).click()
    officer.get_by_label("Where the concern came from").select_option(label="Relative or carer")
    officer.get_by_label("Date received").fill(date.today().isoformat())
    officer.get_by_label("Summary").fill("Call bells not answered at night")
    officer.get_by_label("Severity").select_option(label="High")
    officer.get_by_role("button", name="Log concern").click()
    at(officer, "Call bells not answered at night")
    officer.get_by_role("link", name="Schedule a reactive visit").click()
    at(officer, "Schedule a visit")
    expect(officer.get_by_label("Type of visit")).to_have_value("reactive")
    expect(officer.get_by_label("Call bells not answered at night")).to_be_checked()
    expect(officer.get_by_label("Announced: the provider is told the date")).not_to_be_checked()
    officer.get_by_label("Date of the visit").fill(date.today().isoformat())
    officer.get_by_role("button", name="Schedule visit").click()
    at(officer, re.compile(r"^Reactive visit, "))
    told(officer, f"Visit to {name} scheduled for")
    visit = path_of(officer)

    # Blind scoring: the provider's narrative is beside each statement, their score is not.
    officer.get_by_role("link", name="Safe", exact=True).click()
    at(officer, "Safe")
    expect(officer.locator("main")).to_contain_text("Blind scoring: the provider's own scores stay hidden")
    learning = statement(officer, "Learning culture")
    provider_view = learning.get_by_role("complementary")
    expect(provider_view).to_contain_text("Hidden until you lock your scores")
    expect(provider_view).to_contain_text(narrative)
    # With the keyboard: Space picks a score, the arrow keys move it, Tab goes on to the findings.
    mark_page(officer)
    score_radio(learning, 1).focus()
    officer.keyboard.press("Space")
    officer.keyboard.press("ArrowDown")
    expect(score_radio(learning, 2)).to_be_checked()
    officer.keyboard.press("Tab")
    assert focused(officer)["id"].startswith("findings-"), focused(officer)
    officer.keyboard.type("Falls analysis had not been done since August.")
    saved(learning, by=OFFICER_NAME)
    arrives(officer.locator("#progress").filter(has_text="1 of 34"))
    assert_not_reloaded(officer)
    screenshot(officer, "officer-visit-scoring")
    check_accessibility(officer, "officer-visit-scoring")

    # Locking too early lists what is missing; score the rest, then lock.
    officer.get_by_role("link", name="Back to the visit").click()
    at(officer, re.compile(r"^Reactive visit, "))
    officer.get_by_role("button", name="Lock scores").click()
    missing = arrives(officer.locator(".error-summary"))
    expect(missing).to_contain_text("Score every statement before locking")
    expect(missing.get_by_role("link")).to_have_count(33)
    screenshot(officer, "officer-lock-missing")
    missing.get_by_role("link").first.click()
    at(officer, "Safe")
    score_every_page(officer, 3, values={"Safe": 2})
    officer.goto(visit)
    expect(officer.locator("#progress")).to_contain_text("34 of 34")
    officer.get_by_role("button", name="Lock scores").click()
    told(officer, "Scores locked. The provider's own scores are now shown beside yours.")
    officer.get_by_role("link", name="Safe", exact=True).click()
    at(officer, "Safe")
    expect(statement(officer, "Learning culture").get_by_role("complementary")).to_contain_text(
        "3: Good standard"
    )

    # The summary autosaves; then the draft goes to the provider for factual accuracy.
    officer.goto(visit)
    officer.get_by_label("Overall summary").fill("A caring home; falls learning and safe systems need work.")
    arrives(officer.locator("#summary-status").filter(has_text="Summary saved"))
    settle(officer)
    officer.get_by_role("button", name="Share draft report with the provider").click()
    told(officer, f"Draft report shared with {name}. Factual accuracy comments are due by")
    expect(status_tag(officer)).to_have_text(re.compile(r"^Draft shared"))
    officer.get_by_role("link", name="Draft report", exact=True).click()
    at(officer, "Draft visit report")
    expect(officer.locator("main")).to_contain_text(
        "A caring home; falls learning and safe systems need work."
    )
    screenshot(officer, "officer-draft-report")
    check_accessibility(officer, "officer-draft-report")

    # The provider now sees the draft (it was unannounced) and may raise factual accuracy points.
    manager.goto(service)
    arrives(manager.locator("#visits-panel").get_by_role("link").first).click()
    at(manager, "Draft visit report")
    expect(manager.get_by_role("heading", name="Raise a factual accuracy point")).to_be_visible()
    screenshot(manager, "provider-draft-report")
    check_accessibility(manager, "provider-draft-report")


def _open_published_visit(page: Page, service: str) -> None:
    """As council staff, from the services list: the service's published visit."""
    open_service(page, service)
    visits = page.locator("#visits-panel")
    arrives(visits.get_by_role("row").filter(has_text="Published").get_by_role("link")).click()
    at(page, re.compile(r"^Proactive visit, "))


def test_officer_compares_the_published_visit_with_the_self_assessment(page: Page) -> None:
    login(page, OFFICER)
    _open_published_visit(page, "Rose Lane House")
    page.get_by_role("link", name="Compare with the self-assessment").click()
    at(page, "Self-assessment compared with visit")

    views = page.locator(".grid-3 .card")
    for title in ("Provider's self-rating", "Council officer's rating", "CQC rating"):
        card = views.filter(has=page.get_by_role("heading", name=title, exact=True))
        expect(card).to_contain_text(re.compile("Outstanding|Good|Requires improvement|Inadequate"))
    expect(views.nth(2)).to_contain_text("Good")  # Rose Lane House's CQC rating
    key_questions = page.get_by_role("table", name="Key questions: each side's percentage and rating")
    expect(key_questions.locator("tbody tr")).to_have_count(5)
    statements = page.get_by_role("table", name="Each statement: the provider's score and the officer's")
    expect(statements.locator("tbody tr th[scope=row]")).to_have_count(34)  # each statement heads its row
    chart = page.locator("svg#key-question-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    assert chart.locator("rect").count() >= 10, "a self and an officer bar per key question"
    screenshot(page, "officer-comparison")
    check_accessibility(page, "officer-comparison")
    assert not (problems := fits_a_phone(page, "comparison")), problems


def test_the_visit_page_fits_a_phone_screen(page: Page) -> None:
    login(page, OFFICER)
    _open_published_visit(page, "Rose Lane House")
    assert not (problems := fits_a_phone(page, "visit-overview")), problems


def test_officer_proposes_an_action_plan_from_a_published_visit(page: Page) -> None:
    """Hollybank's report of last cycle is published and has no plan yet."""
    login(page, OFFICER)
    _open_published_visit(page, "Hollybank")
    page.get_by_role("button", name="Propose an action plan").click()
    at(page, "Improvement action plan")
    told(page, "Proposed an action plan for Hollybank.")
    expect(status_tag(page)).to_have_text(re.compile(r"^Draft"))
    cards = page.locator(".action-card")
    expect(cards.filter(has_text="R3 Providing information")).to_have_count(1)  # scored 2 at the visit
    expect(cards.filter(has_text="E5 Monitoring and improving outcomes")).to_have_count(1)
    screenshot(page, "officer-proposed-plan")
    check_accessibility(page, "officer-proposed-plan")


def test_provider_and_officer_work_the_agreed_plan_action_by_action(
    page: Page, new_page: Callable[[], Page]
) -> None:
    login(page, MANAGER)
    open_service(page, "Rose Lane House")
    arrives(page.locator("#plans-panel").get_by_role("link", name=re.compile("^Plan of "))).click()
    at(page, "Improvement action plan")
    plan = path_of(page)
    overdue = page.get_by_role("group", name="Make time-critical medicines safe")
    expect(overdue).to_contain_text(re.compile(r"Overdue by \d+ days?"))
    screenshot(page, "provider-action-plan")
    check_accessibility(page, "provider-action-plan")
    assert not (problems := fits_a_phone(page, "action-plan")), problems

    # Each change comes back as just that action's card.
    title = "Follow audit actions through to completion"
    card = page.get_by_role("group", name=title)
    card.locator("summary.action-header").click()  # the cards start collapsed under the plan's summary table
    expect(card.locator(".tag").first).to_have_text("Not started")
    mark_page(page)
    card.evaluate("card => { window.__oldCard = card; }")
    card.get_by_role("button", name="Mark in progress").click()
    arrives(card.locator(".tag").first.filter(has_text="In progress"))
    assert card.evaluate("card => card !== window.__oldCard && !document.contains(window.__oldCard)"), (
        "htmx replaced the action's card"
    )
    card.get_by_text("Add a progress note or evidence").click()
    progress = "Audit tracker now has an owner and a date for every action."
    card.get_by_label("Note").fill(progress)
    card.get_by_role("button", name="Add note").click()
    arrives(card.locator(".notes li").filter(has_text=progress))
    card.get_by_role("button", name="Mark completed").click()
    arrives(card.locator(".tag").first.filter(has_text=re.compile(r"^Completed")))
    expect(card.get_by_role("button", name="Verify")).to_have_count(0)  # only the council signs off
    assert_not_reloaded(page)
    screenshot(page, "provider-action-updated")

    officer = new_page()
    login(officer, OFFICER)
    officer.goto(plan)
    card = officer.get_by_role("group", name=title)
    card.locator("summary.action-header").click()
    expect(card).to_contain_text(progress)
    mark_page(officer)
    card.get_by_role("button", name="Verify").click()
    arrives(card.locator(".tag").first.filter(has_text="Verified"))
    expect(card.get_by_role("button", name="Verify")).to_have_count(0)
    assert_not_reloaded(officer)
    expect(officer.get_by_role("group", name="Make time-critical medicines safe")).to_contain_text(
        re.compile(r"Overdue by \d+ days?")
    )
    screenshot(officer, "officer-action-verified")
    check_accessibility(officer, "officer-action-plan")


# --- the public ------------------------------------------------------------------------------------


def test_the_public_finds_a_services_published_and_cqc_ratings(page: Page) -> None:
    page.goto("/public")
    at(page, "Care service ratings")
    check_accessibility(page, "public-councils")
    page.get_by_role("link", name="Northbridge Council").click()
    at(page, "Care services in Northbridge Council's area")
    results = page.locator("#results")
    expect(results).to_contain_text("Meadowview Day Centre")  # rated by CQC, not yet by the council

    # Filtering swaps the results only, and the address follows (for sharing and going back).
    mark_page(page)
    with page.expect_response(lambda response: "rating=good" in response.url):
        page.get_by_label("Council rating").select_option(label="Good")
    arrives(page.locator("#results").get_by_role("link", name="Rose Lane House"))
    expect(page.locator("#results")).not_to_contain_text("Meadowview Day Centre")
    expect(page).to_have_url(re.compile(r"rating=good"))
    with page.expect_response(lambda response: "rating=inadequate" in response.url):
        page.get_by_label("Council rating").select_option(label="Inadequate")
    arrives(page.locator("#results").filter(has_text="No services match."))
    with page.expect_response(lambda response: "rating=good" in response.url):
        page.get_by_label("Council rating").select_option(label="Good")
    assert_not_reloaded(page)
    screenshot(page, "public-council")
    check_accessibility(page, "public-council")

    arrives(page.locator("#results").get_by_role("link", name="Rose Lane House")).click()
    at(page, "Rose Lane House")
    council = page.locator(".card").filter(has=page.get_by_role("heading", name="Council rating"))
    expect(council).to_contain_text("Good")
    expect(council).to_contain_text("From Northbridge Council's visit on")
    cqc = page.locator(".card").filter(has=page.get_by_role("heading", name="CQC rating"))
    expect(cqc).to_contain_text("Good")
    expect(page.get_by_role("table", name="Ratings by area").locator("tbody tr")).to_have_count(5)
    screenshot(page, "public-service")
    check_accessibility(page, "public-service")
    assert not (problems := fits_a_phone(page, "public-service")), problems
