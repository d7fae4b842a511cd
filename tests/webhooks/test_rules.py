"""Where a webhook may be sent: https to public internet addresses, unless the setting for a local
receiver (tests, development) allows plain http and local addresses too."""

from __future__ import annotations

import pytest

from selfassess.webhooks.rules import target_problem, url_problem

NOT_PUBLIC = [
    "127.0.0.1",  # this machine: the database on :5432
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",  # IPv4 inside IPv6
]
PUBLIC = ["93.184.215.14", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_local_private_and_reserved_addresses_are_refused(address: str) -> None:
    problem = target_problem("hooks.example", [address], allow_private_targets=False)
    assert problem is not None and address in problem and "not a public internet address" in problem
    assert target_problem("hooks.example", [address], allow_private_targets=True) is None


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public() -> None:
    assert target_problem("hooks.example", PUBLIC, allow_private_targets=False) is None
    assert target_problem("hooks.example", [*PUBLIC, "10.0.0.7"], allow_private_targets=False)


def test_plain_http_only_where_the_setting_allows_it() -> None:
    assert url_problem("http://hooks.example/in", allow_private_targets=False) == (
        "Enter a full web address starting with https://."
    )
    assert url_problem("http://hooks.example/in", allow_private_targets=True) is None
    assert url_problem("https://hooks.example/in", allow_private_targets=False) is None
    assert "port" in (url_problem("https://hooks.example:99999/in", allow_private_targets=False) or "")
