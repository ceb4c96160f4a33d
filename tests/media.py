"""Small real media files for tests: a PNG any browser draws, WeChat's AMR voice."""

import struct
import zlib
from pathlib import Path

VOICE_AMR = (Path(__file__).parent / "data" / "voice.amr").read_bytes()
"""Half a second of AMR-NB 12.2 kbit/s as WeChat sends voice (`#!AMR` + 25 frames)."""


def png(width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A solid-colour PNG of this size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
