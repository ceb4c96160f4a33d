"""Masking customer data in text agents read: card, resident ID and phone numbers, emails.

Rules (each pass runs over the text the previous one left; masked digits become `*`):
1. Emails: `local@domain` (also with the full-width `＠`) keep the local part's first
   character and the domain: `w***@example.com`. Runs first, so `13812345678@163.com` reads
   `1***@163.com` rather than a phone number glued to a domain.
2. Resident IDs (GB 11643): 18 characters, optionally grouped 6-8-4 by spaces or dashes, with a
   province code (11-65, 71, 81-83; 9x for foreigners' permanent residence), a real birth date
   (YYYYMMDD, 1900-2099) and the check character (X/x last); kept: the last 4. Found inside
   Chinese sentences too; never inside a longer number or a word.
3. Cards: 13-19 digits, Luhn-valid, issued by a real scheme (3, 4, 5, 6, Mastercard 2221-2720,
   Mir 2200-2204, UnionPay 81, the old domestic 95 cards), written solid or in groups joined
   by single spaces, dashes, dots or slashes (one kind per number, so "400-820-8820 95588" is
   two; dots and slashes only in three groups or more, so `1234567890123.45` stays a figure),
   or digit by digit with spaces (`6 2 2 2 0 2 1 2 …`);
   kept: the last 4, separators as written. A label just before the number settles doubtful
   cases: "卡号/银行卡/账号/card/account" makes any Luhn-valid number a card, "订单号/流水号/
   交易号/order/txn/ref…" makes it an order or transaction number. A run of groups longer
   than a card is searched for whole groups that make one ("two cards 4111 1111 1111 1111
   5555 5555 5555 4444").
4. Phones; kept: the last 4. Mainland mobiles `1[3-9]` + 9 digits, with +86 / 0086 / 86 and
   spaces, dashes or dots (3-4-4: `138.1234.5678`), the first three bracketed (`(138)12345678`,
   `+86 (138) 1234-5678`) or spaced digit by digit; landlines only with a visible area code: `010-12345678`,
   `(0755) 8765 4321`, or after +86 / 0086; international numbers in E.164 form, `+` and
   8-15 digits, grouped by spaces, dashes or a bracketed area code. Service numbers (400-,
   95588) are not personal and stay.
Left alone: numbers glued to letters (transaction ids like `TX2026…`), amounts (`¥1,234.56`,
`12000元`: digits around a comma or decimal point are a figure), dates, times, timestamps and
date-led order numbers (`1732435200000`, `2026112400…` start like no card), and any number
that fails its checksum.

Digits may be ASCII or full-width (`６２２２…`, `（１３８）`): Chinese input methods type both;
a text with full-width digits is matched in its ASCII form and masked where it stands.
5. Names (`mask(text, names)`): where the customer's name is known, each occurrence keeps the
   first character of each word: `张三` -> `张*`, `John Smith` -> `J*** S****` (the whole name
   in any case; for a Latin name also each capitalised part of 3 letters or more, `Smith`).
Every pattern is compiled once here; `mask` is a handful of C-level scans per message.
"""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

