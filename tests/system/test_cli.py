"""The selfassess command, run in-process against throwaway SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from selfassess.accounts.models import Organisation, User
from selfassess.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from selfassess.settings import get_settings

    monkeypatch.setenv("SELFASSESS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SELFASSESS_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFASSESS_SECRET_KEY", "cli-test-secret")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _count(data_dir: Path, model: type) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'selfassess.db'}")
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_demo_loads_once_and_prints_how_to_sign_in(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    printed = capsys.readouterr().out
    assert "manager@brightwater.example" in printed and "officer@northbridge.example" in printed
    assert "demo-password" in printed
    users = _count(data_dir, User)
    assert users >= 5
    assert main(["demo"]) == 0, "a second run leaves the data alone"
    assert _count(data_dir, User) == users


def test_serve_refuses_an_unmigrated_database(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "1"]) == 2
    assert "Run `selfassess migrate`" in capsys.readouterr().err


def test_migrate_then_create_admin(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    args = [
        "create-admin",
        "--council",
        "Wigan Council",
        "--email",
        "Lead@Wigan.example",
        "--name",
        "Lee Lead",
        "--password",
        "a long admin secret",
    ]
    assert main(args) == 0
    assert "Created council admin lead@wigan.example for Wigan Council." in capsys.readouterr().out
    assert main(args) == 2, "the same e-mail twice"
    assert "There is already an account for lead@wigan.example." in capsys.readouterr().err
    assert _count(data_dir, Organisation) == 1
    weak = ["create-admin", "--council", "X", "--email", "x@x.example", "--name", "X", "--password", "short"]
    assert main(weak) == 2


def test_migrate_down_to_base(data_dir: Path) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate", "--downgrade", "--to", "base"]) == 0
    engine = create_engine(f"sqlite:///{data_dir / 'selfassess.db'}")
    try:
        from sqlalchemy import inspect

        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_migrate_installs_the_shipped_frameworks_and_import_framework_adds_one(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from selfassess.frameworks.models import Framework, FrameworkVersion
    from selfassess.frameworks.spec import shipped_framework_path

    assert main(["migrate"]) == 0
    assert _count(data_dir, Framework) == 2
    assert main(["migrate"]) == 0, "running it again changes nothing"
    assert _count(data_dir, FrameworkVersion) == 2

    own = tmp_path / "own.yaml"
    own.write_text(
        shipped_framework_path("council-quality-audit")
        .read_text()
        .replace("slug: council-quality-audit", "slug: wigan-audit")
    )
    main(
        [
            "create-admin",
            "--council",
            "Wigan Council",
            "--email",
            "a@wigan.example",
            "--name",
            "A",
            "--password",
            "a long admin secret",
        ]
    )
    capsys.readouterr()
    assert main(["import-framework", str(own), "--council", "Wigan Council", "--publish"]) == 0
    assert (
        "Imported Council quality assurance audit version 1.0 (24 statements) as published"
        in capsys.readouterr().out
    )
    assert _count(data_dir, FrameworkVersion) == 3
    broken = tmp_path / "broken.yaml"
    broken.write_text("slug: x\n")
    assert main(["import-framework", str(broken)]) == 2
    assert "name: field required" in capsys.readouterr().err
    assert main(["import-framework", str(own), "--council", "Nowhere"]) == 2


def test_recompute_ratings_lists_nothing_when_every_rating_is_current(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recompute-ratings"]) == 2, "refuses an unmigrated database"
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["recompute-ratings"]) == 0
    printed = capsys.readouterr().out
    assert "Checked 2 published visit(s): 0 overall rating(s) come out differently" in printed


def test_migration_0006_records_the_cqc_frameworks_rating_principles(data_dir: Path) -> None:
    """Versions installed before 0006 keep key question points, except the shipped CQC framework's."""
    from sqlalchemy import text

    assert main(["migrate", "--to", "0005"]) == 0
    engine = create_engine(f"sqlite:///{data_dir / 'selfassess.db'}")
    try:
        with engine.begin() as connection:
            for framework_id, slug in ((1, "cqc-saf"), (2, "council-quality-audit"), (3, "wigan-audit")):
                connection.execute(
                    text(
                        "INSERT INTO framework (id, slug, name, created_at, updated_at) "
                        "VALUES (:id, :slug, :slug, '2026-01-01', '2026-01-01')"
                    ),
                    {"id": framework_id, "slug": slug},
                )
                connection.execute(
                    text(
                        "INSERT INTO framework_version (framework_id, version, status, good_value, "
                        "source_yaml, created_at, updated_at) "
                        "VALUES (:id, '1', 'published', 3, '', '2026-01-01', '2026-01-01')"
                    ),
                    {"id": framework_id},
                )
        assert main(["migrate", "--to", "0006"]) == 0
        with engine.connect() as connection:
            methods = dict(
                connection.execute(
                    text(
                        "SELECT framework.slug, framework_version.overall_method FROM framework_version "
                        "JOIN framework ON framework.id = framework_version.framework_id"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    assert methods == {
        "cqc-saf": "rating_principles",
        "council-quality-audit": "key_question_points",
        "wigan-audit": "key_question_points",
    }
