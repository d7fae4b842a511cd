"""Self-assessments as one viewer may see and change them.

Providers draft, autosave, add evidence and submit; council staff read submitted assessments,
return them for more information or mark them reviewed. Every read is scoped through
`CareServices`, so an assessment of another organisation's service is simply not found.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    select,
    table,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from selfassess import clock
from selfassess.accounts.models import User
from selfassess.assessments.hooks import submissions_changed
from selfassess.assessments.models import (
    AssessmentEvent,
    AssessmentStatus,
    EvidenceItem,
    EvidenceKind,
    SelfAssessment,
    SelfAssessmentAnswer,
)
from selfassess.assessments.rules import (
    AssessmentCommand,
    assessment_commands,
    assessment_refusal,
    refused_for_the_person,
)
from selfassess.attachments.models import StoredFile
from selfassess.attachments.service import file_content, store_file
from selfassess.db import Page, save_built, save_statement, utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.frameworks.models import QualityStatement
from selfassess.frameworks.score_sheet import (
    SheetConflict,
    SheetIncomplete,
    SheetProgress,
    SheetSave,
    check_entry,
    unscored,
)
from selfassess.frameworks.service import LoadedFramework, StatementView, council_settings, load_framework
from selfassess.notifications.recipients import council_contacts, provider_staff
from selfassess.notifications.service import notify
from selfassess.providers.levels import SupportLevel
from selfassess.providers.models import CareService
from selfassess.providers.service import CareServices
from selfassess.providers.support_levels import with_support_level
from selfassess.settings import Settings

# The autosave's two UPDATEs, built once (with their SQL cache keys) rather than on every keystroke's
# save: the answer, if still at the version the page loaded ("carried over, unchanged" decided by
# the UPDATE itself), and its assessment touched, returning how many statements are scored.
_ANSWER = SelfAssessmentAnswer
_UNCHANGED = and_(  # the save's own values, bound by ``save_statement``
    _ANSWER.score.is_not_distinct_from(bindparam("new_score")),
    _ANSWER.narrative == bindparam("new_narrative"),
    _ANSWER.improvement_plan == bindparam("new_improvement_plan"),
)
_SAVE_ANSWER = save_statement(
    _ANSWER,
    ("id", "assessment_id"),
    ("score", "narrative", "improvement_plan", "updated_at", "updated_by_id"),
    carried_over=and_(_ANSWER.carried_over, _UNCHANGED),
)
_TOUCH_COUNTING_SCORED = (
    update(SelfAssessment)
    .where(SelfAssessment.id == bindparam("of_assessment"))
    .values(updated_at=bindparam("now"))
    .returning(
        select(func.count(_ANSWER.score))
        .where(_ANSWER.assessment_id == bindparam("of_assessment"))
        .scalar_subquery()
    )
)

# The visits' comparison summaries (``visits.comparison_models.VisitComparison``), named rather than
# imported: the visits slice comes after this one (README, "Slice order").
_VISIT_COMPARISON = table("visit_comparison", column("assessment_id", Integer))


def tested_by_a_locked_visit(assessment_id: Any) -> ColumnElement[bool]:
    """Blind scoring ends for a self-assessment once a visit testing it has its scores locked. The
    visits' comparison summaries say it from an index: they exist exactly for the visits with
    locked scores, and name the self-assessment each tests (``visits.tested``)."""
    return exists().where(_VISIT_COMPARISON.c.assessment_id == assessment_id)


def current_period(today: date) -> str:
    """The council year (April to March) the assessment covers, e.g. 2026/27."""
    start = today.year if today.month >= 4 else today.year - 1
    return f"{start}/{str(start + 1)[-2:]}"


# Aliased once, not per request: an alias copies every column of its table each time one is made.
_ADDER = aliased(User)


@dataclass(frozen=True)
class AssessmentRow:
    assessment: SelfAssessment
    service: CareService
    scored: int
    total: int
    support_level: SupportLevel | None = None  # the provider's level above routine, in the reviews list


@dataclass(frozen=True)
class EvidenceRow:
    item: EvidenceItem
    filename: str | None
    size: int | None
    added_by: str


@dataclass(frozen=True)
class HistoryRow:
    event: AssessmentEvent
    actor: str


class AnswerConflict(SheetConflict[SelfAssessmentAnswer]):
    """The score sheet's conflict, for a self-assessment answer."""


