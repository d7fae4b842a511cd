"""Frameworks in the database: installing validated files, publishing versions, choosing a
council's framework, and loading a version with everything scoring needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.accounts.audit import record_audit
from selfassess.accounts.models import CouncilSettings, Organisation, OrganisationKind, User
from selfassess.accounts.service import create_organisation
from selfassess.db import utcnow
from selfassess.errors import Forbidden, Invalid, NotFound
from selfassess.frameworks.models import (
    EvidenceCategory,
    Framework,
    FrameworkRatingBand,
    FrameworkScaleLevel,
    FrameworkVersion,
    KeyQuestion,
    QualityStatement,
    VersionStatus,
)
from selfassess.frameworks.scoring import (
    Breach,
    KeyQuestionResult,
    OverallMethod,
    OverallRating,
    RatingBand,
    ScaleLevel,
    ScoringRules,
    overall_rating,
    summarise_key_question,
)
from selfassess.frameworks.spec import FrameworkSpec, load_shipped_frameworks, shipped_framework_path
from selfassess.kept import KeptRecently

DEFAULT_FRAMEWORK_SLUG = "cqc-saf"


# --- loading a version ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleLevelView:
    value: int
    label: str
    description: str


@dataclass(frozen=True)
class CategoryView:
    code: str
    label: str


@dataclass(frozen=True)
class StatementView:
    id: int
    code: str
    title: str
    description: str
    prompts: tuple[str, ...]
    evidence_categories: tuple[str, ...]
    key_question_code: str


@dataclass(frozen=True)
class KeyQuestionView:
    id: int
    code: str
    title: str
    description: str
    statements: tuple[StatementView, ...]


@dataclass(frozen=True)
class LoadedFramework:
    """A framework version as pages and scoring use it: plain, immutable values."""

    version_id: int
    framework_id: int
    slug: str
    name: str
    version: str
    status: VersionStatus
    scale: tuple[ScaleLevelView, ...]
    bands: tuple[RatingBand, ...]
    evidence_categories: tuple[CategoryView, ...]
    key_questions: tuple[KeyQuestionView, ...]
    good_value: int
    overall_method: OverallMethod
    _by_id: dict[int, StatementView] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def rules(self) -> ScoringRules:
        return ScoringRules(
            scale=tuple(ScaleLevel(level.value, level.label) for level in self.scale),
            bands=self.bands,
            good_value=self.good_value,
            overall_method=self.overall_method,
        )

    @property
    def statements(self) -> tuple[StatementView, ...]:
        return tuple(statement for question in self.key_questions for statement in question.statements)

    @property
    def statement_count(self) -> int:
        return len(self._by_id)

    def statement(self, statement_id: int) -> StatementView:
        return self._by_id[statement_id]

    def key_question(self, code: str) -> KeyQuestionView:
        for question in self.key_questions:
            if question.code == code:
                return question
        raise NotFound("key question")

    def label_for(self, value: int | None) -> str:
        return "" if value is None else self.rules.label_for(value)

    def category_label(self, code: str) -> str:
        return next((category.label for category in self.evidence_categories if category.code == code), code)

    @property
    def title(self) -> str:
        return f"{self.name} (version {self.version})"

    def summarise(
        self, scores: Mapping[int, int | None], breaches: Iterable[Breach] = ()
    ) -> FrameworkSummary:
        """Key question percentages and ratings, and the overall rating, from scores by statement id
        (and, for a visit, the kinds of breach the officer recorded)."""
        results = tuple(
            summarise_key_question(
                question.code, [scores.get(statement.id) for statement in question.statements], self.rules
            )
            for question in self.key_questions
        )
        return FrameworkSummary(key_questions=results, overall=overall_rating(results, self.rules, breaches))


@dataclass(frozen=True)
class FrameworkSummary:
    key_questions: tuple[KeyQuestionResult, ...]
    overall: OverallRating | None

    @property
    def scored(self) -> int:
        return sum(result.scored for result in self.key_questions)

    @property
    def total(self) -> int:
        return sum(result.total for result in self.key_questions)

    def for_key_question(self, code: str) -> KeyQuestionResult:
        return next(result for result in self.key_questions if result.code == code)


# Published versions never change, so each worker may keep them; drafts are always read afresh.
_published_cache: KeptRecently[int, LoadedFramework] = KeptRecently(32)


async def load_framework(db: AsyncSession, version_id: int) -> LoadedFramework:
    cached = _published_cache.get(version_id)
    if cached is not None:
        return cached
    row = (
        await db.execute(
            select(FrameworkVersion, Framework)
            .join(Framework, Framework.id == FrameworkVersion.framework_id)
            .where(FrameworkVersion.id == version_id)
        )
    ).first()
    if row is None:
        raise NotFound("framework version")
    version, framework = row
    scale = tuple(
        ScaleLevelView(level.value, level.label, level.description)
        for level in await db.scalars(
            select(FrameworkScaleLevel)
            .where(FrameworkScaleLevel.version_id == version_id)
            .order_by(FrameworkScaleLevel.value)
        )
    )
    bands = tuple(
        RatingBand(band.key, band.label, band.min_percent)
        for band in await db.scalars(
            select(FrameworkRatingBand)
            .where(FrameworkRatingBand.version_id == version_id)
            .order_by(FrameworkRatingBand.min_percent)
        )
    )
    categories = tuple(
        CategoryView(category.code, category.label)
        for category in await db.scalars(
            select(EvidenceCategory)
            .where(EvidenceCategory.version_id == version_id)
            .order_by(EvidenceCategory.id)
        )
    )
    questions = list(
        await db.scalars(
            select(KeyQuestion).where(KeyQuestion.version_id == version_id).order_by(KeyQuestion.position)
        )
    )
    statements = list(
        await db.scalars(
            select(QualityStatement)
            .where(QualityStatement.version_id == version_id)
            .order_by(QualityStatement.position)
        )
    )
    code_by_question = {question.id: question.code for question in questions}
    views = [
        StatementView(
            id=statement.id,
            code=statement.code,
            title=statement.title,
            description=statement.description,
            prompts=tuple(statement.prompts),
            evidence_categories=tuple(statement.evidence_categories),
            key_question_code=code_by_question[statement.key_question_id],
        )
        for statement in statements
    ]
    loaded = LoadedFramework(
        version_id=version.id,
        framework_id=framework.id,
        slug=framework.slug,
        name=framework.name,
        version=version.version,
        status=version.status,
        scale=scale,
        bands=bands,
        evidence_categories=categories,
        key_questions=tuple(
            KeyQuestionView(
                id=question.id,
                code=question.code,
                title=question.title,
                description=question.description,
                statements=tuple(view for view in views if view.key_question_code == question.code),
            )
            for question in questions
        ),
        good_value=version.good_value,
        overall_method=OverallMethod(version.overall_method),
        _by_id={view.id: view for view in views},
    )
    if version.status is VersionStatus.PUBLISHED:
        _published_cache.keep(version_id, loaded)
    return loaded


# --- installing -----------------------------------------------------------------------------------


async def install_framework(
    db: AsyncSession,
    spec: FrameworkSpec,
    *,
    source_yaml: str,
    owner_council_id: int | None,
    imported_by: User | None = None,
    publish: bool = False,
) -> FrameworkVersion:
    """Create the framework (first time) and this version. A draft of the same version is
    replaced; a published version never is. Does not commit."""
    framework = await db.scalar(select(Framework).where(Framework.slug == spec.slug))
    if framework is None:
        framework = Framework(
            slug=spec.slug,
            name=spec.name,
            description=spec.description or None,
            owner_council_id=owner_council_id,
        )
        db.add(framework)
        await db.flush()
    elif framework.owner_council_id != owner_council_id:
        raise Invalid(
            f'The identifier (slug) "{spec.slug}" belongs to another framework. '
            "Give your framework its own slug."
        )
    else:
        framework.name, framework.description, framework.updated_at = (
            spec.name,
            spec.description or None,
            utcnow(),
        )

    existing = await db.scalar(
        select(FrameworkVersion).where(
            FrameworkVersion.framework_id == framework.id, FrameworkVersion.version == spec.version
        )
    )
    if existing is not None and existing.status is VersionStatus.PUBLISHED:
        raise Invalid(
            f"Version {spec.version} of {spec.name} is published and cannot change. "
            "Give the file a new version number to draft the next version."
        )
    if existing is not None:
        await _delete_version_content(db, existing.id)
        version = existing
        version.source_yaml, version.good_value, version.updated_at = source_yaml, spec.good_value, utcnow()
        version.overall_method = spec.overall_method
        version.imported_by_id = imported_by.id if imported_by else None
    else:
        version = FrameworkVersion(
            framework_id=framework.id,
            version=spec.version,
            good_value=spec.good_value,
            overall_method=spec.overall_method,
            source_yaml=source_yaml,
            imported_by_id=imported_by.id if imported_by else None,
        )
        db.add(version)
        await db.flush()

    db.add_all(
        FrameworkScaleLevel(
            version_id=version.id, value=level.value, label=level.label, description=level.description
        )
        for level in spec.scale
    )
    db.add_all(
        FrameworkRatingBand(
            version_id=version.id, key=band.key, label=band.label, min_percent=band.min_percent
        )
        for band in spec.rating_bands
    )
    db.add_all(
        EvidenceCategory(version_id=version.id, code=category.code, label=category.label)
        for category in spec.evidence_categories
    )
    position = 0
    for question_position, question_spec in enumerate(spec.key_questions):
        question = KeyQuestion(
            version_id=version.id,
            code=question_spec.code,
            title=question_spec.title,
            description=question_spec.description,
            position=question_position,
        )
        db.add(question)
        await db.flush()
        for statement_spec in question_spec.statements:
            db.add(
                QualityStatement(
                    version_id=version.id,
                    key_question_id=question.id,
                    code=statement_spec.code,
                    title=statement_spec.title,
                    description=statement_spec.description,
                    prompts=list(statement_spec.prompts),
                    evidence_categories=list(statement_spec.evidence_categories),
                    position=position,
                )
            )
            position += 1
    if publish:
        version.status, version.published_at = VersionStatus.PUBLISHED, utcnow()
    await db.flush()
    return version


async def _delete_version_content(db: AsyncSession, version_id: int) -> None:
    for model in (QualityStatement, KeyQuestion, EvidenceCategory, FrameworkRatingBand, FrameworkScaleLevel):
        await db.execute(delete(model).where(model.version_id == version_id))


async def install_shipped_frameworks(db: AsyncSession) -> list[FrameworkVersion]:
    """Make sure every framework shipped in the package is present and published. Idempotent."""
    installed = []
    for spec in load_shipped_frameworks():
        present = await db.scalar(
            select(FrameworkVersion)
            .join(Framework, Framework.id == FrameworkVersion.framework_id)
            .where(Framework.slug == spec.slug, FrameworkVersion.version == spec.version)
        )
        if present is None:
            present = await install_framework(
                db,
                spec,
                source_yaml=shipped_framework_path(spec.slug).read_text(encoding="utf-8"),
                owner_council_id=None,
                publish=True,
            )
        installed.append(present)
    await db.commit()
    return installed


async def latest_published_version_id(db: AsyncSession, slug: str) -> int | None:
    return await db.scalar(
        select(FrameworkVersion.id)
        .join(Framework, Framework.id == FrameworkVersion.framework_id)
        .where(Framework.slug == slug, FrameworkVersion.status == VersionStatus.PUBLISHED)
        .order_by(FrameworkVersion.published_at.desc(), FrameworkVersion.id.desc())
        .limit(1)
    )


# --- council settings -----------------------------------------------------------------------------------


async def create_council(db: AsyncSession, *, name: str, contact_email: str | None = None) -> Organisation:
    """A council, made with its settings row (the defaults, and the shipped CQC framework when it is
    installed), so that reading a council's settings never has to write."""
    council = await create_organisation(
        db, kind=OrganisationKind.COUNCIL, name=name, contact_email=contact_email
    )
    db.add(
        CouncilSettings(
            council_id=council.id,
            framework_version_id=await latest_published_version_id(db, DEFAULT_FRAMEWORK_SLUG),
        )
    )
    await db.flush()
    return council


