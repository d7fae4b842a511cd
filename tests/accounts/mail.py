"""Reading the links selfassess e-mails, after the outbox went through a real SMTP server."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncEngine

from selfassess.db import session_factory
from selfassess.notifications.mail import send_pending
from selfassess.settings import Settings
from tests.mail_sink import SmtpSink

_LINK = re.compile(r"https?://[^/\s]+(/set-password\?token=[A-Za-z0-9_\-]+)")


async def deliver(engine: AsyncEngine, settings: Settings) -> None:
    """Run the send-mail job once."""
    await send_pending(session_factory(engine), settings)


async def mailed_link(engine: AsyncEngine, settings: Settings, sink: SmtpSink, to: str) -> str:
    """The set-password path from the newest e-mail to ``to`` (after sending what is waiting)."""
    await deliver(engine, settings)
    messages = [message for message in sink.received if message["To"] == to]
    assert messages, f"no e-mail to {to}; sent to {[m['To'] for m in sink.received]}"
    body = messages[-1].get_content()
    match = _LINK.search(body)
    assert match, body
    return match.group(1)
