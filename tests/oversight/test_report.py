"""The quarterly quality report and its CSV, from a known history."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.actions.models import Action, ActionPlan, PlanStatus
from selfassess.actions.rules import ActionStatus, Priority, Reason
from selfassess.frameworks.models import FrameworkVersion
from selfassess.oversight.trend import quarters_to
from selfassess.visits.models import Concern, ConcernSource, Severity, Visit, VisitStatus, VisitType
from tests.factories import World
from tests.oversight.test_quality import _history
from tests.support import text_of


async def test_report_page_and_csv_give_the_same_figures(client, db: AsyncSession, world: World) -> None:
    await _history(db, world)
    quarters = quarters_to(date.today())
    quarter = quarters[15]
    for source, severity in (
        (ConcernSource.WHISTLEBLOWER, Severity.HIGH),
        (ConcernSource.RELATIVE, Severity.LOW),
    ):
        db.add(
            Concern(
                service_id=world.alpha.id,
                source=source,
                received_on=quarter.end - timedelta(days=10),
                summary="Staffing at night",
                severity=severity,
                logged_by_id=world.officer_a.id,
            )
        )
    db.add(
        Concern(
            service_id=world.gamma.id,  # council B's
            source=ConcernSource.PUBLIC,
            received_on=quarter.end - timedelta(days=10),
            summary="Elsewhere",
            severity=Severity.CRITICAL,
            logged_by_id=world.officer_b.id,
        )
    )
    await db.commit()
    await client.login(world.officer_a.email)
    await client.post(
        f"/oversight/support/providers/{world.provider_1.id}",
        {
            "level": "enhanced_monitoring",
            "reason": "Falls",
            "review_on": (date.today() + timedelta(days=9)).isoformat(),
        },
    )

    page = text_of((await client.get(f"/oversight/report?quarter={quarter.key}")).text)
    page = page.replace("( ", "(").replace(" )", ")")  # the counts are links
    assert f"Quality report, {quarter.label}" in page
    for earlier in quarters[11:15]:
        assert f"{earlier.label} 100% (19 of 19)" in page
    assert f"{quarter.label} 84% (16 of 19)" in page
    assert "0 services improved and 3 services declined" in page
    assert "Staff whistle-blower High 1" in page and "Relative or carer Low 1" in page
    assert "Member of the public" not in page
    assert "Provider One Enhanced monitoring" in page

    response = await client.get(f"/oversight/report/export.csv?quarter={quarter.key}")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["Section", "Item", "Value"]
    assert ["Share rated good or outstanding", quarter.label, "84% (16 of 19)"] in rows
    assert ["Council ratings in the quarter", "declined", "3"] in rows
    assert ["Concerns received", "Staff whistle-blower, High", "1"] in rows
    assert ["Providers above routine monitoring", "Provider One", "Enhanced monitoring"] in rows
    assert not any("public" in row[1].lower() for row in rows if row[0] == "Concerns received")

    bad = await client.get("/oversight/report?quarter=1850Q2")
    assert bad.status_code == 200 and "Choose the report's quarter" in text_of(bad.text)
    await client.logout()
    await client.login(world.manager_1.email)
    assert (await client.get("/oversight/report")).status_code == 403
    assert (await client.get("/oversight/report/export.csv")).status_code == 403


async def test_report_figures_link_to_the_services_they_count(client, db: AsyncSession, world: World) -> None:
    await _history(db, world)
    quarter = quarters_to(date.today())[15]
    await client.login(world.officer_a.email)
    response = await client.get(f"/oversight/report?quarter={quarter.key}")
    links = re.findall(r'href="(/oversight/quality/services\?[^"]+)">(\d+)', response.text)
    kinds = {re.search(r"what=(\w+)", link).group(1) for link, _ in links}  # type: ignore[union-attr]
    assert {"good", "rated", "improved", "declined"} <= kinds
    declined = [int(figure) for link, figure in links if "what=declined" in link]
    assert declined == [3]
    for link, figure in links:
        listed = await client.get(link.replace("&amp;", "&"))
        assert listed.status_code == 200
        assert f": {figure} service" in text_of(listed.text), link
        assert int(figure) <= 50  # one page of the list holds every service behind the figure
        assert len(re.findall(r'<td><a href="/services/\d+">', listed.text)) == int(figure), link


async def test_report_pdf_has_the_figures_the_council_and_page_numbers(
    client, db: AsyncSession, world: World
) -> None:
    await _history(db, world)
    quarter = quarters_to(date.today())[15]
    await client.login(world.officer_a.email)
    page = (await client.get(f"/oversight/report?quarter={quarter.key}")).text
    assert f'href="/oversight/report/report.pdf?quarter={quarter.key}"' in page

    response = await client.get(f"/oversight/report/report.pdf?quarter={quarter.key}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"quality-report-{quarter.key}.pdf" in response.headers["content-disposition"]
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert f"Quality report, {quarter.label}" in text
    assert f"{quarter.label} 84% (16 of 19)" in text
    assert "0 services improved and 3 services declined" in text
    for number, page in enumerate(pages, start=1):  # the running head and foot on every page
        running = " ".join(page.extract_text().split())
        assert "Council A" in running and f"Produced {date.today():%-d %B %Y}" in running
        assert f"Page {number} of {len(pages)}" in running
    assert len(pages) > 1
    assert "Download CSV" not in text and "Sign out" not in text  # printed without page furniture

    await client.logout()
    await client.login(world.manager_1.email)
    assert (await client.get("/oversight/report/report.pdf")).status_code == 403


async def test_record_counts_link_to_the_lists_behind_them(
    client, db: AsyncSession, world: World, frameworks
) -> None:
    """Visits carried out and concerns received in the quarter: each count links to the visits or
    concerns list, whose total is the count (one filter builds both)."""
    quarter = quarters_to(date.today())[-2]
    inside, before = quarter.end - timedelta(days=10), quarter.end - timedelta(days=200)
    version = await db.scalar(select(FrameworkVersion.id).limit(1))
    for day, status in (
        (inside, VisitStatus.PUBLISHED),
        (inside, VisitStatus.SCHEDULED),
        (before, VisitStatus.PUBLISHED),
    ):
        db.add(
            Visit(
                service_id=world.alpha.id,
                council_id=world.alpha.council_id,
                framework_version_id=version,
                visit_type=VisitType.PROACTIVE,
                scheduled_for=day,
                officer_id=world.officer_a.id,
                status=status,
            )
        )
    for day in (inside, inside, before):
        db.add(
            Concern(
                service_id=world.alpha.id,
                source=ConcernSource.RELATIVE,
                received_on=day,
                summary="Call bells",
                severity=Severity.MEDIUM,
                logged_by_id=world.officer_a.id,
            )
        )
    await db.commit()
    await client.login(world.officer_a.email)
    page = (await client.get(f"/oversight/report?quarter={quarter.key}")).text
    links = re.findall(r'<a href="(/(?:visits|concerns)\?[^"]+)">(\d+)</a>', page)
    counted = {html.unescape(href).split("?")[0]: int(count) for href, count in links if count != "0"}
    assert counted == {"/visits": 1, "/concerns": 2}
    for href, count in links:
        listed = (await client.get(html.unescape(href))).text
        assert f'data-list-total="{count}"' in listed if count != "0" else "No visits" in listed, href


async def test_plans_figures_link_to_the_plans_they_count(
    client, db: AsyncSession, world: World, frameworks
) -> None:
    """Plans submitted in the quarter, and those submitted by the date set: each figure links to the
    plans list, whose length is the figure, closed plans included (one filter builds both)."""
    quarter = quarters_to(date.today())[-2]
    inside, before = quarter.end - timedelta(days=10), quarter.end - timedelta(days=200)
    version = await db.scalar(select(FrameworkVersion.id).limit(1))
    submitted = [  # (day submitted, day it was due, status now)
        (inside, inside + timedelta(days=1), PlanStatus.CLOSED),  # on time, closed since
        (inside, inside - timedelta(days=3), PlanStatus.AGREED),  # late
        (quarter.end, quarter.end, PlanStatus.SUBMITTED),  # the quarter's last day, on time
        (before, before, PlanStatus.AGREED),  # an earlier quarter's
    ]
    for service in (world.alpha, world.gamma):  # council B's plans are never counted
        for day, due, status in submitted:
            visit = Visit(
                service_id=service.id,
                council_id=service.council_id,
                framework_version_id=version,
                visit_type=VisitType.PROACTIVE,
                scheduled_for=day - timedelta(days=30),
                officer_id=world.officer_a.id,
                status=VisitStatus.PUBLISHED,
            )
            db.add(visit)
            await db.flush()
            db.add(
                ActionPlan(
                    service_id=service.id,
                    council_id=service.council_id,
                    provider_id=service.provider_id,
                    visit_id=visit.id,
                    status=status,
                    provider_due=due,
                    submitted_at=datetime.combine(day, time(23, 30), UTC),
                )
            )
    await db.commit()
    await client.login(world.officer_a.email)
    page = (await client.get(f"/oversight/report?quarter={quarter.key}")).text
    links = re.findall(r'<a href="(/plans\?[^"]+)">(\d+)</a>', page)
    assert [int(count) for _, count in links] == [3, 2]
    for href, count in links:
        listed = (await client.get(html.unescape(href))).text
        assert f'data-list-total="{count}"' in listed, href
        assert len(re.findall(r'<td><a href="/plans/\d+">', listed)) == int(count), href


async def test_services_due_links_to_the_programme_up_to_the_same_day(
    client, db: AsyncSession, world: World
) -> None:
    """The report's "due a visit" figure is the length of the visit programme's list up to the
    report's last day (one selection builds both)."""
    await client.login(world.officer_a.email)
    await client.post("/oversight/risk/refresh")  # services never visited are due from today
    for quarter, expected in ((quarters_to(date.today())[-1], 2), (quarters_to(date.today())[-2], 0)):
        page = (await client.get(f"/oversight/report?quarter={quarter.key}")).text
        found = re.search(r'<a href="(/oversight/programme\?until=[^"]+)">(\d+) services?</a>', page)
        assert found, "the figure is not linked"
        assert int(found.group(2)) == expected
        listed = (await client.get(html.unescape(found.group(1)))).text
        if expected:
            assert f'data-list-total="{expected}"' in listed
        else:
            assert "No services are due a visit in this period." in listed


