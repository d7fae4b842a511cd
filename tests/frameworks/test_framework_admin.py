"""Council admins import, publish and choose frameworks; published versions never change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role
from selfassess.frameworks.models import FrameworkVersion, QualityStatement, VersionStatus
from selfassess.frameworks.service import council_settings
from selfassess.frameworks.spec import shipped_framework_path
from tests import factories
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")


@pytest.fixture(autouse=True)
def _no_published_versions_cached_by_an_earlier_test() -> None:
    """Ids restart with each test's database, so a version id published by an earlier test may be a
    draft here; the worker's cache of published versions must not answer for it."""
    from selfassess.frameworks import service

    service._published_cache.clear()


def _audit_yaml(slug: str = "northbridge-audit", version: str = "1.0") -> str:
    text = shipped_framework_path("council-quality-audit").read_text()
    return text.replace("slug: council-quality-audit", f"slug: {slug}").replace(
        'version: "1.0"', f'version: "{version}"'
    )


async def _import(client: Browser, text: str):  # type: ignore[no-untyped-def]
    return await client.client.post(
        "/admin/frameworks/import",
        data={"text": text, "_csrf_token": client.csrf_token},
        files={"file": ("", b"", "application/octet-stream")},
    )


async def test_admin_sees_shipped_frameworks_and_the_one_in_use(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    page = text_of((await client.get("/admin/frameworks")).text)
    assert "CQC single assessment framework" in page
    assert "Council quality assurance audit" in page
    assert "In use" in page


async def test_import_publish_choose_and_immutability(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    assert 'version: "1.0"' in _audit_yaml()
    response = await _import(client, _audit_yaml())
    assert response.status_code == 200, response.text
    assert "as a draft" in text_of(response.text)
    version = await db.scalar(select(FrameworkVersion).where(FrameworkVersion.status == VersionStatus.DRAFT))
    await db.commit()
    assert version is not None

    refused = await client.post(f"/admin/frameworks/{version.id}/choose")
    assert refused.status_code == 400 and "Publish the draft" in refused.text
    again = await _import(
        client, _audit_yaml().replace("Involvement and information", "Involvement and voice")
    )
    assert again.status_code == 200, "a draft can be replaced"
    await client.post(f"/admin/frameworks/{version.id}/publish")
    await client.post(f"/admin/frameworks/{version.id}/choose")
    settings = await council_settings(db, world.council_a.id)
    await db.refresh(settings)
    assert settings.framework_version_id == version.id
    titles = set(
        await db.scalars(select(QualityStatement.title).where(QualityStatement.version_id == version.id))
    )
    assert len(titles) == 24

    changed = await _import(client, _audit_yaml().replace("Involvement and voice", "Something else"))
    assert changed.status_code == 422
    assert "is published and cannot change" in text_of(changed.text)

    page = text_of((await client.get(f"/frameworks/{version.id}")).text)
    assert "Involvement and voice" in page
    source = await client.get(f"/frameworks/{version.id}/source")
    assert source.headers["content-disposition"] == 'attachment; filename="northbridge-audit-1.0.yaml"'


async def test_a_broken_file_lists_every_problem_and_keeps_the_text(
    client: Browser, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    broken = _audit_yaml().replace("good_value: 3", "good_value: 7").replace("code: D1.2", "code: D1.1")
    response = await _import(client, broken)
    assert response.status_code == 422
    page = text_of(response.text)
    assert "The file has 2 problems" in page
    assert "good_value" in page and 'duplicate code "D1.1"' in page
    assert "good_value: 7" in response.text, "the pasted text is kept for fixing"
    garbage = await _import(client, "slug: [unclosed")
    assert "YAML syntax error" in text_of(garbage.text)


async def test_another_councils_framework_is_invisible_and_slugs_are_owned(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    admin_b = await factories.user(db, world.council_b, Role.COUNCIL_ADMIN)
    await client.login(world.admin_a.email)
    await _import(client, _audit_yaml())
    version_id = await db.scalar(
        select(FrameworkVersion.id).where(FrameworkVersion.status == VersionStatus.DRAFT)
    )
    await db.commit()
    async with browsers() as other:
        await other.login(admin_b.email)
        assert "Council quality assurance audit" in (await other.get("/admin/frameworks")).text
        assert "northbridge-audit" not in (await other.get("/admin/frameworks")).text
        assert (await other.get(f"/frameworks/{version_id}")).status_code == 404
        assert (await other.post(f"/admin/frameworks/{version_id}/publish")).status_code == 404
        clash = await _import(other, _audit_yaml())
        assert clash.status_code == 422 and "belongs to another framework" in text_of(clash.text)
        shipped = await _import(other, shipped_framework_path("cqc-saf").read_text())
        assert shipped.status_code == 422, "a shipped framework cannot be overwritten by a council"
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(FrameworkVersion)) == 3


async def test_framework_pages_are_for_admins_and_staff(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    assert (await client.get("/admin/frameworks")).status_code == 403
    await client.logout()
    await client.login(world.manager_1.email)
    assert (await client.get("/admin/frameworks")).status_code == 403


async def test_a_council_framework_says_how_its_overall_rating_is_reached(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.admin_a.email)
    points = "overall_method: key_question_points"
    assert points in _audit_yaml()
    wrong = await _import(client, _audit_yaml().replace(points, "overall_method: best_of_five"))
    assert wrong.status_code == 422
    assert 'overall_method: must be one of "rating_principles", "key_question_points"' in text_of(wrong.text)

    response = await _import(client, _audit_yaml().replace(points, "overall_method: rating_principles"))
    assert response.status_code == 200, response.text
    version = await db.scalar(select(FrameworkVersion).where(FrameworkVersion.status == VersionStatus.DRAFT))
    await db.commit()
    assert version is not None and version.overall_method == "rating_principles"
    page = text_of((await client.get(f"/frameworks/{version.id}")).text)
    assert "The overall rating The overall rating follows the regulator's rating principles." in page
    shipped = await db.scalar(
        select(FrameworkVersion.id).where(FrameworkVersion.overall_method == "key_question_points")
    )
    assert shipped is not None
    page = text_of((await client.get(f"/frameworks/{shipped}")).text)
    assert "Each key question's rating counts as points" in page
