"""Malformed input gets a clear message and a 4xx, never a 500, and what was typed is kept.

Each form's cases run in one test (one set of data per database) and report every failure at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from markupsafe import escape

from tests import factories
from tests.support import Browser, text_of

HUGE = "x" * 100_000  # 100 kB into a field that takes 200 characters


@dataclass
class Case:
    label: str
    changes: dict[str, Any]
    message: str
    kept: list[str] = field(default_factory=list)  # values that must be back in the form, as typed


def _check(label: str, response: Any, case: Case) -> list[str]:
    problems = []
    if not 400 <= response.status_code < 500:
        problems.append(f"status {response.status_code}")
    if case.message not in text_of(response.text):
        problems.append(f"no message {case.message!r}")
    for value in case.kept:
        if f'value="{escape(value)}"' not in response.text:
            problems.append(f"lost the typed value {value[:30]!r}")
    return [f"{label} / {case.label}: {', '.join(problems)}"] if problems else []


def _service(world: factories.World, **changes: Any) -> dict[str, Any]:
    form = {
        "name": "Delta View",
        "service_type": "care_home",
        "provider_id": world.provider_1.id,
        "address_line1": "1 Delta Road",
        "town": "Northbridge",
        "postcode": "NB1 2DV",
        "regulator_rating": "good",
    }
    form.update(changes)
    return form


SERVICE_CASES = [
    Case("words for a number", {"capacity": "forty"}, "Capacity must be a whole number.", ["forty"]),
    Case("a decimal number", {"capacity": "12.5"}, "Capacity must be a whole number.", ["12.5"]),
    Case("a negative number", {"capacity": "-5"}, "Capacity must be 0 or more.", ["-5"]),
    Case("a huge number", {"capacity": "9" * 30}, "Capacity must be 5000 or less.", ["9" * 30]),
    Case("31 February", {"regulator_rating_date": "2026-02-31"}, "must be a real date", ["2026-02-31"]),
    Case("a UK-style date", {"regulator_rating_date": "31/12/2024"}, "must be a real date", ["31/12/2024"]),
    Case("year 0", {"regulator_rating_date": "0000-01-01"}, "must be a real date", ["0000-01-01"]),
    Case("year 10000", {"regulator_rating_date": "10000-01-01"}, "must be a real date", ["10000-01-01"]),
    Case("a future date", {"regulator_rating_date": "2999-01-01"}, "cannot be in the future", ["2999-01-01"]),
    Case("100 kB of text", {"name": HUGE}, "Service name must be 200 characters or fewer.", [HUGE]),
    Case("an unknown type", {"service_type": "spaceship"}, "Choose type of service from the list."),
    Case("an unknown rating", {"regulator_rating": "superb"}, "Choose cqc rating from the list."),
    Case("a provider id that is not a number", {"provider_id": "abc"}, "must be a whole number"),
    Case("a provider id that does not exist", {"provider_id": "9" * 20}, "Choose a provider organisation"),
    Case(
        "an officer id out of range",
        {"assigned_officer_id": "9" * 20},
        "Choose an officer from your council.",
    ),
    Case(
        "a bad postcode", {"postcode": "<NOT A POSTCODE>"}, "Enter a real UK postcode", ["<NOT A POSTCODE>"]
    ),
    Case("a field sent twice", {"name": ["One", "Two"]}, "Service name"),
]


async def test_service_form(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    failures = []
    for case in SERVICE_CASES:
        response = await client.post("/services/new", _service(world, **case.changes))
        failures += _check("add a service", response, case)
        response = await client.post(f"/services/{world.alpha.id}/edit", _service(world, **case.changes))
        failures += _check("edit a service", response, case)
    missing = await client.post("/services/new", {"town": "Kept Town"})
    failures += _check(
        "add a service", missing, Case("nothing but a town", {}, "Service name is required.", ["Kept Town"])
    )
    for message in ("Type of service is required.", "Postcode is required.", "Address line 1 is required."):
        if message not in text_of(missing.text):
            failures.append(f"blank form: no {message!r}")
    assert not failures, "\n".join(failures)


USER_CASES = [
    Case("an unknown role", {"role": "superuser"}, "Choose role from the list."),
    Case("neither yes nor no", {"is_active": "maybe"}, "Choose yes or no for active."),
    Case("a bad e-mail", {"email": "not an email"}, "Enter an e-mail address like", ["not an email"]),
    Case("100 kB of name", {"full_name": HUGE}, "Full name must be 200 characters or fewer.", [HUGE]),
    Case("100 kB of job title", {"job_title": HUGE}, "Job title must be 200 characters or fewer.", [HUGE]),
    Case("a provider role at a council", {"role": "provider"}, "People at a council can be"),
    Case("a provider admin at a council", {"role": "provider_admin"}, "People at a council can be"),
]


async def test_account_form(client: Browser, world: factories.World) -> None:
    await client.login(world.admin_a.email)
    base = {"full_name": "Nia New", "email": "nia@example.org", "role": "officer", "is_active": "true"}
    failures = []
    for case in USER_CASES:
        response = await client.post("/admin/users/new", {**base, **case.changes})
        failures += _check("add an account", response, case)
        response = await client.post(f"/admin/users/{world.officer_a.id}", {**base, **case.changes})
        failures += _check("edit an account", response, case)
    assert not failures, "\n".join(failures)


async def test_provider_login_and_password_forms(client: Browser, world: factories.World) -> None:
    failures = []
    cases = [
        (
            "/login",
            {"email": HUGE, "password": "x"},
            Case("100 kB e-mail", {}, "must be 254 characters or fewer"),
        ),
        ("/login", {"email": "a@b.example", "password": HUGE}, Case("100 kB password", {}, "200 characters")),
    ]
    for url, data, case in cases:
        failures += _check(url, await client.post(url, data), case)
    await client.login(world.officer_a.email)
    cases = [
        ("/providers", {"name": HUGE}, Case("100 kB name", {}, "200 characters or fewer", [HUGE])),
        (
            "/providers",
            {"name": "P", "cqc_provider_id": "abc"},
            Case("bad CQC id", {}, "looks like", ["abc"]),
        ),
        (
            "/providers",
            {"name": "P", "contact_email": "nope"},
            Case("bad e-mail", {}, "Enter an e-mail", ["nope"]),
        ),
        (
            "/account/password",
            {"current_password": "x", "new_password": HUGE, "confirm_password": HUGE},
            Case("100 kB password", {}, "New password must be 200 characters or fewer."),
        ),
    ]
    for url, data, case in cases:
        failures += _check(url, await client.post(url, data), case)
    assert not failures, "\n".join(failures)


async def test_a_json_body_to_a_form_is_refused_clearly(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    token = {"x-csrftoken": client.csrf_token or ""}
    response = await client.client.post("/services/new", json=_service(world), headers=token)
    assert 400 <= response.status_code < 500
    assert "There is a problem" in text_of(response.text)
    login = await client.client.post("/login", json={"email": world.officer_a.email}, headers=token)
    assert 400 <= login.status_code < 500


async def test_bad_query_strings_are_4xx_or_ignored(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    page = await client.get("/services?page=abc")
    assert page.status_code == 400 and "Something in the request was not right" in text_of(page.text)
    api = await client.get("/api/v1/services?limit=abc")
    assert api.status_code == 400 and api.json()["status"] == 400
    for url in ("/services?page=-3", "/services?page=" + "9" * 30, "/services?type=spaceship&mine=maybe"):
        response = await client.get(url)
        assert response.status_code in (200, 400), url


async def test_a_body_over_the_limit_is_413(app: Litestar, client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    limit = app.request_max_body_size
    assert limit and limit < 50_000_000, "some limit on what a request may carry"
    response = await client.post("/providers", {"name": "x" * (limit + 1)})
    assert response.status_code == 413
    assert "too large" in text_of(response.text)


# --- values no database can hold: ids past the id column's range, NUL characters ----------------


async def test_an_id_beyond_the_databases_range_is_not_found(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    for url in ("/services/2147483648", "/services/" + "9" * 25, "/api/v1/services/" + "9" * 25):
        assert (await client.get(url)).status_code == 404, url


async def test_a_nul_character_in_text_gets_a_message(client: Browser, world: factories.World) -> None:
    await client.login(world.officer_a.email)
    response = await client.post("/services/new", _service(world, name="Bad\x00name"))
    assert response.status_code == 422
    assert "Service name contains a control character that cannot be stored." in response.text


async def test_a_nul_character_in_a_search_or_log_in_is_not_a_500(
    client: Browser, world: factories.World
) -> None:
    response = await client.post("/login", {"email": "a\x00@b.example", "password": "x"})
    assert response.status_code < 500
    await client.login(world.officer_a.email)
    assert (await client.get("/services?q=%00")).status_code < 500
