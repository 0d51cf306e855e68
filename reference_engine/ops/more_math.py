"""More elementwise math, NaN-aware reductions and fused linear algebra: atan2, hypot, logaddexp,
logaddexp2, copysign, signbit, heaviside, frac, deg2rad, rad2deg, nansum, nanmean, std_mean, var_mean,
logspace, addmv, addr, baddbmm.

Backward formulas quote torch's ``derivatives.yaml`` and are written with engine ops (double backward).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import _finish, _place
from .._device import or_default
from ..autograd.graph import Node
from ..tensor import Tensor
from . import linalg as L
from . import pointwise as P
from . import reduction as R
from ._util import _FROM_NUMPY, as_array, binary_arrays, check_broadcast, grad_recording, needs, record
from .inplace import inplace_method, scalar_type_name


# --------------------------------------------------------------------------- binary floating ops
def _tensor_other(name: str, other: Any) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


def _float_binary(name: str, input: Tensor, other: Any, int_to_float: bool) -> tuple[Any, Any, D.dtype]:  # noqa: A002
    """Both operands in the promoted dtype; integer results become the default float (``int_to_float``) or
    raise torch's "not implemented" error. Half computes in float32 (callers round back)."""
    R._check_tensor(name, input)
    _tensor_other(name, other)
    a, b, dt = binary_arrays(input, other)
    if dt.category < 2:
        if not int_to_float:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{scalar_type_name(dt)}'")
        dt = D.get_default_dtype()
    calc = np.float32 if dt is D.float16 else dt.np
    return a.astype(calc, copy=False), b.astype(calc, copy=False), dt


def _binary_result(node_cls: type, input: Tensor, other: Tensor, res: Any, dt: D.dtype, save: tuple) -> Tensor:  # noqa: A002
    out = Tensor._make(res.astype(dt.np, copy=False))
    if grad_recording(input, other):
        node = node_cls()
        record(node, out, input, other)
        for key in save:
            if key == "result":
                node.save("result", out, is_output=True)
            else:
                node.save(key, input if key == "self" else other)
    return out


class Atan2Backward0(Node):
    # atan2: self, other: atan2_backward(grad, self, other, grad_input_mask)
    #   recip = (self * self + other * other).reciprocal(); {grad * other * recip, grad * -self * recip}
    def apply(self, grad: Tensor) -> tuple:
        x, y = self.saved("self"), self.saved("other")
        recip = P.reciprocal(x * x + y * y)
        ga = grad * y * recip if needs(self, 0) else None
        gb = grad * -x * recip if needs(self, 1) else None
        return ga, gb


def atan2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b, dt = _float_binary("atan2", input, other, int_to_float=True)
    with P._errstate(input._xp):
        res = input._xp.arctan2(a, b)
    return _binary_result(Atan2Backward0, input, other, res, dt, ("self", "other"))


arctan2 = atan2


class HypotBackward0(Node):
    # hypot: self: grad * self / result ; other: grad * other / result
    def apply(self, grad: Tensor) -> tuple:
        r = self.saved("result")
        ga = grad * self.saved("self") / r if needs(self, 0) else None
        gb = grad * self.saved("other") / r if needs(self, 1) else None
        return ga, gb


def hypot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b, dt = _float_binary("hypot", input, other, int_to_float=False)
    with P._errstate(input._xp):
        res = input._xp.hypot(a, b)
    return _binary_result(HypotBackward0, input, other, res, dt, ("self", "other", "result"))


class LogaddexpBackward0(Node):
    # logaddexp: self: grad / (1 + exp(other - self)) ; other: grad / (1 + exp(self - other))
    def apply(self, grad: Tensor) -> tuple:
        x, y = self.saved("self"), self.saved("other")
        ga = grad / (1 + P.exp(y - x)) if needs(self, 0) else None
        gb = grad / (1 + P.exp(x - y)) if needs(self, 1) else None
        return ga, gb


