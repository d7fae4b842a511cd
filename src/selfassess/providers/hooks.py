"""Steps of a care service that later slices act on (see ``selfassess.hooks``)."""

from __future__ import annotations

from selfassess.hooks import Hook
from selfassess.providers.models import CareService

service_saved: Hook[CareService] = Hook("care service saved")
# A stored service whose type or town changed: summaries grouped by them count it again.
service_regrouped: Hook[CareService] = Hook("care service moved to another type or town")
# A stored service that moved to another provider: records that carry its provider follow it.
service_moved: Hook[CareService] = Hook("care service moved to another provider")
