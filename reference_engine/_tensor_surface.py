"""Tensor's surface: every ``Tensor`` attribute not defined in ``tensor.py``'s class body, attached here.

``tensor.py`` sits low in the import layers (below the ops, the backward
engine and the creation functions), so the methods that need those modules
are attached here, once, by the package face (``reference_engine/__init__``
imports this module before anything else that uses tensors). No other module
changes ``Tensor``; ``tests/meta/test_tensor_surface.py`` checks that, and
lists where every public attribute comes from.

Where each group comes from:

=====================================  ==========================================================
attributes                             source
=====================================  ==========================================================
``__new__`` (``torch.Tensor(2, 3)``)   ``_tensortype.legacy_tensor_construct``
``new_tensor``, ``new_zeros`` ...      ``_creation`` (``NEW_METHODS`` below)
``backward``                           ``autograd.backward``
``add``, ``sum``, ``view`` ... (ops)   each op module's ``METHODS`` (modules in ``ops._MODULES``)
``add_``, ``exp_`` ... (in-place)      ``ops.inplace.inplace_method`` over ``INPLACE`` below
``zero_``, ``fill_``, ``copy_``        ``ops.inplace``
``T``, ``mT``                          ``ops.shape._T``, ``ops.shape._mT`` (properties)
``real``, ``imag``                     ``ops.complex_numbers.PROPERTIES`` (settable properties)
``normal_``, ``uniform_`` ...          ``random.TENSOR_METHODS``
``__add__``, ``__eq__`` ... (dunders)  ``ops.pointwise``, ``ops.comparison``, ``ops.blas``, below (``x + y`` has a fast path)
=====================================  ==========================================================
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import _creation, _tensortype, ops, random
from .autograd import backward, grad_mode
from .autograd.graph import Node
from .ops import blas, comparison, indexing, pointwise, shape
from .ops._util import check_broadcast
from .ops.inplace import copy_, fill_, inplace_method, zero_
from .tensor import Tensor, grad_recording

# --------------------------------------------------------------------------- methods defined elsewhere
Tensor.__new__ = staticmethod(_tensortype.legacy_tensor_construct)  # type: ignore[assignment]

NEW_METHODS = {
    "new_tensor": _creation.new_tensor, "new_zeros": _creation.new_zeros, "new_ones": _creation.new_ones,
    "new_empty": _creation.new_empty, "new_full": _creation.new_full,
}  # fmt: skip
for _name, _fn in NEW_METHODS.items():
    setattr(Tensor, _name, _fn)


def _backward(
    self: Tensor,
    gradient: Tensor | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


_backward.__name__ = _backward.__qualname__ = "backward"
Tensor.backward = _backward  # type: ignore[method-assign]

# Methods that are the same function as torch.<name>(tensor, ...)
for _mod in ops._MODULES:
    for _name, _fn in getattr(_mod, "METHODS", {}).items():
        setattr(Tensor, _name, _fn)

for _name, _fn in random.TENSOR_METHODS.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(shape._T)  # type: ignore[assignment]
Tensor.mT = property(shape._mT)  # type: ignore[assignment]
Tensor.mH = property(shape._mH)  # type: ignore[assignment]
Tensor.H = property(shape._H)  # type: ignore[assignment]
for _name, (_get, _set) in ops.complex_numbers.PROPERTIES.items():
    setattr(Tensor, _name, property(_get, _set))

# In-place variants derived from the out-of-place op.
INPLACE = (
    "add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt",
    "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "clamp", "clamp_min", "clamp_max", "clip", "floor",
    "ceil", "round", "trunc", "sign", "reciprocal", "square", "remainder", "fmod", "lerp", "addcmul", "addcdiv",
    "sinh", "cosh", "asin", "acos", "atan", "erf", "erfinv", "erfc", "lgamma", "digamma", "i0", "sinc", "logit",
    "xlogy", "exp2", "true_divide", "floor_divide", "maximum", "minimum",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "polygamma",
    "cumsum", "sgn", "fix", "negative", "absolute", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "tril", "triu", "subtract", "multiply", "divide", "greater", "greater_equal",
    "less", "less_equal", "not_equal", "mvlgamma", "arccos", "arcsin", "arctan", "arcsinh", "arccosh", "arctanh",
    "asinh", "acosh", "atanh",
)  # fmt: skip
for _name in INPLACE:
    if hasattr(Tensor, _name):
        setattr(Tensor, _name + "_", inplace_method(getattr(Tensor, _name)))
# in-place abs would have to store real magnitudes in complex memory: torch refuses it
_abs_ = Tensor.abs_


def _abs_inplace(self: Tensor) -> Tensor:
    if self.is_complex():
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return _abs_(self)


_abs_inplace.__name__ = _abs_inplace.__qualname__ = "abs_"
Tensor.abs_ = Tensor.absolute_ = _abs_inplace  # type: ignore[attr-defined]
Tensor.zero_ = zero_
Tensor.fill_ = fill_
Tensor.copy_ = copy_


# --------------------------------------------------------------------------- operators
def _rdiv(self: Tensor, other: Any) -> Tensor:
    # torch/_tensor.py's __rdiv__: other / self == self.reciprocal() * other (so 2 / x has MulBackward0); called
    # through the class with a number for self, it fails on ``reciprocal`` as torch's does
    return self.reciprocal() * other


def _rpow(self: Tensor, other: Any) -> Tensor:
    return pointwise.pow(other, self)


def _descriptor_error(name: str, self: Any) -> TypeError:
    # torch's C-level operators are method descriptors of TensorBase: Tensor.__radd__(2, x) is refused by Python
    return TypeError(
        f"descriptor '{name}' for 'torch._C.TensorBase' objects doesn't apply to a '{type(self).__name__}' object"
    )


def _binary_dunder(fn: Any, name: str | None = None) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        if name is not None and not isinstance(self, Tensor):
            raise _descriptor_error(name, self)
        if not pointwise._scalar_or_tensor(other):
            return NotImplemented
        return fn(self, other)

    return method


def _type_error_to_not_implemented(fn: Any) -> Any:
    """torch's Python-level reflected operators (``__rsub__``, ``__rmod__``, ``__rpow__`` in torch/_tensor.py):
    a TypeError from the op they call becomes NotImplemented (``_handle_torch_function_and_wrap_type_error_to_not_
    implemented``), so Python goes on to its own error."""

    def method(self: Tensor, other: Any) -> Any:
        try:
            return fn(self, other)
        except TypeError:
            return NotImplemented

    return method


def _fast_arith(op: Any, record_fn: Any, slow: Any, name: str) -> Any:
    """``x + y`` and friends: the general op, behind a fast path for the common case.

    The fast path covers a floating NumPy tensor with a Python number or a
    tensor of the same dtype (where NumPy already computes in torch's dtype);
    it records the same node as the general op through the same function.
    Everything else goes to the general op, which promotes and checks.
    """
    is_mul = op is operator.mul

    def method(self: Tensor, other: Any) -> Any:
        try:
            a = self._data
        except AttributeError:  # called through the class with a non-tensor self (zero cost in the common case)
            raise _descriptor_error(name, self) from None
        dt = a.dtype
        # float32/float64 (Half computes in float32): NumPy's native dtypes are singletons, identity answers
        if (dt is _F32 or dt is _F64) and type(a) is np.ndarray:
            to = type(other)
            if to is float or to is int:
                b = other
            elif to is Tensor and type(other._data) is np.ndarray and other._data.dtype is dt:
                b = other._data
                if b.shape != a.shape:
                    check_broadcast(a.shape, b.shape)
            else:
                return slow(self, other) if pointwise._scalar_or_tensor(other) else NotImplemented
            token = _EXTOBJ.set(_IGNORE_ALL)  # inf * 0 and 1 / 0 stay silent, as in torch
            try:
                res = op(a, b)
            finally:
                _EXTOBJ.reset(token)
            out = Tensor._make(res)
            if grad_mode._state.enabled and (
                self._requires_grad or self._grad_fn is not None
                or (b is not other and (other._requires_grad or other._grad_fn is not None))
                # a view whose base gained history in place since (Tensor._refresh_view)
                or (
                    (self._base is not None or (b is not other and other._base is not None))
                    and grad_recording(self, other if b is not other else None)
                )
            ):  # fmt: skip
                if is_mul:
                    record_fn(out, self, other, b is other)
                else:
                    record_fn(out, self, other)
            return out
        return slow(self, other) if pointwise._scalar_or_tensor(other) else NotImplemented

    return method


if pointwise._EXTOBJ is not None:
    _EXTOBJ, _IGNORE_ALL = pointwise._EXTOBJ, pointwise._IGNORE_ALL
    _F32, _F64 = pointwise._F32, pointwise._F64
    Tensor.__add__ = _fast_arith(operator.add, pointwise.record_add, pointwise.add, "__add__")
    Tensor.__radd__ = _fast_arith(operator.add, pointwise.record_add, pointwise.add, "__radd__")
    Tensor.__sub__ = _fast_arith(operator.sub, pointwise.record_sub, pointwise.sub, "__sub__")
    Tensor.__mul__ = _fast_arith(operator.mul, pointwise.record_mul, pointwise.mul, "__mul__")
    Tensor.__rmul__ = _fast_arith(operator.mul, pointwise.record_mul, pointwise.mul, "__rmul__")
    Tensor.__truediv__ = _fast_arith(operator.truediv, pointwise.record_div, pointwise.div, "__truediv__")
else:  # pragma: no cover - NumPy without the errstate context variable
    Tensor.__add__ = _binary_dunder(pointwise.add, "__add__")
    Tensor.__radd__ = _binary_dunder(pointwise.add, "__radd__")
    Tensor.__sub__ = _binary_dunder(pointwise.sub, "__sub__")
    Tensor.__mul__ = _binary_dunder(pointwise.mul, "__mul__")
    Tensor.__rmul__ = _binary_dunder(pointwise.mul, "__rmul__")
    Tensor.__truediv__ = _binary_dunder(pointwise.div, "__truediv__")
# torch's __rsub__ is rsub(self, other) in Python: a tensor ``other`` gives RsubBackward0 (the tensor overload);
# ``1 - x`` (a number ``other``) keeps the fast path
_rsub_number = (
    _fast_arith(lambda a, b: b - a, pointwise.record_rsub, pointwise.rsub, "__rsub__")
    if pointwise._EXTOBJ is not None
    else _binary_dunder(pointwise.rsub)
)


def _rsub(self: Tensor, other: Any) -> Any:
    return pointwise.rsub(self, other) if isinstance(other, Tensor) else _rsub_number(self, other)


Tensor.__rsub__ = _type_error_to_not_implemented(_rsub)
# torch's __rdiv__ and __rtruediv__ are one Python function that turns a TypeError into NotImplemented
Tensor.__rdiv__ = Tensor.__rtruediv__ = _type_error_to_not_implemented(_rdiv)
Tensor.__floordiv__ = _binary_dunder(pointwise.floor_divide)
Tensor.__rfloordiv__ = _binary_dunder(lambda self, other: pointwise.floor_divide(other, self))
Tensor.__mod__ = _binary_dunder(pointwise.remainder)
Tensor.__pow__ = _binary_dunder(pointwise.pow)
Tensor.__rpow__ = _type_error_to_not_implemented(_binary_dunder(_rpow))


def _tensor_only(fn: Any) -> Any:
    # torch's @ accepts tensors only: ``x @ 3`` is Python's "unsupported operand" TypeError
    def method(self: Tensor, other: Any) -> Any:
        return fn(self, other) if isinstance(other, Tensor) else NotImplemented

    return method


Tensor.__matmul__ = _tensor_only(blas.matmul)
Tensor.__rmatmul__ = _tensor_only(lambda self, other: blas.matmul(other, self))
Tensor.__neg__ = pointwise.neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = pointwise.abs
Tensor.__eq__ = _binary_dunder(comparison.eq)
Tensor.__ne__ = _binary_dunder(comparison.ne)
Tensor.__lt__ = _binary_dunder(comparison.lt)
Tensor.__le__ = _binary_dunder(comparison.le)
Tensor.__gt__ = _binary_dunder(comparison.gt)
Tensor.__ge__ = _binary_dunder(comparison.ge)
Tensor.__and__ = _binary_dunder(comparison.bitwise_and, "__and__")
Tensor.__rand__ = _binary_dunder(comparison.bitwise_and, "__rand__")
Tensor.__or__ = _binary_dunder(comparison.bitwise_or, "__or__")
Tensor.__ror__ = _binary_dunder(comparison.bitwise_or, "__ror__")
Tensor.__xor__ = _binary_dunder(comparison.bitwise_xor, "__xor__")
Tensor.__rxor__ = _binary_dunder(comparison.bitwise_xor, "__rxor__")
Tensor.__invert__ = comparison.bitwise_not
Tensor.__getitem__ = indexing.getitem
Tensor.__setitem__ = indexing.setitem


def _iop(name: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return getattr(self, name)(other)

    return method


def _fast_iop(op: Any, name: str) -> Any:
    """``x += y`` and ``x -= y``: ``x.add_(y)``, behind a fast path for an optimizer's step written by hand
    (``p -= lr * p.grad`` under no_grad).

    The fast path covers no grad recording and no forward-AD level, a tensor ``y`` of ``x``'s floating dtype
    and shape, both NumPy arrays, and a class that keeps Tensor's method: there the method computes the same
    array (``commit`` writes ``x - y`` into ``x``) and bumps the version counter, with nothing to check or
    record. Everything else calls the method.
    """
    plain = getattr(Tensor, name)

    def method(self: Tensor, other: Any) -> Tensor:
        if (
            not grad_mode._state.enabled
            and type(other) is Tensor
            and grad_mode.forward_level.token is None
            and getattr(type(self), name) is plain
        ):
            a, b = self._data, other._data
            if (
                type(a) is np.ndarray
                and type(b) is np.ndarray
                and a.dtype is b.dtype
                and a.dtype.kind == "f"
                and a.dtype.itemsize >= 4  # Half computes in float32
                and a.shape == b.shape
            ):
                token = _EXTOBJ.set(_IGNORE_ALL)  # inf - inf stays silent, as in torch
                try:
                    a[...] = op(a, b)
                finally:
                    _EXTOBJ.reset(token)
                self._vc[0] += 1  # after the write, as commit: an inference tensor's counter raises here
                return self
        return getattr(self, name)(other)

    return method


if pointwise._EXTOBJ is not None:
    Tensor.__iadd__ = _fast_iop(operator.add, "add_")
    Tensor.__isub__ = _fast_iop(operator.sub, "sub_")
else:  # pragma: no cover - NumPy without the errstate context variable
    Tensor.__iadd__ = _iop("add_")
    Tensor.__isub__ = _iop("sub_")
Tensor.__imul__ = _iop("mul_")
Tensor.__itruediv__ = _iop("div_")
Tensor.__ipow__ = _iop("pow_")
Tensor.__ifloordiv__ = _iop("floor_divide_")
Tensor.__imod__ = _iop("remainder_")


# --------------------------------------------------------------------------- inference tensors
# A tensor made while inference mode is on is an inference tensor: its version counter is a
# ``grad_mode.InferenceVersion``, which refuses in-place writes outside the mode. Views share their base's
# counter, so a view of an inference tensor is one and a view of a normal tensor taken in inference mode is
# not, as in torch. Instead of a test in every ``Tensor._make`` (the hot path of every op), ``_make`` is
# swapped for a marking one while the mode is on (grad_mode calls ``_inference_changed`` on each change).
# The mode's flag is per thread, the swap is not: another thread's tensors made meanwhile are marked too.
INFERENCE_SAVE_MSG = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it "
    "in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
)
INFERENCE_REQUIRES_GRAD_MSG = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."

_InferenceVersion = grad_mode.InferenceVersion
_plain_make = Tensor.__dict__["_make"].__func__
_plain_save = Node.save
_plain_set_requires_grad = Tensor._set_requires_grad


def _is_inference(self: Tensor) -> bool:
    return type(self._vc) is _InferenceVersion


def _inference_make(cls: type, data: Any, grad_fn: Any = None, output_nr: int = 0) -> Tensor:
    t = _plain_make(cls, data, grad_fn, output_nr)
    t._vc = _InferenceVersion(t._vc)
    return t


def _checked_save(self: Node, name: str, tensor: Tensor, is_output: bool = False) -> None:
    # SavedVariable's check: recording is off in inference mode, so a save here is outside it
    if type(tensor._vc) is _InferenceVersion:
        raise RuntimeError(INFERENCE_SAVE_MSG)
    _plain_save(self, name, tensor, is_output)


def _checked_set_requires_grad(self: Tensor, value: bool, setter: bool) -> None:
    if value is True and not grad_mode._state.inference and type(self._vc) is _InferenceVersion:
        raise RuntimeError(INFERENCE_REQUIRES_GRAD_MSG)
    _plain_set_requires_grad(self, value, setter)


def _inference_changed(on: bool) -> None:
    Tensor._make = classmethod(_inference_make if on else _plain_make)  # type: ignore[assignment]
    if on and Node.save is _plain_save:
        # inference tensors may now exist (and outlive the mode): from here on, saves and
        # requires_grad_ check for them; code that never enters inference mode never pays
        Node.save = _checked_save  # type: ignore[method-assign]
        Tensor._set_requires_grad = _checked_set_requires_grad  # type: ignore[method-assign]


Tensor.is_inference = _is_inference
grad_mode._on_inference_change = _inference_changed


# --------------------------------------------------------------------------- stft / istft
# torch.stft and torch.istft sit over torch.fft and F.pad, above the op modules; imported last, once every method
# those packages may use at import time is in place
from .fft._stft import METHODS as _STFT_METHODS  # noqa: E402

for _name, _fn in _STFT_METHODS.items():
    setattr(Tensor, _name, _fn)
