"""Bounds every decoded request value meets before it reaches SQL or the bus.

PostgreSQL `text` cannot hold NUL; asyncpg sends `datetime.min`/`max` as -infinity/infinity
(a `generate_series` over them never ends); `int8` stops at 2**63. msgspec checks shapes, not
these, so one walk over whatever a body or query string decoded to checks them all and names
the field.
"""

import math
from datetime import UTC, datetime, timedelta

import msgspec

from shared.http import ApiError

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No instant a request names lies before this (the product did not exist; older means a typo)."""
AHEAD = timedelta(days=5 * 365)
"""How far ahead a request may name an instant: due dates, send times, token expiry."""
INT8 = (-(2**63), 2**63 - 1)


def within(name: str, value: datetime, earliest: datetime, latest: datetime) -> datetime:
    """`value` if it lies in [earliest, latest]; else 400 naming the parameter and the bounds."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not earliest <= aware <= latest:
        raise ApiError(
            400,
            "out_of_range",
            f"'{name}' must lie between {earliest.isoformat(timespec='seconds')}"
            f" and {latest.isoformat(timespec='seconds')}; got {value.isoformat()}.",
        )
    return value


def check(value: object, now: datetime, path: str = "") -> None:
    """Refuse a NUL in any string (key or value), an instant outside [EARLIEST, now + AHEAD], an
    integer outside int8 or a float that is not finite, anywhere in `value`; `path` names it."""
    name = path or "body"
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(422, "invalid_text", f"'{name}' contains a NUL character (\\u0000), which cannot be stored.")
    elif isinstance(value, datetime):
        within(name, value, EARLIEST, now + AHEAD)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not INT8[0] <= value <= INT8[1]:
            raise ApiError(400, "out_of_range", f"'{name}' must lie between {INT8[0]} and {INT8[1]}.")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ApiError(400, "out_of_range", f"'{name}' must be a finite number.")
    elif isinstance(value, msgspec.Struct):
        for field in msgspec.structs.fields(value):
            check(getattr(value, field.name), now, f"{path}.{field.encode_name}" if path else field.encode_name)
    elif isinstance(value, dict):
        for key, item in value.items():
            check(key, now, f"{name} (a key)")
            check(item, now, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            check(item, now, f"{name}[{index}]")
