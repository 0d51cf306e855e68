"""What a scenario item's record carries beyond the verdict, for the report: values side by side, loss curves, a reproducer.

Computed once, where the observations still exist (in the worker that ran
the item), and stored as plain data in the record; the report never runs a
scenario.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import numpy as np

from .backends import oracle_version
from .compare import Tolerance, compare_arrays
from .observe import Entry, Observation, item_seed
from .record import MAX_TEXT, Record
from .reproducer import build_reproducer, scenario_source
from .scenario import Scenario
from .verdict import keyed

MAX_CELLS = 400  # elements shown per side-by-side value; larger arrays are cut (and say so)
_STEP = re.compile(r"^(?P<name>.+?)@(?P<step>\d+)$")  # training checkpoints are labelled "loss@99"
VALUE_FIELDS = ("value", "grad", "final_grad")


def enrich(record: Record, scenario: Scenario, torch: Observation | None, engine: Observation | None) -> None:
    """Add seed, loss curves (training) and, for anything but a pass, the divergence details."""
    record.seed = item_seed(record.id)
    t, e = torch, engine
    if t is not None and e is not None and "training" in scenario.tags:
        record.curves = curves(t, e, scenario, str(record.dtype))
    if record.status == "pass":
        return
    record.source = scenario_source(scenario)
    if t is not None and e is not None and record.agree is not None:
        record.first_divergence = first_divergence(t, record.differences or [])
        record.first_divergence_at = check_site(t, e, record.first_divergence)
        node = first_divergence_node(t, record.first_divergence, record.differences or [])
        if node:
            record.extra["first_divergence_node"] = node  # groups items by the node that made the tensor
        record.checkpoints = side_by_side(t, e, record.differences or [], scenario, str(record.dtype))
        record.reproducer = reproducer_for(record, scenario, t, e)


def reproducer_for(record: Record, scenario: Scenario, t: Observation | None, e: Observation | None) -> str | None:
    """The item's standalone torch script (conformance/reproducer.py); None when a side did not run."""
    if t is None or e is None:
        return None
    if record.checkpoints is None:
        record.checkpoints = side_by_side(t, e, record.differences or [], scenario, str(record.dtype))
    data = {"id": record.id, "dtype": record.dtype, "seed": item_seed(record.id), "torch": oracle_version(),
            "first_divergence": record.first_divergence, "differences": record.differences}  # fmt: skip
    return build_reproducer(scenario, data, t, e, record.checkpoints, budget=MAX_TEXT)


def check_site(t: Observation, e: Observation, label: str) -> str | None:
    """``file:line`` of the ``check(...)`` that recorded ``label`` (relative to the working directory when below it)."""
    entry = keyed(t.entries).get(label) or keyed(e.entries).get(label)
    if entry is None or not entry.where:
        return None
    file, _, line = entry.where.rpartition(":")
    with contextlib.suppress(ValueError):
        file = str(Path(file).relative_to(Path.cwd()))
    return f"{file}:{line}"


def first_divergence_node(torch_obs: Observation, label: str, differences: list[dict[str, Any]]) -> str | None:
    """The grad_fn (torch's) of the tensor whose value first diverged; None for grads, leaves and non-tensors
    (a grad's divergence belongs to the backward of a graph the checkpoint does not name)."""
    entry = keyed(torch_obs.entries).get(label)
    fields = {d.get("field") for d in differences if d.get("label") == label}
    if entry is None or entry.kind != "tensor" or not entry.grad_fn or fields - {"value"}:
        return None
    return entry.grad_fn


def first_divergence(torch_obs: Observation, differences: list[dict[str, Any]]) -> str:
    """The first checkpoint, in the order torch recorded them, that has a difference."""
    bad = {d["label"] for d in differences}
    for label in keyed(torch_obs.entries):
        if label in bad:
            return label
    return next(iter(sorted(bad)), "") if bad else ""


def _tolerance(scenario: Scenario, dtype: str, widen: float, expected: np.ndarray) -> Tolerance:
    # The verdict's rule (verdict._Comparer.tolerance): the declared override, else assert_close's default
    # for ``dtype`` when widened, else compare_arrays' own default for the expected array's dtype.
    tol = scenario.tolerance_for(dtype) or (Tolerance.for_dtype(dtype) if widen != 1.0 else None)
    if tol is None:
        return Tolerance.for_dtype(expected.dtype.name)
    return Tolerance(tol.rtol * widen, tol.atol * widen, tol.reason)


