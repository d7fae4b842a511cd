"""API tokens on the account page (your own) and in admin (everyone's at the council)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import TooManyRequestsException
from litestar.params import FromPath, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.accounts.service import LoginThrottled, ThrottlePolicy
from selfassess.db import utcnow
from selfassess.tokens.models import ApiToken
from selfassess.tokens.service import (
    TokenRefused,
    authenticate_token,
    issue_token,
    organisation_tokens,
    revocable_token,
    revoke_token,
    tokens_of,
)
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_admin
from selfassess.web.rendering import render, see_other
from selfassess.webhooks.rules import may_manage_webhooks

FormData = URLEncodedBody[dict[str, Any]]
EXPIRY_OPTIONS = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]


class TokenForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(title="Name", min_length=1, max_length=100)
    access: Literal["read", "write"] = Field(title="Access")
    expires_in_days: int = Field(title="Expires after")

    @field_validator("expires_in_days")
    @classmethod
    def _offered(cls, value: int) -> int:
        if value not in dict(EXPIRY_OPTIONS):
            raise ValueError("Choose one of the periods offered.")
        return value


def _ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.client.host if connection.client else None


async def user_for_api_token(
    db: AsyncSession, secret: str, connection: ASGIConnection[Any, Any, Any, Any], policy: ThrottlePolicy
) -> ApiToken | None:
    """For the authentication middleware: the live token, None when refused, 429 when throttled."""
    try:
        return await authenticate_token(db, secret=secret, ip=_ip(connection), policy=policy)
    except LoginThrottled as throttled:
        raise TooManyRequestsException(
            str(throttled), headers={"Retry-After": str(throttled.retry_after_seconds)}
        ) from None
    except TokenRefused:
        return None


async def provide_token(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User], token_id: FromPath[int]
) -> ApiToken:
    """The token of the path, when the viewer may revoke it (404 otherwise)."""
    return await revocable_token(db_session, viewer=current_user, token_id=token_id)


token_dependency = {"token": Provide(provide_token)}


class AccountTokensController(Controller):
    path = "/account/tokens"
    tags = ["accounts"]
    include_in_schema = False
    dependencies = token_dependency

    async def _page(
        self,
        request: HTMXRequest,
        db: AsyncSession,
        form: Form[TokenForm],
        new_secret: str | None = None,
        status_code: int = 200,
    ) -> Template:
        context = {
            "tokens": await tokens_of(db, request.user),
            "form": form,
            "new_secret": new_secret,
            "expiry_options": EXPIRY_OPTIONS,
            "now": utcnow(),
            "can_manage_webhooks": may_manage_webhooks(request.user),
        }
        return render(request, "tokens/account.html", context, block="tokens", status_code=status_code)

    @get()
    async def page(self, request: HTMXRequest, db_session: NamedDependency[AsyncSession]) -> Template:
        return await self._page(request, db_session, Form.initial({"access": "read", "expires_in_days": 90}))

    @post()
    async def create(
        self, request: HTMXRequest, db_session: NamedDependency[AsyncSession], data: FormData
    ) -> Template:
        form = bind(TokenForm, data)
        if not form.valid:
            return await self._page(request, db_session, form, status_code=422)
        assert form.data is not None
        _, secret = await issue_token(
            db_session,
            owner=request.user,
            name=form.data.name,
            can_write=form.data.access == "write",
            expires_at=utcnow() + timedelta(days=form.data.expires_in_days),
            ip=_ip(request),
        )
        fresh: Form[TokenForm] = Form.initial({"access": "read", "expires_in_days": 90})
        return await self._page(request, db_session, fresh, new_secret=secret, status_code=201)

    @post("/{token_id:int}/revoke")
    async def revoke(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        token: NamedDependency[ApiToken],
    ) -> Redirect:
        user: User = request.user
        await revoke_token(db_session, viewer=user, token=token, ip=_ip(request))
        flash(request, f"Revoked the token “{token.name}”.", "success")
        return see_other("/account/tokens" if token.user_id == user.id else "/admin/tokens")


class CouncilTokensController(Controller):
    path = "/admin/tokens"
    tags = ["accounts"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = token_dependency

    @get()
    async def index(self, request: HTMXRequest, db_session: NamedDependency[AsyncSession]) -> Template:
        tokens = await organisation_tokens(db_session, request.user)
        return render(request, "tokens/admin.html", {"tokens": tokens, "now": utcnow()})

    @post("/{token_id:int}/revoke")
    async def revoke(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        token: NamedDependency[ApiToken],
    ) -> Redirect:
        await revoke_token(db_session, viewer=request.user, token=token, ip=_ip(request))
        flash(request, f"Revoked the token “{token.name}”.", "success")
        return see_other("/admin/tokens")


route_handlers = [AccountTokensController, CouncilTokensController]
