"""Where a webhook may go, asked of the network: the host's addresses now, judged by
``rules.target_problem``. The sender then connects to the address it judged, not to whatever the
name resolves to a moment later, so a name pointed at an internal address between the check and
the connection (DNS rebinding) reaches nothing."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from selfassess.webhooks.rules import target_problem, url_problem


class TargetRefused(Exception):
    """The webhook's address may not be used; the message says why, for its deliveries list."""


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None  # url_problem has been asked
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


async def addresses_of(host: str, port: int) -> list[str]:
    """Every address the host resolves to now (an IP address is its own); OSError when none."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


async def registration_problem(url: str, *, allow_private_targets: bool) -> str | None:
    """Why this address cannot be registered. A name that cannot be found now is accepted: each
    delivery checks it again before anything is sent."""
    if (problem := url_problem(url, allow_private_targets=allow_private_targets)) or allow_private_targets:
        return problem
    host, port = _host_and_port(url)
    try:
        addresses = await addresses_of(host, port)
    except OSError:
        return None
    return target_problem(host, addresses, allow_private_targets=allow_private_targets)


async def checked_address(url: str, *, allow_private_targets: bool) -> str:
    """The address to connect to for this delivery: TargetRefused when the rules forbid it (hooks
    registered before them included), OSError when the name cannot be found now (tried again)."""
    if problem := url_problem(url, allow_private_targets=allow_private_targets):
        raise TargetRefused(problem)
    host, port = _host_and_port(url)
    addresses = await addresses_of(host, port)
    if problem := target_problem(host, addresses, allow_private_targets=allow_private_targets):
        raise TargetRefused(problem)
    return addresses[0]
