"""Webhook pages: register a URL and its events, see recent deliveries with their last responses."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.errors import Invalid
from selfassess.settings import Settings
from selfassess.web.forms import Form, bind
from selfassess.web.rendering import render, see_other
from selfassess.webhooks.models import HookEvent, Webhook
from selfassess.webhooks.rules import REPLAY_WINDOW_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER
from selfassess.webhooks.service import Webhooks

FormData = URLEncodedBody[dict[str, Any]]


class WebhookForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    url: str = Field(title="Address", min_length=1, max_length=500)
    events: list[HookEvent] = Field(default_factory=list, title="Events")

    @field_validator("events", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


async def provide_webhooks(
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> Webhooks:
    return Webhooks(db_session, current_user, settings)


async def provide_hook(webhooks: NamedDependency[Webhooks], webhook_id: FromPath[int]) -> Webhook:
    """The webhook of the path, when it is the viewer's organisation's (404 otherwise)."""
    return await webhooks.get(webhook_id)


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    include_in_schema = False
    dependencies = {"webhooks": Provide(provide_webhooks), "hook": Provide(provide_hook)}

    async def _index(
        self, request: HTMXRequest, webhooks: Webhooks, form: Form[WebhookForm], status_code: int = 200
    ) -> Template:
        context = {"hooks": await webhooks.hooks(), "form": form, "event_options": HookEvent.options()}
        return render(request, "webhooks/hooks.html", context, status_code=status_code)

    @get()
    async def index(self, request: HTMXRequest, webhooks: NamedDependency[Webhooks]) -> Template:
        return await self._index(request, webhooks, Form.initial({"events": []}))

    @post()
    async def register(
        self, request: HTMXRequest, webhooks: NamedDependency[Webhooks], data: FormData
    ) -> Template | Redirect:
        form = bind(WebhookForm, data)
        if form.valid:
            assert form.data is not None
            try:
                hook = await webhooks.register(url=form.data.url, events=form.data.events)
            except Invalid as problem:
                form.add_error("url" if "address" in str(problem) else "events", str(problem))
            else:
                flash(request, "Registered the webhook. Copy its signing secret below.", "success")
                return see_other(f"/webhooks/{hook.id}")
        return await self._index(request, webhooks, form, status_code=422)

    @get("/{webhook_id:int}")
    async def detail(
        self, request: HTMXRequest, webhooks: NamedDependency[Webhooks], hook: NamedDependency[Webhook]
    ) -> Template:
        context = {
            "hook": hook,
            "deliveries": await webhooks.deliveries(hook),
            "event_labels": {event.value: event.label for event in HookEvent},
            "signature_header": SIGNATURE_HEADER,
            "timestamp_header": TIMESTAMP_HEADER,
            "replay_window": REPLAY_WINDOW_SECONDS,
        }
        return render(request, "webhooks/hook.html", context)

    @post("/{webhook_id:int}/delete")
    async def delete(
        self, request: HTMXRequest, webhooks: NamedDependency[Webhooks], hook: NamedDependency[Webhook]
    ) -> Redirect:
        await webhooks.remove(hook)
        flash(request, "Removed the webhook; nothing more will be sent to it.", "success")
        return see_other("/webhooks")


route_handlers = [WebhookController]
