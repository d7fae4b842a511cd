"""Demo market oversight: Northbridge's ratings over five years (from the council's earlier records,
before selfassess), so the share rated good or outstanding visibly rises; Brightwater Care under
enhanced monitoring; good practice from Hollybank shared, named; then every service's risk is
assessed, which fills the risk register and the visit programme."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.oversight.good_practice import GoodPractices
from selfassess.oversight.models import Consent, RatingPeriod, RatingSource
from selfassess.oversight.ratings import record_council_rating, record_rating, record_regulator_rating
from selfassess.oversight.register import refresh_council
from selfassess.oversight.summary import past_quarter_ends, summarise
from selfassess.oversight.support import ProviderSupports
from selfassess.providers.levels import SupportLevel
from selfassess.settings import Settings
from selfassess.visits.models import Visit, VisitStatus

# Council ratings before selfassess, per demo service: (years ago, rating), oldest first.
EARLIER_COUNCIL_RATINGS: dict[str, list[tuple[float, str]]] = {
    "rose_lane": [(4.6, "requires_improvement"), (2.1, "good")],
    "brightwater_home": [(4.2, "inadequate"), (2.6, "requires_improvement"), (1.1, "good")],
    "hollybank": [(4.8, "requires_improvement"), (3.0, "requires_improvement")],
    "willow": [(3.2, "requires_improvement"), (1.6, "good")],
    "meadow": [(4.5, "good"), (1.4, "outstanding")],
}
EARLIER_REGULATOR_RATINGS: dict[str, list[tuple[float, str]]] = {
    "rose_lane": [(4.0, "requires_improvement")],
    "hollybank": [(3.8, "requires_improvement")],
    "brightwater_home": [(4.1, "inadequate")],
    "meadow": [(4.4, "good")],
}


async def add_demo_oversight(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    today = clock.today()
    services = demo.services
    ids = [service.id for service in services.values()]
    # Earlier ratings predate the reports the visits demo published; replay the whole history in order.
    await db.execute(delete(RatingPeriod).where(RatingPeriod.service_id.in_(ids)))
    steps: list[tuple[date, int, Callable[[], Awaitable[None]]]] = []

    def earlier(key: str, years: float, rating: str, source: RatingSource) -> None:
        on = today - timedelta(days=round(365.25 * years))

        async def record() -> None:
            await record_rating(
                db, service_id=services[key].id, source=source, rating_key=rating, valid_from=on
            )

        steps.append((on, len(steps), record))

    for key, history in EARLIER_COUNCIL_RATINGS.items():
        for years, rating in history:
            earlier(key, years, rating, RatingSource.COUNCIL)
    for key, history in EARLIER_REGULATOR_RATINGS.items():
        for years, rating in history:
            earlier(key, years, rating, RatingSource.REGULATOR)
    for visit in await db.scalars(
        select(Visit).where(Visit.service_id.in_(ids), Visit.status == VisitStatus.PUBLISHED)
    ):
        assert visit.published_at is not None

        async def publish(visit: Visit = visit) -> None:
            await record_council_rating(db, visit)

        steps.append((visit.published_at.date(), len(steps), publish))
    for service in services.values():
        if service.regulator_rating_date is not None:

            async def regulator(service=service) -> None:  # type: ignore[no-untyped-def]
                await record_regulator_rating(db, service, today)

            steps.append((service.regulator_rating_date, len(steps), regulator))
    for _day, _order, step in sorted(steps, key=lambda step: step[:2]):
        await step()
    await summarise(db, None, past_quarter_ends(today))  # the history was replaced above, not replayed
    await db.commit()
    with clock.standing_on(today - timedelta(days=40)):
        await ProviderSupports(db, demo.users["officer"], settings).decide(
            demo.providers["brightwater"],
            level=SupportLevel.ENHANCED,
            reason="Medicines errors at Rose Lane House and late visits reported by Brightwater Homecare "
            "Northbridge's clients, within two months.",
            step_down_conditions="Two medicines audits in a row with no errors; missed and late visits "
            "under 2% for three months.",
            review_on=today + timedelta(days=21),
            today=today - timedelta(days=40),
        )
    await _shared_practice(db, demo, settings)
    for council in demo.councils.values():
        await refresh_council(db, council.id, today, settings)
    await db.commit()


async def _shared_practice(db: AsyncSession, demo, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Priya offers a finding from Hollybank's published report; Hollybank agrees to be named."""
    report = await db.scalar(
        select(Visit).where(
            Visit.service_id == demo.services["hollybank"].id, Visit.status == VisitStatus.PUBLISHED
        )
    )
    if report is None:
        return
    today = clock.today()
    officer = GoodPractices(db, demo.users["officer2"], settings)
    with clock.standing_on(today - timedelta(days=6), 11):
        report, service = await officer.published_report(report.id)
        finding = next(finding for finding in await officer.findings(report) if finding.markable)
        practice = await officer.mark(
            report,
            service,
            finding.statement.id,
            "Residents choose their own daily routines: the home keeps no fixed getting-up or meal times, "
            "and staff record each person's preferences in their own words.",
        )
    with clock.standing_on(today - timedelta(days=5), 9):
        provider = GoodPractices(db, demo.users["hollybank"], settings)
        report, _service = await provider.published_report(report.id)
        await provider.answer(report, practice.id, Consent.NAMED)
