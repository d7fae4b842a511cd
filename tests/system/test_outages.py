"""When the database goes away: 503 (never 500) with Retry-After, one log line per outage, a retry
that hides restarts, recovery on its own, and maintenance while a restore holds the database.

The outage tests put tests/faults.py's proxy between the app and PostgreSQL, so they run on
PostgreSQL only; the rules they rely on (which errors are "unavailable", which requests may run
again) are checked on their own, without a database.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import psycopg
import pytest
import sqlalchemy
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import NullPool

from selfassess.app import create_app
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.availability import Attempt, Unavailable, unavailable_because
from selfassess.maintenance import MaintenanceUnderway, hold_exclusively
from selfassess.settings import Settings
from selfassess.web import retry
from tests import factories
from tests.assessments.helpers import answers, start
from tests.faults import FaultProxy
from tests.support import Browser, browser_for, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

CUT_SECONDS = 10.0  # the outage; longer than the retry's wait, so both paths run


# --- the rules, without a database ---------------------------------------------------------------


def _wrapped(original: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, original)


def test_which_failures_mean_unavailable() -> None:
    assert (
        unavailable_because(_wrapped(psycopg.OperationalError("connection refused")))
        is Unavailable.UNREACHABLE
    )
    assert unavailable_because(_wrapped(psycopg.errors.AdminShutdown())) is Unavailable.UNREACHABLE
    assert unavailable_because(MaintenanceUnderway()) is Unavailable.MAINTENANCE
    assert unavailable_because(sqlalchemy.exc.TimeoutError()) is Unavailable.BUSY
    import sqlite3

    assert unavailable_because(_wrapped(sqlite3.OperationalError("database is locked"))) is Unavailable.BUSY
    assert unavailable_because(_wrapped(sqlite3.OperationalError("no such column: x"))) is None
    bug = ProgrammingError("SELECT nonsense", {}, psycopg.errors.UndefinedColumn())
    assert unavailable_because(bug) is None, "a bug stays a 500"
    assert unavailable_because(RuntimeError("boom")) is None


def test_only_requests_that_changed_nothing_run_again() -> None:
    def may_repeat(method: str, **attempt: object) -> bool:
        return retry.RetryOnFreshConnection._may_repeat({"method": method}, Attempt(**attempt))  # type: ignore[arg-type]

    assert may_repeat("GET", failure=Unavailable.UNREACHABLE, commit_sent=True), "reads are safe to repeat"
    assert may_repeat("POST", failure=Unavailable.UNREACHABLE), "a write that never committed"
    assert not may_repeat("POST", failure=Unavailable.UNREACHABLE, commit_sent=True), (
        "its COMMIT may have landed"
    )
    assert not may_repeat("GET", failure=Unavailable.MAINTENANCE), "maintenance lasts longer than a retry"
    assert not may_repeat("GET", failure=None)


# --- PostgreSQL through the fault proxy ------------------------------------------------------------


@pytest.fixture
def proxy(settings: Settings) -> Iterator[FaultProxy]:
    if settings.is_sqlite:
        pytest.skip("the fault proxy sits in front of PostgreSQL")
    url = make_url(settings.sqlalchemy_url)
    running = FaultProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield running
    running.close()


@pytest.fixture
def outage_log() -> Iterator[list[str]]:
    """What the app logs about the database (the selfassess loggers do not propagate to pytest's)."""
    lines: list[str] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: lines.append(f"{record.levelname} {record.getMessage()}")  # type: ignore[method-assign]
    logger = logging.getLogger("selfassess.database")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


@asynccontextmanager
async def proxied(settings: Settings, proxy: FaultProxy, *, pool_size: int = 2) -> AsyncIterator[Browser]:
    """The app as deployed (a connection pool), talking to PostgreSQL through the proxy."""
    url = make_url(settings.sqlalchemy_url).set(drivername="postgresql", port=proxy.port)
    through_proxy = settings.model_copy(
        update={"database_url": url.render_as_string(hide_password=False), "database_pool_size": pool_size}
    )
    for derived in ("sqlalchemy_url", "sync_sqlalchemy_url"):  # cached from the original's URL
        through_proxy.__dict__.pop(derived, None)
    app = create_app(through_proxy)

    async def close_pool(app: Litestar) -> None:  # on the app's own event loop, where the pool lives
        await app.plugins.get(SQLAlchemyPlugin).config[0].get_engine().dispose()

    app.on_shutdown.append(close_pool)
    async with browser_for(app) as browser:
        yield browser


async def _first_answer(client: Browser, world: factories.World, db: AsyncSession):  # type: ignore[no-untyped-def]
    """A draft self-assessment's first answer, and its version now (the row object itself follows
    later reloads)."""
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    answer = (await answers(db, assessment))[0]
    return assessment, answer, answer.version


def _autosave(
    client: Browser, assessment: SelfAssessment, answer: SelfAssessmentAnswer, version: int, text: str
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/assessments/{assessment.id}/answers/{answer.id}",
        {"version": version, "score": "3", "narrative": text, "improvement_plan": ""},
        htmx=True,
    )


def _saved_version(html: str, answer: SelfAssessmentAnswer) -> int:
    found = re.search(rf'id="version-{answer.id}" value="(\d+)"', html)
    assert found, html[:400]
    return int(found.group(1))


async def test_database_cut_answers_503_everywhere_and_recovers_by_itself(
    settings: Settings,
    proxy: FaultProxy,
    db: AsyncSession,
    world: factories.World,
    outage_log: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retry, "RECONNECT_WAIT_SECONDS", 0.3)
    async with proxied(settings, proxy) as client:
        assessment, answer, version = await _first_answer(client, world, db)
        page_url = f"/assessments/{assessment.id}"
        assert (await client.get(page_url)).status_code == 200

        proxy.cut()
        page = await client.get(page_url)
        assert page.status_code == 503
        assert page.headers["retry-after"] == "5"
        assert "The service is unavailable" in text_of(page.text) and "<html" in page.text
        assert "Sorry, something went wrong" not in page.text

        fragment = await client.get(page_url, htmx=True)
        assert fragment.status_code == 503 and "<html" not in fragment.text
        assert "The service is unavailable" in text_of(fragment.text)

        api = await client.get("/api/v1/services")
        assert api.status_code == 503
        assert api.headers["content-type"].startswith("application/problem+json")
        problem = api.json()
        assert problem["status"] == 503 and problem["title"] == "The service is unavailable"
        assert problem["instance"] == "/api/v1/services" and problem["type"] == "about:blank"

        saving = await _autosave(client, assessment, answer, version, "Typed while it was down")
        assert saving.status_code == 503
        for url in ("/public", "/home", "/health"):
            assert (await client.get(url)).status_code == 503, url

        errors = [line for line in outage_log if line.startswith("ERROR")]
        assert len(errors) == 1 and "unreachable" in errors[0], outage_log

        proxy.restore()
        assert (await client.get(page_url)).status_code == 200, "back by itself, still signed in"
        saved = await _autosave(client, assessment, answer, version, "Typed while it was down")
        assert saved.status_code == 200
        assert [line for line in outage_log if "available again" in line], outage_log
    stored = (await answers(db, assessment))[0]
    assert (stored.narrative, stored.version) == ("Typed while it was down", version + 1)


async def test_a_restart_costs_nobody_anything(
    settings: Settings, proxy: FaultProxy, db: AsyncSession, world: factories.World
) -> None:
    async with proxied(settings, proxy) as client:
        assessment, answer, version = await _first_answer(client, world, db)
        page_url = f"/assessments/{assessment.id}"
        assert (await client.get(page_url)).status_code == 200

        proxy.reset()  # every pooled connection dies, as when PostgreSQL restarts
        assert (await client.get(page_url)).status_code == 200, "pre-ping replaces dead connections"

        proxy.slow(0.05)  # a slow database is slow, not unavailable
        assert (await client.get(page_url)).status_code == 200
        proxy.slow(0)

        # Down for a second while someone saves: the save waits for it, and lands once.
        proxy.cut()
        threading.Timer(1.0, proxy.restore).start()
        before = proxy.connections
        saved = await _autosave(client, assessment, answer, version, "Saved across a restart")
        assert saved.status_code == 200, saved.text[:300]
        assert proxy.connections > before, "on a fresh connection"
        assert (await client.get(page_url)).status_code == 200
    stored = (await answers(db, assessment))[0]
    assert (stored.narrative, stored.version) == ("Saved across a restart", version + 1)


async def test_cut_under_signed_in_traffic_no_500_and_no_text_lost(
    settings: Settings,
    proxy: FaultProxy,
    db: AsyncSession,
    world: factories.World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Someone types and autosaves as the page does (keep the text, retry on 503 with the version
    they have), someone else reads pages, while the database is away for CUT_SECONDS. (The test
    client runs one request at a time, so the two take turns.)"""
    monkeypatch.setattr(retry, "RECONNECT_WAIT_SECONDS", 1.0)
    async with proxied(settings, proxy) as client, proxied(settings, proxy) as reader:
        assessment, answer, version = await _first_answer(client, world, db)
        await reader.login(world.officer_a.email)
        statuses: list[int] = []
        typed = {"text": "", "version": version, "acknowledged": 0}
        stop = asyncio.Event()

        async def type_and_save() -> None:
            keystroke = 0
            while not stop.is_set() or typed["text"] != typed.get("saved"):
                if not stop.is_set():
                    keystroke += 1
                    typed["text"] = f"Draft {keystroke}"
                text = typed["text"]
                response = await _autosave(client, assessment, answer, typed["version"], text)
                statuses.append(response.status_code)
                if response.status_code == 200:
                    typed.update(version=_saved_version(response.text, answer), saved=text)
                    typed["acknowledged"] += 1
                    await asyncio.sleep(0.1)  # the next keystrokes
                else:
                    assert response.status_code == 503, response.text[:300]
                    await asyncio.sleep(0.3)  # the page backs off and tries again

        async def read_pages() -> None:
            while not stop.is_set():
                for url in ("/home", f"/services/{world.alpha.id}", "/visits", "/api/v1/services"):
                    statuses.append((await reader.get(url)).status_code)
                await asyncio.sleep(0.05)

        async def outage() -> None:
            await asyncio.sleep(0.5)
            proxy.cut()
            await asyncio.sleep(CUT_SECONDS)
            proxy.restore()
            await asyncio.sleep(1.0)
            stop.set()

        await asyncio.wait_for(asyncio.gather(type_and_save(), read_pages(), outage()), timeout=60)
    assert 500 not in statuses
    assert 503 in statuses, "the cut was seen"
    stored = (await answers(db, assessment))[0]
    assert stored.narrative == typed["text"], "the last thing typed is what is stored"
    assert stored.version == version + typed["acknowledged"], "every acknowledged save was one write"


async def test_maintenance_refuses_every_request_but_health_says_why(
    settings: Settings, client: Browser, db: AsyncSession, world: factories.World
) -> None:
    if settings.is_sqlite:
        pytest.skip("maintenance holds a PostgreSQL lock; SQLite restores in one step")
    await client.login(world.officer_a.email)
    await db.commit()
    engine = sqlalchemy.create_engine(settings.sync_sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.begin() as restore:
            hold_exclusively(restore)
            for url in ("/home", "/public", "/api/v1/services"):
                response = await client.get(url)
                assert response.status_code == 503, url
                assert response.headers["retry-after"] == "30"
            assert "Maintenance, back shortly" in text_of((await client.get("/home")).text)
            health = await client.get("/health")
            assert health.status_code == 503 and health.json()["status"] == "maintenance"
            refused = await client.post("/login", {"email": world.officer_a.email, "password": "x"})
            assert refused.status_code == 503
        assert (await client.get("/home")).status_code == 200, "over when the restore's transaction ends"
    finally:
        engine.dispose()


async def test_a_save_repeated_because_its_answer_was_lost_is_not_a_conflict(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    """The database went away after the COMMIT but before the answer reached the browser: the
    browser sends the same save again, with the version it had. It is stored once, not a conflict."""
    assessment, answer, version = await _first_answer(client, world, db)
    assert (await _autosave(client, assessment, answer, version, "Said once")).status_code == 200
    repeated = await _autosave(client, assessment, answer, version, "Said once")
    assert repeated.status_code == 200 and _saved_version(repeated.text, answer) == version + 1
    different = await _autosave(client, assessment, answer, version, "Said otherwise")
    assert different.status_code == 409, "a different text on an old version is still a conflict"
    stored = (await answers(db, assessment))[0]
    assert (stored.narrative, stored.version) == ("Said once", version + 1)
