"""Concerns about services: officers log and close them; providers see only what may be shared."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from httpx import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import AuditEvent
from selfassess.providers.models import CareService
from selfassess.visits.concerns import Concerns
from selfassess.visits.models import Concern, ConcernSource, ConcernStatus, Severity
from selfassess.visits.schemas import ConcernForm
from tests import factories
from tests.support import Browser, text_of

SECRET = "Nights run with two staff for forty residents"
INTERNAL_NOTE = "Daughter rang the duty line at 9pm"


def _valid_concern(**changes: object) -> dict[str, object]:
    """A form as the page sends it; a change to None leaves the field out (an unticked box)."""
    form: dict[str, object] = {
        "source": "relative",
        "received_on": (date.today() - timedelta(days=2)).isoformat(),
        "summary": "Missed evening medication",
        "details": INTERNAL_NOTE,
        "severity": "high",
        "is_complaint": "true",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value is not None}


async def _log(db: AsyncSession, world: factories.World, service: CareService, **changes: object) -> Concern:
    """Arrange a concern through the real service, as the service's officer."""
    form = ConcernForm.model_validate(_valid_concern(**changes))
    return await Concerns(db, world.officer_a).create(service, form)


async def _reload(db: AsyncSession, concern: Concern) -> None:
    """What is stored now: end the test session's transaction first, so SQLite shows fresh data."""
    await db.commit()
    await db.refresh(concern)


async def _shared_and_secret(db: AsyncSession, world: factories.World) -> tuple[Concern, Concern]:
    shared = await _log(db, world, world.alpha)
    secret = await _log(db, world, world.alpha, source="whistleblower", summary=SECRET, is_complaint="false")
    return shared, secret


