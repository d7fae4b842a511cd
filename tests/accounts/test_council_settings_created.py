"""A council's settings row is made with the council (demo, create-admin, the tests' factories all
make councils through create_council), so reading the settings never writes; councils made before
get their row from migration 0012."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command as alembic_command
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import CouncilSettings, OrganisationKind
from selfassess.accounts.service import create_organisation
from selfassess.db import alembic_config
from selfassess.frameworks.service import (
    DEFAULT_FRAMEWORK_SLUG,
    council_named,
    council_settings,
    latest_published_version_id,
)
from selfassess.settings import Settings
from tests import factories
from tests.support import Browser


async def _settings_rows(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(CouncilSettings)) or 0


@pytest.mark.usefixtures("frameworks")
async def test_a_new_council_has_its_settings_with_the_default_framework(db: AsyncSession) -> None:
    council = await council_named(db, "Westshire Council")
    await db.commit()
    settings = await db.get(CouncilSettings, council.id)
    assert settings is not None and settings.blind_scoring
    assert settings.framework_version_id == await latest_published_version_id(db, DEFAULT_FRAMEWORK_SLUG)
    assert (await council_named(db, "Westshire Council")).id == council.id, "found again, not made twice"


async def test_reading_settings_never_writes(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    rows = await _settings_rows(db)
    assert rows == 2, "both councils of the world were made with their settings"
    await client.login(world.admin_a.email)
    assert (await client.get("/admin/settings")).status_code == 200
    await db.commit()
    assert await _settings_rows(db) == rows
    bare = await create_organisation(db, kind=OrganisationKind.COUNCIL, name="Made the old way")
    with pytest.raises(LookupError):
        await council_settings(db, bare.id)
    assert await _settings_rows(db) == rows


def test_migration_0012_gives_every_council_its_settings(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'old.db'}", data_dir=tmp_path)
    config = alembic_config(settings)
    alembic_command.upgrade(config, "0007")
    engine = create_engine(settings.sync_sqlalchemy_url)
    try:
        with engine.begin() as connection:
            for name in ("Old Council", "Old Provider"):
                kind = "council" if name == "Old Council" else "provider"
                connection.execute(
                    text(
                        "INSERT INTO organisation (kind, name, slug, created_at, updated_at) "
                        "VALUES (:kind, :name, :slug, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"kind": kind, "name": name, "slug": name.lower().replace(" ", "-")},
                )
        alembic_command.upgrade(config, "0012")
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT o.kind, s.factual_accuracy_days FROM council_settings s "
                    "JOIN organisation o ON o.id = s.council_id"
                )
            ).all()
    finally:
        engine.dispose()
    assert rows == [("council", 14)]
