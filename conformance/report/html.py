"""The self-contained HTML report (``reports/conformance.html``), rendered with Jinja2 and autoescaping.

Everything the page needs is inline (CSS, a small filtering script, SVG
plots), so it opens from disk or as a CI artifact with no network. Every
string that comes from a scenario, a record or an error goes through the
template's autoescaping; this module only prepares plain data (numbers and
strings) for the template in ``templates/report.html.j2``. The data first goes
through ``record.clean`` (UTF-8 safe strings, capped), and records missing
fields the template reads get them as empty, so any results document that
loads also renders.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2

from ..record import clean
from ..results import write_text_atomic
from .baseline import BaselineDiff

TEMPLATES = Path(__file__).resolve().parent / "templates"
PASSING = ("pass",)
STATUS_ORDER = ("diverge", "flaky", "xpass", "timeout", "runner-error", "crashed", "xfail", "pass")
SLOWEST = 15
NEAR_MISSES = 25
PLOT_W, PLOT_H, PAD = 420.0, 160.0, 30.0
# what the template reads of a checkpoint and of a difference (filled with None where a record lacks it)
CHECKPOINT_KEYS = ("label", "field", "shape", "max_abs", "max_rel", "rtol", "atol", "margin", "mismatched", "size",
                   "truncated")  # fmt: skip
DIFFERENCE_KEYS = ("label", "field", "torch", "engine", "detail")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its file name: the report escapes all data
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    return env


def _num(x: Any, digits: int = 3) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return "-" if x is None else str(x)
    return f"{x:.{digits}g}"


def _duration(r: dict[str, Any]) -> float:
    d = r.get("duration") or {}
    total = d.get("total") if isinstance(d, dict) else None
    return float(total) if isinstance(total, int | float) else 0.0


def _status_key(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def matrix(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass rate per area (tag) x dtype x backend pair."""
    columns = sorted({(str(r.get("dtype", "?")), str(r.get("pair", "?"))) for r in records})
    cells: dict[tuple[str, str, str], list[int]] = {}
    for r in records:
        for tag in r.get("tags") or ["(untagged)"]:
            c = cells.setdefault((tag, str(r.get("dtype", "?")), str(r.get("pair", "?"))), [0, 0])
            c[0] += r["status"] in PASSING
            c[1] += 1
    rows = []
    for tag in sorted({k[0] for k in cells}):
        row = []
        for dtype, pair in columns:
            passed, total = cells.get((tag, dtype, pair), [0, 0])
            pct = 100.0 * passed / total if total else None
            cls = "na" if pct is None else "full" if passed == total else "part"
            row.append({"passed": passed, "total": total, "pct": pct, "cls": cls})
        rows.append({"tag": tag, "cells": row})
    return {"columns": [f"{d} / {p}" for d, p in columns], "rows": rows}


