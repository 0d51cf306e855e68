"""Unary math: exp/log, roots, trigonometric and hyperbolic functions, erf, sigmoid/relu and the rounding
ops, built by ``_unary`` from a NumPy function and the backward node that quotes torch's formula.

The arithmetic machinery they run on (``_unary_compute``, the silenced floating-point errors) is in
``pointwise.py``, which also re-exports these names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._torch_version import since
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from ._util import _FROM_NUMPY, cj, grad_recording, record
from .inplace import scalar_type_name
from .pointwise import (
    _EXTOBJ,
    _F32,
    _F64,
    _IGNORE_ALL,
    GRAD_READERS,
    _unary_compute,
    backward_arrays,
    times_into,
    where,
)

try:  # SciPy is optional (Cephes' erf, as torch's kernel); erf falls back to math.erf without it
    from scipy.special import erf as _sp_erf  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised only where SciPy is missing
    _sp_erf = None


# ops torch does not define on bool tensors (the integer-kind kernels reject Bool)
_BOOL_ERRORS: dict[str, tuple[type, str]] = {
    "ceil": (NotImplementedError, "\"ceil_vml_cpu\" not implemented for 'Bool'"),
    "floor": (NotImplementedError, "\"floor_vml_cpu\" not implemented for 'Bool'"),
    "trunc": (NotImplementedError, "\"trunc_vml_cpu\" not implemented for 'Bool'"),
    "relu": (RuntimeError, "Boolean inputs not supported for relu"),
}


# ops torch refuses on complex tensors, and its messages (the vml kernels name their dtype)
_COMPLEX_ERRORS: dict[str, str] = {
    "floor": "floor is not supported for complex inputs",
    "ceil": "ceil is not supported for complex inputs",
    "trunc": "trunc is not supported for complex inputs",
    "relu": "clamp is not supported for complex types",
    "erf": "\"erf_vml_cpu\" not implemented for '{}'",
}


def _unary(name: str, fn: Any, backward: type, save: str, floating: bool = True, ufunc: Any = None) -> Any:
    """Build a unary op from its NumPy function and its backward node.

    ``save`` is what the backward formula reads: "self" (the input),
    "result" (the output) or "" (nothing). ``ufunc``: the NumPy ufunc that
    computes the op on a floating array in its own dtype, for the fast path.
    """
    fast = ufunc if _EXTOBJ is not None else None
    save_self, save_result = save == "self", save == "result"

    def op(input: Tensor) -> Tensor:
        a = input._data if isinstance(input, Tensor) else None
        if fast is not None and type(a) is np.ndarray and (a.dtype is _F32 or a.dtype is _F64):  # NumPy's singletons
            token = _EXTOBJ.set(_IGNORE_ALL)  # log(0), sqrt(-1): inf/nan silently, as in torch
            try:
                result = Tensor._make(fast(a))
            finally:
                _EXTOBJ.reset(token)
            recording = grad_mode._state.enabled and (
                input._requires_grad
                or input._grad_fn is not None
                or (input._base is not None and grad_recording(input))
            )
        else:
            result = _general(input)
            recording = grad_recording(input)
        if recording:
            node = backward()
            record(node, result, input)
            if save_self:
                node.save("self", input)
            elif save_result:
                node.save("result", result, is_output=True)
        return result

    def _general(input: Tensor) -> Tensor:
        """Every other input: torch's checks and dtype rules, then the NumPy function."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        if input._data.dtype.kind == "b" and name in _BOOL_ERRORS:
            exc, msg = _BOOL_ERRORS[name]
            if name == "relu" and since("2.14"):  # torch 2.14: relu of a bool tensor raises NotImplementedError
                exc = NotImplementedError
            raise exc(msg)
        dt = _FROM_NUMPY[input._data.dtype]
        if dt.is_complex and name in _COMPLEX_ERRORS:
            raise NotImplementedError(_COMPLEX_ERRORS[name].format(scalar_type_name(dt)))
        if floating and dt.category < 2:
            dt = D.get_default_dtype()  # sin(int tensor) is the default float dtype
        return Tensor._make(_unary_compute(input, dt, fn))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}, elementwise."
    return op


class ExpBackward0(Node):
    # self: grad * result.conj()
    def apply(self, grad: Tensor) -> tuple:
        arrays = backward_arrays(grad)
        if arrays is not None:  # no graph to record: the product on the arrays
            g, r = arrays[0], self.saved_data("result")
            if type(r) is np.ndarray and r.dtype is g.dtype:
                token = _EXTOBJ.set(_IGNORE_ALL)
                try:
                    return (Tensor._make(g * r),)
                finally:
                    _EXTOBJ.reset(token)
        return (grad * cj(self.saved("result")),)


