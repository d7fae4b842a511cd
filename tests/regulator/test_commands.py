"""The operator's commands: import-regulator (preview, confirm, progress bar, resume) and
sync-regulator (alerts e-mailed to the officer through the real SMTP sink), against the fake API."""

from __future__ import annotations

import asyncio
import functools

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role
from selfassess.cli import main
from selfassess.providers.models import CareService
from selfassess.regulator import client as regulator_client
from selfassess.regulator.commands import progress_bar
from selfassess.regulator.mapping import default_local_authority
from tests import factories
from tests.mail_sink import SmtpSink
from tests.regulator.fake_cqc import KEY, FakeCQC, RecordedSleep, location_json


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeCQC:
    """The commands talk to the fake API, with the key set in the environment as under cron."""
    fake = FakeCQC()
    monkeypatch.setenv("SELFASSESS_CQC_SUBSCRIPTION_KEY", KEY)
    monkeypatch.setattr(
        regulator_client,
        "open_client",
        functools.partial(regulator_client.open_client, transport=fake.transport(), sleep=RecordedSleep()),
    )
    return fake


def test_the_progress_bar_and_the_area_name() -> None:
    import io

    out = io.StringIO()
    show = progress_bar("Fetching", out, width=10)
    show(5, 10)
    show(10, 10)
    assert out.getvalue() == "\rFetching [#####.....]     5/10\rFetching [##########]    10/10\n"
    assert default_local_authority("Wigan Council") == "Wigan"
    assert default_local_authority("Kent County Council") == "Kent"


async def test_import_then_sync_from_the_command_line(
    db: AsyncSession,
    fake: FakeCQC,
    sink: SmtpSink,
    cli_environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    council = await factories.council(db, "Northbridge Council")
    admin = await factories.user(db, council, Role.COUNCIL_ADMIN, email="admin@northbridge.test")
    for number in range(12):
        fake.add(location_json(f"1-10{number}", "1-77", name=f"Home {number}", postcode="NB1 1AA"))
    await db.commit()

    without_terminal = ["import-regulator", "--council", "Northbridge Council"]
    assert await asyncio.to_thread(main, without_terminal) == 1
    output = capsys.readouterr()
    assert "New service                         12" in output.out
    assert "Fetching [##############################]    12/12" in output.err
    assert "add --yes" in output.err
    assert await db.scalar(select(func.count(CareService.id))) == 0
    fetched = fake.calls_to("/locations/1-100")

    assert await asyncio.to_thread(main, [*without_terminal, "--yes"]) == 0
    output = capsys.readouterr()
    assert "Carrying on with the import of Northbridge" in output.out
    assert "Created 12, matched 0, updated 0 service(s)" in output.out
    assert fake.calls_to("/locations/1-100") == fetched, "the preview's fetch is reused"
    await db.commit()
    assert await db.scalar(select(func.count(CareService.id))) == 12

    fake.change("1-105", registrationStatus="Deregistered")
    assert await asyncio.to_thread(main, ["sync-regulator"]) == 0
    assert "1 location(s) changed, 1 of them ours, 1 refreshed, 1 alert(s) sent" in capsys.readouterr().out
    [message] = sink.received  # no officer assigned: the council's admins hear of it
    assert message["To"] == admin.email
    assert "Home 5: Registration with the CQC ended (Deregistered)." in message.get_content()

    assert await asyncio.to_thread(main, ["import-regulator", "--council", "Nowhere"]) == 2
    assert "There is no council called 'Nowhere'" in capsys.readouterr().err
    fake.key = "rotated"
    assert await asyncio.to_thread(main, ["sync-regulator"]) == 2
    assert "refused the subscription key (401)" in capsys.readouterr().err
