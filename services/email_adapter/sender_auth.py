"""Who really sent a mail: SPF and DKIM over DNS, or a trusted MTA's Authentication-Results, then DMARC.

The checks block (pyspf and dkimpy are synchronous), so they run in a worker thread. The DNS
server asked is the configured one (`email_dns`), else the system resolver. With
`email_trust_authres` set, the topmost Authentication-Results header carrying that authserv-id
is believed (the MTA that adds it must drop such headers arriving from outside, RFC 8601 5);
headers with any other id are ignored. A mail read from a mailbox has no client address, so its
SPF is `none` unless such a header says otherwise.
"""

import asyncio
import email.parser
import email.policy
from functools import partial

import authres
import dkim
import dns.exception
import dns.name
import dns.resolver
import msgspec
import spf

from services.email_adapter.dmarc import (
    NONE,
    PASS,
    TEMPERROR,
    Checks,
    Record,
    Verdict,
    domain_of,
    judge,
    organizational,
    parse_record,
)

LOOKUP_TIMEOUT = 5.0
"""Seconds one DNS question may take before it is a temporary failure."""
MAX_SIGNATURES = 5
"""DKIM signatures tried per mail: each costs a key lookup and a hash of the body."""
_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


class CheckUnavailable(Exception):
    """DNS failed in a way that could change the verdict: the sender should retry later."""


class Client(msgspec.Struct, frozen=True):
    """What the SMTP session knows about the sending host."""

    ip: str = ""
    helo: str = ""
    mail_from: str = ""


class SenderCheck:
    def __init__(self, dns_server: str = "", trusted_authserv: str = "", timeout: float = LOOKUP_TIMEOUT):
        self.resolver = resolver(dns_server, timeout)
        self.trusted = trusted_authserv.strip().lower()
        # pyspf asks DNS through this module-level hook; one SenderCheck per process sets it.
        spf.DNSLookup = partial(_spf_lookup, self.resolver)

    async def verdict(self, raw: bytes, from_address: str, client: Client | None) -> Verdict:
        """The verdict on `raw`, whose From is `from_address`; raises CheckUnavailable on temperror."""
        verdict = await asyncio.to_thread(self._verdict, raw, from_address, client)
        if verdict.dmarc == TEMPERROR:
            raise CheckUnavailable(verdict.warning)
        return verdict

    def _verdict(self, raw: bytes, from_address: str, client: Client | None) -> Verdict:
        from_domain = domain_of(from_address)
        if not from_domain:
            return Verdict(NONE, NONE, NONE, False)
        trusted = trusted_results(raw, self.trusted) if self.trusted else None
        if trusted is not None and trusted[0]:  # the MTA did DMARC itself: its word
            dmarc_result, checks = trusted
            return Verdict(checks.spf, checks.dkim, dmarc_result, dmarc_result == PASS)
        checks = trusted[1] if trusted is not None else self._checks(raw, client)
        record, record_temperror = self._record(from_domain)
        return judge(from_domain, record, checks, record_temperror)

    def _checks(self, raw: bytes, client: Client | None) -> Checks:
        spf_result, spf_domain = NONE, ""
        if client is not None and client.ip:
            spf_domain = domain_of(client.mail_from) or client.helo.lower()
            spf_result, _code, _why = spf.query(
                client.ip, client.mail_from, client.helo, timeout=LOOKUP_TIMEOUT
            ).check()
        dkim_result, domains = self._dkim(raw)
        return Checks(spf_result, spf_domain, dkim_result, domains)

    def _dkim(self, raw: bytes) -> tuple[str, tuple[str, ...]]:
        """(result, the d= of every signature that verified)."""
        try:
            signed = dkim.DKIM(raw, timeout=int(LOOKUP_TIMEOUT))
        except dkim.DKIMException:
            return "fail", ()
        count = sum(1 for name, _ in signed.headers if name.lower() == b"dkim-signature")
        verified, temporary = [], False
        for index in range(min(count, MAX_SIGNATURES)):
            try:
                if signed.verify(index, dnsfunc=self._txt):
                    verified.append(signed.domain.decode("ascii", "replace").lower())
            except dkim.DnsTimeoutError:
                temporary = True
            except dkim.DKIMException:
                pass  # a malformed signature or key: that signature fails
        if verified:
            return PASS, tuple(verified)
        return (TEMPERROR if temporary else "fail" if count else NONE), ()

    def _txt(self, name: bytes | str, timeout: float = LOOKUP_TIMEOUT) -> bytes | None:
        """dkimpy's DNS hook: the first TXT record's strings joined, None for none."""
        texts = self._lookup_txt(name.decode("ascii") if isinstance(name, bytes) else name)
        if texts is None:
            raise dkim.DnsTimeoutError("DNS unavailable")
        return texts[0] if texts else None

    def _record(self, domain: str) -> tuple[Record | None, bool]:
        """The DMARC record of the domain, else of its organizational domain (RFC 7489 6.6.3); temperror?"""
        for name in dict.fromkeys([domain, organizational(domain)]):
            texts = self._lookup_txt(f"_dmarc.{name}")
            if texts is None:
                return None, True
            record = parse_record([t.decode("utf-8", "replace") for t in texts])
            if record is not None:
                return record, False
        return None, False

    def _lookup_txt(self, name: str) -> list[bytes] | None:
        """Every TXT record at `name`, its strings joined; [] for none; None when DNS did not answer."""
        try:
            answer = self.resolver.resolve(name, "TXT", raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong):
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration):
            return None
        return [b"".join(r.strings) for r in answer] if answer.rrset is not None else []


