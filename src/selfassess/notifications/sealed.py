"""E-mails that carry a secret (a set-password link) wait in the outbox encrypted.

The outbox is a table like any other, and a copy of the database must not hand out working
links. Such a body is sealed with a key derived from the service's secret (never stored in the
database) and opened only by the sender, just before it goes to the mail server.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

_PREFIX = "sealed:v1:"


def _fernet(secret: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"outbox:" + secret).digest()))


def seal(body: str, secret: bytes) -> str:
    return _PREFIX + _fernet(secret).encrypt(body.encode()).decode()


def unseal(body: str, secret: bytes) -> str:
    """Plain bodies pass through unchanged. A body sealed under another secret cannot be opened:
    that e-mail fails (and is retried, then given up) rather than going out garbled."""
    if not body.startswith(_PREFIX):
        return body
    try:
        return _fernet(secret).decrypt(body[len(_PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ValueError("This e-mail was sealed with a different SELFASSESS_SECRET_KEY.") from error
