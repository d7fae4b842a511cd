"""What a council admin sends to open a round."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from selfassess.providers.models import ServiceType


class RoundForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(title="Name", min_length=1, max_length=40)
    framework_version_id: int = Field(title="Framework version")
    service_types: list[ServiceType] = Field(default_factory=list, title="Services")
    opens_on: date = Field(title="Opening date")
    deadline: date = Field(title="Deadline")

    @field_validator("service_types", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        """One ticked box arrives as a string, several as a list, none as nothing."""
        if value is None:
            return []
        return [value] if isinstance(value, str) else value
