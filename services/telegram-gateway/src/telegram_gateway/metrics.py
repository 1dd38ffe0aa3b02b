"""Gateway metrics (default registry). Labels hold no personal data: no chat ids, no texts."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REPLY_LATENCY = Histogram(
    "meterbot_reply_latency_seconds",
    "Time from a resident's message reaching the gateway to the bot's reply",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REPLIES_TIMED_OUT = Counter(
    "meterbot_replies_timed_out_total",
    "Requests whose answering event did not arrive within the reply timeout",
    ["service"],
)
TELEGRAM_UPDATES = Counter(
    "meterbot_telegram_updates_total", "Telegram updates received, by update kind", ["service", "kind"]
)
TELEGRAM_UPDATES_SKIPPED = Counter(
    "meterbot_telegram_updates_skipped_total",
    "Telegram updates skipped unhandled: `unparseable` (aiogram could not read it), `group` (not a "
    "private chat), `flood` (over the rate limit)",
    ["service", "reason"],
)
