"""Phone numbers in E.164, the one form Relaydesk stores, texts and shows (pure)."""

import functools

import phonenumbers


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
