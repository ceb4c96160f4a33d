"""Masking, case by case: each kind of identifier in Chinese and English, and what must stay readable."""

import random
import re
from datetime import date, timedelta

import pytest

from shared.pii import ID_CHECK, ID_WEIGHTS, card_issuer_plausible, luhn_valid, mask, resident_id_valid

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # cards: solid, grouped by spaces or dashes, 15 to 19 digits, full-width digits
        ("我的卡号是6222021234567890128，谢谢", "我的卡号是***************0128，谢谢"),
        ("银行卡 6222 0212 3456 7890 128 被冻结了", "银行卡 **** **** **** ***0 128 被冻结了"),
        ("card 5555-5555-5555-4444 declined", "card ****-****-****-4444 declined"),
        ("Amex 3782 822463 10005", "Amex **** ****** *0005"),
        ("卡号６２２２０２１２３４５６７８９０１２８", "卡号***************０１２８"),
        ("paid 300 with 4111 1111 1111 1111", "paid 300 with **** **** **** 1111"),
        ("two cards: 4111 1111 1111 1111 5555 5555 5555 4444", "two cards: **** **** **** 1111 **** **** **** 4444"),
        ("卡号 1234567812345670", "卡号 ************5670"),  # labelled: a card whatever its issuer
        # resident IDs: inside Chinese sentences, X last, grouped 6-8-4
        ("我的身份证号是110101199003078515，", "我的身份证号是**************8515，"),
        ("身份证号码：11010519491231002x。", "身份证号码：**************002x。"),
        ("ID card 110101 19900307 8515 please", "ID card ****** ******** 8515 please"),
        # mainland mobiles with and without country code
        ("手机号13912345678", "手机号*******5678"),
        ("请打 139-1234-5678 或 139 8765 4321", "请打 ***-****-5678 或 *** **** 4321"),
        ("电话+86 138 1234 5678。", "电话+** *** **** 5678。"),
        ("call 0086-13812345678 or (+86) 13912345678", "call ****-*******5678 or (+**) *******5678"),
        ("my mobile is 8613812345678.", "my mobile is *********5678."),
        # landlines with a visible area code
        ("座机010-62345678", "座机***-****5678"),
        ("office (0755) 8765 4321", "office (****) **** 4321"),
        ("总部 +86 21 6234 5678", "总部 +** ** **** 5678"),
        # international E.164
        ("reach me at +1 (415) 555-0132", "reach me at +* (***) ***-0132"),
        ("London +44 20 7946 0958, Singapore +6591234567", "London +** ** **** 0958, Singapore +******4567"),
        # emails, also glued to Chinese and with the full-width at sign
        ("邮箱wang.li@example.com，谢谢", "邮箱w***@example.com，谢谢"),
        ("mail Zhang_San+shop@mail.example.com.cn", "mail Z***@mail.example.com.cn"),
        ("QQ邮箱13812345678@qq.com", "QQ邮箱1***@qq.com"),
        ("邮件发到 li＠example.cn", "邮件发到 l***＠example.cn"),
    ],
)
def test_each_kind_is_masked_to_its_last_characters(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号 2026112400123456789 还没发货",  # fails Luhn
        "订单号：6222021234567890128",  # Luhn-valid, but called an order number
        "order no. 4111111111111111 shipped",
        "交易流水号 4200001234202611241234567890",  # WeChat Pay transaction id: too long for a card
        "transaction TX4111111111111111 failed",  # glued to letters: an id, not a card
        "退款¥1,234.56，另付12000元，共计 13,812,345,678 元",
        "balance +12,345.67 after 3.14159265358979323",
        "on 2026-11-24 10:30:00, and 2026/11/24, and 20261124",
        "timestamp 1732435200000 and 1732435200",  # epoch millis start like no card
        "ref 20261124103000123 paid",  # date-led
        "id 110101199003078516",  # wrong check digit
        "id 110101199002308515",  # no such birth date (30 February)
        "id 001101199003078515",  # no such province
        "客服热线 400-820-8820，银行 95588",  # service numbers are not personal
        "number 13812345678901 is too long for a phone",
        "金额13812345678.50元",
        "version 2.4.1, build 4411, room 1302, 5 items",
        "write to me at support@, or x@y",
        "",
        "没有数字，也没有邮箱。",
    ],
)
def test_what_is_not_an_identifier_stays_readable(text):
    assert mask(text) == text


