"""Comparisons, logic and bit operations (no derivative: the results are bool or integer tensors).

eq/ne/lt/le/gt/ge and their aliases, logical_and/or/xor/not, bitwise_and/or/xor/not, isnan/isinf/isfinite,
isclose/allclose/equal and signbit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ._util import binary_arrays, invalid_combination
from .inplace import inplace_method, scalar_type_name
from .pointwise import _check_tensor, _scalar_name, _scalar_or_tensor, _xp


# --------------------------------------------------------------------------- comparisons and logic (no grad)
def _compare(name: str, fn: Any) -> Any:
    ordered = name not in ("eq", "ne")

    def op(input: Any, other: Any) -> Any:
        if not isinstance(input, Tensor):  # torch.eq(1, t): no overload takes a number first
            raise invalid_combination(name, input, other)
        if not _scalar_or_tensor(other):
            if name in ("eq", "ne"):
                return NotImplemented  # x == "abc" falls back to Python's identity comparison
            raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        a, b, dt = binary_arrays(input, other)
        if ordered and dt.is_complex:  # complex numbers have no order
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{scalar_type_name(dt)}'")
        return Tensor._make(fn(a, b))

    op.__name__ = op.__qualname__ = name
    return op


eq = _compare("eq", lambda a, b: a == b)
ne = _compare("ne", lambda a, b: a != b)
lt = _compare("lt", lambda a, b: a < b)
le = _compare("le", lambda a, b: a <= b)
gt = _compare("gt", lambda a, b: a > b)
ge = _compare("ge", lambda a, b: a >= b)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logical(name: str, fn: Any) -> Any:
    def op(input: Tensor, other: Any) -> Tensor:
        for arg, position, value in (("input", 1, input), ("other", 2, other)):
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
                )
        a, b, _ = binary_arrays(input, other)
        return Tensor._make(fn(_xp(a), a.astype(bool), b.astype(bool)))

    op.__name__ = op.__qualname__ = name
    return op


logical_and = _logical("logical_and", lambda xp, a, b: xp.logical_and(a, b))
logical_or = _logical("logical_or", lambda xp, a, b: xp.logical_or(a, b))
logical_xor = _logical("logical_xor", lambda xp, a, b: xp.logical_xor(a, b))


def logical_not(input: Tensor) -> Tensor:
    return Tensor._make(_xp(input._data).logical_not(input._data))


def _bitwise(name: str, fn: Any) -> Any:
    def op(input: Tensor, other: Any) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise invalid_combination(name, input, other)
        a, b, dt = binary_arrays(input, other)
        if dt.category >= 2:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_scalar_name(dt)}'")
        return Tensor._make(fn(a, b))

    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise("bitwise_and", lambda a, b: a & b)
bitwise_or = _bitwise("bitwise_or", lambda a, b: a | b)
bitwise_xor = _bitwise("bitwise_xor", lambda a, b: a ^ b)


def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_scalar_name(input.dtype)}'")
    return Tensor._make(~input._data)


def isnan(input: Tensor) -> Tensor:
    return Tensor._make(_xp(input._data).isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    return Tensor._make(_xp(input._data).isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    return Tensor._make(_xp(input._data).isfinite(input._data))


def isposinf(input: Tensor) -> Tensor:
    return _signed_inf("isposinf", input, np.inf)


def isneginf(input: Tensor) -> Tensor:
    return _signed_inf("isneginf", input, -np.inf)


def _signed_inf(name: str, input: Tensor, inf: float) -> Tensor:
    _check_tensor(name, input)
    a = input._data
    if a.dtype.kind == "c":
        raise RuntimeError(f"{name} does not support complex inputs.")
    if a.dtype.kind != "f":  # integers and bools are never infinite
        return Tensor._make(input._xp.zeros(a.shape, dtype=bool))
    return Tensor._make(a == inf)


def isreal(input: Tensor) -> Tensor:
    _check_tensor("isreal", input)
    a = input._data
    if a.dtype.kind == "c":
        return Tensor._make(a.imag == 0)
    return Tensor._make(input._xp.ones(a.shape, dtype=bool))


def _shift(name: str, kernel: str, fn: Any) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise invalid_combination(name, input, other)
        a, b, dt = binary_arrays(input, other)
        if dt.category != 1:
            raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_scalar_name(dt)}'")
        bits = a.dtype.itemsize * 8
        b = np.asarray(b)
        # torch's kernels define the shifts by a negative amount or by the width or more (UB in C); as unsigned,
        # a negative amount is huge, so one comparison finds both
        unsigned = b.view(b.dtype.str.replace("i", "u")) if b.dtype.kind == "i" else b
        out_of_range = unsigned >= bits
        with np.errstate(all="ignore"):
            if out_of_range.any():
                res = fn(a, np.where(out_of_range, 0, b).astype(a.dtype), out_of_range, bits)
            else:
                res = fn(a, b, None, bits)
        return Tensor._make(res.astype(dt.np, copy=False))

    op.__name__ = op.__qualname__ = name
    return op


# a left shift past the width is 0; a right shift past it fills with the sign bit (a >> (bits - 1))
def _lshift(a: Any, b: Any, out_of_range: Any, bits: int) -> Any:
    return a << b if out_of_range is None else np.where(out_of_range, 0, a << b)


def _rshift(a: Any, b: Any, out_of_range: Any, bits: int) -> Any:
    if out_of_range is None:
        return a >> b
    fill = a >> (bits - 1) if a.dtype.kind == "i" else 0  # the sign bit for signed types; unsigned empty out
    return np.where(out_of_range, fill, a >> b)


bitwise_left_shift = _shift("bitwise_left_shift", "lshift", _lshift)
bitwise_right_shift = _shift("bitwise_right_shift", "rshift", _rshift)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    a, b, _ = binary_arrays(input, other)
    return bool(_xp(a).allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    _check_tensor("isclose", input)
    if not isinstance(other, Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    for tol, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{tol} must be greater than or equal to zero, but got {value}")
    a, b, _ = binary_arrays(input, other)
    return Tensor._make(_xp(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    if input.shape != other.shape:
        return False
    a, b, _ = binary_arrays(input, other)
    return bool((a == b).all())


def signbit(input: Tensor) -> Tensor:
    _check_tensor("signbit", input)
    a = input._data
    if a.dtype.kind == "f":
        return Tensor._make(input._xp.signbit(a))
    return Tensor._make(a < 0 if a.dtype.kind == "i" else input._xp.zeros(a.shape, dtype=bool))


# --------------------------------------------------------------------------- exports
__all__ = [
    "allclose", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "eq", "equal", "ge", "greater",
    "greater_equal", "gt", "isclose", "isfinite", "isinf", "isnan", "le", "less", "less_equal", "logical_and",
    "logical_not", "logical_or", "logical_xor", "lt", "ne", "not_equal", "signbit",
    "bitwise_left_shift", "bitwise_right_shift", "isneginf", "isposinf", "isreal",
]  # fmt: skip
METHODS = {name: globals()[name] for name in __all__}
METHODS.update({
    "bitwise_left_shift_": inplace_method(bitwise_left_shift), "bitwise_right_shift_": inplace_method(bitwise_right_shift),
    "__lshift__": lambda self, other: bitwise_left_shift(self, other) if _scalar_or_tensor(other) else NotImplemented,
    "__rshift__": lambda self, other: bitwise_right_shift(self, other) if _scalar_or_tensor(other) else NotImplemented,
    "__rlshift__": lambda self, other: bitwise_left_shift(other, self) if _scalar_or_tensor(other) else NotImplemented,
    "__rrshift__": lambda self, other: bitwise_right_shift(other, self) if _scalar_or_tensor(other) else NotImplemented,
    "__ilshift__": lambda self, other: self.bitwise_left_shift_(other),
    "__irshift__": lambda self, other: self.bitwise_right_shift_(other),
})  # fmt: skip
