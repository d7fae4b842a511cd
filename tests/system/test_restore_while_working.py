"""`selfassess restore` while someone is autosaving: it either refuses (nothing changed) or completes
cleanly (the backup's rows, everyone signed out), never a deadlock, a half-restored database or a
500; twenty times in a row, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import LoginSession
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.cli import main
from selfassess.settings import Settings, get_settings
from tests import factories
from tests.assessments.helpers import answers
from tests.support import Browser
from tests.system.test_outages import _autosave, _first_answer, _saved_version

pytestmark = pytest.mark.usefixtures("frameworks")

ROUNDS = 20


@pytest.fixture
def command_line(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`selfassess backup` and `restore` read the test database's settings from the environment."""
    if not settings.is_sqlite and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    assert settings.database_url is not None
    monkeypatch.setenv("SELFASSESS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SELFASSESS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SELFASSESS_SECRET_KEY", "restore-test-secret")
    monkeypatch.setenv("SELFASSESS_PASSWORD_HASH_MEMORY_KIB", "1024")
    monkeypatch.setenv("SELFASSESS_PASSWORD_HASH_TIME_COST", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _active_sessions(db: AsyncSession) -> int:
    count = await db.scalar(
        select(func.count()).select_from(LoginSession).where(LoginSession.ended_at.is_(None))
    )
    await db.commit()  # hold nothing open: a restore waits for every transaction in progress
    return count or 0


async def _restore_while_autosaving(
    client: Browser, assessment: SelfAssessment, answer: SelfAssessmentAnswer, version: int, backup: Path
) -> tuple[int, list[int], str]:
    """Autosave as the page does until the restore has finished and, if it completed, the page has
    been sent to sign in. Returns the command's exit status, the answers' statuses and the last text
    the server acknowledged."""
    statuses: list[int] = []
    acknowledged = {"version": version, "text": ""}
    outcome: list[int] = []

    async def autosave() -> None:
        keystroke = 0
        while True:
            keystroke += 1
            text = f"Draft {keystroke}"
            response = await _autosave(client, assessment, answer, acknowledged["version"], text)
            statuses.append(response.status_code)
            if response.headers.get("hx-redirect", "").startswith("/login"):
                return  # the restore ended the session: the page goes to sign in
            if response.status_code == 200:
                acknowledged.update(version=_saved_version(response.text, answer), text=text)
            if outcome and outcome[0] != 0:
                return  # refused, and nobody was signed out
            await asyncio.sleep(0.02)

    async def restore() -> None:
        await asyncio.sleep(0.05)
        outcome.append(await asyncio.to_thread(main, ["restore", str(backup), "--yes"]))

    await asyncio.wait_for(asyncio.gather(autosave(), restore()), timeout=90)
    return outcome[0], statuses, str(acknowledged["text"])


async def test_restore_while_someone_autosaves_refuses_or_completes_cleanly(
    client: Browser,
    db: AsyncSession,
    world: factories.World,
    command_line: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assessment, answer, version = await _first_answer(client, world, db)
    assert (await _autosave(client, assessment, answer, version, "In the backup")).status_code == 200
    backup = tmp_path / "before.backup"
    assert main(["backup", str(backup)]) == 0
    in_backup = version + 1

    outcomes = []
    for round_number in range(ROUNDS):
        await client.login(world.manager_1.email)
        stored = (await answers(db, assessment))[0]
        outcome, statuses, acknowledged = await _restore_while_autosaving(
            client, assessment, answer, stored.version, backup
        )
        outcomes.append(outcome)
        output = capsys.readouterr()
        assert set(statuses) <= {200, 503}, f"round {round_number}: {statuses}"
        stored = (await answers(db, assessment))[0]
        if outcome == 0:
            assert "Restored" in output.out
            assert (stored.narrative, stored.version) == ("In the backup", in_backup), "the backup's rows"
            assert await _active_sessions(db) == 0, "everyone signs in again"
        else:
            assert outcome == 2 and "nothing was changed" in output.err, output.err
            assert stored.narrative == acknowledged, "what was acknowledged is kept"
    assert outcomes.count(0) >= ROUNDS // 2, f"mostly it simply completes: {outcomes}"
