"""Customer media's pure parts: what bytes are, how they are served, links between services, listing."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts import Attachment, Channel, InboundMessage, MessageKind
from services.agent_api.http.attachment_routes import listed
from services.email_adapter.attachment_routes import served_type
from services.wechat_adapter.media import with_media
from shared import filelinks
from shared.config import Settings
from shared.filetypes import safe_headers, sniffed_media_type
from tests.media import VOICE_AMR, png

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SECRET = "a-real-secret-for-tests-0123456789"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (VOICE_AMR, "audio/amr"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"<html><script>alert(1)</script>", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_media_is_what_its_bytes_show(head, kind):
    assert sniffed_media_type(head[:16]) == kind


def test_served_files_are_never_run_or_sniffed():
    image = safe_headers('a"b.png', "image/png")
    assert image["Content-Disposition"].startswith('inline; filename="a_b.png"')
    assert image["X-Content-Type-Options"] == "nosniff" and "sandbox" in image["Content-Security-Policy"]
    assert safe_headers("x.bin", "application/octet-stream")["Content-Disposition"].startswith("attachment;")


def test_a_mailed_file_is_served_as_its_bytes_show_else_as_a_download():
    assert served_type("application/octet-stream", png()[:16]) == "image/png"
    assert served_type("image/png", b"<svg onload=alert(1)>") == "application/octet-stream"
    assert served_type("text/html", b"<html>") == "application/octet-stream"
    assert served_type("text/plain; charset=utf-8", b"hello") == "text/plain"


def test_an_internal_link_is_good_for_its_ref_and_a_minute_only():
    query = filelinks.internal_query(SECRET, "wechat-media:m1", NOW)
    assert filelinks.refusal(SECRET, "wechat-media:m1", "", query["expires"], query["sig"], NOW) is None
    assert filelinks.refusal(SECRET, "wechat-media:m2", "", query["expires"], query["sig"], NOW) == "invalid_link"
    later = NOW + timedelta(seconds=filelinks.INTERNAL_TTL + 1)
    assert filelinks.refusal(SECRET, "wechat-media:m1", "", query["expires"], query["sig"], later) == "link_expired"
    # A customer's link (key and a name) never passes for an internal one, nor the reverse.
    customer = filelinks.signature(SECRET, "wechat-media:m1", "a.png", int(query["expires"]))
    assert filelinks.refusal(SECRET, "wechat-media:m1", "", query["expires"], customer, NOW) == "invalid_link"


def test_the_detail_lists_where_each_held_file_is_read_and_a_voices_transcript():
    settings = Settings(agent_api_public_url="https://desk.example")
    files = [
        {"ref": "wechat-media:m1", "content_type": "audio/mpeg"},
        {"ref": "email-attachment:7d4c", "content_type": "image/png"},
        {"ref": "https://desk.example/files/k1/a.png?expires=1&sig=s", "content_type": "image/png"},
        {"ref": "https://elsewhere.example/a.png", "content_type": "image/png"},
    ]
    voice = {"id": "m-1", "kind": "voice", "text": "我要退款"}
    shown = listed(settings, "c-1", voice, files)
    assert [f["url"] for f in shown] == [
        "/v1/conversations/c-1/attachments/m-1/0",
        "/v1/conversations/c-1/attachments/m-1/1",
        "/v1/conversations/c-1/attachments/m-1/2",
        None,
    ]
    assert {f["transcript"] for f in shown} == {"我要退款"}
    # A WeChat file message names a FileKey: nothing WeChat's media API gives out.
    [wechat_file] = listed(settings, "c-1", {"id": "m-2", "kind": "file", "text": "x.pdf"}, [{"ref": "wechat-media:k"}])
    assert wechat_file["url"] is None and "transcript" not in wechat_file


def test_fetched_media_tells_the_message_its_type_size_and_a_name():
    message = InboundMessage(
        channel=Channel.WECHAT,
        channel_message_id="1",
        customer_address="o1",
        received_at=NOW,
        kind=MessageKind.VOICE,
        attachments=(Attachment("wechat-media:m1", "audio/amr"),),
    )
    [attachment] = with_media(message, "audio/mpeg", 2637).attachments
    assert attachment == Attachment("wechat-media:m1", "audio/mpeg", "wechat-voice.mp3", 2637)
