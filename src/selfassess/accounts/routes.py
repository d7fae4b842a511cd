"""Log-in, log-out, password change and (for council admins) managing accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import LinkPurpose, Role, User
from selfassess.accounts.passwords import password_problems, verify_password
from selfassess.accounts.rules import AccountChange
from selfassess.accounts.schemas import ForgotPasswordForm, LoginForm, PasswordForm, SetPasswordForm, UserForm
from selfassess.accounts.service import (
    AuditLog,
    DuplicateEmail,
    FieldInvalid,
    LinkRefused,
    LoginRefused,
    LoginThrottled,
    ThrottlePolicy,
    UserDirectory,
    account_link_user,
    authenticate,
    change_password,
    end_session,
    request_password_reset_later,
    reset_requests_allowed,
    set_password_from_link,
    start_session,
)
from selfassess.errors import Invalid
from selfassess.settings import Settings
from selfassess.web.csrf import csrf_cookie, session_csrf_token
from selfassess.web.forms import Form, bind
from selfassess.web.guards import requires_admin
from selfassess.web.rendering import render, see_other

FormData = URLEncodedBody[dict[str, Any]]


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    """Only ever send people on to a page of ours, never to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_form_expired(request: Request[Any, Any, Any], _: PermissionDeniedException) -> Template:
    """The sign-in form's CSRF token did not match (the page was open for hours, or cookies were
    cleared): the sign-in page again, with a fresh token, the e-mail address kept and a plain
    reason, rather than an error page about access."""
    state = ScopeState.from_scope(request.scope)
    sent = state.form if isinstance(state.form, dict) else {}
    email = sent.get("email") if isinstance(sent.get("email"), str) else ""
    config = request.app.csrf_config
    token = generate_csrf_token(secret=config.secret) if config else ""
    state.csrf_token = token
    context = {
        "user": None,
        "form": Form.initial({"email": email}),
        "next": safe_next(request.query_params.get("next")),
        "signed_out": False,
        "password_set": False,
        "error_title": "Please sign in again",
        "error": "This form could not be accepted because the sign-in page had expired. "
        "Enter your password and sign in again.",
    }
    cookies = [csrf_cookie(config, token)] if config else []
    return Template("accounts/login.html", context=context, status_code=403, cookies=cookies)


def provide_current_user(request: Request[User, Any, Any]) -> User:
    return request.user


