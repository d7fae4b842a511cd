"""Steps of a self-assessment that later slices act on (see ``selfassess.hooks``)."""

from __future__ import annotations

from selfassess.hooks import Hook
from selfassess.providers.models import CareService

# A self-assessment of this service was submitted or returned: which one each visit tests may change.
submissions_changed: Hook[CareService] = Hook("self-assessment submitted or returned")
