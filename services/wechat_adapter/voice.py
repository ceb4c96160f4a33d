"""WeChat voice (AMR, Ogg Speex) as MP3 a browser plays, with Debian's ffmpeg when it is installed.

Browsers play neither AMR nor Speex. Without ffmpeg the original is kept and the agent reads
WeChat's recognition text instead (it comes in the callback when voice recognition is on).
"""

import asyncio
import logging
import shutil

log = logging.getLogger("relaydesk.wechat")
CONVERTIBLE = frozenset({"audio/amr", "audio/ogg"})
TIMEOUT = 10.0
"""WeChat voice lasts at most 60 s: ffmpeg converts that in well under a second."""


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


async def to_mp3(data: bytes, timeout: float = TIMEOUT) -> bytes | None:
    """`data` as mono MP3, or None when ffmpeg is missing or cannot read it."""
    if (program := ffmpeg()) is None:
        return None
    process = await asyncio.create_subprocess_exec(
        *(program, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", "pipe:0"),
        *("-vn", "-ac", "1", "-b:a", "32k", "-f", "mp3", "pipe:1"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(data), timeout)
    except TimeoutError:
        log.warning("ffmpeg took over %ss on a voice message; kept the original", timeout)
        return None
    finally:
        if process.returncode is None:  # timed out or cancelled: no ffmpeg left behind
            process.kill()
            await process.wait()
    if process.returncode != 0 or not out:
        log.warning("ffmpeg could not convert a voice message (exit %s); kept the original", process.returncode)
        return None
    return out
