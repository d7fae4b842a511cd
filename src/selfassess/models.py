"""Every slice's tables, imported in one place so SQLModel.metadata (and Alembic) sees them all."""

import selfassess.actions.service  # noqa: F401  (subscribes to the providers' hooks)
import selfassess.notifications.service  # noqa: F401  (subscribes to the accounts' hooks)
import selfassess.oversight.ratings  # noqa: F401  (subscribes to the visits' and providers' hooks)
import selfassess.oversight.summary  # noqa: F401  (subscribes to the providers' hooks)
import selfassess.visits.comparison_summaries  # noqa: F401  (subscribes to the assessments' hooks)
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
from selfassess.oversight.models import GoodPractice, OversightSettings, RatingPeriod, ServiceRisk
from selfassess.providers.models import CareService, CouncilProvider
from selfassess.providers.support_levels import ProviderSupport
from selfassess.regulator.models import (
    RegulatorImport,
    RegulatorImportItem,
    RegulatorLocation,
    RegulatorSyncRun,
)
from selfassess.rounds.models import AssessmentRound
from selfassess.tokens.models import ApiToken
from selfassess.visits.comparison_models import VisitComparison, VisitComparisonCell
from selfassess.visits.models import (
    Concern,
    ConcernResponse,
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
    "AssessmentRound",
    "ActionEvent",
    "ActionNote",
    "ActionPlan",
    "AssessmentEvent",
    "AuditEvent",
    "CareService",
    "Concern",
    "ConcernResponse",
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
    "RegulatorImport",
    "RegulatorImportItem",
    "RegulatorLocation",
    "RegulatorSyncRun",
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