def _arrays(t: Observation, e: Observation, label: str, fld: str) -> tuple[Any, Any, Entry | None]:
    if fld == "final_grad":
        entry = keyed(t.entries).get(label)
        return t.final_grads.get(label), e.final_grads.get(label), entry
    te, ee = keyed(t.entries).get(label), keyed(e.entries).get(label)
    if te is None or ee is None:
        return None, None, te
    return (te.value, ee.value, te) if fld == "value" else (te.grad, ee.grad, te)


def _cell(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.8g}"
    return str(x.item() if isinstance(x, np.generic) else x)


def side_by_side(
    t: Observation, e: Observation, differences: list[dict[str, Any]], scenario: Scenario, dtype: str
) -> list[dict[str, Any]]:
    """Each differing value: both sides element by element, the mismatching elements' flat indices."""
    out = []
    for d in differences:
        if d["field"] not in VALUE_FIELDS:
            continue
        tv, ev, entry = _arrays(t, e, d["label"], d["field"])
        if tv is None or ev is None:
            continue
        ta, ea = np.asarray(tv), np.asarray(ev)
        if ta.shape != ea.shape or ta.dtype.kind not in "biufc" or ea.dtype.kind not in "biufc":
            continue
        widen = t.final_widen if d["field"] == "final_grad" else (entry.widen if entry else 1.0)
        tol = _tolerance(scenario, (entry.dtype if entry and entry.dtype else dtype), widen, ta)
        out.append(_value_pair(d, ta, ea, tol))
    return out


def _value_pair(d: dict[str, Any], ta: np.ndarray, ea: np.ndarray, tol: Tolerance) -> dict[str, Any]:
    whole = compare_arrays(ea, ta, tol, check_dtype=False)
    flat_t, flat_e = ta.reshape(-1)[:MAX_CELLS], ea.reshape(-1)[:MAX_CELLS]
    # Per element through the one comparison mechanism, so the highlight and the verdict never disagree.
    bad = [i for i in range(flat_t.size) if not compare_arrays(flat_e[i], flat_t[i], tol, check_dtype=False).ok]
    return {
        "label": d["label"], "field": d["field"], "shape": list(ta.shape),
        "cols": int(ta.shape[-1]) if ta.ndim >= 2 else max(1, min(int(ta.size), 10)),
        "torch": [_cell(x) for x in flat_t], "engine": [_cell(x) for x in flat_e], "bad": bad,
        "truncated": int(ta.size) > MAX_CELLS, "size": int(ta.size),
        "max_abs": whole.max_abs, "max_rel": whole.max_rel, "rtol": tol.rtol, "atol": tol.atol,
        "margin": whole.margin, "mismatched": whole.mismatched, "detail": d.get("detail", ""),
    }  # fmt: skip


def curves(
    t: Observation, e: Observation, scenario: Scenario | None = None, dtype: str = "float32"
) -> dict[str, dict[str, list[float]]]:
    """Scalar checkpoints labelled ``name@step`` as series (torch and engine), for the training plots; with the
    scenario, each series also gets ``tolerance`` ([rtol, atol] its values were held to) for the plot's band."""
    series: dict[str, dict[str, list[float]]] = {}
    engine = keyed(e.entries)
    for label, te in keyed(t.entries).items():
        m = _STEP.match(label)
        ee = engine.get(label)
        if not m or ee is None or not (_scalar(te) and _scalar(ee)):
            continue
        s = series.setdefault(m["name"], {"steps": [], "torch": [], "engine": []})
        s["steps"].append(float(m["step"]))
        s["torch"].append(float(np.asarray(te.value)))
        s["engine"].append(float(np.asarray(ee.value)))
        if scenario is not None and "tolerance" not in s:
            tol = _tolerance(scenario, te.dtype or dtype, te.widen, np.asarray(te.value))
            s["tolerance"] = [tol.rtol, tol.atol]
    return {k: v for k, v in series.items() if len(v["steps"]) >= 2}


def _scalar(entry: Entry) -> bool:
    if entry.kind in ("float", "int"):
        return True
    return entry.kind == "tensor" and np.asarray(entry.value).size == 1
