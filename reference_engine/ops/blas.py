"""Matrix products (BLAS-like): matmul, mm, bmm, dot, mv, outer/ger, addmm, addmv, addr, baddbmm, addbmm,
kron, tensordot, chain_matmul (einsum is in ``einsum.py``).

``matmul`` follows ATen's dispatch so the recorded graph has torch's node
names: 1-d @ 1-d is ``dot``, 2-d @ 1-d is ``mv``, 1-d @ 2-d is
``unsqueeze(0).mm().squeeze_(0)``, 2-d @ 2-d is ``mm``; a batched operand
against a vector or matrix is *folded* into a matrix (one ``mm``/``mv``) when
that costs no copy or saves a large grad; everything else broadcasts the
batch dims, flattens them and calls ``bmm``. The primitives check their
operands in torch's order and raise torch's messages, so ``matmul`` inherits
the errors of whichever primitive it reaches.

Backward formulas are quoted from torch's ``tools/autograd/derivatives.yaml``
and written with engine ops so double backward records a graph too.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._torch_version import since
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import _autocast
from . import pointwise as P
from . import reduction as R
from . import shape as S
from ._small_gemm import small_mm
from ._util import _FROM_NUMPY, check_common_device, cj, grad_recording, needs, record, record_with, wrap_dims
from .inplace import check_inplace, commit, scalar_type_name

# c10's C++ type names, as mm's dtype check prints them
_CPP_NAMES = {
    "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>", "uint8": "unsigned char",
    "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int", "bool": "bool",
}  # fmt: skip
# c10's ScalarType names, as bmm/dot/mv/addmm print them
_SCALAR_NAMES = {
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "bool": "Bool",
}  # fmt: skip


def _dt_name(t: Tensor) -> str:
    return _FROM_NUMPY[t._data.dtype].name


def _scalar_name(t: Tensor) -> str:
    return _SCALAR_NAMES[_dt_name(t)]


def _check_tensor(x: Any, fn: str, arg: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _check_not_bool(t: Tensor, kernel: str) -> None:
    # CPU BLAS kernels are not instantiated for bool: torch's dispatch macro raises this.
    if t._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _dims(shape: tuple) -> str:
    return "x".join(str(s) for s in shape)


def _product(fn: str, input: Tensor, other: Tensor, arg: str, check: Any, node_cls: type, compute: Any) -> Tensor:
    """mm, bmm, dot and mv: check both operands, multiply, record ``node_cls`` saving each operand for the
    other's grad only (torch saves ``self`` when the second operand needs a grad, and vice versa)."""
    _check_tensor(input, fn, "input", 1)
    _check_tensor(other, fn, arg, 2)
    check(input, other)
    a, b = input._data, other._data
    if a.dtype == D.BF16:  # torch's bfloat16 gemm accumulates in float32 and rounds once
        out = Tensor._make(compute(a.astype(np.float32), b.astype(np.float32)).astype(D.BF16))
    else:
        out = Tensor._make(compute(a, b))
    if grad_recording(input, other):
        node = node_cls()
        record(node, out, input, other)
        if needs(node, 1):
            node.save("self", input)
        if needs(node, 0):
            node.save(arg, other)
    return out


# --------------------------------------------------------------------------- mm
class MmBackward0(Node):
    # self: mm_mat1_backward(grad, mat2, self.sym_sizes(), self.sym_strides(), self.layout(), 1)
    #       = grad.mm(mat2.t().conj())
    # mat2: mm_mat2_backward(grad, self, mat2.sym_sizes(), mat2.sym_strides(), mat2.layout(), 1)
    #       = self.t().conj().mm(grad)
    def apply(self, grad: Tensor) -> tuple:
        g_self = mm(grad, cj(self.saved("mat2").t())) if needs(self, 0) else None
        g_mat2 = mm(cj(self.saved("self").t()), grad) if needs(self, 1) else None
        return g_self, g_mat2


def _check_mm(mat1: Tensor, mat2: Tensor, first: str = "self") -> None:
    """mm's checks, in torch's order: devices, ranks, inner sizes, dtypes, kernel support."""
    check_common_device("mm", (first, mat1), ("mat2", mat2))
    if mat1._data.ndim != 2:
        raise RuntimeError(f"{first} must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    s1, s2 = mat1._data.shape, mat2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(s1)} and {_dims(s2)})")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_CPP_NAMES[_dt_name(mat1)]} != {_CPP_NAMES[_dt_name(mat2)]}"
        )
    _check_not_bool(mat1, "addmm_impl_cpu_")


