"""Elementwise ops: arithmetic, neg/abs, clamp, where, lerp/addcmul/addcdiv, and the binary and unary float
math (atan2, hypot, logaddexp, copysign, heaviside, nextafter, frac, deg2rad, nan_to_num), with the machinery
of the unary ops (``_unary_compute``). Comparisons, logic and bit operations are in ``comparison.py``; exp, log,
the trigonometric functions, sigmoid/relu and the rounding ops in ``unary.py`` (re-exported here).

Each op's backward sits beside its forward and quotes the formula from
torch's ``tools/autograd/derivatives.yaml``. Broadcasting is not undone
here: the engine sums every grad to its input's shape and casts its dtype.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import _rng_math
from .._backend import array_module
from .._torch_version import since
from ..autograd import grad_mode
from ..autograd.graph import FREED_MSG, Node, running_tasks
from ..tensor import Tensor
from . import _float_modulo
from ._util import (
    _FROM_NUMPY,
    as_array,
    bf16_axpy,
    binary_arrays,
    binary_operands,
    check_broadcast,
    check_same_device,
    cj,
    float_dtype_of,
    grad_recording,
    invalid_combination,
    needs,
    record,
    record_saving,
    record_with,
    return_type,
    to_tensor,
)
from .inplace import inplace_method, scalar_type_name

_OPERAND_TYPES = frozenset((Tensor, float, int, bool))


def _scalar_or_tensor(x: Any) -> bool:
    if type(x) in _OPERAND_TYPES:  # the common case, without isinstance chains
        return True
    return isinstance(x, Tensor | int | float | bool | complex) or hasattr(x, "dtype")


def _no_scalar_overload(name: str, input: Any, other: Any, scalar_self: bool) -> None:
    """torch's parser error for a Python number where the op's overloads all want a tensor: two numbers, or a
    number first (``scalar_self`` False: the op has no ``(Scalar self, Tensor other)`` overload)."""
    if not isinstance(input, Tensor) and (not scalar_self or not isinstance(other, Tensor)):
        raise invalid_combination(name, input, other)


def _check_operand(x: Any, op: str) -> None:
    if not _scalar_or_tensor(x):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not {type(x).__name__}")


def _const(arr: Any) -> Tensor:
    """A graph constant (a mask or an index pattern)."""
    return Tensor._make(arr)


def _type_name(d: D.dtype) -> str:
    # torch's ScalarType name: "Long", "Float", "Bool" (tensor_type minus "Tensor")
    return d.tensor_type[: -len("Tensor")]


def _result(res: Any, dt: D.dtype) -> Tensor:
    """The result tensor of an arithmetic op, cast to torch's dtype ``dt`` where NumPy's differs."""
    return Tensor._make(res if res.dtype == dt.np else res.astype(dt.np))


def _check_tensor(name: str, input: Any) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


# --------------------------------------------------------------------------- add / sub
class _AlphaNode(Node):
    """add/sub/rsub's nodes: ``alpha`` scales a grad, and torch exposes it as ``grad_fn._saved_alpha``."""

    alpha: Any = 1  # a node records its own only when it is not the int 1 (``x + c``, the per-op path, stays cheap)

    @property
    def _saved_alpha(self) -> Any:
        return self.alpha


def _keep_alpha(node: _AlphaNode, alpha: Any) -> None:
    if type(alpha) is not int or alpha != 1:  # 1.0 stays a float, as torch keeps it
        node.alpha = alpha


class AddBackward0(_AlphaNode):
    # self: grad ; other: maybe_multiply(grad, alpha)
    def apply(self, grad: Tensor) -> tuple:
        alpha = self.alpha
        return grad, (grad if alpha == 1 else grad * alpha) if self.next_functions[1][0] is not None else None


class SubBackward0(_AlphaNode):
    # self: grad ; other: -grad * alpha
    def apply(self, grad: Tensor) -> tuple:
        return grad, (-grad if self.alpha == 1 else -grad * self.alpha) if needs(self, 1) else None


class RsubBackward1(_AlphaNode):
    # rsub(self, other, alpha) = other - alpha * self ; self: -grad * alpha
    def apply(self, grad: Tensor) -> tuple:
        return (-grad if self.alpha == 1 else -grad * self.alpha,)


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    _check_operand(other, "add")
    a, b, dt = binary_operands(input, other, half_scalar=True)
    alpha = _half_alpha(alpha, dt)
    if dt is D.bool_ and alpha == 1:
        res = a | b
    elif dt is D.bfloat16 and alpha != 1:
        res = bf16_axpy(a, b, alpha)
    else:
        with _ErrState(_xp(a)):  # inf + -inf is nan silently, as in torch
            res = a + (b if alpha == 1 else b * alpha)
    result = _result(res, dt)
    if grad_recording(input, other):
        record_add(result, input, other, alpha)
    return result


def _half_alpha(alpha: Any, dt: D.dtype) -> Any:
    """add/sub's alpha as torch's Half kernels use it: rounded to half, then applied in float32."""
    if alpha != 1 and dt in D.REDUCED_FLOATS:
        return np.float32(np.asarray(alpha, np.float32).astype(dt.np))
    return alpha


def record_add(result: Tensor, input: Any, other: Any, alpha: Any = 1) -> None:
    # written out rather than through record_with: ``x + c`` records here on the per-op fast path
    node = AddBackward0()
    _keep_alpha(node, alpha)
    record(node, result, input, other)


def _bool_arithmetic_error() -> type[Exception]:
    # torch 2.14 raises NotImplementedError (same text) for negating or subtracting bool tensors
    return NotImplementedError if since("2.14") else RuntimeError


def _check_sub(dt: D.dtype, what: str = "Subtraction, the `-` operator,") -> None:
    if dt is D.bool_:
        raise _bool_arithmetic_error()(
            f"{what} with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
        )


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    _check_operand(other, "sub")
    a, b, dt = binary_operands(input, other, half_scalar=True)
    alpha = _half_alpha(alpha, dt)
    _check_sub(dt)
    with _ErrState(_xp(a)):
        res = bf16_axpy(a, b, -alpha) if dt is D.bfloat16 and alpha != 1 else a - (b if alpha == 1 else b * alpha)
    result = _result(res, dt)
    if grad_recording(input, other):
        record_sub(result, input, other, alpha)
    return result


def record_sub(result: Tensor, input: Any, other: Any, alpha: Any = 1) -> None:
    node = SubBackward0()  # per-op fast path (``x - c``): no record_with call
    _keep_alpha(node, alpha)
    record(node, result, input, other)


def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """other - alpha * input (what ``2 - x`` calls)."""
    _no_scalar_overload("rsub", input, other, scalar_self=False)
    if isinstance(other, Tensor):
        return _rsub_tensor(input, other, alpha)
    a, b, dt = binary_operands(input, other, half_scalar=True)
    alpha = _half_alpha(alpha, dt)
    _check_sub(dt)
    res = b - (a if alpha == 1 else a * alpha)
    result = _result(res, dt)
    if grad_recording(input):
        record_rsub(result, input, None, alpha)
    return result


def record_rsub(result: Tensor, input: Tensor, other: Any = None, alpha: Any = 1) -> None:
    """``number - tensor``: only the tensor has an edge (RsubBackward1)."""
    node = RsubBackward1()  # per-op fast path (``c - x``): no record_with call
    _keep_alpha(node, alpha)
    record(node, result, input)


class RsubBackward0(_AlphaNode):
    # rsub.Tensor(self, other, alpha) = other - alpha * self ; self: -grad * alpha ; other: grad
    def apply(self, grad: Tensor) -> tuple:
        ga = (-grad if self.alpha == 1 else -grad * self.alpha) if needs(self, 0) else None
        return ga, grad


