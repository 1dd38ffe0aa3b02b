"""Waiting for `meterbot up`'s services to answer /readyz, saying what is going on meanwhile.

A loaded or slow machine may need minutes to import and start five Python services: the wait is a
setting (METERBOT_UP_READY_TIMEOUT_S), each service says when it is ready, the ones still starting
are named every PROGRESS_EVERY_S, and a timeout names the slow ones and the setting to raise."""

from __future__ import annotations

import logging
import os
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping

log = logging.getLogger("meterbot.up")

READY_TIMEOUT_ENV = "METERBOT_UP_READY_TIMEOUT_S"
DEFAULT_READY_TIMEOUT_S = 300.0
PROGRESS_EVERY_S = 10.0


def ready_timeout() -> float:
    raw = os.environ.get(READY_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_READY_TIMEOUT_S
    except ValueError:
        raise ValueError(f"{READY_TIMEOUT_ENV}={raw!r}: expected seconds, e.g. 300") from None
    if value <= 0:
        raise ValueError(f"{READY_TIMEOUT_ENV}={raw!r}: expected a positive number of seconds")
    return value


def answers_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
            return True
    except OSError:
        return False


def wait_ready(
    procs: Mapping[str, subprocess.Popen[bytes]],
    ports: Mapping[str, int],
    timeout: float | None = None,
    *,
    is_ready: Callable[[int], bool] = answers_ready,
    clock: Callable[[], float] = time.monotonic,
    pause: Callable[[float], None] = time.sleep,
) -> None:
    """Until every process answers /readyz (database and broker reachable, consumers running).
    RuntimeError if one exits meanwhile; TimeoutError naming the slow ones after `timeout`."""
    limit = ready_timeout() if timeout is None else timeout
    started = clock()
    pending = sorted(procs)
    log.info("starting %s; waiting up to %.0f s (%s)", ", ".join(pending), limit, READY_TIMEOUT_ENV)
    next_progress = started + PROGRESS_EVERY_S
    while pending:
        for key in list(pending):
            if procs[key].poll() is not None:
                raise RuntimeError(
                    f"{key} exited with {procs[key].returncode} while starting (its log is above)"
                )
            if is_ready(ports[key]):
                pending.remove(key)
                log.info("%s ready after %.0f s", key, clock() - started)
        now = clock()
        if pending and now - started > limit:
            raise TimeoutError(
                f"{', '.join(pending)} not ready after {limit:.0f} s; a slow or busy machine may need"
                f" more: {READY_TIMEOUT_ENV}=600 meterbot up"
            )
        if pending and now >= next_progress:
            log.info("still starting after %.0f s: %s", now - started, ", ".join(pending))
            next_progress = now + PROGRESS_EVERY_S
        pause(0.1)