def test_masking_twice_changes_nothing_more():
    text = "卡号6222021234567890128，身份证110101199003078515，手机+86 138-1234-5678，邮箱wang.li@example.com"
    assert mask(mask(text)) == mask(text)


def test_a_card_label_nearer_than_an_order_label_wins():
    text = "订单号 2026112400123456789 付款卡号 6222021234567890128"
    assert mask(text) == "订单号 2026112400123456789 付款卡号 ***************0128"


def test_issuers():
    assert all(card_issuer_plausible(n) for n in ["4111", "5555", "2221", "2720", "3782", "6222", "8171", "9558"])
    assert not any(card_issuer_plausible(n) for n in ["1732", "2026", "2100", "7000", "0086", "9000"])
    assert resident_id_valid("110101199003078515") and resident_id_valid("１１０１０１１９９００３０７８５１５")


# Seeded random identifiers in every written form, inside Chinese and English sentences.
SEEDS = range(300)
TEMPLATES = ["我的{}，谢谢", "请核对 {} 这个", "my {} please", "{}", "（{}）", "this: {}."]
ISSUERS = ["4", "51", "55", "2221", "2720", "34", "37", "62", "6011", "3528", "9558"]


def _luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def _resident_id(rng: random.Random) -> str:
    region = rng.choice(["110101", "310104", "440305", "510107", "650102"])
    born = (date(1940, 1, 1) + timedelta(days=rng.randrange(30000))).strftime("%Y%m%d")
    body = region + born + f"{rng.randrange(1000):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=False)) % 11]


def _grouped(rng: random.Random, number: str, sizes: list[int]) -> str:
    separator, parts, at = rng.choice(["", " ", "-"]), [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return separator.join(parts + ([number[at:]] if at < len(number) else []))


def _identifier(rng: random.Random) -> tuple[str, str]:
    """(label and number as a customer writes it, its digits)."""
    kind = rng.choice(["card", "id", "mobile"])
    if kind == "card":
        number = _luhn_complete(rng, rng.choice(ISSUERS), rng.choice([16, 16, 17, 18, 19]))
        return rng.choice(["卡号", "card ", ""]) + _grouped(rng, number, [4, 4, 4, 4]), number
    if kind == "id":
        number = _resident_id(rng)
        return rng.choice(["身份证", "ID ", ""]) + _grouped(rng, number, [6, 8]), number
    number = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    prefix = rng.choice(["", "+86 ", "0086-", "86"])
    return rng.choice(["手机", "phone ", ""]) + prefix + _grouped(rng, number, [3, 4]), number


@pytest.mark.parametrize("seed", SEEDS)
def test_random_identifiers_keep_only_their_last_four(seed):
    rng = random.Random(seed)
    written, digits = _identifier(rng)
    masked = mask(rng.choice(TEMPLATES).format(written))
    shown = re.sub(r"\D", "", masked.replace("X", "").replace("x", ""))
    assert shown == re.sub(r"\D", "", digits[-4:]), masked


@pytest.mark.parametrize("seed", SEEDS)
def test_random_order_numbers_and_timestamps_stay(seed):
    rng = random.Random(seed)
    day = (date(2020, 1, 1) + timedelta(days=rng.randrange(3000))).strftime("%Y%m%d")
    order = day + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 11)))
    millis = str(rng.randrange(1_500_000_000_000, 1_900_000_000_000))
    labelled = _luhn_complete(rng, rng.choice(ISSUERS), 19)
    text = (
        f"订单号 {order}，下单时间 {millis}；order no. {labelled}; ¥{rng.randrange(10**7):,}.{rng.randrange(100):02d}"
    )
    assert mask(text) == text
