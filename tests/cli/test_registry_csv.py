"""Registry CSV (DESIGN §4): records per account, bad rows reported by line and not stopping good ones."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.readings import MeterType

from meterbot.registry_csv import REGISTRY_HEADER, RegistryParseResult, parse_registry_csv

pytestmark = pytest.mark.unit

HEADER = ",".join(REGISTRY_HEADER)


def parse(*rows: str, header: str = HEADER) -> RegistryParseResult:
    return parse_registry_csv(io.StringIO("\n".join([header, *rows]) + "\n", newline=""))


def test_accounts_group_their_meters_and_an_account_may_have_none() -> None:
    result = parse(
        '1001,Мамин-Сибиряк,"ул. Ленина, 1, кв. 5",M1,cold_water,SN1,2030-01-31,250.550,2025-02-25',
        "1002,Ёлкин,ул. Мира 2,,,,,,",
        '1001,Мамин-Сибиряк,"ул. Ленина, 1, кв. 5",M2,hot_water,,,,',
    )
    assert result.errors == []
    assert result.held_back == []
    first, second = result.records
    assert (first.account_number, first.surname, first.address) == (
        "1001",
        "Мамин-Сибиряк",
        "ул. Ленина, 1, кв. 5",
    )
    m1, m2 = first.meters
    assert (m1.meter_id, m1.meter_type, m1.serial_number) == ("M1", MeterType.COLD_WATER, "SN1")
    assert (m1.verified_until, m1.last_value, m1.last_value_date) == (
        date(2030, 1, 31),
        Decimal("250.550"),
        date(2025, 2, 25),
    )
    assert (m2.verified_until, m2.last_value) == (None, None)  # empty verified_until = not known
    assert (second.account_number, second.meters) == ("1002", [])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1001,Иванов,addr,M1,water,,,,", "meter_type"),
        ("1001,Иванов,addr,M1,gas,,31.01.2030,,", "verified_until"),
        ("1001,Иванов,addr,M1,gas,,2030-02-30,,", "verified_until"),
        ("1001,Иванов,addr,M1,gas,,,12,5,", "expected 9 columns"),
        ('1001,Иванов,addr,M1,gas,,,"12,5",', "last_value"),
        ("1001,Иванов,addr,M1,gas,,,-1,", "last_value"),
        ("1001,Иванов,addr,M1,gas,,,1e3,", "last_value"),
        ("1001,Иванов,addr,M1,gas,,,,2025/01/01", "last_value_date"),
        (",Иванов,addr,,,,,,", "account_number is empty"),
        ("1001,,addr,,,,,,", "surname is empty"),
        ("1001,-,addr,,,,,,", "no letters"),
        ("1001,Иванов,addr,,gas,,,,", "meter_id is empty"),
        ("1001,Иванов,addr", "expected 9 columns"),
        ("1" * 33 + ",Иванов,addr,,,,,,", "account_number is longer"),
        # what the bot could never link, or what one service would store and another park (NUL)
        ("A-1001,Иванов,addr,,,,,,", "account_number 'A-1001' is not digits only"),
        ("１００１,Иванов,addr,,,,,,", "is not digits only"),  # fullwidth digits
        ('1001,Иванов,"ул. Ленина\x00 1",,,,,,', "address contains the control character U+0000"),
        ("1001,Иванов,addr,M1,gas,SN\x001,,,", "serial_number contains the control character U+0000"),
        ("1001,Иван\x1bов,addr,,,,,,", "surname contains the control character U+001B"),
        ("1001,Иванов,addr,M\x7f1,gas,,,,", "meter_id contains the control character U+007F"),
    ],
)
def test_bad_row_is_reported_with_its_line_and_good_rows_still_import(row: str, message: str) -> None:
    result = parse("2001,Петров,addr,P1,electricity,,,,", row, "2002,Сидоров,addr,,,,,,")
    [error] = result.errors
    assert error.line_number == 3
    assert message in error.message
    assert [r.account_number for r in result.records] == ["2001", "2002"]


def test_conflicting_surname_or_address_is_an_error_on_the_later_row_and_holds_the_account_back() -> None:
    result = parse(
        "1001,Мамин-Сибиряк,addr,M1,gas,,,,",
        "1001,МАМИН СИБИРЯК,addr,M2,gas,,,,",  # same surname, normalised: fine
        "1001,Иванов,addr,M3,gas,,,,",
        "1001,Мамин-Сибиряк,other addr,M4,gas,,,,",
        "1002,Петров,addr,,,,,,",
    )
    assert [(e.line_number, e.message.split(" ")[0]) for e in result.errors] == [
        (4, "surname"),
        (5, "address"),
    ]
    assert "line 2" in result.errors[0].message
    assert result.held_back == ["1001"]
    assert [r.account_number for r in result.records] == ["1002"]


def test_duplicate_meter_id_is_an_error_on_the_later_row() -> None:
    result = parse("1001,Иванов,addr,M1,gas,,,,", "1002,Петров,addr,M1,gas,,,,")
    [error] = result.errors
    assert (error.line_number, "already on line 2" in error.message) == (3, True)
    assert [r.account_number for r in result.records] == ["1001"]
    assert result.held_back == ["1002"]


def test_wrong_or_missing_header_is_reported_on_line_1_and_nothing_imports() -> None:
    result = parse("1001,Иванов,addr,,,,,,", header="account,surname")
    assert [e.line_number for e in result.errors] == [1]
    assert result.records == []
    assert parse_registry_csv([]).errors[0].line_number == 1


def test_bom_blank_lines_crlf_and_multiline_quoted_fields_keep_line_numbers_right() -> None:
    text = (
        "\ufeff" + HEADER + "\r\n"
        "\r\n"
        '1001,Иванов,"дом 1\r\nкв. 2",M1,gas,,,,\r\n'
        "1002,Петров,addr,M2,gas,,bad,,\r\n"
    )
    result = parse_registry_csv(io.StringIO(text, newline=""))
    assert [(e.line_number, e.message.split(" ")[0]) for e in result.errors] == [(5, "verified_until")]
    assert result.records[0].address == "дом 1\r\nкв. 2"


def test_unreadable_csv_is_a_row_error() -> None:
    result = parse('1001,Иванов,"addr"x,,,,,,', "1002,Петров,addr,,,,,,")
    assert [e.line_number for e in result.errors] == [2]
    assert [r.account_number for r in result.records] == ["1002"]


def test_accepts_a_plain_list_of_lines() -> None:
    result = parse_registry_csv([HEADER, "1001,Иванов,addr,M1,gas,,,,"])
    assert [r.account_number for r in result.records] == ["1001"]


@given(st.lists(st.sampled_from(["good", "bad"]), min_size=1, max_size=30))
def test_every_bad_row_is_reported_at_its_line_and_every_good_account_imports(kinds: list[str]) -> None:
    rows = [
        f"{i},Фамилия{i},addr,M{i},gas,,,{i}," if kind == "good" else f"{i},Фамилия{i},addr,M{i},gas,,,x{i},"
        for i, kind in enumerate(kinds)
    ]
    result = parse(*rows)
    assert [e.line_number for e in result.errors] == [i + 2 for i, k in enumerate(kinds) if k == "bad"]
    assert [r.account_number for r in result.records] == [str(i) for i, k in enumerate(kinds) if k == "good"]


def test_many_rows_parse_to_their_accounts() -> None:
    """Streamed parsing of a bigger file (its speed on 100k rows: bench/registry_csv_parse.py)."""
    result = parse_registry_csv(big_registry(5_000))
    assert result.errors == []
    assert len(result.records) == 5_000
    assert sum(len(r.meters) for r in result.records) == 10_000


def big_registry(accounts: int) -> Iterator[str]:
    yield HEADER + "\n"
    for i in range(accounts):
        account = f'{i:08d},Фамилия-{i},"г. Москва, ул. Ленина, д. {i}"'
        yield f"{account},C{i},cold_water,SN{i},2030-01-01,{i}.125,2025-02-25\n"
        yield f"{account},H{i},hot_water,SN{i},,{i},2025-02-25\n"
