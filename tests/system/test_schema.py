"""The migrations build exactly the schema the models describe, on every database the tests run on:
a model changed without a migration (or a migration that drifts from the models) fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import selfassess.models  # noqa: F401  (registers every table)
from selfassess.settings import Settings


def test_migrations_produce_exactly_the_models_schema(settings: Settings) -> None:
    engine = create_engine(settings.sync_sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
            )
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == [], "\n".join(map(str, differences))
