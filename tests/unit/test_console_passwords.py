"""Console sign-in's pure parts: scrypt hashes encode and verify, new passwords meet the rules,
lockouts double, and a WebSocket handshake's Origin is judged."""

import base64
import hashlib

import pytest

from services.agent_api.commands import lockout, passwords
from services.agent_api.http.auth import allowed_origin

pytestmark = pytest.mark.unit


def test_a_hash_is_self_describing_salted_and_verifies_only_its_password():
    first, second = passwords.hash_password("长城 long passphrase"), passwords.hash_password("长城 long passphrase")
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    raw_salt = base64.b64decode(salt + "==")
    assert len(raw_salt) == 16 and first != second  # a fresh salt each time
    expected = hashlib.scrypt("长城 long passphrase".encode(), salt=raw_salt, n=2**14, r=8, p=1, dklen=32)
    assert base64.b64decode(digest + "=" * (-len(digest) % 4)) == expected  # plain scrypt, readable by any tool
    assert passwords.verify("长城 long passphrase", first) and passwords.verify("长城 long passphrase", second)
    assert not passwords.verify("长城 long passphrase ", first) and not passwords.verify("", first)


def test_a_hash_with_other_costs_still_verifies():
    cheap = passwords.hash_password("a passphrase here", n=2**10, r=4, p=2)
    assert cheap.startswith("scrypt$1024$4$2$") and passwords.verify("a passphrase here", cheap)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain text",
        "argon2$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$16384$8$1$not*base64$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # n not a power of 2
        "scrypt$2097152$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # beyond MAX_N
        "scrypt$16384$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # a 3-byte salt
    ],
)
def test_a_malformed_or_too_costly_hash_matches_nothing(stored):
    assert passwords.verify("anything at all", stored) is False


def test_the_dummy_hash_is_a_real_hash_of_the_same_cost():
    assert passwords.DUMMY_HASH.startswith("scrypt$16384$8$1$")
    assert passwords.verify("no agent has this password", passwords.DUMMY_HASH)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("", "empty"),
        ("          ", "empty"),
        ("nine char", "at least 10"),
        ("x" * 257, "at most 256"),
        ("tab\tinside the passphrase", "control"),
    ],
)
def test_a_new_password_must_meet_the_rules(password, why):
    with pytest.raises(passwords.PasswordRejected, match=why):
        passwords.check_new(password)


def test_a_new_password_may_be_any_printable_text_of_10_to_256_characters():
    for fine in ("ten chars!", "长城长城长城长城长城", "x" * 256):
        assert passwords.check_new(fine) == fine


def test_lockouts_start_at_the_threshold_and_double_to_a_cap():
    assert [lockout.lock_seconds("name", failures) for failures in range(1, 12)] == [
        0,
        0,
        0,
        0,
        30,
        60,
        120,
        240,
        480,
        900,
        900,
    ]
    assert lockout.lock_seconds("address", 29) == 0 and lockout.lock_seconds("address", 30) == 30
    assert lockout.lock_seconds("name", 10_000) == lockout.MAX_LOCK_S


def test_names_are_counted_whatever_their_case_and_never_stored_as_typed():
    assert lockout.key("name", " Li.Na ") == lockout.key("name", "li.na")
    assert lockout.key("name", "li.na") != lockout.key("address", "li.na")
    assert b"li.na" not in lockout.key("name", "li.na")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),  # the Host it was sent to
        ("https://desk.example.com", "10.0.0.5:8000", True),  # the public URL, behind a proxy
        ("HTTPS://Desk.Example.com/", "10.0.0.5:8000", True),
        ("https://desk.example.com.evil.example", "10.0.0.5:8000", False),
        ("http://desk.example.com", "10.0.0.5:8000", False),  # another scheme is another origin
        ("https://evil.example", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        (None, "127.0.0.1:8000", False),
        ("", "127.0.0.1:8000", False),
    ],
)
def test_a_cookie_stream_must_come_from_the_apis_own_origin(origin, host, allowed):
    assert allowed_origin(origin, host, "https://desk.example.com") is allowed