def _mm_kernel(a: Any, b: Any) -> Any:
    """a @ b, in torch's float32 summation order where it is known (``_small_gemm``)."""
    out = small_mm(a, b)
    return a @ b if out is None else out


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-d tensors of the same dtype."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(mm, True, (), locals())
    return _product("mm", input, mat2, "mat2", _check_mm, MmBackward0, _mm_kernel)


# --------------------------------------------------------------------------- bmm
class BmmBackward0(Node):
    # self: grad.bmm(mat2.transpose(1, 2).conj())
    # mat2: self.transpose(1, 2).conj().bmm(grad)
    def apply(self, grad: Tensor) -> tuple:
        g_self = bmm(grad, cj(self.saved("mat2").transpose(1, 2))) if needs(self, 0) else None
        g_mat2 = bmm(cj(self.saved("self").transpose(1, 2)), grad) if needs(self, 1) else None
        return g_self, g_mat2


def _check_bmm(b1: Tensor, b2: Tensor) -> None:
    check_common_device("bmm", ("self", b1), ("mat2", b2))
    if b1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    s1, s2 = b1._data.shape, b2._data.shape
    if (s2[0], s2[1]) != (s1[0], s1[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{s1[0]}, {s1[2]}] "
            f"but got: [{s2[0]}, {s2[1]}]."
        )
    if b1._data.dtype != b2._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(b1)} but found {_scalar_name(b2)}")
    _check_not_bool(b1, "bmm")


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-d tensors with equal batch sizes."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(bmm, True, (), locals())
    return _product("bmm", input, mat2, "mat2", _check_bmm, BmmBackward0, input._xp.matmul)


# --------------------------------------------------------------------------- dot
class DotBackward0(Node):
    # self: grad * tensor.conj()
    # tensor: grad * self.conj()
    def apply(self, grad: Tensor) -> tuple:
        g_self = grad * cj(self.saved("tensor")) if needs(self, 0) else None
        g_tensor = grad * cj(self.saved("self")) if needs(self, 1) else None
        return g_self, g_tensor


def _check_dot(a: Tensor, b: Tensor) -> None:
    check_common_device("_dot", ("self", a), ("tensor", b))
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"dot : expected both vectors to have same dtype, but found {_scalar_name(a)} and {_scalar_name(b)}"
        )
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number of elements, "
            f"but got {n} and {m} elements respectively"
        )
    _check_not_bool(a, "dot")


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-d tensors of the same dtype and length (a 0-d result)."""
    xp = input._xp

    def compute(a: Any, b: Any) -> Any:
        return xp.asarray(xp.dot(a, b), dtype=a.dtype)

    return _product("dot", input, tensor, "tensor", _check_dot, DotBackward0, compute)


class VdotBackward0(Node):
    # self: grad.conj() * other
    # other: grad * self
    def apply(self, grad: Tensor) -> tuple:
        g_self = cj(grad) * self.saved("other") if needs(self, 0) else None
        g_other = grad * self.saved("self") if needs(self, 1) else None
        return g_self, g_other


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """torch.vdot: dot with the first operand conjugated (the same checks and messages as dot)."""
    xp = input._xp

    def compute(a: Any, b: Any) -> Any:
        return xp.asarray(xp.vdot(a, b), dtype=a.dtype)

    return _product("vdot", input, other, "other", _check_dot, VdotBackward0, compute)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """torch.inner: a product with a 0-d operand, else tensordot over both last dimensions (torch's composite)."""
    _check_tensor(input, "inner", "input", 1)
    _check_tensor(other, "inner", "other", 2)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


# --------------------------------------------------------------------------- mv
class MvBackward0(Node):
    # self: grad.ger(vec.conj())
    # vec: self.conj().t().mv(grad)
    def apply(self, grad: Tensor) -> tuple:
        g_self = outer(grad, cj(self.saved("vec"))) if needs(self, 0) else None
        g_vec = mv(cj(self.saved("self").t()), grad) if needs(self, 1) else None
        return g_self, g_vec


def _check_mv(mat: Tensor, vec: Tensor) -> None:
    # torch's mv is addmv_ into a result allocated like vec, so vec's device is the common one
    check_common_device("addmv_", ("self", vec), ("mat", mat), ("vec", vec))
    if mat._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat._data.ndim}, {vec._data.ndim}")
    n, m = mat._data.shape
    k = vec._data.shape[0]
    if m != k:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{m}), vec ({k})")
    if mat._data.dtype != vec._data.dtype:
        # mv is addmv with a result allocated like vec: torch lists (result, mat, vec)
        v, mt = _scalar_name(vec), _scalar_name(mat)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {v}, {mt}, and {v}")
    _check_not_bool(mat, "addmv_impl_cpu")


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    return _product("mv", input, vec, "vec", _check_mv, MvBackward0, input._xp.matmul)