async def council_named(db: AsyncSession, name: str) -> Organisation:
    """The council called `name`, made (with its settings) when there is none yet."""
    council = await db.scalar(
        select(Organisation).where(
            Organisation.kind == OrganisationKind.COUNCIL, Organisation.name == name.strip()
        )
    )
    return council if council is not None else await create_council(db, name=name)


async def council_settings(db: AsyncSession, council_id: int) -> CouncilSettings:
    """A council's settings, made with the council (create_council); reading them never writes."""
    current = await db.get(CouncilSettings, council_id)
    if current is None:
        raise LookupError(f"Council {council_id} has no settings row: councils are made by create_council.")
    # Held for the rest of the session, so that the next ask (a page asks up to three times) finds
    # it in the identity map, which holds objects weakly, instead of reading it again.
    db.info.setdefault("council_settings", {})[council_id] = current
    return current


# --- a council admin's catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    version: FrameworkVersion
    framework: Framework
    statement_count: int
    in_use: int


class FrameworkCatalogue:
    """The frameworks a council can use: those shipped with selfassess and its own."""

    def __init__(self, db: AsyncSession, viewer: User) -> None:
        self.db = db
        self.viewer = viewer

    @property
    def council_id(self) -> int:
        if not self.viewer.is_council_staff:
            raise Forbidden("Frameworks are managed by council staff.")
        return self.viewer.organisation_id

    def _visible(self):  # type: ignore[no-untyped-def]
        return or_(Framework.owner_council_id.is_(None), Framework.owner_council_id == self.council_id)

    async def versions(self) -> list[VersionRow]:
        statements = (
            select(func.count(QualityStatement.id))
            .where(QualityStatement.version_id == FrameworkVersion.id)
            .scalar_subquery()
        )
        in_use = (
            select(func.count(CouncilSettings.council_id))
            .where(CouncilSettings.framework_version_id == FrameworkVersion.id)
            .scalar_subquery()
        )
        rows = await self.db.execute(
            select(FrameworkVersion, Framework, statements, in_use)
            .join(Framework, Framework.id == FrameworkVersion.framework_id)
            .where(self._visible())
            .order_by(Framework.name, FrameworkVersion.created_at.desc())
        )
        return [VersionRow(version, framework, count, users) for version, framework, count, users in rows]

    async def get_version(self, version_id: int) -> tuple[FrameworkVersion, Framework]:
        row = (
            await self.db.execute(
                select(FrameworkVersion, Framework)
                .join(Framework, Framework.id == FrameworkVersion.framework_id)
                .where(FrameworkVersion.id == version_id, self._visible())
            )
        ).first()
        if row is None:
            raise NotFound("framework version")
        return row[0], row[1]

    async def import_file(self, spec: FrameworkSpec, source_yaml: str) -> FrameworkVersion:
        version = await install_framework(
            self.db, spec, source_yaml=source_yaml, owner_council_id=self.council_id, imported_by=self.viewer
        )
        record_audit(
            self.db,
            "framework.imported",
            actor=self.viewer,
            subject=f"framework_version:{version.id}",
            detail=f"{spec.slug} {spec.version}",
        )
        await self.db.commit()
        return version

    async def publish(self, version: FrameworkVersion, framework: Framework) -> FrameworkVersion:
        if framework.owner_council_id != self.council_id:
            raise Forbidden("Only your council's own frameworks can be published here.")
        if version.status is VersionStatus.PUBLISHED:
            raise Invalid("This version is already published.")
        version.status, version.published_at, version.updated_at = VersionStatus.PUBLISHED, utcnow(), utcnow()
        record_audit(
            self.db, "framework.published", actor=self.viewer, subject=f"framework_version:{version.id}"
        )
        await self.db.commit()
        return version

    async def delete_draft(self, version: FrameworkVersion, framework: Framework) -> None:
        version_id = version.id
        if framework.owner_council_id != self.council_id or version.status is not VersionStatus.DRAFT:
            raise Invalid("Only a draft of your council's own framework can be deleted.")
        await _delete_version_content(self.db, version.id)
        await self.db.delete(version)
        record_audit(
            self.db, "framework.draft_deleted", actor=self.viewer, subject=f"framework_version:{version_id}"
        )
        await self.db.commit()

    async def current_version_id(self) -> int | None:
        return (await council_settings(self.db, self.council_id)).framework_version_id

    async def choose(self, version: FrameworkVersion) -> None:
        """New self-assessments and visits use this version; existing ones keep theirs."""
        if version.status is not VersionStatus.PUBLISHED:
            raise Invalid("Publish the draft before your council uses it.")
        settings = await council_settings(self.db, self.council_id)
        settings.framework_version_id, settings.updated_at = version.id, utcnow()
        record_audit(
            self.db, "framework.chosen", actor=self.viewer, subject=f"framework_version:{version.id}"
        )
        await self.db.commit()