def _rsub_tensor(input: Tensor, other: Tensor, alpha: Any) -> Tensor:
    with grad_mode.no_grad():
        result = sub(other, input, alpha=alpha)
    if grad_recording(input, other):
        record_with(RsubBackward0(), result, input, other, alpha=alpha)
    return result


# --------------------------------------------------------------------------- mul / div
class MulBackward0(Node):
    # self: mul_tensor_backward(grad, other, self.scalar_type()) = grad * other.conj()
    # other: mul_tensor_backward(grad, self, other.scalar_type()) = grad * self.conj()
    def apply(self, grad: Tensor) -> tuple:
        other, this = self.saved("other") if needs(self, 0) else None, self.saved("self") if needs(self, 1) else None
        arrays = backward_arrays(grad, *(t for t in (other, this) if t is not None))
        if arrays is not None:  # no graph to record: the same products on the arrays
            token = _EXTOBJ.set(_IGNORE_ALL)  # inf * 0 is nan silently, as in the tensor op
            try:
                g, rest = arrays[0], iter(arrays[1:])
                # grad * t where grad is sum()'s expanded 1.0 is t's own bits: t is handed on without the
                # product where nothing will write into it or keep it (reads_grad_only), and for x * x,
                # whose two grads the engine always adds into a new array before anyone sees them
                unit = is_unit_grad(g) and not self._post_hooks
                ga = None
                if other is not None:
                    a = next(rest)
                    ga = Tensor._make(
                        a if unit and (this is other or reads_grad_only(self, 0)) and same_layout(g, a) else g * a
                    )
                if this is not None:
                    # x * x: both products are g * x, the same bits: computed once (the engine adds the two
                    # grads into a new array, it never writes into one it was handed; a post hook might)
                    if this is other and not self._post_hooks:
                        gb = ga
                    else:
                        b = next(rest)
                        gb = Tensor._make(b if unit and reads_grad_only(self, 1) and same_layout(g, b) else g * b)
                else:
                    gb = None
            finally:
                _EXTOBJ.reset(token)
            return ga, gb
        ga = grad * cj(other) if other is not None else None
        gb = grad * cj(this) if this is not None else None
        return ga, gb


class _MulScalarBackward0(Node):
    # MulBackward0 for ``tensor * python_number``: self: grad * other. torch saves the wrapped
    # number as a tensor, so a second backward after release raises; keeping a marker entry in
    # ``_saved`` gives the same error while the scalar itself stays a plain Python number.
    _saved = {"other": None}

    def apply(self, grad: Tensor) -> tuple:
        if self._released:
            raise RuntimeError(FREED_MSG)
        other = self.other
        if (type(other) is float or type(other) is int) and backward_arrays(grad) is not None:
            token = _EXTOBJ.set(_IGNORE_ALL)  # the tensor op's fast path: the same NumPy product, silent
            try:
                return Tensor._make(grad._data * other), None
            finally:
                _EXTOBJ.reset(token)
        return grad * cj(other), None


_MulScalarBackward0.__name__ = _MulScalarBackward0.__qualname__ = "MulBackward0"


def mul(input: Any, other: Any) -> Tensor:
    _check_operand(other, "mul")
    a, b, dt = binary_operands(input, other)
    if dt is D.bool_:
        res = a & b
    else:
        with _ErrState():  # inf * 0 is nan silently, as in torch
            res = a * b
    result = _result(res, dt)
    if grad_recording(input, other):
        record_mul(result, input, other, scalar=b is other and type(other) is not Tensor)
    return result


def record_mul(result: Tensor, input: Any, other: Any, scalar: bool) -> None:
    """``scalar``: ``other`` is a Python number used as is (not promoted to an array)."""
    if scalar and isinstance(input, Tensor):
        node: Node = _MulScalarBackward0()
        node.other = other
        record(node, result, input, None)
        return
    node = MulBackward0()
    record(node, result, input, other)
    if needs(node, 0):
        node.save("other", to_tensor(other, result))
    if needs(node, 1):
        node.save("self", to_tensor(input, result))


class DivBackward0(Node):
    # self: div_tensor_self_backward(grad, other, self.scalar_type()) = grad / other
    # other: div_tensor_other_backward(grad, self, other) = -grad * ((self / other) / other)
    def apply(self, grad: Tensor) -> tuple:
        other = self.saved("other")
        ga = grad / cj(other) if needs(self, 0) else None
        gb = -grad * cj((self.saved("self") / other) / other) if needs(self, 1) else None
        return ga, gb


class DivBackward2(Node):
    # div.Tensor_mode: self: div_tensor_self_backward(grad, other, self.scalar_type(), rounding_mode)
    # = zeros for floor/trunc rounding (the result is piecewise constant)
    def apply(self, grad: Tensor) -> tuple:
        z = grad * 0
        return z, z if needs(self, 1) else None


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    _check_operand(other, "div")
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '" + str(rounding_mode) + "'"
        )
    a, b, dt = binary_operands(input, other)
    xp = _xp(a)
    if rounding_mode is None:
        fdt = D.to_float(dt)
        if fdt is not dt:
            a, dt = a.astype(fdt.np), fdt
            b = b.astype(fdt.np) if hasattr(b, "astype") else b
        with _ErrState(xp):
            res = a / b
    else:
        if dt is D.bool_:
            raise NotImplementedError(f"\"div_{rounding_mode}_cpu\" not implemented for 'Bool'")
        if dt.category < 2 and xp.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        with _ErrState(xp):
            q = a / b if dt.category >= 2 else None
            if dt.category < 2:
                res = xp.floor_divide(a, b) if rounding_mode == "floor" else _int_trunc_div(xp, a, b)
            elif rounding_mode == "floor":
                # floor of the exact quotient (fmod-based, like torch and Python's //), not of the
                # rounded a / b: 1.0 // 0.2 is 4.0; division by zero keeps a / b's inf/nan
                vb = _float_modulo.operand(a, b)
                if vb is not None:
                    res = _float_modulo.floor_divide(a, vb)
                else:
                    res = xp.where(b == 0, q, xp.floor_divide(a, b))
            else:
                res = xp.trunc(q)
    result = _result(res, dt)
    if grad_recording(input, other):
        if rounding_mode is None:
            record_div(result, input, other)
        else:
            record(DivBackward2(), result, input, other)
    return result


def record_div(result: Tensor, input: Any, other: Any) -> None:
    node = DivBackward0()
    record(node, result, input, other)
    node.save("other", to_tensor(other, result))
    if needs(node, 1):
        node.save("self", to_tensor(input, result))


def _int_trunc_div(xp: Any, a: Any, b: Any) -> Any:
    q = xp.floor_divide(a, b)
    return q + ((q < 0) & (q * b != a))


def true_divide(input: Any, other: Any) -> Tensor:
    return div(input, other)


def floor_divide(input: Any, other: Any) -> Tensor:
    """div(rounding_mode="floor") values, but torch records no derivative for it."""
    with grad_mode.no_grad():
        result = div(input, other, rounding_mode="floor")
    if grad_recording(input, other):
        tensors = [t for t in (input, other) if isinstance(t, Tensor)]
        record(NoDerivative("floor_divide"), result, *tensors)
    return result


class _GradOnlySelf(Node):
    def apply(self, grad: Tensor) -> tuple:
        return (grad,)


class _ModTensorBackward(Node):
    # other: -grad * self.div(other, rounding_mode=<the op's rounding>)
    rounding_mode = "floor"

    def apply(self, grad: Tensor) -> tuple:
        gb = None
        if needs(self, 1):
            gb = -grad * self.saved("self").div(self.saved("other"), rounding_mode=self.rounding_mode)
        return grad, gb


class RemainderBackward0(_GradOnlySelf):
    # remainder.Scalar: self: grad
    pass


class RemainderBackward1(_ModTensorBackward):
    # remainder.Tensor: self: grad ; other: -grad * self.div(other, rounding_mode="floor")
    rounding_mode = "floor"


