"""Telegram parse modes (HTML, MarkdownV2, legacy Markdown) -> plain text + MessageEntity list.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Errors mirror Telegram's
``Bad Request: can't parse entities: ...`` so bots see the same failures as in production.
"""

from __future__ import annotations

import html
import re
from typing import Any

JSON = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_TOGGLES = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_LEGACY_TOGGLES = {"*": "bold", "_": "italic"}
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class EntityParseError(ValueError):
    """Raised for text Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's unit for entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def parse(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """Render ``text`` under ``parse_mode``; return the visible text and its entities."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _Html(text).run()
    if mode in ("markdownv2", "markdown"):
        return _Markdown(text, v2=mode == "markdownv2").run()
    raise EntityParseError(f"unsupported parse_mode {parse_mode!r}")


def command_entities(text: str) -> list[JSON]:
    """bot_command entities, as Telegram attaches them to ``/commands`` in user text."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        for m in _COMMAND_RE.finditer(text)
    ]


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


def _finish(out: list[str], entities: list[JSON]) -> tuple[str, list[JSON]]:
    kept = [e for e in entities if e["length"] > 0]
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), kept


class _Html:
    def __init__(self, src: str) -> None:
        self.src = src
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[tuple[str, int, JSON]] = []
        self.entities: list[JSON] = []

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def run(self) -> tuple[str, list[JSON]]:
        src, i = self.src, 0
        while i < len(src):
            if src[i] == "<":
                i = self._tag(i)
            elif src[i] == "&" and (ref := _CHAR_REF_RE.match(src, i)):
                self.emit(html.unescape(ref.group(0)))
                i = ref.end()
            else:
                self.emit(src[i])
                i += 1
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return _finish(self.out, self.entities)

    def _tag(self, i: int) -> int:
        match = _TAG_RE.match(self.src, i)
        at = _byte_offset(self.src, i)
        if match is None:
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise EntityParseError(f'Unsupported {kind} tag "{name}" at byte offset {at}')
        if closing:
            self._close(name, at)
            return match.end()
        attrs = {
            k.lower(): html.unescape((v or "").strip("\"'")) for k, v in _ATTR_RE.findall(match.group(3))
        }
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append((name, self.offset, attrs))
        return match.end()

    def _close(self, name: str, at: int) -> None:
        if not self.stack or self.stack[-1][0] != name:
            expected = f'"</{self.stack[-1][0]}>"' if self.stack else "no end tag"
            raise EntityParseError(
                f'Unmatched end tag at byte offset {at}, expected {expected}, found "</{name}>"'
            )
        tag, start, attrs = self.stack.pop()
        entity: JSON = {"type": _HTML_TAGS[tag], "offset": start, "length": self.offset - start}
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1][2]["language"] = language.removeprefix("language-")
            return
        if tag == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        elif tag == "a":
            if not attrs.get("href"):
                return
            entity["url"] = attrs["href"]
        elif tag == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attrs.get("emoji-id", "")
        self.entities.append(entity)


class _Markdown:
    """MarkdownV2 (strict reserved characters) and legacy Markdown (lenient)."""

    def __init__(self, src: str, *, v2: bool) -> None:
        self.src, self.v2 = src, v2
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[tuple[str, int, int]] = []  # (type, utf16 start, source index)
        self.entities: list[JSON] = []
        self.quote_start: int | None = None

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def fail_unclosed(self, kind: str, index: int) -> EntityParseError:
        at = _byte_offset(self.src, index)
        if not self.v2:
            return EntityParseError(f"Can't find end of the entity starting at byte offset {at}")
        return EntityParseError(f"Can't find end of {kind.title()} entity at byte offset {at}")

    def run(self) -> tuple[str, list[JSON]]:  # noqa: PLR0912  (one branch per token kind)
        src, i = self.src, 0
        toggles = _V2_TOGGLES if self.v2 else _LEGACY_TOGGLES
        while i < len(src):
            c, two = src[i], src[i : i + 2]
            at_line_start = i == 0 or src[i - 1] == "\n"
            if c == "\\" and i + 1 < len(src) and (self.v2 or src[i + 1] in "_*`["):
                self.emit(src[i + 1])
                i += 2
            elif c == "`":
                i = self._code(i)
            elif self.v2 and two in toggles:
                self._toggle(toggles[two], i)
                i += 2
            elif c in toggles:
                self._toggle(toggles[c], i)
                i += 1
            elif c == "[":
                self.stack.append(("text_link", self.offset, i))
                i += 1
            elif c == "]" and self.stack and self.stack[-1][0] == "text_link":
                i = self._link_url(i)
            elif self.v2 and c == ">" and at_line_start:
                if self.quote_start is None:
                    self.quote_start = self.offset
                i += 1
            elif self.v2 and c in _V2_RESERVED:
                raise EntityParseError(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                if c == "\n" and self.quote_start is not None and src[i + 1 : i + 2] != ">":
                    self._close_quote()
                self.emit(c)
                i += 1
        self._close_quote()
        if self.stack:
            kind, _, index = self.stack[-1]
            raise self.fail_unclosed(kind, index)
        return _finish(self.out, self.entities)

    def _close_quote(self) -> None:
        if self.quote_start is not None:
            self.entities.append(
                {"type": "blockquote", "offset": self.quote_start, "length": self.offset - self.quote_start}
            )
            self.quote_start = None

    def _toggle(self, kind: str, index: int) -> None:
        for pos in range(len(self.stack) - 1, -1, -1):
            if self.stack[pos][0] == kind:
                _, start, _ = self.stack.pop(pos)
                self.entities.append({"type": kind, "offset": start, "length": self.offset - start})
                return
        if not self.v2 and self.stack:
            raise self.fail_unclosed(self.stack[-1][0], self.stack[-1][2])
        self.stack.append((kind, self.offset, index))

    def _scan(self, i: int, end: str) -> tuple[str, int]:
        """Read raw text up to the unescaped ``end`` marker; return (text, index after marker)."""
        chunk: list[str] = []
        while i < len(self.src):
            if self.src.startswith(end, i):
                return "".join(chunk), i + len(end)
            if self.src[i] == "\\" and i + 1 < len(self.src) and self.v2:
                chunk.append(self.src[i + 1])
                i += 2
                continue
            chunk.append(self.src[i])
            i += 1
        raise EntityParseError("unterminated")

    def _code(self, i: int) -> int:
        is_pre = self.src.startswith("```", i)
        marker = "```" if is_pre else "`"
        try:
            body, after = self._scan(i + len(marker), marker)
        except EntityParseError:
            raise self.fail_unclosed("pre" if is_pre else "code", i) from None
        entity: JSON = {"type": "pre" if is_pre else "code", "offset": self.offset}
        if is_pre and "\n" in body:
            first, rest = body.split("\n", 1)
            if first and not any(ch.isspace() for ch in first):
                entity["language"], body = first, rest
        self.emit(body)
        entity["length"] = utf16_len(body)
        self.entities.append(entity)
        return after

    def _link_url(self, i: int) -> int:
        if self.src[i + 1 : i + 2] != "(":
            if self.v2:
                raise EntityParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            self.stack.pop()
            return i + 1
        try:
            url, after = self._scan(i + 2, ")")
        except EntityParseError:
            raise self.fail_unclosed("text_link", i) from None
        _, start, _ = self.stack.pop()
        self.entities.append(
            {"type": "text_link", "offset": start, "length": self.offset - start, "url": url}
        )
        return after
