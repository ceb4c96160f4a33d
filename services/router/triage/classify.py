"""What a customer's message is about, how pressing it is, and in which language to answer.

Weighted terms per category (Chinese matched as substrings, English on stemmed, spell-corrected
words) are summed; the best category wins if it reaches the rules' `min_score`, else `other`.
Priority starts from the category and is raised by signals (money lost, anger); a plain
how-do-I question about an account is not an account *problem* and drops to normal.
"""

from typing import cast

import msgspec

from domain.priority import rank
from services.router.triage.category_rules import (
    CATEGORIES,
    Category,
    Language,
    Priority,
    PriorityRules,
    Rules,
    load_rules,
)
from services.router.triage.text import Text, analyze

__all__ = ["Classification", "classify", "load_rules"]


class Classification(msgspec.Struct, frozen=True):
    """The category, priority and language of one message, and what it signals."""

    category: Category
    priority: Priority
    language: Language
    asks_human: bool = False
    angry: bool = False
    money_lost: bool = False


def classify(text: str, rules: Rules) -> Classification:
    """Classify one message with precompiled rules."""
    analyzed = analyze(text, rules.speller)
    scores: dict[str, float] = {}
    signals: set[str] = set()
    question = problem = False
    for term_id in rules.matcher.hits(analyzed):
        for kind, name, weight in rules.effects[term_id]:
            if kind == "category":
                scores[name] = scores.get(name, 0.0) + weight
            elif kind == "signal":
                signals.add(name)
            elif kind == "question":
                question = True
            else:
                problem = True
    category = _category(scores, rules)
    priority = _priority(category, signals, question and not problem, rules.source.priority)
    return Classification(
        category,
        priority,
        language(analyzed, rules.source.default_language),
        "asks_human" in signals,
        "angry" in signals,
        "money_lost" in signals,
    )


def _category(scores: dict[str, float], rules: Rules) -> Category:
    if not scores:
        return "other"
    last = len(CATEGORIES)
    best = max(scores, key=lambda category: (scores[category], -rules.tie_rank.get(category, last)))
    # Scores are keyed by the names of "category" effects: keys of the rules file's `categories`,
    # which msgspec validated as Category when it loaded the file.
    return cast(Category, best) if scores[best] >= rules.source.min_score else "other"


def _priority(category: Category, signals: set[str], plain_question: bool, rules: PriorityRules) -> Priority:
    priority = rules.category.get(category, rules.default)
    questions = rules.questions
    if plain_question and questions and category in questions.categories and "money_lost" not in signals:
        priority = questions.priority
    for signal, floor in rules.at_least.items():  # the most pressing floor among the signals wins
        if signal in signals and rank(floor) < rank(priority):
            priority = floor
    return priority


def language(text: Text, default: Language) -> Language:
    """zh when CJK characters at least match Latin words in number: "我的transfer没到账" is Chinese."""
    latin = sum(1 for word in text.words if not word.isdigit())
    if not text.cjk_chars and not latin:
        return default
    return "zh" if text.cjk_chars >= latin else "en"
