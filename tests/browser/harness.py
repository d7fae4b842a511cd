"""One-line helpers for browser journeys: screenshots, accessibility checks, signing in and out.

    login(page, OFFICER)
    screenshot(page, "officer-services")          # artifacts/screenshots/officer-services.png
    check_accessibility(page, "officer-services") # axe-core + labels; fails on serious problems

Screenshots and accessibility reports are test artefacts under artifacts/ at the repository root.
SELFASSESS_SCREENSHOTS=0 leaves the screenshots out (CI does: it keeps no artefacts, and a full-page
PNG of a long page costs up to a second).
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from selfassess.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ACCESSIBILITY_REPORTS = ROOT / "artifacts" / "accessibility"
TAKE_SCREENSHOTS = os.environ.get("SELFASSESS_SCREENSHOTS", "1") != "0"
AXE_FILE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core, from the npm registry

# The demo data set's people (password for all: DEMO_PASSWORD).
ADMIN = "admin@northbridge.example"
OFFICER = "officer@northbridge.example"
MANAGER = "manager@brightwater.example"  # Brightwater Care Ltd, in Northbridge and Eastmoor

FAILING_IMPACTS = ("serious", "critical")
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
AXE_TAGS = (*WCAG_TAGS, "best-practice")


def settle(page: Page) -> None:
    """Wait until the page has loaded and htmx has finished: no request in flight and no swap
    still settling. Content htmx has just swapped in (as a boosted link's next page) is live only
    once it has settled: a key pressed before then submits a form the old way, with a page load."""
    page.wait_for_function(
        """() => document.readyState === "complete"
                 && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-added, .htmx-settling")"""
    )


def screenshot(page: Page, name: str, *, folder: Path = SCREENSHOTS, full_page: bool = True) -> None:
    """``folder``/``name``.png of the page once htmx has settled (the whole page unless ``full_page``
    is false: then what is in view)."""
    settle(page)
    if not TAKE_SCREENSHOTS:
        return
    folder.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret makes Playwright add an inline style, which the app's
    # Content-Security-Policy blocks and the page reports as an error at its next htmx swap.
    page.screenshot(path=folder / f"{name}.png", full_page=full_page, animations="disabled", caret="initial")


@cache
def _axe_source() -> str:
    return AXE_FILE.read_text()


def check_accessibility(
    page: Page,
    name: str,
    *,
    exclude: tuple[str, ...] = (),
    tags: tuple[str, ...] = AXE_TAGS,
    skip_rules: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.2 A/AA and best practice) and the label check on the page as it is now.
    Fails on serious or critical violations; every finding is kept in artifacts/accessibility/.
    ``exclude``: CSS selectors of parts to leave out; ``tags``, ``skip_rules``: which axe rules run."""
    settle(page)
    # Put in only where a check runs (through DevTools, so the app's Content-Security-Policy stays
    # on): as an init script, every page of every browser test compiled its 600 kB.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(
        """async ([exclude, tags, skip]) => {
            const context = exclude.length ? {include: [document], exclude: exclude.map(s => [s])} : document;
            const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
            const options = {resultTypes: ["violations"], runOnly: {type: "tag", values: tags}, rules};
            const result = await axe.run(context, options);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        [list(exclude), list(tags), list(skip_rules)],
    )
    unlabelled = unlabelled_fields(page)
    ACCESSIBILITY_REPORTS.mkdir(parents=True, exist_ok=True)
    report = {"url": page.url, "violations": violations, "unlabelled_fields": unlabelled}
    (ACCESSIBILITY_REPORTS / f"{name}.json").write_text(json.dumps(report, indent=2))

    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if failing or unlabelled:
        lines = [f"Accessibility problems on {name} ({page.url}):"]
        for violation in failing:
            lines.append(
                f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
            )
            for node in violation["nodes"][:5]:
                summary = node["summary"].replace("\n", "\n          ")
                lines.append(f"      at {node['target']}: {summary}")
        lines += [f"  [label] no accessible name: {field}" for field in unlabelled]
        raise AssertionError("\n".join(lines))
    return violations


def unlabelled_fields(page: Page) -> list[str]:
    """Form fields a screen reader would announce without a name."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("input, select, textarea"))
            .filter(el => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
            .filter(el => {
                const byLabel = Array.from(el.labels || []).some(label => label.textContent.trim());
                const byAria = (el.getAttribute("aria-label") || "").trim();
                const byIds = (el.getAttribute("aria-labelledby") || "").split(/\\s+/)
                    .map(id => id && document.getElementById(id))
                    .some(named => named && named.textContent.trim());
                return !(byLabel || byAria || byIds);
            })
            .map(el => el.outerHTML.slice(0, 160))"""
    )


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    settle(page)


def logout(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login\?signed_out=true"))


def focused(page: Page) -> dict[str, str]:
    """The element that has keyboard focus: its tag, id and text."""
    return page.evaluate(
        """() => { const el = document.activeElement;
                   const text = (el.textContent || "").trim();
                   return {tag: el.tagName.toLowerCase(), id: el.id || "", text: text}; }"""
    )