# --------------------------------------------------------------------------- outer
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product; torch composes it as ``input.reshape(n, 1) * vec2`` (ViewBackward0, MulBackward0)."""
    _check_tensor(input, "outer", "input", 1)
    _check_tensor(vec2, "outer", "vec2", 2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.reshape(input._data.shape[0], 1) * vec2


ger = outer


# --------------------------------------------------------------------------- addmm
def _scaled(grad: Tensor, factor: Any) -> Tensor:
    """maybe_multiply: skip the multiplication by one, as torch does."""
    return grad if factor == 1 else grad * cj(factor)


def _record_scaled(
    node: Node, out: Tensor, input: Tensor, factors: dict[str, Tensor], alpha: Any, beta: Any, *, lazily: bool = False
) -> Node:
    """Record one of the ``beta * input + alpha * (x @ y)`` ops: ``node`` takes alpha and beta and saves the
    factors x and y under their names; ``lazily`` (addmm, addmv) saves each only when the other factor wants a
    gradient, the one formula that reads it."""
    record_with(node, out, input, *factors.values(), alpha=alpha, beta=beta)
    (name_x, x), (name_y, y) = factors.items()
    if not lazily or needs(node, 2):
        node.save(name_x, x)
    if not lazily or needs(node, 1):
        node.save(name_y, y)
    return node


def _blend(input: Tensor, prod: Any, beta: Any, alpha: Any, dtype: Any) -> Any:
    """beta * input + alpha * prod, broadcasting input to prod (expand's error when it does not);
    beta == 0 ignores input entirely (its NaNs do not propagate), as BLAS gemm does."""
    bias = input.detach().expand(prod.shape)._data
    if alpha != 1:
        prod = prod * alpha
    res = prod if beta == 0 else prod + (bias if beta == 1 else bias * beta)
    return input._xp.ascontiguousarray(res.astype(dtype, copy=False))


def _outer_sum(a: Any, b: Any) -> Any:
    """a @ b for a short, wide reduction into a tiny result.

    torch's CPU gemm for such shapes (a weight grad of a small layer over a big
    batch) accumulates the products row by row; BLAS blocks the reduction
    differently, and with cancellation the float32 results differ in the
    fourth digit. Summing the (K, M, N) products over K in order reproduces torch's order (measured:
    about 70% of such shapes to the bit, all of them for a 1x1 result).
    """
    m, k = a.shape
    n = b.shape[1]
    if m * n <= 64 and k * m * n <= 1 << 20:
        # accumulate, not sum: a running sum in k order (NumPy's sum of a contiguous axis would be pairwise).
        # The products lie (M*N, K), each result's terms contiguous: NumPy then runs one tight loop per
        # result, where a (K, M, N) layout pays its per-row overhead K times.
        prods = np.multiply(a[:, None, :], b.T[None, :, :], order="C").reshape(m * n, k)
        return np.add.accumulate(prods, axis=1)[:, -1].reshape(m, n).copy()  # C order, the array type kept
    return a @ b


class AddmmBackward0(Node):
    # self: maybe_multiply(grad, beta.conj())
    # mat1: mm_mat1_backward(grad, mat2, mat1.sym_sizes(), mat1.sym_strides(), mat1.layout(), alpha)
    # mat2: mm_mat2_backward(grad, mat1, mat2.sym_sizes(), mat2.sym_strides(), mat2.layout(), alpha)
    # (also nn.functional.linear's node: addmm(bias, x, weight.t()))
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        if not grad_mode._state.enabled and grad._data.dtype != D.BF16:
            # no create_graph: the same products on the arrays, no graph to record
            g = grad._data
            g_mat1 = Tensor._make(_mm_kernel(g, cj(self.saved("mat2"))._data.T)) if needs(self, 1) else None
            # torch's gemm order for a small result (a Linear's weight grad)
            g_mat2 = Tensor._make(_outer_sum(cj(self.saved("mat1"))._data.T, g)) if needs(self, 2) else None
        else:
            g_mat1 = mm(grad, cj(self.saved("mat2").t())) if needs(self, 1) else None
            g_mat2 = mm(cj(self.saved("mat1").t()), grad) if needs(self, 2) else None
        g_mat1 = None if g_mat1 is None else _scaled(g_mat1, self.alpha)
        g_mat2 = None if g_mat2 is None else _scaled(g_mat2, self.alpha)
        return g_self, g_mat1, g_mat2


def _check_addmm(input: Tensor, mat1: Tensor, mat2: Tensor) -> None:
    check_common_device("addmm", ("self", input), ("mat1", mat1), ("mat2", mat2))
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t._data.ndim}-D tensor")
    s1, s2 = mat1._data.shape, mat2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(s1)} and {_dims(s2)})")
    for name, t in (("self", input), ("mat1", mat1)):
        if t._data.dtype != mat2._data.dtype:
            raise RuntimeError(
                f"{name} and mat2 must have the same dtype, but got {_scalar_name(t)} and {_scalar_name(mat2)}"
            )
    _check_not_bool(mat1, "addmm_impl_cpu_")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(addmm, True, (), locals())
    for pos, (name, t) in enumerate((("input", input), ("mat1", mat1), ("mat2", mat2)), start=1):
        _check_tensor(t, "addmm", name, pos)
    _check_addmm(input, mat1, mat2)
    a, b = mat1._data, mat2._data
    res = None
    if a.dtype == D.BF16:  # in float32, the bias added before the one rounding (torch's bfloat16 addmm)
        a, b = a.astype(np.float32), b.astype(np.float32)
    elif alpha == 1 and beta == 1:  # torch's order, the bias included, where it is known
        res = small_mm(a, b, input.detach().expand(a.shape[0], b.shape[1])._data)
    if res is None:
        res = _blend(input, input._xp.matmul(a, b), beta, alpha, mat1._data.dtype)
    out = Tensor._make(res)
    if grad_recording(input, mat1, mat2):
        node = _record_scaled(AddmmBackward0(), out, input, {"mat1": mat1, "mat2": mat2}, alpha, beta, lazily=True)
        node._saved_alpha, node._saved_beta = alpha, beta
    return out


# --------------------------------------------------------------------------- matmul helpers
SqueezeBackward4 = S.SqueezeBackward4  # squeeze_.dim's node, defined with the other squeeze nodes


def _squeeze0_(t: Tensor) -> Tensor:
    """``t.squeeze_(0)`` on a fresh result: same storage, version bumped, SqueezeBackward4."""
    out = Tensor._make(t._data.reshape(t._data.shape[1:]) if t._data.shape[0] == 1 else t._data)
    out._vc = t._vc
    out._vc[0] += 1
    if grad_recording(t):
        record_with(SqueezeBackward4(), out, t, self_sizes=t._data.shape)
    return out


def _broadcast_batch(a: tuple, b: tuple) -> tuple:
    """infer_size over the batch dims, with torch's message."""
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        da = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        db = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
            )
        out.append(db if da == 1 else da)
    return tuple(out)


