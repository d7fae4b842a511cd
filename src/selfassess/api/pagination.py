"""Lists for systems that sync: `limit`, an opaque `cursor` (keyset over last change, then id) and
`updated_since`, so a BI tool can fetch only what changed since its last run, page after page,
even while records change underneath it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from litestar.exceptions import ValidationException
from pydantic import BaseModel, Field
from sqlalchemy import Row, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
MAX_LIMIT = 200


class Listing(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page.", examples=["WyIyMDI2LTEx"]
    )


def _encode(updated_at: datetime, row_id: int) -> str:
    raw = json.dumps([updated_at.astimezone(UTC).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = json.loads(raw)
        when = datetime.fromisoformat(stamp)
        if not isinstance(row_id, int) or when.tzinfo is None:
            raise ValueError
        return when, row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationException(
            "The cursor is not one this API gave out; start again without it."
        ) from None


async def keyset_page(
    db: AsyncSession,
    statement: Select[Any],
    *,
    updated_at: Any,
    row_id: Any,
    limit: int,
    cursor: str | None,
    updated_since: datetime | None,
) -> tuple[list[Row[Any]], str | None]:
    """Rows of an already scoped statement, oldest change first; the cursor of the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationException(f"limit must be between 1 and {MAX_LIMIT}.")
    if updated_since is not None:
        if updated_since.tzinfo is None:
            updated_since = updated_since.replace(tzinfo=UTC)
        statement = statement.where(updated_at >= updated_since)
    if cursor:
        after, after_id = _decode(cursor)
        statement = statement.where(or_(updated_at > after, and_(updated_at == after, row_id > after_id)))
    rows = list(await db.execute(statement.order_by(updated_at, row_id).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1][0]
    return rows, _encode(getattr(last, updated_at.key), getattr(last, row_id.key))


@dataclass(frozen=True)
class PageAsked:
    """The page a caller asked for (``limit``, ``cursor``, ``updated_since``), read once from the
    query string for every list."""

    limit: int
    cursor: str | None
    updated_since: datetime | None

    async def listing(
        self,
        db: AsyncSession,
        statement: Select[Any],
        *,
        updated_at: Any,
        row_id: Any,
        item: Callable[[Row[Any]], T],
    ) -> Listing[T]:
        """One page of an already scoped statement, each row shaped by ``item``."""
        rows, next_cursor = await keyset_page(
            db,
            statement,
            updated_at=updated_at,
            row_id=row_id,
            limit=self.limit,
            cursor=self.cursor,
            updated_since=self.updated_since,
        )
        return Listing(items=[item(row) for row in rows], next_cursor=next_cursor)
