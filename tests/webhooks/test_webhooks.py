"""Webhooks: registered by council admins and provider admins, fed by an outbox written with the
change, signed, retried after a failure, and never telling a hook what its owner could not read.

They go only to https addresses on the internet: an admin cannot point one at the database, another
internal service or a cloud metadata address (server-side request forgery), neither when registering
it nor later by pointing its name elsewhere (DNS rebinding). The setting for a local receiver (the
tests' own, on 127.0.0.1) lets plain http and local addresses through."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from litestar import Litestar
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from selfassess.accounts.models import Role, User
from selfassess.actions.models import Action
from selfassess.app import create_app
from selfassess.assessments.models import SelfAssessmentAnswer
from selfassess.assessments.service import Incomplete, SelfAssessments
from selfassess.db import session_factory, utcnow
from selfassess.errors import Invalid
from selfassess.settings import Settings
from selfassess.webhooks import targets
from selfassess.webhooks.delivery import deliver_webhooks
from selfassess.webhooks.models import DeliveryStatus, HookEvent, Webhook, WebhookDelivery, WebhookEvent
from selfassess.webhooks.rules import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_valid
from selfassess.webhooks.service import Webhooks
from tests import factories
from tests.api.helpers import agreed_plan
from tests.http_stub import http_server
from tests.support import Browser, browser_for, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that answers with the statuses it is given, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({**self.headers, "X-Hook": self.path.rsplit("/", 1)[-1]}, body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"oops, try later" if status >= 500 else b"thanks")

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as server:
        state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        yield state


async def _hook(db: AsyncSession, settings: Settings, owner: User, url: str, *events: HookEvent) -> Webhook:
    return await Webhooks(db, owner, settings).register(url=url, events=list(events or HookEvent))


async def _submitted(db: AsyncSession, world: factories.World, settings: Settings) -> int:
    assessments = SelfAssessments(db, world.manager_1, settings)
    assessment = await assessments.start(world.alpha, "2026/27")
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .values(score=3)
    )
    await db.commit()
    await assessments.submit(assessment, world.alpha)
    return assessment.id


async def test_a_signed_delivery_is_retried_after_a_500(
    db: AsyncSession, engine: AsyncEngine, world: factories.World, settings: Settings, receiver: Receiver
) -> None:
    hook = await _hook(db, settings, world.admin_a, receiver.url, HookEvent.SELF_ASSESSMENT_SUBMITTED)
    secret = hook.secret
    assessment_id = await _submitted(db, world, settings)
    receiver.statuses = [500]

    first = await deliver_webhooks(session_factory(engine), settings)
    assert (first.events, first.delivered, first.retried) == (1, 0, 1)
    delivery = await db.scalar(select(WebhookDelivery).execution_options(populate_existing=True))
    assert delivery.status is DeliveryStatus.PENDING and delivery.last_status_code == 500
    assert delivery.last_response == "oops, try later" and delivery.next_attempt_at > utcnow()
    await db.commit()

    again = await deliver_webhooks(session_factory(engine), settings)
    assert again.delivered == 0, "not before its back-off has passed"
    later = await deliver_webhooks(session_factory(engine), settings, now=utcnow() + timedelta(minutes=2))
    assert later.delivered == 1
    assert len(receiver.received) == 2

    headers, body = receiver.received[-1]
    timestamp = int(headers[TIMESTAMP_HEADER])
    assert signature_valid(secret, timestamp, body, headers[SIGNATURE_HEADER], now=int(time.time()))
    assert not signature_valid(
        "whsec_wrong", timestamp, body, headers[SIGNATURE_HEADER], now=int(time.time())
    )
    assert not signature_valid(
        secret, timestamp, body + b" ", headers[SIGNATURE_HEADER], now=int(time.time())
    )
    assert not signature_valid(secret, timestamp, body, headers[SIGNATURE_HEADER], now=timestamp + 3600)
    payload = json.loads(body)
    assert payload["event"] == "self_assessment.submitted"
    assert payload["data"]["url"].endswith(f"/api/v1/self-assessments/{assessment_id}")
    assert payload["data"]["service_id"] == world.alpha.id


async def test_a_hook_hears_only_what_its_owner_may_read(
    db: AsyncSession, engine: AsyncEngine, world: factories.World, settings: Settings, receiver: Receiver
) -> None:
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN)
    await _hook(db, settings, admin_b, receiver.url + "/council-b")
    provider_admin_1 = await factories.user(db, world.provider_1, Role.PROVIDER_ADMIN)
    provider_admin_2 = await factories.user(db, world.provider_2, Role.PROVIDER_ADMIN)
    await _hook(db, settings, provider_admin_2, receiver.url + "/provider-two")
    await _hook(db, settings, provider_admin_1, receiver.url + "/provider-one", HookEvent.DRAFT_REPORT_SHARED)
    leaver = await factories.user(db, world.council_a, Role.COUNCIL_ADMIN)
    await _hook(db, settings, leaver, receiver.url + "/leaver")
    leaver.is_active = False
    await db.commit()
    await _hook(db, settings, world.admin_a, receiver.url + "/council-a")
    await agreed_plan(db, world, settings)  # Alpha: submitted, visit shared and published, plan agreed

    report = await deliver_webhooks(session_factory(engine), settings)
    assert report.events == 3
    heard: dict[str, list[str]] = {}
    for headers, body in receiver.received:
        heard.setdefault(headers["X-Hook"], []).append(json.loads(body)["event"])
    assert sorted(heard["council-a"]) == [
        "self_assessment.submitted",
        "visit.draft_shared",
        "visit.published",
    ]
    assert heard.pop("provider-one") == ["visit.draft_shared"], "only what it subscribed to"
    assert set(heard) == {"council-a"}, "another council, another provider and a leaver hear nothing"


async def test_the_outbox_is_written_with_the_change_or_not_at_all(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    assessments = SelfAssessments(db, world.manager_1, settings)
    assessment = await assessments.start(world.alpha, "2026/27")
    with pytest.raises(Incomplete):
        await assessments.submit(assessment, world.alpha)
    assert await db.scalar(select(func.count(WebhookEvent.id))) == 0, "refused, so nothing to report"
    await db.execute(
        update(SelfAssessmentAnswer)
        .where(SelfAssessmentAnswer.assessment_id == assessment.id)
        .values(score=3)
    )
    await db.commit()
    await assessments.submit(assessment, world.alpha)
    events = list(await db.scalars(select(WebhookEvent.event)))
    assert events == ["self_assessment.submitted"]


async def test_an_overdue_plan_is_one_event_per_lapse(
    db: AsyncSession, engine: AsyncEngine, world: factories.World, settings: Settings, receiver: Receiver
) -> None:
    plan = await agreed_plan(db, world, settings)
    hook = await _hook(db, settings, world.admin_a, receiver.url, HookEvent.PLAN_OVERDUE)
    assert hook.id
    await db.execute(
        update(Action).where(Action.plan_id == plan.id).values(due_date=date.today() - timedelta(days=3))
    )
    await db.commit()
    await deliver_webhooks(session_factory(engine), settings)
    await deliver_webhooks(session_factory(engine), settings)
    overdue = [
        json.loads(body)
        for _, body in receiver.received
        if json.loads(body)["event"] == "action_plan.overdue"
    ]
    assert len(overdue) == 1 and overdue[0]["data"]["id"] == plan.id


async def test_registering_a_webhook_on_its_page(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    for not_an_admin in (world.officer_a, world.manager_1):
        await client.login(not_an_admin.email)
        assert (await client.get("/webhooks")).status_code == 403, "only admins register webhooks"
        await client.logout()
    await client.login(world.admin_a.email)
    refused = await client.post("/webhooks", {"url": "ftp://example.org", "events": "visit.published"})
    assert refused.status_code == 422 and "https://" in text_of(refused.text)
    none_chosen = await client.post("/webhooks", {"url": "https://example.org/hook"})
    assert none_chosen.status_code == 422 and "at least one event" in text_of(none_chosen.text)
    created = await client.client.post(
        "/webhooks",
        data={
            "url": "https://example.org/hook",
            "events": ["visit.published", "action.verified"],
            "_csrf_token": client.csrf_token,
        },
    )
    assert created.status_code == 200
    hook = await db.scalar(select(Webhook))
    assert hook.events == ["visit.published", "action.verified"]
    assert hook.secret in created.text and "Recent deliveries" in created.text
    removed = await client.post(f"/webhooks/{hook.id}/delete")
    assert removed.status_code == 200 and "No webhooks yet." in text_of(removed.text)


async def test_provider_admins_manage_their_own_organisations_hooks(
    client: Browser, db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    provider_admin_1 = await factories.user(db, world.provider_1, Role.PROVIDER_ADMIN)
    provider_admin_2 = await factories.user(db, world.provider_2, Role.PROVIDER_ADMIN)
    hook = await _hook(db, settings, provider_admin_1, "https://provider-one.example/hook")
    await client.login(provider_admin_2.email)
    assert (await client.get(f"/webhooks/{hook.id}")).status_code == 404
    page = await client.get("/webhooks")
    assert "provider-one.example" not in page.text


async def test_the_send_webhooks_command_delivers_and_reports(
    db: AsyncSession,
    world: factories.World,
    settings: Settings,
    receiver: Receiver,
    cli_environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from selfassess.cli import main

    await _hook(db, settings, world.admin_a, receiver.url, HookEvent.SELF_ASSESSMENT_SUBMITTED)
    await _submitted(db, world, settings)
    assert await asyncio.to_thread(main, ["send-webhooks"]) == 0
    assert "New events: 1. Delivered 1," in capsys.readouterr().out
    assert len(receiver.received) == 1


async def test_a_new_hook_gets_no_history_from_before_it_existed(
    db: AsyncSession, engine: AsyncEngine, world: factories.World, settings: Settings, receiver: Receiver
) -> None:
    await _submitted(db, world, settings)
    await _hook(db, settings, world.admin_a, receiver.url)
    report = await deliver_webhooks(session_factory(engine), settings)
    assert report.events == 1 and report.delivered == 0 and receiver.received == []


# --- where webhooks may go (server-side request forgery) ----------------------------------------


@pytest.fixture(scope="session")
def public_only_app(settings: Settings) -> Litestar:
    """The service as deployed: the setting for a local receiver off."""
    return create_app(settings.model_copy(update={"webhook_allow_private_targets": False}))


@pytest.fixture
async def public_only_client(public_only_app: Litestar, db: AsyncSession) -> AsyncIterator[Browser]:
    async with browser_for(public_only_app) as browser:
        yield browser


@pytest.fixture
def public_only(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private_targets": False})


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Name -> the addresses it resolves to, instead of asking DNS (change it to re-point a name)."""
    names: dict[str, list[str]] = {}

    async def addresses_of(host: str, port: int) -> list[str]:
        if host in names:
            return names[host]
        try:
            return [str(ipaddress.ip_address(host))]  # an address is its own
        except ValueError:
            raise OSError(f"no such name: {host}") from None

    monkeypatch.setattr(targets, "addresses_of", addresses_of)
    yield names


