"""torch dtypes and torch's type-promotion rules.

Promotion follows ATen's ``ResultTypeState``: operands are grouped into
dimensioned tensors, zero-dim tensors and wrapped Python scalars; a lower
group only changes the result when it is of a higher *category*
(bool < integer < floating < complex).
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:  # noqa: N801 - mirrors torch.dtype
    """A torch dtype: ``repr`` is ``torch.float32`` like torch's."""

    __slots__ = ("category", "is_complex", "is_floating_point", "is_signed", "itemsize", "name", "np", "tensor_type")

    def __init__(self, name: str, np_dtype: type, category: int, tensor_type: str) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = self.np.kind in "fic" or category == _FLOAT
        self.itemsize = self.np.itemsize
        self.tensor_type = tensor_type

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> tuple:
        return (_by_name, (self.name,))

    def to_complex(self) -> dtype:
        return complex128 if self is float64 else complex64

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)


float16 = dtype("float16", np.float16, _FLOAT, "HalfTensor")
# ml_dtypes' NumPy bfloat16 (its array kind is "V", not "f": code that tests arrays must ask the torch dtype)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, "BFloat16Tensor")
float32 = dtype("float32", np.float32, _FLOAT, "FloatTensor")
float64 = dtype("float64", np.float64, _FLOAT, "DoubleTensor")
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloatTensor")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDoubleTensor")
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor")
int8 = dtype("int8", np.int8, _INT, "CharTensor")
int16 = dtype("int16", np.int16, _INT, "ShortTensor")
int32 = dtype("int32", np.int32, _INT, "IntTensor")
int64 = dtype("int64", np.int64, _INT, "LongTensor")
bool_ = dtype("bool", np.bool_, _BOOL, "BoolTensor")
# one of torch's "shell" unsigned types: a dtype tensors can hold (torch.hash_tensor's result), that promotes with
# nothing but itself and the floating types
uint64 = dtype("uint64", np.uint64, _INT, "UInt64Tensor")

# torch's aliases (float, int and bool are exported by the package, not shadowed here)
half, double, short, long = float16, float64, int16, int64
cfloat, cdouble = complex64, complex128

ALL_DTYPES = (
    float16,
    bfloat16,
    float32,
    float64,
    complex64,
    complex128,
    uint8,
    int8,
    int16,
    int32,
    int64,
    bool_,
    uint64,
)
# c10's ScalarType names, for promote_types' refusal
_SCALAR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                      "uint64": "UInt64", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}  # fmt: skip
_FROM_NUMPY = {d.np: d for d in ALL_DTYPES}

_default_dtype = [float32]


def _by_name(name: str) -> dtype:
    return next(d for d in ALL_DTYPES if d.name == name)


# torch's legacy tensor type names ("torch.FloatTensor", "torch.cuda.LongTensor") that the engine has no dtype for
_MISSING_TYPE_NAMES = {"ComplexHalfTensor": "complex32"}

# The 16-bit floats torch computes in float32 ("opmath") and rounds once to their own type
REDUCED_FLOATS = (float16, bfloat16)
BF16 = bfloat16.np  # the NumPy dtype, for array-level tests


def np_finfo(dtype: Any) -> Any:
    """NumPy's finfo of a NumPy float dtype, bfloat16 included (NumPy refuses ml_dtypes' types before 0.6)."""
    return ml_dtypes.finfo(dtype) if np.dtype(dtype) == BF16 else np.finfo(dtype)


_F32 = np.dtype(np.float32)


def astype(arr: np.ndarray, d: dtype) -> np.ndarray:
    """``arr`` in ``d``. torch converts any other type to bfloat16 through float32 (c10::BFloat16 is built from
    a float), so a double rounds twice, where ml_dtypes' direct cast rounds once."""
    if d is bfloat16 and arr.dtype != _F32 and arr.dtype != BF16:
        arr = arr.astype(_F32)
    return arr.astype(d.np)


def from_type_name(name: str) -> tuple[dtype, bool]:
    """The dtype a legacy type name gives, and whether it names a GPU type: ``"torch.cuda.LongTensor"`` ->
    ``(int64, True)``; ``"torch.Tensor"`` is the default dtype. torch's ValueError for any other name."""
    cuda, rest = name.startswith("torch.cuda."), name.rsplit(".", maxsplit=1)[-1]
    if name in ("torch.Tensor", "torch.cuda.Tensor"):
        return get_default_dtype(), cuda
    if name.count(".") == (2 if cuda else 1) and name.startswith("torch."):
        for d in ALL_DTYPES:
            if d.tensor_type == rest:
                return d, cuda
        if rest in _MISSING_TYPE_NAMES:
            raise NotImplementedError(f"{name}: reference_engine has no {_MISSING_TYPE_NAMES[rest]} dtype")
    raise ValueError(f"invalid type: '{name}'")


def get_default_dtype() -> dtype:
    return _default_dtype[0]


def set_default_dtype(d: dtype) -> None:
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype[0] = d


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
            "uint16, uint8, and bool."
        ) from None


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the floating operand wins over an integer one (unlike NumPy)."""
    if a is b:
        return a
    if a is uint64 or b is uint64:
        other = b if a is uint64 else a
        if other.category == _FLOAT:
            return other
        raise RuntimeError(
            "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
            f"{_SCALAR_TYPE_NAMES[a.name]} and {_SCALAR_TYPE_NAMES[b.name]}"
        )
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.is_complex and lo.is_floating_point:
            return complex128 if lo is float64 or hi is complex128 else hi
        if hi.category >= _FLOAT:
            return hi
        return hi  # integer beats bool
    if a.category == _FLOAT:
        if a.itemsize == b.itemsize:
            return float32  # float16 with bfloat16: neither holds the other
        return a if a.itemsize > b.itemsize else b
    return _FROM_NUMPY[np.promote_types(a.np, b.np)]


def _scalar_dtype(value: object) -> dtype:
    """The dtype a wrapped Python scalar contributes (bool, int64, default float/complex)."""
    if isinstance(value, bool | np.bool_):
        return bool_
    if isinstance(value, int | np.integer):
        return int64
    if isinstance(value, complex):
        return get_default_dtype().to_complex()
    return get_default_dtype()


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # ATen's combine_categories
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: object) -> dtype:
    """torch.result_type over tensors and Python scalars."""
    dim = zero = wrapped = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = _scalar_dtype(op)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def to_float(d: dtype) -> dtype:
    """The dtype a floating-only op (sin, exp, true division) computes in."""
    return d if d.category >= _FLOAT else get_default_dtype()


# c10's names of the C types a Python number is converted to (in its checked_convert error)
_C_TYPES = {"float32": "float", "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
            "uint8": "uint8_t"}  # fmt: skip


def real_fill(value: Any, d: dtype) -> Any:
    """A Python number written into a tensor of dtype ``d`` (fill values, ``x[i] = v``): a complex number goes
    into a real (non-bool) tensor only when its imaginary part is zero, as torch's checked conversion."""
    if isinstance(value, complex) and not d.is_complex and d is not bool_:
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES.get(d.name, 'double')} without overflow")
        return value.real
    return value
