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
  difference is not reported as infinite growth;
- still divergent, margin grew: not passing in either, both with a margin, and
  the margin grew more than ``GROWTH`` times (a known divergence getting worse
  is not hidden behind its registry entry).

``update_baseline`` takes only a results file that can stand for the whole
library: complete, not narrowed, every item ``pass`` or ``xfail`` (items of a
``RATCHET_KINDS`` source excepted); ``force`` overrides, and the baseline
records why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..record import RATCHET_KINDS
from ..results import KIND, SCHEMA_VERSION, count_statuses, load_results, write_results

GROWTH = 10.0
MARGIN_FLOOR = 0.01
PASSING = frozenset({"pass"})
ACCEPTED = frozenset({"pass", "xfail"})  # statuses a baseline may hold (an xfail: a registered divergence)
LISTED = 10  # items named in a refusal
BASELINE_FIELDS = ("id", "kind", "scenario", "dtype", "pair", "status", "margin", "tags", "checks", "versioned")
RUN_FIELDS = ("torch", "numpy", "python", "platform", "engine_revision", "started", "ended", "complete",
              "incomplete_reason", "partial", "narrowed_by", "forced")  # fmt: skip


@dataclass
class BaselineDiff:
    new: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old status or "absent", new status)
    fixed: list[tuple[str, str]] = field(default_factory=list)  # (id, old status)
    still: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old status, new status)
    grew: list[tuple[str, float, float]] = field(default_factory=list)  # (id, old margin, new margin)
    still_grew: list[tuple[str, float, float]] = field(default_factory=list)  # divergent in both, margin grew
    flaky: list[tuple[str, str]] = field(default_factory=list)  # (id, old status or "absent")
    missing: list[str] = field(default_factory=list)  # in the baseline, not in this run
    # catalogue items (RATCHET_KINDS) not passing in either run and no worse: counted, not listed one by one
    still_known: list[tuple[str, str, str]] = field(default_factory=list)
    # (baseline's torch, this run's torch) when they differ: the oracle changed, not only the engine
    oracle: tuple[str, str] | None = None
    # with the oracle changed: items marked version-dependent (a scenario's ``versioned``, a catalogue entry's
    # [[versioned]], or a catalogue item only one of the two torch releases has), listed apart from engine changes
    versioned: list[tuple[str, str, str]] = field(default_factory=list)  # (id, old status or "absent", new)

    @property
    def regressions(self) -> int:
        return len(self.new) + len(self.flaky)

    def oracle_line(self) -> str:
        """'' when both runs used the same torch; else the sentence every view puts first."""
        if self.oracle is None:
            return ""
        old, new = self.oracle
        return (
            f"ORACLE CHANGED: the baseline was made with torch {old}, this run with torch {new}. "
            f"{len(self.versioned)} item(s) known to depend on the torch release are listed as VERSIONED, not as "
            "engine changes; the other changes below coincide with the torch change too"
        )

    def lines(self, limit: int = 50) -> list[str]:
        """The terminal form (the HTML report shows the same lists)."""
        out = [self.oracle_line()] if self.oracle else []
        out += [f"  VERSIONED {i}: {old} -> {new}" for i, old, new in self.versioned[:limit]]
        out += [
            f"baseline: {len(self.new)} new divergence(s), {len(self.fixed)} fixed, "
            f"{len(self.still)} still divergent, {len(self.flaky)} flaky, {len(self.grew)} margin(s) grew >{GROWTH:g}x"
            + (f", {len(self.still_grew)} still divergent and worse >{GROWTH:g}x" if self.still_grew else "")
            + (f", {len(self.missing)} baseline item(s) not in this run" if self.missing else "")
            + (
                f"; {len(self.still_known)} catalogue item(s) still missing or divergent, as in the baseline"
                if self.still_known
                else ""
            )
        ]
        out += [f"  NEW      {i}: {old} -> {new}" for i, old, new in self.new[:limit]]
        out += [f"  FIXED    {i}: {old} -> pass" for i, old in self.fixed[:limit]]
        out += [f"  STILL    {i}: {old} -> {new}" for i, old, new in self.still[:limit]]
        out += [f"  FLAKY    {i}: {old} -> flaky" for i, old in self.flaky[:limit]]
        out += [f"  MARGIN   {i}: {old:.3g} -> {new:.3g}" for i, old, new in self.grew[:limit]]
        out += [f"  WORSE    {i}: {old:.3g} -> {new:.3g} (still divergent)" for i, old, new in self.still_grew[:limit]]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"new": self.new, "fixed": self.fixed, "still": self.still, "flaky": self.flaky, "grew": self.grew,
                "still_grew": self.still_grew, "missing": self.missing, "still_known": self.still_known,
                "oracle": self.oracle, "versioned": self.versioned}  # fmt: skip


