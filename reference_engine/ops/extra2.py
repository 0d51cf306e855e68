"""Second round of torch functions: kron, tensordot, cartesian_prod, block_diag, hsplit/vsplit/dsplit,
logcumsumexp, quantile/nanquantile, mode, renorm, dist, addbmm, chain_matmul, nextafter, the legacy svd and qr,
histc and matrix_exp.

torch composes kron, tensordot, cartesian_prod, the splits, chain_matmul and quantile from other ops; the
engine composes the same ops in the same order so that the grad_fn chain is torch's. The others are native
in torch and get their own node here.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..tensor import Tensor
from . import extra as E
from . import indexing as I
from . import linalg as L
from . import linalg_more as LM
from . import pointwise as P
from . import reduction as R
from . import shape as S
from . import sorting as SO
from ._util import binary_arrays, grad_recording, needs, record, wrap_dims
from .inplace import inplace_method


# --------------------------------------------------------------------------- kron / tensordot
def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """torch's KronImpl: interleave singleton dims, multiply, fold the pairs back together."""
    n = max(input.ndim, other.ndim)
    pad_a, pad_b = n - input.ndim, n - other.ndim
    a_shape: list[int] = []
    b_shape: list[int] = []
    for i in range(n):
        a_shape += [input.shape[i - pad_a] if i >= pad_a else 1, 1]
        b_shape += [1, other.shape[i - pad_b] if i >= pad_b else 1]
    result_shape = tuple(a_shape[2 * i] * b_shape[2 * i + 1] for i in range(n))
    prod = P.mul(L._unsafe_view(input, tuple(a_shape)), L._unsafe_view(other, tuple(b_shape)))
    return L._unsafe_view(prod, result_shape)


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    da, db = dims
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    return [wrap_dims(d, a.ndim)[0] for d in da], [wrap_dims(d, b.ndim)[0] for d in db]


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """torch.tensordot: permute the contracted dims together, reshape, one mm, reshape back."""
    da, db = _tensordot_dims(a, b, dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    csize = 1
    t1, t2 = a, b
    for x, y in zip(da, db, strict=True):
        s1, s2 = a.shape[x], b.shape[y]
        if s2 == 1:  # a broadcast dimension is summed right away
            t1 = R.sum(t1, x, keepdim=True)
        elif s1 == 1:
            t2 = R.sum(t2, y, keepdim=True)
        elif s1 != s2:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {s1} in dim {x} "
                f"and second has size {s2} in dim {y}"
            )
        else:
            csize *= s1
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [i for i in range(b.ndim) if i not in db]
    rsizes = tuple(t1.shape[i] for i in free_a) + tuple(t2.shape[i] for i in free_b)
    ta = S.permute(t1, free_a + da)
    tb = S.permute(t2, db + free_b)
    if not free_a and not free_b:
        # torch 2.13 contracts everything with one dot of the flattened views, or, when a permuted
        # operand cannot be flattened as a view, with an elementwise product summed (found by experiment)
        if ta._data.flags.c_contiguous and tb._data.flags.c_contiguous:
            return S.view(L.dot(S.view(ta, (csize,)), S.view(tb, (csize,))), rsizes)
        return S.view(R.sum(P.mul(S.squeeze(ta), S.squeeze(tb))), rsizes)
    size1 = math.prod(rsizes[: len(free_a)])
    size2 = math.prod(rsizes[len(free_a) :])
    return L._reshape(L.mm(L._reshape(ta, (size1, csize)), L._reshape(tb, (csize, size2))), rsizes)


# --------------------------------------------------------------------------- cartesian_prod / block_diag
def cartesian_prod(*tensors: Tensor) -> Tensor:
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]  # torch hands back the input itself
    grids = E.meshgrid(*tensors, indexing="ij")
    return S.stack([S.flatten(g) for g in grids], 1)


