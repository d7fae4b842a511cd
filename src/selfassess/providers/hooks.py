"""Steps of a care service that later slices act on (see ``selfassess.hooks``)."""

from __future__ import annotations

from selfassess.hooks import Hook
from selfassess.providers.models import CareService

service_saved: Hook[CareService] = Hook("care service saved")
