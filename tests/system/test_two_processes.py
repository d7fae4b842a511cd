"""Two real server processes over one PostgreSQL database behave as one service.

The README promises that any number of workers and hosts can run behind a load balancer: sessions
are signed cookies checked against the database, CSRF tokens are signed with the shared secret
key, and nothing lives in a process. Here two `selfassess serve` processes (different ports, the
same database and secret key) stand in for two hosts: a person signs in through one and carries on
through the other, and ending a session on one ends it on the other.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.models import EvidenceItem, SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.db import create_engine_for
from selfassess.settings import Settings
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("frameworks")

CSRF_COOKIE = "selfassess_csrf"
START_TIMEOUT_SECONDS = 90  # a very busy shared machine; a few seconds when quiet


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(settings: Settings, folder: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """`selfassess serve` in its own process against the test database: its base URL, and a
    function that waits until it answers /health."""
    port = _free_port()
    folder.mkdir()
    environment = {
        **os.environ,
        "SELFASSESS_DATABASE_URL": str(settings.database_url),
        "SELFASSESS_SECRET_KEY": "one-secret-for-every-host",
        "SELFASSESS_DATA_DIR": str(folder),
        "SELFASSESS_BASE_URL": "http://127.0.0.1",
        "SELFASSESS_PASSWORD_HASH_MEMORY_KIB": str(settings.password_hash_memory_kib),
        "SELFASSESS_PASSWORD_HASH_TIME_COST": str(settings.password_hash_time_cost),
    }
    log = folder / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "selfassess.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def healthy() -> None:
        deadline, answer = time.monotonic() + START_TIMEOUT_SECONDS, "nothing"
        while True:
            assert process.poll() is None, f"the server stopped:\n{log.read_text()[-2000:]}"
            try:
                response = httpx.get(f"{url}/health", timeout=1)
                if response.status_code == 200:
                    return
                answer = f"{response.status_code} {response.text}"
            except httpx.HTTPError as error:
                answer = repr(error)
            assert time.monotonic() < deadline, f"/health answered {answer}:\n{log.read_text()[-2000:]}"
            time.sleep(0.1)

    try:
        yield url, healthy
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def two_servers(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if not settings.database_url or not settings.database_url.startswith("postgresql"):
        pytest.skip("several hosts share one PostgreSQL database; SQLite is for one host")
    with ExitStack() as stack:
        # Both start at once (each takes a moment to import and connect), then both must answer.
        first, first_healthy = stack.enter_context(_server(settings, tmp_path / "a"))
        second, second_healthy = stack.enter_context(_server(settings, tmp_path / "b"))
        first_healthy()
        second_healthy()
        yield first, second


class Person:
    """One browser whose requests the load balancer sends to whichever host it likes."""

    def __init__(self) -> None:
        self.cookies = httpx.Cookies()

    def on(self, host: str) -> httpx.Client:
        """A connection to one host, carrying (and keeping) this browser's cookies. Cookies are per
        host name, not per port, as a browser keeps them for one site behind a load balancer."""
        return httpx.Client(base_url=host, cookies=self.cookies, follow_redirects=False, timeout=10)

    def send(self, host: str, method: str, url: str, **kwargs: object) -> httpx.Response:
        with self.on(host) as client:
            response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
            self.cookies = client.cookies
        return response

    def form(self, host: str, url: str, data: dict[str, object], htmx: bool = False) -> httpx.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.send(host, "POST", url, data={**data, "_csrf_token": self.csrf}, headers=headers)

    @property
    def csrf(self) -> str:
        return self.cookies.get(CSRF_COOKIE) or ""

    def sign_in(self, host: str, email: str, password: str = PASSWORD) -> None:
        self.send(host, "GET", "/login")
        response = self.form(host, "/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text[:300]

    def signed_in(self, host: str) -> bool:
        response = self.send(host, "GET", "/home")
        assert response.status_code in (200, 302, 303), response.status_code
        return response.status_code == 200


async def test_a_session_carries_on_through_another_process_and_ends_on_both(
    two_servers: tuple[str, str], db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    first, second = two_servers
    assessment = await SelfAssessments(db, world.manager_1, settings).start(world.alpha, "2026/27")
    answer = await db.scalar(
        select(SelfAssessmentAnswer).where(SelfAssessmentAnswer.assessment_id == assessment.id).limit(1)
    )
    assert answer is not None and answer.id is not None
    await db.commit()

    manager = Person()
    manager.sign_in(first, world.manager_1.email)
    assert manager.signed_in(second), "the other process knows the session"

    # Autosave (htmx, CSRF header) and a plain CSRF-protected form, both through the second.
    saved = manager.send(
        second,
        "POST",
        f"/assessments/{assessment.id}/answers/{answer.id}",
        data={
            "version": 0,
            "score": 3,
            "narrative": "Saved through the second host.",
            "improvement_plan": "",
        },
        headers={"HX-Request": "true", "x-csrftoken": manager.csrf},
    )
    assert saved.status_code == 200, saved.text[:300]
    note = manager.form(
        second,
        f"/assessments/{assessment.id}/answers/{answer.id}/evidence/note",
        {"text": "Rota audit, May."},
    )
    assert note.status_code in (200, 303), note.text[:300]
    forged = manager.send(
        second, "POST", f"/assessments/{assessment.id}/answers/{answer.id}/evidence/note", data={"text": "x"}
    )
    assert forged.status_code == 403, "the second host checks CSRF tokens the first one issued"
    await db.commit()  # a fresh look at what the servers wrote
    stored = await db.get_one(SelfAssessmentAnswer, answer.id, populate_existing=True)
    assert (stored.score, stored.narrative) == (3, "Saved through the second host.")
    assert (
        await db.scalar(select(EvidenceItem.text).where(EvidenceItem.answer_id == answer.id))
        == "Rota audit, May."
    )

    # Signing out through the second ends the session on the first too.
    assert manager.form(second, "/logout", {}).status_code in (302, 303)
    assert not manager.signed_in(first)

    # A password changed through one host ends the person's other sessions on every host.
    laptop, phone = Person(), Person()
    laptop.sign_in(first, world.manager_1.email)
    phone.sign_in(second, world.manager_1.email)
    assert phone.signed_in(first)
    new_password = "a much longer new passphrase 2026"
    changed = laptop.form(
        second,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new_password, "confirm_password": new_password},
    )
    assert changed.status_code == 303, changed.text[:300]
    assert laptop.signed_in(first), "the session that changed it carries on"
    assert not phone.signed_in(first) and not phone.signed_in(second)
    assert re.search(r"/login", phone.send(second, "GET", "/home").headers.get("location", ""))


async def test_behind_a_transaction_pooler_psycopg_prepares_nothing(settings: Settings) -> None:
    """PgBouncer in transaction mode (before 1.21) cannot follow prepared statements across
    server connections: with the setting off, psycopg never prepares one."""
    if settings.is_sqlite:
        pytest.skip("PostgreSQL only")
    for prepared, threshold in ((True, 5), (False, None)):
        engine = create_engine_for(settings.model_copy(update={"database_prepared_statements": prepared}))
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert raw.driver_connection.prepare_threshold == threshold  # type: ignore[union-attr]
        await engine.dispose()
