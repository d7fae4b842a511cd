"""What the action plan pages send."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from selfassess import clock
from selfassess.actions.rules import ActionStatus, Priority


class ActionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(title="What will be done", min_length=1, max_length=300)
    description: str | None = Field(default=None, title="Details", max_length=5_000)
    owner_id: int | None = Field(default=None, title="Responsible person")
    due_date: date = Field(title="Due date")
    priority: Priority = Field(title="Priority")
    statement_id: int | None = Field(default=None, title="Quality statement")
    version: int | None = Field(default=None, title="Version", ge=0)

    @field_validator("due_date")
    @classmethod
    def _within_reason(cls, value: date) -> date:
        if value > clock.today() + timedelta(days=3 * 366):
            raise ValueError("The due date must be within three years.")
        return value


class StatusForm(BaseModel):
    version: int = Field(title="Version", ge=0)
    status: ActionStatus = Field(title="Status")
    reason: str | None = Field(default=None, title="Reason", max_length=2_000)


class DueDateForm(BaseModel):
    proposed_due_date: date = Field(title="New due date")
    reason: str = Field(title="Why more time is needed", min_length=1, max_length=2_000)


class DecisionForm(BaseModel):
    decision: Literal["accept", "refuse"] = Field(title="Decision")
    comment: str | None = Field(default=None, title="Comment", max_length=2_000)


class CommentForm(BaseModel):
    comment: str = Field(title="What should change", min_length=1, max_length=5_000)
