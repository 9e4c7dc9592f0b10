"""The weekly report drawn with matplotlib (Agg, no display), as PNG or PDF bytes.

Drawing is CPU work: callers run `draw_report` in a thread, off the event loop. pyplot keeps
global state, so a Figure is built directly and never registered with it.
"""

from __future__ import annotations

import io
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

ChartFormat = Literal["png", "pdf"]


def draw_report(report: dict[str, Any], fmt: ChartFormat) -> bytes:
    days = report["days"]
    labels = [d["date"][5:] for d in days]
    figure = Figure(figsize=(9, 7), dpi=100)
    figure.suptitle(f"Weekly report {report['week_start'][:10]} to {report['week_end'][:10]}")
    jobs, minutes, credits = figure.subplots(3, 1, sharex=True)
    done = [d["done"] for d in days]
    jobs.bar(labels, done, color="#2e7d32", label="done")
    jobs.bar(labels, [d["failed"] for d in days], bottom=done, color="#c62828", label="failed")
    jobs.set_ylabel("jobs")
    jobs.legend(loc="upper left")
    minutes.plot(labels, [d["render_minutes"] for d in days], marker="o", color="#1565c0")
    minutes.set_ylabel("render minutes")
    credits.plot(labels, [d["credits"] for d in days], marker="o", color="#ef6c00", label="credits")
    credits.set_ylabel("credits")
    views = credits.twinx()
    views.plot(labels, [d["views"] for d in days], marker="s", color="#6a1b9a", label="views")
    views.set_ylabel("YouTube views")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format=fmt)
    return out.getvalue()
