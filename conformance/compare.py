"""The one comparison mechanism: two arrays -> a verdict with its margin.

Tolerances are torch.testing.assert_close's defaults per dtype: an element
agrees when ``|actual - expected| <= atol + rtol * |expected|``. Integers and
bools must match exactly. Every result keeps its margin (worst error divided
by the allowed error; <= 1 passes), the worst element's index and the number
of mismatched elements, so near misses are visible before they fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# torch/testing/_comparison.py default_tolerances: dtype -> (rtol, atol)
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex32": (1e-3, 1e-5),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


# On CUDA, torch and CuPy reduce in other orders than the CPU kernels (tree reductions across
# thread blocks, cuBLAS's split-K matmuls, fused multiply-adds), so sums and products of many terms
# differ by more than the CPU defaults allow. Elementwise results are unaffected; these looser
# values apply to the whole item because a reduction's error reaches everything computed from it.
DEVICE_TOLERANCES: dict[str, dict[str, tuple[float, float, str]]] = {
    "cuda": {
        "float16": (1e-2, 1e-3, "GPU reductions accumulate float16 in other orders than the CPU"),
        "float32": (1e-5, 1e-5, "GPU reductions and cuBLAS matmuls sum float32 terms in other orders"),
        "float64": (1e-7, 1e-7, "float64 reductions on GPU stay within the CPU defaults"),
    },
}


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    reason: str = ""

    @classmethod
    def for_dtype(cls, dtype_name: str, device: str = "cpu") -> Tolerance:
        """assert_close's default for ``dtype_name``, or the device's own entry (with its reason)."""
        if dtype_name in DEVICE_TOLERANCES.get(device, {}):
            rtol, atol, reason = DEVICE_TOLERANCES[device][dtype_name]
            return cls(rtol, atol, reason)
        rtol, atol = DEFAULT_TOLERANCES.get(dtype_name, (0.0, 0.0))
        return cls(rtol, atol)


@dataclass
class ValueDiff:
    """How two arrays compare. ``margin`` <= 1 means they agree within tolerance."""

    ok: bool
    margin: float
    mismatched: int
    total: int
    worst_index: tuple[int, ...] | None = None
    max_abs: float = 0.0
    max_rel: float = 0.0
    actual_at_worst: Any = None
    expected_at_worst: Any = None
    tolerance: Tolerance | None = None
    problem: str = ""  # shape or dtype mismatch, described for a person
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.problem:
            return self.problem
        if self.ok:
            return f"agree (margin {self.margin:.3g})"
        tol = self.tolerance
        return (
            f"{self.mismatched} / {self.total} elements differ; worst at {self.worst_index}: "
            f"actual {self.actual_at_worst!r} vs expected {self.expected_at_worst!r} "
            f"(abs {self.max_abs:.3g}, rel {self.max_rel:.3g}; allowed rtol {tol.rtol:g} atol {tol.atol:g}; "
            f"margin {self.margin:.3g})"
        )


def _dtype_name(arr: np.ndarray) -> str:
    return "bool" if arr.dtype == np.bool_ else arr.dtype.name


def compare_arrays(
    actual: Any,
    expected: Any,
    tolerance: Tolerance | None = None,
    check_dtype: bool = True,
) -> ValueDiff:
    """Compare ``actual`` (the engine) with ``expected`` (torch), elementwise.

    NaNs agree with NaNs at the same place and infinities with the same
    infinity: a conformance check asks "same result", not "finite result".
    """
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.shape != e.shape:
        return ValueDiff(
            False, float("inf"), a.size, e.size, problem=f"shape {list(a.shape)} vs expected {list(e.shape)}"
        )
    if check_dtype and a.dtype != e.dtype:
        return ValueDiff(
            False, float("inf"), a.size, e.size, problem=f"dtype {_dtype_name(a)} vs expected {_dtype_name(e)}"
        )
    tol = tolerance or Tolerance.for_dtype(_dtype_name(e))
    total = int(e.size)
    if total == 0:
        return ValueDiff(True, 0.0, 0, 0, tolerance=tol)
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        bad = a != e
        n_bad = int(bad.sum())
        if not n_bad:
            return ValueDiff(True, 0.0, 0, total, tolerance=tol)
        idx = np.unravel_index(int(np.argmax(bad)), e.shape)
        diff = abs(int(a[idx]) - int(e[idx]))
        return ValueDiff(
            False, float("inf"), n_bad, total, tuple(int(i) for i in idx), float(diff), float("inf"),
            a[idx].item(), e[idx].item(), tol,
        )  # fmt: skip
    af = a.astype(np.complex128 if a.dtype.kind == "c" or e.dtype.kind == "c" else np.float64)
    ef = e.astype(af.dtype)
    both_nan = np.isnan(af) & np.isnan(ef)
    same_inf = np.isinf(af) & np.isinf(ef) & (af == ef)
    special = both_nan | same_inf
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = np.where(special, 0.0, np.abs(af - ef))
        abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)
        allowed = tol.atol + tol.rtol * np.abs(ef)
        allowed = np.where(np.isfinite(allowed), allowed, 0.0)
        ratio = np.where(abs_err == 0, 0.0, np.where(allowed > 0, abs_err / np.where(allowed > 0, allowed, 1), np.inf))
        rel = np.where(abs_err == 0, 0.0, abs_err / np.where(np.abs(ef) > 0, np.abs(ef), np.inf))
    flat = int(np.argmax(ratio))
    idx = np.unravel_index(flat, e.shape)
    margin = float(ratio[idx])
    bad = ratio > 1
    return ValueDiff(
        ok=not bool(bad.any()),
        margin=margin,
        mismatched=int(bad.sum()),
        total=total,
        worst_index=tuple(int(i) for i in idx),
        max_abs=float(abs_err.max()),
        max_rel=float(np.nanmax(rel)) if rel.size else 0.0,
        actual_at_worst=a[idx].item(),
        expected_at_worst=e[idx].item(),
        tolerance=tol,
    )