class Logaddexp2Backward0(Node):
    # logaddexp2: self: grad / (1 + pow(2, other - self)) ; other: grad / (1 + pow(2, self - other))
    def apply(self, grad: Tensor) -> tuple:
        x, y = self.saved("self"), self.saved("other")
        ga = grad / (1 + P.pow(2, y - x)) if needs(self, 0) else None
        gb = grad / (1 + P.pow(2, x - y)) if needs(self, 1) else None
        return ga, gb


def logaddexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b, dt = _float_binary("logaddexp", input, other, int_to_float=False)
    with P._errstate(input._xp):
        res = input._xp.logaddexp(a, b)
    return _binary_result(LogaddexpBackward0, input, other, res, dt, ("self", "other"))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    a, b, dt = _float_binary("logaddexp2", input, other, int_to_float=False)
    with P._errstate(input._xp):
        res = input._xp.logaddexp2(a, b)
    return _binary_result(Logaddexp2Backward0, input, other, res, dt, ("self", "other"))


class _CopysignSelf(Node):
    def _self_grad(self, grad: Tensor) -> Tensor:
        # copysign_tensor_self_backward: ratio = result / self, masked to 0 where self == 0; grad * ratio
        x, r = self.saved("self"), self.saved("result")
        return grad * P.where(R._const(x._data == 0), 0.0, r / x)


class CopysignBackward0(_CopysignSelf):
    # copysign.Tensor: self: copysign_tensor_self_backward(grad, self, result) ; other: zeros_like(other)
    def apply(self, grad: Tensor) -> tuple:
        ga = self._self_grad(grad) if needs(self, 0) else None
        gb = Tensor._make(grad._xp.zeros(self.other_sizes, dtype=grad._data.dtype)) if needs(self, 1) else None
        return ga, gb


class CopysignBackward1(_CopysignSelf):
    # copysign.Scalar: self: copysign_tensor_self_backward(grad, self, result)
    def apply(self, grad: Tensor) -> tuple:
        return (self._self_grad(grad),)


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    R._check_tensor("copysign", input)
    if isinstance(other, Tensor):
        check_broadcast(input._data.shape, other._data.shape)
    dt = D.result_type(input, other)
    if dt.category < 2:
        dt = D.get_default_dtype()  # promoted first: copysign(uint8, -1) must not wrap -1 into uint8
    calc = D.float32 if dt is D.float16 else dt
    a, b = as_array(input, calc, input._data), as_array(other, calc, input._data)
    res = input._xp.copysign(a, b).astype(dt.np, copy=False)
    out = Tensor._make(res)
    tensor_other = isinstance(other, Tensor)
    if grad_recording(input, other if tensor_other else None):
        node: Node = CopysignBackward0() if tensor_other else CopysignBackward1()
        if tensor_other:
            node.other_sizes = other._data.shape
            record(node, out, input, other)
        else:
            record(node, out, input)
        node.save("self", input)
        node.save("result", out, is_output=True)
    return out


def signbit(input: Tensor) -> Tensor:  # noqa: A002
    R._check_tensor("signbit", input)
    a = input._data
    if a.dtype.kind == "f":
        return Tensor._make(input._xp.signbit(a))
    return Tensor._make(a < 0 if a.dtype.kind == "i" else input._xp.zeros(a.shape, dtype=bool))


