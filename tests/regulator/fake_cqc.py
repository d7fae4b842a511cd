"""A local fake of the CQC public API, served through ``httpx.MockTransport``: the recorded shapes of
``/locations`` (paged, by local authority), ``/locations/{id}``, ``/providers/{id}`` and
``/changes/location``, a subscription key check, and failures queued per path (429 with Retry-After,
500). Nothing reaches the internet."""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from tests.http_stub import http_server

KEY = "test-subscription-key"


def location_json(
    location_id: str,
    provider_id: str,
    *,
    name: str,
    postcode: str,
    local_authority: str = "Northbridge",
    rating: str | None = "Good",
    manager: str | None = "Jane Smith",
    care_home: bool = True,
    nursing: bool = False,
    beds: int | None = 30,
) -> dict[str, Any]:
    """A location as the CQC API answers it (the fields we read, and a few we do not)."""
    given, family = (manager.split(" ", 1) + [""])[:2] if manager else ("", "")
    contacts = (
        [
            {
                "personTitle": "Ms",
                "personGivenName": given,
                "personFamilyName": family,
                "personRoles": ["Registered Manager"],
            }
        ]
        if manager
        else []
    )
    service_types = (
        [{"name": "Nursing homes" if nursing else "Residential homes", "description": "Care home service"}]
        if care_home
        else [{"name": "Homecare agencies", "description": "Domiciliary care service"}]
    )
    body: dict[str, Any] = {
        "locationId": location_id,
        "providerId": provider_id,
        "organisationType": "Location",
        "type": "Social Care Org",
        "name": name,
        "onspdCcgCode": "E38000000",
        "registrationStatus": "Registered",
        "registrationDate": "2015-04-01",
        "dormancy": "N",
        "numberOfBeds": beds,
        "postalAddressLine1": f"{location_id[-3:]} Mill Road",
        "postalAddressTownCity": "Northbridge",
        "postalAddressCounty": "Northshire",
        "region": "North West",
        "postalCode": postcode,
        "careHome": "Y" if care_home else "N",
        "localAuthority": local_authority,
        "gacServiceTypes": service_types,
        "regulatedActivities": [
            {
                "name": "Accommodation for persons who require nursing or personal care",
                "code": "RA2",
                "contacts": contacts,
            }
        ],
        "lastInspection": {"date": "2025-02-10"},
    }
    if rating:
        body["currentRatings"] = {
            "overall": {
                "rating": rating,
                "reportDate": "2025-03-01",
                "reportLinkId": "abc",
                "keyQuestionRatings": [
                    {"name": question, "rating": rating, "reportDate": "2025-03-01"}
                    for question in ("Safe", "Effective", "Caring", "Responsive", "Well-led")
                ],
            },
            "reportDate": "2025-03-01",
        }
    return body


class FakeCQC:
    def __init__(self, *, per_page_cap: int = 100) -> None:
        self.locations: dict[str, dict[str, Any]] = {}
        self.providers: dict[str, dict[str, Any]] = {}
        self.changes: list[str] = []
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        self.requests: list[httpx.Request] = []
        self.per_page_cap = per_page_cap
        self.key = KEY

    # --- arranging ---------------------------------------------------------------------------

    def add(self, body: dict[str, Any], provider_name: str | None = None) -> None:
        self.locations[body["locationId"]] = body
        provider_id = body["providerId"]
        self.providers.setdefault(
            provider_id, {"providerId": provider_id, "name": provider_name or f"Provider {provider_id}"}
        )

    def change(self, location_id: str, **fields: Any) -> None:
        """The CQC changes a location; it appears in the changes feed."""
        body = copy.deepcopy(self.locations[location_id])
        body.update(fields)
        self.locations[location_id] = body
        if location_id not in self.changes:
            self.changes.append(location_id)

    def fail(self, path: str, status: int, retry_after: str | None = None) -> None:
        """The next request to ``path`` answers ``status`` (queued in order)."""
        self.failures[path].append((status, {"Retry-After": retry_after} if retry_after else {}))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls_to(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path.endswith(path))

    # --- serving -------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Ocp-Apim-Subscription-Key") != self.key:
            return httpx.Response(
                401, json={"statusCode": 401, "message": "Access denied due to invalid subscription key."}
            )
        path = request.url.path.removeprefix("/public/v1")
        if self.failures.get(path):
            status, headers = self.failures[path].pop(0)
            return httpx.Response(status, headers=headers, json={"message": "try later"})
        params = request.url.params
        if path == "/locations":
            wanted = params.get("localAuthority")
            ids = [key for key, body in self.locations.items() if body.get("localAuthority") == wanted]
            return self._page(
                request,
                "locations",
                [
                    {
                        "locationId": key,
                        "locationName": self.locations[key]["name"],
                        "postalCode": self.locations[key]["postalCode"],
                    }
                    for key in ids
                ],
            )
        if path == "/changes/location":
            assert params.get("startTimestamp") and params.get("endTimestamp")
            return self._page(request, "changes", list(self.changes))
        for prefix, store in (("/locations/", self.locations), ("/providers/", self.providers)):
            if path.startswith(prefix):
                found = store.get(path.removeprefix(prefix))
                if found is None:
                    return httpx.Response(404, json={"statusCode": 404, "message": "Not found"})
                return httpx.Response(200, json=found)
        return httpx.Response(404, json={"message": "Resource not found"})

    def _page(self, request: httpx.Request, key: str, items: list[Any]) -> httpx.Response:
        per_page = min(int(request.url.params.get("perPage", 1000)), self.per_page_cap)
        page = int(request.url.params.get("page", 1))
        total_pages = max(1, math.ceil(len(items) / per_page))
        return httpx.Response(
            200,
            json={
                "total": len(items),
                "page": page,
                "totalPages": total_pages,
                "perPage": per_page,
                key: items[(page - 1) * per_page : page * per_page],
            },
        )


class RecordedSleep:
    """Stands in for asyncio.sleep: remembers the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@contextmanager
def serving(fake: FakeCQC) -> Iterator[str]:
    """The fake over real HTTP on a free local port, for a server in another process (browser
    tests); yields the base URL to give it as SELFASSESS_CQC_API_BASE_URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            request = httpx.Request("GET", f"http://fake{self.path}", headers=dict(self.headers.items()))
            response = fake.handle(request)
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as server:
        yield f"http://127.0.0.1:{server.server_port}/public/v1"
