"""The self-contained HTML report (``reports/conformance.html``), rendered with Jinja2 and autoescaping.

Everything the page needs is inline (CSS, a small filtering script, SVG
plots), so it opens from disk or as a CI artifact with no network. Every
string that comes from a scenario, a record or an error goes through the
template's autoescaping; this module only prepares plain data (numbers and
strings) for the template in ``templates/report.html.j2``. The data first goes
through ``record.clean`` (UTF-8 safe strings, capped), and records missing
fields the template reads get them as empty, so any results document that
loads also renders. Items of torch's op catalogue (kind ``opinfo``) get a
section of their own: the coverage matrix (``coverage.py``) and short details.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import jinja2

from ..record import clean
from ..results import write_text_atomic
from .baseline import BaselineDiff
from .coverage import CHECKS, NO_ITEM, NOT_APPLICABLE, coverage, is_opinfo, notes, total_line
from .summary import difference_line, groups

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
TEMPLATES = Path(__file__).resolve().parent / "templates"
PASSING = ("pass",)
STATUS_ORDER = ("diverge", "flaky", "xpass", "timeout", "runner-error", "crashed", "missing", "xfail", "pass")
SLOWEST = 15
NEAR_MISSES = 25
PLOT_W, PLOT_H, PAD = 420.0, 170.0, 44.0
# what the template reads of a checkpoint and of a difference (filled with None where a record lacks it)
CHECKPOINT_KEYS = ("label", "field", "shape", "max_abs", "max_rel", "rtol", "atol", "margin", "mismatched", "size",
                   "truncated")  # fmt: skip
DIFFERENCE_KEYS = ("label", "field", "torch", "engine", "detail")
# A catalogue item's details stay short: a full run has ~1,400 items, ~900 not passing, and their whole text is in
# results.json. Shown: the first OPINFO_DIFFERENCES differences, each text cut to OPINFO_TEXT characters, and
# the message (which repeats the differences) only without them, cut to OPINFO_MESSAGE (RUNNER_MESSAGE for a
# runner problem, whose traceback is all there is to read).
OPINFO_DIFFERENCES = 5
OPINFO_TEXT = 300
OPINFO_MESSAGE = 600
RUNNER_MESSAGE = 4_000
OPINFO_SAMPLES = 3
# the coverage matrix's cells: one character per status (colour is not the only mark), and short dtype names
MARKS = {"pass": "\u2713", "diverge": "D", "missing": "M", "xfail": "x", "xpass": "X", "flaky": "F",
         "runner-error": "E", "timeout": "T", "crashed": "C"}  # fmt: skip
SHORT_DTYPES = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16", "int64": "i64",
                "int32": "i32", "int16": "i16", "int8": "i8", "uint8": "u8", "bool": "b", "complex64": "c64",
                "complex128": "c128"}  # fmt: skip


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
            c = cells.setdefault((tag, str(r.get("dtype", "?")), str(r.get("pair", "?"))), [0, 0, 0])
            c[0] += r["status"] in PASSING
            c[1] += 1
            c[2] += r["status"] == "xfail"
    rows = []
    for tag in sorted({k[0] for k in cells}):
        row = []
        for dtype, pair in columns:
            passed, total, expected = cells.get((tag, dtype, pair), [0, 0, 0])
            pct = 100.0 * passed / total if total else None
            # registered divergences are shaded as expected, not as failures
            cls = ("na" if pct is None else "full" if passed == total else "expected" if passed + expected == total
                   else "part")  # fmt: skip
            row.append({"passed": passed, "total": total, "pct": pct, "cls": cls, "expected": expected})
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
    tol = series.get("tolerance")
    band: list[float] = []
    if isinstance(tol, list) and len(tol) == 2 and all(isinstance(x, int | float) for x in tol):
        # what each step was allowed to differ by: atol + rtol * |torch| (the comparison's rule)
        band = [tol[1] + tol[0] * abs(a) if isinstance(a, int | float) and math.isfinite(a) else 0.0 for a in t]
    d_range = (min(0.0, *dvals, *(-b for b in band)), max(0.0, *dvals, *band))
    y_lo, y_hi = min(_finite([*t, *e])), max(_finite([*t, *e]))
    return {
        "name": name, "log": log, "w": PLOT_W, "h": PLOT_H, "pad": PAD,
        "torch": _polyline(steps, tf, x_range, y_range), "engine": _polyline(steps, ef, x_range, y_range),
        "diff": _polyline(steps, diff, x_range, d_range),  # type: ignore[arg-type]
        "zero": _polyline(x_range, [0.0, 0.0], x_range, d_range),
        "band": (_polyline(steps, band, x_range, d_range) + " "
                 + _polyline(steps[::-1], [-b for b in band[::-1]], x_range, d_range)) if band else "",
        "tolerance": tol if band else None,
        "x_ticks": _ticks(x_range, x_range, horizontal=True),
        "y_ticks": _ticks((y_lo, y_hi), y_range, log=log), "d_ticks": _ticks(d_range, d_range),
        "x_range": x_range, "y_range": (y_lo, y_hi), "d_range": d_range,
        "last": {"step": steps[-1], "torch": t[-1], "engine": e[-1], "diff": diff[-1]},
    }  # fmt: skip


def _ticks(
    values: tuple[float, float], drawn: tuple[float, float], horizontal: bool = False, log: bool = False
) -> list[tuple[float, str]]:
    """Three ticks (low, middle, high): their position along the axis, and their label (in data units)."""
    (v0, v1), (d0, d1) = values, drawn
    out = []
    for f in (0.0, 0.5, 1.0):
        label = v0 + (v1 - v0) * f if not log else 10 ** (d0 + (d1 - d0) * f)
        if horizontal:
            out.append((PAD + (PLOT_W - 2 * PAD) * f, _num(label)))
        else:
            out.append((PLOT_H - PAD - (PLOT_H - 2 * PAD) * f, _num(label)))
    return out


def _index(flat: int, shape: list[Any] | None) -> str:
    """A flat element number as the tensor's index (``[2, 3]``); the flat number when the shape is unknown."""
    if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        return f"[{flat}]" if shape else str(flat)
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return "[" + ", ".join(str(i) for i in reversed(index)) + "]"


