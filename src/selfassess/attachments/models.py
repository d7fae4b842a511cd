from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from selfassess.db import utcnow


class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        foreign_key="organisation.id", index=True, description="Whose evidence it is."
    )
    filename: str = Field(max_length=255, description="Cleaned of any path; shown, never used on disk.")
    content_type: str = Field(max_length=120)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class StoredFileContent(SQLModel, table=True):
    """The bytes, apart from the metadata, so listing files never reads them."""

    __tablename__ = "stored_file_content"

    file_id: int = Field(foreign_key="stored_file.id", primary_key=True, ondelete="CASCADE")
    data: bytes = Field(sa_type=LargeBinary)
