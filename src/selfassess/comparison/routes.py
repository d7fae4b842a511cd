"""Comparison pages: one service's self-assessment beside a visit (and over time), the panel on the
service page, and a provider organisation's self-assessment accuracy across its services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, User
from selfassess.comparison.charts import (
    BarPair,
    ChartPair,
    Guide,
    guides_for,
    key_question_chart,
    key_question_chart_narrow,
    service_accuracy_rows,
    trend_chart,
)
from selfassess.comparison.rules import ACCURACY_TOLERANCE
from selfassess.comparison.service import Comparisons, ComparisonView, ServiceTrend
from selfassess.frameworks.scoring import (
    OverallMethod,
    OverallRating,
    RatingBand,
    band_ranges,
    describe_position,
)
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService
from selfassess.web.rendering import render


async def provide_comparisons(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Comparisons:
    return Comparisons(db_session, current_user)


dependencies = {"comparisons": Provide(provide_comparisons)}


def _key_question_charts(view: ComparisonView) -> ChartPair:
    return ChartPair(_key_question_chart(view, narrow=False), _key_question_chart(view, narrow=True))


def _key_question_chart(view: ComparisonView, *, narrow: bool) -> Markup:
    draw = key_question_chart_narrow if narrow else key_question_chart
    return draw(
        [
            BarPair(line.question.title, line.result.self_result.percent, line.result.officer_result.percent)
            for line in view.key_questions
        ],
        guides_for(view.framework.bands),
        chart_id="key-question-chart-narrow" if narrow else "key-question-chart",
        title=f"Self-assessment and officer percentages per key question, {view.service.name}",
        description=(
            "Horizontal bars: for each key question, the provider's self-assessment percentage "
            "(hatched bar) above the officer's (solid bar), each labelled with its percentage. "
            "Dashed vertical lines mark where each rating band starts. The key questions table "
            "above gives the same figures."
        ),
    )


def _trend_charts(service: CareService, trend: ServiceTrend) -> ChartPair | None:
    if not trend.cycles or trend.latest_framework is None:
        return None
    return ChartPair(_trend_chart(service, trend, narrow=False), _trend_chart(service, trend, narrow=True))


def _trend_chart(service: CareService, trend: ServiceTrend, *, narrow: bool) -> Markup:
    assert trend.latest_framework is not None
    bands = trend.latest_framework.bands
    if trend.latest_framework.overall_method is OverallMethod.RATING_PRINCIPLES:
        return _rating_trend_chart(service, trend, bands, narrow=narrow)
    return trend_chart(
        [cycle.label for cycle in trend.cycles],
        [cycle.self_overall.percent if cycle.self_overall else None for cycle in trend.cycles],
        [cycle.officer_overall.percent if cycle.officer_overall else None for cycle in trend.cycles],
        guides_for(bands),
        chart_id="trend-chart-narrow" if narrow else "trend-chart",
        narrow=narrow,
        title=f"Overall rating score per self-assessment cycle, {service.name}",
        description=(
            "Line chart, oldest cycle first: the provider's overall self-assessment score (dashed "
            "line, hollow squares) and the officer's overall score from the visit that tested it "
            "(solid line, filled circles), each point labelled with its percentage. Dashed "
            "horizontal lines mark where each rating band starts. The ratings over time table gives "
            "the same ratings."
        ),
    )


def _rating_trend_chart(
    service: CareService, trend: ServiceTrend, bands: Sequence[RatingBand], *, narrow: bool
) -> Markup:
    """Overall ratings by the rating principles have no percentage: each band is a level, evenly spaced."""
    height = {band.key: round(100 * index / (len(bands) - 1)) for index, band in enumerate(bands)}
    label = {height[band.key]: band.label for band in bands}

    def level(rating: OverallRating | None) -> int | None:
        return height.get(rating.band.key) if rating else None

    return trend_chart(
        [cycle.label for cycle in trend.cycles],
        [level(cycle.self_overall) for cycle in trend.cycles],
        [level(cycle.officer_overall) for cycle in trend.cycles],
        [Guide(band.label, height[band.key]) for band in bands],
        chart_id="trend-chart-narrow" if narrow else "trend-chart",
        narrow=narrow,
        title=f"Overall rating per self-assessment cycle, {service.name}",
        description=(
            "Line chart, oldest cycle first: the provider's overall self-assessment rating (dashed "
            "line, hollow squares) and the officer's overall rating from the visit that tested it "
            "(solid line, filled circles), each point labelled with its rating. Dashed horizontal "
            "lines mark each rating, worst at the bottom. The ratings over time table gives the same "
            "ratings with their reasons."
        ),
        point_label=label.__getitem__,
        guide_label=lambda guide: guide.label,
        axis=(),
    )


class ServiceComparisonController(Controller):
    path = "/services/{service_id:int}/comparison"
    tags = ["comparison"]
    include_in_schema = False
    dependencies = {**dependencies, **service_dependency}

    @get()
    async def page(
        self,
        request: HTMXRequest,
        comparisons: NamedDependency[Comparisons],
        service: NamedDependency[CareService],
        assessment: FromQuery[int | None] = None,
        visit: FromQuery[int | None] = None,
    ) -> Template:
        """The whole page; changing the pair (htmx) swaps just the comparison block."""
        chosen = await comparisons.choose(service, assessment, visit)
        context: dict[str, Any] = {
            "service": service,
            "chosen": chosen,
            "chart": _key_question_charts(chosen.view) if chosen.view else None,
            "band_ranges": band_ranges,
            "describe_position": describe_position,
        }
        htmx = request.htmx
        # A history restore is htmx rebuilding the whole page from its address: it gets the page.
        if htmx and not htmx.boosted and not htmx.history_restore_request:
            return render(request, "comparison/page.html", context, block="comparison")
        trend = await comparisons.service_trend(service, chosen.choices)
        context.update(trend=trend, trend_chart=_trend_charts(service, trend))
        return render(request, "comparison/page.html", context)

    @get("/panel")
    async def panel(
        self,
        request: HTMXRequest,
        comparisons: NamedDependency[Comparisons],
        service: NamedDependency[CareService],
    ) -> Template:
        """The service page loads this into its comparison section: the headline, or why there is
        nothing to compare yet."""
        chosen = await comparisons.choose(service)
        return render(request, "comparison/_panel.html", {"service": service, "chosen": chosen})


async def provide_provider(
    comparisons: NamedDependency[Comparisons], provider_id: FromPath[int]
) -> Organisation:
    """The provider of the path: for council staff, any on their register; for a provider user,
    their own (404 otherwise)."""
    return await comparisons.provider(provider_id)


class ProviderAccuracyController(Controller):
    path = "/providers/{provider_id:int}/accuracy"
    tags = ["comparison"]
    include_in_schema = False
    dependencies = {**dependencies, "provider": Provide(provide_provider)}

    @get()
    async def accuracy(
        self,
        request: HTMXRequest,
        comparisons: NamedDependency[Comparisons],
        provider: NamedDependency[Organisation],
    ) -> Template:
        accuracy = await comparisons.provider_accuracy(provider)
        return render(
            request,
            "comparison/accuracy.html",
            {
                "accuracy": accuracy,
                "service_rows": service_accuracy_rows(accuracy.services),
                "tolerance": ACCURACY_TOLERANCE,
            },
        )


route_handlers = [ServiceComparisonController, ProviderAccuracyController]
