"""One scenario item as a job: plain data in (what to run), plain data out (its record).

The plugin sends jobs to an item process (conformance.executor), which runs
them with ``run_job``; ``outcome_to_result`` turns what came back (a result, or
a side that timed out or crashed the process) into the ``ItemResult`` the
plugin reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import opinfo
from .backends import PAIRS
from .compare import Tolerance
from .details import enrich
from .loader import load_scenario_file
from .record import Record
from .runner import ItemResult, SideGuard, failed_result, run_item
from .scenario import Scenario

_LOADED: dict[tuple[str, float], dict[str, Scenario]] = {}  # (file, mtime) -> scenarios, in the item process


def job_for(scenario: Scenario, dtype: str, pair_id: str, item_id: str, expected: str | None,
            limit: float) -> dict[str, Any]:  # fmt: skip
    return {"file": scenario.file, "name": scenario.name, "dtype": dtype, "pair": pair_id, "item_id": item_id,
            "expected": expected, "limit": limit}  # fmt: skip


def _scenario(file: str, name: str) -> Scenario:
    key = (file, Path(file).stat().st_mtime)
    if key not in _LOADED:
        _LOADED[key] = {sc.name: sc for sc in load_scenario_file(Path(file))}
    return _LOADED[key][name]


def opinfo_job(spec: opinfo.ItemSpec, expected: dict[str, str], settings: opinfo.Settings, samples: int | None,
               error_inputs: int | None, limit: float, out_of_scope: bool = False) -> dict[str, Any]:  # fmt: skip
    """A catalogue item as a job (conformance/opinfo.py); ``out_of_scope``: the registry marks its entry so."""
    return {"type": "opinfo", "entry": spec.entry, "dtype": spec.dtype, "item_id": spec.item_id, "family": spec.family,
            "core": spec.core,
            "errors": spec.errors, "expected": expected, "samples": samples, "error_inputs": error_inputs,
            "tolerance": {d: [t.rtol, t.atol, t.reason] for d, t in settings.tolerance(spec.entry, spec.dtype).items()},
            "values": settings.compares_values(spec.entry, spec.dtype), "limit": limit,
            "unvalued": list(settings.unvalued_checks(spec.entry, spec.dtype)),
            "versioned": settings.versioned.get(spec.entry), "out_of_scope": out_of_scope}  # fmt: skip


def _run_opinfo(job: dict[str, Any], guard: SideGuard | None) -> dict[str, Any]:
    tolerance = {d: Tolerance(*t) for d, t in job["tolerance"].items()}
    result = opinfo.run_opinfo_item(job["entry"], job["dtype"], job["item_id"], job["expected"], tolerance,
                                    job["samples"], job["errors"], job["limit"], guard, job["error_inputs"],
                                    job["values"], tuple(job.get("unvalued", ())))  # fmt: skip
    result.record.extra["core"] = job["core"]
    if job.get("out_of_scope"):
        result.record.extra["scope"] = "out"  # the coverage counts the entry apart (report/coverage.py)
    result.record.versioned = job.get("versioned")
    return {"status": result.status, "message": result.message, "record": result.record.to_json()}


def run_job(job: dict[str, Any], guard: SideGuard | None = None) -> dict[str, Any]:
    """Run the item in this process; the answer is plain data (status, message, the record as JSON)."""
    if job.get("type") == "opinfo":
        return _run_opinfo(job, guard)
    sc = _scenario(job["file"], job["name"])
    result = run_item(sc, job["dtype"], PAIRS[job["pair"]], job["item_id"], job["expected"], job["limit"], guard)
    enrich(result.record, sc, result.torch, result.engine)
    return {"status": result.status, "message": result.message, "record": result.record.to_json()}


def _side_guard_note(side: str) -> str:
    return "" if side in ("torch", "engine") else " (before either side started)"


def outcome_to_result(answer: dict[str, Any], scenario: Scenario, job: dict[str, Any]) -> ItemResult:
    """The ``ItemResult`` for an executor's answer (conformance.executor.Executor.run)."""
    if answer["outcome"] == "result":
        data = answer["result"]
        return ItemResult(data["status"], None, None, None, data["message"], Record.from_json(data["record"]))
    side, elapsed, stack = answer["side"], float(answer["elapsed"]), answer.get("stack", "")
    if answer["outcome"] == "timeout":
        status = "timeout"
        message = (f"the {side} side{_side_guard_note(side)} ran longer than {job['limit']:g} s and was stopped "
                   f"after {elapsed:.1f} s (its process was killed and replaced); where it was:\n{stack}")  # fmt: skip
    else:
        status = "crashed"
        message = (f"the {side} side{_side_guard_note(side)} ended the item process (exit status "
                   f"{answer.get('exit')}) after {elapsed:.1f} s; what it left:\n{stack}")  # fmt: skip
    result = failed_result(scenario, job["dtype"], PAIRS[job["pair"]], job["item_id"], status, message,
                           job["expected"])  # fmt: skip
    result.record.duration = {"torch": None, "engine": None, "total": elapsed, side: elapsed}
    result.record.stack = stack or None
    return result


def opinfo_outcome(answer: dict[str, Any], job: dict[str, Any]) -> tuple[str, str, Record]:
    """(status, message, record) of a catalogue item from an executor's answer (a side may have timed out)."""
    if answer["outcome"] == "result":
        data = answer["result"]
        return data["status"], data["message"], Record.from_json(data["record"])
    side, elapsed, stack = answer["side"], float(answer["elapsed"]), answer.get("stack", "")
    status = "timeout" if answer["outcome"] == "timeout" else "crashed"
    what = (
        f"ran longer than {job['limit']:g} s"
        if status == "timeout"
        else f"ended the item process ({answer.get('exit')})"
    )
    message = f"the {side} side{_side_guard_note(side)} {what} after {elapsed:.1f} s; where it was:\n{stack}"
    record = Record(job["item_id"], status, opinfo.KIND, job["entry"], job["dtype"], opinfo.PAIR,
                    [opinfo.TAG, job["family"]],
                    file=opinfo.OPINFO_SOURCE_FILE, message=message, stack=stack or None,
                    duration={"torch": None, "engine": None, "total": elapsed, side: elapsed},
                    versioned=job.get("versioned"))  # fmt: skip
    record.extra.update(family=job["family"], entry=job["entry"], checks={}, core=job["core"])
    return status, message, record