async def test_officer_logs_a_concern_and_sees_it_on_the_service_and_the_list(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    form = await client.get(f"/services/{world.alpha.id}/concerns/new")
    assert form.status_code == 200
    assert f'value="{date.today().isoformat()}"' in form.text, "the date received starts as today"

    response = await client.post(
        f"/services/{world.alpha.id}/concerns/new", _valid_concern(), follow_redirects=False
    )
    assert response.status_code == 303
    concern = await db.scalar(select(Concern).where(Concern.summary == "Missed evening medication"))
    assert concern is not None
    assert response.headers["location"] == f"/concerns/{concern.id}"
    assert (concern.service_id, concern.logged_by_id) == (world.alpha.id, world.officer_a.id)
    assert concern.is_complaint and not concern.is_confidential
    assert concern.status is ConcernStatus.OPEN
    audit = await db.scalar(select(AuditEvent).where(AuditEvent.event == "concern.logged"))
    assert audit is not None and audit.subject == f"concern:{concern.id}"

    page = text_of((await client.get(response.headers["location"])).text)
    assert "Logged the concern about Alpha House." in page
    assert INTERNAL_NOTE in page and "Olive Officer" in page, "council staff see notes and who logged it"

    service_page = (await client.get(f"/services/{world.alpha.id}")).text
    assert f'hx-get="/services/{world.alpha.id}/concerns/panel"' in service_page
    panel = text_of((await client.get(f"/services/{world.alpha.id}/concerns/panel", htmx=True)).text)
    assert "Missed evening medication" in panel and "Log a concern" in panel
    assert "1 open concern, 0 closed" in panel
    assert "Complaint" in panel and "High severity" in panel

    listing = text_of((await client.get("/concerns")).text)
    assert "Missed evening medication" in listing and "Alpha House" in listing


@pytest.mark.parametrize("source", [ConcernSource.WHISTLEBLOWER, ConcernSource.SAFEGUARDING])
async def test_whistle_blowers_and_safeguarding_are_always_confidential(
    client: Browser, db: AsyncSession, world: factories.World, source: ConcernSource
) -> None:
    await client.login(world.officer_a.email)
    response = await client.post(
        f"/services/{world.alpha.id}/concerns/new", _valid_concern(source=source.value, summary=SECRET)
    )
    assert "It is confidential: the provider will not see it." in text_of(response.text)
    concern = await db.scalar(select(Concern).where(Concern.summary == SECRET))
    assert concern is not None and concern.is_confidential, "forced on though the box was not ticked"

    # Editing cannot make it shareable either.
    await client.post(f"/concerns/{concern.id}/edit", _valid_concern(source=source.value, summary=SECRET))
    await _reload(db, concern)
    assert concern.is_confidential


async def test_provider_sees_shared_concerns_but_never_confidential_ones_or_internal_notes(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    shared, secret = await _shared_and_secret(db, world)
    await client.login(world.manager_1.email)
    bodies: list[Response] = []

    panel = await client.get(f"/services/{world.alpha.id}/concerns/panel", htmx=True)
    bodies.append(panel)
    assert "Missed evening medication" in panel.text
    assert "1 open concern, 0 closed" in text_of(panel.text), "counts include only what they may see"
    assert "Log a concern" not in panel.text

    page = await client.get(f"/concerns/{shared.id}")
    bodies.append(page)
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Missed evening medication" in shown and "Relative or carer" in shown and "High" in shown
    assert "Yes, this is a complaint" in shown
    assert "Olive Officer" not in shown, "not told who logged it"

    api = await client.get(f"/api/v1/services/{world.alpha.id}/concerns")
    bodies.append(api)
    assert api.status_code == 403, "the API's concerns are for council staff only"

    by_id = await client.get(f"/concerns/{secret.id}")
    bodies.append(by_id)
    assert by_id.status_code == 404, "a confidential concern is simply not found"
    for url in (f"/concerns/{secret.id}/edit", "/concerns", f"/concerns?q={SECRET[:10]}&status=all"):
        response = await client.get(url)
        bodies.append(response)
        assert response.status_code == 403, url
    bodies.append(await client.get(f"/services/{world.alpha.id}"))

    for response in bodies:
        assert SECRET not in response.text, response.url
        assert INTERNAL_NOTE not in response.text, response.url


async def test_another_councils_officer_sees_nothing_of_this_councils_concerns(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    shared, secret = await _shared_and_secret(db, world)
    await client.login(world.officer_b.email)
    for url in (
        f"/concerns/{shared.id}",
        f"/concerns/{secret.id}",
        f"/concerns/{shared.id}/edit",
        f"/services/{world.alpha.id}/concerns/panel",
        f"/services/{world.alpha.id}/concerns/new",
        f"/api/v1/services/{world.alpha.id}/concerns",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "Missed evening medication" not in response.text and SECRET not in response.text, url
    response = await client.post(f"/concerns/{shared.id}/close", {"outcome": "Not mine to close"})
    assert response.status_code == 404
    listing = await client.get("/concerns?status=all")
    assert "No concerns have been logged yet." in text_of(listing.text)
    assert "Missed evening medication" not in listing.text and SECRET not in listing.text
    await _reload(db, shared)
    assert shared.status is ConcernStatus.OPEN


async def test_provider_cannot_log_edit_close_or_reopen(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    shared, secret = await _shared_and_secret(db, world)
    await client.login(world.manager_1.email)
    attempts = [
        (f"/services/{world.alpha.id}/concerns/new", _valid_concern(summary="Provider wrote this")),
        (f"/concerns/{shared.id}/edit", _valid_concern(summary="Provider wrote this")),
        (f"/concerns/{shared.id}/close", {"outcome": "Provider closed it"}),
        (f"/concerns/{secret.id}/close", {"outcome": "Provider closed it"}),
        (f"/concerns/{shared.id}/reopen", {}),
    ]
    for url, form in attempts:
        response = await client.post(url, form)
        assert response.status_code == 403, url
        assert SECRET not in response.text
    assert (await client.get(f"/services/{world.alpha.id}/concerns/new")).status_code == 403
    assert await db.scalar(select(Concern).where(Concern.summary == "Provider wrote this")) is None
    for concern in (shared, secret):
        await _reload(db, concern)
        assert concern.status is ConcernStatus.OPEN and concern.outcome == ""


async def test_bad_values_are_explained_and_what_was_typed_is_kept(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.officer_a.email)
    url = f"/services/{world.alpha.id}/concerns/new"
    response = await client.post(
        url,
        _valid_concern(
            summary="",
            received_on=(date.today() + timedelta(days=1)).isoformat(),
            source="rumour",
            severity="apocalyptic",
            details="Notes worth keeping",
        ),
    )
    assert response.status_code == 422
    page = response.text
    for message in (
        "Summary is required.",
        "The date received cannot be in the future.",
        "Choose source from the list.",
        "Choose severity from the list.",
    ):
        assert message in page
    assert 'href="#field-summary"' in page, "the error summary links to the field"
    assert "Notes worth keeping" in page and 'value="true" checked' in page

    huge_summary = "Too long " * 40
    huge_details = "x" * 20_001
    response = await client.post(url, _valid_concern(summary=huge_summary, details=huge_details))
    assert response.status_code == 422
    assert "Summary must be 300 characters or fewer." in response.text
    assert "Details must be 20000 characters or fewer." in response.text
    assert f'value="{huge_summary.strip()}"' in response.text and huge_details in response.text

    assert (await client.post(url, _valid_concern(received_on="31/02/2025"))).status_code == 422


async def test_script_in_a_summary_is_shown_as_text(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    concern = await _log(db, world, world.alpha, summary="<script>alert(1)</script>")
    await client.login(world.manager_1.email)
    for url in (f"/concerns/{concern.id}", f"/services/{world.alpha.id}/concerns/panel"):
        body = (await client.get(url)).text
        assert "<script>alert(1)</script>" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url


async def test_officer_edits_a_concern(client: Browser, db: AsyncSession, world: factories.World) -> None:
    concern = await _log(db, world, world.alpha)
    await client.login(world.officer_a2.email)  # any officer of the council, not only the one who logged it
    form = await client.get(f"/concerns/{concern.id}/edit")
    assert 'value="Missed evening medication"' in form.text and INTERNAL_NOTE in form.text
    response = await client.post(
        f"/concerns/{concern.id}/edit",
        _valid_concern(summary="Medication missed on three nights", severity="critical", is_complaint=None),
    )
    assert response.status_code == 200
    assert "Saved the changes to the concern." in text_of(response.text)
    await _reload(db, concern)
    assert concern.summary == "Medication missed on three nights"
    assert concern.severity is Severity.CRITICAL and not concern.is_complaint


async def test_officer_closes_and_reopens_a_concern_and_the_provider_sees_the_outcome(
    client: Browser, browsers, db: AsyncSession, world: factories.World
) -> None:
    concern = await _log(db, world, world.alpha)
    await client.login(world.officer_a.email)

    response = await client.post(f"/concerns/{concern.id}/close", {"outcome": "  "})
    assert response.status_code == 422
    assert "Outcome is required." in response.text and 'href="#field-outcome"' in response.text

    outcome = "MAR charts checked; two omissions confirmed; staff retrained."
    response = await client.post(
        f"/concerns/{concern.id}/close", {"outcome": outcome}, follow_redirects=False
    )
    assert response.status_code == 303
    await _reload(db, concern)
    assert concern.status is ConcernStatus.CLOSED and concern.outcome == outcome
    page = text_of((await client.get(f"/concerns/{concern.id}")).text)
    assert "Closed the concern and recorded its outcome." in page and "Reopen concern" in page
    closed_list = text_of((await client.get("/concerns?status=closed")).text)
    assert "Missed evening medication" in closed_list
    assert "Missed evening medication" not in text_of((await client.get("/concerns")).text), "open only"

    async with browsers() as provider:
        await provider.login(world.manager_1.email)
        assert outcome in text_of((await provider.get(f"/concerns/{concern.id}")).text)

    assert (await client.post(f"/concerns/{concern.id}/close", {"outcome": "Again"})).status_code == 400
    response = await client.post(f"/concerns/{concern.id}/reopen", follow_redirects=False)
    assert response.status_code == 303
    await _reload(db, concern)
    assert concern.status is ConcernStatus.OPEN
    page = (await client.get(f"/concerns/{concern.id}")).text
    assert "Outcome when last closed" in page and "Reopened the concern." in text_of(page)
    assert f">{outcome}</textarea>" in page, "the last outcome is offered again for editing"
    events = list(
        await db.scalars(select(AuditEvent.event).where(AuditEvent.subject == f"concern:{concern.id}"))
    )
    assert sorted(events) == ["concern.closed", "concern.logged", "concern.reopened"]


async def test_filters_narrow_the_list_and_htmx_gets_only_the_results(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await _log(db, world, world.alpha, summary="Call bells not answered", severity="low")
    await _log(db, world, world.beta, summary="Carers arriving late", severity="critical")
    await client.login(world.officer_a.email)

    response = await client.get("/concerns?q=bells", htmx=True)
    assert response.text.lstrip().startswith('<div id="results">'), "htmx gets the results block only"
    assert "Call bells not answered" in response.text and "Carers arriving late" not in response.text

    by_service = text_of((await client.get("/concerns?q=beta homecare")).text)
    assert "Carers arriving late" in by_service and "Call bells" not in by_service
    critical = text_of((await client.get("/concerns?severity=critical")).text)
    assert "Carers arriving late" in critical and "Call bells" not in critical
    everything = text_of((await client.get("/concerns?severity=spaceship&status=whatever")).text)
    assert everything.index("Carers arriving late") < everything.index("Call bells"), "most severe first"
