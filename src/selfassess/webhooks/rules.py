"""Who may register webhooks, where they may be sent, and how a delivery is signed. Pure functions:
no web, no database, no network (the addresses a host resolves to are given)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from selfassess.accounts.models import User

SIGNATURE_HEADER = "X-Selfassess-Signature"
TIMESTAMP_HEADER = "X-Selfassess-Timestamp"
EVENT_HEADER = "X-Selfassess-Event"
DELIVERY_HEADER = "X-Selfassess-Delivery"
# Receivers should refuse a delivery whose timestamp is older than this (a replay).
REPLAY_WINDOW_SECONDS = 300


def may_manage_webhooks(user: User) -> bool:
    """Each organisation's admins, for their own organisation: a hook sends data out of the service."""
    return user.is_admin


def url_problem(url: str, *, allow_private_targets: bool) -> str | None:
    """A webhook carries records out of the service: over https only, unless the setting for a
    local receiver (tests, development) allows plain http too."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private_targets else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return "Enter a full web address starting with https://."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the address; check the signature instead."
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        return "The port in this address is not a number from 0 to 65535."
    return None


def _not_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True  # nothing we can judge is nothing we send to
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def target_problem(host: str, addresses: Iterable[str], *, allow_private_targets: bool) -> str | None:
    """Why a webhook may not be sent to ``host`` when it resolves to ``addresses``: one that is
    loopback, private, link-local, multicast or reserved would let a webhook reach the database,
    another internal service or a cloud metadata address (server-side request forgery). Asked
    when a hook is registered, and again before each delivery with the addresses then, since a
    name can be pointed elsewhere after it was checked."""
    if allow_private_targets:
        return None
    for address in addresses:
        if _not_public(address):
            where = host if host == address else f"{host} leads to {address}, which"
            return (
                f"The address {where} is not a public internet address: webhooks go only to "
                "addresses on the internet."
            )
    return None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", so neither can be changed or replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_valid(secret: str, timestamp: int, body: bytes, sent: str, now: int) -> bool:
    """What a receiver checks (and what our tests check): the signature, and a recent timestamp."""
    fresh = abs(now - timestamp) <= REPLAY_WINDOW_SECONDS
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), sent)
