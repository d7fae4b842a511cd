"""A council admin's settings for the council's quality programme: timescales, blind scoring, how
actions are prioritised, and what is published."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import CouncilSettings, User
from selfassess.actions.rules import ActionPolicy, Priority, policy_from_settings
from selfassess.councils.service import save_council_settings
from selfassess.frameworks.service import LoadedFramework, council_settings, load_framework
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_admin, requires_council_admin
from selfassess.web.rendering import render, see_other


class SettingsForm(BaseModel):
    blind_scoring: bool = Field(default=False, title="Blind scoring")
    factual_accuracy_days: int = Field(title="Days for factual accuracy comments", ge=1, le=90)
    plan_completion_days: int = Field(title="Days to complete a draft action plan", ge=1, le=90)
    follow_up_months: int = Field(title="Months until a follow-up visit", ge=1, le=36)
    overrating_margin: int = Field(title="Over-rating margin", ge=1, le=10)
    reminder_days: int = Field(title="Days before the due date to remind", ge=0, le=60)
    publish_ratings: bool = Field(default=False, title="Publish ratings")


def _rule_fields(framework: LoadedFramework) -> list[tuple[str, str]]:
    """(key, label) of each priority rule: every scale value below good, then over-rating."""
    below_good = [
        (str(level.value), f"Scored {level.value}: {level.label}")
        for level in framework.scale
        if level.value < framework.good_value
    ]
    return [*below_good, ("overrated", "Over-rated by the margin or more")]


def _policy_form_values(policy: ActionPolicy) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for value, rule in policy.by_score.items():
        values[f"priority_{value}"], values[f"days_{value}"] = rule.priority.value, rule.due_in_days
    values["priority_overrated"], values["days_overrated"] = (
        policy.overrated.priority.value,
        policy.overrated.due_in_days,
    )
    return values


def _read_rules(data: dict[str, Any], framework: LoadedFramework, form: Form[SettingsForm]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for key, label in _rule_fields(framework):
        priority, days = str(data.get(f"priority_{key}", "")), str(data.get(f"days_{key}", "")).strip()
        if priority not in Priority._value2member_map_:
            form.add_error(f"priority_{key}", f"Choose a priority for “{label}”.")
        elif not days.isdigit() or not 1 <= int(days) <= 730:
            form.add_error(f"days_{key}", f"Days for “{label}” must be a whole number from 1 to 730.")
        else:
            rules[key] = {"priority": priority, "due_in_days": int(days)}
        form.values[f"priority_{key}"], form.values[f"days_{key}"] = priority, days
    return rules


class CouncilSettingsController(Controller):
    path = "/admin/settings"
    tags = ["accounts"]
    include_in_schema = False
    guards = [requires_council_admin]

    async def _page(
        self,
        request: HTMXRequest,
        db: AsyncSession,
        settings: CouncilSettings,
        form: Form[SettingsForm],
        status_code: int = 200,
    ) -> Template:
        framework = (
            await load_framework(db, settings.framework_version_id) if settings.framework_version_id else None
        )
        return render(
            request,
            "accounts/council_settings.html",
            {
                "form": form,
                "framework": framework,
                "rule_fields": _rule_fields(framework) if framework else [],
                "priority_options": Priority.options(),
            },
            status_code=status_code,
        )

    @get()
    async def page(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
    ) -> Template:
        settings = await council_settings(db_session, current_user.organisation_id)
        values = settings.model_dump()
        if settings.framework_version_id:
            framework = await load_framework(db_session, settings.framework_version_id)
            values.update(
                _policy_form_values(
                    policy_from_settings(settings.priority_rules, framework.rules, settings.overrating_margin)
                )
            )
        return await self._page(request, db_session, settings, Form.initial(values))

    @post()
    async def save(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
        data: URLEncodedBody[dict[str, Any]],
    ) -> Template | Redirect:
        settings = await council_settings(db_session, current_user.organisation_id)
        form = bind(SettingsForm, {"blind_scoring": False, "publish_ratings": False, **data})
        framework = (
            await load_framework(db_session, settings.framework_version_id)
            if settings.framework_version_id
            else None
        )
        rules = _read_rules(data, framework, form) if framework else None
        if not form.valid:
            return await self._page(request, db_session, settings, form, status_code=422)
        assert form.data is not None
        await save_council_settings(
            db_session,
            settings,
            {**form.data.model_dump(), "priority_rules": rules},
            actor=current_user,
            event="settings.changed",
        )
        flash(
            request,
            "Settings saved. They apply from now on; visits and plans already under way keep their dates.",
            "success",
        )
        return see_other("/admin/settings")


@get("/admin", guards=[requires_admin], include_in_schema=False, tags=["accounts"])
async def admin_home(request: HTMXRequest) -> Template:
    """One place for an admin's tools (a council's or a provider's), so the navigation stays short."""
    return render(request, "accounts/admin.html")


route_handlers = [CouncilSettingsController, admin_home]
