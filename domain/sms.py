"""SMS text facts (pure): E.164 numbers, segment counts for cost, consent keywords."""

import functools
import re
import unicodedata
from enum import StrEnum

import msgspec
import phonenumbers

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
"""Characters that take an escape plus themselves: two septets each."""


class InvalidNumber(ValueError):
    """Not a phone number we can text."""


@functools.lru_cache(maxsize=65536)
def e164(raw: str, default_region: str) -> str:
    """The number in E.164 (+8613800138000); raises InvalidNumber with the reason.

    Cached: phonenumbers is pure Python (~50 us a number) and customers write more than once.
    """
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"{raw!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{raw!r} is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Segments(msgspec.Struct, frozen=True):
    encoding: str
    """gsm7 or ucs2."""
    count: int
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""


def segments(text: str) -> Segments:
    """How many SMS parts the text costs: GSM-7 160/153 septets, else UCS-2 70/67 code units."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # characters outside the BMP take two
        single, multi, encoding = 70, 67, "ucs2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(encoding, count, units)


class Consent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


KEYWORDS = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT", "退订", "TD", "取消订阅"),
        Consent.OPT_OUT,
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP", "订阅", "恢复订阅"), Consent.OPT_IN),
    **dict.fromkeys(("HELP", "INFO", "帮助"), Consent.HELP),
}
_TRIM = re.compile(r"^[\W_]+|[\W_]+$")


def consent_keyword(text: str) -> Consent | None:
    """The consent a message gives when it is only a keyword (any case, width or punctuation)."""
    word = _TRIM.sub("", unicodedata.normalize("NFKC", text).strip()).upper()
    return KEYWORDS.get(word)


CONFIRMATIONS = {
    Consent.OPT_OUT: "您已退订，将不再收到我们的短信。回复“订阅”可恢复。"
    "You have been unsubscribed; reply START to resubscribe.",
    Consent.OPT_IN: "您已恢复订阅。回复“退订”可随时取消。You are subscribed again; reply STOP to unsubscribe.",
    Consent.HELP: "钱包客服：直接回复短信即可联系客服，回复“退订”取消订阅。"
    "Wallet support: reply to reach us, STOP to unsubscribe.",
}
