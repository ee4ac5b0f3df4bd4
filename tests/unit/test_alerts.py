"""Alert signatures, specs, backoff and the outgoing address guard (no services)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.alerts import AlertSpec, signature, verify_signature
from shared.failure_policy import alert_delivery_retry, is_retryable_webhook_status
from shared.netguard import BlockedURL, check_public_url, is_blocked_address
from shared.settings import get_settings

SECRET = "whsec_test_secret_0123456789"
BODY = b'{"type":"alert.match"}'
# HMAC-SHA256(SECRET, "1700000000." + BODY), computed with `openssl dgst -sha256 -hmac`.
EXPECTED = "t=1700000000,v1=36f44720f78e97fa9f6e1d4202a496f1a332e49af5c9858b5f2fa79e17c04f56"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    assert signature(SECRET, BODY, 1700000000) == EXPECTED


def test_receivers_accept_fresh_signatures_and_refuse_stale_forged_or_altered_ones() -> None:
    assert verify_signature(SECRET, EXPECTED, BODY, now=1700000100)
    assert not verify_signature(SECRET, EXPECTED, BODY, now=1700000000 + 301)  # replayed late
    assert not verify_signature("another-secret-of-some-length", EXPECTED, BODY, now=1700000000)
    assert not verify_signature(SECRET, EXPECTED, BODY + b" ", now=1700000000)
    assert not verify_signature(SECRET, "v1=abc", BODY, now=1700000000)
    assert not verify_signature(SECRET, "t=x,v1=abc", BODY, now=1700000000)


def test_a_spec_keeps_only_the_search_parameters_that_were_given() -> None:
    spec = AlertSpec(name="  Oslo  ", q="harbour", place=["Oslo"])
    assert spec.name == "Oslo"
    assert spec.query() == {"q": "harbour", "place": ["Oslo"]}


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "a\x00b"},
        {"name": "x", "secret": "too-short"},
        {"name": "x", "q": "y" * 5000},
        {"name": "x", "person": ["p"] * 21},
    ],
)
def test_bad_specs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AlertSpec(**fields)  # type: ignore[arg-type]


def test_deliveries_back_off_from_the_base_to_the_cap_then_go_dead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "alert_retry_base_s", 2.0)
    monkeypatch.setattr(settings, "alert_retry_max_s", 60.0)
    monkeypatch.setattr(settings, "alert_max_attempts", 8)
    policy = alert_delivery_retry()
    assert policy.times == 7  # 8 attempts in all
    assert [policy.max_backoff_s(n) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]


@pytest.mark.parametrize(
    ("status", "retried"),
    [(408, True), (429, True), (500, True), (503, True), (400, False), (404, False), (410, False)],
)
def test_webhook_answers_worth_a_retry(status: int, retried: bool) -> None:
    assert is_retryable_webhook_status(status) is retried


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "fe80::1%eth0",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_blocked_however_they_are_spelled(address: str) -> None:
    assert is_blocked_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "64:ff9b::5db8:d70e"])
def test_public_addresses_pass(address: str) -> None:
    assert not is_blocked_address(address)


def test_urls_are_checked_for_scheme_host_and_allowlist() -> None:
    with pytest.raises(BlockedURL) as scheme:
        check_public_url("gopher://example.org/")
    assert scheme.value.reason == "unsupported_scheme"
    with pytest.raises(BlockedURL) as loopback:
        check_public_url("http://127.0.0.1:8000/hook")
    assert loopback.value.reason == "blocked_address"
    check_public_url("http://127.0.0.1:8000/hook", allow=["127.0.0.0/8"])
    check_public_url("http://localhost:8000/hook", allow=["localhost"])
