"""Signed visitor sessions: a signed token verifies; forged, foreign or expired ones do not."""

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from services.webchat_adapter.session import InvalidToken, VisitorSession, new_session, sign, verify

pytestmark = pytest.mark.unit

SECRET = "a-test-secret-of-decent-length"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TTL = 3600


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_with_secret(body: str) -> str:
    """A token whose body is arbitrary but whose signature is genuine: only the secret holder can make it."""
    return f"{body}.{b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest())}"


def test_sign_then_verify_returns_the_session_with_chinese_name():
    session = new_session("张伟", "zh-CN", TTL, now=NOW)
    assert verify(sign(session, SECRET), SECRET, max_ttl=TTL, now=NOW) == session


def test_new_session_expires_ttl_after_now_and_gets_a_fresh_id():
    first, second = new_session("", "", TTL, now=NOW), new_session("", "", TTL, now=NOW)
    assert first.expires_at == int(NOW.timestamp()) + TTL
    assert first.session_id != second.session_id


def test_token_is_url_safe_ascii():
    token = sign(new_session("王小明", "zh-CN", TTL, now=NOW), SECRET)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)


def test_tampered_payload_is_rejected():
    session = new_session("visitor", "en", TTL, now=NOW)
    _, signature = sign(session, SECRET).split(".")
    forged = msgspec.structs.replace(session, session_id="someone-elses-session")
    forged_body = b64(msgspec.json.encode(forged))
    with pytest.raises(InvalidToken):
        verify(f"{forged_body}.{signature}", SECRET, max_ttl=TTL, now=NOW)


def test_body_of_one_token_with_signature_of_another_is_rejected():
    body, _ = sign(new_session("a", "", TTL, now=NOW), SECRET).split(".")
    _, signature = sign(new_session("b", "", TTL, now=NOW), SECRET).split(".")
    with pytest.raises(InvalidToken):
        verify(f"{body}.{signature}", SECRET, max_ttl=TTL, now=NOW)


def test_tampered_signature_is_rejected():
    token = sign(new_session("visitor", "en", TTL, now=NOW), SECRET)
    body, signature = token.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    with pytest.raises(InvalidToken):
        verify(f"{body}.{flipped}", SECRET, max_ttl=TTL, now=NOW)


def test_token_signed_with_another_secret_is_rejected():
    token = sign(new_session("visitor", "en", TTL, now=NOW), "another-secret-entirely")
    with pytest.raises(InvalidToken):
        verify(token, SECRET, max_ttl=TTL, now=NOW)


def test_session_is_valid_until_the_last_second_before_expiry():
    session = new_session("visitor", "en", TTL, now=NOW)
    assert verify(sign(session, SECRET), SECRET, max_ttl=TTL, now=NOW + timedelta(seconds=TTL - 1)) == session


@pytest.mark.parametrize("after", [timedelta(seconds=TTL), timedelta(seconds=TTL + 1), timedelta(days=30)])
def test_expired_session_is_rejected(after):
    token = sign(new_session("visitor", "en", TTL, now=NOW), SECRET)
    with pytest.raises(InvalidToken, match="expired"):
        verify(token, SECRET, max_ttl=TTL, now=NOW + after)


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "..", "abc", "abc.", ".abc", "a.b.c", "中文.签名", "null", "Bearer rdk_x", "\x00\x01.\x02"],
    ids=repr,
)
def test_garbage_strings_are_rejected(garbage):
    with pytest.raises(InvalidToken):
        verify(garbage, SECRET, max_ttl=TTL, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        "not_base64_json",
        "abcde",
        b64(b"[1, 2, 3]"),
        b64(b'{"session_id": "s1"}'),
        b64(b'{"session_id": 7, "expires_at": "soon"}'),
        b64(b"\xff\xfe"),
    ],
    ids=["not-json", "bad-padding", "array", "missing-expiry", "wrong-types", "not-utf8"],
)
def test_genuinely_signed_but_malformed_body_is_rejected(body):
    with pytest.raises(InvalidToken):
        verify(signed_with_secret(body), SECRET, max_ttl=TTL, now=NOW)


def test_genuinely_signed_well_formed_body_is_accepted():
    session = VisitorSession("s1", int(NOW.timestamp()) + 60, "李雷", "zh-CN")
    assert verify(signed_with_secret(b64(msgspec.json.encode(session))), SECRET, max_ttl=TTL, now=NOW) == session


@pytest.mark.parametrize("expires_in", [TTL + 301, 10**9, 10**30], ids=["past-the-skew", "decades", "10^30"])
def test_a_genuine_token_expiring_beyond_the_maximum_lifetime_is_refused(expires_in):
    # Whoever holds the secret must still not mint a token that outlives the configured TTL.
    body = b64(b'{"session_id": "s1", "expires_at": %d}' % (int(NOW.timestamp()) + expires_in))
    with pytest.raises(InvalidToken):
        verify(signed_with_secret(body), SECRET, max_ttl=TTL, now=NOW)


def test_a_token_expiring_within_the_ttl_plus_clock_skew_is_accepted():
    session = VisitorSession("s1", int(NOW.timestamp()) + TTL + 300)
    assert verify(sign(session, SECRET), SECRET, max_ttl=TTL, now=NOW) == session
