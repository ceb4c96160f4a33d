"""Masking customer data in text agents read: card, resident ID and phone numbers, emails."""

import re

CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
CN_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)|(?<![\d+])\+[1-9]\d{7,14}(?!\d)")
EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def resident_id_valid(number: str) -> bool:
    """GB 11643 checksum of an 18-character Chinese resident ID number."""
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17].upper()


def _keep_last(text: str, keep: int) -> str:
    digits_seen, out = 0, []
    for char in reversed(text):
        if char.isdigit() or char in "Xx":
            digits_seen += 1
            out.append(char if digits_seen <= keep else "*")
        else:
            out.append(char)
    return "".join(reversed(out))


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return _keep_last(match.group(), 4) if luhn_valid(digits) else match.group()


def _resident_id(match: re.Match) -> str:
    return _keep_last(match.group(), 4) if resident_id_valid(match.group()) else match.group()


def mask(text: str) -> str:
    """The text with identifiers masked; valid ones only, so order numbers stay readable."""
    text = CN_RESIDENT_ID.sub(_resident_id, text)
    text = CARD.sub(_card, text)
    text = PHONE.sub(lambda m: _keep_last(m.group(), 4), text)
    return EMAIL.sub(r"\1***\2", text)
