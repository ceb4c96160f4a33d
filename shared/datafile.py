"""YAML data files (the router's rules and FAQ, the business hours): read once at start, defaults shipped.

Reading and decoding live here; what a file means is checked by the `build` function its owner
passes (the domain's `build_hours`, the router's rule and FAQ compilers).
"""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec
import yaml

from domain.hours import BusinessHours, HoursFile, build_hours

T = TypeVar("T")
R = TypeVar("R")

HOURS_FILE = Path(__file__).parent / "data" / "hours.yaml"
"""The business hours shipped with Relaydesk; the router and the notifier both keep them."""


class DataFileError(ValueError):
    """A rules, FAQ or business-hours file is unreadable or malformed; the message names the file."""


def read_yaml(path: str | None, default: Path) -> tuple[str, object]:
    """(where, parsed document) of `path`, or of the shipped `default` when `path` is None or ""."""
    where = path or str(default)
    try:
        with open(where, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise DataFileError(f"{where}: cannot read: {reason}") from None
    try:
        return where, yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DataFileError(f"{where}: not valid YAML{at}: {problem}") from None


def convert(where: str, document: object, kind: type[T]) -> T:
    """`document` validated as `kind`; DataFileError naming the file and the place otherwise."""
    try:
        return msgspec.convert(document, kind)
    except msgspec.ValidationError as exc:
        raise DataFileError(f"{where}: {exc}") from None


def load(path: str | None, default: Path, kind: type[T], build: Callable[[T], R]) -> R:
    """Read, validate as `kind` and build a data file; every error names the file.

    `build` raises ValueError (DataFileError, HoursError…) for what the file got wrong.
    """
    where, document = read_yaml(path, default)
    raw = convert(where, document, kind)
    try:
        return build(raw)
    except ValueError as exc:
        raise DataFileError(f"{where}: {exc}") from None


def load_hours(path: str | None = None) -> BusinessHours:
    """Business hours from a YAML file; None or "" loads the shipped shared/data/hours.yaml."""
    return load(path, HOURS_FILE, HoursFile, build_hours)
