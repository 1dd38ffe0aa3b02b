"""Parsing the billing registry CSV (DESIGN §4, fixed format). Pure: lines in, records and errors out.

    account_number,surname,address,meter_id,meter_type,serial_number,verified_until,last_value,last_value_date

- One row per meter; an account without meters has one row with the meter columns empty. Rows of one
  account need not be adjacent. Fields are stripped; blank lines are skipped; a UTF-8 BOM is ignored.
- meter_type is one of MeterType; dates are YYYY-MM-DD; last_value is a decimal with '.'; an empty
  verified_until means "not known".
- Validated as the bot and the services will see it, once, before anything is published: an account
  number is digits only (what a resident can type to link it), text has no control characters (a NUL
  would be stored by one service and refused by another), lengths are the contract's
  (meterbot_contracts.fields), and every record passes the RegistryRecord contract.
- Optional columns may follow the fixed header, any of OPTIONAL_COLUMNS in any order (a file without
  them is read exactly as before): digits, fraction_digits, replaces_meter_id, initial_value,
  residents. An empty cell is "not given". A file with optional columns gives RegistryRecordV2 records
  (meters RegistryMeterV2); an unknown column name after the fixed header is a line 1 error.
- A bad row is reported with its 1-based file line (the header is line 1; a quoted field spanning lines
  is reported at the line where its row starts) and does not stop the other rows.
- A surname (compared normalised) or address that differs from an earlier row of the same account, and a
  meter_id already seen on an earlier row, are errors on the later row.
- An account with any bad row is held back whole (listed in `held_back`): a record lists ALL meters of an
  account and a meter it omits is closed downstream, so a partial record would close a meter because of
  a typo. Its previous registry state stays until the file is fixed.

Feed it the file object (`open(path, newline="", encoding="utf-8")`); 100k rows take well under a second."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from accounts.domain.surname import normalize_surname  # the rule accounts compares surnames by
from meterbot_contracts.billing import RegistryMeter, RegistryMeterV2, RegistryRecord, RegistryRecordV2
from meterbot_contracts.fields import (
    ACCOUNT_NUMBER_MAX,
    ADDRESS_MAX,
    CONTROL_CHARACTERS,
    LINKABLE_ACCOUNT_NUMBER,
    METER_ID_MAX,
    SERIAL_NUMBER_MAX,
    SURNAME_MAX,
)
from meterbot_contracts.readings import MeterType
from pydantic import BaseModel, ConfigDict, ValidationError

REGISTRY_HEADER = (
    "account_number",
    "surname",
    "address",
    "meter_id",
    "meter_type",
    "serial_number",
    "verified_until",
    "last_value",
    "last_value_date",
)
_METER_TYPES = frozenset(t.value for t in MeterType)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_LIMITS = {
    "account_number": ACCOUNT_NUMBER_MAX,
    "surname": SURNAME_MAX,
    "address": ADDRESS_MAX,
    "meter_id": METER_ID_MAX,
    "serial_number": SERIAL_NUMBER_MAX,
}


class RowError(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_number: int
    message: str


class RegistryParseResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    records: list[RegistryRecord]
    errors: list[RowError]
    held_back: list[str]  # account numbers not imported because one of their rows is bad


class _BadRowError(ValueError):
    pass


@dataclass(slots=True)
class _Row:
    account_number: str
    surname: str
    surname_key: str
    address: str
    meter: RegistryMeter | None


@dataclass(slots=True)
class _Account:
    line: int
    surname: str | None = None
    surname_key: str = ""
    address: str = ""
    meters: list[RegistryMeter] = field(default_factory=list)
    bad: bool = False


def _text(column: str, value: str, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise _BadRowError(f"{column} is empty")
    if len(value) > _LIMITS[column]:
        raise _BadRowError(f"{column} is longer than {_LIMITS[column]} characters")
    if found := CONTROL_CHARACTERS.search(value):
        raise _BadRowError(f"{column} contains the control character U+{ord(found.group()):04X}")
    return value


def _account_number(value: str) -> str:
    number = _text("account_number", value, required=True)
    if not LINKABLE_ACCOUNT_NUMBER.fullmatch(number):
        raise _BadRowError(f"account_number {number!r} is not digits only: no resident could link it")
    return number


def _date(column: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    not_a_date = _BadRowError(f"{column} {value!r} is not a date YYYY-MM-DD")
    if not _DATE.fullmatch(value):
        raise not_a_date
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise not_a_date from None


def _decimal(column: str, value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    if not _DECIMAL.fullmatch(value):
        raise _BadRowError(f"{column} {value!r} is not a non-negative decimal with '.'")
    return Decimal(value)


def _integer(low: int, high: int) -> Callable[[str, str], int | None]:
    def parse(column: str, value: str) -> int | None:
        value = value.strip()
        if not value:
            return None
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            raise _BadRowError(f"{column} {value!r} is not a whole number from {low} to {high}")
        return int(value)

    return parse


def _meter_id_ref(column: str, value: str) -> str | None:
    value = value.strip()
    if len(value) > METER_ID_MAX:
        raise _BadRowError(f"{column} is longer than {METER_ID_MAX} characters")
    if found := CONTROL_CHARACTERS.search(value):
        raise _BadRowError(f"{column} contains the control character U+{ord(found.group()):04X}")
    return value or None


# The optional columns after the fixed header: name -> how a cell is read (None: not given). Each
# name is the RegistryMeterV2 field it fills; a new column is one row here and one field there.
OPTIONAL_COLUMNS: dict[str, Callable[[str, str], object]] = {
    "digits": _integer(1, 12),
    "fraction_digits": _integer(0, 6),
    "replaces_meter_id": _meter_id_ref,
    "initial_value": _decimal,
    "residents": _integer(0, 1000),
}


def _optional(header: tuple[str, ...], cells: list[str]) -> dict[str, object]:
    """The given optional cells of a row, by column name (the header's names after the fixed ones)."""
    values = {}
    for column, cell in zip(header, cells, strict=True):
        value = OPTIONAL_COLUMNS[column](column, cell)
        if value is not None:
            values[column] = value
    return values


def _meter(meter_id: str, cells: list[str], optional: dict[str, object] | None) -> RegistryMeter | None:
    """The meter of a row from meter_id, the five columns after it and the given optional cells
    (None: the file has no optional columns); None for an account without meters."""
    meter_type, serial, verified, last_value, last_date = stripped = [c.strip() for c in cells]
    if not meter_id:
        if any(stripped) or optional:
            raise _BadRowError("meter columns are filled but meter_id is empty")
        return None
    if meter_type not in _METER_TYPES:
        raise _BadRowError(f"meter_type {meter_type!r} is not one of {', '.join(sorted(_METER_TYPES))}")
    fields = {
        "meter_id": meter_id,
        "meter_type": MeterType(meter_type),
        "serial_number": _text("serial_number", serial),
        "verified_until": _date("verified_until", verified),
        "last_value": _decimal("last_value", last_value),
        "last_value_date": _date("last_value_date", last_date),
    }
    model = RegistryMeter if optional is None else RegistryMeterV2
    try:  # the contract has the last word: what it refuses, accounts and readings would park
        return model.model_validate(fields | (optional or {}))
    except ValidationError as exc:
        raise _BadRowError(_first_error(exc)) from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"


def _row(cells: list[str], header: tuple[str, ...]) -> _Row:
    if len(cells) != len(header):
        raise _BadRowError(f"expected {len(header)} columns, got {len(cells)}")
    fixed = len(REGISTRY_HEADER)
    optional = _optional(header[fixed:], cells[fixed:]) if len(header) > fixed else None
    surname = _text("surname", cells[1], required=True)
    surname_key = normalize_surname(surname)
    if not surname_key:
        raise _BadRowError(f"surname {surname!r} has no letters")
    return _Row(
        account_number=_account_number(cells[0]),
        surname=surname,
        surname_key=surname_key,
        address=_text("address", cells[2]),
        meter=_meter(_text("meter_id", cells[3]), cells[4:fixed], optional),
    )


def _header_error(cells: list[str]) -> str | None:
    """Why the first row is not a header: the fixed columns, then optional ones, each at most once."""
    names = [c.strip() for c in cells]
    fixed = len(REGISTRY_HEADER)
    if tuple(names[:fixed]) != REGISTRY_HEADER:
        return f"the first line must be the header {','.join(REGISTRY_HEADER)}"
    extra = names[fixed:]
    unknown = [n for n in extra if n not in OPTIONAL_COLUMNS]
    if unknown:
        return f"unknown column {unknown[0]!r}; optional columns are {', '.join(OPTIONAL_COLUMNS)}"
    if len(set(extra)) != len(extra):
        return "an optional column is named twice"
    return None


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    iterator = iter(lines)
    first = next(iterator, None)
    if first is not None:
        yield first.removeprefix("\ufeff")
    yield from iterator


def _rows(lines: Iterable[str], errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) for every non-blank row; unreadable rows become errors."""
    reader = csv.reader(_without_bom(lines), strict=True)
    consumed = 0
    while True:
        start = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(line_number=start, message=f"unreadable CSV: {exc}"))
            consumed = reader.line_num
            continue
        consumed = reader.line_num
        if cells and (cells[0].strip() or any(c.strip() for c in cells)):
            yield start, cells


def _add(accounts: dict[str, _Account], meter_lines: dict[str, int], line: int, row: _Row) -> None:
    account = accounts.get(row.account_number)
    if account is None:
        account = accounts[row.account_number] = _Account(line=line)
    if account.surname is None:
        account.line, account.surname, account.surname_key, account.address = (
            line,
            row.surname,
            row.surname_key,
            row.address,
        )
    elif row.surname_key != account.surname_key:
        raise _BadRowError(f"surname differs from line {account.line} of account {row.account_number}")
    elif row.address != account.address:
        raise _BadRowError(f"address differs from line {account.line} of account {row.account_number}")
    if row.meter is not None:
        seen = meter_lines.setdefault(row.meter.meter_id, line)
        if seen != line:
            raise _BadRowError(f"meter_id {row.meter.meter_id!r} is already on line {seen}")
        account.meters.append(row.meter)


def parse_registry_csv(lines: Iterable[str]) -> RegistryParseResult:
    """Records (one per account, meters in file order) and the errors of bad rows, by line number."""
    errors: list[RowError] = []
    rows = _rows(lines, errors)
    first = next(rows, None)
    header_error = (
        f"the first line must be the header {','.join(REGISTRY_HEADER)}"
        if first is None or first[0] != 1
        else _header_error(first[1])
    )
    if first is None or header_error is not None:
        errors.append(RowError(line_number=1, message=header_error or ""))
        return RegistryParseResult(
            records=[], errors=sorted(errors, key=lambda e: e.line_number), held_back=[]
        )
    header = tuple(c.strip() for c in first[1])
    record_model = RegistryRecord if header == REGISTRY_HEADER else RegistryRecordV2
    accounts: dict[str, _Account] = {}
    meter_lines: dict[str, int] = {}
    for line, cells in rows:
        try:
            _add(accounts, meter_lines, line, _row(cells, header))
        except _BadRowError as exc:
            errors.append(RowError(line_number=line, message=str(exc)))
            number = cells[0].strip() if cells else ""
            if number:
                accounts.setdefault(number, _Account(line=line)).bad = True
    records = []
    for number, acc in accounts.items():
        if acc.bad or acc.surname is None:
            continue
        try:
            records.append(
                record_model(
                    account_number=number, surname=acc.surname, address=acc.address, meters=acc.meters
                )
            )
        except ValidationError as exc:
            errors.append(RowError(line_number=acc.line, message=_first_error(exc)))
            acc.bad = True
    held_back = [number for number, acc in accounts.items() if acc.bad]
    return RegistryParseResult(
        records=records, errors=sorted(errors, key=lambda e: e.line_number), held_back=held_back
    )
