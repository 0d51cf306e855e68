"""Merge the per-worker JSON-lines files into one results document."""

from __future__ import annotations

import importlib
import json
import platform
import sys
from pathlib import Path
from typing import Any

import numpy

from ..results import read_records, to_jsonable

SCHEMA_VERSION = 1


def run_metadata(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Versions and platform of this run."""
    meta: dict[str, Any] = {"python": sys.version.split()[0], "numpy": numpy.__version__, "platform": platform.platform()}
    try:
        meta["torch"] = importlib.import_module("torch").__version__
    except ImportError:
        meta["torch"] = None
    meta.update(extra or {})
    return meta


def merge(run_dir: Path, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every record of every worker file in ``run_dir``, sorted by item id; later records of an id win."""
    by_id: dict[str, dict[str, Any]] = {}
    unreadable = 0
    sources = sorted(run_dir.glob("*.jsonl"))
    for path in sources:
        records, bad = read_records(path)
        unreadable += bad
        for r in records:
            by_id[r["id"]] = r
    records = [by_id[k] for k in sorted(by_id)]
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run_metadata({**(meta or {}), "unreadable_lines": unreadable, "sources": [p.name for p in sources]}),
        "counts": counts,
        "records": records,
    }


def write_results(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(to_jsonable(results), indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)  # readers never see a half-written file