def _margin(record: dict[str, Any]) -> float:
    m = _margin_or_none(record)
    return 0.0 if m is None else m


def _margin_or_none(record: dict[str, Any]) -> float | None:
    """The margin as a number (``"inf"``/``"nan"``, as non-finite floats are stored, too); None when not given."""
    m = record.get("margin")
    if isinstance(m, bool):
        return None
    if isinstance(m, int | float):
        return float(m)
    if m in ("inf", "-inf", "nan"):
        return float(m)
    return None


def _grew(before: float, after: float) -> bool:
    return max(after, MARGIN_FLOOR) > GROWTH * max(before, MARGIN_FLOOR)


def diff_results(old: dict[str, Any], new: dict[str, Any], only_new_items: bool = False) -> BaselineDiff:
    """``old`` is the baseline. ``only_new_items``: ignore baseline items this run did not run (a partial run)."""
    before = {r["id"]: r for r in old["records"]}
    after = {r["id"]: r for r in new["records"]}
    d = BaselineDiff(oracle=oracle_change(old, new))
    for item in sorted(after):
        a, b = after[item], before.get(item)
        if d.oracle and _versioned(a, b):
            d.versioned.append((item, "absent" if b is None else b["status"], a["status"]))
            continue
        if a.get("kind") in RATCHET_KINDS:
            _ratchet_diff(d, item, a, b)
            continue
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
            old_m, new_m = _margin_or_none(b), _margin_or_none(a)  # type: ignore[arg-type]
            if old_m is not None and new_m is not None and not math.isnan(old_m) and _grew(old_m, new_m):
                d.still_grew.append((item, old_m, new_m))
        elif b is not None and _grew(_margin(b), _margin(a)):
            d.grew.append((item, _margin(b), _margin(a)))
    if not only_new_items:
        gone = sorted(set(before) - set(after))
        d.versioned += [(i, before[i]["status"], "absent") for i in gone if d.oracle and _versioned(None, before[i])]
        d.missing = [i for i in gone if not (d.oracle and _versioned(None, before[i]))]
    return d


def oracle_change(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str] | None:
    """(the baseline's torch, this run's torch) when both are known and differ."""
    was, now = (r.get("run", {}).get("torch") for r in (old, new))
    return (str(was), str(now)) if was and now and was != now else None


