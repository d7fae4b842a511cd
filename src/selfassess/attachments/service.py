"""Accepting evidence files safely: size and type limits, file names that cannot be paths, and the
type decided by the file's contents rather than by what the browser claims."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.attachments.models import StoredFile, StoredFileContent
from selfassess.errors import Invalid, NotFound
from selfassess.settings import Settings

# extension -> (content type, a check of the first bytes)
_ZIP = b"PK\x03\x04"
_KINDS: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
}


def clean_filename(name: str) -> str:
    """Keep only the last path part (either slash), printable characters, and a sane length."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFKC", base)
    base = re.sub(r"[\x00-\x1f\x7f<>:\"/\\|?*]", "", base).strip(" .")
    if len(base) > 120:
        stem, dot, extension = base.rpartition(".")
        base = (stem[:110] + dot + extension[:9]) if dot else base[:120]
    return base or "evidence"


def check_upload(filename: str, data: bytes, settings: Settings) -> tuple[str, str]:
    """The clean file name and its content type, or Invalid with a message for the person uploading."""
    name = clean_filename(filename)
    if not data:
        raise Invalid("The file is empty.")
    if len(data) > settings.upload_max_bytes:
        limit = settings.upload_max_bytes // (1024 * 1024)
        raise Invalid(f"The file is larger than {limit} MB. Reduce its size or split it, then try again.")
    extension = PurePosixPath(name.lower()).suffix
    kind = _KINDS.get(extension)
    allowed = ", ".join(
        sorted(
            {
                ext.lstrip(".").upper()
                for ext, (ctype, _) in _KINDS.items()
                if ctype in settings.upload_allowed_types
            }
        )
    )
    if kind is None or kind[0] not in settings.upload_allowed_types:
        raise Invalid(f"Files of this type cannot be uploaded. Accepted: {allowed}.")
    content_type, signature = kind
    if signature is not None and not data.startswith(signature):
        raise Invalid(f"The file's contents do not match its name ({extension}). Accepted: {allowed}.")
    if signature is None and (b"\x00" in data[:4096] or not _is_utf8(data)):
        raise Invalid("A text or CSV file must be plain UTF-8 text.")
    return name, content_type


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def store_file(
    db: AsyncSession,
    *,
    filename: str,
    data: bytes,
    owner_organisation_id: int,
    uploader: User,
    settings: Settings,
) -> StoredFile:
    """Validate and add the file to the caller's transaction (the caller commits)."""
    name, content_type = check_upload(filename, data, settings)
    stored = StoredFile(
        organisation_id=owner_organisation_id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=uploader.id,
    )
    db.add(stored)
    await db.flush()
    db.add(StoredFileContent(file_id=stored.id, data=data))
    return stored


async def file_content(db: AsyncSession, file_id: int) -> tuple[StoredFile, bytes]:
    """The caller has already checked the viewer may see the record the file belongs to."""
    row = (
        await db.execute(
            select(StoredFile, StoredFileContent.data)
            .join(StoredFileContent, StoredFileContent.file_id == StoredFile.id)
            .where(StoredFile.id == file_id)
        )
    ).first()
    if row is None:
        raise NotFound("file")
    return row[0], row[1]
