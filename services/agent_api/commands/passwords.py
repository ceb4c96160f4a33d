"""Agents' console passwords: scrypt hashes in one self-describing string, and the rules a new one must meet.

Pure: no I/O. Hashing costs ~50 ms of CPU and 16 MiB, on purpose; callers on the event loop
run `hash_password` and `verify` in a thread.
"""

import base64
import hashlib
import hmac
import os

MIN_LENGTH = 10
MAX_LENGTH = 256
"""Characters. A ceiling keeps the hashing cost of a request bounded."""
N, R, P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MAX_N = 2**20
"""The most work a stored hash may ask for: a corrupt row must not make a login take minutes."""
SCHEME = "scrypt"


class PasswordRejected(ValueError):
    """The new password does not meet the rules; the message says which."""


def check_new(password: str) -> str:
    """The password, when it may be set: 10 to 256 characters, not blank, no control characters."""
    if not password.strip():
        raise PasswordRejected("the password must not be empty")
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"the password must have at most {MAX_LENGTH} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in password):
        raise PasswordRejected("the password must not contain control characters")
    return password


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # maxmem: scrypt needs 128·n·r bytes; the default cap (32 MiB) refuses MAX_N.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r + 2**20)


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """`scrypt$n$r$p$salt$hash` with a fresh random salt (base64 without padding)."""
    salt = os.urandom(SALT_BYTES)
    return f"{SCHEME}${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p, HASH_BYTES))}"


def verify(password: str, encoded: str) -> bool:
    """Whether `password` matches the stored hash; a malformed or out-of-bounds hash matches nothing."""
    try:
        scheme, n_text, r_text, p_text, salt_text, hash_text = encoded.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = _unb64(salt_text), _unb64(hash_text)
    except ValueError:
        return False
    if scheme != SCHEME or not (2 <= n <= MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 4):
        return False
    if not (8 <= len(salt) <= 64 and 16 <= len(expected) <= 64):
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(expected)), expected)


DUMMY_HASH = hash_password("no agent has this password")
"""Verified against when the name is unknown or has no password, so both take as long as a wrong password."""
