"""What the router does with a customer message, before any agent is chosen (pure).

Inputs are the conversation's state, the message's triage and whether people are at
work; the output says whether the FAQ answers, whether the closed-hours notice goes out,
and whether the request waits for a person. Security and complaint requests never get
`self_service` from triage, so they always reach a person.
"""

import msgspec


class Intake(msgspec.Struct, frozen=True):
    answer_from_faq: bool = False
    closed_notice: bool = False
    needs_person: bool = True
    """Queue the request (or keep it queued/assigned) for a person."""


def decide(
    status: str | None,
    self_service: bool,
    wants_person: bool,
    open_now: bool,
    notice_sent: bool,
    unverified: bool = False,
) -> Intake:
    """`status` is the open conversation's (None for a new one): bot, queued or assigned.

    - A message from a sender not verified (an email failing DMARC) is answered by nobody but
      a person: the bot would mail the FAQ or the notice to whoever the forged From names.

    - A new self-service question is answered by the FAQ; in business hours that is all
      (the conversation is bot-answered), outside them it also waits for people.
    - A follow-up to a bot answer goes to a person, and so does anyone who asks for one,
      is angry or has lost money: they get the FAQ answer too, but not only that.
    - Outside business hours every request waiting for a person gets one honest notice.
    """
    if status == "assigned" or unverified:
        return Intake()
    faq = status is None and self_service
    needs_person = not (faq and open_now) or wants_person
    notice = needs_person and not open_now and not notice_sent
    return Intake(answer_from_faq=faq, closed_notice=notice, needs_person=needs_person)


TRIAGED_KINDS = frozenset({"text", "voice", "link"})
"""Kinds whose text is the customer's own words (a voice message's is WeChat's transcript)."""
HUMAN_INTENT, FAQ_INTENT = "human", "faq:"


def words_of(kind: str, text: str) -> str:
    return text if kind in TRIAGED_KINDS else ""


def menu_intent(details: dict[str, str]) -> tuple[bool, str | None]:
    """(asks for a person, FAQ id) that a menu click carries."""
    intent = details.get("intent", "")
    return intent == HUMAN_INTENT, intent.removeprefix(FAQ_INTENT) if intent.startswith(FAQ_INTENT) else None
