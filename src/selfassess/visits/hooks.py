"""Steps of a visit that later slices act on (see ``selfassess.hooks``)."""

from __future__ import annotations

from selfassess.hooks import Hook
from selfassess.visits.models import Visit

visit_published: Hook[Visit] = Hook("visit published")