class FmodBackward0(_GradOnlySelf):
    # fmod.Scalar: self: grad
    pass


class FmodBackward1(_ModTensorBackward):
    # fmod.Tensor: self: grad ; other: -grad * self.div(other, rounding_mode="trunc")
    rounding_mode = "trunc"


class NoDerivative(Node):
    """torch::autograd::NotImplemented (the class torch uses for ops without a derivative): backward raises."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def apply(self, *grads: Tensor) -> tuple:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


NoDerivative.__name__ = NoDerivative.__qualname__ = "NotImplemented"  # type(y.grad_fn).__name__ in torch


def _mod_like(input: Any, other: Any, fn_name: str, scalar_node: type, tensor_node: type) -> Tensor:
    _no_scalar_overload(fn_name, input, other, scalar_self=fn_name == "remainder")
    _check_operand(other, fn_name)
    a, b, dt = binary_arrays(input, other)
    xp = _xp(a)
    if dt is D.bool_:
        raise NotImplementedError(f"\"{fn_name}_cpu\" not implemented for 'Bool'")
    if dt.category < 2 and bool(xp.any(b == 0)):
        raise RuntimeError("ZeroDivisionError")
    with _ErrState(xp):
        if _float_modulo.operand(a, b) is not None:
            res = _float_modulo.remainder(a, b) if fn_name == "remainder" else _float_modulo.fmod(a, b)
        else:
            res = (xp.mod(a, b) if fn_name == "remainder" else xp.fmod(a, b)).astype(dt.np)
        if fn_name == "remainder" and res.dtype.kind == "f":
            # torch's kernel keeps fmod's zero, signed as the dividend; NumPy's mod signs it as the divisor
            zero = res == 0
            if zero.any():
                res = xp.where(zero, xp.copysign(res, xp.broadcast_to(a, res.shape)), res).astype(res.dtype)
    result = Tensor._make(res)
    if not isinstance(input, Tensor):
        # remainder(Scalar, Tensor) has no derivative in torch
        if grad_recording(other):
            record(NoDerivative(fn_name), result, other)
        return result
    if not isinstance(other, Tensor):
        if grad_recording(input):
            record(scalar_node(), result, input)
        return result
    if grad_recording(input, other):
        node = tensor_node()
        record(node, result, input, other)
        if needs(node, 1):
            node.save("self", input)
            node.save("other", other)
    return result


def remainder(input: Any, other: Any) -> Tensor:
    """Python-style modulo: the result has the sign of ``other``."""
    return _mod_like(input, other, "remainder", RemainderBackward0, RemainderBackward1)


def fmod(input: Any, other: Any) -> Tensor:
    """C-style modulo: the result has the sign of ``input``."""
    return _mod_like(input, other, "fmod", FmodBackward0, FmodBackward1)


def reciprocal(input: Tensor) -> Tensor:
    dt = float_dtype_of(input)
    res = _unary_compute(input, dt, lambda xp, a: 1 / a)
    result = Tensor._make(res)
    if grad_recording(input):
        node = ReciprocalBackward0()
        record(node, result, input)
        node.save("result", result, is_output=True)
    return result


class ReciprocalBackward0(Node):
    # self: -grad * (result * result).conj()
    def apply(self, grad: Tensor) -> tuple:
        r = self.saved("result")
        return (-grad * cj(r * r),)


# --------------------------------------------------------------------------- pow
class PowBackward0(Node):
    # pow.Tensor_Scalar: self: pow_backward(grad, self, exponent)
    #   = exponent == 0 ? zeros_like : grad * (exponent * self.pow(exponent - 1))
    def apply(self, grad: Tensor) -> tuple:
        e = self.exponent
        if e == 0:
            return (grad * 0,)
        return (grad * cj(self.saved("self").pow(e - 1) * e),)


class PowBackward1(Node):
    # pow.Tensor_Tensor: self: pow_backward_self(grad, self, exponent)
    #   = where(exponent == 0.0, zeros, grad * (exponent * pow(self, exponent - 1)))
    # exponent: pow_backward_exponent(grad, self, exponent, result)
    #   = grad * where((self == 0) & (exponent >= 0), zeros, result * self.log())
    #   (a complex exponent counts as >= 0 when it is real and its real part is)
    def apply(self, grad: Tensor) -> tuple:
        base, exp_ = self.saved("self"), self.saved("exponent")
        ga = gb = None
        if needs(self, 0):
            ga = where(exp_ == 0, 0.0, grad * cj(exp_ * base.pow(exp_ - 1)))
        if needs(self, 1):
            r = self.saved("result")
            nonneg = (exp_.imag == 0) & (exp_.real >= 0) if exp_.is_complex() else exp_ >= 0
            gb = grad * cj(where((base == 0) & nonneg, 0.0, r * _log_of(base, r)))
        return ga, gb


class PowBackward2(Node):
    # pow.Scalar: exponent: pow_backward_exponent(grad, self, exponent, result)
    #   = grad * where(self == 0 & exponent >= 0, zeros, result * log(self))
    def apply(self, grad: Tensor) -> tuple:
        exp_, r = self.saved("exponent"), self.saved("result")
        base = self.base
        if r.is_complex() and base != 0:  # (result * log(self)).conj(), the principal logarithm
            return (grad * cj(r * cmath.log(base)),)
        if base == 0:
            return (grad * where(exp_ >= 0, 0.0, r * math.log(base) if base > 0 else r * float("-inf")),)
        return (grad * (r * _scalar_log(base)),)


def _scalar_log(x: Any) -> float:
    if x > 0:
        return math.log(x)
    return float("nan") if x < 0 else float("-inf")


def _log_of(base: Tensor, like: Tensor) -> Tensor:
    return base.to(like.dtype).log() if base.dtype is not like.dtype else base.log()


def _pow_dtype(base: Any, exponent: Any) -> D.dtype:
    return D.result_type(base, exponent)


# torch's complex pow by a number: sqrt, rsqrt and reciprocal kernels for +-0.5 and -1, products for 2, 3, -2
# (pow_tensor_scalar_optimized_kernel); std::pow, as NumPy's power, for the rest
_COMPLEX_POW = {
    0.5: lambda xp, a: xp.sqrt(a),
    -0.5: lambda xp, a: 1 / xp.sqrt(a),
    -1: lambda xp, a: 1 / a,
    2: lambda xp, a: a * a,
    3: lambda xp, a: a * a * a,
    -2: lambda xp, a: 1 / (a * a),
}


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001
    if not isinstance(input, Tensor):
        return _scalar_pow(input, exponent)
    a, b, dt = binary_operands(input, exponent, half_scalar=True)
    xp = _xp(a)
    if dt is D.bool_:
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if dt.category == 1 and bool(xp.any(b < 0)):
        if not isinstance(exponent, Tensor):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        res = _int_pow_negative(xp, a, b)
    elif dt.is_complex and not isinstance(exponent, Tensor) and exponent in _COMPLEX_POW:
        with _ErrState(xp):
            res = _COMPLEX_POW[exponent](xp, a)
    else:
        with _ErrState(xp):
            res = xp.power(a, b)
    result = _result(res, dt)
    if isinstance(exponent, Tensor):
        if grad_recording(input, exponent):
            node = PowBackward1()
            record(node, result, input, exponent)
            node.save("self", input)
            node.save("exponent", exponent)
            if needs(node, 1):
                node.save("result", result, is_output=True)
    elif grad_recording(input):
        node = PowBackward0()
        node.exponent = exponent
        record(node, result, input)
        if exponent != 0:
            node.save("self", input)
    return result


def _int_pow_negative(xp: Any, a: Any, b: Any) -> Any:
    """Integer a ** b with some b < 0, truncated like torch: only 1 and -1 survive a negative power."""
    pos = xp.power(a, xp.maximum(b, 0))
    neg = xp.where(a == 1, 1, xp.where(a == -1, xp.where(b % 2 == 0, 1, -1), 0)).astype(pos.dtype)
    return xp.where(b < 0, neg, pos)


def _scalar_pow(base: Any, exponent: Tensor) -> Tensor:
    _no_scalar_overload("pow", base, exponent, scalar_self=True)
    a, b, dt = binary_arrays(base, exponent)
    xp = _xp(b)
    with _ErrState(xp):
        res = xp.power(a, b)
    result = _result(res, dt)
    if grad_recording(exponent):
        record_saving(PowBackward2(), result, {"exponent": exponent}, save_result=True, base=base)
    return result


def square(input: Tensor) -> Tensor:
    return pow(input, 2)


def float_power(input: Any, exponent: Any) -> Tensor:
    _no_scalar_overload("float_power", input, exponent, scalar_self=True)
    base = input.to(D.float64) if isinstance(input, Tensor) else float(input)
    exp_ = exponent.to(D.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(base, exp_)


# --------------------------------------------------------------------------- unary math
_xp = array_module

try:  # NumPy's own errstate costs ~4 us per op; setting its context variable directly costs ~0.3 us
    from numpy._core._ufunc_config import _extobj_contextvar as _EXTOBJ
    from numpy._core.umath import _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")
except ImportError:  # pragma: no cover - other NumPy layouts fall back to np.errstate
    _EXTOBJ = None


_PLAIN_FLOATS = (np.float32, np.float64)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def backward_arrays(grad: Tensor, *saved: Tensor) -> list | None:
    """The NumPy arrays of ``grad`` and ``saved`` where a backward formula may run on arrays, or None.

    That is where the tensor formula would compute the same NumPy expression: no create_graph (no graph to
    record), no forward-AD level (no tangents to carry), plain ``Tensor`` objects, and NumPy arrays of one
    float32/float64 dtype (the tensor ops' fast paths). The caller then skips the ops' dispatch and can write
    a product into a temporary of its own instead of allocating another.
    """
    if grad_mode._state.enabled or grad_mode.forward_level.token is not None or _EXTOBJ is None:
        return None
    g = grad._data
    gdt = g.dtype
    # NumPy's native float32/float64 dtypes are singletons: identity answers (a byte-swapped array falls back)
    if type(g) is not np.ndarray or (gdt is not _F32 and gdt is not _F64) or type(grad) is not Tensor:
        return None
    arrays = [g]
    for t in saved:
        a = t._data
        if type(a) is not np.ndarray or a.dtype is not gdt or type(t) is not Tensor:
            return None
        arrays.append(a)
    return arrays


# Backward nodes whose formula only reads its grad, into a new array of its own (a product): a grad handed to
# one of them may share memory with a saved tensor, since nothing writes into it and nobody keeps it
# (unary.py adds sin/cos/exp). The product also quiets a signalling NaN as the skipped ``1.0 * t`` would.
GRAD_READERS: set[type] = set()


def is_unit_grad(g: Any) -> bool:
    """Whether ``g`` is an expanded +1.0 (``sum()``'s grad, ``expand`` of the seed): all its elements are the
    one value in memory. IEEE ``1.0 * t`` is ``t`` bit for bit (the sign of zero included), so such a product
    can be skipped."""
    return g.ndim > 0 and g.size > 0 and not any(g.strides) and g.flat[0] == 1


def same_layout(g: Any, a: Any) -> bool:
    # ``g * a`` has g's shape and, for a C-contiguous ``a``, is C-contiguous: ``a`` itself stands in for it
    return a.shape == g.shape and a.flags.c_contiguous


def reads_grad_only(node: Node, i: int) -> bool:
    """Whether the grad for ``node``'s input ``i`` may share memory with a saved tensor: a plain
    ``backward()`` (autograd.grad would hand it to the user), going to a node in GRAD_READERS without hooks."""
    task = running_tasks[-1] if running_tasks else None
    if task is None or task.needed is not None:
        return False
    target = node.next_functions[i][0]
    return (
        type(target) in GRAD_READERS
        and not target._pre_hooks
        and not target._tensor_pre_hooks
        and not target._retains_grad
    )


def times_into(g: Any, fresh: Any) -> Any:
    """``g * fresh`` written over ``fresh`` (a temporary the caller made) when the shapes allow it; IEEE
    multiplication is commutative, so the bits are those of ``g * fresh``."""
    if fresh.shape == g.shape and fresh.ndim:
        return np.multiply(g, fresh, out=fresh)
    return g * fresh


class _ErrState:
    """Silence NumPy's floating-point warnings (1/0, log(0), inf*0): torch gives inf/nan silently."""

    __slots__ = ("_ctx", "_token")

    def __init__(self, xp: Any = None) -> None:
        self._token = None
        self._ctx = None if _EXTOBJ is not None else np.errstate(all="ignore")

    def __enter__(self) -> None:
        if self._ctx is None:
            self._token = _EXTOBJ.set(_IGNORE_ALL)
        else:
            self._ctx.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._ctx is None:
            _EXTOBJ.reset(self._token)
        else:
            self._ctx.__exit__(*exc)


_errstate = _ErrState  # the name other op modules use


def _unary_compute(t: Tensor, dt: D.dtype, fn: Any) -> Any:
    a = t._data
    if a.dtype != dt.np:
        a = a.astype(dt.np)
    if dt is D.float16 or dt is D.bfloat16:
        a = a.astype(np.float32)  # torch's Half kernels compute in float32 and round once
    xp = np if type(a) is np.ndarray else _xp(a)
    if _EXTOBJ is not None:
        token = _EXTOBJ.set(_IGNORE_ALL)  # log(0), sqrt(-1): inf/nan silently, as in torch
        try:
            res = fn(xp, a)
        finally:
            _EXTOBJ.reset(token)
    else:  # pragma: no cover
        with _ErrState():
            res = fn(xp, a)
    if res.dtype != dt.np:
        res = res.astype(dt.np)
    return res


class NegBackward0(Node):
    # self: grad.neg()
    def apply(self, grad: Tensor) -> tuple:
        return (-grad,)


def neg(input: Tensor) -> Tensor:
    if input._data.dtype == bool:
        raise _bool_arithmetic_error()(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )
    result = Tensor._make(-input._data)
    if grad_recording(input):
        record(NegBackward0(), result, input)
    return result


negative = neg


def positive(input: Tensor) -> Tensor:
    """torch.positive: the input itself (no copy, no node), refused on bool as the unary ``+`` is."""
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class AbsBackward0(Node):
    # self: grad * self.sgn()
    def apply(self, grad: Tensor) -> tuple:
        return (grad * self.saved("self").sgn(),)


def abs(input: Tensor) -> Tensor:  # noqa: A001
    if input._data.dtype == bool:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    result = Tensor._make(_xp(input._data).abs(input._data))
    if grad_recording(input):
        record_saving(AbsBackward0(), result, {"self": input})
    return result


absolute = abs


# --------------------------------------------------------------------------- clamp / min-max / where
class ClampBackward1(Node):
    # clamp(Scalar min, Scalar max): self: clamp_backward(grad, self, min, max)
    #   torch 2.13: grad * ((self >= min) & (self <= max)), the grad passes at the bounds;
    #   torch 2.14: grad * ((self > min) & (self < max)), zero at a bound (2.14 release notes: clamp's gradient)
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        lo, hi = self.min, self.max
        inside = (s > lo if lo is not None else None, s < hi if hi is not None else None)
        if not since("2.14"):
            inside = (s >= lo if lo is not None else None, s <= hi if hi is not None else None)
        low, high = inside
        mask = low & high if low is not None and high is not None else low if low is not None else high
        return (where(mask, grad, 0.0),)


class ClampBackward0(Node):
    # clamp.Tensor: self: clamp_backward(grad, self, min, max); min, max: clamp_backward_min_max
    #   torch 2.13: self gets where(self >= min & self <= max, grad, 0); min where(self < min & min < max),
    #     max where(self > max | max < min)
    #   torch 2.14: a tie splits the grad in halves (as maximum/minimum): min gets where(self < min & min <= max)
    #     plus half where self == min < max; max gets where(self > max | min > max) plus half where
    #     min < self == max; self gets the rest (so the three always sum to grad, NaN rows included)
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        lo = self.saved("min") if self.has_min else None
        hi = self.saved("max") if self.has_max else None
        if since("2.14"):
            return _clamp_tensor_split(self, grad, s, lo, hi)
        if lo is not None and hi is not None:
            g_self = where((s >= lo) & (s <= hi), grad, 0.0)
            g_min = where((s < lo) & (lo < hi), grad, 0.0) if needs(self, 1) else None
            g_max = where((s > hi) | (hi < lo), grad, 0.0) if needs(self, 2) else None
        elif lo is not None:
            g_self = where(s >= lo, grad, 0.0)
            g_min, g_max = (where(s < lo, grad, 0.0) if needs(self, 1) else None), None
        else:
            g_self = where(s <= hi, grad, 0.0)
            g_min, g_max = None, (where(s > hi, grad, 0.0) if needs(self, 2) else None)
        return g_self, g_min, g_max


def _clamp_tensor_split(node: Node, grad: Tensor, s: Tensor, lo: Tensor | None, hi: Tensor | None) -> tuple:
    """torch 2.14's clamp.Tensor backward: the bounds take what they won, halves at a tie, self the rest."""
    half = grad * 0.5
    zero = 0.0
    g_min = g_max = None
    if lo is not None and hi is not None:
        g_min = where((s < lo) & (lo <= hi), grad, where((s == lo) & (s < hi), half, zero))
        g_max = where((s > hi) | (lo > hi), grad, where((s == hi) & (s > lo), half, zero))
    elif lo is not None:
        g_min = where(s < lo, grad, where(s == lo, half, zero))
    else:
        g_max = where(s > hi, grad, where(s == hi, half, zero))
    g_self = grad
    for g in (g_min, g_max):
        if g is not None:
            g_self = g_self - g
    return (
        g_self,
        g_min if needs(node, 1) else None,
        g_max if needs(node, 2) else None,
    )


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(input, Tensor) and input._data.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensor(input, min, max)
    dt = D.result_type(input, *(v for v in (min, max) if v is not None))
    a = input._data if input._data.dtype == dt.np else input._data.astype(dt.np)
    xp = _xp(a)
    res = a
    if min is not None:
        res = xp.maximum(res, dt.np.type(min))
    if max is not None:
        res = xp.minimum(res, dt.np.type(max))
    if xp.isnan(a).any() if a.dtype.kind == "f" else False:
        res = xp.where(xp.isnan(a), a, res)  # NaN propagates through clamp
    if res is a:
        res = a.copy()
    result = Tensor._make(res.astype(dt.np, copy=False))
    if grad_recording(input):
        node = ClampBackward1()
        node.min, node.max = min, max
        record(node, result, input)
        node.save("self", input)
    return result


def _clamp_tensor(input: Tensor, lo: Any, hi: Any) -> Tensor:
    check_same_device(input, lo, hi)
    dt = D.result_type(input, *(v for v in (lo, hi) if v is not None))
    like = input._data
    a = as_array(input, dt, like)
    xp = _xp(a)
    res = a
    if lo is not None:
        res = xp.maximum(res, as_array(lo, dt, like))
    if hi is not None:
        res = xp.minimum(res, as_array(hi, dt, like))
    result = Tensor._make(xp.array(res, dtype=dt.np, copy=True) if res is a else res.astype(dt.np, copy=False))
    lo_t = to_tensor(lo, input) if lo is not None else None
    hi_t = to_tensor(hi, input) if hi is not None else None
    if grad_recording(input, lo_t, hi_t):
        node = ClampBackward0()
        node.has_min, node.has_max = lo is not None, hi is not None
        record(node, result, input, lo_t, hi_t)
        node.save("self", input)
        if lo_t is not None:
            node.save("min", lo_t)
        if hi_t is not None:
            node.save("max", hi_t)
    return result


clip = clamp


class ClampMinBackward0(Node):
    # clamp_min(Scalar): self: where(self >= min, grad, 0); torch 2.14: where(self > min, grad, 0)
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (where(s > self.min if since("2.14") else s >= self.min, grad, 0.0),)


class ClampMaxBackward0(Node):
    # clamp_max(Scalar): self: where(self <= max, grad, 0); torch 2.14: where(self < max, grad, 0)
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (where(s < self.max if since("2.14") else s <= self.max, grad, 0.0),)


class ClampMinBackward1(Node):
    # clamp_min.Tensor: self: where(self >= min, grad, 0) ; min: where(self < min, grad, 0)
    #   torch 2.14: a tie splits the grad in halves, as maximum's backward
    def apply(self, grad: Tensor) -> tuple:
        s, lo = self.saved("self"), self.saved("bound")
        if since("2.14"):
            return _minmax_backward(self, grad, lose_self="lt", other="bound")
        ga = where(s >= lo, grad, 0.0) if needs(self, 0) else None
        gb = where(s < lo, grad, 0.0) if needs(self, 1) else None
        return ga, gb


class ClampMaxBackward1(Node):
    # clamp_max.Tensor: self: where(self <= max, grad, 0) ; max: where(self > max, grad, 0)
    #   torch 2.14: a tie splits the grad in halves, as minimum's backward
    def apply(self, grad: Tensor) -> tuple:
        s, hi = self.saved("self"), self.saved("bound")
        if since("2.14"):
            return _minmax_backward(self, grad, lose_self="gt", other="bound")
        ga = where(s <= hi, grad, 0.0) if needs(self, 0) else None
        gb = where(s > hi, grad, 0.0) if needs(self, 1) else None
        return ga, gb


def _clamp_one_side(input: Tensor, bound: Any, side: str) -> Tensor:
    """clamp_min / clamp_max: clamp's values, with their own nodes."""
    is_min = side == "min"
    with grad_mode.no_grad():
        result = clamp(input, min=bound) if is_min else clamp(input, max=bound)
    if isinstance(bound, Tensor):
        if grad_recording(input, bound):
            record_saving(
                ClampMinBackward1() if is_min else ClampMaxBackward1(), result, {"self": input, "bound": bound}
            )
    elif grad_recording(input):
        node = ClampMinBackward0() if is_min else ClampMaxBackward0()
        setattr(node, side, bound)
        record(node, result, input)
        node.save("self", input)
    return result


def clamp_min(input: Tensor, min: Any) -> Tensor:
    _no_scalar_overload("clamp_min", input, min, scalar_self=False)
    if input._data.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    return _clamp_one_side(input, min, "min")


def clamp_max(input: Tensor, max: Any) -> Tensor:
    _no_scalar_overload("clamp_max", input, max, scalar_self=False)
    if input._data.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    return _clamp_one_side(input, max, "max")


class MaximumBackward0(Node):
    # self: at::where(self == other, grad / 2, grad).masked_fill_(self < other, 0)
    # other: at::where(self == other, grad / 2, grad).masked_fill_(self > other, 0)
    def apply(self, grad: Tensor) -> tuple:
        return _minmax_backward(self, grad, lose_self="lt")


class MinimumBackward0(Node):
    # self: at::where(self == other, grad / 2, grad).masked_fill_(self > other, 0)
    # other: at::where(self == other, grad / 2, grad).masked_fill_(self < other, 0)
    def apply(self, grad: Tensor) -> tuple:
        return _minmax_backward(self, grad, lose_self="gt")


def _minmax_backward(node: Node, grad: Tensor, lose_self: str, other: str = "other") -> tuple:
    a, b = node.saved("self"), node.saved(other)
    split = where(a == b, grad / 2, grad)
    self_loses, other_loses = (a < b, a > b) if lose_self == "lt" else (a > b, a < b)
    ga = where(self_loses, 0.0, split) if needs(node, 0) else None
    gb = where(other_loses, 0.0, split) if needs(node, 1) else None
    return ga, gb


def _binary_minmax(input: Tensor, other: Tensor, pick: str, node_cls: type) -> Tensor:
    for arg, position, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{pick}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    a, b, dt = binary_arrays(input, other)
    xp = _xp(a)
    res = getattr(xp, pick)(a, b)  # NaN-propagating like torch
    result = Tensor._make(res.astype(dt.np, copy=False))
    if grad_recording(input, other):
        record_saving(node_cls(), result, {"self": input, "other": other})
    return result


def maximum(input: Tensor, other: Tensor) -> Tensor:
    if any(isinstance(t, Tensor) and t._data.dtype.kind == "c" for t in (input, other)):
        raise RuntimeError("maximum not implemented for complex tensors.")
    return _binary_minmax(input, other, "maximum", MaximumBackward0)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    if any(isinstance(t, Tensor) and t._data.dtype.kind == "c" for t in (input, other)):
        raise RuntimeError("minimum not implemented for complex tensors.")
    return _binary_minmax(input, other, "minimum", MinimumBackward0)


class WhereBackward0(Node):
    # self: where(condition, grad, 0) ; other: where(condition, 0, grad)
    def apply(self, grad: Tensor) -> tuple:
        cond = self.saved("condition")
        ga = where(cond, grad, 0.0) if needs(self, 0) else None
        gb = where(cond, 0.0, grad) if needs(self, 1) else None
        return ga, gb


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)  # type: ignore[attr-defined]
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    if condition._data.dtype != bool:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            + _scalar_name(condition.dtype)
        )
    check_same_device(condition, input, other)
    a, b, dt = binary_arrays(input, other)
    xp = _xp(condition._data)
    res = xp.where(condition._data, a, b)
    result = _result(res, dt)
    if grad_recording(input, other):
        node = WhereBackward0()
        record(node, result, input, other)
        node.save("condition", condition)
    return result


