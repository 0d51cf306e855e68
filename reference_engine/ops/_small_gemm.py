"""torch 2.13's float32 summation order for small matrix products, where it is known.

torch's CPU ``mm``/``addmm`` (so ``nn.Linear``) hand float32 to MKL's ``sgemm``
(``at::native::cpublas::gemm``; torch's own ``gemm_notrans_`` in BlasKernel.cpp
only runs without a BLAS). For small products MKL picks its kernel from the
shape and the operands' layout, and each kernel sums the K products in its own
order. Found by experiment against torch 2.13 (tables in docs/design.md,
"Rounding like torch's kernels"; measured by
``tests/engine/ops/test_small_gemm_rounding.py``), for M <= 1024, K <= 64, N <= 11:

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
  and ``mat1`` row-major, M >= 2, N <= 11: dot products along K, see
  ``_dot_kernel`` (for K a multiple of 4 and N in {4, 8}: lane l sums products
  l, l + 4, ... in order, the lanes reduced as (l0 + l2) + (l1 + l3)); the bias
  is added after.

Elsewhere (other N, larger sizes) NumPy's BLAS is kept: for N >= 12 MKL's
order is a sequential fused multiply-add, which OpenBLAS's kernel shares.
"""

from __future__ import annotations

import numpy as np

_F32 = np.dtype(np.float32)
# checked against torch up to these sizes (a column: 5000 rows); the cost is M * N * K products,
# bounded so that no product costs more than a few hundred microseconds
_MAX_M = 1024
_MAX_K = 64
_COLUMN_MAX_M = 4096
_MAX_PRODUCTS = 1 << 16


def _products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All products a[m, k] * b[k, n] as a (K, M, N) float32 array, each rounded once."""
    return np.multiply(a.T[:, :, None], b[:, None, :], order="C")


def _sequential(prods: np.ndarray) -> np.ndarray:
    # One float32 accumulator per element, summed in k order: NumPy reduces the outer axis of a
    # C-contiguous array slice by slice. Where the other axes hold one element the reduced axis is the
    # contiguous one, which NumPy sums pairwise (8 partial sums): a running sum then.
    if prods[0].size == 1:
        return np.add.accumulate(prods, axis=0)[-1]
    return np.add.reduce(prods, axis=0)


def _column(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A row-major matrix times one column: MKL's kernel takes four rows at a time, and for 5 <= K <= 8
    keeps two accumulators: products 0..K-4 then K-2 in the first, K-3 and K-1 in the second, the two
    added at the end. The last M % 4 rows, and every row when K <= 4, are summed in order.
    (The seed's Linear(3, 1) on 2,000 rows runs this every step: the products are laid out (K, M), so
    each running sum adds one contiguous row of M products.)"""
    m, k = a.shape
    prods = np.multiply(a.T, b, order="C")  # (K, M): every product, rounded once
    # explicit adds, not a NumPy reduction (which starts from +0 and so loses a sum's -0)
    ordered = prods[0] + prods[1] if k > 1 else prods[0].copy()
    for p in prods[2:]:
        ordered += p
    if k > 4:
        full = m - m % 4
        first = prods[0]
        for p in prods[1 : k - 3]:
            first = first + p
        paired = (first + prods[k - 2]) + (prods[k - 3] + prods[k - 1])
        ordered[:full] = paired[:full]
    return ordered[:, None]


def _tree(lanes: np.ndarray) -> np.ndarray:
    """A vector's horizontal sum: halves added pairwise, (l0 + l2) + (l1 + l3) for four lanes."""
    while lanes.shape[0] > 1:
        half = lanes.shape[0] // 2
        lanes = lanes[:half] + lanes[half:]
    return lanes[0]


def _dots(prods: np.ndarray, peel: int, width: int) -> np.ndarray:
    """One dot-product kernel over (K, rows, cols) products: ``peel`` scalar products summed in order until
    the row's data is 16-byte aligned, then vectors of ``width`` lanes (the peeled sum starts lane 0), the
    lanes' horizontal sum, and the remaining products added in order."""
    k = prods.shape[0]
    chunks = (k - peel) // width
    if chunks == 0:
        return _sequential(prods)
    body = prods[peel : peel + chunks * width].reshape(chunks, width, *prods.shape[1:])
    lanes = _sequential(body)
    if peel:
        lanes[0] = _sequential(np.concatenate((_sequential(prods[:peel])[None], body[:, 0])))
    out = _tree(lanes)
    tail = prods[peel + chunks * width :]
    return _sequential(np.concatenate((out[None], tail))) if tail.shape[0] else out


def _dot_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a row-major ``a`` and ``b`` the transpose of a row-major (N, K) matrix (a Linear's
    weight): MKL takes the columns four at a time with 4-lane vectors, the last N % 4 with 8-lane
    vectors; each row of ``a`` first adds products one by one up to a 16-byte boundary of its data,
    so the order depends on the row's address (torch's storage is 64-byte aligned, NumPy's at least
    16-byte, so a view's offset gives the same address modulo 16 in both)."""
    m, k = a.shape
    n = b.shape[1]
    prods = _products(a, b)
    out = np.empty((m, n), _F32)
    split = n - n % 4
    base = a.ctypes.data % 16
    for first in range(min(m, 4)):  # rows whose data starts at the same address modulo 16
        rows = slice(first, None, 4) if (k * 4) % 16 else slice(first, None, 1)
        offset = (base + first * k * 4) % 16
        peel = min(k, (16 - offset) % 16 // 4)
        for cols, width in ((slice(0, split), 4), (slice(split, n), 8)):
            if cols.start < cols.stop:
                out[rows, cols] = _dots(prods[:, rows, cols], peel, width)
        if rows.step == 1:
            break
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
        if bias is not None and m == 1 and b.strides[1] <= 4:  # 1x1, mat2 not a transposed row: onto C
            return _sequential(np.concatenate((np.broadcast_to(bias, (1, 1, 1)), _products(a, b))))
        out = _column(a, b)
        return out if bias is None else out + bias  # this kernel adds C after the sum
    if not (m <= _MAX_M and k <= _MAX_K and n <= 11 and m * n * k <= _MAX_PRODUCTS):
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
    out = _dot_kernel(a, b)
    return out if bias is None else out + bias
