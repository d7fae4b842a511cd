"""A real SMTP server for tests (aiosmtpd on a free local port), not a mock of the sending code."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """What a mail server received; ``refusal`` makes it turn messages away, as a busy server does."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.attempts = 0
        self.refusal: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.attempts += 1
        await asyncio.sleep(0.01)  # a real server takes a moment, which lets concurrent senders overlap
        if self.refusal:
            return self.refusal
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert envelope.rcpt_tos == [message["To"]]
        self.received.append(message)
        return "250 Message accepted for delivery"
