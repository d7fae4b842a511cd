"""A plan carries its service's provider (a provider's plans are found by it), so it must follow the
service to another provider whichever process moves it (the home page's test moves one through the
form: tests/queues/test_waiting.py)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_commands_jobs_move_the_plans_with_their_service() -> None:
    """The command's jobs (the regulator sync moves services) import ``selfassess.models``, not the
    web routes: the plans' subscription to ``service_moved`` must come with it."""
    code = (
        "import selfassess.models\n"
        "from selfassess.providers.hooks import service_moved\n"
        "print(' '.join(handler.__qualname__ for handler in service_moved._handlers))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=dict(os.environ)
    )
    assert set(shown.stdout.split()) == {"_plans_follow_their_service", "_refresh_after_move"}
