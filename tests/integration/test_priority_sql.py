"""The priority order in SQL, on a real PostgreSQL: queries drain and report in the order the code plans."""

import asyncpg
import pytest

from domain.priority import PRIORITIES, rank, rank_sql

pytestmark = pytest.mark.integration


async def test_postgres_sorts_priorities_as_the_code_does(servers):
    given = ["low", "mystery", "urgent", "normal", "high", "urgent"]
    conn = await asyncpg.connect(servers.database_url)
    try:
        rows = await conn.fetch(f"SELECT p FROM unnest($1::text[]) AS p ORDER BY {rank_sql('p')}, p", given)
    finally:
        await conn.close()
    assert [r["p"] for r in rows] == sorted(given, key=rank) == [*PRIORITIES[:1], *PRIORITIES, "mystery"]
