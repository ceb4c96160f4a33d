"""FAQ answers offered to the agent: the entries the router weighed for a customer's message (pure).

Below the auto-answer threshold an entry is not sure enough to go out alone, but a person who
reads the message can tell in a glance whether it fits; so the few best above a lower floor
are kept with the message and shown in the composer, in the customer's language.
"""

from contracts import FaqSuggestion as Suggestion
from services.router.triage.faq import FaqMatch

FLOOR = 0.45
"""Lowest score offered. On tests/data/triage_corpus.yaml, 27 of the 37 answerable messages the
auto-answer misses have their labelled entry among the three best above it (0.73; 0.40 gives 0.84),
and 72% of the messages with no answer get no suggestion at all (0.40: 60%): a chip that is
mostly wrong teaches agents to ignore the row."""
MOST = 3


def _cjk(text: str) -> bool:
    return any(char >= "\u3400" for char in text)


def question_in(questions: tuple[str, ...], language: str) -> str:
    """The entry's first phrasing in the customer's script (Chinese or not), else its first."""
    wanted = language == "zh"
    return next((q for q in questions if _cjk(q) == wanted), questions[0] if questions else "")


def pick(matches: list[FaqMatch], language: str, category: str) -> tuple[Suggestion, ...]:
    """At most MOST suggestions from ranked matches; a security incident only gets security entries,
    as triage decides for the auto-answer."""
    chosen = [m for m in matches if m.score >= FLOOR and (category != "security" or m.category == "security")]
    return tuple(
        Suggestion(
            m.id,
            question_in(m.questions, language),
            m.answer_en if language == "en" else m.answer_zh,
            round(m.score, 3),
        )
        for m in chosen[:MOST]
    )
