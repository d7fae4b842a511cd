"""create_app(): the one place the application is assembled from its slices."""

from __future__ import annotations

import gc
import hashlib
from datetime import timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.security.session_auth import SessionAuth
from litestar.template.config import TemplateConfig
from sqlmodel import SQLModel

import selfassess.models  # noqa: F401  (every table registered before the app starts)
from selfassess import __version__
from selfassess.accounts import routes as accounts_routes
from selfassess.accounts.models import User
from selfassess.accounts.passwords import configure_hashing
from selfassess.accounts.service import ThrottlePolicy, user_for_token
from selfassess.actions import routes as actions_routes
from selfassess.api.auth import BEARER_KEY, TokenOrSessionAuthMiddleware
from selfassess.api.routes import api_router
from selfassess.assessments import routes as assessments_routes
from selfassess.clock import configure_clock
from selfassess.comparison import routes as comparison_routes
from selfassess.councils import settings_page as council_settings
from selfassess.dashboards import routes as dashboards_routes
from selfassess.db import check_migrations, create_engine_for
from selfassess.frameworks import routes as frameworks_routes
from selfassess.notifications import routes as notifications_routes
from selfassess.oversight import practice_routes, support_routes
from selfassess.oversight import routes as oversight_routes
from selfassess.providers import import_routes
from selfassess.providers import routes as providers_routes
from selfassess.public import routes as public_routes
from selfassess.queues import routes as queues_routes
from selfassess.regulator import routes as regulator_routes
from selfassess.rounds import routes as rounds_routes
from selfassess.settings import Settings, get_settings
from selfassess.tokens import routes as tokens_routes
from selfassess.tokens.models import ApiToken
from selfassess.tokens.routes import user_for_api_token
from selfassess.visits import concern_routes
from selfassess.visits import routes as visits_routes
from selfassess.web import templating
from selfassess.web.csrf import csrf_bound_to_session, refresh_csrf_cookie
from selfassess.web.errors import exception_handlers, identify_signed_in
from selfassess.web.guards import ids_in_range
from selfassess.web.observability import RequestContextMiddleware, configure_logging
from selfassess.web.retry import RetryOnFreshConnection
from selfassess.web.security import security_headers
from selfassess.web.session_cookie import SessionCookieConfig
from selfassess.web.static_assets import static_router
from selfassess.web.system import system_routes
from selfassess.webhooks import routes as webhooks_routes

# Paths anyone may open without signing in.
PUBLIC_PATHS = [
    "^/static/",
    "^/login",
    "^/forgot-password",
    "^/set-password",
    "^/health",
    "^/schema",
    "^/public",
    "^/glossary",
    "^/favicon.ico",
]


def _derived_key(settings: Settings, purpose: str) -> bytes:
    """Separate keys per purpose, all from the one configured secret."""
    return hashlib.sha256(purpose.encode() + b":" + settings.secret).digest()


