"""DMARC alignment and the sender verdict (pure), and reading a trusted Authentication-Results header."""

import pytest

from services.email_adapter.dmarc import Checks, Record, aligned, judge, organizational, parse_record
from services.email_adapter.sender_auth import trusted_results


@pytest.mark.parametrize(
    ("from_domain", "other", "mode", "expected"),
    [
        ("example.com", "example.com", "s", True),
        ("example.com", "mail.example.com", "r", True),
        ("news.example.com", "bounce.example.com", "r", True),
        ("example.com", "mail.example.com", "s", False),
        ("Example.COM.", "example.com", "s", True),
        ("example.com", "example.net", "r", False),
        ("example.com", "badexample.com", "r", False),
        ("shop.example.co.uk", "mail.example.co.uk", "r", True),  # public suffix co.uk
        ("a.co.uk", "b.co.uk", "r", False),  # two registrants under one public suffix
        ("alice.github.io", "bob.github.io", "r", False),  # a private suffix on the list
        ("example.com", "", "r", False),
        ("", "example.com", "r", False),
    ],
)
def test_alignment(from_domain, other, mode, expected):
    assert aligned(from_domain, other, mode) is expected


def test_organizational_domain():
    assert organizational("a.b.example.co.uk") == "example.co.uk"
    assert organizational("mail.wallet.cn") == "wallet.cn"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["v=DMARC1; p=reject"], Record("r", "r", "reject")),
        (["v=DMARC1; p=none; adkim=s; aspf=s"], Record("s", "s", "none")),
        (["v=spf1 -all", " V=dmarc1 ;P=Quarantine;ADKIM=s"], Record("s", "r", "quarantine")),
        (["v=DMARC1; p=reject; adkim=x"], Record("r", "r", "reject")),  # an unknown mode is relaxed
        ([], None),
        (["v=spf1 -all"], None),
        (["v=DMARC1; p=reject", "v=DMARC1; p=none"], None),  # two records: none (RFC 7489 6.6.3)
    ],
)
def test_parse_record(texts, expected):
    assert parse_record(texts) == expected


RECORD = Record()
STRICT = Record("s", "s", "reject")


@pytest.mark.parametrize(
    ("record", "checks", "verified", "warning"),
    [
        (RECORD, Checks("pass", "example.com", "none"), True, ""),
        (RECORD, Checks("fail", "example.com", "pass", ("mail.example.com",)), True, ""),
        (
            STRICT,
            Checks("pass", "bounce.example.com", "pass", ("mail.example.com",)),
            False,
            "spf=pass dkim=pass dmarc=fail",
        ),
        (RECORD, Checks("pass", "attacker.example", "none"), False, "spf=pass dkim=none dmarc=fail"),
        (
            RECORD,
            Checks("pass", "attacker.example", "pass", ("attacker.example",)),
            False,
            "spf=pass dkim=pass dmarc=fail",
        ),
        (RECORD, Checks("softfail", "example.com", "fail"), False, "spf=softfail dkim=fail dmarc=fail"),
        (None, Checks("pass", "example.com", "none"), True, ""),  # no DMARC record: aligned SPF still counts
        (None, Checks("pass", "attacker.example", "none"), False, "spf=pass dkim=none dmarc=none"),
        (None, Checks("none", "", "none"), False, "spf=none dkim=none dmarc=none"),  # a mailbox mail, unsigned
        (RECORD, Checks("temperror", "example.com", "none"), False, "spf=temperror dkim=none dmarc=temperror"),
        # A temporary failure that cannot change the outcome is no reason to defer.
        (RECORD, Checks("temperror", "example.com", "pass", ("example.com",)), True, ""),
    ],
)
def test_judge(record, checks, verified, warning):
    verdict = judge("example.com", record, checks)
    assert (verdict.verified, verdict.warning) == (verified, warning)


def test_a_record_lookup_that_failed_defers_only_an_unverified_mail():
    assert judge("example.com", None, Checks("fail", "example.com"), record_temperror=True).dmarc == "temperror"
    assert judge("example.com", None, Checks("pass", "example.com"), record_temperror=True).verified


def _mail(*results: str) -> bytes:
    head = "".join(f"Authentication-Results: {r}\r\n" for r in results)
    return (
        head + "From: a@example.com\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.trusted; dmarc=pass\r\n"
    ).encode()


def test_only_the_trusted_authserv_ids_topmost_results_are_read():
    raw = _mail(
        "mx.other; dmarc=pass header.from=example.com",
        "MX.Trusted; spf=fail smtp.mailfrom=x@bounce.example.com;\r\n\tdkim=pass header.d=example.com; dmarc=fail",
        "mx.trusted; dmarc=pass",  # lower down: added before our MTA saw the mail
    )
    dmarc, checks = trusted_results(raw, "mx.trusted")
    assert dmarc == "fail" and checks == Checks("fail", "bounce.example.com", "pass", ("example.com",))
    assert trusted_results(raw, "mx.absent") is None
    assert trusted_results(_mail(), "mx.trusted") is None  # one in the body is no header
    assert trusted_results(_mail("mx.trusted; ((("), "mx.trusted") is None  # unreadable: ignored
