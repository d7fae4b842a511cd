"""The council's quality picture over time, read from the rating history in SQL.

Every figure and the list of services behind it come from one selection (``QualityPicture.selection``),
so a count and its list cannot disagree. The share at a date counts the ratings in force on that
date (one indexed range condition per date), so the cost depends on the services and the five-year
window, not on how many years of history are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess.accounts.models import Organisation, User
from selfassess.db import Page, built_once, fetch_page
from selfassess.frameworks.models import FrameworkVersion, KeyQuestion, QualityStatement
from selfassess.oversight.models import (
    OVERALL,
    QualityQuarter,
    QualityQuarterSummarised,
    RatingPeriod,
    RatingSource,
)
from selfassess.oversight.trend import Quarter, QuarterFigures, as_at, quarters_to
from selfassess.providers.models import CareService, ServiceType
from selfassess.providers.service import CareServices
from selfassess.visits.models import VisitScore

# What a figure counts; the services list page takes the same word.
RATED, GOOD, UNRATED, IMPROVED, DECLINED, BELOW_GOOD = (
    "rated",
    "good",
    "unrated",
    "improved",
    "declined",
    "below_good",
)
SELECTIONS = (RATED, GOOD, UNRATED, IMPROVED, DECLINED, BELOW_GOOD)


@dataclass(frozen=True)
class Filters:
    """Which services the picture covers, and which rating (overall or one key question)."""

    service_type: ServiceType | None = None
    town: str = ""
    provider_id: int | None = None
    key_question: str = OVERALL

    def query(self, **extra: object) -> str:
        """These filters (and ``extra``) as a query string, for links to the services behind a figure."""
        return "&".join(part for part in (self._query, _encoded_extra(tuple(extra.items()))) if part)

    @cached_property
    def _query(self) -> str:
        """The filters' own part, encoded once: a page links every figure with it (over a hundred)."""
        return _encoded(
            {
                "service_type": self.service_type.value if self.service_type else "",
                "town": self.town,
                "provider_id": self.provider_id or "",
                "key_question": self.key_question,
            }
        )


def _encoded(values: dict[str, object]) -> str:
    return urlencode({name: value for name, value in values.items() if value not in ("", None)})


@lru_cache(maxsize=4096)
def _encoded_extra(items: tuple[tuple[str, object], ...]) -> str:
    """A figure's own part of its link (what, source, day): the same few hundred every day, on
    every page that links figures (the trend table alone has a hundred)."""
    return _encoded(dict(items))


@dataclass(frozen=True)
class Series:
    source: RatingSource
    points: list[QuarterFigures]


@dataclass(frozen=True)
class Movement:
    improved: int
    declined: int


@dataclass(frozen=True)
class StatementCount:
    code: str
    title: str
    services: int


@dataclass(frozen=True)
class ServiceLine:
    service: CareService
    provider_name: str
    rating_key: str | None
    earlier_rating_key: str | None = None


@dataclass(frozen=True)
class Picture:
    quarters: list[Quarter]
    services: int
    council: Series
    regulator: Series | None  # None when filtered to a key question: the regulator's are not kept here


# The ratings in force on the later and the earlier day, aliased once: an alias copies every column
# each time one is made (a page made three).
_NOW, _THEN = aliased(RatingPeriod, name="rating_now"), aliased(RatingPeriod, name="rating_then")


def in_force(period: type[RatingPeriod], on: date) -> ColumnElement[bool]:
    """The rating in force on ``on``: it began on or before that day and was not yet replaced."""
    return and_(period.valid_from <= on, period.valid_to > on)


def _moved(what: str, now: type[RatingPeriod], then: type[RatingPeriod]) -> ColumnElement[bool]:
    """Improved: ranked higher now than then; declined: lower."""
    return now.rank > then.rank if what == IMPROVED else now.rank < then.rank