class BlockDiagBackward0(Node):
    # block_diag: block_diag_backward(grad, sizes, dtypes): each input's block, cast to its dtype
    def apply(self, grad: Tensor) -> tuple:
        grads = []
        r = c = 0
        for (rows, cols), orig in zip(self.block_shapes, self.orig_shapes, strict=True):
            block = grad[r : r + rows, c : c + cols]
            grads.append(S.reshape(block, orig))
            r, c = r + rows, c + cols
        return tuple(grads)


def block_diag(*tensors: Tensor) -> Tensor:
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t.ndim} dimensions"
            )
        arr = t._data
        blocks.append(arr.reshape(1, 1) if arr.ndim == 0 else arr.reshape(1, -1) if arr.ndim == 1 else arr)
    if not tensors:  # torch's empty result is one row of nothing
        return Tensor._make(np.zeros((1, 0), dtype=D.get_default_dtype().np))
    dt = D.result_type(*tensors)
    xp = tensors[0]._xp
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    res = xp.zeros((rows, cols), dtype=dt.np)
    r = c = 0
    for b in blocks:
        res[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    out = Tensor._make(res)
    if grad_recording(*tensors):
        node = BlockDiagBackward0()
        node.block_shapes = [b.shape for b in blocks]
        node.orig_shapes = [t._data.shape for t in tensors]
        record(node, out, *tensors)
    return out


# --------------------------------------------------------------------------- hsplit / vsplit / dsplit
def _dim_split(name: str, input: Tensor, sections: Any, min_dim: int, d: int) -> tuple[Tensor, ...]:  # noqa: A002
    if input.ndim < min_dim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_dim} dimension, "
            f"but got a tensor with {input.ndim} dimensions!"
        )
    if isinstance(sections, int):
        size = input.shape[d]
        if sections == 0 or size % sections != 0:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {d}, but the size of the dimension {size} "
                f"is not divisible by the split_size {sections}!"
            )
    return E.tensor_split(input, sections, d)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    return _dim_split("hsplit", input, indices_or_sections, 1, 1 if input.ndim > 1 else 0)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    return _dim_split("vsplit", input, indices_or_sections, 2, 0)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:  # noqa: A002
    return _dim_split("dsplit", input, indices_or_sections, 3, 2)


# --------------------------------------------------------------------------- logcumsumexp
def _reverse_logcumsumexp(x: Tensor, d: int) -> Tensor:
    return R._flip(logcumsumexp(R._flip(x, d), d), d)


class LogcumsumexpBackward0(Node):
    # logcumsumexp_backward: positive and negative grads separately in log space, so nothing overflows
    def apply(self, grad: Tensor) -> tuple:
        x, result, d = self.saved("self"), self.saved("result"), self.dim
        if grad._data.size <= 1 or grad.ndim == 0:
            return (grad,)
        lowest = float(np.finfo(grad._data.dtype).min)
        log_abs = P.log(P.abs(grad))
        pos = P.where(grad > 0, log_abs, lowest)
        neg = P.where(grad < 0, log_abs, lowest)
        out_pos = P.exp(_reverse_logcumsumexp(pos - result, d) + x)
        out_neg = P.exp(_reverse_logcumsumexp(neg - result, d) + x)
        return (out_pos - out_neg,)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    R._check_tensor("logcumsumexp", input)
    a = input._data
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{R._type_name(R._dtype_of(input))}'")
    d = wrap_dims(dim, input.ndim)[0]
    xp = input._xp
    with P._errstate(xp):
        res = a.copy() if a.ndim == 0 else xp.logaddexp.accumulate(a, axis=d)
    out = Tensor._make(res)
    if grad_recording(input):
        node = LogcumsumexpBackward0()
        node.dim = d
        record(node, out, input)
        node.save("self", input)
        node.save("result", out, is_output=True)
    return out


# --------------------------------------------------------------------------- quantile / nanquantile
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class TransposeBackward1(Node):
    # transpose_: self: grad.transpose(dim0, dim1)
    def apply(self, grad: Tensor) -> tuple:
        return (S.transpose(grad, self.dim0, self.dim1),)


class UnsqueezeBackward1(Node):
    # unsqueeze_: self: grad.squeeze(dim)
    def apply(self, grad: Tensor) -> tuple:
        return (S.squeeze(grad, self.dim),)


