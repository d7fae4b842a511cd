"""What people may send about care services and provider organisations (forms and API)."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from selfassess import clock
from selfassess.providers.models import RegulatorRating, ServiceType
from selfassess.validation import email_address

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_CQC_ID = re.compile(r"^1-[0-9]{6,12}$")


def uk_postcode(value: str) -> str:
    """The postcode in its usual form (upper case, one space before the last three characters);
    ValueError when it cannot be a UK postcode. Shared by the form and the spreadsheet import."""
    value = re.sub(r"\s+", "", value.upper())
    if len(value) > 3:
        value = f"{value[:-3]} {value[-3:]}"
    if not _POSTCODE.match(value):
        raise ValueError("Enter a real UK postcode, like M1 1AE.")
    return value


def cqc_id(value: str, what: str) -> str:
    """A CQC location or provider ID as the regulator writes it; ValueError otherwise."""
    if not _CQC_ID.match(value):
        raise ValueError(f"A CQC {what} ID looks like 1-123456789.")
    return value


class ServiceForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(title="Service name", min_length=1, max_length=200)
    service_type: ServiceType = Field(title="Type of service")
    provider_id: int = Field(title="Provider organisation")
    address_line1: str = Field(title="Address line 1", min_length=1, max_length=200)
    address_line2: str | None = Field(default=None, title="Address line 2", max_length=200)
    town: str = Field(title="Town or city", min_length=1, max_length=100)
    postcode: str = Field(title="Postcode", min_length=1)
    capacity: int | None = Field(default=None, title="Capacity", ge=0, le=5000)
    cqc_location_id: str | None = Field(default=None, title="CQC location ID", max_length=20)
    regulator_rating: RegulatorRating = Field(default=RegulatorRating.NOT_RATED, title="CQC rating")
    regulator_rating_date: date | None = Field(default=None, title="Date of CQC rating")
    assigned_officer_id: int | None = Field(default=None, title="Assigned officer")

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str) -> str:
        return uk_postcode(value)

    @field_validator("cqc_location_id")
    @classmethod
    def _cqc_id(cls, value: str | None) -> str | None:
        if value is not None and not _CQC_ID.match(value):
            raise ValueError("A CQC location ID looks like 1-123456789.")
        return value

    @field_validator("regulator_rating_date")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > clock.today():
            raise ValueError("The date of the CQC rating cannot be in the future.")
        return value


class ProviderForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(title="Organisation name", min_length=1, max_length=200)
    cqc_provider_id: str | None = Field(default=None, title="CQC provider ID", max_length=20)
    contact_email: str | None = Field(default=None, title="Contact e-mail", max_length=254)
    admin_full_name: str | None = Field(default=None, title="First admin's full name", max_length=200)
    admin_email: str | None = Field(
        default=None, title="First admin's e-mail address", max_length=254, validate_default=True
    )

    @field_validator("admin_email")
    @classmethod
    def _admin(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("admin_full_name"):
                raise ValueError("Give the e-mail address of the person to invite, or leave both blank.")
            return None
        value = email_address(value)
        if not info.data.get("admin_full_name"):
            raise ValueError("Give the full name of the person to invite, or leave both blank.")
        return value

    @field_validator("cqc_provider_id")
    @classmethod
    def _cqc_id(cls, value: str | None) -> str | None:
        if value is not None and not _CQC_ID.match(value):
            raise ValueError("A CQC provider ID looks like 1-101234567.")
        return value

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else email_address(value)


class ServicePublic(BaseModel):
    """The API's view of a care service."""

    id: int = Field(examples=[3])
    name: str = Field(examples=["Rose Lane House"])
    service_type: ServiceType
    provider_id: int = Field(examples=[7])
    provider_name: str = Field(examples=["Brightwater Care Ltd"])
    council_id: int = Field(examples=[1])
    address: str = Field(examples=["14 Rose Lane, Northbridge, NB1 4RL"])
    postcode: str = Field(examples=["NB1 4RL"])
    capacity: int | None = Field(examples=[48])
    cqc_location_id: str | None = Field(examples=["1-1000000001"])
    regulator_rating: RegulatorRating
    regulator_rating_date: date | None = Field(examples=["2025-06-12"])
    assigned_officer_id: int | None = Field(examples=[2])
