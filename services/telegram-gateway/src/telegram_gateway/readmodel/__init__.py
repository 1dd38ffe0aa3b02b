"""The gateway's read model, built from the services' events (inbox-guarded) and read by the bot."""

from telegram_gateway.readmodel.queries import LinkedAccount, MeterView, PeriodReading, ReadModel

__all__ = ["LinkedAccount", "MeterView", "PeriodReading", "ReadModel"]
