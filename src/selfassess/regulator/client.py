"""The CQC public API over httpx: timeouts, retries with back-off on 429 and 5xx (honouring
Retry-After), and plain messages for a missing or refused key and for a location that is not there.

Tests give it a fake API (an ``httpx.MockTransport``) and a ``sleep`` that only records the waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from selfassess.settings import Settings

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
KEY_HEADER = "Ocp-Apim-Subscription-Key"
KEY_SETTING = "SELFASSESS_CQC_SUBSCRIPTION_KEY"


class RegulatorError(Exception):
    """Something people can act on; the message says what."""


class KeyProblem(RegulatorError):
    pass


class LocationNotFound(RegulatorError):
    pass


class RegulatorUnavailable(RegulatorError):
    pass


def retry_delay(attempt: int, retry_after: str | None, *, base: float, cap: float, now: datetime) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): what Retry-After asks (seconds or
    an HTTP date) or else doubling from ``base``; never more than ``cap``."""
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            return min(float(value), cap)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return min(max((when - now).total_seconds(), 0.0), cap)
    return min(base * 2 ** (attempt - 1), cap)


class RegulatorClient:
    def __init__(self, http: httpx.AsyncClient, settings: Settings, sleep: Sleep = asyncio.sleep) -> None:
        self.http = http
        self.settings = settings
        self.sleep = sleep

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.get(path, params=params)
            except httpx.TransportError as problem:  # timeouts, refused or dropped connections
                if attempt > self.settings.cqc_max_retries:
                    raise RegulatorUnavailable(
                        f"The CQC API could not be reached ({type(problem).__name__}) after {attempt} tries. "
                        "Nothing more was changed; run it again later."
                    ) from problem
                await self._wait(attempt, None, path, type(problem).__name__)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt > self.settings.cqc_max_retries:
                    raise RegulatorUnavailable(
                        f"The CQC API kept answering {status} after {attempt} tries. "
                        "Nothing more was changed; run it again later."
                    )
                await self._wait(attempt, response.headers.get("Retry-After"), path, str(status))
                continue
            if status in (401, 403):
                raise KeyProblem(
                    f"The CQC API refused the subscription key ({status}). Check {KEY_SETTING}: it must be "
                    "the primary or secondary key of your subscription in the CQC API portal."
                )
            if status == 404:
                raise LocationNotFound(f"The CQC has no record at {path}.")
            if status >= 400:
                raise RegulatorError(f"The CQC API refused the request ({status}) for {path}.")
            try:
                return response.json()
            except ValueError as problem:
                raise RegulatorError(
                    f"The CQC API answered {path} with something that is not JSON."
                ) from problem

    async def _wait(self, attempt: int, retry_after: str | None, path: str, reason: str) -> None:
        delay = retry_delay(
            attempt,
            retry_after,
            base=self.settings.cqc_backoff_seconds,
            cap=self.settings.cqc_max_backoff_seconds,
            now=datetime.now(UTC),
        )
        logger.info("CQC API %s on %s: retry %d in %.1f s", reason, path, attempt, delay)
        await self.sleep(delay)

    async def location(self, location_id: str) -> dict[str, Any]:
        return await self.get_json(f"/locations/{location_id}")

    async def provider(self, provider_id: str) -> dict[str, Any]:
        return await self.get_json(f"/providers/{provider_id}")

    async def _pages(self, path: str, params: dict[str, Any], key: str) -> AsyncIterator[list[Any]]:
        page, total_pages = 1, 1
        while page <= total_pages:
            body = await self.get_json(path, {**params, "page": page, "perPage": self.settings.cqc_page_size})
            total_pages = int(body.get("totalPages") or 1)
            yield list(body.get(key) or [])
            page += 1

    async def locations_in(self, local_authority: str) -> list[str]:
        """Every location ID the CQC lists in a local authority's area, page by page."""
        found: list[str] = []
        async for items in self._pages("/locations", {"localAuthority": local_authority}, "locations"):
            found += [
                item["locationId"] for item in items if isinstance(item, dict) and item.get("locationId")
            ]
        return list(dict.fromkeys(found))

    async def changed_locations(self, start: datetime, end: datetime) -> list[str]:
        """The location IDs the CQC changed between two moments (its changes feed), page by page."""
        params = {"startTimestamp": _timestamp(start), "endTimestamp": _timestamp(end)}
        found: list[str] = []
        async for items in self._pages("/changes/location", params, "changes"):
            found += [item for item in items if isinstance(item, str)]
        return list(dict.fromkeys(found))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_configured(settings: Settings) -> bool:
    return bool(settings.cqc_subscription_key and settings.cqc_subscription_key.get_secret_value().strip())


@asynccontextmanager
async def open_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, sleep: Sleep = asyncio.sleep
) -> AsyncIterator[RegulatorClient]:
    """A client for one piece of work; refuses at once when no key is set."""
    if not key_configured(settings):
        raise KeyProblem(
            f"No CQC subscription key is set. Get one from the CQC API portal and set {KEY_SETTING}."
        )
    assert settings.cqc_subscription_key is not None
    async with httpx.AsyncClient(
        base_url=settings.cqc_api_base_url.rstrip("/"),
        headers={
            KEY_HEADER: settings.cqc_subscription_key.get_secret_value().strip(),
            "Accept": "application/json",
        },
        timeout=settings.cqc_timeout_seconds,
        transport=transport,
    ) as http:
        yield RegulatorClient(http, settings, sleep)
