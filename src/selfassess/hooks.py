"""Hooks keep the slice order (README): an earlier slice announces a step of its own, and a later
slice that must act on it, in the same transaction, subscribes, without the earlier slice
importing the later one. Subscriptions are made when the subscribing module is imported, which
``selfassess.models`` does for every one (so the app, the command and the tests all have them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

Subject = TypeVar("Subject")
Handler = Callable[[AsyncSession, Subject], Awaitable[None]]


class Hook(Generic[Subject]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Handler[Subject]] = []

    def subscribe(self, handler: Handler[Subject]) -> Handler[Subject]:
        """Add ``handler`` (once, however often its module is imported); usable as a decorator."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    async def announce(self, db: AsyncSession, subject: Subject) -> None:
        """Run every handler, in order, inside the caller's transaction; the caller commits."""
        for handler in self._handlers:
            await handler(db, subject)