async def _actions_history(db: AsyncSession, world: World, quarter) -> None:  # type: ignore[no-untyped-def]
    """An agreed plan for each of Alpha, Beta (council A) and Gamma (council B), with actions overdue
    at the quarter's end, completed in it on time and late, and completed in an earlier quarter."""
    inside, before = quarter.end - timedelta(days=10), quarter.end - timedelta(days=200)
    version = await db.scalar(select(FrameworkVersion.id).limit(1))
    for service in (world.alpha, world.beta, world.gamma):
        visit = Visit(
            service_id=service.id,
            council_id=service.council_id,
            framework_version_id=version,
            visit_type=VisitType.PROACTIVE,
            scheduled_for=before,
            officer_id=world.officer_a.id,
            status=VisitStatus.PUBLISHED,
        )
        db.add(visit)
        await db.flush()
        plan = ActionPlan(
            service_id=service.id,
            council_id=service.council_id,
            provider_id=service.provider_id,
            visit_id=visit.id,
            status=PlanStatus.AGREED,
            provider_due=before,
        )
        db.add(plan)
        await db.flush()
        actions = [  # (title, due, status, completed on)
            ("Overdue", quarter.end - timedelta(days=5), ActionStatus.NOT_STARTED, None),
            ("Done on time", inside + timedelta(days=5), ActionStatus.COMPLETED, inside),
            ("Done late", inside - timedelta(days=5), ActionStatus.VERIFIED, inside),
            ("Done long ago", before, ActionStatus.VERIFIED, before),
            ("Not due yet", quarter.end + timedelta(days=30), ActionStatus.IN_PROGRESS, None),
        ]
        if service is world.alpha:
            actions.append(("Overdue too", quarter.end - timedelta(days=40), ActionStatus.IN_PROGRESS, None))
        for title, due, status, completed in actions:
            db.add(
                Action(
                    plan_id=plan.id,
                    reason=Reason.LOW_SCORE,
                    title=f"{title} at {service.name}",
                    priority=Priority.MEDIUM,
                    due_date=due,
                    status=status,
                    completed_at=datetime.combine(completed, time(12), UTC) if completed else None,
                )
            )
    await db.commit()


