"""Classification rules: the YAML format (documented in data/rules.yaml), validated and precompiled."""

from collections import Counter
from pathlib import Path
from typing import Literal, get_args

import msgspec

from contracts import Category
from domain.priority import Priority
from services.router.triage.text import Speller, Text, fold, latin_words, make_speller
from shared.datafile import DataFileError, load

DATA_DIR = Path(__file__).parent.parent / "data"
"""The rules and the FAQ shipped with the router."""

Language = Literal["zh", "en"]
Signal = Literal["asks_human", "angry", "money_lost"]

CATEGORIES: tuple[Category, ...] = get_args(Category)
NEVER_SELF_SERVICE = frozenset({"security", "complaint"})
"""Always reach a person, whatever a rules file says: a wrong canned answer here costs money or trust."""

Terms = tuple[str, ...]


class Questions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A plain how-do-I question in `categories` is not a problem: it gets `priority`, unless it names one."""

    categories: tuple[Category, ...]
    priority: Priority
    terms: Terms
    unless: Terms = ()


class PriorityRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    default: Priority = "normal"
    category: dict[Category, Priority] = {}
    at_least: dict[Signal, Priority] = {}
    questions: Questions | None = None


class RulesFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The rules file as written."""

    categories: dict[Category, dict[str, float]]
    signals: dict[Signal, Terms] = {}
    priority: PriorityRules = PriorityRules()
    min_score: float = 2.0
    tie_order: tuple[Category, ...] = CATEGORIES
    self_service: tuple[Category, ...] = ()
    default_language: Language = "zh"


Effect = tuple[str, str, float]
"""What a matched term does: ("category", name, weight), ("signal", name, 0) or ("question"|"unless", "", 0)."""


class Matcher(msgspec.Struct, frozen=True):
    """Every rule term, indexed so that one pass over a message finds all of them."""

    by_char: dict[str, tuple[tuple[str, int], ...]]
    """First character -> (term, term id): CJK and symbol terms, matched in the folded text."""
    by_word: dict[str, tuple[tuple[tuple[str, ...], int], ...]]
    """First word -> (words, term id): Latin terms, matched on stemmed, corrected words."""

    def hits(self, text: Text) -> set[int]:
        """Ids of every term found in the message."""
        found = set()
        folded, by_char = text.folded, self.by_char
        for i, char in enumerate(folded):
            for term, term_id in by_char.get(char, ()):
                if folded.startswith(term, i):
                    found.add(term_id)
        words, by_word = text.words, self.by_word
        for i, word in enumerate(words):
            for phrase, term_id in by_word.get(word, ()):
                if len(phrase) == 1 or words[i : i + len(phrase)] == phrase:
                    found.add(term_id)
        return found


class Rules(msgspec.Struct, frozen=True):
    """Rules ready to classify with: the file as written plus its compiled matcher."""

    source: RulesFile
    matcher: Matcher
    effects: tuple[tuple[Effect, ...], ...]
    speller: Speller
    tie_rank: dict[str, int]
    self_service: frozenset[str]


def _effects(rules: RulesFile) -> dict[str, list[Effect]]:
    """Folded term -> everything it does; a term listed twice does all of it."""
    effects: dict[str, list[Effect]] = {}
    for category, terms in rules.categories.items():
        for term, weight in terms.items():
            effects.setdefault(fold(term).strip(), []).append(("category", category, weight))
    for signal, signal_terms in rules.signals.items():
        for term in signal_terms:
            effects.setdefault(fold(term).strip(), []).append(("signal", signal, 0.0))
    if questions := rules.priority.questions:
        for kind, question_terms in (("question", questions.terms), ("unless", questions.unless)):
            for term in question_terms:
                effects.setdefault(fold(term).strip(), []).append((kind, "", 0.0))
    return effects


def compile_rules(rules: RulesFile) -> Rules:
    """Index every term once, so classifying never builds a pattern per call."""
    effects = _effects(rules)
    if "" in effects:
        raise DataFileError("an empty term would match every message")
    if forbidden := NEVER_SELF_SERVICE & set(rules.self_service):
        raise DataFileError(f"self_service may not include {', '.join(sorted(forbidden))}")
    by_char: dict[str, list[tuple[str, int]]] = {}
    by_word: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    vocabulary: Counter[str] = Counter()
    for term_id, term in enumerate(effects):
        words = latin_words(term)
        if words and not any(char >= "\u3400" for char in term):
            by_word.setdefault(words[0], []).append((tuple(words), term_id))
            vocabulary.update(words)
        else:
            by_char.setdefault(term[0], []).append((term, term_id))
    matcher = Matcher({k: tuple(v) for k, v in by_char.items()}, {k: tuple(v) for k, v in by_word.items()})
    tie_rank: dict[str, int] = {category: rank for rank, category in enumerate(rules.tie_order)}
    return Rules(
        rules,
        matcher,
        tuple(tuple(e) for e in effects.values()),
        make_speller(vocabulary),
        tie_rank,
        frozenset(rules.self_service),
    )


def load_rules(path: str | None = None) -> Rules:
    """Rules from a YAML file; None or "" loads the shipped data/rules.yaml."""
    return load(path, DATA_DIR / "rules.yaml", RulesFile, compile_rules)
