"""Personal data out of logs, in one place: `redact(text)` and the logging filter that applies it to
every record a service writes (message, arguments, exception text, extra fields).

What it catches, wherever a library puts it:
- pydantic's `input_value=...` (a validation error prints the input: aiogram's failed Update, a
  command with a surname, settings);
- the values of fields that hold personal data, written `key=value`, `key='value'`, `"key": "value"`
  (phone, phone_number, first_name, last_name, username, surname, address, text, caption, ...):
  aiogram's reprs of updates and contacts, JSON dumps, dict reprs;
- PostgreSQL's and asyncpg's echo of values (`Failing row contains (...)`, `Key (col)=(value)`,
  `invalid input syntax for type ...: "value"`, `invalid input for query argument $1: 'value'`);
- phone numbers anywhere (+7 916 123-45-67, 89161234567, +44...);
- and, a secret rather than personal data, the bot token inside Bot API URLs.
A free-standing surname with no key around it cannot be told from other words; code must not log
one (handlers log ids, never what a resident typed)."""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "<redacted>"
PERSONAL_KEYS = (
    "phone_number",
    "phone",
    "first_name",
    "last_name",
    "full_name",
    "username",
    "surname",
    "address",
    "text",
    "caption",
    "vcard",
)
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL), f"input_value={REDACTED}"),
    (
        re.compile(
            rf"(?P<key>['\"]?\b(?:{'|'.join(PERSONAL_KEYS)})\b['\"]?\s*[:=]\s*)(?:{_QUOTED}|[^,\s)}}\]]+)"
        ),
        rf"\g<key>{REDACTED}",
    ),
    (re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\.?\n)", re.MULTILINE), rf"\1({REDACTED})"),
    (
        re.compile(r"(Key \([^)]*\)=)\(.*?\)(?= already exists| is not present| conflicts|\.|$)"),
        rf"\1({REDACTED})",
    ),
    (re.compile(r"(invalid input (?:syntax|value) for [^:\n]*: )\"[^\"\n]*\""), rf'\1"{REDACTED}"'),
    (re.compile(r"(invalid input for query argument \$\d+: ).*?(?= \(|$)", re.MULTILINE), rf"\1{REDACTED}"),
    (
        re.compile(r"(?<![\w+.])(?:\+7|8|7)[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?![\w.])"),
        "<phone>",
    ),
    (re.compile(r"(?<![\w.])\+\d{10,15}(?![\w.])"), "<phone>"),
    # not personal, but a secret: Bot API URLs carry the bot token (aiohttp's access log, errors)
    (re.compile(r"(/bot)\d+:[^/\s\"']+"), r"\1<token>"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactPersonalData(logging.Filter):
    """Rewrites a record in place before any handler formats it: the message is merged with its
    arguments and redacted; the exception and stack text are formatted now and redacted."""

    def __init__(self, formatter: logging.Formatter | None = None) -> None:
        super().__init__()
        self._formatter = formatter or logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key in PERSONAL_KEYS:
                record.__dict__[key] = REDACTED
            elif key not in _STANDARD:
                record.__dict__[key] = _redact_value(value)
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
