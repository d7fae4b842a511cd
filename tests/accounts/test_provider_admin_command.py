"""The operator's command that gives an existing provider organisation its admin."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role, User
from selfassess.cli import main
from tests import factories
from tests.mail_sink import SmtpSink
from tests.support import Browser


async def test_invite_provider_admin_emails_a_link_that_sets_up_the_account(
    client: Browser,
    db: AsyncSession,
    world: factories.World,
    sink: SmtpSink,
    cli_environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    provider_name = world.provider_1.name
    await db.commit()  # the command writes while this session would otherwise hold a read snapshot
    invite = [
        "invite-provider-admin",
        "--provider",
        provider_name,
        "--email",
        "Boss@One.example",
        "--name",
        "Bo",
    ]
    assert await asyncio.to_thread(main, invite) == 0
    assert "Invited boss@one.example as provider admin of Provider One" in capsys.readouterr().out
    unknown = ["invite-provider-admin", "--provider", "Nobody Ltd", "--email", "x@y.example", "--name", "X"]
    assert await asyncio.to_thread(main, unknown) == 2
    assert "There is no provider organisation called 'Nobody Ltd'" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["send-mail"]) == 0
    [message] = sink.received
    assert message["To"] == "boss@one.example"
    token = message.get_content().split("/set-password?token=", 1)[1].split()[0]
    await client.post(
        "/set-password",
        {"token": token, "new_password": "bo's own secret", "confirm_password": "bo's own secret"},
    )
    await client.login("boss@one.example", "bo's own secret")
    assert "Mona Manager" in (await client.get("/admin/users")).text
    await db.commit()
    boss = await db.scalar(select(User).where(User.email == "boss@one.example"))
    assert (
        boss is not None and boss.role is Role.PROVIDER_ADMIN and boss.organisation_id == world.provider_1.id
    )
