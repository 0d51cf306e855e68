"""Merge the per-worker JSON-lines files (or several shards' results files) into one results document."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..results import KIND, SCHEMA_VERSION, count_statuses, read_records, write_results
from .coverage import coverage, is_opinfo

__all__ = ["SCHEMA_VERSION", "combine", "iso_time", "merge", "write_results"]


def iso_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def _document(records: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    records = sorted(records, key=lambda r: r["id"])
    doc = {"kind": KIND, "schema_version": SCHEMA_VERSION, "run": run, "counts": count_statuses(records),
           "records": records}  # fmt: skip
    if any(is_opinfo(r) for r in records):
        # torch's op catalogue, entry by entry (agree, missing, diverge, expected), beside the item records
        cov = coverage(doc)
        doc["opinfo"] = {"entries": {e.entry: e.status for e in cov.entries}, "counts": cov.counts,
                         "catalogue_size": cov.entries_total}  # fmt: skip
    return doc


def merge(run_dir: Path, run: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every record of every worker file in ``run_dir``, sorted by item id; later records of an id win.

    ``run`` is the run's metadata (conformance.run_info.run_metadata: the report does not look at torch itself).
    """
    by_id: dict[str, dict[str, Any]] = {}
    unreadable = 0
    sources = sorted(run_dir.glob("*.jsonl")) if run_dir.exists() else []
    for path in sources:
        records, bad = read_records(path)
        unreadable += bad
        for r in records:
            by_id[r["id"]] = r
    run = {**(run or {}), "unreadable_lines": unreadable, "sources": [p.name for p in sources]}
    return _document(list(by_id.values()), run)


def combine(documents: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], list[str]]:
    """One document from several shards' results: records united, counts recomputed.

    The result is narrowed (``partial``, ``narrowed_by``) by whatever narrowed a shard, except the shard split
    itself once every shard of it is there: shards 1/3, 2/3 and 3/3 together are the whole library.
    Returns the document and warnings (an item present in two shards: the later file's record is kept).
    """
    by_id: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    warnings: list[str] = []
    for name, doc in documents:
        for r in doc["records"]:
            if r["id"] in by_id:
                warnings.append(f"{r['id']}: in both {origin[r['id']]} and {name}; keeping {name}")
            by_id[r["id"]], origin[r["id"]] = r, name
    runs = [doc["run"] for _, doc in documents]
    first = dict(runs[0]) if runs else {}
    starts = [r["start"] for r in runs if isinstance(r.get("start"), int | float)]
    ends = [r["end"] for r in runs if isinstance(r.get("end"), int | float)]
    not_run = sorted({i for r in runs for i in r.get("not_run", [])} - set(by_id))
    first.update(
        start=min(starts, default=None), end=max(ends, default=None),
        started=iso_time(min(starts)) if starts else None, ended=iso_time(max(ends)) if ends else None,
        complete=all(r.get("complete", False) for r in runs) and not not_run, not_run=not_run,
        merged_from=[name for name, _ in documents], shard=None,
        sources=sorted({s for r in runs for s in r.get("sources", [])}),
        unreadable_lines=sum(int(r.get("unreadable_lines", 0) or 0) for r in runs),
        interrupted=any(r.get("interrupted") for r in runs),
    )  # fmt: skip
    narrowed = _narrowed_by(runs)
    first.update(partial=bool(narrowed), narrowed_by=narrowed)
    warnings += _shard_warnings([(name, doc["run"]) for name, doc in documents])
    revisions = {r.get("engine_revision") for r in runs}
    if len(revisions) > 1:
        warnings.append(f"the shards ran different engine revisions: {sorted(map(str, revisions))}")
    return _document(list(by_id.values()), first), warnings


def _shard_warnings(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A shard given twice, shards of different splits, and the shards of a split that are missing."""
    seen: dict[str, str] = {}
    out = []
    for name, run in runs:
        shard = run.get("shard")
        if not isinstance(shard, str) or "/" not in shard:
            continue
        if shard in seen:
            out.append(f"shard {shard} given twice ({seen[shard]} and {name})")
        seen.setdefault(shard, name)
    totals = sorted({s.partition("/")[2] for s in seen})
    if len(totals) > 1:
        out.append(f"shards of different splits merged: {', '.join(sorted(seen))}")
    for total in totals:
        if total.isdigit():
            missing = [f"{i}/{total}" for i in range(1, int(total) + 1) if f"{i}/{total}" not in seen]
            if missing:
                out.append(f"shard(s) {', '.join(missing)} missing: the merge covers part of the library")
    return out


def _narrowed_by(runs: list[dict[str, Any]]) -> list[str]:
    """What narrowed the united runs: each run's ``narrowed_by`` (or, for a file without it, its shard and its
    ``partial`` flag), less the shard entries of a split whose shards are all present."""
    entries: list[str] = []
    for run in runs:
        own = [str(n) for n in run.get("narrowed_by") or []]
        if not own and run.get("shard"):
            own = [f"shard {run['shard']}"]
        if not own and run.get("partial"):
            own = ["part of the library (run.partial)"]
        entries += [n for n in own if n not in entries]
    shards = {n for n in entries if n.startswith("shard ")}
    whole = {n for n in shards if _all_shards(shards, n.partition("/")[2])}
    return [n for n in entries if n not in whole]


def _all_shards(entries: set[str], total: str) -> bool:
    return total.isdigit() and all(f"shard {i}/{total}" in entries for i in range(1, int(total) + 1))