class SessionController(Controller):
    path = "/"
    tags = ["accounts"]
    include_in_schema = False

    @get("/login", opt={"exclude_from_auth": True})
    async def login_page(
        self,
        request: HTMXRequest,
        next: FromQuery[str | None] = None,
        signed_out: FromQuery[bool] = False,
        password_set: FromQuery[bool] = False,
    ) -> Template:
        context = {
            "form": Form.initial(),
            "next": safe_next(next),
            "signed_out": signed_out,
            "password_set": password_set,
            "error": None,
        }
        return render(request, "accounts/login.html", context)

    @post(
        "/login",
        opt={"exclude_from_auth": True},
        exception_handlers={PermissionDeniedException: login_form_expired},
    )
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
        context = {
            "form": form,
            "next": safe_next(next),
            "signed_out": False,
            "password_set": False,
            "error": None,
        }
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
        response = see_other(safe_next(next))
        csrf = request.app.csrf_config
        if csrf is not None:  # and a new CSRF token, bound to that session
            response.set_cookie(csrf_cookie(csrf, session_csrf_token(token, csrf.secret)))
        return response

    @post("/logout")
    async def logout(
        self, request: Request[User, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Redirect:
        token = request.session.get("sid")
        if isinstance(token, str):
            await end_session(db_session, token=token, ip=client_ip(request))
        request.clear_session()
        return see_other("/login?signed_out=true")


class PasswordLinkController(Controller):
    """Passwords are set only by their owners: from an e-mailed link (an invitation or a reset),
    or on the change-password page. No password ever appears on a page or in an e-mail."""

    path = "/"
    tags = ["accounts"]
    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get("/forgot-password")
    async def forgot_page(self, request: HTMXRequest) -> Template:
        return render(request, "accounts/forgot_password.html", {"form": Form.initial(), "sent_to": None})

    @post("/forgot-password")
    async def forgot(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        data: FormData,
    ) -> Template:
        """The answer is the same whether or not the address has an account."""
        form = bind(ForgotPasswordForm, data)
        if not form.valid:
            context = {"form": form, "sent_to": None}
            return render(request, "accounts/forgot_password.html", context, status_code=422)
        assert form.data is not None
        if not await reset_requests_allowed(db_session, ip=client_ip(request), settings=settings):
            form.add_error(
                "email", "Too many requests from your network in the last hour. Wait a while and try again."
            )
            return render(
                request,
                "accounts/forgot_password.html",
                {"form": form, "sent_to": None},
                status_code=429,
                headers={"Retry-After": "3600"},
            )
        context = {"form": Form.initial(), "sent_to": form.data.email, "hours": settings.reset_link_hours}
        response = render(request, "accounts/forgot_password.html", context)
        response.background = BackgroundTask(
            request_password_reset_later,
            db_session.bind,
            email=form.data.email,
            ip=client_ip(request),
            settings=settings,
        )
        return response

    @get("/set-password")
    async def set_password_page(
        self, request: HTMXRequest, db_session: NamedDependency[AsyncSession], token: FromQuery[str] = ""
    ) -> Template:
        try:
            link, person = await account_link_user(db_session, token)
        except LinkRefused as refusal:
            return render(request, "accounts/set_password.html", {"refused": str(refusal)}, status_code=410)
        form: Form[SetPasswordForm] = Form.initial({"token": token})
        context = {
            "form": form,
            "refused": None,
            "person": person,
            "invitation": link.purpose.value == "invitation",
        }
        return render(request, "accounts/set_password.html", context)

    @post("/set-password")
    async def set_password(
        self, request: HTMXRequest, db_session: NamedDependency[AsyncSession], data: FormData
    ) -> Template | Redirect:
        form = bind(SetPasswordForm, data)
        token = str(data.get("token") or "")
        form.values = {"token": token}  # passwords are never sent back into the page
        try:
            link, person = await account_link_user(db_session, token)
        except LinkRefused as refusal:
            return render(request, "accounts/set_password.html", {"refused": str(refusal)}, status_code=410)
        if form.valid:
            assert form.data is not None
            if problems := password_problems(
                form.data.new_password, email=person.email, name=person.full_name
            ):
                form.add_error("new_password", " ".join(problems))
        context = {
            "form": form,
            "refused": None,
            "person": person,
            "invitation": link.purpose.value == "invitation",
        }
        if not form.valid:
            return render(request, "accounts/set_password.html", context, status_code=422)
        assert form.data is not None
        try:
            await set_password_from_link(
                db_session, token=token, new_password=form.data.new_password, ip=client_ip(request)
            )
        except LinkRefused as refusal:
            return render(request, "accounts/set_password.html", {"refused": str(refusal)}, status_code=410)
        return see_other("/login?password_set=true")


class PasswordController(Controller):
    path = "/account/password"
    tags = ["accounts"]
    include_in_schema = False

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
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
) -> UserDirectory:
    return UserDirectory(db_session, current_user, settings)


async def provide_account(directory: NamedDependency[UserDirectory], user_id: FromPath[int]) -> User:
    """The account of the path, in the admin's organisation (404 otherwise), before the handler runs."""
    return await directory.get(user_id)


class UserAdminController(Controller):
    """Admins invite and manage the accounts of their own organisation, and nobody else's."""

    path = "/admin/users"
    tags = ["accounts"]
    include_in_schema = False
    guards = [requires_admin]
    dependencies = {"directory": Provide(provide_user_directory), "account": Provide(provide_account)}

    def _form_context(
        self, directory: UserDirectory, form: Form[UserForm], user: User | None
    ) -> dict[str, Any]:
        return {
            "form": form,
            "account": user,
            "role_options": directory.role_options(),
            "may": (lambda change: directory.may(user, change)) if user else None,
            "changes": AccountChange,
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
        default_role = Role.for_kind(request.user.organisation_kind)[0]
        form: Form[UserForm] = Form.initial({"role": default_role.value, "is_active": True})
        return render(request, "accounts/user_form.html", self._form_context(directory, form, None))

    @post("/new")
    async def create(
        self, request: HTMXRequest, directory: NamedDependency[UserDirectory], data: FormData
    ) -> Template | Redirect:
        form = bind(UserForm, {"is_active": True, **data})  # an invitation is always active
        if form.valid:
            assert form.data is not None
            try:
                user = await directory.invite(form.data)
            except FieldInvalid as problem:
                form.add_error(problem.field, str(problem))
            except DuplicateEmail as problem:
                form.add_error("email", str(problem))
            else:
                flash(
                    request,
                    f"Invited {user.full_name}: we have e-mailed {user.email} a link to choose their "
                    "password and sign in.",
                    "success",
                )
                return see_other("/admin/users")
        context = self._form_context(directory, form, None)
        return render(request, "accounts/user_form.html", context, status_code=422)

    @get("/{user_id:int}")
    async def edit(
        self, request: HTMXRequest, directory: NamedDependency[UserDirectory], account: NamedDependency[User]
    ) -> Template:
        form: Form[UserForm] = Form.initial(
            {
                "full_name": account.full_name,
                "email": account.email,
                "job_title": account.job_title,
                "role": account.role.value,
                "is_active": account.is_active,
            }
        )
        return render(request, "accounts/user_form.html", self._form_context(directory, form, account))

    @post("/{user_id:int}")
    async def update(
        self,
        request: HTMXRequest,
        directory: NamedDependency[UserDirectory],
        account: NamedDependency[User],
        data: FormData,
    ) -> Template | Redirect:
        form = bind(UserForm, {"is_active": False, **data})
        if form.valid:
            assert form.data is not None
            try:
                await directory.update(account, form.data)
            except FieldInvalid as problem:
                form.add_error(problem.field, str(problem))
            else:
                flash(request, f"Saved the changes to {account.full_name}'s account.", "success")
                return see_other("/admin/users")
        context = self._form_context(directory, form, account)
        return render(request, "accounts/user_form.html", context, status_code=422)

    @post("/{user_id:int}/reset-password")
    async def send_link(
        self, request: HTMXRequest, directory: NamedDependency[UserDirectory], account: NamedDependency[User]
    ) -> Redirect:
        try:
            purpose = await directory.send_link(account)
        except Invalid as problem:
            flash(request, str(problem), "error")
        else:
            what = (
                "a new invitation" if purpose is LinkPurpose.INVITATION else "a link to reset their password"
            )
            flash(
                request,
                f"We have e-mailed {account.full_name} {what}. Their current password keeps working until "
                "they use it.",
                "success",
            )
        return see_other(f"/admin/users/{account.id}")


async def provide_audit_log(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> AuditLog:
    return AuditLog(db_session, current_user)


class AuditController(Controller):
    """Admins review their organisation's security events: log-ins, failures, account changes."""

    path = "/admin/audit"
    tags = ["accounts"]
    include_in_schema = False
    guards = [requires_admin]
    dependencies = {"audit_log": Provide(provide_audit_log)}

    @get()
    async def index(
        self,
        request: HTMXRequest,
        audit_log: NamedDependency[AuditLog],
        event: FromQuery[str] = "",
        before: FromQuery[str] = "",
    ) -> Template:
        events = await audit_log.page(event=event, before=before)
        context = {"events": events, "event": event, "event_options": audit_log.event_types()}
        return render(request, "accounts/audit.html", context, block="results")


route_handlers = [
    SessionController,
    PasswordLinkController,
    PasswordController,
    UserAdminController,
    AuditController,
]
dependencies = {"current_user": Provide(provide_current_user, sync_to_thread=False)}
