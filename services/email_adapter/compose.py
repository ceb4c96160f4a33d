"""A reply as an email that threads in the customer's client (pure): subject token, ids, parts."""

import html
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import msgspec

MAX_REFERENCES = 20
"""Long threads keep the first and the latest ids, as RFC 5322 suggests trimming."""
_REPLY_PREFIX = re.compile(r"^\s*((re|回复|答复|aw|sv)\s*[:：]\s*)+", re.I)
_TOKEN = re.compile(r"\[#RD-[A-Z0-9]{4,12}\]", re.I)


class Thread(msgspec.Struct, frozen=True):
    """The customer's latest mail to us: what our reply answers."""

    message_id: str
    subject: str
    references: tuple[str, ...] = ()


def token(conversation_id: str) -> str:
    return f"RD-{conversation_id.replace('-', '')[:8].upper()}"


def reply_subject(thread: Thread | None, conversation_id: str) -> str:
    subject = _REPLY_PREFIX.sub("", thread.subject if thread else "").strip() or "您的咨询 / Your request"
    tag = f"[#{token(conversation_id)}]"
    return f"Re: {subject}" if _TOKEN.search(subject) else f"Re: {subject} {tag}"


def references(thread: Thread) -> list[str]:
    ids = [*thread.references, thread.message_id]
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return ids


class File(msgspec.Struct, frozen=True):
    filename: str
    content_type: str
    data: bytes


def compose(
    sender: str,
    to: str,
    text: str,
    conversation_id: str,
    message_id: str,
    thread: Thread | None,
    files: tuple[File, ...] = (),
) -> EmailMessage:
    """The reply: From and Reply-To the support address, Message-ID stable per reply (a resend
    is the same mail), In-Reply-To and References to the customer's mail, text and HTML parts."""
    mail = _addressed(sender, to, reply_subject(thread, conversation_id), message_id)
    mail["Reply-To"] = parseaddr(sender)[1]
    if thread:
        mail["In-Reply-To"] = f"<{thread.message_id}>"
        mail["References"] = " ".join(f"<{i}>" for i in references(thread))
    mail["Auto-Submitted"] = "no"
    mail.set_content(text, cte="quoted-printable")
    mail.add_alternative(_paragraphs(text), subtype="html", cte="quoted-printable")
    for file in files:
        maintype, _, subtype = (file.content_type or "application/octet-stream").partition("/")
        mail.add_attachment(file.data, maintype=maintype, subtype=subtype or "octet-stream", filename=file.filename)
    return mail


def compose_broadcast(
    sender: str, to: str, subject: str, text: str, html_body: str, message_id: str, unsubscribe_url: str
) -> EmailMessage:
    """A broadcast: no thread, marked bulk (so out-of-office replies stay away), with RFC 8058
    one-click List-Unsubscribe when the notifier gave a link."""
    mail = _addressed(sender, to, subject, message_id)
    mail["Precedence"] = "bulk"
    if unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(text, cte="quoted-printable")
    mail.add_alternative(html_body or _paragraphs(text), subtype="html", cte="quoted-printable")
    return mail


def _addressed(sender: str, to: str, subject: str, message_id: str) -> EmailMessage:
    """A mail from the support address with its subject, date and a Message-ID stable per message."""
    name, address = parseaddr(sender)
    domain = address.rpartition("@")[2] or "localhost"
    mail = EmailMessage()
    mail["From"] = Address(name, addr_spec=address) if name else address
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<rd-{message_id}@{domain}>"
    return mail


def _paragraphs(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return f"<!doctype html><html><body>{paragraphs}</body></html>"


def smtp_message_id(mail: EmailMessage) -> str:
    return mail["Message-ID"].strip("<> ")