def _versioned(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether an item's change may be the oracle's: marked version-dependent, or a catalogue item that only one
    of the two torch releases has (torch added or removed the entry)."""
    if any(r is not None and r.get("versioned") for r in (a, b)):
        return True
    one = a if b is None else b if a is None else None
    return one is not None and one.get("kind") in RATCHET_KINDS


def ratchet_problem(record: dict[str, Any], before: dict[str, Any] | None) -> str:
    """Why a catalogue item (a RATCHET_KINDS record) fails the run, '' when it does not: a ratchet, not a wall.

    A pass or a registered divergence (xfail) never fails. Otherwise the item fails when the baseline does not
    hold it in a non-passing state, or when one of its checks that passed in the baseline no longer does.
    """
    status = record["status"]
    if status in ("pass", "xfail"):
        return ""
    if status == "xpass":
        return "REGISTERED DIVERGENCE NOW AGREES: remove its entry from scenarios/expected_divergences.toml"
    if before is None:
        return f"NEW: {status}, and the baseline does not hold this item (accept it with `conformance baseline update`)"
    if before.get("status") == "pass":
        return f"REGRESSION: pass in the baseline, {status} now"
    was, now = before.get("checks") or {}, record.get("checks") or {}
    worse = [f"{c}: pass -> {now.get(c, 'not run')}" for c, s in was.items() if s == "pass" and now.get(c) != "pass"]
    return "REGRESSION: " + ", ".join(worse) if worse else ""


def _ratchet_diff(d: BaselineDiff, item: str, a: dict[str, Any], b: dict[str, Any] | None) -> None:
    old = "absent" if b is None else b["status"]
    if a["status"] == "flaky":
        d.flaky.append((item, old))
    elif ratchet_problem(a, b):
        d.new.append((item, old, a["status"]))
    elif a["status"] == "pass" and b is not None and old != "pass":
        d.fixed.append((item, old))
    elif a["status"] != "pass":
        d.still_known.append((item, old, a["status"]))


def run_problems(new: dict[str, Any], diff: BaselineDiff) -> list[str]:
    """Why a results file cannot stand for the run it is compared as, one line each: incomplete, empty,
    or without items the baseline has (``conformance diff`` fails on any of these, not only on regressions)."""
    run, problems = new.get("run", {}), []
    if not run.get("complete", False):
        problems.append(f"the new run is incomplete ({run.get('incomplete_reason') or 'run.complete is false'})")
    if not new.get("records"):
        problems.append("the new run has no records")
    if diff.missing:
        shown = ", ".join(diff.missing[:LISTED]) + (", ..." if len(diff.missing) > LISTED else "")
        problems.append(f"{len(diff.missing)} baseline item(s) missing from the new run: {shown}")
    return problems


def slim(results: dict[str, Any]) -> dict[str, Any]:
    """A baseline: the results with only what the comparison reads (small, stable diffs in review), and the
    run facts that say whether it stands for the whole library (complete, partial, narrowed_by, forced)."""
    records = [{k: r[k] for k in BASELINE_FIELDS if k in r} for r in results["records"]]
    run = {k: results["run"].get(k) for k in RUN_FIELDS if k in results["run"]}
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "run": run, "counts": count_statuses(records),
            "records": records}  # fmt: skip


def refusals(results: dict[str, Any]) -> list[str]:
    """Why ``results`` cannot become the baseline, one reason each (empty: it can)."""
    run, records, reasons = results["run"], results["records"], []
    if not records:
        reasons.append("it holds no records")
    if not run.get("complete", False):
        reasons.append(f"the run is incomplete ({run.get('incomplete_reason') or 'run.complete is false'})")
    else:  # a file that says complete but shows otherwise
        if run.get("interrupted"):
            reasons.append("the run was interrupted")
        if run.get("not_run"):
            reasons.append(f"{len(run['not_run'])} collected item(s) did not run")
        if run.get("unreadable_lines"):
            reasons.append(f"{run['unreadable_lines']} unreadable record line(s)")
    narrowed = [str(n) for n in run.get("narrowed_by") or []]
    if run.get("partial") or narrowed:
        reasons.append("the run covered part of the library (" + (", ".join(narrowed) or "run.partial is true") + ")")
    bad = [r for r in records if r["status"] not in ACCEPTED and r.get("kind") not in RATCHET_KINDS]
    if bad:
        shown = ", ".join(f"{r['id']} ({r['status']})" for r in bad[:LISTED])
        more = f" and {len(bad) - LISTED} more" if len(bad) > LISTED else ""
        reasons.append(f"{len(bad)} item(s) neither pass nor xfail: {shown}{more}")
    return reasons


def update_baseline(results_path: Path, baseline_path: Path, force: str | None = None) -> str:
    """Copy a results file's state into the baseline, if it can stand for the whole library (``refusals``).

    Raises ValueError listing the reasons otherwise. ``force``, a reason given by a person, writes it anyway
    and is recorded in the baseline's ``run.forced`` with the reasons it overrode.
    """
    if force is not None and not force.strip():
        raise ValueError("--force needs a reason (it is recorded in the baseline)")
    results = load_results(results_path)
    reasons = refusals(results)
    if reasons and force is None:
        raise ValueError(
            f"{results_path} not accepted as the baseline:\n"
            + "\n".join(f"  - {r}" for r in reasons)
            + "\nrun the whole library until every item passes or is a registered expected divergence, "
            "or accept it anyway with --force REASON"
        )
    base = slim(results)
    base["run"].pop("forced", None)  # a forced results file's reason is not this update's
    if reasons:
        base["run"]["forced"] = {"reason": force, "refused_for": reasons}
    write_results(base, baseline_path)
    note = f" (FORCED: {force}; it would have been refused: {'; '.join(reasons)})" if reasons else ""
    return f"baseline {baseline_path} updated from {results_path}: {count_statuses(results['records'])}{note}"