def _should_fold(t1: Tensor, t2: Tensor) -> bool:
    """Whether the larger operand can become a matrix and use mm/mv instead of bmm."""
    first_larger = t1.ndim >= t2.ndim
    big = t1 if first_larger else t2
    shp, st = list(big._data.shape), list(big._data.strides)
    if not first_larger and big.ndim >= 2:  # the larger operand is used as other.mT
        shp[-2:], st[-2:] = shp[:-3:-1], st[:-3:-1]
    small_ndim = t2.ndim if first_larger else t1.ndim
    if not (big.ndim >= 3 and small_ndim <= 2):
        return False
    # folding avoids materialising a batch of grads for the small operand, even at the cost of a copy
    if (t2 if first_larger else t1).requires_grad:
        return True
    if t1.ndim == 2:
        return False  # would need a transpose + copy of the result
    if big._data.size == 0:
        return True
    if all(st[i] == st[i + 1] * shp[i + 1] for i in range(big.ndim - 2)):
        return True
    if not since("2.14"):
        return False
    # torch 2.14 (pytorch#186178): a folded dim of size 1 is a stride wildcard, so the leading dims fold when
    # they are adjacent-contiguous once the size-1 dims are dropped (a superset of the check above)
    lead = [(n, s) for n, s in zip(shp[:-1], st[:-1], strict=True) if n != 1]
    return all(lead[i][1] == lead[i + 1][1] * lead[i + 1][0] for i in range(len(lead) - 1))


