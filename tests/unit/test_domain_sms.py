"""SMS segments: what a text costs in GSM-7 or UCS-2 parts."""

import pytest

from domain.sms import segments

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("Your code is 1234", "gsm7", 1),
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("€" * 80, "gsm7", 1),  # two septets each: 160
        ("€" * 81, "gsm7", 2),
        ("您的退款已到账", "ucs2", 1),
        ("款" * 70, "ucs2", 1),
        ("款" * 71, "ucs2", 2),
        ("ok 😀", "ucs2", 1),
        ("😀" * 35, "ucs2", 1),  # 70 UTF-16 code units
        ("😀" * 36, "ucs2", 2),
    ],
)
def test_segments_follow_gsm7_and_ucs2_limits(text, encoding, count):
    assert (segments(text).encoding, segments(text).count) == (encoding, count)
