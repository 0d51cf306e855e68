"""Matrix products: matmul, mm, bmm, dot, mv, outer/ger, addmm.

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

from typing import Any

from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import shape as _shape
from ._util import _FROM_NUMPY, check_common_device, grad_recording, needs, record

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


# --------------------------------------------------------------------------- mm
class MmBackward0(Node):
    # self: mm_mat1_backward(grad, mat2, self.sym_sizes(), self.sym_strides(), self.layout(), 1)
    #       = grad.mm(mat2.t().conj())
    # mat2: mm_mat2_backward(grad, self, mat2.sym_sizes(), mat2.sym_strides(), mat2.layout(), 1)
    #       = self.t().conj().mm(grad)
    def apply(self, grad: Tensor) -> tuple:
        g_self = mm(grad, self.saved("mat2").t()) if needs(self, 0) else None
        g_mat2 = mm(self.saved("self").t(), grad) if needs(self, 1) else None
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


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Matrix product of two 2-d tensors of the same dtype."""
    _check_tensor(input, "mm", "input", 1)
    _check_tensor(mat2, "mm", "mat2", 2)
    _check_mm(input, mat2)
    out = Tensor._make(input._xp.matmul(input._data, mat2._data))
    if grad_recording(input, mat2):
        node = MmBackward0()
        record(node, out, input, mat2)
        # each operand is needed only for the other's grad
        if needs(node, 1):
            node.save("self", input)
        if needs(node, 0):
            node.save("mat2", mat2)
    return out


