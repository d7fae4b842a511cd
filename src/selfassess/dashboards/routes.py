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
    if current_user.is_provider:
        waiting, services, due_dates = await dashboard.provider_figures(
            today, WaitingFor(db_session, current_user)
        )
        rounds = await Rounds(db_session, current_user).for_provider_home(today)
        return render(
            request,
            "dashboards/provider.html",
            {
                "rows": await dashboard.provider_services(today, total=services, number=page),
                "today": today,
                "rounds": rounds.shown,
                "rounds_open": rounds.open_total,
                "due_dates": due_dates,
                "waiting": waiting,
                "queue_words": words,
            },
        )
    market, tiles, waiting_counts = await dashboard.council_figures(
        settings, WaitingFor(db_session, current_user)
    )
    return render(
        request,
        "dashboards/council.html",
        {
            "market": market,
            "tiles": tiles,
            "visits": await dashboard.my_upcoming_visits(),
            "today": today,
            "rounds": await Rounds(db_session, current_user).rows(today, current_only=True),
            "waiting": waiting_counts,
            "queue_words": words,
        },
    )


route_handlers = [home]
