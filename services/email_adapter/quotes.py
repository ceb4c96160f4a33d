"""What the customer newly wrote in a mail (pure): quoted history, signatures and phone footers cut."""

import re

_WROTE = re.compile(r"(?:wrote|写道|寫道)\s*[:：]\s*$", re.I)
_LEAD = re.compile(r"^\s*(?:On\s|At\s|在|Le\s|Am\s|\d{4}\s*年|\d{4}[-/.])", re.I)
_WHEN = re.compile(r"\d{1,2}:\d{2}|\d\s*年|\d{4}")
"""Clients always date their attribution line; "On 3 June I wrote:" in a customer's own text is not one."""
_ORIGINAL = re.compile(
    r"^\s*-{2,}(?:\s|&nbsp;)*(?:Original(?:\s+Message)?|原始邮件|原始郵件|原邮件|邮件原件)(?:\s|&nbsp;)*-{2,}\s*$", re.I
)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_HEADER = re.compile(
    r"^\s*\*?(?:From|Sent|Date|To|Cc|Bcc|Subject|Reply-To|发件人|發件人|寄件者|寄件人|发送时间|發送時間|傳送時間|发送日期|寄件日期|时间|日期"
    r"|收件人|收件者|抄送|副本|主题|主題|主旨)\*?\s*[:：]",
    re.I,
)
_FROM = re.compile(r"^\s*\*?(?:From|发件人|發件人|寄件者|寄件人)\*?\s*[:：]", re.I)
_SUBJECT = re.compile(r"^\s*\*?(?:Subject|主题|主題|主旨)\*?\s*[:：]", re.I)
_FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|转发的邮件|转发邮件信息|转发邮件|转发的消息|轉寄的郵件|轉發的郵件)\s*-{2,}"
    r"|Begin forwarded message:|开始转发的邮件[:：]|以下是转发的邮件[:：]?)\s*$",
    re.I,
)
_SIGNATURE = re.compile(r"^--\s?$")
_FOOTER = re.compile(
    r"^\s*(?:(?:发自|来自|寄自|發自|來自)我的.{1,24}|从我的.{1,24}发送|Sent from my .{1,40}"
    r"|Sent from (?:Mail|Outlook|Yahoo Mail|Gmail) for .{1,30}|Get Outlook for (?:iOS|Android))\s*$",
    re.I,
)
_BLANK_RUNS = re.compile(r"\n{3,}")
HEADER_BLOCK_MIN = 2
"""Header-looking lines that make a block a forwarded message's headers rather than the customer's text."""


def strip_quoted(text: str, *, forwarded: bool = False) -> str:
    """`text` without quoted history and signature; the whole text when nothing new would be left.

    `forwarded` (a "Fwd:"/"转发:" subject) turns the separators Outlook and QQ Mail put above a
    forwarded message, which look exactly like their reply separators, into forward markers.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    new = _BLANK_RUNS.sub("\n\n", "\n".join(_new_lines(lines, forwarded))).strip()
    return new or text.strip()


def _new_lines(lines: list[str], forwarded: bool) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        separator = _is_separator(lines, i)
        if _FORWARD.match(line) or (forwarded and separator):
            # The customer is showing us this message: keep it whole, minus its header block.
            header_line = bool(_FROM.match(line))
            start = i if header_line else i + 1
            after = _after_headers(lines, start)
            marker = [] if header_line or _RULE.match(line) else [line.strip()]
            return [*kept, *marker, *([""] if marker and after > start else []), *lines[after:]]
        if separator:
            break
        if span := _attribution(lines, i):
            i += span
            if not _quoted_next(lines, i):
                break  # history pasted below the attribution without "> " marks
            continue
        if _SIGNATURE.match(line) or _FOOTER.match(line):
            following = next((j for j in range(i + 1, len(lines)) if _FORWARD.match(lines[j])), None)
            if following is None:
                break
            kept.append("")
            i = following
            continue
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
        i += 1
    return kept


def _is_separator(lines: list[str], i: int) -> bool:
    """Where Outlook, Foxmail/QQ Mail and most webmail begin the message being replied to."""
    line = lines[i]
    if _ORIGINAL.match(line):
        return True
    if _RULE.match(line):
        following = [other for other in lines[i + 1 : i + 4] if other.strip()]
        return bool(following) and bool(_FROM.match(following[0]))
    if _FROM.match(line):
        block = lines[i + 1 : i + 8]
        headers = [other for other in block if _HEADER.match(other)]
        return len(headers) >= HEADER_BLOCK_MIN and any(_SUBJECT.match(other) for other in block)
    return False


def _attribution(lines: list[str], i: int) -> int:
    """How many lines the "On … wrote:" / "…写道：" line at `i` spans (Gmail wraps long ones), or 0."""
    if _is_attribution(lines[i]):
        return 1
    if i + 1 < len(lines) and lines[i].strip() and not _is_attribution(lines[i + 1]):
        joined = f"{lines[i].strip()} {lines[i + 1].strip()}"
        if _WROTE.search(lines[i + 1]) and ("<" in lines[i] or _LEAD.match(lines[i])) and _is_attribution(joined):
            return 2
    return 0


def _is_attribution(line: str) -> bool:
    return (
        len(line) <= 300
        and bool(_WROTE.search(line))
        and bool(_WHEN.search(line))
        and bool(_LEAD.match(line) or "@" in line or "于" in line)
    )


def _quoted_next(lines: list[str], i: int) -> bool:
    following = next((line for line in lines[i:] if line.strip()), ">")
    return following.lstrip().startswith(">")


def _after_headers(lines: list[str], start: int) -> int:
    """The first line after a forwarded message's header block, or `start` when there is no clear block."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    end = i
    while end < len(lines) and _HEADER.match(lines[end]):
        end += 1
    if end - i < HEADER_BLOCK_MIN:
        return start
    while end < len(lines) and not lines[end].strip():
        end += 1
    return end