async def test_action_figures_link_to_the_actions_they_count(
    client, db: AsyncSession, world: World, frameworks
) -> None:
    """Actions completed in the quarter (and by their due date) and overdue actions by provider: each
    figure links to the actions list, whose length is the figure, and no other council's action is
    counted or listed (Provider Two works for both councils)."""
    quarter = quarters_to(date.today())[-2]
    await _actions_history(db, world, quarter)
    await client.login(world.officer_a.email)
    page = (await client.get(f"/oversight/report?quarter={quarter.key}")).text
    links = re.findall(r'<a href="(/plans/actions\?[^"]+)">(\d+)</a>', page)
    assert [int(count) for _, count in links] == [4, 2, 2, 1]  # completed, on time, Provider One, Two
    assert "Provider One: 2" in text_of(page) and "Provider Two: 1" in text_of(page)
    for href, count in links:
        listed = (await client.get(html.unescape(href))).text
        assert f'data-list-total="{count}"' in listed, href
        assert len(re.findall(r'<td><a href="/plans/\d+#action-\d+">', listed)) == int(count), href
        assert "Gamma Lodge" not in listed, href

    rows = list(
        csv.reader(
            io.StringIO(
                (await client.get(f"/oversight/report/export.csv?quarter={quarter.key}")).text.lstrip(
                    "\ufeff"
                )
            )
        )
    )
    assert ["Actions", "completed in the quarter", "4"] in rows
    assert ["Actions", "completed by their due date", "2"] in rows
    assert ["Overdue actions by provider", "Provider Two", "1"] in rows

    await client.logout()
    await client.login(world.officer_b.email)  # council B: only Gamma's actions, in its figures and lists
    page = (await client.get(f"/oversight/report?quarter={quarter.key}")).text
    links = re.findall(r'<a href="(/plans/actions\?[^"]+)">(\d+)</a>', page)
    assert [int(count) for _, count in links] == [2, 1, 1]
    for href, _ in links:
        listed = (await client.get(html.unescape(href))).text
        assert "Gamma Lodge" in listed and "Alpha House" not in listed and "Beta Homecare" not in listed
    other = await client.get(f"/plans/actions?provider={world.provider_1.id}&overdue_on={quarter.end}")
    assert 'data-list-total="0"' in other.text and "Alpha House" not in other.text
    assert (await client.get("/plans/actions?provider=x")).status_code == 400

    await client.logout()
    await client.login(world.manager_1.email)
    assert (await client.get("/plans/actions")).status_code == 403


