"""The archive chart: monthly consumption per meter as grouped bars, a PNG.

matplotlib with the Agg backend (no display), through its object API (a Figure per call, no pyplot
global state), so renders in several threads do not share a figure. `render_png` is CPU work of
a few tenths of a second: callers run it off the event loop (`render_png_async`). matplotlib is
imported on first use, so the gateway starts as fast as before."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    label: str  # the meter, as on its button
    unit: str  # of its consumption (m³, kWh, Gcal): each meter gets its own axes and scale
    values: Sequence[Decimal | None]  # one per month; None: no value that month


@dataclass(frozen=True)
class Chart:
    title: str
    months: Sequence[str]  # the x-axis labels, oldest first (short: 12 of them side by side)
    series: Sequence[Series]
    no_data: str  # said on a meter's axes when none of its months has a consumption


def render_png(chart: Chart) -> bytes:
    """One bar chart per meter, stacked, sharing the months."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(chart.series), 1)
    # sized for a phone: the chat shows it ~350 px wide, so few inches and large type
    figure = Figure(figsize=(6, 1.0 + 2.4 * rows), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(chart.title)
    axes_list = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    positions = list(range(len(chart.months)))
    for axes, series in zip(axes_list, chart.series, strict=False):
        heights = [float(v) if v is not None else 0.0 for v in series.values]
        bars = axes.bar(positions, heights, width=0.7, color="#3b82c4")
        axes.bar_label(bars, labels=[_short(v) for v in series.values], fontsize="small", padding=2)
        axes.set_title(series.label, fontsize="medium", loc="left")
        axes.set_ylabel(series.unit)
        axes.grid(axis="y", alpha=0.3)
        axes.margins(y=0.2)
        if not any(series.values):
            axes.text(0.5, 0.5, chart.no_data, transform=axes.transAxes, ha="center", va="center")
    axes_list[-1].set_xticks(positions, list(chart.months), fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


async def render_png_async(chart: Chart) -> bytes:
    """render_png in a worker thread: the event loop keeps answering other residents meanwhile."""
    return await asyncio.to_thread(render_png, chart)


async def warm_up_then_idle() -> None:
    """A background job: matplotlib imported and a first chart drawn in a worker thread at start
    (seconds on a busy machine: numpy, fonts), so the first resident's archive is as quick as the
    next one's; then nothing (a background job that returns would stop the service)."""
    try:
        await asyncio.to_thread(render_png, Chart("", ["-"], [Series("", "", [None])], ""))
    except Exception:  # the archive draws again on demand and says what failed there
        log.exception("the archive chart could not be drawn at start")
    await asyncio.Event().wait()
