"""The router's first decision on a message: what it is, how pressing, and whether the FAQ answers it.

`triage` is the one code path behind `relaydesk classify` and the router service.
"""

from datetime import datetime

import msgspec

from domain.hours import BusinessHours, closed_reply
from services.router.domain.suggestions import FLOOR, MOST, Suggestion, pick
from services.router.triage.category_rules import Category, Language, Priority, Rules, load_rules
from services.router.triage.classify import classify
from services.router.triage.faq import KnowledgeBase, load_kb
from shared.datafile import load_hours


class Triage(msgspec.Struct, frozen=True):
    """Classification plus the FAQ decision for one message."""

    category: Category
    priority: Priority
    language: Language
    faq_id: str | None
    faq_score: float
    self_service: bool
    asks_human: bool = False
    angry: bool = False
    money_lost: bool = False
    suggestions: tuple[Suggestion, ...] = ()
    """FAQ answers an agent may send (suggestions.py); the auto-answer, if any, is the first."""


def triage(text: str, rules: Rules, kb: KnowledgeBase) -> Triage:
    """Classify `text` and decide whether an FAQ answer may go out without a person."""
    seen = classify(text, rules)
    # One ranking serves both: the best entry is the auto-answer when it reaches the threshold.
    ranked = kb.ranked(text, min(FLOOR, kb.threshold), MOST)
    match = ranked[0] if ranked and ranked[0].score >= kb.threshold else None
    # A security incident gets a security article or none: a routine answer ("how to reset your
    # password") to "someone logged in and changed my password" would read as a brush-off.
    if match is not None and seen.category == "security" and match.category != "security":
        match = None
    self_service = (
        match is not None
        and seen.category in rules.self_service
        and match.category in rules.self_service
        and not seen.asks_human
    )
    return Triage(
        seen.category,
        seen.priority,
        seen.language,
        match.id if match else None,
        match.score if match else 0.0,
        self_service,
        seen.asks_human,
        seen.angry,
        seen.money_lost,
        pick(ranked, seen.language, seen.category),
    )


class Triager(msgspec.Struct, frozen=True):
    """Rules, FAQ and business hours, loaded once at start and shared by every message."""

    rules: Rules
    kb: KnowledgeBase
    hours: BusinessHours

    @classmethod
    def from_paths(cls, rules: str | None = None, kb: str | None = None, hours: str | None = None) -> "Triager":
        """Load the three files; None or "" means the shipped default. Raises DataFileError."""
        return cls(load_rules(rules), load_kb(kb), load_hours(hours))

    def triage(self, text: str) -> Triage:
        return triage(text, self.rules, self.kb)

    def closed_reply(self, at: datetime, language: str) -> str | None:
        """The out-of-hours auto-reply for a message arriving at `at`, or None while people are working."""
        if self.hours.is_open(at):
            return None
        return closed_reply(self.hours.next_open(at), language)