def resolver(server: str, timeout: float) -> dns.resolver.Resolver:
    """A resolver asking `ip:port`, or the system's when `server` is empty."""
    made = dns.resolver.Resolver(configure=not server)
    if server:
        host, _, port = server.rpartition(":")
        made.nameservers, made.port = [host.strip("[]")], int(port)
    made.lifetime = made.timeout = timeout
    return made


def _spf_lookup(resolver: dns.resolver.Resolver, name: str, qtype: str, strict=True, timeout=LOOKUP_TIMEOUT):
    """pyspf's DNS hook (its dnspython one, on our resolver): [((name, type), value), ...]."""
    try:
        answer = resolver.resolve(name, qtype, raise_on_no_answer=False, lifetime=timeout)
    except dns.resolver.NXDOMAIN:
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
        raise spf.TempError(f"DNS {type(exc).__name__}") from None
    found = []
    for rdata in answer.rrset or ():
        if qtype in ("A", "AAAA"):
            found.append(((name, qtype), rdata.address))
        elif qtype == "MX":
            found.append(((name, qtype), (rdata.preference, rdata.exchange)))
        elif qtype == "PTR":
            found.append(((name, qtype), rdata.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            found.append(((name, qtype), rdata.strings))
    return found


def trusted_results(raw: bytes, authserv_id: str) -> tuple[str, Checks] | None:
    """(dmarc result or "", SPF/DKIM checks) from the topmost Authentication-Results by `authserv_id`."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for value in _HEADERS.parsebytes(head).get_all("Authentication-Results") or []:
        try:
            header = authres.parse_value(" ".join(str(value).split()))
        except (authres.AuthResError, ValueError):
            continue
        if str(header.authserv_id).lower() != authserv_id:
            continue  # someone else's claim, maybe the sender's own: ignored
        return _read_results(header.results)
    return None


def _read_results(results: list) -> tuple[str, Checks]:
    found = {"dmarc": "", "spf": NONE, "dkim": NONE}
    spf_domain, dkim_domains = "", []
    for result in results:
        method, value = str(result.method).lower(), str(result.result).lower()
        props = {f"{p.type}.{p.name}".lower(): str(p.value) for p in result.properties}
        if method == "spf" and found["spf"] != PASS:
            found["spf"], spf_domain = value, domain_of(props.get("smtp.mailfrom", "")) or props.get("smtp.helo", "")
        elif method == "dkim":
            if value == PASS:
                dkim_domains.append(props.get("header.d", "").lower())
            if found["dkim"] != PASS:
                found["dkim"] = value
        elif method == "dmarc" and not found["dmarc"]:
            found["dmarc"] = value
    return found["dmarc"], Checks(found["spf"], spf_domain, found["dkim"], tuple(dkim_domains))
