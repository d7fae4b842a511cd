"""What people may send about log-in, passwords and user accounts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from selfassess.accounts.models import Role
from selfassess.validation import email_address


class LoginForm(BaseModel):
    email: str = Field(title="E-mail address", min_length=1, max_length=254)
    password: str = Field(title="Password", min_length=1, max_length=200)


class PasswordForm(BaseModel):
    current_password: str = Field(title="Current password", min_length=1, max_length=200)
    new_password: str = Field(title="New password", min_length=1, max_length=200)
    confirm_password: str = Field(title="Confirm new password", min_length=1, max_length=200)

    @field_validator("confirm_password")
    @classmethod
    def _match(cls, value: str, info: ValidationInfo) -> str:
        if value != info.data.get("new_password", value):
            raise ValueError("The new passwords do not match.")
        return value


class SetPasswordForm(BaseModel):
    """The page an e-mailed link opens: the token comes back in a hidden field."""

    token: str = Field(title="Link", min_length=1, max_length=200)
    new_password: str = Field(title="New password", min_length=1, max_length=200)
    confirm_password: str = Field(title="Confirm new password", min_length=1, max_length=200)

    @field_validator("confirm_password")
    @classmethod
    def _match(cls, value: str, info: ValidationInfo) -> str:
        if value != info.data.get("new_password", value):
            raise ValueError("The new passwords do not match.")
        return value


class ForgotPasswordForm(BaseModel):
    email: str = Field(title="E-mail address", min_length=1, max_length=254)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return email_address(value)


class UserForm(BaseModel):
    """An account at the admin's own organisation; whether the role fits it is the service's call."""

    model_config = ConfigDict(str_strip_whitespace=True)

    full_name: str = Field(title="Full name", min_length=1, max_length=200)
    email: str = Field(title="E-mail address", min_length=1, max_length=254)
    job_title: str | None = Field(default=None, title="Job title", max_length=200)
    role: Role = Field(title="Role")
    is_active: bool = Field(default=True, title="Active")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return email_address(value)
