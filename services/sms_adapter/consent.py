"""SMS consent keywords (STOP, START, HELP and their Chinese forms) and the confirmation each gets (pure)."""

import re
import unicodedata
from enum import StrEnum


class Consent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


KEYWORDS = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT", "退订", "TD", "取消订阅"),
        Consent.OPT_OUT,
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP", "订阅", "恢复订阅"), Consent.OPT_IN),
    **dict.fromkeys(("HELP", "INFO", "帮助"), Consent.HELP),
}
_TRIM = re.compile(r"^[\W_]+|[\W_]+$")


def consent_keyword(text: str) -> Consent | None:
    """The consent a message gives when it is only a keyword (any case, width or punctuation)."""
    word = _TRIM.sub("", unicodedata.normalize("NFKC", text).strip()).upper()
    return KEYWORDS.get(word)


CONFIRMATIONS = {
    Consent.OPT_OUT: "您已退订，将不再收到我们的短信。回复“订阅”可恢复。"
    "You have been unsubscribed; reply START to resubscribe.",
    Consent.OPT_IN: "您已恢复订阅。回复“退订”可随时取消。You are subscribed again; reply STOP to unsubscribe.",
    Consent.HELP: "钱包客服：直接回复短信即可联系客服，回复“退订”取消订阅。"
    "Wallet support: reply to reach us, STOP to unsubscribe.",
}
