"""Steps of an account that later slices act on (see ``selfassess.hooks``)."""

from __future__ import annotations

from dataclasses import dataclass

from selfassess.hooks import Hook


@dataclass(frozen=True)
class AccountEmail:
    """An e-mail about a person's account, written here and sent by the notifications slice. Its
    body carries a secret (a set-password link), so the outbox keeps it sealed with ``sealing_key``
    (the service's secret, never stored in the database)."""

    to: str
    subject: str
    body: str
    dedupe_key: str
    sealing_key: bytes


account_email_written: Hook[AccountEmail] = Hook("account e-mail written")
