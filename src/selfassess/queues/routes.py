"""The "Waiting for you" list and the count in every page's header."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.queues.rules import QueueKind, words
from selfassess.queues.service import WaitingFor
from selfassess.web.rendering import render

# Without a filter, the list shows this many items of each kind, with a link to the rest.
FIRST_ITEMS = 10


async def provide_waiting(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> WaitingFor:
    return WaitingFor(db_session, current_user)


class WaitingController(Controller):
    path = "/waiting"
    tags = ["queues"]
    include_in_schema = False
    dependencies = {"waiting": Provide(provide_waiting)}

    @get()
    async def index(
        self,
        request: HTMXRequest,
        waiting: NamedDependency[WaitingFor],
        kind: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        """Everything that waits for the viewer, kind by kind; ``kind`` shows one kind, page by page.
        A kind that is not the viewer's shows everything rather than an error."""
        chosen = QueueKind(kind) if kind in QueueKind._value2member_map_ else None
        chosen = chosen if chosen in waiting.kinds else None
        shown = [chosen] if chosen else list(waiting.kinds)
        counts = await waiting.counts()  # each kind's total too: its list is not counted again
        sections = [
            (
                shown_kind,
                await waiting.page(
                    shown_kind,
                    number=page if chosen else 1,
                    size=25 if chosen else FIRST_ITEMS,
                    total=counts[shown_kind],
                ),
            )
            for shown_kind in shown
        ]
        return render(
            request,
            "queues/waiting.html",
            {"sections": sections, "chosen": chosen, "counts": counts, "words": words},
            block="results",
        )

    @get("/count")
    async def count(self, request: HTMXRequest, waiting: NamedDependency[WaitingFor]) -> Template:
        """Loaded by every page's header; the plan page sends it out of band after each change."""
        return render(
            request, "queues/_count.html", {"waiting_total": sum((await waiting.counts()).values())}
        )


route_handlers = [WaitingController]
