"""WeChat callback authentication: URL check, plain signatures, safe-mode AES (pure).

Signatures and the cipher come from wechatpy; padding and the length prefix are checked
here because wechatpy's decrypt trusts them, and a forged body must be refused, not
half-decoded.
"""

import base64
import binascii
import hmac
import secrets
import struct
import time

from wechatpy.crypto import WeChatCrypto
from wechatpy.crypto.base import WeChatCipher
from wechatpy.utils import WeChatSigner

from shared.config import WeChatAccount

BLOCK = 32
"""WeChat pads to 32 bytes (PKCS#7 with a 32-byte block), not AES's 16."""


class CallbackRefused(Exception):
    """The callback is not WeChat's or cannot be read; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 over the sorted parts, concatenated."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def verify_url(account: WeChatAccount, query: dict[str, str]) -> str:
    """The `echostr` to answer when WeChat's URL check is signed with our token."""
    if not _same(sign(account.token, query.get("timestamp", ""), query.get("nonce", "")), query.get("signature", "")):
        raise CallbackRefused(403, "bad signature")
    return query.get("echostr", "")


def is_encrypted(account: WeChatAccount, query: dict[str, str]) -> bool:
    """Whether this callback's body is AES-encrypted; a safe-mode account takes nothing else."""
    encrypted = query.get("encrypt_type", "raw") == "aes"
    if account.mode == "safe" and not encrypted:
        raise CallbackRefused(403, "plain callback to a safe-mode account")
    if account.mode == "plain" and encrypted:
        raise CallbackRefused(403, "encrypted callback to a plain-mode account")
    return encrypted


def check_plain(account: WeChatAccount, query: dict[str, str]) -> None:
    if not _same(sign(account.token, query.get("timestamp", ""), query.get("nonce", "")), query.get("signature", "")):
        raise CallbackRefused(403, "bad signature")


def decrypt(account: WeChatAccount, query: dict[str, str], encrypted: str) -> bytes:
    """The inner XML of a safe-mode callback, after its msg_signature and app id check out."""
    expected = sign(account.token, query.get("timestamp", ""), query.get("nonce", ""), encrypted)
    if not _same(expected, query.get("msg_signature", "")):
        raise CallbackRefused(403, "bad msg_signature")
    try:
        ciphertext = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise CallbackRefused(400, "Encrypt is not base64") from None
    if not ciphertext or len(ciphertext) % 16:
        raise CallbackRefused(400, "Encrypt is not whole AES blocks")
    plain = _cipher(account).decrypt(ciphertext)
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CallbackRefused(400, "bad AES padding")
    content = plain[16:-pad]
    if len(content) < 4:
        raise CallbackRefused(400, "decrypted body too short")
    (length,) = struct.unpack(">I", content[:4])
    if length > len(content) - 4:
        raise CallbackRefused(400, "decrypted length prefix out of range")
    if content[4 + length :] != account.app_id.encode():
        raise CallbackRefused(403, "app id mismatch")
    return content[4 : 4 + length]


def seal(account: WeChatAccount, reply_xml: str) -> str:
    """A passive reply as WeChat expects it from this account: encrypted in safe mode."""
    if account.mode == "plain":
        return reply_xml
    return WeChatCrypto(account.token, account.aes_key, account.app_id).encrypt_message(
        reply_xml, secrets.token_hex(8), str(int(time.time()))
    )


_ciphers: dict[str, WeChatCipher] = {}


def _cipher(account: WeChatAccount) -> WeChatCipher:
    key = account.aes_key
    if key not in _ciphers:
        _ciphers[key] = WeChatCipher(base64.b64decode(key + "="))
    return _ciphers[key]