class QualityPicture:
    def __init__(self, db: AsyncSession, viewer: User, today: date) -> None:
        self.db = db
        self.viewer = viewer
        self.today = today
        self.services = CareServices(db, viewer)

    def _built(self, build: Callable[[], Select], *key: object) -> Select:  # type: ignore[type-arg]
        """A statement of the picture (named and parametrised by ``key``) for the viewer's council,
        built once and kept (``built_once``): the page runs five, each of which cost more to build,
        with SQLAlchemy's cache key, than to run."""
        return built_once(("quality", self.viewer.organisation_id, self.viewer.is_provider, *key), build)

    # --- the one selection every figure and list uses ------------------------------------------

    def _covered(self, statement: Select, filters: Filters) -> Select:  # type: ignore[type-arg]
        """Active services in the viewer's area that the filters keep."""
        statement = self.services.scope(statement).where(CareService.is_active.is_(True))
        if filters.service_type is not None:
            statement = statement.where(CareService.service_type == filters.service_type)
        if filters.town:
            statement = statement.where(CareService.town == filters.town)
        if filters.provider_id is not None:
            statement = statement.where(CareService.provider_id == filters.provider_id)
        return statement

    def _in_council(self, period: type[RatingPeriod]) -> ColumnElement[bool]:
        """The viewer's council's ratings only (only council staff see this picture): with the index
        on (council_id, aspect, valid_to) a council reads its own window and nothing else."""
        return period.council_id == self.viewer.organisation_id

    def _periods(
        self, period: type[RatingPeriod], source: RatingSource, filters: Filters
    ) -> ColumnElement[bool]:
        return and_(
            period.service_id == CareService.id,
            self._in_council(period),
            period.source == source,
            period.aspect == filters.key_question,
        )

    def selection(
        self,
        what: str,
        *,
        filters: Filters,
        source: RatingSource,
        on: date,
        since: date | None = None,
        statement_code: str = "",
    ) -> Select:  # type: ignore[type-arg]
        """Services (with the rating in force on ``on``) behind one figure: rated, good or better,
        unrated, improved or declined since ``since``, or scored below good on a statement."""
        if what == UNRATED:
            rated = exists().where(self._periods(RatingPeriod, source, filters), in_force(RatingPeriod, on))
            return self._covered(
                select(CareService, Organisation.name, null(), null()).join(
                    Organisation, Organisation.id == CareService.provider_id
                ),
                filters,
            ).where(~rated)
        if what in (IMPROVED, DECLINED):
            assert since is not None
            statement, now, then = self._then_and_now(filters, source, on, since)
            return (
                statement.add_columns(Organisation.name, now.rating_key, then.rating_key)
                .join(Organisation, Organisation.id == CareService.provider_id)
                .where(_moved(what, now, then))
            )
        now = _NOW
        statement = self._covered(
            select(CareService, Organisation.name, now.rating_key)
            .join(Organisation, Organisation.id == CareService.provider_id)
            .join(now, self._periods(now, source, filters)),
            filters,
        ).where(in_force(now, on))
        if what == GOOD:
            return statement.add_columns(null()).where(now.good_or_better.is_(True))
        if what == BELOW_GOOD:
            return statement.add_columns(null()).where(
                exists()
                .where(
                    VisitScore.visit_id == now.visit_id,
                    QualityStatement.id == VisitScore.statement_id,
                    QualityStatement.code == statement_code,
                    FrameworkVersion.id == QualityStatement.version_id,
                    VisitScore.score < FrameworkVersion.good_value,
                )
                .correlate(now)
            )
        return statement.add_columns(null())

    def _then_and_now(
        self, filters: Filters, source: RatingSource, on: date, since: date
    ) -> tuple[Select, type[RatingPeriod], type[RatingPeriod]]:  # type: ignore[type-arg]
        """Services rated on both days whose rating was replaced in between, joined to the ratings in
        force on ``on`` (``now``) and on ``since`` (``then``). A rating in force on both days has not
        moved, so ``then`` ended and ``now`` began in between: with the index on (council, aspect,
        valid_to) only the ratings replaced in between are read, however long the history."""
        now, then = _NOW, _THEN
        statement = self._covered(
            select(CareService)
            .join(now, and_(self._periods(now, source, filters), in_force(now, on), now.valid_from > since))
            .join(
                then, and_(self._periods(then, source, filters), in_force(then, since), then.valid_to <= on)
            ),
            filters,
        )
        return statement, now, then  # type: ignore[return-value]

    async def services_covered(self, filters: Filters) -> int:
        statement = self._built(
            lambda: self._covered(select(func.count(CareService.id)), filters), "covered", filters
        )
        return await self.db.scalar(statement) or 0

    def figures_counted(self, filters: Filters, source: RatingSource, on: date) -> Select:  # type: ignore[type-arg]
        """The statement that counts (``services`` covered, ``rated``, ``good`` or better) on one
        day in one aggregate: the same services as ``services_covered`` and the RATED and GOOD
        selections, for pages that show the numbers without their lists. Each service has at most
        one rating in force on a day, so the outer join keeps one row a service (rated or not)."""
        return self._covered(
            select(
                func.count(CareService.id).label("services"),
                func.count(RatingPeriod.service_id).label("rated"),
                func.count(case((RatingPeriod.good_or_better.is_(True), 1))).label("good"),
            )
            .select_from(CareService)
            .outerjoin(
                RatingPeriod,
                and_(self._periods(RatingPeriod, source, filters), in_force(RatingPeriod, on)),
            ),
            filters,
        )

    async def count(self, what: str, **arguments: object) -> int:
        statement = self.selection(what, **arguments)  # type: ignore[arg-type]
        return await self.db.scalar(select(func.count()).select_from(statement.subquery())) or 0

    async def page(
        self, what: str, *, number: int = 1, size: int = 50, **arguments: object
    ) -> Page[ServiceLine]:
        statement = self.selection(what, **arguments)  # type: ignore[arg-type]
        rows, total, number = await fetch_page(
            self.db, statement, CareService.name, CareService.id, number=number, size=size
        )
        return Page(items=[ServiceLine(*row) for row in rows], total=total, number=number, size=size)

    # --- the picture --------------------------------------------------------------------------

    async def picture(self, filters: Filters, quarters: list[Quarter] | None = None) -> Picture:
        """Each quarter's rated and good-or-better counts for each source (the five-year window, or
        the ``quarters`` given). Past quarters come from the per-quarter summary (a few rows a
        quarter, however long the history); the quarter under way, a quarter not summarised yet and a
        provider's picture (the summary is not kept by provider) are counted from the ratings in
        force on their dates, in one aggregate query."""
        quarters = quarters or quarters_to(self.today)
        dates = [as_at(quarter, self.today) for quarter in quarters]
        counts: dict[tuple[str, date], tuple[int, int]] = {}
        live = dates
        if filters.provider_id is None:
            past = [on for on in dates if on < self.today]
            summarised, counts = await self._summarised(filters, past)
            live = [on for on in dates if on not in summarised]
        counts |= await self._live(filters, live)
        services = await self.services_covered(filters)

        def series(source: RatingSource) -> Series:
            figures = []
            for quarter, on in zip(quarters, dates, strict=True):
                rated, good = counts.get((source.value, on), (0, 0))
                figures.append(QuarterFigures(quarter, on, rated, good, services - rated))
            return Series(source, figures)

        regulator = None if filters.key_question else series(RatingSource.REGULATOR)
        return Picture(quarters, services, series(RatingSource.COUNCIL), regulator)

    async def _summarised(
        self, filters: Filters, dates: list[date]
    ) -> tuple[set[date], dict[tuple[str, date], tuple[int, int]]]:
        """The dates that are summarised, and their counts, in one statement: each summarised
        quarter's mark joined to its summary rows (none when nothing matched then)."""
        if not dates:
            return set(), {}
        rows = await self.db.execute(
            self._built(lambda: self._summarised_counted(filters, dates), "summarised", filters, tuple(dates))
        )
        summarised: set[date] = set()
        counts: dict[tuple[str, date], tuple[int, int]] = {}
        for on, source, rated, good in rows:
            summarised.add(on)
            if source is not None:
                counts[(source, on)] = (int(rated), int(good))
        return summarised, counts

    def _summarised_counted(self, filters: Filters, dates: list[date]) -> Select:  # type: ignore[type-arg]
        summary, marked = QualityQuarter, QualityQuarterSummarised
        matching = [
            summary.council_id == marked.council_id,
            summary.quarter_end == marked.quarter_end,
            summary.aspect == filters.key_question,
        ]
        if filters.service_type is not None:
            matching.append(summary.service_type == filters.service_type.value)
        if filters.town:
            matching.append(summary.town == filters.town)
        return (
            select(marked.quarter_end, summary.source, func.sum(summary.rated), func.sum(summary.good))
            .select_from(marked)
            .outerjoin(summary, and_(*matching))
            .where(marked.council_id == self.viewer.organisation_id, marked.quarter_end.in_(dates))
            .group_by(marked.quarter_end, summary.source)
        )

    async def _live(self, filters: Filters, dates: list[date]) -> dict[tuple[str, date], tuple[int, int]]:
        """Counts on these dates from the ratings in force on them (only those periods are read)."""
        if not dates:
            return {}
        rows = await self.db.execute(
            self._built(lambda: self._live_counted(filters, dates), "live", filters, tuple(dates))
        )
        counts = {}
        for source, *values in rows:
            for i, on in enumerate(dates):
                counts[(RatingSource(source).value, on)] = (values[2 * i], values[2 * i + 1])
        return counts

    def _live_counted(self, filters: Filters, dates: list[date]) -> Select:  # type: ignore[type-arg]
        columns = []
        for on in dates:
            columns.append(func.count(case((in_force(RatingPeriod, on), 1))))
            columns.append(
                func.count(case((and_(in_force(RatingPeriod, on), RatingPeriod.good_or_better), 1)))
            )
        return (
            self._covered(
                select(RatingPeriod.source, *columns).join(
                    CareService, CareService.id == RatingPeriod.service_id
                ),
                filters,
            )
            .where(
                self._in_council(RatingPeriod),
                RatingPeriod.aspect == filters.key_question,
                RatingPeriod.valid_to > min(dates),
                RatingPeriod.valid_from <= max(dates),
            )
            .group_by(RatingPeriod.source)
        )

    async def movement(self, filters: Filters, source: RatingSource, since: date, on: date) -> Movement:
        """Improved and declined in one aggregate over the IMPROVED and DECLINED selections' join."""

        def build() -> Select:  # type: ignore[type-arg]
            statement, now, then = self._then_and_now(filters, source, on, since)
            return statement.with_only_columns(
                *(func.count(case((_moved(what, now, then), 1))) for what in (IMPROVED, DECLINED))
            )

        row = (await self.db.execute(self._built(build, "movement", filters, source, since, on))).one()
        return Movement(row[0], row[1])

    async def statements_below_good(
        self, filters: Filters, on: date, limit: int = 10
    ) -> list[StatementCount]:
        """The statements most often scored below good in the council reports in force on ``on``.
        The reports' low scores are counted by statement and score first (integers, a few hundred
        groups): matching each of a county's ~5,000 low scores to its statement's words and version
        before counting cost more than the rest of the page's statements. A row is a service: one
        report in force a service (as every count of rated services), one score a statement in a
        report (unique), so the rows are counted as they come, not sorted again in every group to
        find distinct services. The sum is by statement code."""
        statement = self._built(
            lambda: self._below_good_counted(filters, on, limit), "below good", filters, on, limit
        )
        return [
            StatementCount(code, title, int(count)) for code, title, count in await self.db.execute(statement)
        ]

    def _below_good_counted(self, filters: Filters, on: date, limit: int) -> Select:  # type: ignore[type-arg]
        below = (
            self._covered(
                select(
                    VisitScore.statement_id,
                    VisitScore.score,
                    func.count().label("services"),
                )
                .select_from(RatingPeriod)
                .join(CareService, CareService.id == RatingPeriod.service_id)
                .join(VisitScore, VisitScore.visit_id == RatingPeriod.visit_id),
                filters,
            )
            .where(
                self._in_council(RatingPeriod),
                RatingPeriod.source == RatingSource.COUNCIL,
                RatingPeriod.aspect == filters.key_question,
                in_force(RatingPeriod, on),
                # No report scores good on any version below this: the score index then reads only
                # the scores below good (~6 of a report's 34); each version's own good value is
                # checked once a group, below.
                VisitScore.score < select(func.max(FrameworkVersion.good_value)).scalar_subquery(),
            )
            .group_by(VisitScore.statement_id, VisitScore.score)
            .subquery()
        )
        services = func.sum(below.c.services)
        statement = (
            select(QualityStatement.code, QualityStatement.title, services)
            .select_from(below)
            .join(QualityStatement, QualityStatement.id == below.c.statement_id)
            .join(FrameworkVersion, FrameworkVersion.id == QualityStatement.version_id)
            .where(below.c.score < FrameworkVersion.good_value)
            .group_by(QualityStatement.code, QualityStatement.title)
            .order_by(services.desc(), QualityStatement.code)
            .limit(limit)
        )
        if filters.key_question:
            statement = statement.join(KeyQuestion, KeyQuestion.id == QualityStatement.key_question_id).where(
                KeyQuestion.code == filters.key_question
            )
        return statement

    async def towns(self) -> list[str]:
        return list(
            await self.db.scalars(
                self.services.scope(select(CareService.town).where(CareService.is_active.is_(True)))
                .distinct()
                .order_by(CareService.town)
            )
        )
