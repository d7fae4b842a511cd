"""The home page, different for council staff and provider staff."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.dashboards.service import Home
from selfassess.queues.rules import words
from selfassess.queues.service import WaitingFor
from selfassess.rounds.rules import RoundPhase
from selfassess.rounds.service import Rounds
from selfassess.settings import Settings
from selfassess.web.rendering import render


@get("/home", include_in_schema=False, tags=["dashboards"])
async def home(
    request: HTMXRequest,
    db_session: NamedDependency[AsyncSession],
    current_user: NamedDependency[User],
    settings: NamedDependency[Settings],
    page: FromQuery[int] = 1,
) -> Template:
    today = clock.today()
    dashboard = Home(db_session, current_user)
    waiting = {"waiting": await WaitingFor(db_session, current_user).counts(), "queue_words": words}
    if current_user.is_provider:
        return render(
            request,
            "dashboards/provider.html",
            {
                "rows": await dashboard.provider_services(today, number=page),
                "today": today,
                "rounds": await Rounds(db_session, current_user).for_provider_home(today),
                "due_dates": await dashboard.provider_due_dates(today),
                **waiting,
            },
        )
    return render(
        request,
        "dashboards/council.html",
        {
            "market": await dashboard.market(),
            "tiles": await dashboard.tiles(settings),
            "visits": await dashboard.my_upcoming_visits(),
            "today": today,
            "rounds": [
                row
                for row in await Rounds(db_session, current_user).rows(today)
                if row.phase is not RoundPhase.CLOSED
            ],
            **waiting,
        },
    )


route_handlers = [home]
