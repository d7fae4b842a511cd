"""Market oversight pages for council staff: the quality picture over time (and the services behind
each of its figures), the risk register, and the visit programme."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.frameworks.service import council_settings, load_framework
from selfassess.oversight.charts import share_chart, trend_table_rows
from selfassess.oversight.models import OVERALL, RatingSource
from selfassess.oversight.programme import add_months
from selfassess.oversight.quality import SELECTIONS, Filters, Picture, QualityPicture
from selfassess.oversight.register import assess_service, refresh_council
from selfassess.oversight.report import quarterly_report
from selfassess.oversight.risk import BAND_LABELS, BANDS
from selfassess.oversight.service import Oversight, RegisterFilters
from selfassess.oversight.trend import Quarter, as_at, quarters_to
from selfassess.providers.dependencies import service_dependency
from selfassess.providers.models import CareService, ServiceType
from selfassess.settings import Settings
from selfassess.web.filters import FilterField, read_filters
from selfassess.web.forms import day_or_none
from selfassess.web.guards import requires_council_staff
from selfassess.web.pdf import pdf_response
from selfassess.web.rendering import csv_response, render, see_other


async def provide_picture(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> QualityPicture:
    return QualityPicture(db_session, current_user, clock.today())


@dataclass
class ChosenFilters:
    """The filters as asked for, and a message for each one that could not be used."""

    filters: Filters
    errors: list[str] = field(default_factory=list)


def _service_type_field() -> FilterField:
    return FilterField(
        "service_type",
        "Service type",
        "All types",
        ServiceType.options(),
        "Choose a service type from the list.",
    )


def _provider_field(providers: list[tuple[int, str]]) -> FilterField:
    return FilterField(
        "provider_id",
        "Provider",
        "All providers",
        list(providers),
        "Choose a provider from the list.",
    )


def _id(field: FilterField) -> int | None:
    return int(field.chosen) if field.chosen else None


async def _key_questions(picture: QualityPicture) -> list[tuple[str, str]]:
    settings = await council_settings(picture.db, picture.viewer.organisation_id)
    if not settings.framework_version_id:
        return []
    framework = await load_framework(picture.db, settings.framework_version_id)
    return [(question.code, question.title) for question in framework.key_questions]


async def read_quality_filters(
    picture: QualityPicture,
    service_type: str,
    town: str,
    provider_id: str,
    key_question: str,
    *,
    with_options: bool = True,
) -> tuple[ChosenFilters, dict[str, FilterField]]:
    """The quality picture's filters, on its page and on the lists behind its figures. Without the
    options (a page with no filter form), only the lists a given value is checked against are read:
    a county's hundreds of providers cost more than the list they filter."""
    questions = await _key_questions(picture) if with_options or key_question else []
    towns = await picture.towns() if with_options or town else []
    providers = await picture.services.provider_choices() if with_options or provider_id else []
    fields, errors = read_filters(
        [
            _service_type_field(),
            FilterField(
                "town",
                "Locality",
                "Whole area",
                [(town, town) for town in towns],
                "Choose a town from the list.",
            ),
            _provider_field(providers),
            FilterField(
                "key_question",
                "Rating",
                "Overall rating",
                [(code, f"Key question: {title}") for code, title in questions],
                "Choose a key question from the list.",
            ),
        ],
        {
            "service_type": service_type,
            "town": town,
            "provider_id": provider_id,
            "key_question": key_question,
        },
    )
    chosen_type = fields["service_type"].chosen
    filters = Filters(
        ServiceType(chosen_type) if chosen_type else None,
        fields["town"].chosen,
        _id(fields["provider_id"]),
        fields["key_question"].chosen or OVERALL,
    )
    return ChosenFilters(filters, errors), fields


def _chart(picture: Picture) -> Markup:
    return share_chart(
        [point.quarter.label for point in picture.council.points],
        [point.percent for point in picture.council.points],
        [point.percent for point in picture.regulator.points] if picture.regulator else None,
        chart_id="quality-trend-chart",
        title="Share of services rated good or outstanding at the end of each quarter",
        description=(
            "Line chart, oldest quarter first: the share of rated services whose council rating in "
            "force was good or outstanding (solid line, filled circles)"
            + (
                " and the same for the regulator's ratings (dashed line, hollow squares)"
                if picture.regulator
                else ""
            )
            + ". The table beside the chart gives every quarter's figures and counts."
        ),
    )


