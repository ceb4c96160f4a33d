"""Answers from the FAQ: the entry that best explains a message, claimed only above a threshold.

Chinese is indexed as unigrams and bigrams of CJK runs cut at filler words (的, 吗, 怎么…), so no
tokenizer is needed; Latin text as stemmed, spell-corrected content words; a message in both
scripts gets both. Terms carry BM25's idf, counted over entries rather than phrasings (a word
every phrasing of an entry repeats is its key word, not a common one). Term frequency and length
normalization are left out: phrasings are a few words long, so they would carry no information.

Confidence, 0..1 and comparable across messages, is the mean of two coverages:
- phrasing: the idf share of the entry's closest phrasing found in the message (1.0 when one
  phrasing is wholly contained, however long the message);
- message: the idf share of the message's terms that the entry's CLOSEST phrasings use, over
  the message's idf plus a prior (PRIOR_SHARE of one entry-specific word). Words the FAQ never
  uses count at UNKNOWN_SHARE of that word, unknown CJK pairs not at all (most straddle two
  words). The prior keeps a lone common word ("转账", "card") from explaining "all" of a
  message; pooling only the closest phrasings keeps the stray words of a broad entry from
  adding up.
The first alone claims long messages that merely mention a topic; the second alone claims short
ones that share a single word.

THRESHOLD was read off tests/data/triage_corpus.yaml (370 messages) with the shipped KB and rules,
through `triage`: 0.64 gives hit rate 0.81, precision 0.95 and silence 0.954 on the messages with
no answer. It is the only value meeting the issue's floors (0.8 / 0.9 / 0.95) there: 0.63 lets
silence fall to 0.948, 0.65 lets the hit rate fall to 0.80. Two sets of messages written after
tuning and measured blind scored lower (hit 0.78-0.79, precision 0.89-0.92, silence 0.85-0.90):
what this misses is phrasings the KB does not have, so add the ones real customers use.
"""

import math
import re
from collections import Counter

import msgspec

from services.router.triage.category_rules import DATA_DIR, Category
from services.router.triage.text import Speller, analyze, fold, latin_words, make_speller
from shared.datafile import DataFileError, load

THRESHOLD = 0.64
CLOSEST = 5
"""How many of an entry's phrasings may explain a message's words (see the module docstring)."""
UNKNOWN_SHARE = 0.7
"""Weight of a message word the FAQ never uses, as a share of the idf of a one-entry word."""
PRIOR_SHARE = 0.4
"""The prior, as a share of the idf of a one-entry word (about 1.0 with 20 entries)."""
STOP_WORDS = frozenset(
    latin_words(
        "a an the i i'm me my mine you your it its is are am was were be been to of for in on at by"
        " and or but so do does did doing done can could would will shall should may might must have"
        " has had this that there here with from about please pls plz hi hello hey thanks thank ok okay"
        " just still yet some any how what whats why when where which who want need help get got know"
        " tell like make made use using way also now really think say said says see go going dont"
    )
)
# CJK runs are cut at these, so "我的转账怎么还没到" and "转账没到" index alike and a phrasing's
# weight sits on its content words, not on how it asks.
FILLER = re.compile(
    "怎么办|怎么样|怎么|怎样|如何|为什么|什么|可以|能不能|可不可以|是不是|有没有|一下|请问|麻烦|"
    "[我你您他她它们的地得了吗呢啊吧呀哦嗯哈是在请个这那就也都和与及把要想]"
)


class Answer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    zh: str
    en: str


class FaqEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One question the wallet answers the same way for everyone, in its stored phrasings."""

    id: str
    category: Category
    questions: tuple[str, ...]
    answer: Answer


class FaqMatch(msgspec.Struct, frozen=True):
    """The entry that answers a message, and how confident the match is (0..1)."""

    id: str
    category: str
    score: float
    answer_zh: str
    answer_en: str
    questions: tuple[str, ...] = ()


def terms(text: str, speller: Speller) -> set[str]:
    """Index terms of a text: content words, and CJK unigrams and bigrams."""
    analyzed = analyze(text, speller)
    found = {word for word in analyzed.words if len(word) > 1 and word not in STOP_WORDS and not word.isdigit()}
    for run in analyzed.cjk_runs:
        for segment in FILLER.split(run):
            found.update(segment)
            found.update(segment[i : i + 2] for i in range(len(segment) - 1))
    return found


class KnowledgeBase(msgspec.Struct, frozen=True):
    """The FAQ entries and their index, built once."""

    entries: tuple[FaqEntry, ...]
    speller: Speller
    idf: dict[str, float]
    postings: dict[str, tuple[tuple[int, float], ...]]
    """Term -> (phrasing number, the term's share of that phrasing's idf)."""
    phrasing_terms: tuple[frozenset[str], ...]
    owner: tuple[int, ...]
    """Phrasing number -> entry number."""
    unknown_weight: float
    prior_mass: float
    threshold: float = THRESHOLD

    def rank(self, text: str, floor: float = 0.0) -> FaqMatch | None:
        """The best-explaining entry, or None if nothing is shared; entries that cannot reach `floor` are skipped."""
        best = self.ranked(text, floor, 1)
        return best[0] if best else None

    def ranked(self, text: str, floor: float = 0.0, count: int = 1) -> list[FaqMatch]:
        """The `count` best-explaining entries reaching `floor`, best first (ties to the entry listed first)."""
        idf, postings = self.idf, self.postings
        coverage: dict[int, float] = {}
        known, message_mass = set(), self.prior_mass
        for term in terms(text, self.speller):
            weight = idf.get(term)
            if weight is None:
                message_mass += 0.0 if len(term) == 2 and term[0] >= "\u3400" else self.unknown_weight
                continue
            known.add(term)
            message_mass += weight
            for phrasing, share in postings[term]:
                coverage[phrasing] = coverage.get(phrasing, 0.0) + share
        if not coverage:
            return []
        by_entry: dict[int, list[tuple[float, int]]] = {}
        for phrasing, share in coverage.items():
            by_entry.setdefault(self.owner[phrasing], []).append((share, phrasing))
        best: list[tuple[float, int]] = []  # (score, -entry number), best first
        for closest, number in sorted(((max(m)[0], n) for n, m in by_entry.items()), reverse=True):
            if (closest + 1) / 2 < max(best[-1][0] if len(best) == count else 0.0, floor):
                break  # the message coverage is at most 1: no later entry can place or reach the floor
            nearest = sorted(by_entry[number], reverse=True)[:CLOSEST]
            explained = set().union(*(self.phrasing_terms[p] & known for _, p in nearest))
            score = (closest + sum(idf[term] for term in explained) / message_mass) / 2
            if score >= floor:
                best = sorted([*best, (score, -number)], reverse=True)[:count]
        return [self._match(-number, score) for score, number in best]

    def _match(self, number: int, score: float) -> FaqMatch:
        entry = self.entries[number]
        return FaqMatch(entry.id, entry.category, min(score, 1.0), entry.answer.zh, entry.answer.en, entry.questions)

    def lookup(self, text: str) -> FaqMatch | None:
        """The entry that answers `text`, or None when no entry reaches the confidence threshold."""
        match = self.rank(text, self.threshold)
        return match if match is not None and match.score >= self.threshold else None


def build_kb(entries: tuple[FaqEntry, ...], threshold: float = THRESHOLD) -> KnowledgeBase:
    """Index every phrasing of every entry."""
    if len({entry.id for entry in entries}) != len(entries):
        raise DataFileError("FAQ ids must be unique")
    if empty := [entry.id for entry in entries if not entry.questions]:
        raise DataFileError(f"FAQ entry {empty[0]} has no questions")
    vocabulary = Counter(
        word for entry in entries for text in (*entry.questions, entry.answer.en) for word in latin_words(fold(text))
    )
    # Longer words only: a message word the FAQ does not know is more often a real word than a
    # typo (crash is not cash), and a wrong correction here claims an answer.
    speller = make_speller(vocabulary, min_length=6)
    phrasings = [
        (number, terms(question, speller)) for number, entry in enumerate(entries) for question in entry.questions
    ]
    users: dict[str, set[int]] = {}
    for number, found in phrasings:
        for term in found:
            users.setdefault(term, set()).add(number)
    n = len(entries)
    idf = {term: math.log(1 + (n - len(e) + 0.5) / (len(e) + 0.5)) for term, e in users.items()}
    specific = math.log(1 + (n - 0.5) / 1.5)  # the idf of a term only one entry uses
    postings: dict[str, list[tuple[int, float]]] = {}
    for phrasing, (_, found) in enumerate(phrasings):
        mass = sum(idf[term] for term in found) or 1.0
        for term in found:
            postings.setdefault(term, []).append((phrasing, idf[term] / mass))
    return KnowledgeBase(
        tuple(entries),
        speller,
        idf,
        {term: tuple(p) for term, p in postings.items()},
        tuple(frozenset(found) for _, found in phrasings),
        tuple(number for number, _ in phrasings),
        UNKNOWN_SHARE * specific,
        PRIOR_SHARE * specific,
        threshold,
    )


def load_kb(path: str | None = None, threshold: float = THRESHOLD) -> KnowledgeBase:
    """The knowledge base from a YAML list of entries; None or "" loads the shipped data/faq.yaml."""
    return load(path, DATA_DIR / "faq.yaml", tuple[FaqEntry, ...], lambda entries: build_kb(entries, threshold))