# --------------------------------------------------------------------------- bmm
class BmmBackward0(Node):
    # self: grad.bmm(mat2.transpose(1, 2).conj())
    # mat2: self.transpose(1, 2).conj().bmm(grad)
    def apply(self, grad: Tensor) -> tuple:
        g_self = bmm(grad, self.saved("mat2").transpose(1, 2)) if needs(self, 0) else None
        g_mat2 = bmm(self.saved("self").transpose(1, 2), grad) if needs(self, 1) else None
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


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product of two 3-d tensors with equal batch sizes."""
    _check_tensor(input, "bmm", "input", 1)
    _check_tensor(mat2, "bmm", "mat2", 2)
    _check_bmm(input, mat2)
    out = Tensor._make(input._xp.matmul(input._data, mat2._data))
    if grad_recording(input, mat2):
        node = BmmBackward0()
        record(node, out, input, mat2)
        if needs(node, 1):
            node.save("self", input)
        if needs(node, 0):
            node.save("mat2", mat2)
    return out


# --------------------------------------------------------------------------- dot
class DotBackward0(Node):
    # self: grad * tensor.conj()
    # tensor: grad * self.conj()
    def apply(self, grad: Tensor) -> tuple:
        g_self = grad * self.saved("tensor") if needs(self, 0) else None
        g_tensor = grad * self.saved("self") if needs(self, 1) else None
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


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    """Inner product of two 1-d tensors of the same dtype and length (a 0-d result)."""
    _check_tensor(input, "dot", "input", 1)
    _check_tensor(tensor, "dot", "tensor", 2)
    _check_dot(input, tensor)
    xp = input._xp
    out = Tensor._make(xp.asarray(xp.dot(input._data, tensor._data), dtype=input._data.dtype))
    if grad_recording(input, tensor):
        node = DotBackward0()
        record(node, out, input, tensor)
        if needs(node, 1):
            node.save("self", input)
        if needs(node, 0):
            node.save("tensor", tensor)
    return out


# --------------------------------------------------------------------------- mv
class MvBackward0(Node):
    # self: grad.ger(vec.conj())
    # vec: self.conj().t().mv(grad)
    def apply(self, grad: Tensor) -> tuple:
        g_self = outer(grad, self.saved("vec")) if needs(self, 0) else None
        g_vec = mv(self.saved("self").t(), grad) if needs(self, 1) else None
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


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """Matrix-vector product."""
    _check_tensor(input, "mv", "input", 1)
    _check_tensor(vec, "mv", "vec", 2)
    _check_mv(input, vec)
    out = Tensor._make(input._xp.matmul(input._data, vec._data))
    if grad_recording(input, vec):
        node = MvBackward0()
        record(node, out, input, vec)
        if needs(node, 1):
            node.save("self", input)
        if needs(node, 0):
            node.save("vec", vec)
    return out


# --------------------------------------------------------------------------- outer
def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """Outer product; torch composes it as ``input.reshape(n, 1) * vec2`` (ViewBackward0, MulBackward0)."""
    _check_tensor(input, "outer", "input", 1)
    _check_tensor(vec2, "outer", "vec2", 2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return input.reshape(input._data.shape[0], 1) * vec2


ger = outer


# --------------------------------------------------------------------------- addmm
def _outer_sum(a: Any, b: Any) -> Any:
    """a @ b for a short, wide reduction into a tiny result.

    torch's CPU gemm for such shapes (a weight grad of a small layer over a big
    batch) accumulates the products row by row; BLAS blocks the reduction
    differently, and with cancellation the float32 results differ in the
    fourth digit. Summing the (K, M, N) products over K reproduces torch's order.
    """
    m, k = a.shape
    n = b.shape[1]
    if m * n <= 64 and k * m * n <= 1 << 20:
        return (a.T[:, :, None] * b[:, None, :]).sum(0)
    return a @ b


class AddmmBackward0(Node):
    # self: maybe_multiply(grad, beta.conj())
    # mat1: mm_mat1_backward(grad, mat2, mat1.sym_sizes(), mat1.sym_strides(), mat1.layout(), alpha)
    # mat2: mm_mat2_backward(grad, mat1, mat2.sym_sizes(), mat2.sym_strides(), mat2.layout(), alpha)
    # (also nn.functional.linear's node: addmm(bias, x, weight.t()))
    def apply(self, grad: Tensor) -> tuple:
        alpha, beta = self.alpha, self.beta
        g_self = (grad if beta == 1 else grad * beta) if needs(self, 0) else None
        g_mat1 = g_mat2 = None
        if needs(self, 1):
            g_mat1 = mm(grad, self.saved("mat2").t())
            g_mat1 = g_mat1 if alpha == 1 else g_mat1 * alpha
        if needs(self, 2):
            mat1 = self.saved("mat1")
            if grad_mode._state.enabled:
                g_mat2 = mm(mat1.t(), grad)
            else:  # no create_graph: torch's gemm order for a small result (a Linear's weight grad)
                g_mat2 = Tensor._make(_outer_sum(mat1._data.T, grad._data))
            g_mat2 = g_mat2 if alpha == 1 else g_mat2 * alpha
        return g_self, g_mat1, g_mat2


def _check_addmm(input: Tensor, mat1: Tensor, mat2: Tensor) -> None:  # noqa: A002
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


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape."""
    for pos, (name, t) in enumerate((("input", input), ("mat1", mat1), ("mat2", mat2)), start=1):
        _check_tensor(t, "addmm", name, pos)
    _check_addmm(input, mat1, mat2)
    xp = input._xp
    prod = xp.matmul(mat1._data, mat2._data)
    # validates that input broadcasts to the product (expand's error message)
    bias = input.detach().expand(prod.shape)._data
    if alpha != 1:
        prod = prod * alpha
    # beta == 0 ignores input entirely (its NaNs do not propagate), as BLAS gemm does
    res = prod if beta == 0 else prod + (bias if beta == 1 else bias * beta)
    out = Tensor._make(xp.ascontiguousarray(res.astype(mat1._data.dtype, copy=False)))
    if grad_recording(input, mat1, mat2):
        node = AddmmBackward0()
        node.alpha, node.beta = alpha, beta
        node._saved_alpha, node._saved_beta = alpha, beta
        record(node, out, input, mat1, mat2)
        if needs(node, 2):
            node.save("mat1", mat1)
        if needs(node, 1):
            node.save("mat2", mat2)
    return out


# --------------------------------------------------------------------------- matmul helpers
class UnsafeViewBackward0(Node):
    # _unsafe_view: self: grad.reshape_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


