"""The notifications page, marking notifications read, and the unread badge in the header."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.accounts.routes import safe_next
from selfassess.notifications.models import Notification
from selfassess.notifications.service import Notifications
from selfassess.web.rendering import render, see_other


async def provide_notifications(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Notifications:
    return Notifications(db_session, current_user)


async def provide_notification(
    notifications: NamedDependency[Notifications], notification_id: FromPath[int]
) -> Notification:
    """The notification of the path, when it is the viewer's own (404 otherwise)."""
    return await notifications.get(notification_id)


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]
    include_in_schema = False
    dependencies = {
        "notifications": Provide(provide_notifications),
        "notification": Provide(provide_notification),
    }

    @get()
    async def index(
        self, request: HTMXRequest, notifications: NamedDependency[Notifications], page: FromQuery[int] = 1
    ) -> Template:
        return render(
            request,
            "notifications/notifications.html",
            {"notifications": await notifications.page(page), "unread": await notifications.unread_count()},
        )

    @get("/badge")
    async def badge(self, request: HTMXRequest, notifications: NamedDependency[Notifications]) -> Template:
        """Polled by every page's header, so it answers with the badge alone."""
        return render(request, "notifications/_badge.html", {"unread": await notifications.unread_count()})

    @post("/{notification_id:int}/read")
    async def read(
        self, notifications: NamedDependency[Notifications], notification: NamedDependency[Notification]
    ) -> Redirect:
        """Opening a notification marks it read on the way to its page."""
        await notifications.mark_read(notification)
        return see_other(safe_next(notification.link) if notification.link else "/notifications")

    @post("/read-all")
    async def read_all(self, request: HTMXRequest, notifications: NamedDependency[Notifications]) -> Redirect:
        count = await notifications.mark_all_read()
        flash(request, f"Marked {count} notification{'' if count == 1 else 's'} as read.", "success")
        return see_other("/notifications")


route_handlers = [NotificationController]
