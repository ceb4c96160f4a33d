"""Masking over a corpus of written forms (tests/data/pii_corpus.yaml): cards, phones, IDs, emails and
names in Chinese and English sentences, and the amounts, dates and order numbers that must stay readable.

The expected outputs were written without shared/pii.py: every digit but an identifier's last four
becomes `*`, an email keeps its first character and domain, a name each word's first character.
"""

from pathlib import Path

import pytest
import yaml

from shared.pii import mask

pytestmark = pytest.mark.unit

CASES = yaml.safe_load((Path(__file__).parent.parent / "data" / "pii_corpus.yaml").read_text(encoding="utf-8"))["cases"]


def test_the_corpus_is_broad():
    kinds = {case["kind"] for case in CASES}
    assert len(CASES) >= 200 and {"card", "mobile", "resident_id", "name", "amount", "date", "order"} <= kinds
    assert sum(case["text"] == case["masked"] for case in CASES) >= 80  # negatives, not only positives


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}:{c['text'][:40]}" for c in CASES])
def test_corpus(case):
    assert mask(case["text"], case.get("names", ())) == case["masked"]