async def test_the_page_refuses_internal_targets_with_a_clear_message(
    public_only_client: Browser, db: AsyncSession, world: factories.World, resolving: dict[str, list[str]]
) -> None:
    resolving["metadata.attacker.example"] = ["169.254.169.254"]
    await public_only_client.login(world.admin_a.email)
    refused = {
        "http://127.0.0.1:5432/": "starting with https://",
        "https://127.0.0.1:5432/": "The address 127.0.0.1 is not a public internet address",
        "https://169.254.169.254/latest/meta-data/": "not a public internet address",
        "https://[::1]/": "The address ::1 is not a public internet address",
        "https://metadata.attacker.example/": "metadata.attacker.example leads to 169.254.169.254",
    }
    for url, message in refused.items():
        response = await public_only_client.post("/webhooks", {"url": url, "events": "visit.published"})
        assert response.status_code == 422 and message in text_of(response.text), url
        assert url in response.text, "what was typed is kept"
    resolving["hooks.northbridge.example"] = ["93.184.215.14"]
    created = await public_only_client.post(
        "/webhooks", {"url": "https://hooks.northbridge.example/in", "events": "visit.published"}
    )
    assert created.status_code == 200 and "Recent deliveries" in created.text


async def test_the_setting_lets_a_local_receiver_in(
    db: AsyncSession, world: factories.World, settings: Settings, public_only: Settings
) -> None:
    local = "http://127.0.0.1:8025/hook"
    with pytest.raises(Invalid, match="https://"):
        await Webhooks(db, world.admin_a, public_only).register(
            url=local, events=[HookEvent.REPORT_PUBLISHED]
        )
    with pytest.raises(Invalid, match="not a public internet address"):
        await Webhooks(db, world.admin_a, public_only).register(
            url="https://localhost:8025/hook", events=[HookEvent.REPORT_PUBLISHED]
        )
    assert settings.webhook_allow_private_targets
    hook = await Webhooks(db, world.admin_a, settings).register(
        url=local, events=[HookEvent.REPORT_PUBLISHED]
    )
    assert hook.url == local


