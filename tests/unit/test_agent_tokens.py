"""Agent bearer tokens: generation, hashing, and parsing the Authorization header."""

import hashlib
import re

import pytest

from services.agent_api.commands.tokens import TOKEN_PREFIX, bearer_token, new_token, token_hash

pytestmark = pytest.mark.unit


def test_new_tokens_are_unique():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000


def test_new_token_is_prefixed_long_and_url_safe():
    token = new_token()
    assert token.startswith("rdk_")
    assert len(token) >= 40
    assert re.fullmatch(r"rdk_[A-Za-z0-9_-]+", token)


def test_token_hash_is_the_sha256_digest_and_deterministic():
    token = new_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).digest()
    assert token_hash(token) == token_hash(token)
    assert len(token_hash(token)) == 32


def test_token_hash_differs_per_token():
    assert len({token_hash(new_token()) for _ in range(100)}) == 100


def test_new_token_is_accepted_back_by_bearer_parsing():
    token = new_token()
    assert bearer_token(f"Bearer {token}") == token


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer rdk_abc123", "rdk_abc123"),
        ("bearer rdk_abc123", "rdk_abc123"),
        ("BEARER rdk_abc123", "rdk_abc123"),
        ("BeArEr rdk_abc123", "rdk_abc123"),
        ("Bearer   rdk_abc123  ", "rdk_abc123"),
    ],
)
def test_bearer_token_accepts_bearer_scheme_in_any_case(header, expected):
    assert bearer_token(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "rdk_abc123",
        "Basic rdk_abc123",
        "Token rdk_abc123",
        "Bearerrdk_abc123",
        "Bearer abc123",
        "Bearer RDK_abc123",
        "Bearer ghp_abc123",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
    ],
    ids=repr,
)
def test_bearer_token_rejects_missing_empty_or_foreign_credentials(header):
    assert bearer_token(header) is None


def test_token_prefix_is_the_documented_scanner_prefix():
    assert TOKEN_PREFIX == "rdk_"