# --------------------------------------------------------------------------- misc
class LerpBackward0(Node):
    # lerp.Scalar: self: grad * (1 - weight.toDouble()) ; end: grad * weight
    def apply(self, grad: Tensor) -> tuple:
        w = self.weight
        return (grad * cj(1 - w) if needs(self, 0) else None), (grad * cj(w) if needs(self, 1) else None)


class LerpBackward1(Node):
    # lerp.Tensor: self: grad * (1 - weight).conj() ; end: grad * weight.conj() ; weight: grad * (end - self).conj()
    def apply(self, grad: Tensor) -> tuple:
        w = self.saved("weight")
        ga = grad * cj(1 - w) if needs(self, 0) else None
        gb = grad * cj(w) if needs(self, 1) else None
        gw = grad * cj(self.saved("end") - self.saved("self")) if needs(self, 2) else None
        return ga, gb, gw


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight * (end - input), computed from the nearer end as torch does (exact at weight 0 and 1)."""
    a, b, dt = binary_arrays(input, end)
    w = as_array(weight, dt, a)
    xp = _xp(a)
    if dt is D.float16 or dt is D.bfloat16:  # in float32, with the weight as given (a Python number is not rounded)
        a, b = a.astype(np.float32), b.astype(np.float32)
        w = w.astype(np.float32) if isinstance(weight, Tensor) else xp.asarray(weight, dtype=np.float32)
    with _ErrState(xp):
        if dt is D.bfloat16:  # torch's float32 FMAs (exact in float64, rounded to float32), then bfloat16
            a64, d64, w64 = a.astype(np.float64), (b - a).astype(np.float64), w.astype(np.float64)
            res = xp.where(xp.abs(w) < 0.5, a64 + w64 * d64, b - d64 * (1 - w).astype(np.float64))
            res = res.astype(np.float32)
        else:
            res = xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))
    result = Tensor._make(res.astype(dt.np, copy=False))
    if isinstance(weight, Tensor):
        if grad_recording(input, end, weight):
            node = LerpBackward1()
            record(node, result, input, end, weight)
            node.save("weight", weight)
            if needs(node, 2):
                node.save("self", input)
                node.save("end", end)
    elif grad_recording(input, end):
        node = LerpBackward0()
        node.weight = weight
        record(node, result, input, end)
    return result


class AddcmulBackward0(Node):
    # self: grad ; tensor1: grad * (tensor2 * value).conj() ; tensor2: grad * (tensor1 * value).conj()
    def apply(self, grad: Tensor) -> tuple:
        v = self.value
        g1 = grad * cj(self.saved("tensor2") * v) if needs(self, 1) else None
        g2 = grad * cj(self.saved("tensor1") * v) if needs(self, 2) else None
        return grad, g1, g2


class AddcdivBackward0(Node):
    # self: grad ; tensor1: grad * (value / tensor2).conj()
    # tensor2: -grad * (value * tensor1 / (tensor2 * tensor2)).conj()
    def apply(self, grad: Tensor) -> tuple:
        v, t2 = self.value, self.saved("tensor2")
        g1 = grad * cj(v / t2) if needs(self, 1) else None
        g2 = -grad * cj(v * self.saved("tensor1") / (t2 * t2)) if needs(self, 2) else None
        return grad, g1, g2


def _addc(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: Any, divide: bool) -> Tensor:
    with grad_mode.no_grad():
        same = all(t._data.dtype == input._data.dtype and type(t._data) is np.ndarray for t in (tensor1, tensor2))
        if (input._data.dtype == np.float16 or input._data.dtype == D.BF16) and same:
            result = _addc_half(input, tensor1, tensor2, value, divide)
        elif (
            same
            and input._data.dtype in (np.float32, np.float64)
            and type(input._data) is np.ndarray
            and (_broadcastable(input, tensor1, tensor2))
        ):
            result = _addc_float(input, tensor1, tensor2, value, divide)
        else:
            scaled = tensor1 * value if value != 1 else tensor1  # torch: value * t1 first
            result = add(input, scaled / tensor2 if divide else scaled * tensor2)
    if grad_recording(input, tensor1, tensor2):
        node = AddcdivBackward0() if divide else AddcmulBackward0()
        node.value = value
        record(node, result, input, tensor1, tensor2)
        if needs(node, 1) or needs(node, 2):
            node.save("tensor1", tensor1)
            node.save("tensor2", tensor2)
    return result


def _broadcastable(*tensors: Tensor) -> bool:
    try:
        np.broadcast_shapes(*(t._data.shape for t in tensors))
    except ValueError:
        return False  # the general path raises torch's error
    return True


def _addc_float(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: Any, divide: bool) -> Tensor:
    """torch's CPU kernels (found by experiment, bit-identical): addcmul is fma(value * t1, t2, self),
    the compiler fusing the last multiply with the add; addcdiv is (value * t1) / t2 + self."""
    a = input._data
    shape = np.broadcast_shapes(a.shape, tensor1._data.shape, tensor2._data.shape)
    v = a.dtype.type(value)
    with _ErrState(_xp(a)):
        scaled = tensor1._data * v
        if divide:
            res = scaled / tensor2._data + a
        else:
            fma = _rng_math.fma32 if a.dtype == np.float32 else _rng_math.fma64
            b = np.broadcast_to
            res = fma(b(scaled, shape), b(tensor2._data, shape), b(a, shape))
    return Tensor._make(np.array(np.broadcast_to(res, shape), dtype=a.dtype, order="C"))  # 0-d stays 0-d


def _addc_half(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: Any, divide: bool) -> Tensor:
    """Half addcmul/addcdiv: ``input + value * t1 (*|/) t2`` in float32, rounded to half once."""
    a, t1, t2 = (t._data.astype(np.float32) for t in (input, tensor1, tensor2))
    v = np.float32(value)
    with _ErrState(_xp(a)):
        res = a + v * (t1 / t2 if divide else t1 * t2)
    return Tensor._make(res.astype(input._data.dtype))


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return _addc(input, tensor1, tensor2, value, divide=False)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return _addc(input, tensor1, tensor2, value, divide=True)


# torch's ScalarType name (Float, Long, Bool ...) used in kernel error messages
_scalar_name = scalar_type_name


# --------------------------------------------------------------------------- nan_to_num
class NanToNumBackward0(Node):
    # nan_to_num: self: grad * at::isfinite(self)
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")._data
        return (grad * Tensor._make(_xp(x).isfinite(x)),)


def nan_to_num(
    input: Tensor,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    _check_tensor("nan_to_num", input)
    a = input._data
    if a.dtype.kind not in "fc":
        return Tensor._make(a.copy())  # nothing to replace in an integer or bool tensor
    info = D.np_finfo(a.real.dtype)  # a complex tensor's real and imaginary parts are replaced apart
    res = input._xp.nan_to_num(
        a, nan=nan, posinf=info.max if posinf is None else posinf, neginf=info.min if neginf is None else neginf
    ).astype(a.dtype, copy=False)
    out = Tensor._make(res)
    if grad_recording(input):
        record_saving(NanToNumBackward0(), out, {"self": input})
    return out


# --------------------------------------------------------------------------- nextafter
class NextafterBackward0(Node):
    # nextafter: self: grad (the step is below rounding), other: zeros
    def apply(self, grad: Tensor) -> tuple:
        return (grad if needs(self, 0) else None), (grad * 0 if needs(self, 1) else None)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    _check_tensor("nextafter", input)
    _tensor_other("nextafter", other)
    a, b, dt = binary_arrays(input, other)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{_type_name(dt)}'")
    out = Tensor._make(input._xp.nextafter(a, b).astype(dt.np, copy=False))
    if grad_recording(input, other):
        record(NextafterBackward0(), out, input, other)
    return out


# --------------------------------------------------------------------------- binary floating ops
def _tensor_other(name: str, other: Any) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


def _float_binary(name: str, input: Tensor, other: Any, int_to_float: bool) -> tuple[Any, Any, D.dtype]:
    """Both operands in the promoted dtype; integer results become the default float (``int_to_float``) or
    raise torch's "not implemented" error. Half computes in float32 (callers round back)."""
    _check_tensor(name, input)
    _tensor_other(name, other)
    a, b, dt = binary_arrays(input, other)
    if dt.category < 2:
        if not int_to_float:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{scalar_type_name(dt)}'")
        dt = D.get_default_dtype()
    calc = np.float32 if dt in D.REDUCED_FLOATS else dt.np
    return a.astype(calc, copy=False), b.astype(calc, copy=False), dt