_NOT_AFTER = r"(?<![\dA-Za-z+])(?<!\d[.,])"  # not glued to a word, a longer number or a decimal
_NOT_BEFORE = r"(?![\dA-Za-z])(?![.,]\d)"
CARD = re.compile(rf"(?=\d){_NOT_AFTER}\d++(?:([ ./-])\d++(?:\1\d++)*+)?+{_NOT_BEFORE}")  # one separator kind
CN_RESIDENT_ID = re.compile(rf"(?=\d){_NOT_AFTER}\d{{6}}[ -]?\d{{8}}[ -]?\d{{3}}[\dXxＸｘ]{_NOT_BEFORE}")
_CN_PREFIX = r"\(?(?:\+|00)86\)?[ -]?"
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LOCAL = r"[2-9]\d{2,3}[ -]?\d{4}"
PHONE = re.compile(
    rf"(?=[\d+(]){_NOT_AFTER}(?:"  # the look-ahead first: most positions fail on it at once
    rf"(?:{_CN_PREFIX}|86[ -]?)?(?:1[3-9]\d|\(1[3-9]\d\))(?:[ -]?\d{{4}}[ -]?|\.\d{{4}}\.)\d{{4}}"  # mainland mobile
    rf"|{_CN_PREFIX}\(?0?{_AREA}\)?[ -]?{_LOCAL}|\(0{_AREA}\)[ -]?{_LOCAL}|0{_AREA}[ -]{_LOCAL}"  # landline
    r"|(?P<intl>\+[1-9]\d*+(?:[ -](?:\(\d{1,4}\)|\d++)){0,6}+)"  # E.164, digits counted below
    rf"){_NOT_BEFORE}"
)
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*+"
    r"([@＠](?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})(?![A-Za-z0-9-])"
)
_LABEL_SUFFIX = r"(?:[\s.:：#＃=]|no|number|num|id|号|码|是|为|尾号|编号)*$"
CARD_LABEL = re.compile(rf"(?:卡|账号|账户|(?<![a-z])(?:card|account|acct)){_LABEL_SUFFIX}", re.I)
ORDER_LABEL = re.compile(
    rf"(?:订单|单号|流水|交易号|编号|凭证|参考号|批次|工单|商户号|"
    rf"(?<![a-z])(?:order|txn|transaction|trade|tracking|invoice|ref|reference|serial|batch)){_LABEL_SUFFIX}",
    re.I,
)
LABEL_REACH = 24  # characters before a number searched for its label
_DIGIT = re.compile(r"\d")
_GROUP = re.compile(r"\d+")

_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_REGIONS = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
        "97",
        "98",
        "99",
    ]
)


def _plain(number: str) -> str:
    """ASCII digits (and X) only: full-width forms folded, separators dropped."""
    if not number.isascii():
        number = unicodedata.normalize("NFKC", number)
    return number.translate(_SEPARATORS)


_SEPARATORS = str.maketrans("", "", " -./")
_WIDE_DIGIT = re.compile("[０-９]")
_FOLD = str.maketrans("０１２３４５６７８９（）＋－．／\u3000", "0123456789()+-./ ")
"""Full-width digits and the punctuation written with them, one for one (lengths are kept)."""
_MOBILE = re.compile(r"1[3-9]\d{9}")


def luhn_valid(digits: str) -> bool:
    """The Luhn check; every other digit from the right is doubled (its digits summed)."""
    doubled = map(_LUHN_DOUBLED.__getitem__, map(int, digits[-2::-2]))
    return (sum(map(int, digits[-1::-2])) + sum(doubled)) % 10 == 0


def resident_id_valid(number: str) -> bool:
    """An 18-character Chinese resident ID: province code, real birth date, GB 11643 checksum."""
    number = _plain(number)
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in ID_REGIONS:
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return 1900 <= born.year <= 2099 and ID_CHECK[total % 11] == number[17].upper()


def card_issuer_plausible(digits: str) -> bool:
    """Starts like a number some card scheme issues (see rule 3)."""
    if digits[0] in "3456":
        return True
    head = int(digits[:4])
    return 2221 <= head <= 2720 or 2200 <= head <= 2204 or digits[:2] in ("81", "95")


def _keep_last(text: str, keep: int) -> str:
    """Every digit but the last `keep` as `*`; separators, `+` and brackets stay as written."""
    digits_seen, out = 0, []
    for char in reversed(text):
        if char.isdigit() or char in "XxＸｘ":
            digits_seen += 1
            out.append(char if digits_seen <= keep else "*")
        else:
            out.append(char)
    return "".join(reversed(out))


def _label(match: re.Match) -> str:
    """ "card", "order" or "": what the words just before a number call it."""
    before = match.string[max(0, match.start() - LABEL_REACH) : match.start()]
    if CARD_LABEL.search(before):
        return "card"
    return "order" if ORDER_LABEL.search(before) else ""


