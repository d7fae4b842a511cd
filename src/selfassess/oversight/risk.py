"""How a service's risk score is built: transparent factors, each worth points by the council's
weights, added up and placed in a band. No web or database imports: the register, the service page
and the band-change notices all ask ``assess``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

SEVERITIES = ("low", "medium", "high", "critical")
RECENT_DAYS = 90  # a concern received within this many days counts in full, an older one half

# Points per factor; a council may change any of them (Oversight settings).
DEFAULT_WEIGHTS: dict[str, int] = {
    "concern_low": 2,
    "concern_medium": 5,
    "concern_high": 10,
    "concern_critical": 20,
    "serious_source_percent": 200,  # safeguarding and whistle-blowing concerns weigh double
    "council_inadequate": 30,
    "council_requires_improvement": 15,
    "council_not_rated": 10,
    "council_declined": 10,
    "regulator_inadequate": 20,
    "regulator_requires_improvement": 10,
    "regulator_declined": 10,
    "overdue_action": 4,
    "visit_per_month_over_a_year": 2,
    "never_visited": 15,
    "overrated_statement": 2,
    "self_assessment_missing": 10,
}

WEIGHT_LABELS: dict[str, str] = {
    "concern_low": "Open low concern",
    "concern_medium": "Open medium concern",
    "concern_high": "Open high concern",
    "concern_critical": "Open critical concern",
    "serious_source_percent": "Safeguarding or whistle-blowing concern (% of its severity's points)",
    "council_inadequate": "Council rating inadequate",
    "council_requires_improvement": "Council rating requires improvement",
    "council_not_rated": "No council rating yet",
    "council_declined": "Council rating lower than the one before",
    "regulator_inadequate": "Regulator rating inadequate",
    "regulator_requires_improvement": "Regulator rating requires improvement",
    "regulator_declined": "Regulator rating lower than the one before",
    "overdue_action": "Each overdue action",
    "visit_per_month_over_a_year": "Each month beyond a year since the last visit",
    "never_visited": "Never visited",
    "overrated_statement": "Each statement over-rated at the last comparison",
    "self_assessment_missing": "No self-assessment submitted in the last year",
}

# (band, lowest score in it), lowest first.
BANDS: tuple[tuple[str, int], ...] = (("low", 0), ("medium", 15), ("high", 30), ("very_high", 50))
BAND_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}


def weights_with_defaults(chosen: Mapping[str, int] | None) -> dict[str, int]:
    return {
        **DEFAULT_WEIGHTS,
        **{key: value for key, value in (chosen or {}).items() if key in DEFAULT_WEIGHTS},
    }


def band_for(score: int) -> str:
    band = BANDS[0][0]
    for name, minimum in BANDS:
        if score >= minimum:
            band = name
    return band


def band_rank(band: str) -> int:
    return [name for name, _ in BANDS].index(band)


@dataclass(frozen=True)
class RiskInputs:
    """What is known about one service, counted in SQL. Concern counts are keyed by
    (severity, serious source?, recent?)."""

    concerns: Mapping[tuple[str, bool, bool], int] = field(default_factory=dict)
    council_rating: str | None = None
    council_previous: str | None = None
    regulator_rating: str | None = None
    regulator_previous: str | None = None
    overdue_actions: int = 0
    last_visit_on: date | None = None
    overrated_statements: int = 0
    self_assessment_recent: bool = True


@dataclass(frozen=True)
class Factor:
    name: str
    detail: str
    points: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "detail": self.detail, "points": self.points}


@dataclass(frozen=True)
class RiskAssessment:
    score: int
    band: str
    factors: tuple[Factor, ...]


_RANKS = ("inadequate", "requires_improvement", "good", "outstanding")


def _declined(now: str | None, before: str | None) -> bool:
    return now in _RANKS and before in _RANKS and _RANKS.index(now) < _RANKS.index(before)  # type: ignore[arg-type]


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def assess(inputs: RiskInputs, weights: Mapping[str, int], today: date) -> RiskAssessment:
    """Every factor that adds points, in a fixed order, with the reason in words."""
    factors: list[Factor] = []
    concern_points = 0.0
    concern_count = serious_count = 0
    for (severity, serious, recent), count in inputs.concerns.items():
        points = weights[f"concern_{severity}"] * count
        points *= weights["serious_source_percent"] / 100 if serious else 1
        points *= 1 if recent else 0.5
        concern_points += points
        concern_count += count
        serious_count += count if serious else 0
    if concern_count:
        detail = f"{concern_count} open concern{'s' if concern_count != 1 else ''}"
        if serious_count:
            detail += f", {serious_count} from safeguarding or a whistle-blower"
        factors.append(Factor("Open concerns", detail, round(concern_points)))

    if inputs.council_rating is None:
        factors.append(Factor("Council rating", "No council rating yet", weights["council_not_rated"]))
    elif inputs.council_rating in ("inadequate", "requires_improvement"):
        label = inputs.council_rating.replace("_", " ").capitalize()
        factors.append(Factor("Council rating", label, weights[f"council_{inputs.council_rating}"]))
    if _declined(inputs.council_rating, inputs.council_previous):
        factors.append(
            Factor("Council rating fell", "Lower than the rating before", weights["council_declined"])
        )
    if inputs.regulator_rating in ("inadequate", "requires_improvement"):
        label = inputs.regulator_rating.replace("_", " ").capitalize()
        factors.append(Factor("Regulator rating", label, weights[f"regulator_{inputs.regulator_rating}"]))
    if _declined(inputs.regulator_rating, inputs.regulator_previous):
        factors.append(
            Factor("Regulator rating fell", "Lower than the rating before", weights["regulator_declined"])
        )
    if inputs.overdue_actions:
        factors.append(
            Factor(
                "Overdue actions",
                f"{inputs.overdue_actions} overdue",
                inputs.overdue_actions * weights["overdue_action"],
            )
        )
    if inputs.last_visit_on is None:
        factors.append(Factor("Time since the last visit", "Never visited", weights["never_visited"]))
    else:
        months = _months_between(inputs.last_visit_on, today)
        if months > 12:
            factors.append(
                Factor(
                    "Time since the last visit",
                    f"{months} months",
                    (months - 12) * weights["visit_per_month_over_a_year"],
                )
            )
    if inputs.overrated_statements:
        factors.append(
            Factor(
                "Self-assessment over-rating",
                f"{inputs.overrated_statements} statement{'s' if inputs.overrated_statements != 1 else ''} "
                "over-rated at the last comparison",
                inputs.overrated_statements * weights["overrated_statement"],
            )
        )
    if not inputs.self_assessment_recent:
        factors.append(
            Factor(
                "Self-assessment",
                "None submitted in the last year",
                weights["self_assessment_missing"],
            )
        )
    factors = [factor for factor in factors if factor.points]
    score = sum(factor.points for factor in factors)
    return RiskAssessment(score, band_for(score), tuple(factors))