def _float_binary_op(
    name: str,
    input: Tensor,
    other: Any,
    node_cls: type,
    *,
    ufunc: str = "",
    int_to_float: bool = False,
    save_result: bool = False,
) -> Tensor:
    """atan2, hypot, logaddexp, logaddexp2: ``xp.<ufunc>`` (``name`` by default) of the operands from
    ``_float_binary``; the node saves self and other (and the result if ``save_result``)."""
    a, b, dt = _float_binary(name, input, other, int_to_float)
    with _errstate(input._xp):
        res = getattr(input._xp, ufunc or name)(a, b)
    out = Tensor._make(res.astype(dt.np, copy=False))
    if grad_recording(input, other):
        record_saving(node_cls(), out, {"self": input, "other": other}, save_result=save_result)
    return out


class Atan2Backward0(Node):
    # atan2: self, other: atan2_backward(grad, self, other, grad_input_mask)
    #   recip = (self * self + other * other).reciprocal(); {grad * other * recip, grad * -self * recip}
    def apply(self, grad: Tensor) -> tuple:
        x, y = self.saved("self"), self.saved("other")
        recip = reciprocal(x * x + y * y)
        ga = grad * y * recip if needs(self, 0) else None
        gb = grad * -x * recip if needs(self, 1) else None
        return ga, gb


