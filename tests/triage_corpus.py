"""The labelled triage corpus (tests/data/triage_corpus.yaml), loaded once for the triage tests."""

from functools import cache
from pathlib import Path

import msgspec
import yaml

PATH = Path(__file__).parent / "data" / "triage_corpus.yaml"


class Labelled(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One customer message with the category and FAQ entry a person gave it."""

    text: str
    category: str
    faq: str | None


@cache
def corpus() -> tuple[Labelled, ...]:
    return msgspec.convert(yaml.safe_load(PATH.read_text(encoding="utf-8")), tuple[Labelled, ...])
