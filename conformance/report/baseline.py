"""Comparing a run with the accepted state (``reports/baseline.json``), and updating that state on purpose.

Categories, per item id:
- new divergence: not passing now, passing (or absent) in the baseline -- a regression (a new
  item that lands as an expected divergence, xfail, counts as still divergent instead);
- fixed: not passing in the baseline, passing now;
- still divergent: not passing in either;
- flaky: diverged, then agreed on an immediate rerun (the plugin reruns each
  divergent item once); reported on its own, whatever the baseline said, and
  counted as a regression;
- margin grew: passing in both, and the margin (worst error / allowed error)
  grew more than ``GROWTH`` times; margins below ``MARGIN_FLOOR`` count as
  ``MARGIN_FLOOR``, so that exact agreement turning into a rounding-level
  difference is not reported as infinite growth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..results import KIND, SCHEMA_VERSION, count_statuses, load_results, write_results

GROWTH = 10.0
MARGIN_FLOOR = 0.01
PASSING = frozenset({"pass"})
BASELINE_FIELDS = ("id", "scenario", "dtype", "pair", "status", "margin", "tags")


@dataclass
class BaselineDiff:
    new: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old status or "absent", new status)
    fixed: list[tuple[str, str]] = field(default_factory=list)  # (id, old status)
    still: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old status, new status)
    grew: list[tuple[str, float, float]] = field(default_factory=list)  # (id, old margin, new margin)
    flaky: list[tuple[str, str]] = field(default_factory=list)  # (id, old status or "absent")
    missing: list[str] = field(default_factory=list)  # in the baseline, not in this run

    @property
    def regressions(self) -> int:
        return len(self.new) + len(self.flaky)

    def lines(self, limit: int = 50) -> list[str]:
        """The terminal form (the HTML report shows the same lists)."""
        out = [
            f"baseline: {len(self.new)} new divergence(s), {len(self.fixed)} fixed, "
            f"{len(self.still)} still divergent, {len(self.flaky)} flaky, {len(self.grew)} margin(s) grew >{GROWTH:g}x"
            + (f", {len(self.missing)} baseline item(s) not in this run" if self.missing else "")
        ]
        out += [f"  NEW      {i}: {old} -> {new}" for i, old, new in self.new[:limit]]
        out += [f"  FIXED    {i}: {old} -> pass" for i, old in self.fixed[:limit]]
        out += [f"  STILL    {i}: {old} -> {new}" for i, old, new in self.still[:limit]]
        out += [f"  FLAKY    {i}: {old} -> flaky" for i, old in self.flaky[:limit]]
        out += [f"  MARGIN   {i}: {old:.3g} -> {new:.3g}" for i, old, new in self.grew[:limit]]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"new": self.new, "fixed": self.fixed, "still": self.still, "flaky": self.flaky, "grew": self.grew,
                "missing": self.missing}  # fmt: skip


def _margin(record: dict[str, Any]) -> float:
    m = record.get("margin")
    return float(m) if isinstance(m, int | float) else 0.0


def diff_results(old: dict[str, Any], new: dict[str, Any], only_new_items: bool = False) -> BaselineDiff:
    """``old`` is the baseline. ``only_new_items``: ignore baseline items this run did not run (a partial run)."""
    before = {r["id"]: r for r in old["records"]}
    after = {r["id"]: r for r in new["records"]}
    d = BaselineDiff()
    for item in sorted(after):
        a, b = after[item], before.get(item)
        now_ok = a["status"] in PASSING
        was_ok = b is None or b["status"] in PASSING
        if a["status"] == "flaky":
            d.flaky.append((item, "absent" if b is None else b["status"]))
        elif b is None and a["status"] == "xfail":
            d.still.append((item, "absent", "xfail"))  # a new scenario that lands with a declared divergence
        elif not now_ok and was_ok:
            d.new.append((item, "absent" if b is None else b["status"], a["status"]))
        elif now_ok and not was_ok:
            d.fixed.append((item, b["status"]))  # type: ignore[index]
        elif not now_ok:
            d.still.append((item, b["status"], a["status"]))  # type: ignore[index]
        elif b is not None and max(_margin(a), MARGIN_FLOOR) > GROWTH * max(_margin(b), MARGIN_FLOOR):
            d.grew.append((item, _margin(b), _margin(a)))
    if not only_new_items:
        d.missing = sorted(set(before) - set(after))
    return d


def slim(results: dict[str, Any]) -> dict[str, Any]:
    """A baseline: the results with only what the comparison reads (small, stable diffs in review)."""
    records = [{k: r[k] for k in BASELINE_FIELDS if k in r} for r in results["records"]]
    run = {k: results["run"].get(k) for k in ("torch", "numpy", "python", "platform", "engine_revision", "started",
                                                "ended", "complete", "partial")}  # fmt: skip
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "run": run, "counts": count_statuses(records),
            "records": records}  # fmt: skip


def update_baseline(results_path: Path, baseline_path: Path, allow_incomplete: bool = False) -> str:
    """Copy a results file's state into the baseline; refuses an incomplete run unless told otherwise."""
    results = load_results(results_path)
    if results["run"].get("partial") and not allow_incomplete:
        raise ValueError(f"{results_path}: the run selected part of the library (-k, -m or a shard); "
                         "run everything, or pass --allow-incomplete to accept it anyway")  # fmt: skip
    if not results["run"].get("complete", False) and not allow_incomplete:
        raise ValueError(
            f"{results_path}: the run is marked incomplete (interrupted, crashed or partial); "
            "rerun it, or pass --allow-incomplete to accept it anyway"
        )
    write_results(slim(results), baseline_path)
    return f"baseline {baseline_path} updated from {results_path}: {count_statuses(results['records'])}"
