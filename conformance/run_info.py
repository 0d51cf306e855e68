"""The metadata of a run (versions, platform, engine revision, device, backend pairs) for its results file.

Kept out of conformance/report, which renders records and never imports torch or the backends.
"""

from __future__ import annotations

import importlib
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy

from .backends import device_summary

SEED_SCHEME = "per item: zlib.crc32(item id); each record carries its seed"


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