class LogBackward0(Node):
    # self: grad.div(self.conj())
    def apply(self, grad: Tensor) -> tuple:
        return (grad / cj(self.saved("self")),)


class Log2Backward0(Node):
    # self: grad / (self.conj() * 0.6931471805599453)
    def apply(self, grad: Tensor) -> tuple:
        return (grad / cj(self.saved("self") * 0.6931471805599453),)


class Log10Backward0(Node):
    # self: grad / (self.conj() * 2.3025850929940456)
    def apply(self, grad: Tensor) -> tuple:
        return (grad / cj(self.saved("self") * 2.3025850929940456),)


class Log1PBackward0(Node):
    # self: log1p_backward(grad, self) = grad / (self + 1).conj()
    def apply(self, grad: Tensor) -> tuple:
        return (grad / cj(self.saved("self") + 1),)


class Expm1Backward0(Node):
    # self: grad * (result.conj() + 1)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * cj(self.saved("result") + 1),)


class SqrtBackward0(Node):
    # self: grad / (2 * result.conj())
    def apply(self, grad: Tensor) -> tuple:
        return (grad / cj(self.saved("result") * 2),)


class RsqrtBackward0(Node):
    # self: -0.5 * grad * result.pow(3).conj()
    def apply(self, grad: Tensor) -> tuple:
        return (grad * cj(self.saved("result").pow(3)) * -0.5,)


class SinBackward0(Node):
    # self: grad * self.cos().conj()
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        arrays = backward_arrays(grad, x)
        if arrays is not None:  # no graph to record: cos(x) on the array, the product written over it
            token = _EXTOBJ.set(_IGNORE_ALL)
            try:
                return (Tensor._make(times_into(arrays[0], np.cos(arrays[1]))),)
            finally:
                _EXTOBJ.reset(token)
        return (grad * cj(x.cos()),)


class CosBackward0(Node):
    # self: grad * -self.sin().conj()
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        arrays = backward_arrays(grad, x)
        if arrays is not None:  # no graph to record: -sin(x) on the array, the product written over it
            token = _EXTOBJ.set(_IGNORE_ALL)
            try:
                s = np.sin(arrays[1])
                return (Tensor._make(times_into(arrays[0], np.negative(s, out=s) if s.ndim else -s)),)
            finally:
                _EXTOBJ.reset(token)
        return (grad * cj(-x.sin()),)


# their array paths multiply the grad into a new array and never hand it on (pointwise.GRAD_READERS); with
# create_graph they run the tensor ops, which never write into the grad either
GRAD_READERS.update((ExpBackward0, SinBackward0, CosBackward0))


class TanBackward0(Node):
    # self: grad * (1 + result.pow(2)).conj()
    def apply(self, grad: Tensor) -> tuple:
        return (grad * cj(self.saved("result").pow(2) + 1),)


class TanhBackward0(Node):
    # self: tanh_backward(grad, result) = grad * (1 - result * result).conj()
    def apply(self, grad: Tensor) -> tuple:
        r = self.saved("result")
        return (grad * cj(1 - r * r),)


class SigmoidBackward0(Node):
    # self: sigmoid_backward(grad, result) = grad * (1 - result) * result
    def apply(self, grad: Tensor) -> tuple:
        r = self.saved("result")
        return (grad * cj((1 - r) * r),)


class PiecewiseLinearBackwardBackward(Node):
    """The gradient of a piecewise-linear activation (torch's threshold_backward, hardtanh_backward, ...) is a
    function of the incoming gradient and of the saved input or result: its own derivative is the same slope
    applied to the new gradient, and zeros for the input (the slope is constant almost everywhere)."""

    def apply(self, grad: Tensor) -> tuple:
        return (grad * self._slope, grad * 0)


class ThresholdBackwardBackward0(PiecewiseLinearBackwardBackward):
    # threshold_backward: grad_output: threshold_backward(grad, self, threshold); self: zeros_like(grad)
    pass


def sloped_grad(node_cls: type, grad: Tensor, saved: Tensor, slope: Any) -> Tensor:
    """The activation's gradient: ``grad`` where the bool array ``slope`` holds and +0 elsewhere (as torch's
    kernels select, not multiply: no -0), or ``grad * slope`` for a float array of slopes. Under
    ``create_graph`` it is recorded as torch's ``*_backward`` op, which depends on ``saved`` too, so the
    gradient requires grad when the input does, as in torch."""
    g = grad._data
    if slope.dtype == bool:
        data = g * slope
        data += 0  # -0 (a negative grad times False) becomes +0; two passes cost a tenth of np.where's one
    elif g.dtype == np.float16:  # torch's Half kernel multiplies in float32 and rounds once
        data = (g.astype(np.float32) * slope.astype(np.float32)).astype(np.float16)
    else:
        data = g * slope.astype(g.dtype)  # a Python-number slope, rounded to the grad's dtype as torch's scalar
    out = Tensor._make(data)
    if grad_recording(grad, saved):
        node = node_cls()
        node._slope = Tensor._make(slope.astype(g.dtype))
        record(node, out, grad, saved)
    return out