def _finite(values: list[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]


def _polyline(xs: list[float], ys: list[float], x_range: tuple[float, float], y_range: tuple[float, float]) -> str:
    (x0, x1), (y0, y1) = x_range, y_range
    sx = (PLOT_W - 2 * PAD) / ((x1 - x0) or 1.0)
    sy = (PLOT_H - 2 * PAD) / ((y1 - y0) or 1.0)
    pts = [
        f"{PAD + (x - x0) * sx:.1f},{PLOT_H - PAD - (y - y0) * sy:.1f}"
        for x, y in zip(xs, ys)
        if isinstance(y, int | float) and math.isfinite(y)
    ]
    return " ".join(pts)


def plot(name: str, series: dict[str, list[Any]]) -> dict[str, Any] | None:
    """SVG coordinates for one training series: both curves (log scale when positive and wide), and their difference."""
    raw_steps, t, e = series.get("steps", []), series.get("torch", []), series.get("engine", [])
    steps = _finite(raw_steps)
    both = _finite([*t, *e])
    if len(steps) < 2 or len(steps) != len(raw_steps) or not t or not e or not both:
        return None
    log = min(both) > 0 and max(both) / min(both) > 100
    tf = [math.log10(v) if log and isinstance(v, int | float) and v > 0 else v for v in t]
    ef = [math.log10(v) if log and isinstance(v, int | float) and v > 0 else v for v in e]
    vals = _finite([*tf, *ef])
    x_range, y_range = (min(steps), max(steps)), (min(vals), max(vals))
    diff = [(b - a) if isinstance(a, int | float) and isinstance(b, int | float) else None for a, b in zip(t, e)]
    dvals = _finite(diff) or [0.0]
    d_range = (min(0.0, *dvals), max(0.0, *dvals))
    return {
        "name": name, "log": log, "w": PLOT_W, "h": PLOT_H, "pad": PAD,
        "torch": _polyline(steps, tf, x_range, y_range), "engine": _polyline(steps, ef, x_range, y_range),
        "diff": _polyline(steps, diff, x_range, d_range),  # type: ignore[arg-type]
        "zero": _polyline(x_range, [0.0, 0.0], x_range, d_range),
        "x_range": x_range, "y_range": (min(_finite([*t, *e])), max(_finite([*t, *e]))), "d_range": d_range,
        "last": {"step": steps[-1], "torch": t[-1], "engine": e[-1], "diff": diff[-1]},
    }  # fmt: skip


def _sides(value: Any) -> dict[str, Any] | None:
    """A per-side object (stdout, stderr) with both sides present."""
    return {"torch": value.get("torch"), "engine": value.get("engine")} if isinstance(value, dict) else None


def _item(r: dict[str, Any]) -> dict[str, Any]:
    """A record plus what the template derives from it."""
    cps = []
    for c in r.get("checkpoints") or []:
        bad = set(c.get("bad") or [])
        cells = zip(c.get("torch") or [], c.get("engine") or [])
        cps.append({**dict.fromkeys(CHECKPOINT_KEYS), **c, "cells": [(i, tv, ev, i in bad) for i, (tv, ev) in
                                                                     enumerate(cells)]})  # fmt: skip
    plots = [p for name, s in sorted((r.get("curves") or {}).items()) if isinstance(s, dict) and (p := plot(name, s))]
    leaks = r.get("leaks") or {}
    return {
        **r, "tags": list(r.get("tags") or []), "duration_total": _duration(r), "checkpoints_view": cps,
        "plots": plots, "errors_view": [(k, v) for k, v in sorted((r.get("errors") or {}).items()) if v],
        "differences": [{**dict.fromkeys(DIFFERENCE_KEYS), **d} for d in r.get("differences") or []],
        "worst": {**dict.fromkeys(DIFFERENCE_KEYS), **r["worst"]} if r.get("worst") else None,
        "stdout": _sides(r.get("stdout")), "stderr": _sides(r.get("stderr")), "cut": r.get("cut") or {},
        "leaks_view": [(side, text) for side, texts in sorted(leaks.items()) for text in texts],
    }  # fmt: skip


def context(results: dict[str, Any], baseline: BaselineDiff | None = None, baseline_note: str = "") -> dict[str, Any]:
    results = clean(results)
    records = [_item(r) for r in results.get("records", [])]
    run = results.get("run", {})
    counts = sorted(results.get("counts", {}).items(), key=lambda kv: _status_key(kv[0]))
    passes = [r for r in records if r["status"] == "pass" and isinstance(r.get("margin"), int | float)]
    failing = [r for r in records if r["status"] != "pass"]
    return {
        "run": run,
        "run_items": [(k, v) for k, v in sorted(run.items()) if k not in ("not_run", "sources")],
        "complete": bool(run.get("complete", False)),
        "not_run": list(run.get("not_run", [])),
        "counts": counts,
        "total": len(records),
        "statuses": [s for s, _ in counts],
        "tags": sorted({t for r in records for t in r["tags"]}),
        "matrix": matrix(records),
        "slowest": sorted(records, key=_duration, reverse=True)[:SLOWEST],
        "divergences": sorted(failing, key=lambda r: (_status_key(r["status"]), r["id"])),
        "near_misses": sorted(passes, key=lambda r: r["margin"], reverse=True)[:NEAR_MISSES],
        "records": records,
        "leaky": [r for r in records if r["leaks_view"]],
        "baseline": baseline,
        "baseline_note": baseline_note,
    }


def render(results: dict[str, Any], baseline: BaselineDiff | None = None, baseline_note: str = "") -> str:
    return _environment().get_template("report.html.j2").render(**context(results, baseline, baseline_note))


def write_html(
    results: dict[str, Any], path: Path, baseline: BaselineDiff | None = None, baseline_note: str = ""
) -> None:
    write_text_atomic(path, render(results, baseline, baseline_note))