def _sides(value: Any) -> dict[str, Any] | None:
    """A per-side object (stdout, stderr) with both sides present."""
    return {"torch": value.get("torch"), "engine": value.get("engine")} if isinstance(value, dict) else None


def _item(r: dict[str, Any]) -> dict[str, Any]:
    """A record plus what the template derives from it."""
    cps, scalars = [], []
    for c in r.get("checkpoints") or []:
        bad = set(c.get("bad") or [])
        cells = list(zip(c.get("torch") or [], c.get("engine") or []))
        shape = c.get("shape") if isinstance(c.get("shape"), list) else None
        view = {**dict.fromkeys(CHECKPOINT_KEYS), **c,
                "cells": [(_index(i, shape), tv, ev, i in bad) for i, (tv, ev) in enumerate(cells)]}  # fmt: skip
        # a one-element value (a loss at a step) joins the item's one table of scalars
        (scalars if c.get("size") == 1 and len(cells) == 1 else cps).append(view)
    plots = [p for name, s in sorted((r.get("curves") or {}).items()) if isinstance(s, dict) and (p := plot(name, s))]
    leaks = r.get("leaks") or {}
    return {
        **r, "tags": list(r.get("tags") or []), "duration_total": _duration(r), "checkpoints_view": cps,
        "scalars_view": scalars,
        "plots": plots, "errors_view": [(k, v) for k, v in sorted((r.get("errors") or {}).items()) if v],
        "differences": [{**dict.fromkeys(DIFFERENCE_KEYS), **d} for d in r.get("differences") or []],
        "worst": {**dict.fromkeys(DIFFERENCE_KEYS), **r["worst"]} if r.get("worst") else None,
        "stdout": _sides(r.get("stdout")), "stderr": _sides(r.get("stderr")), "cut": r.get("cut") or {},
        "leaks_view": [(side, text) for side, texts in sorted(leaks.items()) for text in texts],
    }  # fmt: skip