def _inplace_meta(t: Tensor, arr: Any, node: Node) -> Tensor:
    """A shape-only in-place op (squeeze_, unsqueeze_, transpose_) on a fresh internal result."""
    out = Tensor._make(arr)
    out._vc = t._vc
    out._vc[0] += 1
    if grad_recording(t):
        node.self_sizes = t._data.shape
        record(node, out, t)
    return out


def _squeeze_last_(t: Tensor) -> Tensor:
    a = t._data
    return _inplace_meta(t, a.reshape(a.shape[:-1]) if a.shape[-1] == 1 else a, L.SqueezeBackward4())


def _quantile(
    name: str,
    input: Tensor,  # noqa: A002
    q: Any,
    dim: Any,
    keepdim: bool,
    interpolation: str,
    ignore_nan: bool,
) -> Tensor:
    """torch's quantile_impl: sort, rank, gather the neighbours, lerp between them."""
    R._check_tensor(name, input)
    if input._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qa = q._data
    else:
        qa = np.asarray(q, dtype=input._data.dtype)
    if not ((qa >= 0) & (qa <= 1)).all():
        if qa.ndim == 0:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {float(qa)}")
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}"
        )
    xp = input._xp
    if dim is None:
        sorted_ = SO.sort(S.flatten(input)).values
        out_shape = [1] * input.ndim if keepdim else []
    else:
        d = wrap_dims(dim, max(input.ndim, 1))[0]
        if input.ndim == 0 or d == input.ndim - 1:
            sorted_ = SO.sort(input).values
        else:
            sorted_ = SO.sort(S.transpose(S.unsqueeze(input, -1), d, -1)).values
        out_shape = list(input.shape)
        if keepdim:
            out_shape[d] = 1
        elif out_shape:
            del out_shape[d]
    if qa.ndim == 1:
        out_shape = [qa.shape[0], *out_shape]
    in_shape = [*(out_shape[1:] if qa.ndim == 1 else out_shape), sorted_.shape[-1] if sorted_.ndim else 1]
    sorted_ = S.view(sorted_, tuple(in_shape))
    s = sorted_._data
    nan_rows = xp.isnan(s).any(axis=-1, keepdims=True)
    with P._errstate(xp):
        if ignore_nan:
            count = (~xp.isnan(s)).sum(axis=-1, keepdims=True)
            # an all-NaN row ranks 0, so its quantile is the NaN there
            ranks = xp.maximum(qa.reshape(-1) * (count - 1).astype(s.dtype), 0)
        else:
            ranks = qa.reshape(-1) * (s.shape[-1] - 1)
            ranks = xp.where(nan_rows, s.shape[-1] - 1, ranks)
        ranks = ranks.astype(s.dtype)
        if interpolation == "lower":
            ranks = xp.floor(ranks)
        elif interpolation == "higher":
            ranks = xp.ceil(ranks)
        elif interpolation == "nearest":
            ranks = xp.round(ranks)  # round half to even, as torch's round_
    below = ranks.astype(np.int64)
    values = I.gather(sorted_, -1, Tensor._make(below))
    if interpolation in ("linear", "midpoint"):
        weights = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        above = I.gather(sorted_, -1, Tensor._make(xp.ceil(ranks).astype(np.int64)))
        values = values.lerp_(above, Tensor._make(weights))
    if qa.ndim == 0:
        return _squeeze_last_(values)
    v = values._data
    node = UnsqueezeBackward1()
    node.dim = 0
    values = _inplace_meta(values, v.reshape((1, *v.shape)), node)
    node = TransposeBackward1()
    node.dim0, node.dim1 = 0, values.ndim - 1
    values = _inplace_meta(values, xp.swapaxes(values._data, 0, -1), node)
    return _squeeze_last_(values)


def quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# --------------------------------------------------------------------------- mode
ModeBackward0 = type("ModeBackward0", (SO._SelectedValues,), {"__doc__": "mode: value_selecting_reduction_backward"})
_MODE = R._return_type("mode")


