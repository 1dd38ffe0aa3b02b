"""A service refuses to start with producer settings that could lose or duplicate an acknowledged
message when a real Kafka broker fails over: acks must be all, and idempotence on when
METERBOT_KAFKA_IDEMPOTENT says so."""

from __future__ import annotations

import pytest
from meterbot_platform.broker import UnsafeProducerSettings, make_broker, make_producer, require_durable
from meterbot_platform.settings import KafkaSettings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("idempotent", [True, False])
async def test_the_producers_we_build_pass(idempotent: bool) -> None:
    settings = KafkaSettings(kafka_idempotent=idempotent)
    make_producer(settings, "meterbot-test")
    make_broker(settings, "test")


@pytest.mark.parametrize(
    ("acks", "idempotent", "expected"),
    [
        (1, True, "acks=1 (needs all)"),
        (0, False, "acks=0 (needs all)"),
        ("all", False, "the idempotent producer is off while METERBOT_KAFKA_IDEMPOTENT=true"),
    ],
)
def test_unsafe_settings_fail_fast_with_the_reason(acks: object, idempotent: bool, expected: str) -> None:
    with pytest.raises(UnsafeProducerSettings, match="outbox: ") as failure:
        require_durable("outbox", acks, idempotent, KafkaSettings(kafka_idempotent=True))
    assert expected in str(failure.value)


def test_idempotence_off_is_fine_where_the_setting_says_so() -> None:
    require_durable("outbox", -1, False, KafkaSettings(kafka_idempotent=False))  # tansu
