"""Password hashing (argon2 through passlib's API) and the rules a new password must meet."""

from __future__ import annotations

from passlib.context import CryptContext

_context = CryptContext(schemes=["argon2"], deprecated="auto", argon2__parallelism=1)
# A hash to verify against when the e-mail is unknown, so a wrong e-mail takes as long as a wrong
# password. Made at the configured cost when the app or a command starts (configure_hashing), not on
# import, where it cost every process a hash at the default cost (0.2 s) that was then thrown away.
_dummy_hash: str | None = None

MIN_LENGTH = 10


def configure_hashing(*, memory_kib: int, time_cost: int) -> None:
    """argon2's cost comes from settings; hashes made with other costs are upgraded at log-in."""
    _context.update(argon2__memory_cost=memory_kib, argon2__rounds=time_cost)
    _make_dummy_hash()


def _make_dummy_hash() -> str:
    global _dummy_hash
    _dummy_hash = _context.hash("selfassess-timing-equaliser")
    return _dummy_hash


def hash_password(password: str) -> str:
    return _context.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _context.verify(password, _dummy_hash or _make_dummy_hash())
        return False
    return _context.verify(password, password_hash)


def needs_rehash(password_hash: str) -> bool:
    return _context.needs_update(password_hash)


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Length beats complexity rules (NCSC guidance); refuse only the obviously guessable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > 200:
        problems.append("Use at most 200 characters.")
    lowered = password.lower()
    if email and lowered == email.lower():
        problems.append("Do not use your e-mail address as your password.")
    if name and lowered == name.lower():
        problems.append("Do not use your name as your password.")
    if len(set(password)) < 4:
        problems.append("Use a less repetitive password.")
    return problems
