"""Crawl the demo as one person on a 390 px phone and say which pages scroll sideways.

A page fails when the document is wider than the screen, or when a box inside it (a table, a chart)
scrolls sideways and so hides some of its columns; each failure names the page and the elements
that stick out. The crawl follows same-origin links from the start pages (the home page and the
navigation, then every page it finds), GET only, never a download, sign-out or the API, up to a
bound, so it visits every page of the demo without following every row of every list.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}

# Not pages: files, the API, sign-out; and paging or sorting of lists already visited.
_SKIP = re.compile(
    r"^/(static|api|schema|logout|health)\b|\.(csv|pdf|json|yaml|png|svg)$|/(download|export|pdf)\b|/files?/"
)
# One address per kind of page: /services/3 and /services/5 are the same template, so a crawl
# visits a few of each (the demo's different states) rather than every row.
_SAME_KIND = re.compile(r"\d+")
PER_KIND = 2

# What sticks out: the widest few elements past the right edge, and boxes scrolling sideways.
_MEASURE = """() => {
    const width = document.documentElement.clientWidth;
    const classes = el => typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes(el);
    const right = el => Math.round(el.getBoundingClientRect().right);
    const text = el => (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 50);
    const outside = Array.from(document.querySelectorAll("body *"))
        .filter(el => el.getBoundingClientRect().right > width + 1)
        .filter(el => !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1))
        .slice(0, 4).map(el => `${name(el)} ends at ${right(el)}px: "${text(el)}"`);
    const scrolling = Array.from(document.querySelectorAll("body *"))
        .filter(el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX))
        .filter(el => el.scrollWidth > el.clientWidth + 1)
        .slice(0, 4)
        .map(el => `${name(el)} scrolls sideways (${el.scrollWidth} in ${el.clientWidth}px): "${text(el)}"`);
    return {scrollWidth: document.documentElement.scrollWidth, outside, scrolling};
}"""


@dataclass
class Crawl:
    visited: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)


def _kind(path: str) -> str:
    return _SAME_KIND.sub("N", urlsplit(path).path)


def _wait_for_panels(page: Page) -> None:
    """Sections that htmx loads after the page (a service's panels) are part of the page."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request') && !Array.from("
        "document.querySelectorAll('[hx-trigger^=load]')).some(el => /Loading/.test(el.textContent))"
    )


def check_page(page: Page) -> list[str]:
    """What makes the page scroll sideways at its current width (nothing when it fits)."""
    measured = page.evaluate(_MEASURE)
    problems = [*measured["scrolling"]]
    if measured["scrollWidth"] > page.viewport_size["width"]:  # type: ignore[index]
        problems.insert(0, f"the page is {measured['scrollWidth']}px wide")
        problems[1:1] = measured["outside"]
    return problems


def crawl(page: Page, base_url: str, starts: list[str], *, limit: int = 60) -> Crawl:
    """Visit pages breadth-first from ``starts`` (paths) and check each one at the page's width."""
    origin = urlsplit(base_url).netloc
    queue = deque(starts)
    seen = set(starts)
    kinds: dict[str, int] = {}
    result = Crawl()
    while queue and len(result.visited) < limit:
        path = queue.popleft()
        response = page.goto(path)
        if (
            response is None
            or response.status >= 400
            or "text/html" not in response.headers.get("content-type", "")
        ):
            continue
        _wait_for_panels(page)
        result.visited.append(path)
        if problems := check_page(page):
            result.problems[path] = problems
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            address = urlsplit(urljoin(page.url, href))
            if address.netloc != origin or address.scheme not in ("http", "https"):
                continue
            found = address.path + (f"?{address.query}" if address.query else "")
            if found in seen or _SKIP.search(address.path) or "page=" in address.query:
                continue
            seen.add(found)
            kind = _kind(found)
            if kinds.get(kind, 0) >= PER_KIND:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            queue.append(found)
    return result


def report(role: str, result: Crawl) -> str:
    lines = [f"{role}: {len(result.problems)} of {len(result.visited)} pages scroll sideways at 390px"]
    for path, problems in result.problems.items():
        lines.append(f"  {path}")
        lines += [f"      {problem}" for problem in problems]
    return "\n".join(lines)
