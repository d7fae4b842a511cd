"""Evidence for a statement: notes and files, with size and type limits and safe file names."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.models import EvidenceItem
from selfassess.attachments.models import StoredFile
from selfassess.attachments.service import clean_filename
from tests import factories
from tests.assessments.helpers import answers, start
from tests.support import Browser, text_of

pytestmark = pytest.mark.usefixtures("frameworks")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _upload(
    client: Browser, url: str, name: str, content: bytes, content_type: str = "application/pdf"
):  # type: ignore[no-untyped-def]
    return await client.client.post(
        url,
        files={"file": (name, content, content_type)},
        data={"category": "processes", "_csrf_token": client.csrf_token},
        headers={"HX-Request": "true"},
    )


async def test_notes_and_files_are_added_listed_downloaded_and_removed(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    medicines = (await answers(db, assessment))[7]  # S8 Medicines optimisation
    base = f"/assessments/{assessment.id}/answers/{medicines.id}/evidence"

    note = await client.post(
        f"{base}/note", {"text": "Monthly MAR chart audit: 100% complete", "category": "processes"}, htmx=True
    )
    assert note.status_code == 200
    assert "Monthly MAR chart audit: 100% complete" in note.text and "Processes" in note.text

    uploaded = await _upload(client, f"{base}/file", "medicines-audit.pdf", PDF)
    assert uploaded.status_code == 200, uploaded.text
    assert "medicines-audit.pdf" in uploaded.text
    item = await db.scalar(select(EvidenceItem).where(EvidenceItem.file_id.is_not(None)))
    await db.commit()
    download = await client.get(f"/assessments/{assessment.id}/evidence/{item.id}/download")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["content-disposition"].startswith('attachment; filename="medicines-audit.pdf"')

    removed = await client.post(f"/assessments/{assessment.id}/evidence/{item.id}/delete", htmx=True)
    assert "medicines-audit.pdf" not in removed.text
    assert "Monthly MAR chart audit" in removed.text
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(EvidenceItem)) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00binary", "Files of this type cannot be uploaded."),
        (
            "report.pdf",
            b"<html><script>alert(1)</script></html>",
            "The file's contents do not match its name (.pdf).",
        ),
        ("notes.txt", b"\xff\xfe\x00\x00binary", "A text or CSV file must be plain UTF-8 text."),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
async def test_wrong_type_or_empty_files_are_refused_with_a_reason(
    client: Browser, db: AsyncSession, world: factories.World, name: str, content: bytes, message: str
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    response = await _upload(
        client, f"/assessments/{assessment.id}/answers/{first.id}/evidence/file", name, content
    )
    assert response.status_code == 422
    assert message in text_of(response.text)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(StoredFile)) == 0


async def test_oversized_file_is_refused(
    client: Browser, db: AsyncSession, world: factories.World, settings
) -> None:  # type: ignore[no-untyped-def]
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    too_big = PDF + b"0" * settings.upload_max_bytes
    response = await _upload(
        client, f"/assessments/{assessment.id}/answers/{first.id}/evidence/file", "big.pdf", too_big
    )
    assert response.status_code in (413, 422)
    assert "larger than" in text_of(response.text) or "too large" in text_of(response.text)


async def test_path_tricks_in_file_names_are_stripped(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    response = await _upload(
        client, f"/assessments/{assessment.id}/answers/{first.id}/evidence/file", "../../etc/passwd.pdf", PDF
    )
    assert response.status_code == 200
    await db.commit()
    assert await db.scalar(select(StoredFile.filename)) == "passwd.pdf"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/etc/shadow.txt", "shadow.txt"),
        ("report<script>.pdf", "reportscript.pdf"),
        ("   ", "evidence"),
        ("..", "evidence"),
        ("a" * 300 + ".pdf", "a" * 110 + ".pdf"),
    ],
)
def test_clean_filename(given: str, kept: str) -> None:
    assert clean_filename(given) == kept


async def test_blank_note_keeps_the_form_and_says_why(
    client: Browser, db: AsyncSession, world: factories.World
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    response = await client.post(
        f"/assessments/{assessment.id}/answers/{first.id}/evidence/note",
        {"text": "", "category": "processes"},
        htmx=True,
    )
    assert response.status_code == 422
    assert "Evidence is required." in response.text
    bad_category = await client.post(
        f"/assessments/{assessment.id}/answers/{first.id}/evidence/note",
        {"text": "A real note", "category": "astrology"},
        htmx=True,
    )
    assert "Choose an evidence category from the list." in bad_category.text
    assert "A real note" in bad_category.text, "what was typed is kept"


async def test_another_provider_cannot_download_or_remove_evidence(
    client: Browser,
    browsers,
    db: AsyncSession,
    world: factories.World,  # type: ignore[no-untyped-def]
) -> None:
    await client.login(world.manager_1.email)
    assessment = await start(client, world.alpha, db)
    first = (await answers(db, assessment))[0]
    await _upload(
        client, f"/assessments/{assessment.id}/answers/{first.id}/evidence/file", "private.pdf", PDF
    )
    item = await db.scalar(select(EvidenceItem))
    await db.commit()
    async with browsers() as stranger:
        await stranger.login(world.manager_2.email)
        assert (
            await stranger.get(f"/assessments/{assessment.id}/evidence/{item.id}/download")
        ).status_code == 404
        assert (
            await stranger.post(f"/assessments/{assessment.id}/evidence/{item.id}/delete")
        ).status_code == 404
        upload = await _upload(
            stranger, f"/assessments/{assessment.id}/answers/{first.id}/evidence/file", "x.pdf", PDF
        )
        assert upload.status_code == 404
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(EvidenceItem)) == 1