class SqueezeBackward4(Node):
    # squeeze_.dim: self: unsqueeze_to(grad, dim, self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    """A reshape torch does not track as a view (its input is a fresh, contiguous result)."""
    out = Tensor._make(t._data.reshape(shape))
    if grad_recording(t):
        node = UnsafeViewBackward0()
        node.self_sizes = t._data.shape
        record(node, out, t)
    return out


class ReshapeAliasBackward0(Node):
    # _reshape_alias: self: grad.reshape_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.reshape(self.self_sizes),)


def _no_copy_reshape(arr: Any, shape: tuple) -> Any:
    """``arr`` reshaped without copying, or None when its strides do not allow it."""
    try:
        return arr.reshape(shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # an array module whose reshape has no copy= argument
        view = arr.view()
        try:
            view.shape = shape
        except AttributeError:
            return None
        return view


def _reshape(t: Tensor, shape: tuple) -> Tensor:
    """torch's reshape: ``view`` when contiguous, ``_reshape_alias`` when strides still allow a view,
    else a contiguous clone + ``_unsafe_view``."""
    if t._data.flags.c_contiguous:
        return _shape.view(t, shape)
    arr = _no_copy_reshape(t._data, shape)
    if arr is None:
        return _unsafe_view(_shape.clone(t), shape)
    out = _shape.make_view(t, arr, lambda base: base.reshape(shape))
    if grad_recording(t):
        node = ReshapeAliasBackward0()
        node.self_sizes = t._data.shape
        record(node, out, t)
    return out


def _squeeze0_(t: Tensor) -> Tensor:
    """``t.squeeze_(0)`` on a fresh result: same storage, version bumped, SqueezeBackward4."""
    out = Tensor._make(t._data.reshape(t._data.shape[1:]) if t._data.shape[0] == 1 else t._data)
    out._vc = t._vc
    out._vc[0] += 1
    if grad_recording(t):
        node = SqueezeBackward4()
        node.self_sizes = t._data.shape
        record(node, out, t)
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
    return all(st[i] == st[i + 1] * shp[i + 1] for i in range(big.ndim - 2))


def _matmul_fold(t1: Tensor, t2: Tensor) -> Tensor:
    transpose = t2.ndim > t1.ndim
    big = t2.mT if transpose else t1
    small = (t1.t() if t1.ndim == 2 else t1) if transpose else t2
    lead = big._data.shape[:-1]
    folded_rows = 1
    for s in lead:
        folded_rows *= s
    folded = _reshape(big, (folded_rows, big._data.shape[-1]))
    if small.ndim == 2:
        out = _unsafe_view(mm(folded, small), (*lead, small._data.shape[1]))
        return out.mT.contiguous() if transpose else out
    return _unsafe_view(mv(folded, small), lead)


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
    e1 = _reshape(t1.expand(*batch, n, m1), (size, n, m1))
    if t2.ndim == 1:
        e2 = _reshape(t2.expand(*batch, m2), (size, m2)).unsqueeze(2)
    else:
        e2 = _reshape(t2.expand(*batch, m2, p), (size, m2, p))
    out_shape = batch + ((n,) if t1.ndim > 1 else ()) + ((p,) if t2.ndim > 1 else ())
    prod = bmm(e1, e2)
    if t2.ndim == 1:
        prod = prod.squeeze(-1)
    return _unsafe_view(prod, out_shape)


def matmul(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """torch.matmul: dot, mv, mm, folded mm/mv or broadcast bmm depending on the ranks."""
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


METHODS: dict = {
    "matmul": _as_method(matmul, "matmul", ("other",)),
    "mm": _as_method(mm, "mm", ("mat2",)),
    "bmm": _as_method(bmm, "bmm", ("mat2",)),
    "dot": _as_method(dot, "dot", ("tensor",)),
    "mv": _as_method(mv, "mv", ("vec",)),
    "outer": _as_method(outer, "outer", ("vec2",)),
    "ger": _as_method(ger, "ger", ("vec2",)),
    "addmm": _as_method(addmm, "addmm", ("mat1", "mat2")),
}
__all__ = ["addmm", "bmm", "dot", "ger", "matmul", "mm", "mv", "outer"]
