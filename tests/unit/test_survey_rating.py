"""What counts as a bare rating in reply to a satisfaction survey, and what is a new request."""

import pytest

from services.router.handlers.surveys import rating

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        (" 1 ", 1),
        ("５", 5),
        ("4分", 4),
        ("3 stars", 3),
        ("2/5", 2),
        ("五", 5),
        ("四星", 4),
        ("★★★", 3),
        ("⭐⭐⭐⭐⭐", 5),
        ("5!", 5),
        ("5。", 5),
    ],
)
def test_ratings(text, score):
    assert rating(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "6",
        "10",
        "55",
        "3 days ago my transfer failed",
        "5000 yuan is missing",
        "我的卡号 5",
        "★★★★★★",
        "help",
        "",
        "1-5",
        "五百块没到账",
    ],
)
def test_not_ratings(text):
    assert rating(text) is None
