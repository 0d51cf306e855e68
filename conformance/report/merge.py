"""Merge the per-worker JSON-lines files (or several shards' results files) into one results document."""

from __future__ import annotations

import datetime as dt
import importlib
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy

from ..results import KIND, SCHEMA_VERSION, count_statuses, read_records, write_results

__all__ = ["SCHEMA_VERSION", "combine", "iso_time", "merge", "run_metadata", "write_results"]

SEED_SCHEME = "per item: zlib.crc32(item id); each record carries its seed"


def iso_time(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def git_revision(root: Path) -> str | None:
    """The engine's commit, with ``+dirty`` when the working tree has changes (None outside git)."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _device() -> str:
    try:
        torch = importlib.import_module("torch")
        if torch.cuda.is_available():
            return f"cpu + cuda ({torch.cuda.get_device_name(0)})"
    except Exception:  # noqa: BLE001 - the device line is informative only
        pass
    return f"cpu ({platform.machine() or 'unknown'})"


def _pairs() -> dict[str, str]:
    """Each backend pair: 'available', or 'skipped: <reason>' (a CPU-only machine skips cuda-cupy)."""
    from ..backends import device_summary  # noqa: PLC0415 - backends imports torch lazily

    try:
        return device_summary()
    except Exception as exc:  # noqa: BLE001 - metadata must not break the report
        return {"error": f"{type(exc).__name__}: {exc}"}


def run_metadata(extra: dict[str, Any] | None = None, root: Path | None = None) -> dict[str, Any]:
    """Versions, platform, engine revision and device of this run."""
    meta: dict[str, Any] = {
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "device": _device(),
        "pairs": _pairs(),
        "seed": SEED_SCHEME,
        "engine_revision": git_revision(root or Path.cwd()),
    }
    try:
        meta["torch"] = importlib.import_module("torch").__version__
    except ImportError:
        meta["torch"] = None
    meta.update(extra or {})
    return meta


def _document(records: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    records = sorted(records, key=lambda r: r["id"])
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "run": run, "counts": count_statuses(records),
            "records": records}  # fmt: skip


def merge(run_dir: Path, meta: dict[str, Any] | None = None, root: Path | None = None) -> dict[str, Any]:
    """Every record of every worker file in ``run_dir``, sorted by item id; later records of an id win."""
    by_id: dict[str, dict[str, Any]] = {}
    unreadable = 0
    sources = sorted(run_dir.glob("*.jsonl")) if run_dir.exists() else []
    for path in sources:
        records, bad = read_records(path)
        unreadable += bad
        for r in records:
            by_id[r["id"]] = r
    extra = {**(meta or {}), "unreadable_lines": unreadable, "sources": [p.name for p in sources]}
    return _document(list(by_id.values()), run_metadata(extra, root))


def combine(documents: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], list[str]]:
    """One document from several shards' results: records united, counts recomputed.

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
    revisions = {r.get("engine_revision") for r in runs}
    if len(revisions) > 1:
        warnings.append(f"the shards ran different engine revisions: {sorted(map(str, revisions))}")
    return _document(list(by_id.values()), first), warnings
