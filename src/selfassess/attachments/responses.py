"""Sending a stored file back: always as a download, never rendered inline by the browser."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response

from selfassess.attachments.models import StoredFile


def download(stored: StoredFile, data: bytes) -> Response[bytes]:
    ascii_name = stored.filename.encode("ascii", "replace").decode().replace('"', "'")
    return Response(
        data,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.filename)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )
