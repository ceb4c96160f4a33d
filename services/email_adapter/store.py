"""Keeping a mail's original and its files: once per Message-ID, large ones streamed rather than held.

An ordinary mail is stored with one statement. A mail spooled to disk, or with files decoded
to disk, is streamed to PostgreSQL with binary COPY a piece at a time, so the adapter never
holds it whole (asyncpg would copy a bytea parameter into its own buffer as well).
"""

import io
import struct
import uuid
from collections.abc import AsyncIterator
from typing import IO

import asyncpg

from services.email_adapter.parse import ParsedMail
from shared.uow import UnitOfWork

COPY_PIECE = 256 * 1024
_COPY_START = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_END = struct.pack("!h", -1)
_TEXT_OID = 25
_STORE = """
WITH mail AS (
    INSERT INTO email_messages (message_id, from_address, subject, references_ids, raw)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING message_id
), files AS (
    INSERT INTO email_attachments (id, message_id, position, filename, content_type, size, content_id, data)
    SELECT f.id, mail.message_id, f.n - 1, f.filename, f.content_type, f.size, f.content_id, f.data
    FROM mail, unnest($6::uuid[], $7::text[], $8::text[], $9::int[], $10::text[], $11::bytea[]) WITH ORDINALITY
        AS f (id, filename, content_type, size, content_id, data, n)
)
SELECT count(*) = 1 FROM mail
"""
_STORED_FILES = "SELECT id FROM email_attachments WHERE message_id = $1 ORDER BY position"
MESSAGE_COLUMNS = ["message_id", "from_address", "subject", "references_ids", "raw"]
ATTACHMENT_COLUMNS = ["id", "message_id", "position", "filename", "content_type", "size", "content_id", "data"]

Field = bytes | IO[bytes] | None
"""A value in PostgreSQL's binary form, a file whose content is one, or NULL."""


async def store_mail(pool: asyncpg.Pool, mail: ParsedMail, raw: bytes | IO[bytes]) -> list[str]:
    """Store once per Message-ID; a retried mail gets the attachment ids it got the first time."""
    ids = [uuid.uuid4() for _ in mail.attachments]
    references = [*mail.references, *mail.in_reply_to[:1]]
    if isinstance(raw, bytes) and all(a.decoded is None for a in mail.attachments):
        files = mail.attachments
        inserted = await pool.fetchval(
            _STORE,
            mail.message_id,
            mail.from_address,
            mail.subject,
            references,
            raw,
            ids,
            [a.filename for a in files],
            [a.content_type for a in files],
            [a.size for a in files],
            [a.content_id for a in files],
            [a.data for a in files],
        )
    else:
        inserted = await _stream(pool, mail, io.BytesIO(raw) if isinstance(raw, bytes) else raw, references, ids)
    if inserted:
        return [str(i) for i in ids]
    return [str(r["id"]) for r in await pool.fetch(_STORED_FILES, mail.message_id)]


async def _stream(
    pool: asyncpg.Pool, mail: ParsedMail, raw: IO[bytes], references: list[str], ids: list[uuid.UUID]
) -> bool:
    """The mail and its files sent with COPY a piece at a time; False if it was stored before."""
    message_id = _text(mail.message_id)
    async with UnitOfWork(pool, lock=f"email_messages:{mail.message_id}") as uow:
        conn = uow.conn
        if await conn.fetchval("SELECT true FROM email_messages WHERE message_id = $1", mail.message_id):
            return False
        await _copy(
            conn,
            "email_messages",
            MESSAGE_COLUMNS,
            [
                (message_id, _text(mail.from_address), _text(mail.subject), _text_array(references), raw),
            ],
        )
        if ids:
            await _copy(
                conn,
                "email_attachments",
                ATTACHMENT_COLUMNS,
                [
                    (
                        i.bytes,
                        message_id,
                        struct.pack("!i", n),
                        _text(a.filename),
                        _text(a.content_type),
                        struct.pack("!i", a.size),
                        None if a.content_id is None else _text(a.content_id),
                        a.data if a.decoded is None else a.decoded,
                    )
                    for n, (i, a) in enumerate(zip(ids, mail.attachments, strict=True))
                ],
            )
        return True


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple[Field, ...]]) -> None:
    await conn.copy_to_table(table, columns=columns, format="binary", source=_binary_rows(rows))


async def _binary_rows(rows: list[tuple[Field, ...]]) -> AsyncIterator[bytes]:
    """PostgreSQL's binary COPY stream of `rows`; a file is sent in pieces, never read whole."""
    head = bytearray(_COPY_START)
    for row in rows:
        head += struct.pack("!h", len(row))
        for value in row:
            if value is None:
                head += struct.pack("!i", -1)
            elif isinstance(value, bytes):
                head += struct.pack("!i", len(value)) + value
            else:
                head += struct.pack("!i", value.seek(0, 2))
                value.seek(0)
                yield bytes(head)
                head.clear()
                while piece := value.read(COPY_PIECE):
                    yield piece
    yield bytes(head + _COPY_END)


def _text(value: str) -> bytes:
    return value.encode("utf-8")


def _text_array(items: list[str]) -> bytes:
    """A one-dimensional text[] in binary form (an empty one has no dimensions)."""
    if not items:
        return struct.pack("!iii", 0, 0, _TEXT_OID)
    encoded = [_text(item) for item in items]
    return struct.pack("!iiiii", 1, 0, _TEXT_OID, len(encoded), 1) + b"".join(
        struct.pack("!i", len(item)) + item for item in encoded
    )