def _card(match: re.Match) -> str:
    """Mask the cards in a run of digit groups: the whole run, or whole consecutive groups of it."""
    run = match.group()
    if len(run) < 13:
        return run
    groups = [g.span() for g in _GROUP.finditer(run)]
    digits, offsets = _plain(run), [0]
    if len(groups) == len(digits):  # spaced digit by digit: one number or nothing
        return _spaced(match, digits)
    if match.group(1) in (".", "/") and len(groups) < 3:
        return run  # a decimal figure or a fraction, not a grouped number
    for start, end in groups:
        offsets.append(offsets[-1] + end - start)
    label, out, done, i = None, [], 0, 0
    while i < len(groups):
        ends = []
        for j in range(i, len(groups)):
            length = offsets[j + 1] - offsets[i]
            if length > 19 or (j > i and groups[j - 1][1] - groups[j - 1][0] < 3):
                break  # too long, or grouped like no card (only the last group may be short)
            if length >= 13:
                ends.append(j)
        for j in reversed(ends):  # the longest card starting at group i
            number = digits[offsets[i] : offsets[j + 1]]
            if not luhn_valid(number):
                continue
            label = _label(match) if label is None else label  # looked up only for Luhn-valid numbers
            if label == "card" or (label == "" and card_issuer_plausible(number)):
                out += [run[done : groups[i][0]], _keep_last(run[groups[i][0] : groups[j][1]], 4)]
                done, i = groups[j][1], j
                break
        i += 1
    return "".join(out) + run[done:] if out else run


def _spaced(match: re.Match, digits: str) -> str:
    """A number typed digit by digit: masked if it is a card (as in _card) or a mainland mobile."""
    run = match.group()
    if _MOBILE.fullmatch(digits):
        return _keep_last(run, 4)
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        label = _label(match)
        if label == "card" or (label == "" and card_issuer_plausible(digits)):
            return _keep_last(run, 4)
    return run


def _resident_id(match: re.Match) -> str:
    return _keep_last(match.group(), 4) if resident_id_valid(match.group()) else match.group()


def _phone(match: re.Match) -> str:
    if match.group("intl") and not 8 <= len(_DIGIT.findall(match.group())) <= 15:
        return match.group()
    return _keep_last(match.group(), 4)


def mask(text: str, names: Iterable[str] = ()) -> str:
    """The text with identifiers masked; valid ones only, so order numbers stay readable.

    `names` are the customer's known names (the profile's, the contact's), masked wherever they occur.
    """
    if "@" in text or "＠" in text:
        text = EMAIL.sub(r"\1***\2", text)
    if _DIGIT.search(text) is not None:
        text = _numbers(text)
    for name in names:
        if pattern := _name_pattern(name):
            text = pattern.sub(_name, text)
    return text


def _numbers(text: str) -> str:
    if _WIDE_DIGIT.search(text) is None:
        return PHONE.sub(_phone, CARD.sub(_card, CN_RESIDENT_ID.sub(_resident_id, text)))
    # Matched in ASCII form, masked where it stands: every pass keeps the length.
    folded = text.translate(_FOLD)
    masked = PHONE.sub(_phone, CARD.sub(_card, CN_RESIDENT_ID.sub(_resident_id, folded)))
    return "".join(o if m == f else m for o, f, m in zip(text, folded, masked, strict=True))


_NAME_CHARS = re.compile(r"(?<=\w)\w")
_LATIN_PART = re.compile(r"[A-Z][A-Za-z'-]{2,}")


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern | None:
    """What finds one name in text (see rule 5); None for a name too short to mask safely."""
    name = " ".join(name.split())
    if len(name) < 2 or any(c.isdigit() or c == "@" for c in name):
        return None
    if name.isascii():
        whole = r"\s+".join(map(re.escape, name.split()))
        parts = [re.escape(p) for p in _LATIN_PART.findall(name) if p != name]
        found = rf"(?i:{whole})" + "".join(f"|{p}" for p in parts)
        return re.compile(rf"(?<![A-Za-z])(?:{found})(?![A-Za-z])")
    return re.compile(re.escape(name))


def _name(match: re.Match) -> str:
    return _NAME_CHARS.sub("*", match.group())
