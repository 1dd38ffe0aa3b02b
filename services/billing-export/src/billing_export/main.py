"""Composition root of the billing-export service: nothing is built at import time.

settings -> subscriber (readings' events) -> one outbox relay routing BillingReading to the public
topic and the rest to meterbot.billing-export.events -> export view projection -> HTTP routes."""

from __future__ import annotations

import sys

from meterbot_contracts.period import Period, period_of
from meterbot_contracts.topics import READINGS_EVENTS
from meterbot_platform.clock import Clock, utc_now
from meterbot_platform.outbox import OutboxRelay
from meterbot_platform.projection import ProjectionRunner
from meterbot_platform.runtime import Runtime, ServiceSpec, Wire
from meterbot_platform.runtime import main as run_main
from meterbot_platform.settings import HttpSettings, PeriodSettings

from billing_export import SERVICE
from billing_export.access import ExportApiExposed, export_token
from billing_export.application.closing import ClosedPeriod, close_period
from billing_export.application.readings import reading_handlers
from billing_export.http import routes
from billing_export.migrations import MIGRATIONS
from billing_export.projections import ExportView
from billing_export.publishing import routing_publisher


def make_wire(clock: Clock = utc_now) -> Wire:
    """The service's wiring; tests pass a fixed clock."""

    async def wire(runtime: Runtime) -> None:
        settings, token = PeriodSettings(), export_token(runtime.http_host)
        runtime.subscribe(READINGS_EVENTS, handlers=reading_handlers(runtime.pool, runtime.store))
        relay = OutboxRelay(runtime.readers, routing_publisher(runtime.producer), service=SERVICE)
        view = ProjectionRunner(runtime.readers, ExportView(), service=SERVICE)
        runtime.background.extend([relay.run, view.run])

        async def close(period: Period, correlation_id: str, force: bool) -> ClosedPeriod:
            now = clock()
            return await close_period(
                runtime.pool,
                runtime.store,
                period,
                now=now,
                current_period=period_of(now, settings.time_zone),
                correlation_id=correlation_id,
                force=force,
            )

        runtime.routes.extend(routes(runtime.pool, view, close, token))

    return wire


# publishes_events=False: the relay above replaces the platform's single-topic one (same checkpoint)
SPEC = ServiceSpec(
    name=SERVICE, database="billing_export", migrations=MIGRATIONS, wire=make_wire(), publishes_events=False
)


def main() -> None:
    try:  # before connecting to anything: an exposed export API without a token must not run
        export_token(HttpSettings().http_host)
    except ExportApiExposed as exc:
        print(f"billing-export: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run_main(SPEC)
