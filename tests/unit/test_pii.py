"""Masking what agents read: valid identifiers hidden, everything else left readable."""

import pytest

from shared.pii import luhn_valid, mask, resident_id_valid

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 thanks", "card **** **** **** 1111 thanks"),
        ("卡号4111-1111-1111-1111。", "卡号****-****-****-1111。"),
        ("身份证11010519491231002X", "身份证**************002X"),
        ("我的手机13812345678，谢谢", "我的手机*******5678，谢谢"),
        ("call +8613812345678", "call +*********5678"),
        ("write to wang.li@example.com", "write to w***@example.com"),
    ],
)
def test_identifiers_are_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 failed",  # fails the Luhn check: an order number, not a card
        "id 110105194912310021",  # wrong ID checksum
        "transfer of 1000000 yuan on 2026-11-24",
        "ref 12345",
        "",
    ],
)
def test_other_numbers_stay_readable(text):
    assert mask(text) == text


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert resident_id_valid("11010519491231002X") and not resident_id_valid("110105194912310021")
