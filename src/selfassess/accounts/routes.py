"""Log-in, log-out, password change and (for council admins) managing accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Role, User
from selfassess.accounts.passwords import password_problems, verify_password
from selfassess.accounts.schemas import LoginForm, PasswordForm, UserForm
from selfassess.accounts.service import (
    AuditLog,
    LoginRefused,
    LoginThrottled,
    ThrottlePolicy,
    UserDirectory,
    authenticate,
    change_password,
    end_session,
    start_session,
)
from selfassess.errors import Invalid
from selfassess.settings import Settings
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_council_admin
from selfassess.web.rendering import render, see_other

FormData = URLEncodedBody[dict[str, Any]]


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    """Only ever send people on to a page of ours, never to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def provide_current_user(request: Request[User, Any, Any]) -> User:
    return request.user


class SessionController(Controller):
    path = "/"
    tags = ["accounts"]
    include_in_schema = False

    @get("/login", opt={"exclude_from_auth": True})
    async def login_page(
        self, request: HTMXRequest, next: FromQuery[str | None] = None, signed_out: FromQuery[bool] = False
    ) -> Template:
        return render(
            request,
            "accounts/login.html",
            {"form": Form.initial(), "next": safe_next(next), "signed_out": signed_out, "error": None},
        )

    @post("/login", opt={"exclude_from_auth": True})
    async def login(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        data: FormData,
        next: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        form = bind(LoginForm, data)
        form.values.pop("password", None)  # never echo a password back into the page
        context = {"form": form, "next": safe_next(next), "signed_out": False, "error": None}
        if not form.valid:
            return render(request, "accounts/login.html", context, status_code=422)
        assert form.data is not None
        policy = ThrottlePolicy(settings.login_max_failures, timedelta(seconds=settings.login_window_seconds))
        try:
            user = await authenticate(
                db_session,
                email=form.data.email,
                password=form.data.password,
                ip=client_ip(request),
                policy=policy,
            )
        except LoginThrottled as refusal:
            context["error"] = str(refusal)
            return render(
                request,
                "accounts/login.html",
                context,
                status_code=429,
                headers={"Retry-After": str(refusal.retry_after_seconds)},
            )
        except LoginRefused as refusal:
            context["error"] = str(refusal)
            return render(request, "accounts/login.html", context, status_code=401)
        token = await start_session(
            db_session,
            user=user,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            max_age=timedelta(seconds=settings.session_max_age_seconds),
        )
        request.set_session({"sid": token})  # a whole new session: nothing planted before log-in survives
        return see_other(safe_next(next))

    @post("/logout", opt={"allowed_before_password_change": True})
    async def logout(
        self, request: Request[User, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Redirect:
        token = request.session.get("sid")
        if isinstance(token, str):
            await end_session(db_session, token=token, ip=client_ip(request))
        request.clear_session()
        return see_other("/login?signed_out=true")


class PasswordController(Controller):
    path = "/account/password"
    tags = ["accounts"]
    include_in_schema = False
    opt = {"allowed_before_password_change": True}

    @get()
    async def page(self, request: HTMXRequest) -> Template:
        return render(request, "accounts/password.html", {"form": Form.initial()})

    @post()
    async def change(
        self, request: HTMXRequest, db_session: NamedDependency[AsyncSession], data: FormData
    ) -> Template | Redirect:
        user: User = request.user
        form = bind(PasswordForm, data)
        form.values.clear()  # passwords are never sent back into the page
        if form.valid:
            assert form.data is not None
            if not verify_password(form.data.current_password, user.password_hash):
                form.add_error("current_password", "Your current password is not right.")
            elif problems := password_problems(form.data.new_password, email=user.email, name=user.full_name):
                form.add_error("new_password", " ".join(problems))
            elif form.data.new_password == form.data.current_password:
                form.add_error("new_password", "Choose a password different from your current one.")
        if not form.valid:
            return render(request, "accounts/password.html", {"form": form}, status_code=422)
        assert form.data is not None
        await change_password(
            db_session, user=user, new_password=form.data.new_password, keep_token=request.session["sid"]
        )
        flash(request, "Your password has been changed.", "success")
        return see_other("/")


async def provide_user_directory(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> UserDirectory:
    return UserDirectory(db_session, current_user)


class UserAdminController(Controller):
    """Council admins create and manage the accounts of their council and its providers."""

    path = "/admin/users"
    tags = ["accounts"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = {"directory": Provide(provide_user_directory)}

    async def _form_context(
        self, directory: UserDirectory, form: Form[UserForm], user: User | None
    ) -> dict[str, Any]:
        providers = await directory.provider_choices()
        return {
            "form": form,
            "account": user,
            "role_options": Role.options(),
            "provider_options": [(provider.id, provider.name) for provider in providers],
        }

    @get()
    async def index(
        self,
        request: HTMXRequest,
        directory: NamedDependency[UserDirectory],
        q: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        users = await directory.page(query=q, number=page)
        return render(request, "accounts/users.html", {"users": users, "q": q}, block="results")

    @get("/new")
    async def new(self, request: HTMXRequest, directory: NamedDependency[UserDirectory]) -> Template:
        form: Form[UserForm] = Form.initial({"role": Role.OFFICER.value, "is_active": True})
        return render(request, "accounts/user_form.html", await self._form_context(directory, form, None))

    @post("/new")
    async def create(
        self, request: HTMXRequest, directory: NamedDependency[UserDirectory], data: FormData
    ) -> Template | Redirect:
        form = bind(UserForm, {"is_active": False, **data})
        if form.valid:
            assert form.data is not None
            try:
                user, password = await directory.create(form.data)
            except Invalid as problem:
                form.add_error("email" if "account for" in str(problem) else "provider_id", str(problem))
            else:
                flash(
                    request,
                    {
                        "text": f"Account created for {user.full_name}. Their temporary password is",
                        "code": password,
                        "after": "— give it to them securely; they choose their own when they first sign in.",
                    },
                    "success",
                )
                return see_other("/admin/users")
        context = await self._form_context(directory, form, None)
        return render(request, "accounts/user_form.html", context, status_code=422)

    @get("/{user_id:int}")
    async def edit(
        self, request: HTMXRequest, directory: NamedDependency[UserDirectory], user_id: FromPath[int]
    ) -> Template:
        user = await directory.get(user_id)
        form: Form[UserForm] = Form.initial(
            {
                "full_name": user.full_name,
                "email": user.email,
                "job_title": user.job_title,
                "role": user.role.value,
                "provider_id": user.organisation_id if user.is_provider else None,
                "is_active": user.is_active,
            }
        )
        return render(request, "accounts/user_form.html", await self._form_context(directory, form, user))

    @post("/{user_id:int}")
    async def update(
        self,
        request: HTMXRequest,
        directory: NamedDependency[UserDirectory],
        user_id: FromPath[int],
        data: FormData,
    ) -> Template | Redirect:
        user = await directory.get(user_id)
        form = bind(UserForm, {"is_active": False, **data})
        if form.valid:
            assert form.data is not None
            try:
                await directory.update(user, form.data)
            except Invalid as problem:
                form.add_error("__all__", str(problem))
            else:
                flash(request, f"Saved the changes to {user.full_name}'s account.", "success")
                return see_other("/admin/users")
        context = await self._form_context(directory, form, user)
        return render(request, "accounts/user_form.html", context, status_code=422)

    @post("/{user_id:int}/reset-password")
    async def reset_password(
        self, request: HTMXRequest, directory: NamedDependency[UserDirectory], user_id: FromPath[int]
    ) -> Redirect:
        user = await directory.get(user_id)
        password = await directory.reset_password(user)
        flash(
            request,
            {
                "text": f"{user.full_name}'s password was reset and they were signed out everywhere. "
                "Their temporary password is",
                "code": password,
                "after": "— they will choose their own when they next sign in.",
            },
            "success",
        )
        return see_other(f"/admin/users/{user.id}")


async def provide_audit_log(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> AuditLog:
    return AuditLog(db_session, current_user)


class AuditController(Controller):
    """Council admins review security events: log-ins, failures, account and role changes."""

    path = "/admin/audit"
    tags = ["accounts"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = {"audit_log": Provide(provide_audit_log)}

    @get()
    async def index(
        self,
        request: HTMXRequest,
        audit_log: NamedDependency[AuditLog],
        event: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        events = await audit_log.page(event=event, number=page)
        context = {"events": events, "event": event, "event_options": audit_log.event_types()}
        return render(request, "accounts/audit.html", context, block="results")


route_handlers = [SessionController, PasswordController, UserAdminController, AuditController]
dependencies = {"current_user": Provide(provide_current_user, sync_to_thread=False)}
