"""Base64 bodies of a large mail decoded straight into temporary files while the standard library parses the rest.

The feedparser keeps a body as a list of line strings and then joins them: for a 15 MB
attachment that is ~50 MB of Python objects before anything is decoded. Given a `Bodies`,
the parser built by `Bodies.parser` hands every line of a base64 leaf part to a decoder
instead, so the part reaches the caller with an empty payload and its decoded content in
`SpooledPart.decoded`. Parts inside an attached message are left to the parser: they are
written back out whole (`parts.as_sent`).

The standard library has no hook for this: `_DivertingInput` replaces the feedparser's line
source and reads its current part and part stack (`_input`, `_cur`, `_msgstack`, the same
since Python 3.3). tests/unit/test_email_bodies.py checks every sample reads as without it.
"""

import binascii
import re
import tempfile

# Private parts of the feedparser (see above), which typeshed leaves out.
from email.feedparser import BufferedSubFile, BytesFeedParser, NeedMoreData  # type: ignore[attr-defined]
from email.message import EmailMessage
from email.policy import Policy
from typing import IO

DECODE_BATCH = 64 * 1024
"""Characters of base64 decoded at a time."""
BODY_MEMORY = 1024 * 1024
"""A decoded body up to this size stays in memory; a larger one goes to disk."""
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")


def lenient_base64(data: bytes | str) -> bytes:
    """`data` decoded as binascii.a2b_base64 decodes it (skipping what is not base64); when its padding is
    wrong, every base64 character taken as data, properly padded, and a stray last one dropped."""
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):  # bad padding; or text with characters beyond ASCII
        pass
    if isinstance(data, str):
        data = data.encode("ascii", "ignore")  # what is not ASCII is not base64 either
    core = _NOT_BASE64.sub(b"", data).replace(b"=", b"")
    if len(core) % 4 == 1:
        core = core[:-1]
    return binascii.a2b_base64(core + b"=" * (-len(core) % 4))


class SpooledPart(EmailMessage):
    """A MIME part as the parser builds it; `decoded` holds its body when that was decoded to a file."""

    decoded: IO[bytes] | None = None


class _Base64Decoder:
    """Base64 lines decoded into `out` a batch at a time, to the bytes binascii.a2b_base64 gives for them whole."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.lines: list[str] = []
        self.pending = 0
        self.carry = b""  # characters short of a whole quad
        self.rest: list[bytes] | None = None  # everything from the first "=" on, decoded at the end

    def write(self, line: str) -> None:
        self.lines.append(line)
        self.pending += len(line)
        if self.pending >= DECODE_BATCH:
            self._decode()

    def _decode(self) -> None:
        text = _NOT_BASE64.sub(b"", "".join(self.lines).encode("ascii", "surrogateescape"))
        self.lines.clear()
        self.pending = 0
        if self.rest is not None or b"=" in text:
            # Padding ends the data for a2b_base64, or is skipped, depending on where it falls: real
            # mail pads only at the very end, so whatever follows is decoded once, by the rules.
            self.rest = self.rest if self.rest is not None else []
            self.rest.append(text)
            return
        data = self.carry + text
        whole = len(data) - len(data) % 4
        self.out.write(binascii.a2b_base64(data[:whole]))
        self.carry = data[whole:]

    def close(self) -> None:
        """Decodes what is left, as `lenient_base64` decodes a whole body."""
        self._decode()
        self.out.write(lenient_base64(self.carry + b"".join(self.rest or ())))
        self.carry, self.rest = b"", None


class _DivertingInput(BufferedSubFile):
    """The feedparser's line source: lines of a base64 leaf part go to its decoder, not to the parser."""

    def __init__(self, parser: "BytesFeedParser[EmailMessage]", bodies: "Bodies"):
        super().__init__()
        self.parser, self.bodies = parser, bodies
        self.part: EmailMessage | None = None
        self.fields = -1
        self.decoder: _Base64Decoder | None = None

    def readline(self):
        while True:
            line = super().readline()
            if line is NeedMoreData:
                return line
            # The parser reads a part's header lines before it has fields, its body lines after.
            part: EmailMessage = self.parser._cur  # type: ignore[attr-defined]  # private, see the module docstring
            if part is not self.part or len(part) != self.fields:
                self.part, self.fields = part, len(part)
                self.decoder = self._decoder_for(part)
            if self.decoder is None:
                return line
            if line == "":  # where the part ends
                self.decoder.close()
                return line
            self.decoder.write(line)

    def _decoder_for(self, part: EmailMessage) -> _Base64Decoder | None:
        if not isinstance(part, SpooledPart) or part.decoded is not None or not len(part):
            return None
        if str(part.get("content-transfer-encoding", "")).strip().lower() != "base64":
            return None
        if part.get_content_maintype() in ("multipart", "message"):
            return None
        stack: list[EmailMessage] = self.parser._msgstack  # type: ignore[attr-defined]  # private, as _cur
        if any(m.get_content_maintype() == "message" for m in stack[:-1]):
            return None  # inside an attached mail, which is written back out whole
        part.decoded = self.bodies.new_file()
        return self.bodies.decoder(part.decoded)


class Bodies:
    """The files one parse decoded bodies into; closing it removes them."""

    def __init__(self, memory: int = BODY_MEMORY):
        self.memory = memory
        self.files: list[IO[bytes]] = []
        self.decoders: list[_Base64Decoder] = []

    def parser(self, policy: "Policy[EmailMessage]") -> "BytesFeedParser[EmailMessage]":
        """A feedparser that diverts base64 bodies here."""
        parser: BytesFeedParser[EmailMessage] = BytesFeedParser(_factory=SpooledPart, policy=policy)
        parser._input = _DivertingInput(parser, self)  # type: ignore[attr-defined]  # private, as _cur
        return parser

    def new_file(self) -> IO[bytes]:
        # Outlives this call: the parse writes and reads it, and close() removes every one.
        file = tempfile.SpooledTemporaryFile(max_size=self.memory)  # noqa: SIM115
        self.files.append(file)
        return file

    def decoder(self, file: IO[bytes]) -> _Base64Decoder:
        self.decoders.append(_Base64Decoder(file))
        return self.decoders[-1]

    def finish(self) -> None:
        """Decodes what the decoders still hold, once the parser has seen the whole mail."""
        for decoder in self.decoders:
            decoder.close()
        self.decoders.clear()

    def close(self) -> None:
        for file in self.files:
            file.close()
        self.files.clear()

    def __enter__(self) -> "Bodies":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
