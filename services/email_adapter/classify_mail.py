"""Whether a mail was written by a machine (pure): such mail never opens a conversation or gets an auto-reply."""

import re
from email.message import Message

from services.email_adapter.headers import addresses, header_text, raw_header, raw_headers

AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
ROBOT_MAILBOXES = {"mailer-daemon", "postmaster"}
_SUPPRESS = re.compile(r"\b(?:oof|all)\b", re.I)
_NULL_PATH = re.compile(r"\s*<\s*>\s*")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|自动回复|自動回覆|自动答复|undeliverable"
    r"|undelivered|系统退信|退信)\s*[:：]"
    r"|out of (?:the )?office(?:\s*auto-?reply)?\s*(?:[:：\-–(]|$)"
    r"|delivery status notification|undelivered mail returned to sender|mail delivery (?:failed|failure)"
    r"|returned mail\s*:|delivery failure|系统退信|退信通知)",
    re.I,
)
"""Anchored at the start and mostly needing the colon, so "Auto-reply not working" from a customer is not one."""


def is_auto_generated(msg: Message) -> bool:
    """True for auto-replies, out-of-office notes, bounces and bulk mail (RFC 3834 and what clients really send)."""
    auto_submitted = header_text(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted not in ("", "no"):
        return True
    if header_text(msg, "Precedence").strip().lower() in AUTO_PRECEDENCE:
        return True
    if any(raw_header(msg, name) is not None for name in ("X-Autoreply", "X-Autorespond", "X-Failed-Recipients")):
        return True
    if _SUPPRESS.search(header_text(msg, "X-Auto-Response-Suppress")):
        return True
    # A null reverse path is reserved for notifications (RFC 5321 4.5.5): bounces and auto-replies.
    if any(_NULL_PATH.fullmatch(path) for path in raw_headers(msg, "Return-Path")):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    sender = addresses(raw_headers(msg, "From"))
    if sender and sender[0][1].split("@")[0] in ROBOT_MAILBOXES:
        return True
    return bool(_AUTO_SUBJECT.match(header_text(msg, "Subject")))