def _mode_row(row: Any) -> tuple[Any, int]:
    # the most frequent value, the smallest among ties, at its last position (torch's CPU kernel)
    values, counts = np.unique(row, return_counts=True)
    v = values[int(np.argmax(counts))]
    return v, int(np.flatnonzero(row == v)[-1])


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    R._check_tensor("mode", input)
    d = wrap_dims(dim, max(input.ndim, 1))[0]
    a = np.asarray(input._data)
    if a.ndim == 0:
        vals, idx = a.copy(), np.asarray(0)
    else:
        moved = np.moveaxis(a, d, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        pairs = [_mode_row(r) for r in flat]
        vals = np.array([p[0] for p in pairs], dtype=a.dtype).reshape(moved.shape[:-1])
        idx = np.array([p[1] for p in pairs], dtype=np.int64).reshape(moved.shape[:-1])
        if keepdim:
            vals, idx = np.expand_dims(vals, d), np.expand_dims(idx, d)
    vals_t = Tensor._make(input._xp.asarray(vals, dtype=a.dtype))
    idx_t = Tensor._make(input._xp.asarray(idx, dtype=np.int64))
    if grad_recording(input):
        node = ModeBackward0()
        node.self_sizes, node.dim, node.keepdim = input._data.shape, d, keepdim
        node.indices, node.xp = idx_t._data, input._xp
        record(node, (vals_t, idx_t), input)
        idx_t._grad_fn = None
    return _MODE(vals_t, idx_t)


# --------------------------------------------------------------------------- renorm / dist
class RenormBackward0(Node):
    # renorm_backward (FunctionsManual)
    def apply(self, grad: Tensor) -> tuple:
        x, p, dims, maxnorm = self.saved("self"), self.p, self.reduce_dims, self.maxnorm
        norm = Tensor._make(R._norm_values(x._data, x._xp, p, dims, True, False))
        gout = R.sum(x * grad, dims, keepdim=True)
        nb = R._norm_backward(gout, x, p, norm, dims)
        invnorm = P.reciprocal(norm + 1e-7)
        factor = invnorm * maxnorm
        return (P.where(norm > maxnorm, factor * grad - (maxnorm * invnorm * invnorm) * nb, grad),)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    R._check_tensor("renorm", input)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {R._type_name(R._dtype_of(input))} instead."
        )
    d = wrap_dims(dim, input.ndim)[0]
    dims = tuple(i for i in range(input.ndim) if i != d)
    a, xp = input._data, input._xp
    with P._errstate(xp):
        norm = R._norm_values(a, xp, float(p), dims, True, False)
        factor = xp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(a.dtype)
        out = Tensor._make(a * factor)
    if grad_recording(input):
        node = RenormBackward0()
        node.p, node.reduce_dims, node.maxnorm = float(p), dims, maxnorm
        record(node, out, input)
        node.save("self", input)
    return out


class DistBackward0(Node):
    # dist: self: norm_backward(grad, self - other, p, result); other: -that
    def apply(self, grad: Tensor) -> tuple:
        diff = self.saved("self") - self.saved("other")
        g = R._norm_backward(grad, diff, self.p, self.saved("result"), tuple(range(diff.ndim)))
        return (g if needs(self, 0) else None), (-g if needs(self, 1) else None)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    a, b, dt = binary_arrays(input, other)
    if not dt.is_floating_point and not dt.is_complex:
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {R._type_name(dt)} instead."
        )
    xp = input._xp
    with P._errstate(xp):
        res = R._norm_values(a - b, xp, float(p), None, False, False)
    out = Tensor._make(xp.asarray(res, dtype=dt.np))
    if grad_recording(input, other):
        node = DistBackward0()
        node.p = float(p)
        record(node, out, input, other)
        node.save("self", input)
        node.save("other", other)
        node.save("result", out, is_output=True)
    return out


