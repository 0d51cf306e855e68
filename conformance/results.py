"""Verdict records as JSON lines (one file per pytest-xdist worker, appended atomically) and results files.

A results file (``reports/results.json``, ``reports/baseline.json``, a shard's
results) is one JSON document: ``{"kind": "conformance-results",
"schema_version": N, "run": {...}, "counts": {...}, "records": [...]}``.
``load_results`` checks that shape and the type of every record's fields
(``Record.validate``) and raises ``ResultsFileError`` naming the file, the
record and the field, so a corrupt or foreign file is a one-line error, never a
traceback. Every string written or read goes through ``record.safe_text``
(UTF-8 safe, capped).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .record import Record, clean, safe_text

RESULTS_SUBDIR = ".results"
KIND = "conformance-results"
SCHEMA_VERSION = 2  # 2: kind marker, run.complete, per-record checkpoints/reproducer
PREVIOUS_SUBDIR = "previous"  # where move_aside keeps the last run's report while a new run writes its own
ASIDE = ("results.json", "conformance.html")


class ResultsFileError(Exception):
    """A results or baseline file that cannot be used; the message names the file."""


def to_jsonable(value: Any) -> Any:
    """Plain JSON data: NumPy scalars/arrays to Python, non-finite floats to strings, strings UTF-8 safe and capped."""
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
    if isinstance(value, str):
        return safe_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return safe_text(repr(value))


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
_ORACLE: dict[str, str | None] = {"torch": None}


def open_store(path: Path | None, torch: str | None = None) -> Path | None:
    """Where ``store_record`` appends: this process's worker file (set by the plugin; None: nowhere), and the
    version of the torch the run compares with, stamped on every record stored.

    Returns the previous path, for a nested pytest run (pytester) to put back when it ends.
    """
    previous, _STORE["path"] = _STORE["path"], path
    if torch is not None:
        _ORACLE["torch"] = torch
    return previous


def store_record(record: dict[str, Any]) -> None:
    """Append a record to this process's worker file, for item sources that are not plugin items
    (generated tests run as ordinary pytest tests); outside a plugin run the record is dropped."""
    if _STORE["path"] is not None:
        if record.get("torch") is None and _ORACLE["torch"] is not None:
            record = {**record, "torch": _ORACLE["torch"]}
        append_record(_STORE["path"], record)


def read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records of one JSON-lines file and the number of unreadable lines: a worker killed mid-write, bytes
    that are not UTF-8 or not JSON, a record whose fields have the wrong types (``Record.validate``)."""
    records, bad = [], 0
    for raw in path.read_bytes().splitlines():
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
            bad += 1
            continue
        if Record.validate(record):
            bad += 1
        else:
            records.append(Record.from_json(record).to_json())  # one record type, whatever source wrote it
    return records, bad


def count_statuses(records: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def write_results(results: dict[str, Any], path: Path) -> None:
    """Write atomically (temp file + rename): readers never see a half-written file, and a failed write
    leaves neither a temp file nor a damaged ``path`` (the error is raised)."""
    write_text_atomic(path, json.dumps(to_jsonable(results), indent=1, sort_keys=True) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """``text`` as ``path``, through a temp file of this process renamed over it; the temp file goes on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # per process: two concurrent writers never share it
    try:
        tmp.write_text(text, encoding="utf-8", errors="backslashreplace")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def move_aside(reports_dir: Path) -> list[Path]:
    """Move the last run's ``results.json`` and ``conformance.html`` into ``reports_dir/previous/``.

    Called when a run starts, so a run that writes nothing (or dies) never leaves the last run's report looking
    like its own. An older ``previous/`` copy is replaced as a whole (never one file of one run beside the
    other of another). Returns the moved files' new paths (empty when there was nothing to move).
    """
    present = [reports_dir / name for name in ASIDE if (reports_dir / name).is_file()]
    if not present:
        return []
    previous = reports_dir / PREVIOUS_SUBDIR
    previous.mkdir(parents=True, exist_ok=True)
    for name in ASIDE:
        (previous / name).unlink(missing_ok=True)
    moved = []
    for src in present:
        src.replace(previous / src.name)
        moved.append(previous / src.name)
    return moved


def restore_aside(reports_dir: Path) -> list[Path]:
    """Put back what ``move_aside`` moved (for a run that turned out to produce no records).

    A file the new run has written since is kept, not overwritten. Returns the restored files' paths.
    """
    previous = reports_dir / PREVIOUS_SUBDIR
    restored = []
    for name in ASIDE:
        src, dst = previous / name, reports_dir / name
        if src.is_file() and not dst.exists():
            src.replace(dst)
            restored.append(dst)
    if previous.is_dir() and not any(previous.iterdir()):
        previous.rmdir()
    return restored


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
    except RecursionError:
        raise ResultsFileError(f"{path}: corrupt results file (nested too deeply)") from None
    _validate(path, data)
    return clean(data)  # strings written before they were made safe and capped


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


# The run fields a verdict depends on (whether a baseline may be taken from the run): a string "false" must
# not read as true.
_RUN_FIELDS: dict[str, tuple[Any, str]] = {
    "complete": (lambda v: isinstance(v, bool), "a boolean"),
    "partial": (lambda v: isinstance(v, bool), "a boolean"),
    "interrupted": (lambda v: isinstance(v, bool), "a boolean"),
    "narrowed_by": (_strings, "a list of strings"),
    "not_run": (_strings, "a list of strings"),
    "unreadable_lines": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
}


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
    for key, (test, wanted) in _RUN_FIELDS.items():
        if key in data["run"] and not test(data["run"][key]):
            raise ResultsFileError(f'{path}: corrupt results file (run field "{key}": expected {wanted})')
    for i, r in enumerate(records):
        problems = Record.validate(r)
        if problems:
            item = r.get("id") if isinstance(r, dict) else None
            named = f"id {safe_text(item[:80])!r}" if isinstance(item, str) else "no string id"
            raise ResultsFileError(f"{path}: corrupt results file (record #{i + 1}, {named}: {problems[0]})")