def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002
    R._check_tensor("heaviside", input)
    _tensor_other("heaviside", values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, b, dt = binary_arrays(input, values)
    xp = input._xp
    res = xp.where(a == 0, b, a > 0).astype(dt.np)
    if a.dtype.kind == "f":
        res = xp.where(xp.isnan(a), a, res)
    out = Tensor._make(res)
    if grad_recording(input, values):
        record(P.NoDerivative("heaviside"), out, input, values)
    return out


# --------------------------------------------------------------------------- frac / deg2rad / rad2deg
class FracBackward0(Node):
    # frac: self: grad
    def apply(self, grad: Tensor) -> tuple:
        return (grad,)


class Deg2RadBackward0(Node):
    # deg2rad: self: deg2rad_backward(grad) = grad * (pi / 180)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * (math.pi / 180.0),)


class Rad2DegBackward0(Node):
    # rad2deg: self: rad2deg_backward(grad) = grad * (180 / pi)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * (180.0 / math.pi),)


def _unary_float(name: str, input: Tensor, fn: Any, node_cls: type, ints: bool) -> Tensor:  # noqa: A002
    R._check_tensor(name, input)
    dt = _FROM_NUMPY[input._data.dtype]
    if dt.category < 2:
        if not ints:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{scalar_type_name(dt)}'")
        dt = D.get_default_dtype()
    out = Tensor._make(P._unary_compute(input, dt, fn))
    if grad_recording(input):
        record(node_cls(), out, input)
    return out


def frac(input: Tensor) -> Tensor:  # noqa: A002
    return _unary_float("frac", input, lambda xp, a: a - xp.trunc(a), FracBackward0, ints=False)


def deg2rad(input: Tensor) -> Tensor:  # noqa: A002
    # torch multiplies by the constant rounded to the tensor's compute dtype
    return _unary_float("deg2rad", input, lambda xp, a: a * a.dtype.type(math.pi / 180.0), Deg2RadBackward0, ints=True)


def rad2deg(input: Tensor) -> Tensor:  # noqa: A002
    return _unary_float("rad2deg", input, lambda xp, a: a * a.dtype.type(180.0 / math.pi), Rad2DegBackward0, ints=True)


# --------------------------------------------------------------------------- nansum / nanmean
class NansumBackward0(Node):
    # nansum: self: nansum_backward(grad.to(self.scalar_type()), self, dim, keepdim)
    #   = unsqueeze_multiple(grad, dim, ndim) * self.isnan().logical_not()
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = R._expand_grad(grad.to(x.dtype), x._data.shape, self.dims, self.keepdim)
        return (g * P.logical_not(P.isnan(x)),)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A002
    R._check_tensor("nansum", input)
    dt = R._reduce_int_dtype(input, dtype)
    a = R._as(input, dt)
    dims = R._dims(input, dim)
    xp = input._xp
    res = xp.nansum(a, axis=R._axis(a, dims), keepdims=keepdim) if a.ndim else a.copy()
    out = Tensor._make(xp.asarray(res, dtype=dt.np))
    if grad_recording(input):
        node = NansumBackward0()
        node.dims, node.keepdim = dims, keepdim
        record(node, out, input)
        node.save("self", input)
    return out


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A002
    R._check_tensor("nanmean", input)
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {scalar_type_name(input.dtype)}"
        )
    # torch: nansum(input) / (number of non-NaN elements)
    dims = R._dims(input, dim)
    a = input._data
    kept = ~input._xp.isnan(a)
    count = kept.sum(axis=R._axis(a, dims), keepdims=keepdim) if a.ndim else kept.astype(np.int64)
    return nansum(input, dim, keepdim, dtype=dtype) / Tensor._make(input._xp.asarray(count, dtype=np.int64))


# --------------------------------------------------------------------------- var_mean / std_mean
class _MomentsBackward(Node):
    # var_mean: self: var_mean_backward(grads[0], grads[1], self, dim, correction, keepdim)
    # std_mean: self: std_mean_backward(grads[0], grads[1], self, result0, dim, correction, keepdim)
    #   = var (or std) backward of grads[0] + mean backward of grads[1]
    is_std = False

    def apply(self, g_spread: Tensor, g_mean: Tensor) -> tuple:
        x = self.saved("self")
        if self.is_std:
            result = self.saved("result0")
            g_spread = P.where(R._const(result._data == 0), 0.0, g_spread / (result * 2))
        g = R._var_backward(self, g_spread)
        shape = x._data.shape
        count = math.prod(shape[d] for d in self.dims) if shape else 1
        return (g + R._expand_grad(g_mean, shape, self.dims, self.keepdim) / count,)