class ReluBackward0(Node):
    # self: threshold_backward(grad, result, 0) -> grad where result > 0 else 0 (relu'(0) = 0)
    def apply(self, grad: Tensor) -> tuple:
        result = self.saved("result")
        return (sloped_grad(ThresholdBackwardBackward0, grad, result, result._data > 0),)


class SinhBackward0(Node):
    # self: grad * self.cosh().conj()
    def apply(self, grad: Tensor) -> tuple:
        return (grad * cj(self.saved("self").cosh()),)


class CoshBackward0(Node):
    # self: grad * self.sinh().conj()
    def apply(self, grad: Tensor) -> tuple:
        return (grad * cj(self.saved("self").sinh()),)


class AsinBackward0(Node):
    # self: grad * (-self * self + 1).rsqrt().conj()
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * cj((1 - s * s).rsqrt()),)


class AcosBackward0(Node):
    # self: grad * -((-self * self + 1).rsqrt()).conj()
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * cj(-((1 - s * s).rsqrt())),)


class AtanBackward0(Node):
    # self: grad / (self * self + 1).conj()
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad / cj(s * s + 1),)


class AsinhBackward0(Node):
    # self: grad * (self.pow(2) + 1).rsqrt().conj()
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * cj((s.pow(2) + 1).rsqrt()),)


class AcoshBackward0(Node):
    # self: (real case) grad * (self * self - 1).rsqrt()
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * cj((s * s - 1).rsqrt()),)


class AtanhBackward0(Node):
    # self: grad * 1 / (1 - self.pow(2)).conj()
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * 1 / cj(1 - s.pow(2)),)


class ErfBackward0(Node):
    # self: 2.0 / sqrt(M_PI) * exp(-(self.pow(2))) * grad
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * ((-(s * s)).exp() * (2.0 / math.sqrt(math.pi))),)


class _ZeroGrad(Node):
    # floor/ceil/round/trunc/sign: self: zeros_like(grad)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * 0,)


class FloorBackward0(_ZeroGrad):
    # floor: self: zeros_like(grad)
    pass


class CeilBackward0(_ZeroGrad):
    # ceil: self: zeros_like(grad)
    pass


class RoundBackward0(_ZeroGrad):
    # round: self: zeros_like(grad)
    pass


class TruncBackward0(_ZeroGrad):
    # trunc: self: zeros_like(grad)
    pass


class SignBackward0(_ZeroGrad):
    # sign: self: zeros_like(grad)
    pass


class SgnBackward0(Node):
    _complex = False  # set on the nodes of complex inputs, which save self and result

    # sgn: self: sgn_backward(self, grad, result): zero for real inputs; for complex ones
    #   (grad - result * real(grad * result.conj())) / self.abs(), zero where self == 0
    def apply(self, grad: Tensor) -> tuple:
        if not self._complex:
            return (grad * 0,)
        s, r = self.saved("self"), self.saved("result")
        a = s.abs()
        return (where(a == 0.0, 0.0, (grad - r * (grad * r.conj()).real) / a),)


class RoundBackward1(_ZeroGrad):
    # round.decimals: self: zeros_like(grad)
    pass


def _erf(xp: Any, a: Any) -> Any:
    if _sp_erf is None:  # pragma: no cover - without SciPy: math.erf per element
        return np.vectorize(math.erf, otypes=[a.dtype])(a)
    return _sp_erf(a) if xp.__name__ == "numpy" else xp.asarray(_sp_erf(a.get()))


