"""The balances CSV of `meterbot balances import`: good rows become records, bad ones are reported
by line number and do not stop the good ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from meterbot.commands.balances import parse_balances_csv

pytestmark = pytest.mark.unit

HEADER = "account_number,amount_due,currency,as_of,due_date"


def test_good_and_bad_rows() -> None:
    result = parse_balances_csv(
        [
            HEADER,
            "100001,1520.30,RUB,2026-11-30,2026-12-25",
            "100002,-300,,2026-11-28,",  # empty currency: RUB; paid in advance
            "100003,12.345,RUB,2026-11-30,",  # line 4: three decimals
            "100004,10,rub,2026-11-30,",  # line 5: currency code
            "100005,10,RUB,30.11.2026,",  # line 6: date format
            "100006,10,RUB",  # line 7: columns
            "",
        ]
    )
    assert [(r.account_number, r.amount_due, r.currency) for r in result.records] == [
        ("100001", Decimal("1520.30"), "RUB"),
        ("100002", Decimal(-300), "RUB"),
    ]
    assert result.records[0].due_date == date(2026, 12, 25) and result.records[1].due_date is None
    assert [line for line, _ in result.errors] == [4, 5, 6, 7]
    assert "amount_due" in result.errors[0][1] and "currency" in result.errors[1][1]


def test_a_wrong_header_is_reported() -> None:
    result = parse_balances_csv(["account,amount", "1,2"])
    assert result.records == [] and result.errors[0][0] == 1