def _cut(text: Any, limit: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else f"{text[:limit]}\u2026 [{len(text)} characters; all in results.json]"


def _opinfo_view(r: dict[str, Any]) -> dict[str, Any]:
    """What a catalogue item's compact detail block shows (texts cut; the full record is in results.json)."""
    checks = r.get("checks") if isinstance(r.get("checks"), dict) else {}
    diffs = r["differences"]
    runner = r["status"] in ("runner-error", "timeout", "crashed")
    # a verdict's message repeats its differences (shown above it): only worth its bytes when there are none
    message = _cut(r.get("message"), RUNNER_MESSAGE if runner else OPINFO_MESSAGE) if runner or not diffs else ""
    samples = [s for s in r.get("samples") or [] if isinstance(s, str)]
    missing = [m for m in r.get("missing") or [] if isinstance(m, str)]
    return {
        "checks": [(c, str(checks[c])) for c in (*CHECKS, *sorted(set(checks) - set(CHECKS))) if c in checks],
        "differences": [{k: _cut(d[k], OPINFO_TEXT) for k in DIFFERENCE_KEYS} for d in diffs[:OPINFO_DIFFERENCES]],
        "differences_total": max(len(diffs), int((r.get("cut") or {}).get("differences") or 0)),
        "message": message,
        "errors": [(side, _cut(text, OPINFO_TEXT)) for side, text in r["errors_view"]],
        "stack": _cut(r.get("stack"), RUNNER_MESSAGE) if r.get("stack") else "",
        "samples": [_cut(s, OPINFO_TEXT) for s in samples[:OPINFO_SAMPLES]],
        "samples_total": len(samples),
        "missing": _cut(", ".join(missing), OPINFO_TEXT),
    }


def _coverage_view(results: dict[str, Any], anchors: dict[str, str]) -> dict[str, Any] | None:
    """The coverage matrix as plain rows for the template (None: no catalogue items in the results)."""
    cov = coverage(results)
    if not cov.families:
        return None
    families = []
    for f in cov.families:
        rows = []
        for e in f.entries:
            cells = []
            for cell in e.cells(f.dtypes):
                if cell.status in (NO_ITEM, NOT_APPLICABLE) or cell.item is None:
                    cells.append((cell.status.replace("/", ""), "", "", ""))  # a blank cell, no link
                    continue
                title = f"{cell.check} {cell.dtype}: {cell.status}"
                cells.append((cell.status, MARKS.get(cell.status, "?"), title, anchors.get(cell.item, "")))
            rows.append({"entry": e.entry, "status": e.status, "core": ", ".join(e.core), "cells": cells})
        dtypes = [(d, SHORT_DTYPES.get(d, d)) for d in f.dtypes]
        families.append({"family": f.family, "counts": f.counts, "n": len(f.entries),
                         "runner_problems": f.runner_problems, "dtypes": dtypes, "rows": rows})  # fmt: skip
    return {"families": families, "total_line": total_line(cov), "notes": notes(cov), "checks": CHECKS,
            "marks": [(status, mark) for status, mark in MARKS.items()]}  # fmt: skip


def _slugs(ids: list[str]) -> dict[str, str]:
    """Each id as an HTML id (letters, digits, ``_.-`` kept, the rest ``-``), made unique in the page."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for i in ids:
        base = _SLUG.sub("-", i).strip("-") or "item"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out[i] = slug
    return out


def _groups_view(records: list[dict[str, Any]], anchors: dict[str, str]) -> list[dict[str, Any]]:
    """The failing items grouped by root cause (their first divergent checkpoint), the largest group first."""
    by_id = {r["id"]: r for r in records}
    view = []
    for cause, ids in groups(records):
        first = by_id[ids[0]]
        wheres = sorted({str(by_id[i].get("first_divergence_at") or "") for i in ids} - {""})
        view.append({"cause": cause, "n": len(ids), "members": [(i, anchors.get(i, ""), by_id[i]["status"], " ".join(by_id[i]["tags"]))
                               for i in ids],
                     "statuses": sorted({by_id[i]["status"] for i in ids}), "where": ", ".join(wheres[:3]),
                     "line": difference_line(first)})  # fmt: skip
    return view


def _run_summary(run: dict[str, Any], n: int) -> list[tuple[str, str]]:
    """The run's metadata in words, for the top of the page (every field is also in the "Run" table)."""
    start, end = run.get("start"), run.get("end")
    took = f"{end - start:.1f} s" if isinstance(start, int | float) and isinstance(end, int | float) else "-"
    torch = str(run.get("torch") or "?") + (f" (the engine mirrors {run['engine_mirrors']})"
                                            if run.get("engine_mirrors") else "")  # fmt: skip
    rows = [("torch", torch), ("engine revision", run.get("engine_revision")), ("numpy", run.get("numpy")),
            ("python", run.get("python")), ("machine", " / ".join(str(run[k]) for k in ("device", "platform")
                                                                     if run.get(k))),
            ("seed", run.get("seed")), ("started", run.get("started")), ("duration", took), ("items", n),
            ("shard", run.get("shard"))]  # fmt: skip
    return [(k, str(v)) for k, v in rows if v not in (None, "")]


def _claims_view(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every documented claim beside torch's and the engine's value (a claim torch contradicts is informational)."""
    out = []
    for r in records:
        for c in r.get("claims") or []:
            if isinstance(c, dict):
                out.append({**{k: c.get(k, "") for k in ("label", "claim", "torch", "engine", "claim_vs_torch",
                                                         "claim_vs_engine")},
                            "id": r["id"], "anchor": r["anchor"], "status": r["status"], "tags": r["tags"],
                            "ok": c.get("claim_vs_torch") == "claim agrees with torch"})  # fmt: skip
    return out


def _not_passing(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((r for r in records if r["status"] != "pass"), key=lambda r: (_status_key(r["status"]), r["id"]))


def context(results: dict[str, Any], baseline: BaselineDiff | None = None, baseline_note: str = "") -> dict[str, Any]:
    results = clean(results)
    records = [_item(r) for r in results.get("records", [])]
    run = results.get("run", {})
    counts = sorted(results.get("counts", {}).items(), key=lambda kv: _status_key(kv[0]))
    # catalogue items have their own section (matrix and compact details): they would bury the hand-written
    # scenarios in the summaries, the pass-rate grid and the divergences
    opinfo = [r for r in records if is_opinfo(r)]
    scenarios = [r for r in records if not is_opinfo(r)]
    passes = [r for r in scenarios if r["status"] == "pass" and isinstance(r.get("margin"), int | float)]
    divergences, opinfo_failing = _not_passing(scenarios), _not_passing(opinfo)
    # anchors, stable across runs (made from the item id): an item with a detail block links to it
    # (item-<id>), any other item to its row of "All items" (row-<id>)
    slugs = _slugs([r["id"] for r in records])
    for r in records:
        r["row_anchor"] = r["anchor"] = f"row-{slugs[r['id']]}"
    for r in [*divergences, *opinfo_failing]:
        r["anchor"] = f"item-{slugs[r['id']]}"
    anchors = {r["id"]: r["anchor"] for r in records}
    for r in opinfo_failing:
        r["opinfo_view"] = _opinfo_view(r)
    return {
        "anchors": anchors,
        "groups": _groups_view(scenarios, anchors),
        "run_summary": _run_summary(run, len(records)),
        "claims": _claims_view(records),
        "run": run,
        "run_items": [(k, v) for k, v in sorted(run.items()) if k not in ("not_run", "sources")],
        "complete": bool(run.get("complete", False)),
        "not_run": list(run.get("not_run", [])),
        "counts": counts,
        "total": len(records),
        "statuses": [s for s, _ in counts],
        "tags": sorted({t for r in records for t in r["tags"]}),
        "matrix": matrix(scenarios),
        "slowest": sorted(scenarios, key=_duration, reverse=True)[:SLOWEST],
        "divergences": divergences,
        "near_misses": sorted(passes, key=lambda r: r["margin"], reverse=True)[:NEAR_MISSES],
        "opinfo_total": len(opinfo),
        "opinfo_failing": opinfo_failing,
        "opinfo_differences": OPINFO_DIFFERENCES,
        "coverage": _coverage_view(results, {r["id"]: r["anchor"] for r in opinfo}),
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
