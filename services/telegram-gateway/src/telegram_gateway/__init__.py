"""telegram-gateway: the Telegram bot residents talk to. It publishes commands to Kafka, keeps its own
read model from the services' events and answers residents when the resulting events arrive."""

from telegram_gateway.aiogram_import import import_aiogram_deferred

# Before any module of this package imports aiogram: its ~300 types are built on first use (see there).
import_aiogram_deferred()
