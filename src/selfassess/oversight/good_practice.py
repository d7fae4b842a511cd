"""Good practice: officers offer findings from published reports, the provider agrees (named or
anonymously) or not, and providers in the council's area browse what is shared, by statement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.models import Organisation, User
from selfassess.db import utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.frameworks.models import FrameworkVersion, QualityStatement
from selfassess.notifications.recipients import provider_staff
from selfassess.notifications.service import notify
from selfassess.oversight.models import Consent, GoodPractice
from selfassess.oversight.practice import SHARED, may_mark, shown_as
from selfassess.providers.models import CareService, CouncilProvider, LinkStatus
from selfassess.settings import Settings
from selfassess.visits.models import Visit, VisitScore, VisitStatus
from selfassess.visits.service import Visits


@dataclass(frozen=True)
class Finding:
    """A statement of a published report, its score and findings, and any offer to share it."""

    statement: QualityStatement
    score: VisitScore
    markable: bool
    practice: GoodPractice | None


@dataclass(frozen=True)
class SharedPractice:
    practice: GoodPractice
    statement_code: str
    statement_title: str
    credited_to: str


class GoodPractices:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings
        self.visits = Visits(db, viewer, settings)

    async def published_report(self, visit_id: int) -> tuple[Visit, CareService]:
        """A published visit report and its service, when the viewer may see them (NotFound otherwise)."""
        visit, service = await self.visits.get(visit_id)
        if visit.status is not VisitStatus.PUBLISHED:
            raise NotFound("visit")
        return visit, service

    async def findings(self, visit: Visit) -> list[Finding]:
        """The statements of a report from ``published_report`` as the viewer may see them (the
        provider: only those offered as good practice)."""
        good_value = await self.db.scalar(
            select(FrameworkVersion.good_value).where(FrameworkVersion.id == visit.framework_version_id)
        )
        rows = await self.db.execute(
            select(QualityStatement, VisitScore, GoodPractice)
            .join(VisitScore, VisitScore.statement_id == QualityStatement.id)
            .outerjoin(
                GoodPractice,
                (GoodPractice.visit_id == VisitScore.visit_id)
                & (GoodPractice.statement_id == QualityStatement.id),
            )
            .where(VisitScore.visit_id == visit.id)
            .order_by(QualityStatement.id)
        )
        findings = [
            Finding(statement, score, may_mark(score.score, good_value or 0, True), practice)
            for statement, score, practice in rows
        ]
        if self.viewer.is_provider:
            findings = [finding for finding in findings if finding.practice is not None]
        return findings

    async def mark(self, visit: Visit, service: CareService, statement_id: int, summary: str) -> GoodPractice:
        """Offers a finding of a report from ``published_report``; the provider is asked to agree."""
        if not self.viewer.is_council_staff:
            raise Forbidden("Good practice is marked by council staff.")
        findings = await self.findings(visit)
        finding = next((f for f in findings if f.statement.id == statement_id), None)
        if finding is None or not finding.markable:
            raise Invalid("Choose a statement scored good or better in this report.")
        if finding.practice is not None:
            raise Invalid("That finding is already marked as good practice.")
        if not summary.strip():
            raise Invalid("Describe the practice to share.")
        practice = GoodPractice(
            council_id=service.council_id,
            service_id=service.id,
            visit_id=visit.id,
            statement_id=statement_id,
            summary=summary.strip(),
            marked_by_id=self.viewer.id,
        )
        self.db.add(practice)
        await self.db.flush()
        await notify(
            self.db,
            recipients=await provider_staff(self.db, service),
            message=f"The council would like to share good practice from {service.name}: do you agree?",
            link=f"/visits/{visit.id}/good-practice",
            dedupe_key=f"good_practice:{practice.id}:asked",
            settings=self.settings,
        )
        await self.db.commit()
        return practice

    async def answer(self, visit: Visit, practice_id: int, consent: Consent) -> GoodPractice:
        """The provider agrees to share, named or anonymously, or declines (and may change its mind)."""
        if not self.viewer.is_provider:
            raise Forbidden("The provider decides whether to share its practice.")
        if consent is Consent.PENDING:
            raise Invalid("Choose whether to share this practice.")
        findings = await self.findings(visit)
        practice = next((f.practice for f in findings if f.practice and f.practice.id == practice_id), None)
        if practice is None:
            raise NotFound("good practice")
        practice.consent, practice.consent_by_id, practice.consent_at = consent, self.viewer.id, utcnow()
        await self.db.commit()
        return practice

    def _visible_shared(self):  # type: ignore[no-untyped-def]
        """Shared practice in the viewer's council area, or in any council area the provider works in."""
        if self.viewer.is_provider:
            councils = select(CouncilProvider.council_id).where(
                CouncilProvider.provider_id == self.viewer.organisation_id,
                CouncilProvider.status == LinkStatus.ACCEPTED,
            )
            in_area = GoodPractice.council_id.in_(councils)
        else:
            in_area = GoodPractice.council_id == self.viewer.organisation_id
        return in_area & GoodPractice.consent.in_(SHARED)

    async def shared(self, statement_code: str = "") -> list[SharedPractice]:
        statement = (
            select(
                GoodPractice, QualityStatement.code, QualityStatement.title, CareService, Organisation.name
            )
            .join(QualityStatement, QualityStatement.id == GoodPractice.statement_id)
            .join(CareService, CareService.id == GoodPractice.service_id)
            .join(Organisation, Organisation.id == CareService.provider_id)
            .where(self._visible_shared())
            .order_by(QualityStatement.code, GoodPractice.marked_at.desc())
            .limit(200)
        )
        if statement_code:
            statement = statement.where(QualityStatement.code == statement_code)
        return [
            SharedPractice(
                practice,
                code,
                title,
                shown_as(practice.consent, service.name, provider, service.service_type.label),
            )
            for practice, code, title, service, provider in await self.db.execute(statement)
        ]

    async def statements_shared(self) -> list[tuple[str, str]]:
        """(code, title) of statements with shared practice, for the filter."""
        rows = await self.db.execute(
            select(QualityStatement.code, QualityStatement.title)
            .join(GoodPractice, GoodPractice.statement_id == QualityStatement.id)
            .where(self._visible_shared())
            .distinct()
            .order_by(QualityStatement.code)
        )
        return [(code, title) for code, title in rows]
