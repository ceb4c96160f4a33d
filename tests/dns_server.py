"""A DNS server stand-in on 127.0.0.1 (UDP, dnspython's message API) serving TXT records.

Stands in for the senders' DNS in tests: SPF, DKIM keys, DMARC records, so the email adapter's
sender checks ask a real DNS server over the wire and nothing reaches the internet. Names without
a record of their own get `default_spf` (when set) unless they are `_dmarc`/`_domainkey` names.
`failing = True` answers SERVFAIL to everything, as an unreachable resolver would look.
"""

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DnsStandIn:
    def __init__(self, default_spf: str = "") -> None:
        self.records: dict[str, list[str]] = {}
        self.default_spf = default_spf
        self.failing = False
        self.closing = False
        self.asked: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        """`ip:port`, as RELAYDESK_EMAIL_DNS takes it."""
        host, port = self.sock.getsockname()
        return f"{host}:{port}"

    def txt(self, name: str, *texts: str) -> None:
        """Serve `texts` as the TXT records at `name` (replacing any)."""
        self.records[name.lower().rstrip(".")] = list(texts)

    def close(self) -> None:
        # Closing a socket does not wake a thread blocked in recvfrom: a datagram does.
        self.closing = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", self.sock.getsockname())
        self.thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if self.closing:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            self.sock.sendto(self._answer(query).to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if self.failing:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.asked.append(name)
        texts = self.records.get(name)
        if texts is None and self.default_spf and not name.split(".")[0].startswith("_") and "._" not in name:
            texts = [self.default_spf]
        if texts is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            quoted = [" ".join(f'"{chunk}"' for chunk in _chunks(text)) for text in texts]
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", *quoted))
        return response


def _chunks(text: str, size: int = 250) -> list[str]:
    """A TXT record's character-strings (each at most 255 octets), as long keys need."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