class Incomplete(SheetIncomplete):
    """The score sheet's unfinished answer, for a self-assessment that cannot be submitted yet."""


class SelfAssessments:
    def __init__(self, db: AsyncSession, viewer: User, settings: Settings) -> None:
        self.db = db
        self.viewer = viewer
        self.settings = settings
        self.services = CareServices(db, viewer)

    # --- reads -------------------------------------------------------------------------------

    def _with_progress(self):  # type: ignore[no-untyped-def]
        scored = func.count(SelfAssessmentAnswer.score)
        total = func.count(SelfAssessmentAnswer.id)
        return (
            select(SelfAssessment, CareService, scored, total)
            .join(CareService, CareService.id == SelfAssessment.service_id)
            .join(SelfAssessmentAnswer, SelfAssessmentAnswer.assessment_id == SelfAssessment.id)
            .group_by(SelfAssessment.id, CareService.id)
        )

    def _visible_statuses(self):  # type: ignore[no-untyped-def]
        """Council staff see what a provider has submitted, never a provider's working draft."""
        if self.viewer.is_provider:
            return SelfAssessment.status.is_not(None)
        return SelfAssessment.status != AssessmentStatus.DRAFT

    def listing(self) -> Select:  # type: ignore[type-arg]
        """Every assessment the viewer may read (for the API's lists)."""
        return self.services.scope(
            select(SelfAssessment)
            .join(CareService, CareService.id == SelfAssessment.service_id)
            .where(self._visible_statuses())
        )

    async def for_service(self, service: CareService) -> list[AssessmentRow]:
        rows = await self.db.execute(
            self._with_progress()
            .where(SelfAssessment.service_id == service.id, self._visible_statuses())
            .order_by(SelfAssessment.created_at.desc())
        )
        return [AssessmentRow(*row) for row in rows]

    async def get(self, assessment_id: int) -> tuple[SelfAssessment, CareService]:
        row = (
            await self.db.execute(
                self.services.scope(
                    select(SelfAssessment, CareService)
                    .join(CareService, CareService.id == SelfAssessment.service_id)
                    .where(SelfAssessment.id == assessment_id, self._visible_statuses())
                )
            )
        ).first()
        if row is None:
            raise NotFound("self-assessment")
        return row[0], row[1]

    async def framework(self, assessment: SelfAssessment) -> LoadedFramework:
        return await load_framework(self.db, assessment.framework_version_id)

    async def answers(
        self, assessment: SelfAssessment, statement_ids: Collection[int] | None = None
    ) -> dict[int, SelfAssessmentAnswer]:
        """Answers by statement id (all, or those of ``statement_ids``: a page of one key question
        reads its few, not the whole framework's)."""
        statement = select(SelfAssessmentAnswer).where(SelfAssessmentAnswer.assessment_id == assessment.id)
        if statement_ids is not None:
            statement = statement.where(SelfAssessmentAnswer.statement_id.in_(statement_ids))
        return {answer.statement_id: answer for answer in await self.db.scalars(statement)}

    async def answer(self, assessment: SelfAssessment, answer_id: int) -> SelfAssessmentAnswer:
        answer = await self.db.scalar(
            select(SelfAssessmentAnswer)
            .where(SelfAssessmentAnswer.id == answer_id, SelfAssessmentAnswer.assessment_id == assessment.id)
            .execution_options(populate_existing=True)  # always what is stored now, for conflict checks
        )
        if answer is None:
            raise NotFound("statement")
        return answer

    async def evidence(
        self,
        assessment: SelfAssessment,
        answer_id: int | None = None,
        statement_ids: Collection[int] | None = None,
    ) -> dict[int, list[EvidenceRow]]:
        """Evidence by answer id (all answers, one, or those of ``statement_ids``)."""
        adder = _ADDER
        statement = (
            select(EvidenceItem, StoredFile.filename, StoredFile.size, adder.full_name)
            .join(SelfAssessmentAnswer, SelfAssessmentAnswer.id == EvidenceItem.answer_id)
            .join(adder, adder.id == EvidenceItem.added_by_id)
            .outerjoin(StoredFile, StoredFile.id == EvidenceItem.file_id)
            .where(SelfAssessmentAnswer.assessment_id == assessment.id)
            .order_by(EvidenceItem.added_at, EvidenceItem.id)
        )
        if answer_id is not None:
            statement = statement.where(EvidenceItem.answer_id == answer_id)
        if statement_ids is not None:
            statement = statement.where(SelfAssessmentAnswer.statement_id.in_(statement_ids))
        grouped: dict[int, list[EvidenceRow]] = {}
        for item, filename, size, added_by in await self.db.execute(statement):
            grouped.setdefault(item.answer_id, []).append(EvidenceRow(item, filename, size, added_by))
        return grouped

    async def saved_by_names(self, answers: list[SelfAssessmentAnswer]) -> dict[int, str]:
        ids = {answer.updated_by_id for answer in answers if answer.updated_by_id}
        if not ids:
            return {}
        return dict((await self.db.execute(select(User.id, User.full_name).where(User.id.in_(ids)))).all())

    async def history(self, assessment: SelfAssessment) -> list[HistoryRow]:
        rows = await self.db.execute(
            select(AssessmentEvent, User.full_name)
            .join(User, User.id == AssessmentEvent.actor_id)
            .where(AssessmentEvent.assessment_id == assessment.id)
            .order_by(AssessmentEvent.occurred_at, AssessmentEvent.id)
        )
        return [HistoryRow(event, name) for event, name in rows]

    async def self_scores_visible(self, assessment: SelfAssessment, service: CareService) -> bool:
        """Blind scoring: council staff see a provider's own scores only once a visit that tests
        this assessment has its scores locked, so the officer's judgement is not anchored.
        A council may switch blind scoring off."""
        if self.viewer.is_provider:
            return True
        if not (await council_settings(self.db, service.council_id)).blind_scoring:
            return True
        return bool(await self.db.scalar(select(tested_by_a_locked_visit(assessment.id))))

    def _of_the_area(self) -> ColumnElement[bool]:
        """Beside ``scope``: PostgreSQL starts from the council's services, not from every submitted
        self-assessment in the country (a cost that grew with the country, not the council)."""
        return self.services.includes(SelfAssessment.service_id)

    async def awaiting_review_total(self) -> int:
        """How many are waiting for review: the length of ``awaiting_review``'s list, without
        counting each one's answers (the home page shows only this number)."""
        if not self.viewer.is_council_staff:
            raise Forbidden("Reviews are for council staff.")
        return (
            await self.db.scalar(
                self.services.scope(
                    select(func.count(SelfAssessment.id))
                    .join(CareService, CareService.id == SelfAssessment.service_id)
                    .where(SelfAssessment.status == AssessmentStatus.SUBMITTED, self._of_the_area())
                )
            )
            or 0
        )

    async def awaiting_review(self, *, number: int = 1, size: int = 25) -> Page[AssessmentRow]:
        """Submitted assessments in the council's area, those of the officer's own services first."""
        if not self.viewer.is_council_staff:
            raise Forbidden("Reviews are for council staff.")
        # The page's assessments are picked first; only their answers are then counted (counting
        # every submitted assessment's answers before taking 25 read the whole council's).
        statement = self.services.scope(
            with_support_level(
                select(SelfAssessment, CareService).join(
                    CareService, CareService.id == SelfAssessment.service_id
                ),
                self.viewer,
            ).where(SelfAssessment.status == AssessmentStatus.SUBMITTED, self._of_the_area())
        )
        total = await self.awaiting_review_total()
        mine_first = case((CareService.assigned_officer_id == self.viewer.id, 0), else_=1)
        rows = (
            await self.db.execute(
                statement.order_by(mine_first, SelfAssessment.submitted_at, SelfAssessment.id)
                .limit(size)
                .offset((max(1, number) - 1) * size)
            )
        ).all()
        progress = await self.progress([assessment.id for assessment, _, _ in rows])
        return Page(
            [
                AssessmentRow(assessment, service, *progress.get(assessment.id, (0, 0)), level)
                for assessment, service, level in rows
            ],
            total=total,
            number=max(1, number),
            size=size,
        )

    async def progress(self, assessment_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Statements scored and statements in all, per self-assessment, counted in SQL."""
        if not assessment_ids:
            return {}
        rows = await self.db.execute(
            select(
                SelfAssessmentAnswer.assessment_id,
                func.count(SelfAssessmentAnswer.score),
                func.count(SelfAssessmentAnswer.id),
            )
            .where(SelfAssessmentAnswer.assessment_id.in_(assessment_ids))
            .group_by(SelfAssessmentAnswer.assessment_id)
        )
        return {assessment_id: (scored, total) for assessment_id, scored, total in rows}

    # --- writes: provider ---------------------------------------------------------------------------

    def _require_provider(self) -> None:
        if not self.viewer.is_provider:
            raise Forbidden("Only the provider's own staff can fill in a self-assessment.")

    def commands(self, assessment: SelfAssessment) -> frozenset[AssessmentCommand]:
        return assessment_commands(assessment.status, provider=self.viewer.is_provider)

    def _require(self, command: AssessmentCommand, assessment: SelfAssessment) -> None:
        """Refuse what the rulebook does not allow: the same answer the page was given."""
        if command in self.commands(assessment):
            return
        provider = self.viewer.is_provider
        message = assessment_refusal(command, assessment.status, provider=provider)
        if refused_for_the_person(command, provider=provider):
            raise Forbidden(message)
        raise Invalid(message)

    def _require_editable(self, assessment: SelfAssessment) -> None:
        self._require(AssessmentCommand.EDIT, assessment)

    async def last_submitted(self, service: CareService) -> SelfAssessment | None:
        """The service's most recent self-assessment submitted to the council (reviewed or not): what
        a new one may start from."""
        return await self.db.scalar(
            select(SelfAssessment)
            .where(
                SelfAssessment.service_id == service.id,
                SelfAssessment.status.in_([s for s in AssessmentStatus if s.is_submitted]),
            )
            .order_by(SelfAssessment.submitted_at.desc(), SelfAssessment.id.desc())
            .limit(1)
        )

    async def start(
        self,
        service: CareService,
        period_label: str | None = None,
        *,
        framework_version_id: int | None = None,
        carry_over: bool = False,
    ) -> SelfAssessment:
        """A new draft against the council's current framework (or the version given, a round's),
        with an answer per statement: empty, or with ``carry_over`` the last submitted one's answer
        and evidence for the statement with the same code, marked as carried over."""
        self._require_provider()
        open_one = await self.db.scalar(
            select(SelfAssessment.id).where(
                SelfAssessment.service_id == service.id,
                SelfAssessment.status.in_([AssessmentStatus.DRAFT, AssessmentStatus.RETURNED]),
            )
        )
        if open_one is not None:
            raise Invalid("This service already has a self-assessment in progress. Carry on with that one.")
        period_label = (period_label or current_period(clock.today())).strip()[:40]
        same_period = await self.db.scalar(
            select(SelfAssessment.id).where(
                SelfAssessment.service_id == service.id, SelfAssessment.period_label == period_label
            )
        )
        if same_period is not None:
            raise Invalid(f"There is already a self-assessment for {period_label}. Choose another period.")
        version_id = (
            framework_version_id or (await council_settings(self.db, service.council_id)).framework_version_id
        )
        if version_id is None:
            raise Invalid("The council has not chosen a framework yet. Ask your council's quality team.")
        framework = await load_framework(self.db, version_id)
        assessment = SelfAssessment(
            service_id=service.id,
            framework_version_id=version_id,
            period_label=period_label,
            started_by_id=self.viewer.id,
        )
        self.db.add(assessment)
        await self.db.flush()
        self.db.add_all(
            SelfAssessmentAnswer(assessment_id=assessment.id, statement_id=statement.id)
            for statement in framework.statements
        )
        previous = await self.last_submitted(service) if carry_over else None
        if previous is not None:
            await self._carry_over(previous, assessment)
        comment = f"Started from the {previous.period_label} self-assessment" if previous else "Started"
        self._event(assessment, None, AssessmentStatus.DRAFT, comment)
        await self.db.commit()
        return assessment

    async def _carry_over(self, previous: SelfAssessment, assessment: SelfAssessment) -> None:
        """Answers and evidence go across by statement code, so a new framework version keeps what
        still applies. Files are shared, not copied: evidence rows point at the same stored file."""
        await self.db.flush()
        old, new = aliased(SelfAssessmentAnswer), aliased(SelfAssessmentAnswer)
        old_statement, new_statement = aliased(QualityStatement), aliased(QualityStatement)
        pairs = (
            select(old, new.id)
            .join(old_statement, old_statement.id == old.statement_id)
            .join(new_statement, new_statement.code == old_statement.code)
            .join(new, (new.statement_id == new_statement.id) & (new.assessment_id == assessment.id))
            .where(old.assessment_id == previous.id)
        )
        new_ids: dict[int, int] = {}
        for answer, new_id in await self.db.execute(pairs):
            new_ids[answer.id] = new_id
            await self.db.execute(
                update(SelfAssessmentAnswer)
                .where(SelfAssessmentAnswer.id == new_id)
                .values(
                    score=answer.score,
                    narrative=answer.narrative,
                    improvement_plan=answer.improvement_plan,
                    carried_over=True,
                    updated_by_id=answer.updated_by_id,
                    updated_at=answer.updated_at,  # "saved on ... by ...": when it was written last year
                    version=1,
                )
                .execution_options(synchronize_session=False)
            )
        items = await self.db.scalars(select(EvidenceItem).where(EvidenceItem.answer_id.in_(new_ids)))
        self.db.add_all(
            EvidenceItem(
                answer_id=new_ids[item.answer_id],
                kind=item.kind,
                category=item.category,
                text=item.text,
                file_id=item.file_id,
                added_by_id=item.added_by_id,
                added_at=item.added_at,
                carried_over=True,
            )
            for item in list(items)
        )

    async def save_answer(
        self,
        assessment: SelfAssessment,
        answer_id: int,
        *,
        expected_version: int,
        score: int | None,
        narrative: str,
        improvement_plan: str,
    ) -> SheetSave[SelfAssessmentAnswer]:
        """One statement, saved only if nobody else saved it since `expected_version` was loaded
        (``_SAVE_ANSWER``, built once)."""
        self._require_editable(assessment)
        framework = await self.framework(assessment)
        check_entry(score, (narrative, improvement_plan), framework.rules.values)
        now = utcnow()
        saved = await save_built(
            self.db,
            _SAVE_ANSWER,
            _ANSWER,
            keys={"id": answer_id, "assessment_id": assessment.id},
            expected_version=expected_version,
            values={
                "score": score,
                "narrative": narrative,
                "improvement_plan": improvement_plan,
                "updated_at": now,
                "updated_by_id": self.viewer.id,
            },
        )
        if saved is None:  # nothing was written, so there is nothing to roll back
            current = await self.answer(assessment, answer_id)  # NotFound if it is not this assessment's
            names = await self.saved_by_names([current])
            raise AnswerConflict(current, names.get(current.updated_by_id or 0))
        # the progress shown after the save, counted as the parent is touched
        scored = await self.db.scalar(_TOUCH_COUNTING_SCORED, {"of_assessment": assessment.id, "now": now})
        await self.db.commit()
        return SheetSave(saved, SheetProgress(scored, framework.statement_count))  # nothing to read again

    async def add_note(
        self, assessment: SelfAssessment, answer_id: int, *, text: str, category: str | None
    ) -> None:
        self._require_editable(assessment)
        answer = await self.answer(assessment, answer_id)
        text = text.strip()
        if not text:
            raise Invalid("Write the evidence before adding it.")
        if len(text) > 2_000:
            raise Invalid("A piece of evidence takes at most 2,000 characters; attach a file for more.")
        await self._check_category(assessment, category)
        self.db.add(
            EvidenceItem(
                answer_id=answer.id,
                kind=EvidenceKind.TEXT,
                text=text,
                category=category,
                added_by_id=self.viewer.id,
            )
        )
        await self.db.commit()

    async def add_file(
        self,
        assessment: SelfAssessment,
        service: CareService,
        answer_id: int,
        *,
        filename: str,
        data: bytes,
        category: str | None,
    ) -> None:
        self._require_editable(assessment)
        answer = await self.answer(assessment, answer_id)
        await self._check_category(assessment, category)
        stored = await store_file(
            self.db,
            filename=filename,
            data=data,
            owner_organisation_id=service.provider_id,
            uploader=self.viewer,
            settings=self.settings,
        )
        self.db.add(
            EvidenceItem(
                answer_id=answer.id,
                kind=EvidenceKind.FILE,
                file_id=stored.id,
                text=stored.filename,
                category=category,
                added_by_id=self.viewer.id,
            )
        )
        await self.db.commit()

    async def _check_category(self, assessment: SelfAssessment, category: str | None) -> None:
        if category is not None:
            codes = {item.code for item in (await self.framework(assessment)).evidence_categories}
            if category not in codes:
                raise Invalid("Choose an evidence category from the list.")

    async def evidence_item(self, assessment: SelfAssessment, item_id: int) -> EvidenceItem:
        item = await self.db.scalar(
            select(EvidenceItem)
            .join(SelfAssessmentAnswer, SelfAssessmentAnswer.id == EvidenceItem.answer_id)
            .where(EvidenceItem.id == item_id, SelfAssessmentAnswer.assessment_id == assessment.id)
        )
        if item is None:
            raise NotFound("evidence")
        return item

    async def remove_evidence(self, assessment: SelfAssessment, item_id: int) -> int:
        """Returns the answer id the evidence belonged to."""
        self._require_editable(assessment)
        item = await self.evidence_item(assessment, item_id)
        await self.db.delete(item)
        await self.db.commit()
        return item.answer_id

    async def evidence_file(self, assessment: SelfAssessment, item_id: int) -> tuple[StoredFile, bytes]:
        item = await self.evidence_item(assessment, item_id)
        if item.file_id is None:
            raise NotFound("file")
        return await file_content(self.db, item.file_id)

    async def missing(self, assessment: SelfAssessment) -> list[tuple[StatementView, int]]:
        """Statements not yet scored, with their answer ids, in framework order."""
        framework = await self.framework(assessment)
        return unscored(framework.statements, await self.answers(assessment))

    async def submit(self, assessment: SelfAssessment, service: CareService) -> None:
        self._require(AssessmentCommand.SUBMIT, assessment)
        if missing := await self.missing(assessment):
            raise Incomplete(missing)
        event = self._move(assessment, AssessmentStatus.SUBMITTED, "")
        assessment.submitted_at, assessment.submitted_by_id = utcnow(), self.viewer.id
        await self._tell(
            await council_contacts(self.db, service),
            event,
            assessment,
            f"{service.name} submitted its self-assessment {assessment.period_label} for review",
            subject=f"Self-assessment submitted: {service.name}",
        )
        await submissions_changed.announce(self.db, service)  # it may be the one a locked visit tests
        await self.db.commit()

    # --- writes: council staff ---------------------------------------------------------------------

    async def return_for_information(
        self, assessment: SelfAssessment, service: CareService, comment: str
    ) -> None:
        self._require(AssessmentCommand.RETURN, assessment)
        comment = comment.strip()
        if not comment:
            raise Invalid("Say what more information the provider should give.")
        event = self._move(assessment, AssessmentStatus.RETURNED, comment[:5000])
        await self._tell(
            await provider_staff(self.db, service),
            event,
            assessment,
            f"The council returned {service.name}'s self-assessment {assessment.period_label} for more "
            f"information: {comment[:200]}",
            subject=f"More information needed: {service.name} self-assessment",
        )
        await submissions_changed.announce(self.db, service)  # no longer tested by any visit
        await self.db.commit()

    async def mark_reviewed(
        self, assessment: SelfAssessment, service: CareService, comment: str = ""
    ) -> None:
        self._require(AssessmentCommand.MARK_REVIEWED, assessment)
        event = self._move(assessment, AssessmentStatus.REVIEWED, comment.strip()[:5000])
        assessment.reviewed_at, assessment.reviewed_by_id = utcnow(), self.viewer.id
        await self._tell(
            await provider_staff(self.db, service),
            event,
            assessment,
            f"The council reviewed {service.name}'s self-assessment {assessment.period_label}",
        )
        await self.db.commit()

    # --- history ----------------------------------------------------------------------------------------

    def _move(self, assessment: SelfAssessment, to: AssessmentStatus, comment: str) -> AssessmentEvent:
        event = self._event(assessment, assessment.status, to, comment)
        assessment.status, assessment.updated_at = to, utcnow()
        return event

    def _event(
        self,
        assessment: SelfAssessment,
        from_status: AssessmentStatus | None,
        to: AssessmentStatus,
        comment: str,
    ) -> AssessmentEvent:
        event = AssessmentEvent(
            assessment_id=assessment.id,
            from_status=from_status,
            to_status=to,
            actor_id=self.viewer.id,
            comment=comment,
        )
        self.db.add(event)
        return event

    async def _tell(
        self,
        recipients: list[User],
        event: AssessmentEvent,
        assessment: SelfAssessment,
        message: str,
        subject: str | None = None,
    ) -> None:
        await self.db.flush()  # the event's id makes each step's notification its own
        await notify(
            self.db,
            recipients=recipients,
            message=message,
            link=f"/assessments/{assessment.id}",
            dedupe_key=f"assessment-event:{event.id}",
            email_subject=subject,
            settings=self.settings,
        )
