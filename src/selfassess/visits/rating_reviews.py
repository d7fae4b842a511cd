"""Ratings already published, under the corrected way of reaching the overall rating.

`recompute_published_ratings` (the `selfassess recompute-ratings` command) rates every published
visit again by its framework's method. Where the overall rating comes out differently, the public
page does not change by itself: the visit is listed for its council's admins, who review it and
republish. Both steps are in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import User
from selfassess.db import utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.frameworks.service import FrameworkSummary, LoadedFramework, load_framework
from selfassess.providers.models import CareService
from selfassess.visits.models import RatingCorrection, Visit, VisitEvent, VisitScore, VisitStatus
from selfassess.visits.publication import published_changed
from selfassess.visits.service import breach_kinds, keep_published_ratings


@dataclass(frozen=True)
class RecomputeReport:
    checked: int
    listed: int
    reasons_updated: int


async def _rate_again(
    db: AsyncSession, visits: list[Visit]
) -> dict[int, tuple[LoadedFramework, FrameworkSummary]]:
    """Each visit's framework and ratings now, from its scores and breaches (two queries for all)."""
    ids = [visit.id for visit in visits]
    scores: dict[int, dict[int, int | None]] = defaultdict(dict)
    for visit_id, statement_id, score in await db.execute(
        select(VisitScore.visit_id, VisitScore.statement_id, VisitScore.score).where(
            VisitScore.visit_id.in_(ids)
        )
    ):
        scores[visit_id][statement_id] = score
    breaches = await breach_kinds(db, ids)
    rated = {}
    for visit in visits:
        framework = await load_framework(db, visit.framework_version_id)
        rated[visit.id] = (framework, framework.summarise(scores[visit.id], breaches[visit.id]))
    return rated


async def recompute_published_ratings(db: AsyncSession, *, batch: int = 500) -> RecomputeReport:
    """List each published visit whose overall rating the framework's method now gives differently;
    give those it rates the same their current reason. Safe to run again: a visit is listed once."""
    checked = listed = reasons_updated = 0
    after = 0
    while True:
        rows = (
            await db.execute(
                select(Visit, CareService.council_id)
                .join(CareService, CareService.id == Visit.service_id)
                .where(Visit.status == VisitStatus.PUBLISHED, Visit.id > after)
                .order_by(Visit.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        visits = [visit for visit, _ in rows]
        council_of = {visit.id: council_id for visit, council_id in rows}
        after = visits[-1].id
        rated = await _rate_again(db, visits)
        corrections = {
            correction.visit_id: correction
            for correction in await db.scalars(
                select(RatingCorrection).where(RatingCorrection.visit_id.in_(list(rated)))
            )
        }
        for visit in visits:
            checked += 1
            overall = rated[visit.id][1].overall
            if overall is None:
                continue
            correction = corrections.get(visit.id)
            if overall.band.key == visit.rating_key:
                if visit.rating_reason != overall.reason:
                    visit.rating_reason = overall.reason
                    reasons_updated += 1
                if correction is not None and correction.republished_at is None:
                    await db.delete(correction)  # nothing left to review
                continue
            if (
                correction is not None
                and correction.republished_at is None
                and correction.corrected_key == overall.band.key
            ):
                continue  # already listed
            if correction is None:
                correction = RatingCorrection(
                    visit_id=visit.id, corrected_key="", corrected_label="", corrected_reason=""
                )
                db.add(correction)
            correction.published_key, correction.published_label = visit.rating_key, visit.rating_label
            correction.corrected_key, correction.corrected_label = overall.band.key, overall.band.label
            correction.corrected_reason, correction.found_at = overall.reason, utcnow()
            correction.republished_at = correction.republished_by_id = None
            record_audit(
                db,
                "rating.correction_listed",
                organisation_id=council_of[visit.id],
                subject=f"visit:{visit.id}",
                detail=f"{visit.rating_label or 'not rated'} -> {overall.band.label}: {overall.reason}",
            )
            listed += 1
        await db.commit()
    return RecomputeReport(checked=checked, listed=listed, reasons_updated=reasons_updated)


@dataclass(frozen=True)
class CorrectionRow:
    correction: RatingCorrection
    visit: Visit
    service: CareService


class RatingReviews:
    """A council admin's list of published ratings to review, and republishing one."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer

    @property
    def council_id(self) -> int:
        if not self.viewer.is_council_admin:
            raise Forbidden("Published ratings are reviewed by council admins.")
        return self.viewer.organisation_id

    def _rows(self):  # type: ignore[no-untyped-def]
        return (
            select(RatingCorrection, Visit, CareService)
            .join(Visit, Visit.id == RatingCorrection.visit_id)
            .join(CareService, CareService.id == Visit.service_id)
            .where(CareService.council_id == self.council_id)
        )

    async def pending(self) -> list[CorrectionRow]:
        rows = await self.db.execute(
            self._rows()
            .where(RatingCorrection.republished_at.is_(None))
            .order_by(CareService.name, Visit.published_at)
        )
        return [CorrectionRow(*row) for row in rows]

    async def get(self, correction_id: int) -> CorrectionRow:
        """A rating to review in the admin's council area (NotFound otherwise)."""
        row = (await self.db.execute(self._rows().where(RatingCorrection.id == correction_id))).first()
        if row is None:
            raise NotFound("rating to review")
        return CorrectionRow(*row)

    async def republish(self, row: CorrectionRow) -> None:
        """The visit's published ratings become the corrected ones, now, on every page."""
        correction, visit, service = row.correction, row.visit, row.service
        if correction.republished_at is not None:
            raise Invalid("This rating has already been republished.")
        framework, summary = (await _rate_again(self.db, [visit]))[visit.id]
        before = visit.rating_label or "not rated"
        keep_published_ratings(visit, framework, summary)
        visit.updated_at = utcnow()
        correction.republished_at, correction.republished_by_id = utcnow(), self.viewer.id
        await published_changed(self.db, service.council_id)
        detail = f"{before} -> {visit.rating_label}: {visit.rating_reason}"
        self.db.add(
            VisitEvent(visit_id=visit.id, actor_id=self.viewer.id, event="rating_republished", detail=detail)
        )
        record_audit(
            self.db, "rating.republished", actor=self.viewer, subject=f"visit:{visit.id}", detail=detail
        )
        await self.db.commit()