async def test_coverage_links_to_the_programme_and_the_register(
    client, db: AsyncSession, world: World, frameworks
) -> None:
    """Coverage's share links to the programme, which shows the same figure; its services visited
    within their interval to the register filtered to them, and its number of services to the whole
    register: each figure is its list's length."""
    db.add(
        Visit(
            service_id=world.alpha.id,
            council_id=world.alpha.council_id,
            framework_version_id=await db.scalar(select(FrameworkVersion.id).limit(1)),
            visit_type=VisitType.PROACTIVE,
            scheduled_for=date.today() - timedelta(days=20),
            officer_id=world.officer_a.id,
            status=VisitStatus.PUBLISHED,
        )
    )
    await db.commit()
    await client.login(world.officer_a.email)
    await client.post("/oversight/risk/refresh")
    page = (await client.get(f"/oversight/report?quarter={quarters_to(date.today())[-1].key}")).text
    found = re.search(
        r'<a href="/oversight/programme">(\d+)%</a> '
        r'\(<a href="/oversight/risk\?within_interval=true">(\d+)</a>'
        r' of <a href="/oversight/risk">(\d+)</a>\)',
        page,
    )
    assert found, "coverage is not linked"
    percent, within, services = found.groups()
    assert (int(within), int(services)) == (1, 2), (
        "one service visited within its interval, one never visited"
    )
    programme = text_of((await client.get("/oversight/programme")).text)
    assert f"{percent}% of services visited within their interval ({within} of {services})" in programme
    assert f'data-list-total="{services}"' in (await client.get("/oversight/risk")).text
    listed = await client.get("/oversight/risk?within_interval=true")
    assert f'data-list-total="{within}"' in listed.text and "within their interval" in listed.text
