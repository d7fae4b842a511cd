"""A council admin's review of published ratings that the corrected method rates differently."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.visits.rating_reviews import CorrectionRow, RatingReviews
from selfassess.web.guards import requires_council_admin
from selfassess.web.rendering import render, see_other


async def provide_reviews(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> RatingReviews:
    return RatingReviews(db_session, current_user)


async def provide_correction(
    reviews: NamedDependency[RatingReviews], correction_id: FromPath[int]
) -> CorrectionRow:
    """The rating to review of the path, when it is in the admin's council area (404 otherwise)."""
    return await reviews.get(correction_id)


class RatingReviewController(Controller):
    path = "/admin/ratings"
    tags = ["admin"]
    include_in_schema = False
    guards = [requires_council_admin]
    dependencies = {"reviews": Provide(provide_reviews), "row": Provide(provide_correction)}

    @get()
    async def index(self, request: HTMXRequest, reviews: NamedDependency[RatingReviews]) -> Template:
        return render(request, "visits/rating_reviews.html", {"rows": await reviews.pending()})

    @post("/{correction_id:int}/republish")
    async def republish(
        self,
        request: HTMXRequest,
        reviews: NamedDependency[RatingReviews],
        row: NamedDependency[CorrectionRow],
    ) -> Redirect:
        await reviews.republish(row)
        flash(
            request,
            f"{row.service.name}: the published rating is now {row.visit.rating_label}, on every page.",
            "success",
        )
        return see_other("/admin/ratings")