async def test_a_name_pointed_inside_after_registering_gets_nothing(
    db: AsyncSession,
    engine: AsyncEngine,
    world: factories.World,
    settings: Settings,
    public_only: Settings,
    resolving: dict[str, list[str]],
    receiver: Receiver,
) -> None:
    resolving["hooks.rebinding.example"] = ["93.184.215.14"]
    await Webhooks(db, world.admin_a, public_only).register(
        url="https://hooks.rebinding.example/in", events=[HookEvent.SELF_ASSESSMENT_SUBMITTED]
    )
    await _submitted(db, world, settings)
    resolving["hooks.rebinding.example"] = ["127.0.0.1"]  # the name now leads to this machine

    report = await deliver_webhooks(session_factory(engine), public_only)
    assert (report.events, report.delivered, report.retried, report.failed) == (1, 0, 0, 1)
    delivery = await db.scalar(select(WebhookDelivery).execution_options(populate_existing=True))
    assert delivery.status is DeliveryStatus.FAILED and delivery.last_status_code is None
    assert delivery.last_response == (
        "Not sent: The address hooks.rebinding.example leads to 127.0.0.1, which is not a public "
        "internet address: webhooks go only to addresses on the internet."
    )
    assert receiver.received == []


async def test_a_hook_registered_before_the_rules_is_refused_when_sent(
    db: AsyncSession,
    engine: AsyncEngine,
    world: factories.World,
    settings: Settings,
    public_only: Settings,
    receiver: Receiver,
) -> None:
    await Webhooks(db, world.admin_a, settings).register(
        url=receiver.url, events=[HookEvent.SELF_ASSESSMENT_SUBMITTED]
    )
    await _submitted(db, world, settings)
    report = await deliver_webhooks(session_factory(engine), public_only)
    assert (report.delivered, report.failed) == (0, 1) and receiver.received == []
    delivery = await db.scalar(select(WebhookDelivery).execution_options(populate_existing=True))
    assert delivery.last_response == "Not sent: Enter a full web address starting with https://."


async def test_a_delivery_goes_to_the_address_checked_under_the_hooks_own_name(
    db: AsyncSession,
    engine: AsyncEngine,
    world: factories.World,
    settings: Settings,
    resolving: dict[str, list[str]],
    receiver: Receiver,
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    resolving["receiver.test"] = ["127.0.0.1"]
    await Webhooks(db, world.admin_a, settings).register(
        url=f"http://receiver.test:{port}/hook", events=[HookEvent.SELF_ASSESSMENT_SUBMITTED]
    )
    await _submitted(db, world, settings)
    report = await deliver_webhooks(session_factory(engine), settings)
    assert report.delivered == 1
    [(headers, _body)] = receiver.received
    assert headers["Host"] == f"receiver.test:{port}"