def _matmul_fold(t1: Tensor, t2: Tensor) -> Tensor:
    transpose = t2.ndim > t1.ndim
    big = t2.mT if transpose else t1
    small = (t1.t() if t1.ndim == 2 else t1) if transpose else t2
    lead = big._data.shape[:-1]
    folded_rows = 1
    for s in lead:
        folded_rows *= s
    folded = S.reshape(big, (folded_rows, big._data.shape[-1]))
    if small.ndim == 2:
        out = S._unsafe_view(mm(folded, small), (*lead, small._data.shape[1]))
        return out.mT.contiguous() if transpose else out
    return S._unsafe_view(mv(folded, small), lead)


def _matmul_batched(t1: Tensor, t2: Tensor) -> Tensor:
    s1, s2 = t1._data.shape, t2._data.shape
    n = s1[-2] if t1.ndim > 1 else 1
    m1 = s1[-1]
    m2 = s2[-2] if t2.ndim > 1 else s2[0]
    p = s2[-1] if t2.ndim > 1 else 1
    b1, b2 = s1[: max(t1.ndim - 2, 0)], s2[: max(t2.ndim - 2, 0)]
    # a batch of one against a larger batch: drop it and fold instead (saves expanding the grad)
    if t1.ndim == 3 and t2.ndim == 3 and b1[0] != b2[0]:
        if b1[0] == 1 and t1.requires_grad:
            return matmul(t1.squeeze(0), t2)
        if b2[0] == 1 and t2.requires_grad:
            return matmul(t1, t2.squeeze(0))
    batch = _broadcast_batch(b1, b2)
    size = 1
    for s in batch:
        size *= s
    e1 = S.reshape(t1.expand(*batch, n, m1), (size, n, m1))
    if t2.ndim == 1:
        e2 = S.reshape(t2.expand(*batch, m2), (size, m2)).unsqueeze(2)
    else:
        e2 = S.reshape(t2.expand(*batch, m2, p), (size, m2, p))
    out_shape = batch + ((n,) if t1.ndim > 1 else ()) + ((p,) if t2.ndim > 1 else ())
    prod = bmm(e1, e2)
    if t2.ndim == 1:
        prod = prod.squeeze(-1)
    return S._unsafe_view(prod, out_shape)


def matmul(input: Tensor, other: Any) -> Tensor:
    """torch.matmul: dot, mv, mm, folded mm/mv or broadcast bmm depending on the ranks."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(matmul, True, (), locals())
    _check_tensor(input, "matmul", "input", 1)
    _check_tensor(other, "matmul", "other", 2)
    d1, d2 = input.ndim, other.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot(input, other)
    if d1 == 2 and d2 == 1:
        return mv(input, other)
    if d1 == 1 and d2 == 2:
        return _squeeze0_(mm(input.unsqueeze(0), other))
    if d1 == 2 and d2 == 2:
        return mm(input, other)
    if _should_fold(input, other):
        return _matmul_fold(input, other)
    return _matmul_batched(input, other)


def _as_method(fn: Any, op: str, arg_names: tuple[str, ...]) -> Any:
    """``fn`` as a Tensor method: torch numbers the arguments after ``self`` from 1 in its type errors."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        for pos, (name, value) in enumerate(zip(arg_names, args, strict=False), start=1):
            _check_tensor(value, op, name, pos)
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = op
    method.__doc__ = fn.__doc__
    return method


