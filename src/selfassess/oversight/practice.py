"""Rules for sharing good practice. No web or database imports."""

from __future__ import annotations

from selfassess.choices import Choice


class Consent(Choice):
    PENDING = "pending", "Waiting for the provider"
    NAMED = "named", "Shared, naming the service"
    ANONYMOUS = "anonymous", "Shared anonymously"
    DECLINED = "declined", "Not shared"


SHARED = (Consent.NAMED, Consent.ANONYMOUS)


def may_mark(score: int | None, good_value: int, published: bool) -> bool:
    """Only a finding from a published report, scored good or better, can be offered as good practice."""
    return published and score is not None and score >= good_value


def shown_as(consent: Consent, service_name: str, provider_name: str, service_type_label: str) -> str:
    """Who the practice is credited to: named only with the provider's consent to be named."""
    if consent is Consent.NAMED:
        return f"{service_name} ({provider_name})"
    return f"A {service_type_label.lower()} in the area"
