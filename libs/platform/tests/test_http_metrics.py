"""/metrics is prometheus_client's own aiohttp handler: content negotiation (OpenMetrics for a
Prometheus that asks for it), `name[]` filtering and compression come with it."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from meterbot_platform.http import health_app
from prometheus_client import REGISTRY, Counter

pytestmark = pytest.mark.integration

PROBE = Counter("meterbot_test_http_probe", "only for this test", registry=REGISTRY)


async def test_metrics_negotiate_openmetrics_and_filter_by_name() -> None:
    PROBE.inc()
    async with TestClient(TestServer(health_app({}))) as client:
        plain = await client.get("/metrics")
        assert plain.status == 200
        assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "meterbot_test_http_probe_total 1.0" in await plain.text()

        open_metrics = await client.get(
            "/metrics",
            params={"name[]": "meterbot_test_http_probe_total"},
            headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        )
        assert open_metrics.headers["Content-Type"].startswith("application/openmetrics-text")
        body = await open_metrics.text()
        assert "meterbot_test_http_probe_total 1.0" in body and body.rstrip().endswith("# EOF")
        assert "python_gc_objects_collected_total" not in body  # only the series asked for
