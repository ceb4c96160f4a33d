"""Supervisor statistics as JSON or CSV: `GET /v1/stats/{name}?from=&to=&tz=&group=&format=`."""

import csv
import functools
import io
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.deps import AgentDeps
from services.agent_api.http import bounds
from services.agent_api.http.auth import AGENT
from services.agent_api.queries import stats as stats_queries
from services.agent_api.queries.stats import Db
from shared.http import ApiError, json_response

DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=366)
LATEST_AHEAD = timedelta(days=366)
"""How far past now a range may reach; with bounds.EARLIEST, no instant SQL sees is ±infinity."""
DEFAULT_TZ = "Asia/Shanghai"
GROUPS = (*stats_queries.FIELDS, *stats_queries.UNITS)


class Scope(msgspec.Struct, frozen=True):
    """What one statistics request asks about: an instant range, a time zone and a grouping."""

    start: datetime
    end: datetime
    tz: str
    group: str


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


def _instant(name: str, value: str) -> datetime:
    """An ISO 8601 instant with its offset; a '+' that arrived unencoded reads as a space."""
    for text in (value, "+".join(value.rsplit(" ", 1))):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            raise _invalid(f"'{name}' needs a UTC offset, as in 2024-05-01T00:00:00+08:00.")
        return parsed
    raise _invalid(f"'{name}' is not an ISO 8601 date-time: {value!r}.")


@functools.cache
def _zones() -> frozenset[str]:
    """The IANA zone names; read once, as the tz database only changes with a deployment."""
    return frozenset(zoneinfo.available_timezones())


def scope_of(query, now: datetime) -> Scope:
    """The request's range (the last 7 days unless told), time zone and grouping; 422 when unfit,
    400 when an end lies before 2000 or more than a year ahead."""
    try:
        end = _instant("to", query["to"]).astimezone(UTC) if "to" in query else now
        start = _instant("from", query["from"]).astimezone(UTC) if "from" in query else end - DEFAULT_SPAN
    except OverflowError:
        raise _invalid("The range lies outside the years 1-9999.") from None
    for name, instant in (("to", end), ("from", start)):
        bounds.within(name, instant, bounds.EARLIEST, now + LATEST_AHEAD)
    if start >= end:
        raise _invalid("'from' must be before 'to'.")
    if end - start > MAX_SPAN:
        raise _invalid(f"The range may span at most {MAX_SPAN.days} days.")
    tz = query.get("tz", DEFAULT_TZ)
    if tz not in _zones():
        raise _invalid(f"Unknown time zone {tz!r}; use an IANA name such as Asia/Shanghai.")
    group = query.get("group", "day")
    if group not in GROUPS:
        raise _invalid(f"'group' must be one of {', '.join(GROUPS)}.")
    return Scope(start, end, tz, group)


Table = tuple[list[str], list[list]]
Stat = tuple[Callable[[Db, Scope], Awaitable[dict]], Callable[[dict, Scope], Table]]


async def _volume(db: Db, scope: Scope) -> dict:
    if scope.group in stats_queries.FIELDS:
        rows = await stats_queries.volume_by_field(db, scope.start, scope.end, scope.group)
    else:
        rows = await stats_queries.volume_over_time(db, scope.start, scope.end, scope.group, scope.tz)
    return {"group": scope.group, "total": sum(row["count"] for row in rows), "rows": rows}


def _rows(fetch: Callable[[Db, datetime, datetime], Awaitable[list[dict]]]):
    async def table(db: Db, scope: Scope) -> dict:
        return {"rows": await fetch(db, scope.start, scope.end)}

    return table


def _record(fetch: Callable[[Db, datetime, datetime], Awaitable[dict]]):
    async def record(db: Db, scope: Scope) -> dict:
        return await fetch(db, scope.start, scope.end)

    return record


async def _live(db: Db, _: Scope) -> dict:
    return {"at": datetime.now(UTC), **await stats_queries.live(db)}


def _table(body: dict, scope: Scope) -> Table:
    rows = body["rows"]
    header = list(rows[0]) if rows else [scope.group, "count"]  # only volume can come back empty
    return header, [list(row.values()) for row in rows]


def _flat(body: dict, _: Scope) -> Table:
    """One row; nested counts become columns: {"queued": {"urgent": 1}} -> queued_urgent."""
    flat = {}
    for key, value in body.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{inner}": item for inner, item in value.items()})
        else:
            flat[key] = value
    return list(flat), [list(flat.values())]


STATS: dict[str, Stat] = {
    "volume": (_volume, _table),
    "response_times": (_rows(stats_queries.response_times), _table),
    "resolution": (_rows(stats_queries.resolution), _table),
    "sla": (_rows(stats_queries.sla_breaches), _table),
    "self_service": (_record(stats_queries.self_service), _flat),
    "csat": (_record(stats_queries.csat), _flat),
    "live": (_live, _flat),
    "agents": (_rows(stats_queries.agents), _table),
}


def _cell(value) -> str:
    """Numbers plain (no exponent, no trailing zeros), instants ISO 8601, missing values empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _wants_csv(request: web.Request) -> bool:
    wanted = request.query.get("format")
    if wanted not in (None, "json", "csv"):
        raise _invalid("'format' must be json or csv.")
    if wanted is not None:
        return wanted == "csv"
    accepted = (part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(","))
    return "text/csv" in accepted


def _csv_response(table: Table, filename: str) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out)
    header, rows = table
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def statistic(request: web.Request) -> web.Response:
    if not request[AGENT].is_supervisor:
        raise ApiError(403, "forbidden", "Statistics are for supervisors and admins.")
    name = request.match_info["name"]
    if name not in STATS:
        raise ApiError(404, "not_found", f"No statistic named {name!r}; try one of {', '.join(STATS)}.")
    scope = scope_of(request.query, datetime.now(UTC))
    as_csv = _wants_csv(request)
    fetch, tabulate = STATS[name]
    try:
        body = await fetch(AgentDeps.of(request).pool, scope)
    except asyncpg.InvalidParameterValueError as exc:  # a zone Python knows and PostgreSQL does not
        raise _invalid(str(exc)) from None
    if as_csv:
        window = _stamp(body["at"]) if name == "live" else f"{_stamp(scope.start)}-{_stamp(scope.end)}"
        return _csv_response(tabulate(body, scope), f"{name}-{window}.csv")
    meta = {"stat": name} if name == "live" else {"stat": name, "from": scope.start, "to": scope.end, "tz": scope.tz}
    return json_response({**meta, **body})


def register(app: web.Application) -> None:
    app.router.add_get("/v1/stats/{name}", statistic)
