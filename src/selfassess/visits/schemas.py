"""What people may send about concerns (forms), and what the API shows of them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from selfassess import clock
from selfassess.visits.models import ConcernSource, ConcernStatus, Severity

SUMMARY_MAX_LENGTH = 300  # the column's length
NOTES_MAX_LENGTH = 20_000  # generous for case notes, small enough to keep pages quick


class ConcernForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    source: ConcernSource = Field(title="Source")
    received_on: date = Field(title="Date received")
    summary: str = Field(title="Summary", min_length=1, max_length=SUMMARY_MAX_LENGTH)
    details: str | None = Field(default=None, title="Details", max_length=NOTES_MAX_LENGTH)
    severity: Severity = Field(title="Severity")
    is_complaint: bool = Field(default=False, title="Complaint")
    is_confidential: bool = Field(default=False, title="Confidential")

    @field_validator("received_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > clock.today():
            raise ValueError("The date received cannot be in the future.")
        return value


class CloseConcernForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    outcome: str = Field(title="Outcome", min_length=1, max_length=NOTES_MAX_LENGTH)


class ShareConcernForm(BaseModel):
    """What the officer shares of a concern with the provider, and what it asks of it."""

    model_config = ConfigDict(str_strip_whitespace=True)

    shared_summary: str = Field(title="What the provider reads", min_length=1, max_length=NOTES_MAX_LENGTH)
    provider_request: str | None = Field(
        default=None, title="What the provider is asked to do", max_length=NOTES_MAX_LENGTH
    )
    respond_by: date | None = Field(default=None, title="Respond by")

    @field_validator("respond_by")
    @classmethod
    def _not_past(cls, value: date | None) -> date | None:
        if value is not None and value < clock.today():
            raise ValueError("The date to respond by cannot be in the past.")
        return value


class ConcernResponseForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    text: str = Field(title="Your response", min_length=1, max_length=NOTES_MAX_LENGTH)


class ConcernPublic(BaseModel):
    """The API's view of a concern: what a provider may see, so never the internal notes or who
    logged it. Council staff see confidential concerns here too; providers never do."""

    id: int = Field(examples=[21])
    service_id: int = Field(examples=[3])
    source: ConcernSource
    received_on: date = Field(examples=["2026-10-06"])
    summary: str = Field(examples=["Relative reports missed evening medication twice last week"])
    severity: Severity
    is_complaint: bool
    is_confidential: bool
    status: ConcernStatus
    outcome: str = Field(examples=[""])