# --------------------------------------------------------------------------- kron / tensordot
def kron(input: Tensor, other: Tensor) -> Tensor:
    """torch's KronImpl: interleave singleton dims, multiply, fold the pairs back together."""
    n = max(input.ndim, other.ndim)
    pad_a, pad_b = n - input.ndim, n - other.ndim
    a_shape: list[int] = []
    b_shape: list[int] = []
    for i in range(n):
        a_shape += [input.shape[i - pad_a] if i >= pad_a else 1, 1]
        b_shape += [1, other.shape[i - pad_b] if i >= pad_b else 1]
    result_shape = tuple(a_shape[2 * i] * b_shape[2 * i + 1] for i in range(n))
    prod = P.mul(S._unsafe_view(input, tuple(a_shape)), S._unsafe_view(other, tuple(b_shape)))
    return S._unsafe_view(prod, result_shape)


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


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
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
            return S.view(dot(S.view(ta, (csize,)), S.view(tb, (csize,))), rsizes)
        return S.view(R.sum(P.mul(S.squeeze(ta), S.squeeze(tb))), rsizes)
    size1 = math.prod(rsizes[: len(free_a)])
    size2 = math.prod(rsizes[len(free_a) :])
    return S.reshape(mm(S.reshape(ta, (size1, csize)), S.reshape(tb, (csize, size2))), rsizes)


# --------------------------------------------------------------------------- addbmm / chain_matmul
class AddbmmBackward0(Node):
    # self: grad * beta; batch1: grad.expand(b, n, p).bmm(batch2^T) * alpha; batch2: batch1^T.bmm(grad...) * alpha
    def apply(self, grad: Tensor) -> tuple:
        b1, b2 = self.saved("batch1"), self.saved("batch2")
        g = grad.unsqueeze(0).expand(b1.shape[0], b1.shape[1], b2.shape[2])
        gi = _scaled(grad, self.beta) if needs(self, 0) else None
        g1 = _scaled(bmm(g, cj(b2.transpose(1, 2))), self.alpha) if needs(self, 1) else None
        g2 = _scaled(bmm(cj(b1.transpose(1, 2)), g), self.alpha) if needs(self, 2) else None
        return gi, g1, g2


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(addbmm, True, (), locals())
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    _check_bmm(batch1, batch2)
    if input.dtype != batch1.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {R._type_name(input.dtype)} "
            f"and {R._type_name(batch1.dtype)}"
        )
    prod = bmm(batch1, batch2).detach()._data.sum(axis=0)
    i = np.broadcast_to(input._data, prod.shape)
    xp = input._xp
    with P._errstate(xp):
        res = alpha * prod if beta == 0 else beta * i + alpha * prod
    out = Tensor._make(xp.asarray(res, dtype=prod.dtype))
    if grad_recording(input, batch1, batch2):
        _record_scaled(AddbmmBackward0(), out, input, {"batch1": batch1, "batch2": batch2}, alpha, beta)
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
    return mm(_chain(tensors, split, i, k), _chain(tensors, split, k + 1, j))


_CHAIN_WARNED = False


def chain_matmul(*matrices: Tensor) -> Tensor:
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


# --------------------------------------------------------------------------- addmv / addr / baddbmm
class AddmvBackward0(Node):
    # addmv: self: maybe_multiply(grad, beta) ; mat: maybe_multiply(grad.ger(vec), alpha)
    #        vec: maybe_multiply(mat.t().mv(grad), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        g_mat = _scaled(outer(grad, cj(self.saved("vec"))), self.alpha) if needs(self, 1) else None
        g_vec = _scaled(mv(cj(self.saved("mat").t()), grad), self.alpha) if needs(self, 2) else None
        return g_self, g_mat, g_vec


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    for pos, (name, t) in enumerate((("input", input), ("mat", mat), ("vec", vec)), start=1):
        _check_tensor(t, "addmv", name, pos)
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    n, m = mat._data.shape
    k = vec._data.shape[0]
    if m != k or (input.ndim == 1 and input._data.shape[0] not in (1, n)):
        raise RuntimeError(
            f"size mismatch, got input ({input._data.shape[0] if input.ndim else 1}), mat ({n}x{m}), vec ({k})"
        )
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{scalar_type_name(input.dtype)}, {scalar_type_name(mat.dtype)}, and {scalar_type_name(vec.dtype)}"
        )
    _check_not_bool(mat, "addmv_impl_cpu")
    out = Tensor._make(_blend(input, input._xp.matmul(mat._data, vec._data), beta, alpha, mat._data.dtype))
    if grad_recording(input, mat, vec):
        _record_scaled(AddmvBackward0(), out, input, {"mat": mat, "vec": vec}, alpha, beta, lazily=True)
    return out