def atan2(input: Tensor, other: Tensor) -> Tensor:
    return _float_binary_op("atan2", input, other, Atan2Backward0, ufunc="arctan2", int_to_float=True)


arctan2 = atan2


class HypotBackward0(Node):
    # hypot: self: grad * self / result ; other: grad * other / result
    def apply(self, grad: Tensor) -> tuple:
        r = self.saved("result")
        ga = grad * self.saved("self") / r if needs(self, 0) else None
        gb = grad * self.saved("other") / r if needs(self, 1) else None
        return ga, gb


def hypot(input: Tensor, other: Tensor) -> Tensor:
    return _float_binary_op("hypot", input, other, HypotBackward0, save_result=True)


class LogaddexpBackward0(Node):
    # logaddexp: self: grad / (1 + exp(other - self)) ; other: grad / (1 + exp(self - other))
    def apply(self, grad: Tensor) -> tuple:
        x, y = self.saved("self"), self.saved("other")
        ga = grad / (1 + exp(y - x)) if needs(self, 0) else None
        gb = grad / (1 + exp(x - y)) if needs(self, 1) else None
        return ga, gb


class Logaddexp2Backward0(Node):
    # logaddexp2: self: grad / (1 + pow(2, other - self)) ; other: grad / (1 + pow(2, self - other))
    def apply(self, grad: Tensor) -> tuple:
        x, y = self.saved("self"), self.saved("other")
        ga = grad / (1 + pow(2, y - x)) if needs(self, 0) else None
        gb = grad / (1 + pow(2, x - y)) if needs(self, 1) else None
        return ga, gb


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    return _float_binary_op("logaddexp", input, other, LogaddexpBackward0)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    return _float_binary_op("logaddexp2", input, other, Logaddexp2Backward0)


