"""Verdict records as JSON lines (one file per pytest-xdist worker, appended atomically) and results files.

A results file (``reports/results.json``, ``reports/baseline.json``, a shard's
results) is one JSON document: ``{"kind": "conformance-results",
"schema_version": N, "run": {...}, "counts": {...}, "records": [...]}``.
``load_results`` checks that shape and raises ``ResultsFileError`` naming the
file, so a corrupt or foreign file is a one-line error, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .record import Record

RESULTS_SUBDIR = ".results"
KIND = "conformance-results"
SCHEMA_VERSION = 2  # 2: kind marker, run.complete, per-record checkpoints/reproducer


class ResultsFileError(Exception):
    """A results or baseline file that cannot be used; the message names the file."""


def to_jsonable(value: Any) -> Any:
    """Plain JSON data: NumPy scalars/arrays to Python, non-finite floats to strings."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def append_record(path: Path, record: dict[str, Any]) -> None:
    """One ``write`` of one whole line with O_APPEND: a killed worker leaves no half-merged state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(to_jsonable(record), sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


_STORE: dict[str, Path | None] = {"path": None}


def open_store(path: Path | None) -> Path | None:
    """Where ``store_record`` appends: this process's worker file (set by the plugin; None: nowhere).

    Returns the previous path, for a nested pytest run (pytester) to put back when it ends.
    """
    previous, _STORE["path"] = _STORE["path"], path
    return previous


def store_record(record: dict[str, Any]) -> None:
    """Append a record to this process's worker file, for item sources that are not plugin items
    (generated tests run as ordinary pytest tests); outside a plugin run the record is dropped."""
    if _STORE["path"] is not None:
        append_record(_STORE["path"], record)


def read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records of one JSON-lines file and the number of unreadable lines (a worker killed mid-write)."""
    records, bad = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str) and isinstance(record.get("status"), str):
            records.append(Record.from_json(record).to_json())  # one record type, whatever source wrote it
        else:
            bad += 1
    return records, bad


def count_statuses(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def write_results(results: dict[str, Any], path: Path) -> None:
    """Write atomically (temp file + rename): readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(results), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_results(path: Path) -> dict[str, Any]:
    """A validated results document; anything else raises ResultsFileError naming ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read results file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{path}: not a conformance results file (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(f"{path}: corrupt results file (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    _validate(path, data)
    return data


def _validate(path: Path, data: Any) -> None:
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ResultsFileError(f'{path}: not a conformance results file (no "kind": "{KIND}" marker)')
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsFileError(
            f"{path}: results schema version {version!r}, this tool reads version {SCHEMA_VERSION} "
            "(regenerate the file with this version, e.g. `conformance baseline update`)"
        )
    records = data.get("records")
    if not isinstance(records, list) or not isinstance(data.get("run"), dict):
        raise ResultsFileError(f'{path}: corrupt results file ("records" must be a list and "run" an object)')
    for i, r in enumerate(records):
        if not (isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("status"), str)):
            raise ResultsFileError(f'{path}: corrupt results file (record #{i + 1} lacks a string "id"/"status")')
