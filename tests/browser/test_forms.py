"""Forms that fail in place: the error is in view, beside the form, and the address bar keeps the
page's own address (so a reload shows the page again, not "That action is not allowed here").

These journeys use the demo's reactive visit to Brightwater Homecare Northbridge, brought to a
shared draft report by ``tests/browser/draft_report.py``; no other browser test touches it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.harness import MANAGER, focused, login, settle

ROOT = Path(__file__).resolve().parents[2]
ISSUE_SHOTS = ROOT / "artifacts" / "issue11"


def _shared_draft(server: LiveServer) -> int:
    finished = subprocess.run(
        [sys.executable, "-m", "tests.browser.draft_report"],
        cwd=server.data_dir,
        env={**server.environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 0, finished.stderr
    return int(finished.stdout.strip().splitlines()[-1])


def _in_viewport(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
                           return box.top >= 0 && box.bottom <= window.innerHeight; }""",
        selector,
    )


def test_an_empty_factual_accuracy_point_fails_in_view(page: Page, live_server: LiveServer) -> None:
    visit = _shared_draft(live_server)
    login(page, MANAGER)
    page.goto(f"/visits/{visit}/report")
    page.get_by_role("button", name="Send to the officer").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Your factual accuracy point is required.")
    settle(page)
    ISSUE_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ISSUE_SHOTS / "failed-point-after.png", animations="disabled", caret="initial")
    assert _in_viewport(page, ".error-summary"), "the error summary is out of sight"
    assert focused(page)["id"] == "error-summary", focused(page)
    expect(page).to_have_url(re.compile(rf"/visits/{visit}/report$"))

    # Reloading shows the report again, not an error page.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft visit report")