def _outermost(middleware: Any):  # type: ignore[no-untyped-def]
    def insert_first(app_config: AppConfig) -> AppConfig:
        app_config.middleware.insert(0, middleware)
        return app_config

    return insert_first


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(debug=settings.debug)
    configure_clock(settings.timezone)
    configure_hashing(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )

    engine = create_engine_for(settings)
    alchemy = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        metadata=SQLModel.metadata,
        set_default_exception_handler=False,
    )

    throttle = ThrottlePolicy(settings.login_max_failures, timedelta(seconds=settings.login_window_seconds))

    async def retrieve_user(
        session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
    ) -> User | ApiToken | None:
        db = alchemy.provide_session(connection.app.state, connection.scope)
        api_secret = session.get(BEARER_KEY)
        if isinstance(api_secret, str):  # only ever set by TokenOrSessionAuthMiddleware, never a cookie
            return await user_for_api_token(db, api_secret, connection, throttle)
        token = session.get("sid")
        if not isinstance(token, str):
            return None
        return await user_for_token(db, token)

    session_auth = SessionAuth[User, Any](
        retrieve_user_handler=retrieve_user,
        authentication_middleware_class=TokenOrSessionAuthMiddleware,
        session_backend_config=SessionCookieConfig(
            secret=_derived_key(settings, "session"),
            key="selfassess_session",
            max_age=settings.session_max_age_seconds,
            secure=settings.secure_cookies,
            httponly=True,
            samesite="lax",
        ),
        exclude=PUBLIC_PATHS,
    )

    session_backend = session_auth.session_backend_config._backend_class(
        config=session_auth.session_backend_config
    )
    template_config = TemplateConfig(
        directory=settings.templates_dir,
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: templating.configure(engine, settings),
    )

    csrf_config = CSRFConfig(
        secret=_derived_key(settings, "csrf").hex(),
        cookie_name="selfassess_csrf",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
    )

    async def startup(app: Litestar) -> None:
        if settings.auto_migrate:
            from selfassess.cli import run_migrations

            await run_migrations(settings)
        await check_migrations(app.state[alchemy.engine_app_state_key], settings)

    async def shutdown() -> None:
        # The engine is ours (``engine_instance``): its pooled connections are closed when the app
        # stops, not left to the garbage collector. The plugin disposes it only under the state key of
        # a process's first app ("db_engine"; a second app's is "db_engine_1", as in the tests).
        await engine.dispose()

    return Litestar(
        route_handlers=[
            *system_routes,
            *accounts_routes.route_handlers,
            *dashboards_routes.route_handlers,
            *council_settings.route_handlers,
            *providers_routes.route_handlers,
            *import_routes.route_handlers,
            *assessments_routes.route_handlers,
            *rounds_routes.route_handlers,
            *comparison_routes.route_handlers,
            *frameworks_routes.route_handlers,
            *concern_routes.route_handlers,
            *visits_routes.route_handlers,
            *actions_routes.route_handlers,
            *public_routes.route_handlers,
            *notifications_routes.route_handlers,
            *oversight_routes.route_handlers,
            *support_routes.route_handlers,
            *practice_routes.route_handlers,
            *tokens_routes.route_handlers,
            *webhooks_routes.route_handlers,
            *regulator_routes.route_handlers,
            *queues_routes.route_handlers,
            api_router,
            static_router(settings.static_dir),
        ],
        plugins=[
            SQLAlchemyPlugin(config=alchemy),
            HTMXPlugin(),
            FlashPlugin(config=FlashConfig(template_config=template_config)),
        ],
        # Request ids wrap everything, including the log-in check, so every log line has one; inside
        # them, a request the database dropped before it changed anything runs once more.
        on_app_init=[
            session_auth.on_app_init,
            _outermost(RetryOnFreshConnection(alchemy)),
            _outermost(RequestContextMiddleware()),
        ],
        on_startup=[startup],
        on_shutdown=[shutdown],
        before_send=[security_headers(https=settings.secure_cookies), refresh_csrf_cookie(csrf_config)],
        csrf_config=csrf_config,
        template_config=template_config,
        guards=[csrf_bound_to_session],
        before_request=ids_in_range,
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            **accounts_routes.dependencies,
            **actions_routes.app_dependencies,
        },
        exception_handlers=exception_handlers,
        after_exception=[identify_signed_in(session_backend.load_from_connection, retrieve_user)],
        openapi_config=OpenAPIConfig(
            title="selfassess API",
            version=__version__,
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
            components=Components(
                security_schemes={
                    "bearerAuth": SecurityScheme(
                        type="http", scheme="bearer", description="A personal access token (account page)."
                    )
                }
            ),
        ),
        request_max_body_size=settings.upload_max_bytes + 1024 * 1024,  # a file at the limit, plus the form
        debug=settings.debug,
    )


def create_served_app(settings: Settings | None = None) -> Litestar:
    """What ``selfassess serve`` runs in each worker. Once it has started, the objects that live as
    long as the process (modules, classes, tables, routes: ~300,000) are frozen out of the garbage
    collector's sight, so that its full collections, which stop the worker's event loop, walk only
    what requests left behind (measured: 100-140 ms a full collection before, see bench/README.md)."""
    app = create_app(settings)
    app.on_startup.append(_freeze_long_lived_objects)
    return app


def _freeze_long_lived_objects() -> None:
    gc.collect()
    gc.freeze()
