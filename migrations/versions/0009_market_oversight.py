"""Market oversight: rating history (periods each rating was in force), service risk, oversight settings,
provider quality support levels, good practice shared with consent.

The history is filled from the visits already published and the regulator ratings already stored on
services, so the quality picture over time starts complete.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:50:00
"""

import json
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_END = date(9999, 12, 31)  # the end date of the rating in force now
_BANDS = ("inadequate", "requires_improvement", "good", "outstanding")


def upgrade() -> None:
    rating_period = op.create_table(
        "rating_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("council", "regulator", name="ratingsource", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("aspect", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rating_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("good_or_better", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), server_default="9999-12-31", nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_rating_period_service_id_care_service")
        ),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_rating_period_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_rating_period_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_period")),
    )
    with op.batch_alter_table("rating_period", schema=None) as batch_op:
        batch_op.create_index("ix_rating_period_in_force", ["service_id", "aspect", "valid_to"])
        batch_op.create_index("ix_rating_period_council", ["council_id", "aspect", "valid_to"])
        batch_op.create_index(batch_op.f("ix_rating_period_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "service_risk",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("band", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("next_visit_due", sa.Date(), nullable=True),
        sa.Column("last_visit_on", sa.Date(), nullable=True),
        sa.Column("assessed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_service_risk_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_service_risk_service_id_care_service")
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_service_risk")),
    )
    with op.batch_alter_table("service_risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_risk_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_risk_score"), ["score"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_risk_band"), ["band"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_risk_next_visit_due"), ["next_visit_due"], unique=False)

    op.create_table(
        "oversight_settings",
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("risk_weights", sa.JSON(), nullable=True),
        sa.Column("months_outstanding", sa.Integer(), nullable=False),
        sa.Column("months_good", sa.Integer(), nullable=False),
        sa.Column("months_requires_improvement", sa.Integer(), nullable=False),
        sa.Column("months_inadequate", sa.Integer(), nullable=False),
        sa.Column("months_unrated", sa.Integer(), nullable=False),
        sa.Column("months_high_risk", sa.Integer(), nullable=False),
        sa.Column("publish_suspensions", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_oversight_settings_council_id_organisation")
        ),
        sa.PrimaryKeyConstraint("council_id", name=op.f("pk_oversight_settings")),
    )
    op.create_table(
        "provider_support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "routine",
                "enhanced_monitoring",
                "provider_quality_support",
                "suspension",
                name="supportlevel",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("step_down_conditions", sa.Text(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("review_reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_provider_support_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisation.id"], name=op.f("fk_provider_support_provider_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_provider_support_decided_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_support")),
    )
    with op.batch_alter_table("provider_support", schema=None) as batch_op:
        batch_op.create_index("ix_provider_support_current", ["council_id", "provider_id", "ended_on"])
        batch_op.create_index(batch_op.f("ix_provider_support_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_support_review_on"), ["review_on"], unique=False)
    op.create_table(
        "good_practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(
            "consent",
            sa.Enum(
                "pending", "named", "anonymous", "declined", name="consent", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("consent_by_id", sa.Integer(), nullable=True),
        sa.Column("consent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_good_practice_council_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["care_service.id"], name=op.f("fk_good_practice_service_id_care_service")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_good_practice_visit_id_visit")),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["quality_statement.id"],
            name=op.f("fk_good_practice_statement_id_quality_statement"),
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["user.id"], name=op.f("fk_good_practice_marked_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["consent_by_id"], ["user.id"], name=op.f("fk_good_practice_consent_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_good_practice")),
        sa.UniqueConstraint("visit_id", "statement_id", name=op.f("uq_good_practice_visit_id_statement_id")),
    )
    with op.batch_alter_table("good_practice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_good_practice_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_good_practice_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_good_practice_statement_id"), ["statement_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_good_practice_consent"), ["consent"], unique=False)
    _backfill(rating_period)


def _period(
    service_id: int, council_id: int, source: str, aspect: str, key: str, on: date, visit_id: int | None
) -> dict:
    return {
        "service_id": service_id,
        "council_id": council_id,
        "source": source,
        "aspect": aspect,
        "rating_key": key,
        "rank": _BANDS.index(key) + 1,
        "good_or_better": key in ("good", "outstanding"),
        "valid_from": on,
        "valid_to": _OPEN_END,
        "visit_id": visit_id,
    }


def _backfill(rating_period: sa.Table) -> None:
    """Each published visit's ratings (in order of publication) and each stored regulator rating."""
    bind = op.get_bind()
    visits = bind.execute(
        sa.text(
            "SELECT id, service_id, published_at, rating_key, key_question_ratings FROM visit "
            "WHERE status = 'published' AND published_at IS NOT NULL ORDER BY service_id, published_at, id"
        )
    ).all()
    open_periods: dict[tuple[int, str], dict] = {}
    rows: list[dict] = []
    council_of = dict(bind.execute(sa.text("SELECT id, council_id FROM care_service")).all())

    def add(service_id: int, aspect: str, key: object, on: date, visit_id: int) -> None:
        previous = open_periods.pop((service_id, aspect), None)
        if previous is not None:
            previous["valid_to"] = on
        if isinstance(key, str) and key in _BANDS:
            period = _period(service_id, council_of[service_id], "council", aspect, key, on, visit_id)
            open_periods[(service_id, aspect)] = period
            rows.append(period)

    for visit_id, service_id, published_at, rating_key, questions in visits:
        if isinstance(published_at, str):
            published_at = datetime.fromisoformat(published_at)
        on = published_at.date()
        add(service_id, "", rating_key, on, visit_id)
        if isinstance(questions, str):
            questions = json.loads(questions)
        for question in questions or []:
            add(service_id, str(question.get("code")), question.get("key"), on, visit_id)

    services = bind.execute(
        sa.text(
            "SELECT id, regulator_rating, regulator_rating_date, created_at FROM care_service "
            "WHERE regulator_rating IN ('inadequate', 'requires_improvement', 'good', 'outstanding')"
        )
    ).all()
    for service_id, rating, rated_on, created_at in services:
        if rated_on is None:
            rated_on = created_at
        if isinstance(rated_on, str):
            rated_on = datetime.fromisoformat(rated_on)
        if isinstance(rated_on, datetime):
            rated_on = rated_on.date()
        rows.append(_period(service_id, council_of[service_id], "regulator", "", rating, rated_on, None))
    if rows:
        op.bulk_insert(rating_period, rows)


def downgrade() -> None:
    with op.batch_alter_table("good_practice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_good_practice_consent"))
        batch_op.drop_index(batch_op.f("ix_good_practice_statement_id"))
        batch_op.drop_index(batch_op.f("ix_good_practice_service_id"))
        batch_op.drop_index(batch_op.f("ix_good_practice_council_id"))
    op.drop_table("good_practice")
    with op.batch_alter_table("provider_support", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_support_review_on"))
        batch_op.drop_index(batch_op.f("ix_provider_support_provider_id"))
        batch_op.drop_index("ix_provider_support_current")
    op.drop_table("provider_support")
    op.drop_table("oversight_settings")
    with op.batch_alter_table("service_risk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_risk_next_visit_due"))
        batch_op.drop_index(batch_op.f("ix_service_risk_band"))
        batch_op.drop_index(batch_op.f("ix_service_risk_score"))
        batch_op.drop_index(batch_op.f("ix_service_risk_council_id"))
    op.drop_table("service_risk")
    with op.batch_alter_table("rating_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_period_visit_id"))
        batch_op.drop_index("ix_rating_period_council")
        batch_op.drop_index("ix_rating_period_in_force")
    op.drop_table("rating_period")