class _CopysignSelf(Node):
    def _self_grad(self, grad: Tensor) -> Tensor:
        # copysign_tensor_self_backward: ratio = result / self, masked to 0 where self == 0; grad * ratio
        x, r = self.saved("self"), self.saved("result")
        return grad * where(_const(x._data == 0), 0.0, r / x)


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


def copysign(input: Tensor, other: Any) -> Tensor:
    _no_scalar_overload("copysign", input, other, scalar_self=False)
    if isinstance(other, Tensor):
        check_broadcast(input._data.shape, other._data.shape)
    dt = D.result_type(input, other)
    if dt.category < 2:
        dt = D.get_default_dtype()  # promoted first: copysign(uint8, -1) must not wrap -1 into uint8
    calc = D.float32 if dt in D.REDUCED_FLOATS else dt
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


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    _check_tensor("heaviside", input)
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, b, dt = binary_arrays(input, values)
    xp = input._xp
    res = xp.where(a == 0, b, a > 0).astype(dt.np)
    if a.dtype.kind == "f":
        res = xp.where(xp.isnan(a), a, res)
    out = Tensor._make(res)
    if grad_recording(input, values):
        record(NoDerivative("heaviside"), out, input, values)
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


def _unary_float(name: str, input: Tensor, fn: Any, node_cls: type, ints: bool) -> Tensor:
    _check_tensor(name, input)
    dt = _FROM_NUMPY[input._data.dtype]
    if dt.category < 2:
        if not ints:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{scalar_type_name(dt)}'")
        dt = D.get_default_dtype()
    out = Tensor._make(_unary_compute(input, dt, fn))
    if grad_recording(input):
        record(node_cls(), out, input)
    return out


def frac(input: Tensor) -> Tensor:
    return _unary_float("frac", input, lambda xp, a: a - xp.trunc(a), FracBackward0, ints=False)


