"""Field limits shared by the contract models and every edge that checks input before a command is
built (the bot's prompts, the registry CSV import): one number each, here."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

ACCOUNT_NUMBER_MAX = 32
SURNAME_MAX = 128
ADDRESS_MAX = 512
METER_ID_MAX = 64
SERIAL_NUMBER_MAX = 64
RAW_VALUE_MAX = 64  # a reading as typed: longer text is no number anyway

# What a resident can link: the bot takes an account number of digits only (DESIGN §6).
LINKABLE_ACCOUNT_NUMBER = re.compile(rf"[0-9]{{1,{ACCOUNT_NUMBER_MAX}}}")
# Control characters (NUL, escapes) have no place in registry text; tabs and line breaks do (an
# address may span lines).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

AccountNumberField = Annotated[str, StringConstraints(min_length=1, max_length=ACCOUNT_NUMBER_MAX)]
SurnameField = Annotated[str, StringConstraints(min_length=1, max_length=SURNAME_MAX)]
MeterIdField = Annotated[str, StringConstraints(min_length=1, max_length=METER_ID_MAX)]


def without_control_characters(text: str) -> str:
    """Registry text PostgreSQL and the bot can hold: a NUL is refused by PostgreSQL (one service would
    take a record another parks), other control characters garble the bot's messages."""
    if found := CONTROL_CHARACTERS.search(text):
        raise ValueError(f"contains the control character U+{ord(found.group()):04X}")
    return text


# Registry text (validated, not constrained: the public JSON schema stays as it is)
RegistryText = Annotated[str, AfterValidator(without_control_characters)]