def _quarter(key: str, quarters: list[Quarter], default: Quarter, errors: list[str], name: str) -> Quarter:
    if not key:
        return default
    quarter = Quarter.parse(key)
    if quarter is None or quarter not in quarters:
        errors.append(f"Choose the {name} quarter from the list.")
        return default
    return quarter


class QualityController(Controller):
    path = "/oversight/quality"
    tags = ["oversight"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = {"picture": Provide(provide_picture)}

    @get()
    async def page(
        self,
        request: HTMXRequest,
        picture: NamedDependency[QualityPicture],
        service_type: FromQuery[str] = "",
        town: FromQuery[str] = "",
        provider_id: FromQuery[str] = "",
        key_question: FromQuery[str] = "",
        start: FromQuery[str] = "",
        end: FromQuery[str] = "",
    ) -> Template:
        """The trend, a headline comparing two quarters, the movements between them, and the
        statements most often scored below good."""
        chosen, filter_fields = await read_quality_filters(
            picture, service_type, town, provider_id, key_question
        )
        filters = chosen.filters
        result = await picture.picture(filters)
        quarters = result.quarters
        first = _quarter(start, quarters, quarters[0], chosen.errors, "first")
        last = _quarter(end, quarters, quarters[-1], chosen.errors, "second")
        if first > last:
            first, last = last, first
        by_quarter = {point.quarter: point for point in result.council.points}
        on_first, on_last = as_at(first, picture.today), as_at(last, picture.today)
        return render(
            request,
            "oversight/quality.html",
            {
                "picture": result,
                "chart": _chart(result),
                "trend_rows": trend_table_rows(
                    result.council.points,
                    result.regulator.points if result.regulator else None,
                    filters.query,
                ),
                "filters": filters,
                "errors": chosen.errors,
                "filter_fields": filter_fields,
                "first": by_quarter[first],
                "last": by_quarter[last],
                "regulator_first": result.regulator.points[quarters.index(first)]
                if result.regulator
                else None,
                "regulator_last": result.regulator.points[quarters.index(last)] if result.regulator else None,
                "movement": await picture.movement(filters, RatingSource.COUNCIL, on_first, on_last),
                "statements": await picture.statements_below_good(filters, on_last),
                "sources": RatingSource,
            },
        )

    @get("/services")
    async def services(
        self,
        request: HTMXRequest,
        picture: NamedDependency[QualityPicture],
        what: FromQuery[str] = "rated",
        source: FromQuery[str] = "council",
        on: FromQuery[str] = "",
        since: FromQuery[str] = "",
        statement: FromQuery[str] = "",
        service_type: FromQuery[str] = "",
        town: FromQuery[str] = "",
        provider_id: FromQuery[str] = "",
        key_question: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        """The services behind one figure of the quality page, from the same selection as its count."""
        chosen, _fields = await read_quality_filters(
            picture, service_type, town, provider_id, key_question, with_options=False
        )
        errors = chosen.errors
        if what not in SELECTIONS:
            errors.append("That list does not exist; showing the services rated on the day.")
            what = "rated"
        chosen_source = (
            RatingSource(source) if source in RatingSource._value2member_map_ else RatingSource.COUNCIL
        )
        on_day = _day(on, picture.today, errors, "The date")
        since_day = (
            _day(since, on_day, errors, "The earlier date") if what in ("improved", "declined") else None
        )
        results = await picture.page(
            what,
            filters=chosen.filters,
            source=chosen_source,
            on=on_day,
            since=since_day,
            statement_code=statement,
            number=page,
        )
        query = chosen.filters.query(
            what=what,
            source=chosen_source.value,
            on=on_day.isoformat(),
            since=since_day.isoformat() if since_day else "",
            statement=statement,
        )
        return render(
            request,
            "oversight/quality_services.html",
            {
                "results": results,
                "what": what,
                "source": chosen_source,
                "on": on_day,
                "since": since_day,
                "statement": statement,
                "filters": chosen.filters,
                "errors": errors,
                "query": query,
            },
        )


def _day(value: str, default: date, errors: list[str], name: str) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{name} must be a date such as 2026-03-31.")
        return default


async def provide_oversight(
    db_session: NamedDependency[AsyncSession], current_user: NamedDependency[User]
) -> Oversight:
    return Oversight(db_session, current_user)


async def read_register_filters(
    oversight: Oversight,
    band: str,
    officer_id: str,
    service_type: str,
    provider_id: str,
    *,
    with_band: bool,
    with_options: bool = True,
) -> tuple[RegisterFilters, list[str], dict[str, FilterField]]:
    """The risk register's filters; the visit programme's are the same without the band. Without the
    options (the API), only the lists a given value is checked against are read."""
    officers = await oversight.services.officer_choices() if with_options or officer_id else []
    providers = await oversight.services.provider_choices() if with_options or provider_id else []
    band_field = FilterField(
        "band",
        "Risk band",
        "All bands",
        [(name, BAND_LABELS[name]) for name, _ in reversed(BANDS)],
        "Choose a risk band from the list.",
    )
    officer_field = FilterField(
        "officer_id",
        "Officer",
        "All officers",
        list(officers),
        "Choose an officer from the list.",
    )
    fields, errors = read_filters(
        [
            *([band_field] if with_band else []),
            officer_field,
            _service_type_field(),
            _provider_field(providers),
        ],
        {"band": band, "officer_id": officer_id, "service_type": service_type, "provider_id": provider_id},
    )
    chosen_type = fields["service_type"].chosen
    filters = RegisterFilters(
        fields["band"].chosen if with_band else "",
        _id(fields["officer_id"]),
        ServiceType(chosen_type) if chosen_type else None,
        _id(fields["provider_id"]),
    )
    return filters, errors, fields


def _register_query(filters: RegisterFilters) -> str:
    return urlencode(
        {
            "band": filters.band,
            "officer_id": filters.officer_id or "",
            "service_type": filters.service_type.value if filters.service_type else "",
            "provider_id": filters.provider_id or "",
            "within_interval": "true" if filters.within_interval_on else "",
        }
    )


def _factor_items(factors: list[dict[str, Any]]) -> Markup:
    """One register line's factors as list items, made in one piece: as a template loop, the 50
    lines' factors were most of the page's template steps."""
    return Markup(
        "".join(
            f"<li>{escape(str(factor['name']))}: {escape(str(factor['detail']))} "
            f"<strong>+{escape(str(factor['points']))}</strong></li>"
            for factor in factors
        )
    )


class RiskController(Controller):
    path = "/oversight/risk"
    tags = ["oversight"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = {"oversight": Provide(provide_oversight)}

    @get()
    async def register(
        self,
        request: HTMXRequest,
        oversight: NamedDependency[Oversight],
        band: FromQuery[str] = "",
        officer_id: FromQuery[str] = "",
        service_type: FromQuery[str] = "",
        provider_id: FromQuery[str] = "",
        within_interval: FromQuery[bool] = False,
        page: FromQuery[int] = 1,
    ) -> Template:
        """Services by risk, highest first, each with the factors behind its score; with
        ``within_interval``, only those visited within their interval (the report's coverage)."""
        filters, errors, filter_fields = await read_register_filters(
            oversight, band, officer_id, service_type, provider_id, with_band=True
        )
        if within_interval:
            filters = replace(filters, within_interval_on=clock.today())
        register = await oversight.register(filters, number=page)
        return render(
            request,
            "oversight/risk.html",
            {
                "rows": register.rows,
                "filters": filters,
                "errors": errors,
                "filter_fields": filter_fields,
                "query": _register_query(filters),
                "assessed_at": register.assessed_at,
                "band_labels": BAND_LABELS,
                "factor_items": _factor_items,
            },
        )

    @post("/refresh")
    async def refresh(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Redirect:
        """Re-assess every service now (the daily job does the same)."""
        raised = await refresh_council(db_session, current_user.organisation_id, clock.today(), settings)
        await db_session.commit()
        flash(
            request,
            "Risk re-assessed for every service"
            + (f"; {raised} moved into a higher band and their officers were told." if raised else "."),
            "success",
        )
        return see_other("/oversight/risk")


@get(
    "/services/{service_id:int}/risk/panel",
    guards=[requires_council_staff],
    dependencies={"oversight": Provide(provide_oversight), **service_dependency},
    include_in_schema=False,
    tags=["oversight"],
)
async def risk_panel(
    request: HTMXRequest, oversight: NamedDependency[Oversight], service: NamedDependency[CareService]
) -> Template:
    """The service page's risk section: the score now, factor by factor. Council staff only: the
    factors count confidential concerns."""
    return render(
        request,
        "oversight/_risk_panel.html",
        {
            "service": service,
            "assessment": await assess_service(oversight.db, service, clock.today()),
            "band_labels": BAND_LABELS,
        },
    )


class ProgrammeController(Controller):
    path = "/oversight/programme"
    tags = ["oversight"]
    include_in_schema = False
    guards = [requires_council_staff]
    dependencies = {"oversight": Provide(provide_oversight)}

    @get()
    async def programme(
        self,
        request: HTMXRequest,
        oversight: NamedDependency[Oversight],
        officer_id: FromQuery[str] = "",
        service_type: FromQuery[str] = "",
        provider_id: FromQuery[str] = "",
        months: FromQuery[int] = 3,
        until: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        """Services due or overdue a visit over the next months (or by the day ``until``, as the
        quarterly report counts them), by month and officer, and coverage."""
        filters, errors, filter_fields = await read_register_filters(
            oversight, "", officer_id, service_type, provider_id, with_band=False
        )
        if not 1 <= months <= 24:
            errors.append("Show between 1 and 24 months ahead.")
            months = 3
        today = clock.today()
        chosen_until = day_or_none(until) if until else None
        if until and chosen_until is None:
            errors.append("The date must be a date such as 2026-03-31.")
        due_by = chosen_until or add_months(today.replace(day=1), months) - timedelta(days=1)
        programme = await oversight.programme(filters, due_by, today, number=page)
        return render(
            request,
            "oversight/programme.html",
            {
                "rows": programme.rows,
                "loads": await oversight.by_month(filters, today, due_by),
                "coverage": programme.coverage,
                "filters": filters,
                "errors": errors,
                "filter_fields": filter_fields,
                "months": months,
                "until": due_by,
                "today": today,
                "query": _register_query(filters)
                + (f"&until={chosen_until.isoformat()}" if chosen_until else f"&months={months}"),
                "assessed_at": programme.assessed_at,
                "band_labels": BAND_LABELS,
            },
        )


def _report_quarter(key: str, today: date, errors: list[str]) -> Quarter:
    """The quarter asked for, or the last one completed."""
    quarters = quarters_to(today)
    return _quarter(key, quarters, quarters[-2], errors, "report's")


class ReportController(Controller):
    path = "/oversight/report"
    tags = ["oversight"]
    include_in_schema = False
    guards = [requires_council_staff]

    @get()
    async def page(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
        settings: NamedDependency[Settings],
        quarter: FromQuery[str] = "",
    ) -> Template:
        """One page for the board or quality committee, printable, with the same figures as a CSV."""
        today = clock.today()
        errors: list[str] = []
        chosen = _report_quarter(quarter, today, errors)
        report = await quarterly_report(db_session, current_user, settings, chosen, today)
        return render(
            request,
            "oversight/report.html",
            {
                "report": report,
                "filters": Filters(),  # the report covers the whole area: its links list the same
                "errors": errors,
                "quarters": quarters_to(today),
                "today": today,
            },
        )

    @get("/report.pdf")
    async def pdf(
        self,
        request: HTMXRequest,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
        settings: NamedDependency[Settings],
        quarter: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The page as the committee's PDF: the same template, on the PDF layout (council, date and
        page numbers on every page)."""
        today = clock.today()
        chosen = _report_quarter(quarter, today, [])
        return await pdf_response(
            request,
            "oversight/report.html",
            {
                "report": await quarterly_report(db_session, current_user, settings, chosen, today),
                "filters": Filters(),
                "errors": [],
                "quarters": [],
                "today": today,
            },
            static_dir=settings.static_dir,
            filename=f"quality-report-{chosen.key}.pdf",
            organisation=current_user.organisation.name,
            produced_on=today,
        )

    @get("/export.csv")
    async def export(
        self,
        db_session: NamedDependency[AsyncSession],
        current_user: NamedDependency[User],
        settings: NamedDependency[Settings],
        quarter: FromQuery[str] = "",
    ) -> Response[str]:
        today = clock.today()
        chosen = _report_quarter(quarter, today, [])
        report = await quarterly_report(db_session, current_user, settings, chosen, today)
        return csv_response(
            f"quality-report-{chosen.key}.csv", ["Section", "Item", "Value"], report.csv_lines()
        )


route_handlers = [QualityController, RiskController, risk_panel, ProgrammeController, ReportController]
