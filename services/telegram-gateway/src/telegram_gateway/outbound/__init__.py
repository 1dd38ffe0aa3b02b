"""The outbound queue: every message the bot sends that nobody asked for just now (status pushes,
reminders, verification notices, news, /broadcast) goes through it. Replies to a resident's own
message do not: they stay immediate (handlers, Responder._answer, the timeout sweeper).

API (stable; the rest of the package is internal):

    from telegram_gateway.outbound import enqueue, enqueue_many, Outgoing

    async with pool.acquire() as conn, conn.transaction():
        ...  # the fact that makes the message due (an inbox claim, a ReminderSent row, ...)
        await enqueue(conn, chat_id, text, keyboard, dedupe_key="export:2026-11:123456")

- `enqueue(conn, chat_id, text, keyboard=None, *, dedupe_key) -> bool`: queue one message in the
  caller's transaction (so it is queued exactly when the caller's effects commit). `keyboard` is an
  aiogram InlineKeyboardMarkup / ReplyKeyboardMarkup / ReplyKeyboardRemove (stored as JSON).
  Returns False, and queues nothing, if `dedupe_key` was queued before, sent or not: enqueueing
  the same fact twice (a redelivered event, a re-export, two replicas) is one message. Make the
  key name the fact and the chat, e.g. `export:{period}:{chat_id}`, `reminder:{period}:open:{chat_id}`,
  `news:{news_id}:{chat_id}`. Keys are kept for good (they are the dedupe memory).
- `enqueue_many(conn, [Outgoing(chat_id, text, dedupe_key, keyboard), ...])`: the same for many
  (one executemany), e.g. a broadcast to every chat.
- Texts are final (already in the chat's language): the queue only delivers.

Delivery (OutboundSender, started by app.attach when there is a bot; settings
METERBOT_OUTBOUND_MESSAGES_PER_SECOND, default 30, and METERBOT_OUTBOUND_CHAT_INTERVAL, default 1 s):
- Pace: at most `rate` messages/s per bot over all replicas (a shared clock row, outbound_pace,
  from which each claim takes its slots) and one message per chat per interval (outbound_chats:
  a chat is held while one of its messages is in flight, and for the interval after it was sent).
  The limit holds on Telegram's clock too (window.py): a request starts only while fewer than
  `rate` requests are in flight or ended within the last second, and at most 32 are in flight.
- 429 `retry_after`: the message goes back to the queue for that long and the shared clock is
  pushed past it, so no replica sends before then. Blocked bot / chat not found / bad request:
  given up (kept with the reason, never retried). Network or server errors: retried with backoff.
- Replicas: a claim takes due rows with SELECT ... FOR UPDATE SKIP LOCKED and leases them
  (lease_until); a row leased by another replica is skipped until its lease ends.
- Restarts and crashes: rows are in PostgreSQL, so nothing queued is lost. A message is marked sent
  right after Telegram accepted it (marks are flushed every ~20 ms). A crash between Telegram's
  acceptance and the mark (kill -9, power loss) leaves the row leased but unmarked: when the lease
  ends (30 s) it is sent again. So delivery is AT LEAST ONCE, with duplicates bounded by the messages
  in that window (sends in flight plus marks not yet flushed). Exactly once is not possible here:
  sendMessage has no idempotency key, and a sent message cannot be looked up afterwards, so after a
  crash we cannot tell "sent, not marked" from "not sent"; of the two mistakes, a rare duplicate
  notice is better than a lost one. A clean stop (SIGTERM) waits for sends in flight and flushes the
  marks: no duplicates. Enqueueing, by contrast, is exactly once (dedupe key, same transaction).
"""

from __future__ import annotations

from telegram_gateway.outbound.queue import Keyboard, Outgoing, enqueue, enqueue_many
from telegram_gateway.outbound.schema import OUTBOUND_MIGRATION
from telegram_gateway.outbound.sender import OutboundSender

__all__ = ["OUTBOUND_MIGRATION", "Keyboard", "OutboundSender", "Outgoing", "enqueue", "enqueue_many"]
