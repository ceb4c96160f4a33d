"""HTML mail bodies as readable text (pure): scripts and styles dropped, blocks on lines of their own."""

import re
from html.parser import HTMLParser

_HIDDEN = {"script", "style", "head", "title", "noscript", "template", "xml"}
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "blockquote"}
_BLOCKS = _PARAGRAPHS | {
    "div",
    "li",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "address",
    "dt",
    "dd",
    "center",
    "form",
    "fieldset",
    "figure",
    "caption",
}
_SPACES = re.compile(r"[ \t\r\n\f]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
HR = "_" * 32
"""What a rule becomes: the line Outlook's plain-text part puts above a quoted header block."""


def html_to_text(html: str) -> str:
    """The text a reader sees in `html`; blockquotes come out `> `-quoted like a plain-text reply."""
    builder = _TextBuilder()
    # Word's "<![if !supportLists]>" marked sections make HTMLParser raise; as "<!...>" they are comments.
    builder.feed(html.replace("<![", "<!"))
    builder.close()
    return builder.text()


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.hidden = self.quote = self.last_quote = self.pre = self.cells = 0
        self.gap = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "body":
            self.hidden = 0  # an unclosed <head> must not hide the whole message
        elif tag == "br":
            self.flush(keep_empty=True)
        elif tag == "hr":
            self.flush()
            self.line.append(HR)
            self.flush()
        elif tag in _BLOCKS:
            self.flush(paragraph=tag in _PARAGRAPHS)
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"
            if tag == "li":
                self.line.append("- ")
            elif tag == "tr":
                self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self.line.append(" | ")
            self.cells += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN:  # "<script/>" opens nothing to close
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.flush(paragraph=tag in _PARAGRAPHS)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.line.append(first)
            for piece in rest:
                self.flush(keep_empty=True)
                self.line.append(piece)
            return
        self.line.append(_SPACES.sub(" ", data))

    def flush(self, keep_empty: bool = False, paragraph: bool = False) -> None:
        text = "".join(self.line)
        text = (text.rstrip() if self.pre else _SPACES.sub(" ", text).strip()).replace("\xa0", " ")
        self.line = []
        if text or keep_empty:
            if self.gap and self.lines and self.lines[-1].strip("> "):
                self.lines.append(("> " * min(self.quote, self.last_quote)).rstrip())
            self.lines.append(("> " * self.quote + text).rstrip())
            self.gap, self.last_quote = False, self.quote
        self.gap = self.gap or paragraph

    def text(self) -> str:
        self.flush()
        return _BLANK_RUNS.sub("\n\n", "\n".join(self.lines)).strip("\n")
