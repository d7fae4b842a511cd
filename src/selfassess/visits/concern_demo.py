"""Demo concerns for Northbridge's services: a complaint shared with the provider with a request
and a date, which the provider has answered; a confidential whistle-blower report; intelligence
from the regulator; and one concern already followed through to an outcome."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from selfassess import clock
from selfassess.notifications.models import Notification
from selfassess.visits.models import Concern, ConcernResponse, ConcernSource, ConcernStatus, Severity

if TYPE_CHECKING:
    from selfassess.demo import Demo


async def add_demo_concerns(db: AsyncSession, demo: Demo) -> None:
    """Dated relative to today, so the demo always looks current. The caller commits."""
    today = clock.today()
    officer = demo.users["officer"]
    rose_lane = demo.services["rose_lane"]
    homecare = demo.services["brightwater_home"]
    concerns = [
        Concern(
            service_id=rose_lane.id,
            source=ConcernSource.RELATIVE,
            received_on=today - timedelta(days=9),
            summary="Relative reports missed evening medication on two occasions",
            details=(
                "Daughter of a resident in room 12 rang the quality team. Her mother's evening "
                "medication was not given on two nights last week; the MAR chart had gaps. She has "
                "complained to the home and is not satisfied with the reply.\n"
                "Asked the registered manager for the MAR charts and the medication audit."
            ),
            severity=Severity.HIGH,
            is_complaint=True,
            logged_by_id=officer.id,
        ),
        Concern(
            service_id=rose_lane.id,
            source=ConcernSource.WHISTLEBLOWER,
            received_on=today - timedelta(days=4),
            summary="Night shifts often run with two staff for 48 residents",
            details=(
                "A member of staff (identity known to the officer only) says nights are regularly "
                "covered by two care staff and no nurse on the first floor, and agency staff do not "
                "know residents' needs. Do not name the source in any contact with the provider."
            ),
            severity=Severity.CRITICAL,
            is_confidential=True,
            logged_by_id=officer.id,
        ),
        Concern(
            service_id=homecare.id,
            source=ConcernSource.CQC,
            received_on=today - timedelta(days=21),
            summary="CQC has received several notifications of late and missed calls",
            details=(
                "CQC inspector shared at the monthly information-sharing meeting: five notifications "
                "in six weeks about late or missed calls in the Canal Street rounds."
            ),
            severity=Severity.MEDIUM,
            logged_by_id=officer.id,
        ),
        Concern(
            service_id=homecare.id,
            source=ConcernSource.PROFESSIONAL,
            received_on=today - timedelta(days=60),
            summary="District nurse concerned about pressure care for one person",
            details="District nurse found a grade 2 pressure ulcer; repositioning charts incomplete.",
            severity=Severity.MEDIUM,
            status=ConcernStatus.CLOSED,
            outcome=(
                "Visited with the district nurse. Care plan updated with two-hourly repositioning, "
                "staff retrained, charts complete at the follow-up check. No further action."
            ),
            logged_by_id=officer.id,
        ),
    ]
    for concern in concerns:  # logged the day they came in
        concern.created_at = concern.updated_at = datetime.combine(concern.received_on, time(10, 30), UTC)
    # The complaint was shared with Rose Lane House the next day, with a request and a date; the
    # registered manager has answered on the concern's page.
    complaint = concerns[0]
    complaint.shared_summary = (
        "A relative told us that evening medication was not given to a resident on two nights last "
        "week, and that the medication record (MAR chart) has gaps for those nights. They have "
        "complained to you and are not satisfied with the reply."
    )
    complaint.provider_request = (
        "Send us the MAR charts for the two weeks, your latest medication audit, and what you have "
        "changed so that evening medication is not missed."
    )
    complaint.respond_by = today + timedelta(days=5)
    complaint.shared_at = complaint.updated_at = datetime.combine(
        complaint.received_on + timedelta(days=1), time(9, 15), UTC
    )
    db.add_all(concerns)
    await db.flush()
    db.add(
        ConcernResponse(
            concern_id=complaint.id,
            author_id=demo.users["manager"].id,
            text=(
                "The MAR charts and October's medication audit are attached to our e-mail of today. "
                "An agency nurse missed the evening round on both nights; she no longer works here. "
                "Evening rounds are now signed off by the nurse in charge before handover."
            ),
            created_at=datetime.combine(today - timedelta(days=3), time(16, 40), UTC),
        )
    )
    db.add(
        Notification(
            user_id=officer.id,
            message=f"{rose_lane.name} responded to the concern \u201c{complaint.summary}\u201d.",
            link=f"/concerns/{complaint.id}#responses",
            created_at=datetime.combine(today - timedelta(days=3), time(16, 40), UTC),
        )
    )
