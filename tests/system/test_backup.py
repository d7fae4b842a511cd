"""`selfassess backup` and `selfassess restore`: a round trip gives the data back, and restore
refuses anything it cannot trust. SQLite always; PostgreSQL too when a test server and pg_dump are
available (SELFASSESS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from selfassess.cli import main
from selfassess.settings import get_settings
from tests.conftest import POSTGRES_ADMIN_URL, _create_postgres_database, _drop_postgres_database


def _admin(council: str, email: str) -> list[str]:
    return [
        "create-admin",
        "--council",
        council,
        "--email",
        email,
        "--name",
        "Lee Lead",
        "--password",
        "a long secret",
    ]


def _environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path, database_url: str | None = None) -> None:
    monkeypatch.setenv("SELFASSESS_DATA_DIR", str(data_dir))
    if database_url:
        monkeypatch.setenv("SELFASSESS_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("SELFASSESS_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFASSESS_SECRET_KEY", "backup-test-secret")
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Migrating takes a second; do it once and copy the file for each test."""
    data_dir = tmp_path_factory.mktemp("migrated")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _environment(monkeypatch, data_dir)
        assert main(["migrate"]) == 0
    get_settings.cache_clear()
    yield data_dir / "selfassess.db"


@pytest.fixture
def sqlite_data(migrated_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "selfassess.db"
    shutil.copyfile(migrated_sqlite, database)
    _environment(monkeypatch, tmp_path / "data")
    yield database
    get_settings.cache_clear()


def _add_council(database: Path, name: str) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO organisation (kind, name, slug, created_at, updated_at) "
            "VALUES ('council', ?, ?, '2025-01-01', '2025-01-01')",
            (name, name.lower().replace(" ", "-")),
        )