# --------------------------------------------------------------------------- addbmm / chain_matmul
class AddbmmBackward0(Node):
    # self: grad * beta; batch1: grad.expand(b, n, p).bmm(batch2^T) * alpha; batch2: batch1^T.bmm(grad...) * alpha
    def apply(self, grad: Tensor) -> tuple:
        b1, b2 = self.saved("batch1"), self.saved("batch2")
        g = grad.unsqueeze(0).expand(b1.shape[0], b1.shape[1], b2.shape[2])
        gi = (grad * self.beta) if needs(self, 0) else None
        g1 = L.bmm(g, b2.transpose(1, 2)) * self.alpha if needs(self, 1) else None
        g2 = L.bmm(b1.transpose(1, 2), g) * self.alpha if needs(self, 2) else None
        return gi, g1, g2


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    L._check_bmm(batch1, batch2)
    if input.dtype != batch1.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {R._type_name(input.dtype)} "
            f"and {R._type_name(batch1.dtype)}"
        )
    prod = L.bmm(batch1, batch2).detach()._data.sum(axis=0)
    i = np.broadcast_to(input._data, prod.shape)
    xp = input._xp
    with P._errstate(xp):
        res = alpha * prod if beta == 0 else beta * i + alpha * prod
    out = Tensor._make(xp.asarray(res, dtype=prod.dtype))
    if grad_recording(input, batch1, batch2):
        node = AddbmmBackward0()
        node.alpha, node.beta = alpha, beta
        record(node, out, input, batch1, batch2)
        node.save("batch1", batch1)
        node.save("batch2", batch2)
    return out


