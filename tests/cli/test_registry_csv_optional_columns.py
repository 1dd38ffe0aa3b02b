"""Registry CSV optional columns (issue 14 item 1): digits, fraction_digits, replaces_meter_id,
initial_value, residents after the fixed header, in any order; old files read as before (v1
records); bad values reported by line like the others."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from meterbot_contracts.billing import RegistryMeterV2, RegistryRecord, RegistryRecordV2

from meterbot.registry_csv import OPTIONAL_COLUMNS, REGISTRY_HEADER, RegistryParseResult, parse_registry_csv

pytestmark = pytest.mark.unit

FIXED = ",".join(REGISTRY_HEADER)


def parse(header: str, *rows: str) -> RegistryParseResult:
    return parse_registry_csv(io.StringIO("\n".join([header, *rows]) + "\n", newline=""))


def test_an_old_file_gives_v1_records_as_before() -> None:
    result = parse(FIXED, "1001,Иванов,addr,M1,cold_water,SN1,,250.5,2026-09-30")
    [record] = result.records
    assert type(record) is RegistryRecord
    assert result.errors == []


def test_every_optional_column_in_any_order_fills_its_field() -> None:
    header = f"{FIXED},residents,initial_value,replaces_meter_id,fraction_digits,digits"
    result = parse(
        header,
        "1001,Иванов,addr,M2,cold_water,SN2,,,,3,0.5,M1,3,5",
        "1001,Иванов,addr,M3,hot_water,SN3,,12,2026-09-30,,,,,",
        "1002,Петров,addr2,,,,,,,,,,,",
    )
    assert result.errors == []
    first, second = result.records
    assert isinstance(first, RegistryRecordV2)
    m2, m3 = first.meters
    assert isinstance(m2, RegistryMeterV2)
    assert (m2.digits, m2.fraction_digits, m2.replaces_meter_id, m2.initial_value, m2.residents) == (
        5,
        3,
        "M1",
        Decimal("0.5"),
        3,
    )
    assert isinstance(m3, RegistryMeterV2)
    assert (m3.digits, m3.replaces_meter_id, m3.initial_value, m3.residents) == (None, None, None, None)
    assert second.meters == []


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ("0,,,,", "digits '0' is not a whole number from 1 to 12"),
        ("13,,,,", "digits '13' is not a whole number from 1 to 12"),
        ("5,x,,,", "fraction_digits 'x' is not a whole number from 0 to 6"),
        ("5,,M\x01,,", "replaces_meter_id contains the control character U+0001"),
        ("5,,,-1,", "initial_value '-1' is not a non-negative decimal"),
        ("5,,,,-2", "residents '-2' is not a whole number from 0 to 1000"),
        ("5,,,,٣", "residents '٣' is not a whole number"),
    ],
)
def test_a_bad_optional_value_is_reported_by_line_and_holds_its_account_back(
    cells: str, message: str
) -> None:
    header = f"{FIXED},digits,fraction_digits,replaces_meter_id,initial_value,residents"
    result = parse(
        header,
        "1001,Иванов,addr,M1,cold_water,SN1,,,,5,,,,",
        f"1002,Петров,addr,M2,cold_water,SN2,,,,{cells}",
    )
    [error] = result.errors
    assert error.line_number == 3
    assert message in error.message
    assert result.held_back == ["1002"]
    assert [r.account_number for r in result.records] == ["1001"]


def test_an_unknown_or_repeated_column_is_a_line_1_error() -> None:
    assert "unknown column 'colour'" in parse(f"{FIXED},colour").errors[0].message
    assert "named twice" in parse(f"{FIXED},digits,digits").errors[0].message
    assert parse(f"{FIXED},digits").errors == []


def test_an_account_without_meters_has_its_optional_cells_empty() -> None:
    result = parse(f"{FIXED},digits", "1002,Петров,addr,,,,,,,5")
    assert "meter_id is empty" in result.errors[0].message


def test_the_table_names_fields_of_the_contract() -> None:
    assert set(OPTIONAL_COLUMNS) <= set(RegistryMeterV2.model_fields)
