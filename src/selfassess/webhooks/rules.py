"""Who may register webhooks, and how a delivery is signed. Pure functions: no web, no database."""

from __future__ import annotations

import hashlib
import hmac
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


def url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Enter a full web address starting with https://."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the address; check the signature instead."
    return None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", so neither can be changed or replayed later."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_valid(secret: str, timestamp: int, body: bytes, sent: str, now: int) -> bool:
    """What a receiver checks (and what our tests check): the signature, and a recent timestamp."""
    fresh = abs(now - timestamp) <= REPLAY_WINDOW_SECONDS
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), sent)
