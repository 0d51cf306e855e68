"""torch 2.13's float32 summation order for small matrix products, where it is known.

torch's CPU ``mm``/``addmm`` (so ``nn.Linear``) hand float32 to MKL's ``sgemm``
(``at::native::cpublas::gemm``; torch's own ``gemm_notrans_`` in BlasKernel.cpp
only runs without a BLAS). For small products MKL picks its kernel from the
shape and the operands' layout, and each kernel sums the K products in its own
order. Found by experiment against torch 2.13 (tables in docs/design.md,
"Rounding like torch's kernels"; measured by
``tests/engine/ops/test_small_gemm_rounding.py``), for M <= 64 and K <= 32:

- ``mat2`` row-major with N in {2, 3, 4, 8}, or N <= 11 and K <= 7: one
  accumulator per element, the products added in k order, each product and
  each sum rounded to float32 (no fused multiply-add). The kernel accumulates
  onto C, so addmm's bias is the first term. With N in {5, 6, 7, 9, 10, 11}
  and K >= 8 the first N % 4 (N = 9: 3) columns are summed in another order,
  not identified; the engine uses the sequential sum there too (about 90% of
  elements agree, against 45% for NumPy's product). N == 1 with a transposed
  ``mat1``: the same, for K <= 4.
- N == 1 with a row-major ``mat1`` (``(32, 4) @ (4, 1)``, ``Linear(K, 1)``),
  any M, K <= 8: see ``_column``; the bias is added after the sum.
- ``mat2`` the transpose of a row-major matrix (``nn.Linear``'s ``weight.t()``)
  and ``mat1`` row-major: K <= 3 is the same sequential sum (N <= 11); N in {4, 8} with
  K a multiple of 4 is a 4-lane dot product, lane l summing products
  l, l + 4, ... in order, the lanes reduced as (l0 + l2) + (l1 + l3); the bias
  is added after.

Elsewhere (other N, larger sizes) NumPy's BLAS is kept: for N >= 12 MKL's
order is a sequential fused multiply-add, which OpenBLAS's kernel shares.
"""

from __future__ import annotations

import numpy as np

_F32 = np.dtype(np.float32)
# a matrix times a column was checked up to 5000 rows; its cost is M * K products
_COLUMN_MAX_M = 1 << 16


def _products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All products a[m, k] * b[k, n] as a (K, M, N) float32 array, each rounded once."""
    return np.multiply(a.T[:, :, None], b[:, None, :], order="C")


def _sequential(prods: np.ndarray) -> np.ndarray:
    # One float32 accumulator per element, summed in k order. Not np.add.reduce: where the other axes
    # have one element the reduced axis is contiguous and NumPy sums it pairwise (8 partial sums).
    return np.ascontiguousarray(np.add.accumulate(prods, axis=0)[-1])


def _column(prods: np.ndarray) -> np.ndarray:
    """A matrix times one column, for a row-major ``mat1``: MKL's kernel takes four rows at a time, and for
    5 <= K <= 8 keeps two accumulators: products 0..K-4 then K-2 in the first, K-3 and K-1 in the
    second, the two added at the end. The last M % 4 rows, and every row when K <= 4, are summed in order."""
    k, m = prods.shape[0], prods.shape[1]
    if k <= 4:
        return _sequential(prods)
    full = m - m % 4
    out = np.empty(prods.shape[1:], _F32)
    body = prods[:, :full]
    out[:full] = (_sequential(body[: k - 3]) + body[k - 2]) + (body[k - 3] + body[k - 1])
    out[full:] = _sequential(prods[:, full:])
    return out


def small_mm(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray | None:
    """``a @ b`` (plus ``bias``, broadcast to the result, as addmm with alpha = beta = 1) in torch's
    float32 order, or None where that order is not known (the caller then uses NumPy's product)."""
    if a.dtype != _F32 or b.dtype != _F32 or type(a) is not np.ndarray or type(b) is not np.ndarray:
        return None
    if bias is not None and bias.dtype != _F32:
        return None
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or k == 0 or n == 0:
        return None
    if n == 1 and k <= 8 and m <= _COLUMN_MAX_M and a.flags.c_contiguous:
        out = _column(_products(a, b))
        return out if bias is None else out + bias  # this kernel adds C after the sum
    if not (m <= 64 and k <= 32 and n <= 11):
        return None
    if b.flags.c_contiguous:
        if n == 1 and k > 4:
            return None
        prods = _products(a, b)
        if bias is None:
            return _sequential(prods)
        # this kernel accumulates onto C: the bias is the first term
        return _sequential(np.concatenate((np.broadcast_to(bias, (1, m, n)), prods)))
    if not (b.T.flags.c_contiguous and a.flags.c_contiguous and m >= 2):
        return None
    if k <= 3:
        out = _sequential(_products(a, b))
    elif n in (4, 8) and k % 4 == 0:
        lanes = _sequential(_products(a, b).reshape(k // 4, 4, m, n))
        out = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])
    else:
        return None
    return out if bias is None else out + bias