class AddrBackward0(Node):
    # addr: self: maybe_multiply(grad, beta) ; vec1: maybe_multiply(grad.mv(vec2), alpha)
    #       vec2: maybe_multiply(grad.t().mv(vec1), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        g1 = _scaled(mv(grad, cj(self.saved("vec2"))), self.alpha) if needs(self, 1) else None
        g2 = _scaled(mv(grad.t(), cj(self.saved("vec1"))), self.alpha) if needs(self, 2) else None
        return g_self, g1, g2


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    for pos, (name, t) in enumerate((("input", input), ("vec1", vec1), ("vec2", vec2)), start=1):
        _check_tensor(t, "addr", name, pos)
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
    dt = D.promote_types(D.promote_types(vec1.dtype, vec2.dtype), input.dtype)
    prod = input._xp.outer(vec1._data.astype(dt.np), vec2._data.astype(dt.np))
    if dt is D.bool_:  # torch: (beta && input) || (alpha && outer)
        res = (prod & bool(alpha)) | (input.detach().expand(prod.shape)._data.astype(bool) & bool(beta))
        out = Tensor._make(input._xp.ascontiguousarray(res))
    else:
        out = Tensor._make(_blend(input.to(dt), prod, beta, alpha, dt.np))
    if grad_recording(input, vec1, vec2):
        _record_scaled(AddrBackward0(), out, input, {"vec1": vec1, "vec2": vec2}, alpha, beta)
    return out


class BaddbmmBackward0(Node):
    # baddbmm: self: maybe_multiply(grad, beta) ; batch1: maybe_multiply(grad.bmm(batch2.transpose(1, 2)), alpha)
    #          batch2: maybe_multiply(batch1.transpose(1, 2).bmm(grad), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        g1 = _scaled(bmm(grad, cj(self.saved("batch2").transpose(1, 2))), self.alpha) if needs(self, 1) else None
        g2 = _scaled(bmm(cj(self.saved("batch1").transpose(1, 2)), grad), self.alpha) if needs(self, 2) else None
        return g_self, g1, g2


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(baddbmm, True, (), locals())
    for pos, (name, t) in enumerate((("input", input), ("batch1", batch1), ("batch2", batch2)), start=1):
        _check_tensor(t, "baddbmm", name, pos)
    if batch1._data.dtype == np.bool_ and batch1.ndim == 3 and batch2.ndim == 3:
        # torch checks that input broadcasts to the result before its kernel refuses Bool
        input.detach().expand(batch1._data.shape[0], batch1._data.shape[1], batch2._data.shape[2])
        _check_not_bool(batch1, "baddbmm")
    _check_bmm(batch1, batch2)
    if input.dtype is not batch1.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(batch1.dtype)} but found {scalar_type_name(input.dtype)}"
        )
    out = Tensor._make(_blend(input, input._xp.matmul(batch1._data, batch2._data), beta, alpha, batch1._data.dtype))
    if grad_recording(input, batch1, batch2):
        _record_scaled(BaddbmmBackward0(), out, input, {"batch1": batch1, "batch2": batch2}, alpha, beta)
    return out