exp = _unary("exp", lambda xp, a: xp.exp(a), ExpBackward0, "result", ufunc=np.exp)
log = _unary("log", lambda xp, a: xp.log(a), LogBackward0, "self", ufunc=np.log)
log2 = _unary("log2", lambda xp, a: xp.log2(a), Log2Backward0, "self", ufunc=np.log2)
log10 = _unary("log10", lambda xp, a: xp.log10(a), Log10Backward0, "self", ufunc=np.log10)
log1p = _unary("log1p", lambda xp, a: xp.log1p(a), Log1PBackward0, "self", ufunc=np.log1p)
expm1 = _unary("expm1", lambda xp, a: xp.expm1(a), Expm1Backward0, "result", ufunc=np.expm1)
sqrt = _unary("sqrt", lambda xp, a: xp.sqrt(a), SqrtBackward0, "result", ufunc=np.sqrt)
rsqrt = _unary("rsqrt", lambda xp, a: 1 / xp.sqrt(a), RsqrtBackward0, "result")
sin = _unary("sin", lambda xp, a: xp.sin(a), SinBackward0, "self", ufunc=np.sin)
cos = _unary("cos", lambda xp, a: xp.cos(a), CosBackward0, "self", ufunc=np.cos)
tan = _unary("tan", lambda xp, a: xp.tan(a), TanBackward0, "result", ufunc=np.tan)
tanh = _unary("tanh", lambda xp, a: xp.tanh(a), TanhBackward0, "result", ufunc=np.tanh)
sinh = _unary("sinh", lambda xp, a: xp.sinh(a), SinhBackward0, "self", ufunc=np.sinh)
cosh = _unary("cosh", lambda xp, a: xp.cosh(a), CoshBackward0, "self", ufunc=np.cosh)
asin = _unary("asin", lambda xp, a: xp.arcsin(a), AsinBackward0, "self")
acos = _unary("acos", lambda xp, a: xp.arccos(a), AcosBackward0, "self")
atan = _unary("atan", lambda xp, a: xp.arctan(a), AtanBackward0, "self")
asinh = _unary("asinh", lambda xp, a: xp.arcsinh(a), AsinhBackward0, "self", ufunc=np.arcsinh)
acosh = _unary("acosh", lambda xp, a: xp.arccosh(a), AcoshBackward0, "self", ufunc=np.arccosh)
atanh = _unary("atanh", lambda xp, a: xp.arctanh(a), AtanhBackward0, "self", ufunc=np.arctanh)
arcsinh, arccosh, arctanh = asinh, acosh, atanh
erf = _unary("erf", _erf, ErfBackward0, "self")
# torch's formula; exp(-x) overflowing to inf gives the right limit 0
sigmoid = _unary("sigmoid", lambda xp, a: 1 / (1 + xp.exp(-a)), SigmoidBackward0, "result")
relu = _unary("relu", lambda xp, a: xp.maximum(a, a.dtype.type(0)), ReluBackward0, "result", floating=False)
floor = _unary(
    "floor", lambda xp, a: xp.floor(a) if a.dtype.kind == "f" else a.copy(), FloorBackward0, "", floating=False
)
ceil = _unary("ceil", lambda xp, a: xp.ceil(a) if a.dtype.kind == "f" else a.copy(), CeilBackward0, "", floating=False)
trunc = _unary(
    "trunc", lambda xp, a: xp.trunc(a) if a.dtype.kind == "f" else a.copy(), TruncBackward0, "", floating=False
)
fix = trunc
_sign = _unary("sign", lambda xp, a: xp.sign(a) if a.dtype != bool else a.copy(), SignBackward0, "", floating=False)
_real_sgn = _unary("sgn", lambda xp, a: xp.sign(a) if a.dtype != bool else a.copy(), SgnBackward0, "", floating=False)


def sign(input: Tensor) -> Tensor:
    """torch.sign, elementwise (refused on complex tensors: torch.sgn is their sign)."""
    if isinstance(input, Tensor) and input._data.dtype.kind == "c":
        raise NotImplementedError(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead."
        )
    return _sign(input)


def sgn(input: Tensor) -> Tensor:
    """torch.sgn: sign of a real tensor; ``z / |z|`` (0 at 0) of a complex one."""
    if not (isinstance(input, Tensor) and input._data.dtype.kind == "c"):
        return _real_sgn(input)
    a = input._data
    with np.errstate(all="ignore"):
        mag = np.abs(a)
        res = np.where(mag == 0, 0, a / mag).astype(a.dtype)
    result = Tensor._make(res)
    if grad_recording(input):
        node = SgnBackward0()
        node._complex = True
        record(node, result, input)
        node.save("self", input)
        node.save("result", result, is_output=True)
    return result


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:  # noqa: A001
    """Round half to even, like torch (and NumPy).

    ``decimals`` given (even 0) selects torch's ``round.decimals`` overload, whose node is RoundBackward1.
    """
    if input._data.dtype == bool:
        raise NotImplementedError("\"round_vml_cpu\" not implemented for 'Bool'")
    dt = _FROM_NUMPY[input._data.dtype]
    if decimals:
        fn = lambda xp, a: xp.round(a * 10.0**decimals) / 10.0**decimals
    else:
        fn = lambda xp, a: xp.round(a) if a.dtype.kind == "f" else a.copy()
    result = Tensor._make(_unary_compute(input, dt, fn))
    if grad_recording(input):
        record(RoundBackward0() if decimals is None else RoundBackward1(), result, input)
    return result


# --------------------------------------------------------------------------- exports
__all__ = [
    "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "exp", "expm1", "fix", "floor", "log", "log10", "log1p",
    "log2", "relu", "round", "rsqrt", "sgn", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
    "acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh",
]  # fmt: skip
METHODS = {name: globals()[name] for name in __all__}