def deg2rad(input: Tensor) -> Tensor:
    # torch multiplies by the constant rounded to the tensor's compute dtype
    return _unary_float("deg2rad", input, lambda xp, a: a * a.dtype.type(math.pi / 180.0), Deg2RadBackward0, ints=True)


def rad2deg(input: Tensor) -> Tensor:
    return _unary_float("rad2deg", input, lambda xp, a: a * a.dtype.type(180.0 / math.pi), Rad2DegBackward0, ints=True)


# --------------------------------------------------------------------------- fmax / fmin, gcd / lcm, frexp / ldexp
class FmaxBackward0(Node):
    # self: grad.masked_fill((self >= other).logical_or_(other.isnan()).logical_not_(), 0)
    # other: grad.masked_fill((self >= other).logical_or_(other.isnan()), 0)
    def apply(self, grad: Tensor) -> tuple:
        return _fminmax_backward(self, grad, np.greater_equal)


class FminBackward0(Node):
    # self: grad.masked_fill((self <= other).logical_or_(other.isnan()).logical_not_(), 0)
    # other: grad.masked_fill((self <= other).logical_or_(other.isnan()), 0)
    def apply(self, grad: Tensor) -> tuple:
        return _fminmax_backward(self, grad, np.less_equal)


def _fminmax_backward(node: Node, grad: Tensor, compare: Any) -> tuple:
    a, b = node.saved("self")._data, node.saved("other")._data
    with _ErrState():
        self_wins = _const(compare(a, b) | np.isnan(b))  # a constant mask: the formula's masked_fill
    ga = where(self_wins, grad, 0.0) if needs(node, 0) else None
    gb = where(self_wins, 0.0, grad) if needs(node, 1) else None
    return ga, gb


def _fminmax(name: str, input: Tensor, other: Tensor, ufunc: Any, node_cls: type) -> Tensor:
    for arg, position, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    a, b, dt = binary_arrays(input, other)
    with _ErrState():
        res = ufunc(a, b)  # NaN-ignoring: the other operand wins over a NaN, as torch's fmax/fmin
    result = Tensor._make(res.astype(dt.np, copy=False))
    if grad_recording(input, other):
        record_saving(node_cls(), result, {"self": input, "other": other})
    return result


def fmax(input: Tensor, other: Tensor) -> Tensor:
    return _fminmax("fmax", input, other, np.fmax, FmaxBackward0)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    return _fminmax("fmin", input, other, np.fmin, FminBackward0)


def _integer_binary(name: str, input: Tensor, other: Any, fn: Any) -> Tensor:
    for arg, position, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    a, b, dt = binary_arrays(input, other)
    if dt.category != 1:  # torch's integral kernels: no bool, no floating
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_scalar_name(dt)}'")
    return Tensor._make(fn(a, b).astype(dt.np, copy=False))


def gcd(input: Tensor, other: Tensor) -> Tensor:
    return _integer_binary("gcd", input, other, np.gcd)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    # torch: g = gcd(a, b); g == 0 ? 0 : abs(a / g * b), wrapping in the dtype
    def values(a: Any, b: Any) -> Any:
        g = np.gcd(a, b)
        with np.errstate(all="ignore"):
            return np.abs(np.where(g == 0, 0, a // np.where(g == 0, 1, g) * b))

    return _integer_binary("lcm", input, other, values)


class FrexpBackward0(Node):
    # self: grad / exponent.exp2()
    def apply(self, grad: Tensor) -> tuple:
        return (grad / _const(np.ldexp(np.ones((), grad._data.dtype), self.exponent)),)


def frexp(input: Tensor) -> tuple:
    _check_tensor("frexp", input)
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(input._data)
    mantissa = Tensor._make(mantissa)
    exponent_t = Tensor._make(exponent.astype(np.int32))
    if grad_recording(input):
        node = FrexpBackward0()
        node.exponent = exponent  # an integer array: the exponent output is not differentiable
        record(node, mantissa, input)
    return _Frexp(mantissa, exponent_t)


_Frexp = return_type("frexp", ("mantissa", "exponent"))


class LdexpBackward0(Node):
    # self: grad * at::pow(2, other).conj()
    # other: grad * result.conj() * M_LN2
    def apply(self, grad: Tensor) -> tuple:
        other = self.saved("other")
        ga = grad * pow(2.0, other) if needs(self, 0) else None
        gb = grad * self.saved("result") * math.log(2.0) if needs(self, 1) else None
        return ga, gb


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    for arg, position, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"ldexp(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    a, b, dt = binary_arrays(input, other)
    if dt.category < 2:
        dt = D.get_default_dtype()  # ldexp of integers is the default float dtype
    with _ErrState():
        res = a.astype(dt.np, copy=False) * np.exp2(b.astype(dt.np, copy=False))
    result = Tensor._make(res.astype(dt.np, copy=False))
    if grad_recording(input, other):
        node = LdexpBackward0()
        record(node, result, input, other)
        node.save("other", other)
        node.save("result", result, is_output=True)
    return result


# --------------------------------------------------------------------------- unary math
# exp, log, the trigonometric functions, floor/ceil/round ... live in unary.py (with their backward nodes);
# their names stay importable from here
from .unary import (  # noqa: E402, F401
    ReluBackward0,
    SigmoidBackward0,
    SinBackward0,
    _erf,
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cos,
    cosh,
    erf,
    exp,
    expm1,
    fix,
    floor,
    log,
    log1p,
    log2,
    log10,
    relu,
    round,  # noqa: A004 - torch.round
    rsqrt,
    sgn,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
    trunc,
)

# --------------------------------------------------------------------------- exports
__all__ = [
    "abs", "absolute", "add", "addcdiv", "addcmul", "clamp", "clamp_max", "clamp_min", "clip", "div", "float_power",
    "floor_divide", "fmod", "lerp", "maximum", "minimum", "mul", "neg", "negative", "pow", "reciprocal", "remainder",
    "rsub", "square", "sub", "true_divide", "where", "arctan2", "atan2", "copysign", "deg2rad", "frac", "heaviside",
    "hypot", "logaddexp", "logaddexp2", "nan_to_num", "nextafter", "rad2deg",
    "fmax", "fmin", "frexp", "gcd", "lcm", "ldexp",
]  # fmt: skip
multiply, subtract, divide = mul, sub, div
__all__ += ["multiply", "subtract", "divide"]
__all__ += ["positive"]
METHODS = {name: globals()[name] for name in __all__ if name not in ("rsub", "where")}
METHODS["where"] = lambda self, condition, other: where(condition, self, other)


# ``2 % x``: remainder(Scalar, Tensor)
def _rmod(self: Tensor, other: Any) -> Any:
    # torch/_tensor.py: remainder(other, self), a TypeError (two numbers) becoming NotImplemented
    if not _scalar_or_tensor(other):
        return NotImplemented
    try:
        return remainder(other, self)
    except TypeError:
        return NotImplemented


METHODS["__rmod__"] = _rmod


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    # float_power's result is double (complex double): in place, self must already hold it
    want = (
        D.complex128
        if self.dtype.is_complex or (isinstance(exponent, Tensor) and exponent.dtype.is_complex)
        else D.float64
    )
    if self.dtype is not want:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {scalar_type_name(self.dtype)} but the operation's result "
            f"requires dtype {scalar_type_name(want)}"
        )
    return inplace_method(float_power)(self, exponent)


METHODS["float_power_"] = _float_power_
METHODS.update({
    name + "_": inplace_method(globals()[name])
    for name in ("arctan2", "atan2", "copysign", "deg2rad", "frac", "heaviside", "hypot", "nan_to_num", "nextafter",
                 "rad2deg")
})  # fmt: skip
METHODS.update({name + "_": inplace_method(globals()[name]) for name in ("gcd", "lcm", "ldexp")})
