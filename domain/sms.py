"""What an SMS text costs: GSM-7 or UCS-2, and how many parts (pure)."""

import msgspec

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
"""Characters that take an escape plus themselves: two septets each."""


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
