"""Whether a mail's From domain is authenticated (pure): DMARC records, alignment, the verdict.

Policy (README, Email): a mail is *verified* when SPF or DKIM passes for a domain aligned
with its From domain (RFC 7489 3.1: relaxed = same organizational domain, strict = the same
name), in the mode the domain's DMARC record asks for, relaxed without one. That is a DMARC
pass where the domain publishes DMARC, and the same test where it does not: a domain with no
DMARC record whose mail is neither SPF- nor DKIM-aligned is not taken as its sender either.
A temporary DNS failure that could still change the outcome is `temperror` (answered 451).
"""

import msgspec
from publicsuffixlist import PublicSuffixList

_SUFFIXES = PublicSuffixList()  # the list the package ships: no download
PASS, FAIL, NONE, TEMPERROR = "pass", "fail", "none", "temperror"


class Record(msgspec.Struct, frozen=True):
    """The parts of a DMARC record alignment needs."""

    adkim: str = "r"
    aspf: str = "r"
    policy: str = "none"


class Checks(msgspec.Struct, frozen=True):
    """What SPF and DKIM said: results with the domains they vouch for."""

    spf: str = NONE
    spf_domain: str = ""
    """The MAIL FROM domain (or HELO name for a null sender) SPF checked."""
    dkim: str = NONE
    dkim_domains: tuple[str, ...] = ()
    """`d=` of every signature that verified."""


class Verdict(msgspec.Struct, frozen=True):
    spf: str
    dkim: str
    dmarc: str
    verified: bool

    @property
    def warning(self) -> str:
        """What agents are shown for an unverified sender, e.g. "spf=fail dkim=none dmarc=fail"."""
        return "" if self.verified else f"spf={self.spf} dkim={self.dkim} dmarc={self.dmarc}"


def parse_record(texts: list[str]) -> Record | None:
    """The DMARC record among a name's TXT strings; None when there is none or more than one (RFC 7489 6.6.3)."""
    found = [t for t in texts if t.strip().lower().startswith("v=dmarc1")]
    if len(found) != 1:
        return None
    tags = {}
    for part in found[0].split(";"):
        name, _, value = part.partition("=")
        tags[name.strip().lower()] = value.strip().lower()
    return Record(
        adkim="s" if tags.get("adkim") == "s" else "r",
        aspf="s" if tags.get("aspf") == "s" else "r",
        policy=tags.get("p", "none"),
    )


def organizational(domain: str) -> str:
    """The registered domain under its public suffix (`mail.example.co.uk` -> `example.co.uk`)."""
    domain = domain.strip().rstrip(".").lower()
    return _SUFFIXES.privatesuffix(domain) or domain


def aligned(from_domain: str, other: str, mode: str) -> bool:
    """RFC 7489 3.1: strict wants the same name, relaxed the same organizational domain."""
    a, b = from_domain.strip().rstrip(".").lower(), other.strip().rstrip(".").lower()
    if not a or not b:
        return False
    return a == b if mode == "s" else organizational(a) == organizational(b)


def judge(from_domain: str, record: Record | None, checks: Checks, record_temperror: bool = False) -> Verdict:
    """The verdict on a mail whose From domain is `from_domain` (see the module docstring)."""
    mode = record or Record()
    spf_ok = checks.spf == PASS and aligned(from_domain, checks.spf_domain, mode.aspf)
    dkim_ok = checks.dkim == PASS and any(aligned(from_domain, d, mode.adkim) for d in checks.dkim_domains)
    if spf_ok or dkim_ok:
        return Verdict(checks.spf, checks.dkim, PASS if record else NONE, True)
    if record_temperror or TEMPERROR in (checks.spf, checks.dkim):
        return Verdict(checks.spf, checks.dkim, TEMPERROR, False)
    return Verdict(checks.spf, checks.dkim, FAIL if record else NONE, False)


def domain_of(address: str) -> str:
    """The domain of an address, lower-cased; "" when it has none."""
    _, at, domain = address.rpartition("@")
    return domain.strip().rstrip(".").lower() if at else ""
