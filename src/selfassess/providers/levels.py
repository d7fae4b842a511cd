"""Rules of the provider quality support pathway. No web or database imports."""

from __future__ import annotations

from selfassess.choices import Choice


class SupportLevel(Choice):
    """The escalation pathway, lowest first."""

    ROUTINE = "routine", "Routine monitoring"
    ENHANCED = "enhanced_monitoring", "Enhanced monitoring"
    PROVIDER_QUALITY_SUPPORT = "provider_quality_support", "Provider quality support (provider of concern)"
    SUSPENSION = "suspension", "Suspension of new placements"


ESCALATED = (SupportLevel.ENHANCED, SupportLevel.PROVIDER_QUALITY_SUPPORT, SupportLevel.SUSPENSION)


def is_escalated(level: SupportLevel | None) -> bool:
    """Above routine monitoring: council staff see it wherever the service appears."""
    return level in ESCALATED


def shown_publicly(level: SupportLevel | None, council_publishes_suspensions: bool) -> bool:
    """The public see a suspension of new placements, and only when the council chooses to say so."""
    return level is SupportLevel.SUSPENSION and council_publishes_suspensions