def _multi_dot_order(shapes: list[tuple[int, int]]) -> list[list[int]]:
    """The optimal parenthesisation (dynamic programming on the flop count, as torch's multi_dot)."""
    n = len(shapes)
    p = [shapes[0][0]] + [s[1] for s in shapes]
    cost: list[list[float]] = [[0.0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(tensors: tuple, split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return tensors[i]
    k = split[i][j]
    return L.mm(_chain(tensors, split, i, k), _chain(tensors, split, k + 1, j))


_CHAIN_WARNED = False


def chain_matmul(*matrices: Tensor, out: Any = None) -> Tensor:
    global _CHAIN_WARNED
    if not _CHAIN_WARNED:  # TORCH_WARN_ONCE
        _CHAIN_WARNED = True
        warnings.warn(
            "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
            "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
            "multiple parameters.",
            UserWarning,
            stacklevel=2,
        )
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, t in enumerate(matrices):
        if t.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Expected matrices to be 2D, but got {t.ndim}D tensor for argument {i}")
    if len(matrices) == 1:
        return S.clone(matrices[0])
    split = _multi_dot_order([tuple(t.shape) for t in matrices])
    res = _chain(matrices, split, 0, len(matrices) - 1)
    return S.view(res, (matrices[0].shape[0], matrices[-1].shape[1]))


# --------------------------------------------------------------------------- nextafter
class NextafterBackward0(Node):
    # nextafter: self: grad (the step is below rounding), other: zeros
    def apply(self, grad: Tensor) -> tuple:
        return (grad if needs(self, 0) else None), (grad * 0 if needs(self, 1) else None)


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b, dt = binary_arrays(input, other)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{R._type_name(dt)}'")
    out = Tensor._make(input._xp.nextafter(a, b).astype(dt.np, copy=False))
    if grad_recording(input, other):
        record(NextafterBackward0(), out, input, other)
    return out


# --------------------------------------------------------------------------- legacy svd / qr, histc
_SVD = LM._return_type("svd", ("U", "S", "V"))
_QR = LM._return_type("qr", ("Q", "R"))
_QR_WARNED = False


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:  # noqa: A002
    """The legacy torch.svd: linalg.svd with V = Vh.mH; without ``compute_uv``, U and V are full-size zeros."""
    if not compute_uv:
        s = LM._svd("linalg.svd", input, False, False)
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        xp, dt = input._xp, input._data.dtype
        u = Tensor._make(xp.zeros((*batch, m, m), dtype=dt))
        v = Tensor._make(xp.zeros((*batch, n, n), dtype=dt))
        return _SVD(u, s, v)
    u, s, vh = LM._svd("linalg.svd", input, not some, True)
    return _SVD(u, s, S.transpose(vh, -2, -1))


def qr(input: Tensor, some: bool = True) -> Any:  # noqa: A002
    global _QR_WARNED
    if not _QR_WARNED:  # TORCH_WARN_ONCE
        _QR_WARNED = True
        warnings.warn(
            "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch release.\n"
            "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
            "Q, R = torch.qr(A, some)\nshould be replaced with\n"
            "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')",
            UserWarning,
            stacklevel=2,
        )
    q, r = LM.qr(input, "reduced" if some else "complete")
    return _QR(q, r)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """torch.histc: equal-width bins; min == max means the data's range. Not differentiable, as in torch."""
    R._check_tensor("histc", input)
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{R._type_name(R._dtype_of(input))}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    flat = a.reshape(-1)
    inside = flat[(flat >= lo) & (flat <= hi)]
    # torch's kernel: the bin from the scaled position, the last edge belonging to the last bin
    pos = ((inside - lo) * bins / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    counts = np.bincount(pos, minlength=bins)[:bins]
    return Tensor._make(input._xp.asarray(counts, dtype=a.dtype))


# --------------------------------------------------------------------------- matrix_exp
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
    10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """One matrix's exponential in float64: scaling and squaring around the [13/13] Pade approximant
    (Higham 2005), accurate to rounding for every norm."""
    norm = np.abs(a).sum(axis=0).max() if a.size else 0.0
    s = max(0, math.ceil(math.log2(norm / _THETA13))) if norm > _THETA13 else 0
    a = a / 2.0**s
    b = _PADE13
    eye = np.eye(a.shape[0])
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


class LinalgMatrixExpBackward0(Node):
    # linalg_matrix_exp: backward_analytic_function_of_a_matrix: exp([[A^H, G], [0, A^H]])'s upper-right block
    def apply(self, grad: Tensor) -> tuple:
        a = S.transpose(self.saved("self"), -2, -1)
        n = a.shape[-1]
        # torch fills a zero matrix through narrowed views (CopySlices), not with cat
        meta = Tensor._make(grad._xp.zeros((*a.shape[:-2], 2 * n, 2 * n), dtype=grad._data.dtype))
        for (r, c), part in (((0, 0), a), ((n, n), a), ((0, n), grad)):
            S._slice(S._slice(meta, meta.ndim - 2, r, r + n, 1), meta.ndim - 1, c, c + n, 1).copy_(part)
        big = matrix_exp(meta)
        return (S._slice(S._slice(big, big.ndim - 2, 0, n, 1), big.ndim - 1, n, 2 * n, 1),)


def matrix_exp(input: Tensor) -> Tensor:  # noqa: A002
    R._check_tensor("matrix_exp", input)
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_exp: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )
    if a.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.matrix_exp: Expected a floating point or complex tensor as input. "
            f"Got {R._type_name(R._dtype_of(input))}"
        )
    flat = np.asarray(a, dtype=np.float64).reshape(-1, a.shape[-1], a.shape[-1])
    res = np.stack([_expm(m) for m in flat]) if flat.shape[0] else flat
    out = Tensor._make(input._xp.asarray(res.reshape(a.shape), dtype=a.dtype))
    if grad_recording(input):
        node = LinalgMatrixExpBackward0()
        record(node, out, input)
        node.save("self", input)
    return out


__all__ = [
    "addbmm", "block_diag", "cartesian_prod", "chain_matmul", "dist", "dsplit", "hsplit", "kron", "logcumsumexp",
    "mode", "nanquantile", "nextafter", "quantile", "renorm", "tensordot", "vsplit",
    "svd", "qr", "histc", "matrix_exp",
]  # fmt: skip
_NOT_METHODS = {"block_diag", "cartesian_prod", "chain_matmul", "tensordot"}
METHODS: dict = {name: globals()[name] for name in __all__ if name not in _NOT_METHODS}
METHODS.update({name + "_": inplace_method(globals()[name]) for name in ("addbmm", "nextafter", "renorm")})
