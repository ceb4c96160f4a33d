"""Customer text as the triage core reads it: folded, split into CJK runs and stemmed Latin words."""

import re
import unicodedata
from collections import Counter

import msgspec

_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN = re.compile(f"[{_CJK_CLASS}]+|[a-z0-9]+")

# NFKC leaves these alone: the 帐/账 swap is the commonest slip in wallet chats, the rest are
# traditional forms of the words the rules and the FAQ are keyed on.
VARIANTS = str.maketrans("帐帳戶號碼轉錢還貸借額凍結銀", "账账户号码转钱还贷借额冻结银")

# Frequent English words a one-letter edit would wrongly "correct" into a rules or FAQ word.
COMMON = frozenset(
    [
        "about",
        "after",
        "again",
        "always",
        "already",
        "another",
        "answer",
        "anyone",
        "anything",
        "because",
        "before",
        "being",
        "between",
        "cannot",
        "change",
        "check",
        "could",
        "doesn",
        "didn",
        "every",
        "family",
        "first",
        "friend",
        "happen",
        "hello",
        "hours",
        "issue",
        "later",
        "maybe",
        "message",
        "might",
        "money",
        "month",
        "morning",
        "never",
        "nothing",
        "number",
        "other",
        "people",
        "person",
        "phone",
        "please",
        "problem",
        "question",
        "really",
        "reason",
        "reply",
        "replied",
        "respond",
        "right",
        "should",
        "since",
        "someone",
        "something",
        "sorry",
        "start",
        "still",
        "thank",
        "thanks",
        "their",
        "there",
        "these",
        "thing",
        "think",
        "those",
        "three",
        "through",
        "today",
        "tomorrow",
        "until",
        "update",
        "using",
        "where",
        "which",
        "while",
        "without",
        "would",
        "wouldn",
        "yesterday",
        "evening",
        "night",
        "minute",
        "second",
        "weeks",
        "email",
        "place",
        "order",
    ]
)
# Informal spellings of question words, folded to the form the rules and the FAQ are written in.
INFORMAL = {
    "咋": "怎么",
    "啥": "什么",
    "肿么": "怎么",
    "神马": "什么",
    "木有": "没有",
    "多长时间": "多久",
    "多少时间": "多久",
    "多长时候": "多久",
}
_INFORMAL = re.compile("|".join(sorted(INFORMAL, key=len, reverse=True)))
MIN_CORRECTED = 5
"""Words shorter than this are never corrected: too many real words sit one edit apart."""


class Text(msgspec.Struct, frozen=True):
    """One message, folded and tokenized once."""

    folded: str
    words: tuple[str, ...]
    cjk_runs: tuple[str, ...]
    cjk_chars: int


def fold(text: str) -> str:
    """NFKC (full-width to half-width), lowercase, common variants and informal forms unified."""
    folded = unicodedata.normalize("NFKC", text).lower().translate(VARIANTS)
    return _INFORMAL.sub(lambda match: INFORMAL[match[0]], folded) if _INFORMAL.search(folded) else folded


def stem(word: str) -> str:
    """A light suffix stripper: it only has to map a word's forms to one key, not to a lemma."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # transferred -> transferr -> transfer
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller(msgspec.Struct, frozen=True):
    """Corrects one edit (insert, drop, swap, replace) towards a vocabulary of stemmed words."""

    known: frozenset[str]
    by_delete: dict[str, tuple[str, ...]]
    min_length: int = MIN_CORRECTED
    frequency: dict[str, int] = {}

    def correct(self, word: str) -> str:
        if len(word) < self.min_length or word in self.known or word.isdigit():
            return word
        shorter = _deletes(word)
        # Most likely first: a dropped letter (acount), an extra one (passsword), then a replaced
        # or swapped one (trasnfer); the commoner word wins within a kind.
        for found in (
            self.by_delete.get(word, ()),
            [w for w in shorter if w in self.known],
            [w for short in shorter for w in self.by_delete.get(short, ())],
        ):
            if found:
                return min(found, key=lambda candidate: (-self.frequency.get(candidate, 0), candidate))
        return word


def make_speller(vocabulary: Counter[str], min_length: int = MIN_CORRECTED) -> Speller:
    """A speller towards `vocabulary` (stemmed words with their counts); common English stays as written."""
    targets = {word for word in vocabulary if len(word) >= min_length - 1 and not word.isdigit()}
    by_delete: dict[str, set[str]] = {}
    for word in targets:
        for shorter in _deletes(word):
            by_delete.setdefault(shorter, set()).add(word)
    known = frozenset(vocabulary) | {stem(word) for word in COMMON} | COMMON
    return Speller(
        known,
        {key: tuple(sorted(words)) for key, words in by_delete.items()},
        min_length,
        {word: count for word, count in vocabulary.items() if word in targets},
    )


def latin_words(text: str) -> list[str]:
    """Stemmed Latin words of an already folded text, uncorrected: how rule and FAQ terms are keyed."""
    return [stem(token) for token in TOKEN.findall(text) if token[0] < "\u3400"]


def analyze(text: str, speller: Speller) -> Text:
    """Fold, tokenize, stem and spell-correct a message."""
    folded = fold(text)
    words, runs, cjk_chars = [], [], 0
    for token in TOKEN.findall(folded):
        if token[0] >= "\u3400":
            runs.append(token)
            cjk_chars += len(token)
        else:
            words.append(speller.correct(stem(token)))
    return Text(folded, tuple(words), tuple(runs), cjk_chars)