# --------------------------------------------------------------------------- cov / corrcoef
def _check_weights(kind: str, w: Tensor, n: int, dtype_ok: bool, dtype_kind: str) -> None:
    """cov's checks on fweights/aweights, in torch's order (Correlation.cpp)."""
    if w.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {kind} to have one or fewer dimensions but got {kind} with {w.ndim} dimensions"
        )
    if not dtype_ok:
        raise RuntimeError(
            f"cov(): expected {kind} to have {dtype_kind} dtype but got {kind} with {_SCALAR_NAMES[_dt_name(w)]} dtype"
        )
    if w.numel() != n:
        raise RuntimeError(
            f"cov(): expected {kind} to have the same numel as there are observations in the input but got "
            f"{w.numel()} != {n}"
        )
    if n and bool((w._data < 0).any()):
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def cov(
    input: Tensor, *, correction: int = 1, fweights: Tensor | None = None, aweights: Tensor | None = None
) -> Tensor:
    """torch.cov: the covariance of the rows (variables) over the columns (observations), torch's composite."""
    if input.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions"
        )
    if input._data.dtype == bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        kind = fweights._data.dtype.kind
        _check_weights("fweights", fweights, n, kind in "iu", "integral")
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, aweights._data.dtype.kind == "f", "floating point")
        w = aweights if w is None else w * aweights
    w_sum = R.sum(w) if w is not None else Tensor._make(np.asarray(n, dtype=np.int64))
    if w is not None and not bool(w_sum._data != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = R.sum(x * w if w is not None else x, 1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm_factor = w_sum - R.sum(w * aweights) * correction / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor._data <= 0):
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm_factor = norm_factor * 0  # torch zeroes it in place: the division then gives inf/nan
    centred = x - avg.unsqueeze(1)
    c = mm(centred, (centred * w if w is not None else centred).t())
    return P.true_divide(c, norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """torch.corrcoef: cov normalised by the standard deviations, clipped to [-1, 1] (torch's composite)."""
    if input.ndim > 2:
        raise RuntimeError(
            f"corrcoef(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions"
        )
    c = cov(input)
    if c.ndim == 0:
        return c / c  # one variable: nan for a zero, inf or nan variance, else 1
    stddev = c.diagonal().sqrt()
    c = c / stddev.view(-1, 1)
    c = c / stddev.view(1, -1)
    return c.clip(-1, 1)


# --------------------------------------------------------------------------- exports
__all__ = [
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "chain_matmul", "dot", "ger", "kron", "matmul", "mm", "mv",
    "outer", "tensordot", "inner", "vdot",
]  # fmt: skip
METHODS: dict = {
    "vdot": _as_method(vdot, "vdot", ("other",)),
    "inner": _as_method(inner, "inner", ("other",)),
    "matmul": _as_method(matmul, "matmul", ("other",)),
    "mm": _as_method(mm, "mm", ("mat2",)),
    "bmm": _as_method(bmm, "bmm", ("mat2",)),
    "dot": _as_method(dot, "dot", ("tensor",)),
    "mv": _as_method(mv, "mv", ("vec",)),
    "outer": _as_method(outer, "outer", ("vec2",)),
    "ger": _as_method(ger, "ger", ("vec2",)),
    "addmm": _as_method(addmm, "addmm", ("mat1", "mat2")),
    "addbmm": addbmm, "addmv": addmv, "addr": addr, "baddbmm": baddbmm, "kron": kron,
}  # fmt: skip
__all__ += ["corrcoef", "cov"]
METHODS.update({"corrcoef": corrcoef, "cov": cov})


def _blas_inplace(name: str, op: Any) -> Any:
    """``self.addmm_(...)`` and friends: torch's in-place BLAS ops do not broadcast ``self`` to the result."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self, *args)
        if name == "addr" and self.ndim != 2:
            raise RuntimeError(f"2D tensor expected, got {self.ndim}D tensor for input")
        result = op(self, *args, **kwargs)
        if result._data.shape != self._data.shape:
            if name != "addbmm":
                raise RuntimeError(
                    f"Bad in-place call: input tensor size [{', '.join(map(str, self.shape))}] and output tensor "
                    f"size [{', '.join(map(str, result.shape))}] should match"
                )
            # addbmm_ runs torch's out= kernel with self as out, which resizes self to the result
            self._data = self._xp.empty(result._data.shape, dtype=self._data.dtype)
        return commit(self, result)

    method.__name__ = method.__qualname__ = name + "_"
    return method


METHODS.update(
    {name + "_": _blas_inplace(name, METHODS[name]) for name in ("addbmm", "addmm", "addmv", "addr", "baddbmm")}
)