def _sqlite_councils(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM organisation ORDER BY name")]


def test_sqlite_round_trip(sqlite_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _add_council(sqlite_data, "Wigan Council")
    target = tmp_path / "nightly.db"
    assert main(["backup", str(target)]) == 0
    assert f"to {target}" in capsys.readouterr().out
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert not list(tmp_path.glob("nightly.db-*")), "one self-contained file, no -wal or -shm beside it"

    _add_council(sqlite_data, "Bolton Council")
    assert _sqlite_councils(sqlite_data) == ["Bolton Council", "Wigan Council"]

    assert main(["restore", str(target)]) == 2, "not without --yes"
    assert "--yes" in capsys.readouterr().err
    assert _sqlite_councils(sqlite_data) == ["Bolton Council", "Wigan Council"]

    assert main(["restore", str(target), "--yes"]) == 0
    assert "Restored" in capsys.readouterr().out
    assert _sqlite_councils(sqlite_data) == ["Wigan Council"]
    assert main(_admin("Bolton Council", "lead@bolton.example")) == 0, "the restored database works"


def test_sqlite_backup_is_a_consistent_snapshot_while_someone_is_writing(
    sqlite_data: Path, tmp_path: Path
) -> None:
    _add_council(sqlite_data, "Wigan Council")
    writer = sqlite3.connect(sqlite_data, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO organisation (kind, name, slug, created_at, updated_at) "
            "VALUES ('council', 'Half-written Council', 'half', '2025-01-01', '2025-01-01')"
        )
        assert main(["backup", str(tmp_path / "during.db")]) == 0, "a write in progress does not block it"
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert _sqlite_councils(tmp_path / "during.db") == ["Wigan Council"], "only committed data"


def test_backup_never_overwrites(
    sqlite_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "keep.db"
    existing.write_text("an older backup")
    assert main(["backup", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert existing.read_text() == "an older backup"
    assert main(["backup", str(tmp_path / "no-such-folder" / "x.db")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_restore_refuses_files_it_cannot_trust(
    sqlite_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_council(sqlite_data, "Wigan Council")

    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("SQLite? no: just some text that is long enough to have a header")
    assert main(["restore", str(not_sqlite), "--yes"]) == 2
    assert "is not a SQLite database" in capsys.readouterr().err

    other_app = tmp_path / "other.db"
    with sqlite3.connect(other_app) as connection:
        connection.execute("CREATE TABLE things (id INTEGER)")
    assert main(["restore", str(other_app), "--yes"]) == 2
    assert "no selfassess schema" in capsys.readouterr().err

    from_the_future = tmp_path / "future.db"
    assert main(["backup", str(from_the_future)]) == 0
    with sqlite3.connect(from_the_future) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    assert main(["restore", str(from_the_future), "--yes"]) == 2
    assert "does not know" in capsys.readouterr().err

    assert main(["restore", str(tmp_path / "missing.db"), "--yes"]) == 2
    assert "There is no backup file" in capsys.readouterr().err
    assert _sqlite_councils(sqlite_data) == ["Wigan Council"], "nothing was touched"


def test_restoring_an_older_backup_says_to_migrate(
    sqlite_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = tmp_path / "older.db"
    assert main(["backup", str(older)]) == 0
    with sqlite3.connect(sqlite_data) as connection:
        known = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    from alembic.script import ScriptDirectory

    from selfassess.db import alembic_config

    previous = ScriptDirectory.from_config(alembic_config(get_settings())).get_revision(known).down_revision
    if not isinstance(previous, str):
        pytest.skip("only one migration so far")
    with sqlite3.connect(older) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (previous,))
    capsys.readouterr()
    assert main(["restore", str(older), "--yes"]) == 0
    assert "run `selfassess migrate`" in capsys.readouterr().out


def test_postgres_tools_missing_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _environment(monkeypatch, tmp_path, "postgresql://nobody:secret@127.0.0.1:1/none")
    monkeypatch.setattr("selfassess.backup.shutil.which", lambda name: None)
    get_settings.cache_clear()
    try:
        assert main(["backup", str(tmp_path / "pg.dump")]) == 2
    finally:
        get_settings.cache_clear()
    error = capsys.readouterr().err
    assert "pg_dump was not found" in error and "postgresql-client" in error
    assert "secret" not in error


@pytest.fixture
def postgres_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    if not POSTGRES_ADMIN_URL:
        pytest.skip("set SELFASSESS_TEST_POSTGRES_URL to test the PostgreSQL route")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    name, url = _create_postgres_database()
    _environment(monkeypatch, tmp_path / "data", url)
    try:
        assert main(["migrate"]) == 0
        yield url
    finally:
        get_settings.cache_clear()
        _drop_postgres_database(name)


def _pg_connect(url: str) -> psycopg.Connection:
    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


def _pg_add_council(url: str, name: str) -> None:
    with _pg_connect(url) as connection:
        connection.execute(
            "INSERT INTO organisation (kind, name, slug, created_at, updated_at) "
            "VALUES ('council', %s, %s, now(), now())",
            (name, name.lower().replace(" ", "-")),
        )


def _pg_councils(url: str) -> list[str]:
    with _pg_connect(url) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM organisation ORDER BY name")]


def test_postgres_round_trip(postgres_data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pg_add_council(postgres_data, "Wigan Council")
    target = tmp_path / "nightly.dump"
    assert main(["backup", str(target)]) == 0
    assert target.read_bytes().startswith(b"PGDMP"), "pg_dump's custom format"

    _pg_add_council(postgres_data, "Bolton Council")
    assert _pg_councils(postgres_data) == ["Bolton Council", "Wigan Council"]

    capsys.readouterr()
    assert main(["restore", str(target), "--yes"]) == 0, capsys.readouterr().err
    assert _pg_councils(postgres_data) == ["Wigan Council"]
    assert main(_admin("Bolton Council", "lead@bolton.example")) == 0, "the restored database works"

    sqlite_file = tmp_path / "wrong-kind.db"
    with sqlite3.connect(sqlite_file) as connection:
        connection.execute("CREATE TABLE things (id INTEGER)")
    assert main(["restore", str(sqlite_file), "--yes"]) == 2
    assert "not a pg_dump custom-format backup" in capsys.readouterr().err
