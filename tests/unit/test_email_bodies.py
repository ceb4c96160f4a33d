"""A large mail parsed from its file with base64 bodies decoded to files: the same reading, without holding it."""

import base64
import hashlib
import io
import os
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from services.email_adapter.bodies import DECODE_BATCH, Bodies, lenient_base64
from services.email_adapter.parse import ParsedMail, parse_mail

pytestmark = pytest.mark.unit

MAIL = Path(__file__).parents[1] / "data" / "mail"


def reading(mail: ParsedMail) -> tuple:
    """What a parse yields, with each file's content however it is held."""
    files = []
    for a in mail.attachments:
        content = a.data
        if a.decoded is not None:
            assert a.data == b""
            a.decoded.seek(0)
            content = a.decoded.read()
        files.append((a.filename, a.content_type, a.size, a.content_id, content))
    return (
        mail.message_id,
        mail.from_address,
        mail.subject,
        mail.date,
        mail.in_reply_to,
        mail.references,
        mail.text,
        mail.new_text,
        files,
        mail.auto_submitted,
        mail.dsn,
        mail.conversation_token,
    )


def both_ways(raw: bytes) -> tuple[tuple, tuple]:
    held = reading(parse_mail(raw, return_path="a@example.com"))
    with Bodies() as bodies:
        spooled = reading(parse_mail(io.BytesIO(raw), return_path="a@example.com", bodies=bodies))
    return held, spooled


def with_base64_file(encoded: bytes, content_type: bytes = b"application/octet-stream") -> bytes:
    return (
        b"From: a@example.com\r\nMessage-ID: <b64@example.com>\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n--b\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Disposition: attachment; filename=f.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + b"\r\n--b--\r\n"
    )


@pytest.mark.parametrize("path", sorted(MAIL.glob("*.eml")), ids=lambda p: p.stem)
def test_every_sample_reads_the_same_with_its_bodies_decoded_to_files(path: Path):
    held, spooled = both_ways(path.read_bytes())
    assert spooled == held


@pytest.mark.parametrize(
    "encoded",
    [
        base64.encodebytes(os.urandom(3 * DECODE_BATCH + 7)).replace(b"\n", b"\r\n"),  # several batches
        b"QUJDQQ",  # padding missing
        b"QUJDQ",  # one character too many
        b"QUI=QUJD",  # padding ends the data for a2b_base64
        b"Q=UJD\r\n!!!QUJD%%\r\n",  # padding where it is skipped, and characters that are not base64
        b"\xff\xfeQUJD\x80",  # 8-bit bytes
        base64.encodebytes(os.urandom(DECODE_BATCH)).replace(b"\n", b"\r\n") + b"QQ==QUJD",  # padding batches in
    ],
)
def test_base64_decodes_the_same_in_batches_as_whole(encoded: bytes):
    held, spooled = both_ways(with_base64_file(encoded))
    assert spooled == held
    assert spooled[8][0][4] == lenient_base64(encoded)


def test_padding_is_repaired_not_refused():
    assert lenient_base64(b"QUJDQQ") == b"ABCA"
    assert lenient_base64(b"QUJDQ") == b"ABC"
    assert lenient_base64(b"QUI=QUJD") == b"AB"
    assert lenient_base64("QUJD\u00e9") == b"ABC"


def test_text_bodies_are_read_back_from_their_files():
    raw = with_base64_file(base64.encodebytes("提现一直没有到账。".encode("gb18030")), b"text/plain; charset=gb2312")
    raw = raw.replace(b"Content-Disposition: attachment; filename=f.bin\r\n", b"")
    held, spooled = both_ways(raw)
    assert spooled == held and "提现一直没有到账。" in spooled[6]


def test_parts_of_an_attached_mail_are_left_to_the_parser():
    inner = with_base64_file(base64.encodebytes(b"inner file").replace(b"\n", b"\r\n"))
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n"
        b"Content-Type: text/plain\r\n\r\nforwarding this\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"--outer--\r\n"
    )
    held, spooled = both_ways(raw)
    assert spooled == held
    [(_name, content_type, _, _, content)] = spooled[8]
    assert content_type == "message/rfc822" and b"aW5uZXIgZmlsZQ==" in content  # written back whole


def test_a_large_mail_is_parsed_from_its_file_without_holding_it():
    data = os.urandom(12 * 1024 * 1024)
    with tempfile.TemporaryFile() as file:
        file.write(with_base64_file(base64.encodebytes(data).replace(b"\n", b"\r\n"), b"application/zip"))
        size = file.tell()
        tracemalloc.start()
        try:
            with Bodies() as bodies:
                mail = parse_mail(file, bodies=bodies)
                _, peak = tracemalloc.get_traced_memory()
                [attachment] = mail.attachments
                assert (attachment.size, attachment.data) == (len(data), b"")
                assert _sha256(attachment.decoded) == hashlib.sha256(data).hexdigest()
        finally:
            tracemalloc.stop()
    assert mail.text == "see the file"
    # The held path peaks near 2.7x the mail (test_email_hostile); here a few buffers of a megabyte.
    assert peak < 0.3 * size


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    while piece := file.read(1 << 20):
        digest.update(piece)
    return digest.hexdigest()
