"""The quarterly quality report for a council's board or quality committee: each section one SQL
aggregate over the quarter, scoped to the viewer's council. The page and the CSV read the same
``QuarterlyReport``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import Select, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import User
from selfassess.actions.service import ActionFilter, ActionPlans, PlanFilter
from selfassess.db import built_once
from selfassess.oversight.models import RatingSource
from selfassess.oversight.quality import Filters, Movement, QualityPicture
from selfassess.oversight.service import Coverage, Oversight
from selfassess.oversight.support import ProviderSupports, SupportRow
from selfassess.oversight.trend import Quarter, QuarterFigures, as_at, quarters_to
from selfassess.settings import Settings
from selfassess.visits.concerns import Concerns, Received
from selfassess.visits.service import VisitFilter, Visits


@dataclass(frozen=True)
class Count:
    label: str
    value: int
    href: str = ""  # the list behind the count, built from the same filter


@dataclass(frozen=True)
class QuarterlyReport:
    quarter: Quarter
    starts: date
    ends: date
    trend: list[QuarterFigures]  # the last five quarters up to this one, oldest first
    regulator: QuarterFigures | None
    movement: Movement  # council ratings changed between movement_since and ends
    movement_since: date
    visits_by_type: list[Count]
    coverage: Coverage
    services_due: Count
    plans_submitted: Count
    plans_on_time: Count
    actions_completed: Count
    actions_on_time: Count
    overdue_by_provider: list[Count]
    concerns: list[tuple[str, str, int, str]]  # source label, severity label, count, the list's address
    escalated: list[SupportRow]

    def csv_lines(self) -> list[list[str]]:
        """Section, item, value: the same figures as the page."""
        lines = [
            [
                "Share rated good or outstanding",
                f.quarter.label,
                f"{f.percent}% ({f.good} of {f.rated})" if f.percent is not None else "no ratings",
            ]
            for f in self.trend
        ]
        if self.regulator is not None:
            lines.append(
                [
                    "Regulator: share good or outstanding",
                    self.quarter.label,
                    f"{self.regulator.percent}% ({self.regulator.good} of {self.regulator.rated})",
                ]
            )
        lines += [
            ["Council ratings in the quarter", "improved", str(self.movement.improved)],
            ["Council ratings in the quarter", "declined", str(self.movement.declined)],
        ]
        lines += [["Visits carried out", count.label, str(count.value)] for count in self.visits_by_type]
        lines += [
            [
                "Visit programme",
                "services visited within their interval now",
                f"{self.coverage.within_interval} of {self.coverage.services}",
            ],
            [
                "Visit programme",
                "services due a visit by the end of the quarter",
                str(self.services_due.value),
            ],
            ["Action plans", "submitted in the quarter", str(self.plans_submitted.value)],
            ["Action plans", "submitted by the date set", str(self.plans_on_time.value)],
            ["Actions", "completed in the quarter", str(self.actions_completed.value)],
            ["Actions", "completed by their due date", str(self.actions_on_time.value)],
        ]
        lines += [
            ["Overdue actions by provider", count.label, str(count.value)]
            for count in self.overdue_by_provider
        ]
        lines += [
            ["Concerns received", f"{source}, {severity}", str(count)]
            for source, severity, count, _ in self.concerns
        ]
        lines += [
            ["Providers above routine monitoring", row.provider.name, row.decision.level.label]
            for row in self.escalated
            if row.decision
        ]
        return lines


async def quarterly_report(
    db: AsyncSession, viewer: User, settings: Settings, quarter: Quarter, today: date
) -> QuarterlyReport:
    picture = QualityPicture(db, viewer, today)
    window = quarters_to(today)
    index = window.index(quarter)
    shown = await picture.picture(Filters(), window[max(0, index - 4) : index + 1])  # only those counted
    starts, ends = quarter.previous().end + timedelta(days=1), as_at(quarter, today)
    movement_since = quarter.previous().end

    visits_carried_out = VisitFilter(carried_out=True, scheduled_from=starts, scheduled_to=ends)
    visit_totals = await Visits(db, viewer, settings).totals_by_type(visits_carried_out)
    plans = ActionPlans(db, viewer, settings)
    plans_submitted = PlanFilter(submitted_from=starts, submitted_to=ends)
    plans_on_time = replace(plans_submitted, on_time=True)
    actions_completed = ActionFilter(completed_from=starts, completed_to=ends)
    actions_on_time = replace(actions_completed, on_time=True)

    def three_counts() -> Select:  # type: ignore[type-arg]
        """Three one-row counts, each its list's own statement, read in one round trip."""
        plans_counted = plans.total_and_on_time(plans_submitted).subquery()
        actions_counted = plans.action_total_and_on_time(actions_completed).subquery()
        programme = Oversight(db, viewer).coverage_and_due(today, ends).subquery()
        return (
            select(plans_counted, actions_counted, programme)
            .select_from(plans_counted)
            .join(actions_counted, true())
            .join(programme, true())
        )

    # Built once per viewer, quarter and day: building it cost more than running it.
    key = ("quarterly report counts", viewer.id, viewer.organisation_id, viewer.role, starts, ends, today)
    figures = (await db.execute(built_once(key, three_counts))).one()
    submitted, submitted_on_time, completed, completed_on_time, services, within_interval, due = figures
    completed, completed_on_time = int(completed or 0), int(completed_on_time or 0)  # sums: NULL for none
    overdue = ActionFilter(overdue_on=ends)
    overdue_query = overdue.query
    concerns = await Concerns(db, viewer).received_counts(starts, ends)
    return QuarterlyReport(
        quarter=quarter,
        starts=starts,
        ends=ends,
        trend=shown.council.points,
        regulator=shown.regulator.points[-1] if shown.regulator else None,
        movement=await picture.movement(Filters(), RatingSource.COUNCIL, movement_since, ends),
        movement_since=movement_since,
        visits_by_type=[
            Count(kind.label, total, f"/visits?{replace(visits_carried_out, visit_type=kind).query}")
            for kind, total in visit_totals.items()
        ],
        coverage=Coverage(services, within_interval),
        services_due=Count("due a visit", due, f"/oversight/programme?until={ends.isoformat()}"),
        plans_submitted=Count("submitted in the quarter", submitted, f"/plans?{plans_submitted.query}"),
        plans_on_time=Count("submitted by the date set", submitted_on_time, f"/plans?{plans_on_time.query}"),
        actions_completed=Count(
            "completed in the quarter", completed, f"/plans/actions?{actions_completed.query}"
        ),
        actions_on_time=Count(
            "completed by their due date", completed_on_time, f"/plans/actions?{actions_on_time.query}"
        ),
        overdue_by_provider=[
            # replace(overdue, provider_id=…).query, encoded once for the county's hundred-odd providers
            Count(name, count, f"/plans/actions?provider={provider_id}&{overdue_query}")
            for provider_id, name, count in await plans.action_totals_by_provider(overdue)
        ],
        concerns=[
            (
                source.label,
                severity.label,
                count,
                "/concerns?" + Received(starts, ends, source).query(severity),
            )
            for source, severity, count in concerns
        ],
        escalated=await ProviderSupports(db, viewer, settings).providers(escalated_only=True),
    )
