"""The request/reply seam's one table: each command the bot sends has its kind, each answering event
points back at it, and the responder consumes every answer (issue 10 item 5)."""

from __future__ import annotations

from typing import get_args

import pytest
from telegram_gateway.commands import EXCHANGES, KIND_OF_ANSWER, KIND_OF_COMMAND
from telegram_gateway.responder import HANDLED
from telegram_gateway.storage.pending import Kind, ReplyContext

pytestmark = pytest.mark.unit


def test_one_exchange_per_kind_and_every_answer_names_its_kind() -> None:
    assert sorted(e.kind for e in EXCHANGES) == sorted(get_args(Kind))
    for exchange in EXCHANGES:
        assert KIND_OF_COMMAND[exchange.command] == exchange.kind
        assert all(KIND_OF_ANSWER[a] == exchange.kind for a in exchange.answers)
    assert len(KIND_OF_ANSWER) == sum(len(e.answers) for e in EXCHANGES)  # no event answers two kinds


def test_the_responder_consumes_every_answer() -> None:
    assert set(KIND_OF_ANSWER) <= set(HANDLED)


def test_the_context_is_typed_and_round_trips_through_json() -> None:
    context = ReplyContext(account_number="100", meter_id="M-1", label="Газ M-1", surname="Ёлкина")
    assert ReplyContext.model_validate_json(context.model_dump_json()) == context
    # rows written before the typed context (keys "number", "account") still load
    assert ReplyContext.model_validate_json('{"number": "1", "label": "x"}').label == "x"