VarMeanBackward0 = type("VarMeanBackward0", (_MomentsBackward,), {})
StdMeanBackward0 = type("StdMeanBackward0", (_MomentsBackward,), {"is_std": True})


def _moments(
    name: str,
    input: Tensor,  # noqa: A002
    dim: Any,
    unbiased: Any,
    keepdim: bool,
    correction: Any,
) -> tuple[Tensor, Tensor]:
    R._check_tensor(name, input)
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    var, dims, keep, dof, full = R._var_forward(name, input, dim, unbiased, keepdim, correction)
    xp = input._xp
    a = input._data
    with P._errstate(xp):
        m = a.mean(axis=R._axis(a, dims), keepdims=keep) if a.size else a.sum(axis=R._axis(a, dims), keepdims=keep) / 0
    spread = xp.sqrt(var) if name == "std_mean" else var
    s_out = Tensor._make(xp.asarray(spread, dtype=a.real.dtype))
    m_out = Tensor._make(xp.asarray(m, dtype=a.dtype))
    if grad_recording(input):
        node = (StdMeanBackward0 if name == "std_mean" else VarMeanBackward0)()
        node.dims, node.keepdim, node.dof, node.full = dims, keep, dof, full
        record(node, (s_out, m_out), input)
        node.save("self", input)
        if name == "std_mean":
            node.save("result0", s_out, is_output=True)
    return s_out, m_out


def var_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: Any = R._MISSING,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    return _moments("var_mean", input, dim, unbiased, keepdim, correction)


def std_mean(
    input: Tensor,  # noqa: A002
    dim: Any = None,
    unbiased: Any = R._MISSING,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    return _moments("std_mean", input, dim, unbiased, keepdim, correction)


# --------------------------------------------------------------------------- logspace
def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    layout: Any = None,
) -> Tensor:
    """base ** linspace(start, end), filled from both ends like torch's kernel (the first half from
    ``start``, the second half from ``end``); integer dtypes compute in float64 and truncate."""
    device = or_default(device)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or D.get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    calc = dtype.np if dtype.category >= 2 and dtype is not D.float16 else np.float64
    t = np.dtype(calc).type
    i = np.arange(steps, dtype=calc)
    with P._errstate(np):
        if steps == 1:
            expo = np.array([t(start)], dtype=calc)
        else:
            step = (t(end) - t(start)) / t(steps - 1)
            half = steps // 2
            expo = np.where(i < half, t(start) + step * i, t(end) - step * (t(steps - 1) - i))
        vals = np.power(t(base), expo.astype(calc)).astype(dtype.np)
    return _finish(_place(vals, device) if device is not None else vals, requires_grad)


# --------------------------------------------------------------------------- addmv / addr / baddbmm
def _scaled(grad: Tensor, factor: Any) -> Tensor:
    """maybe_multiply: skip the multiplication by one, as torch does."""
    return grad if factor == 1 else grad * factor


def _blend(input: Tensor, prod: Any, beta: Any, alpha: Any, dtype: Any) -> Any:  # noqa: A002
    """beta * input + alpha * prod, broadcasting input to prod; beta == 0 ignores input (and its NaNs)."""
    bias = input.detach().expand(prod.shape)._data
    if alpha != 1:
        prod = prod * alpha
    res = prod if beta == 0 else prod + (bias if beta == 1 else bias * beta)
    return input._xp.ascontiguousarray(res.astype(dtype, copy=False))


class AddmvBackward0(Node):
    # addmv: self: maybe_multiply(grad, beta) ; mat: maybe_multiply(grad.ger(vec), alpha)
    #        vec: maybe_multiply(mat.t().mv(grad), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        g_mat = _scaled(L.outer(grad, self.saved("vec")), self.alpha) if needs(self, 1) else None
        g_vec = _scaled(L.mv(self.saved("mat").t(), grad), self.alpha) if needs(self, 2) else None
        return g_self, g_mat, g_vec


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    for pos, (name, t) in enumerate((("input", input), ("mat", mat), ("vec", vec)), start=1):
        L._check_tensor(t, "addmv", name, pos)
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
    L._check_not_bool(mat, "addmv_impl_cpu")
    out = Tensor._make(_blend(input, input._xp.matmul(mat._data, vec._data), beta, alpha, mat._data.dtype))
    if grad_recording(input, mat, vec):
        node = AddmvBackward0()
        node.alpha, node.beta = alpha, beta
        record(node, out, input, mat, vec)
        if needs(node, 1):
            node.save("vec", vec)
        if needs(node, 2):
            node.save("mat", mat)
    return out


