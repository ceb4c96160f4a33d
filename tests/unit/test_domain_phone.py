"""Phone numbers in E.164: what customers type becomes one form, or a refusal that says why."""

import pytest

from domain.phone import InvalidNumber, e164

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("13800138000", "CN", "+8613800138000"),
        ("+86 138-0013-8000", "CN", "+8613800138000"),
        ("008613800138000", "CN", "+8613800138000"),
        ("(415) 867-5309", "US", "+14158675309"),
        ("+14158675309", "CN", "+14158675309"),
    ],
)
def test_numbers_are_normalized_to_e164(raw, region, expected):
    assert e164(raw, region) == expected


@pytest.mark.parametrize("raw", ["12345", "not a number", "", "+86 1380013800"])
def test_invalid_numbers_are_refused_with_the_reason(raw):
    with pytest.raises(InvalidNumber) as refused:
        e164(raw, "CN")
    assert repr(raw) in str(refused.value)
