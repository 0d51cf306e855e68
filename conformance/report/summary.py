"""The run in a few lines for CI: counts, the change against the baseline, and divergences grouped by cause.

``conformance summary [RESULTS] [--markdown]`` prints it (and, under GitHub Actions, appends the markdown
form to ``$GITHUB_STEP_SUMMARY``). Divergent items are grouped by where they first diverge: the label of
their first differing checkpoint, with what names one item's tensor left out (sample numbers, element indices,
the leaf before ``.grad``, a training step) and the node that made the tensor added where it has one, so the
items one planted bug breaks read as one line ("19 items first diverge at `.grad [value]`", "3 items first
diverge at `y [value]` of PowBackward0") instead of nineteen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from .baseline import BaselineDiff
from .coverage import coverage, opinfo_records, total_line

# statuses that are failures of the run (a registered xfail is not)
FAILING = ("diverge", "flaky", "runner-error", "timeout", "crashed", "xpass")
_SAMPLE = re.compile(r"\b(s\d+|e\d+)\b")  # a catalogue sample's or error input's number
_INDEX = re.compile(r"#\d+(?=\s|$)|\[\d+(, \d+)*\]")  # a repeated label's number, an element index
_GRAD = re.compile(r"^[^\s\[]*?(?=\.grad\b)")  # the tensor whose .grad it is: "w1.grad" and "x.grad" share a cause
_STEP = re.compile(r"@\d+\b")  # a training checkpoint's step ("loss@99")
_LINE = re.compile(r"\b(line|number) \d+\b")  # a script's output line


def cause_of(record: dict[str, Any]) -> str:
    """Where an item first diverges, written so that items broken the same way share it."""
    first = record.get("first_divergence") or record.get("message", "").split("\n", 1)[0] or record["status"]
    cause = _INDEX.sub("", _SAMPLE.sub("s*", first)).strip()
    if record.get("kind") != "opinfo":  # a catalogue label names a check and a sample, not a tensor
        cause = _LINE.sub(r"\1 *", _STEP.sub("@*", _GRAD.sub("", cause)))
    node = record.get("first_divergence_node")
    return f"{cause} of {node}" if isinstance(node, str) and node else cause


def _g(x: Any) -> str:
    return f"{x:.3g}" if isinstance(x, int | float) and not isinstance(x, bool) else "-"


def difference_line(record: dict[str, Any]) -> str:
    """Where an item first differs, in one line: the checkpoint, how many elements differ, the worst absolute
    and relative errors with what was allowed, the margin, and the ``file:line`` of that ``check(...)``."""
    first = record.get("first_divergence") or ""
    checkpoints = [c for c in record.get("checkpoints") or [] if isinstance(c, dict)]
    cp = next((c for c in checkpoints if c.get("label") == first), checkpoints[0] if checkpoints else None)
    diffs = [d for d in record.get("differences") or [] if isinstance(d, dict)]
    if cp is not None:
        what = (f"{cp.get('label')} [{cp.get('field')}]: {cp.get('mismatched', '?')}/{cp.get('size', '?')} differ, "
                f"worst abs {_g(cp.get('max_abs'))} (allowed {_g(cp.get('atol'))}), rel {_g(cp.get('max_rel'))} "
                f"(allowed {_g(cp.get('rtol'))}), margin {_g(cp.get('margin'))}")  # fmt: skip
    elif diffs:
        d = next((d for d in diffs if d.get("label") == first), diffs[0])
        detail = str(d.get("detail") or "").split("\n", 1)[0]
        what = f"{d.get('label')} [{d.get('field')}]: {detail[:160]}"
    else:
        what = (record.get("message") or "").strip().split("\n", 1)[0][:160]
    where = record.get("first_divergence_at") or (f"{record['file']}:{record['line']}" if record.get("file") else "")
    more = len(diffs) - 1 if len(diffs) > 1 else 0
    tail = f" (+{more} more difference(s))" if more else ""
    return f"{what}{tail}" + (f"  {where}" if where else "")


def item_line(record: dict[str, Any]) -> str:
    """One line for a failing item: its status and id, then ``difference_line``."""
    return f"{str(record.get('status', '?')).upper()} {record.get('id')}: {difference_line(record)}"


def groups(records: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(cause, item ids) for the failing items, the largest group first."""
    by_cause: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r.get("status") in FAILING:
            by_cause[cause_of(r)].append(r["id"])
    return sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def summary(results: dict[str, Any], diff: BaselineDiff | None, markdown: bool, limit: int = 20) -> str:
    """The text (or markdown) summary of one results document, against the baseline when ``diff`` is given."""
    run, counts = results.get("run", {}), results.get("counts", {})
    bullet = "- " if markdown else "  "
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    lines = ["## Conformance" if markdown else "conformance summary"]
    if diff is not None and diff.oracle:
        lines.append(("**" + diff.oracle_line() + "**") if markdown else diff.oracle_line())
        lines += [f"{bullet}VERSIONED {code(i)}: {old} -> {new}" for i, old, new in diff.versioned[:limit]]
    state = "complete" if run.get("complete") else f"INCOMPLETE ({run.get('incomplete_reason') or 'no reason'})"
    mirrors = f" (the engine mirrors {run['engine_mirrors']})" if run.get("engine_mirrors") else ""
    lines.append(
        f"{bullet}run: {state}, torch {run.get('torch', '?')}{mirrors}, {len(results.get('records', []))} items"
    )
    lines.append(f"{bullet}counts: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if opinfo_records(results):
        lines.append(bullet + total_line(coverage(results)))
    if diff is not None:
        lines.append(
            f"{bullet}against the baseline: {len(diff.new)} new divergence(s), {len(diff.fixed)} fixed, "
            f"{len(diff.flaky)} flaky, {len(diff.grew)} margin(s) grew"
        )
        for label, items in (("NEW", [i for i, _, _ in diff.new]), ("FIXED", [i for i, _ in diff.fixed]),
                             ("FLAKY", [i for i, _ in diff.flaky])):  # fmt: skip
            lines += [f"{bullet}{label} {code(i)}" for i in items[:limit]]
        lines += [f"{bullet}MARGIN {code(i)}: {old:.3g} -> {new:.3g}" for i, old, new in diff.grew[:limit]]
    hand_written = [r for r in results.get("records", []) if r.get("kind") != "opinfo"]
    found = groups(hand_written)
    if found:
        lines.append("" if markdown else "divergences by first divergent checkpoint:")
        if markdown:
            lines.append("### Divergences by first divergent checkpoint")
        for cause, items in found[:limit]:
            shown = ", ".join(code(i) for i in items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")
            lines.append(f"{bullet}{len(items)} item(s) first diverge at {code(cause)}: {shown}")
    return "\n".join(lines) + "\n"
