"""Every slice's tables, imported in one place so SQLModel.metadata (and Alembic) sees them all."""

import selfassess.webhooks.outbox  # noqa: F401  (history rows reach the webhook outbox in their transaction)
from selfassess.accounts.models import (
    AccountLink,
    AuditEvent,
    CouncilSettings,
    LoginAttempt,
    LoginSession,
    Organisation,
    User,
)
from selfassess.actions.models import Action, ActionEvent, ActionNote, ActionPlan
from selfassess.assessments.models import AssessmentEvent, EvidenceItem, SelfAssessment, SelfAssessmentAnswer
from selfassess.attachments.models import StoredFile, StoredFileContent
from selfassess.comparison.models import VisitComparison, VisitComparisonCell
from selfassess.frameworks.models import (
    EvidenceCategory,
    Framework,
    FrameworkRatingBand,
    FrameworkScaleLevel,
    FrameworkVersion,
    KeyQuestion,
    QualityStatement,
)
from selfassess.notifications.models import Notification, OutboxEmail
from selfassess.oversight.models import (
    GoodPractice,
    OversightSettings,
    ProviderSupport,
    RatingPeriod,
    ServiceRisk,
)
from selfassess.providers.models import CareService, CouncilProvider
from selfassess.tokens.models import ApiToken
from selfassess.visits.models import (
    Concern,
    FactualAccuracyPoint,
    Visit,
    VisitConcern,
    VisitEvent,
    VisitScore,
)
from selfassess.webhooks.models import Webhook, WebhookDelivery, WebhookEvent

__all__ = [
    "AccountLink",
    "Action",
    "ApiToken",
    "ActionEvent",
    "ActionNote",
    "ActionPlan",
    "AssessmentEvent",
    "AuditEvent",
    "CareService",
    "Concern",
    "CouncilProvider",
    "CouncilSettings",
    "EvidenceCategory",
    "EvidenceItem",
    "FactualAccuracyPoint",
    "Framework",
    "FrameworkRatingBand",
    "FrameworkScaleLevel",
    "FrameworkVersion",
    "GoodPractice",
    "KeyQuestion",
    "LoginAttempt",
    "LoginSession",
    "Notification",
    "Organisation",
    "OversightSettings",
    "ProviderSupport",
    "OutboxEmail",
    "QualityStatement",
    "RatingPeriod",
    "SelfAssessment",
    "SelfAssessmentAnswer",
    "ServiceRisk",
    "StoredFile",
    "StoredFileContent",
    "User",
    "Visit",
    "VisitComparison",
    "VisitComparisonCell",
    "VisitConcern",
    "VisitEvent",
    "VisitScore",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
]