class AddrBackward0(Node):
    # addr: self: maybe_multiply(grad, beta) ; vec1: maybe_multiply(grad.mv(vec2), alpha)
    #       vec2: maybe_multiply(grad.t().mv(vec1), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        g1 = _scaled(L.mv(grad, self.saved("vec2")), self.alpha) if needs(self, 1) else None
        g2 = _scaled(L.mv(grad.t(), self.saved("vec1")), self.alpha) if needs(self, 2) else None
        return g_self, g1, g2


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    for pos, (name, t) in enumerate((("input", input), ("vec1", vec1), ("vec2", vec2)), start=1):
        L._check_tensor(t, "addr", name, pos)
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
        node = AddrBackward0()
        node.alpha, node.beta = alpha, beta
        record(node, out, input, vec1, vec2)
        node.save("vec1", vec1)
        node.save("vec2", vec2)
    return out


class BaddbmmBackward0(Node):
    # baddbmm: self: maybe_multiply(grad, beta) ; batch1: maybe_multiply(grad.bmm(batch2.transpose(1, 2)), alpha)
    #          batch2: maybe_multiply(batch1.transpose(1, 2).bmm(grad), alpha)
    def apply(self, grad: Tensor) -> tuple:
        g_self = _scaled(grad, self.beta) if needs(self, 0) else None
        g1 = _scaled(L.bmm(grad, self.saved("batch2").transpose(1, 2)), self.alpha) if needs(self, 1) else None
        g2 = _scaled(L.bmm(self.saved("batch1").transpose(1, 2), grad), self.alpha) if needs(self, 2) else None
        return g_self, g1, g2


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    for pos, (name, t) in enumerate((("input", input), ("batch1", batch1), ("batch2", batch2)), start=1):
        L._check_tensor(t, "baddbmm", name, pos)
    if batch1._data.dtype == np.bool_ and batch1.ndim == 3 and batch2.ndim == 3:
        # torch checks that input broadcasts to the result before its kernel refuses Bool
        input.detach().expand(batch1._data.shape[0], batch1._data.shape[1], batch2._data.shape[2])
        L._check_not_bool(batch1, "baddbmm")
    L._check_bmm(batch1, batch2)
    if input.dtype is not batch1.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(batch1.dtype)} but found {scalar_type_name(input.dtype)}"
        )
    out = Tensor._make(_blend(input, input._xp.matmul(batch1._data, batch2._data), beta, alpha, batch1._data.dtype))
    if grad_recording(input, batch1, batch2):
        node = BaddbmmBackward0()
        node.alpha, node.beta = alpha, beta
        record(node, out, input, batch1, batch2)
        node.save("batch1", batch1)
        node.save("batch2", batch2)
    return out


__all__ = [
    "addmv", "addr", "arctan2", "atan2", "baddbmm", "copysign", "deg2rad", "frac", "heaviside", "hypot",
    "logaddexp", "logaddexp2", "logspace", "nanmean", "nansum", "rad2deg", "signbit", "std_mean", "var_mean",
]  # fmt: skip
METHODS: dict = {name: globals()[name] for name in __all__ if name not in ("logspace", "std_mean", "var_mean")}
METHODS.update({
    name + "_": inplace_method(globals()[name])
    for name in ("addmv", "addr", "arctan2", "atan2", "baddbmm", "copysign", "deg2rad", "frac", "heaviside", "hypot",
                 "rad2deg")
})  # fmt: skip
