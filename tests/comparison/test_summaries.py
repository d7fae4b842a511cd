"""The visits' comparison summaries, kept up to date by the service functions, always equal what a
computation from scratch gives: the self-assessment each locked visit tests (`visits.tested`'s rule,
asked directly) and the two sides' scores counted statement by statement."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.assessments.models import SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.service import SelfAssessments
from selfassess.providers.hooks import service_moved
from selfassess.providers.models import CareService
from selfassess.settings import Settings
from selfassess.visits import tested as tested_rule
from selfassess.visits.comparison_models import VisitComparison, VisitComparisonCell
from selfassess.visits.models import Visit, VisitScore, VisitStatus
from selfassess.visits.service import Visits
from tests import factories
from tests.cycles import full_cycle, locked_visit, shared_visit, submitted

pytestmark = pytest.mark.usefixtures("frameworks")


def days_ago(days: int) -> date:
    return clock.today() - timedelta(days=days)


Summary = dict[int, tuple[int | None, int, int, int, dict[tuple[int, int], int], int, tuple[Any, ...]]]


async def kept(db: AsyncSession) -> Summary:
    """What the summary tables hold: visit -> (tested, pairs, difference, over-rated, cells, provider,
    the visit's status, framework version and day and the tested self-assessment's period)."""
    cells: dict[int, dict[tuple[int, int], int]] = {}
    for visit_id, first, second, count in await db.execute(
        select(
            VisitComparisonCell.visit_id,
            VisitComparisonCell.self_score,
            VisitComparisonCell.officer_score,
            VisitComparisonCell.statements,
        )
    ):
        cells.setdefault(visit_id, {})[(first, second)] = count
    return {
        row.visit_id: (
            row.assessment_id,
            row.pairs,
            row.difference_total,
            row.overrated,
            cells.get(row.visit_id, {}),
            row.provider_id,
            (row.visit_status, row.framework_version_id, row.scheduled_for, row.period_label),
        )
        for row in await db.scalars(select(VisitComparison))
    }


async def from_scratch(db: AsyncSession) -> Summary:
    """The same, worked out from the visits, the tested rule and every score."""
    provider_of: dict[int, int] = {}
    visit_columns: dict[int, tuple[Any, ...]] = {}
    for visit_id, provider_id, *columns in await db.execute(
        select(
            Visit.id, CareService.provider_id, Visit.status, Visit.framework_version_id, Visit.scheduled_for
        )
        .join(CareService, CareService.id == Visit.service_id)
        .where(Visit.status.in_(tested_rule.SCORES_LOCKED_OR_LATER))
    ):
        provider_of[visit_id], visit_columns[visit_id] = provider_id, tuple(columns)
    periods = dict((await db.execute(select(SelfAssessment.id, SelfAssessment.period_label))).all())
    locked = list(provider_of)
    tested = await tested_rule.tested_assessment_ids(db, locked)
    found: Summary = {}
    for visit_id in locked:
        officer = dict(
            (
                await db.execute(
                    select(VisitScore.statement_id, VisitScore.score).where(VisitScore.visit_id == visit_id)
                )
            ).all()
        )
        own = dict(
            (
                await db.execute(
                    select(SelfAssessmentAnswer.statement_id, SelfAssessmentAnswer.score).where(
                        SelfAssessmentAnswer.assessment_id == tested[visit_id]
                    )
                )
            ).all()
        )
        pairs = [
            (own[statement], officer[statement])
            for statement in officer
            if own.get(statement) is not None and officer[statement] is not None
        ]
        found[visit_id] = (
            tested[visit_id],
            len(pairs),
            sum(first - second for first, second in pairs),
            sum(first > second for first, second in pairs),
            dict(Counter(pairs)),
            provider_of[visit_id],
            (*visit_columns[visit_id], periods.get(tested[visit_id])),
        )
    return found


async def test_summaries_equal_the_computation_from_scratch_through_a_cycles_history(
    db: AsyncSession, world: factories.World, settings: Settings
) -> None:
    alpha, beta = world.alpha, world.beta
    await full_cycle(
        db, settings, service=alpha, provider_user=world.manager_1, officer=world.officer_a,
        period="2024/25", on=days_ago(330), self_score=4, officer_score=2, with_plan=False,
    )  # fmt: skip
    await full_cycle(
        db, settings, service=alpha, provider_user=world.manager_1, officer=world.officer_a,
        period="2025/26", on=days_ago(200), self_score=3, officer_score=3, with_plan=False,
    )  # fmt: skip
    assert len(await kept(db)) == 2
    assert await kept(db) == await from_scratch(db)

    # Beta: submitted, a visit's scores locked, then the self-assessment sent back: the locked
    # visit no longer tests it (nothing submitted is left).
    assessment = await submitted(db, settings, world.manager_2, beta, "2026/27", 2)
    visit = await locked_visit(db, settings, world.officer_a2, beta, days_ago(100), 3)
    assert (await kept(db))[visit.id][0] == assessment.id
    await SelfAssessments(db, world.officer_a2, settings).return_for_information(
        assessment, beta, "More, please."
    )
    assert (await kept(db))[visit.id][0] is None
    assert await kept(db) == await from_scratch(db)

    # A factual accuracy point accepted with a new score changes what the summary counts.
    shared = await shared_visit(db, settings, world.officer_a, alpha, days_ago(50), 2)
    assert (await kept(db))[shared.id][6][0] == VisitStatus.DRAFT_SHARED, "sharing rebuilds the status"
    assert await kept(db) == await from_scratch(db)
    scores = await Visits(db, world.officer_a, settings).scores(shared)
    statement_id = next(iter(scores))
    point = await Visits(db, world.manager_1, settings).raise_point(
        shared, statement_id=statement_id, text="Wrong."
    )
    before = (await kept(db))[shared.id]
    await Visits(db, world.officer_a, settings).accept_point(
        shared, point.id, response="Agreed.", new_score=4
    )
    assert (await kept(db))[shared.id] != before
    assert await kept(db) == await from_scratch(db)

    # A visit cancelled after its scores were locked has no summary any more.
    cancelled = await locked_visit(db, settings, world.officer_a2, beta, days_ago(20), 1)
    assert cancelled.id in await kept(db)
    await Visits(db, world.officer_a2, settings).cancel(cancelled, "Booked twice.")
    assert cancelled.id not in await kept(db)
    assert await kept(db) == await from_scratch(db)

    # The service moves to another provider (the regulator's records say so, or the council's form
    # or import): its summaries follow, so the new provider's accuracy page counts them and the old
    # one's no longer does.
    alpha.provider_id = world.provider_2.id
    await service_moved.announce(db, alpha)
    await db.commit()
    moved = await db.scalars(
        select(VisitComparison.provider_id).where(VisitComparison.service_id == alpha.id)
    )
    assert set(moved) == {world.provider_2.id}
    assert await kept(db) == await from_scratch(db)
