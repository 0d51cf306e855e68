"""torch's legacy typed constructors: ``torch.FloatTensor``, ``torch.LongTensor`` ... and ``torch.Tensor(...)``.

``torch.FloatTensor([1, 2])`` copies data into a float32 tensor, ``torch.FloatTensor(2, 3)`` makes an
uninitialised one of that size (zeros here: reproducible), ``torch.FloatTensor()`` an empty one and
``torch.FloatTensor(t)`` aliases a float32 tensor ``t`` (``AliasBackward0`` when ``t`` requires grad).
The classes are not subclasses of ``Tensor`` and cannot be subclassed; ``isinstance(x, torch.FloatTensor)``
asks whether ``x`` is a float32 CPU tensor, as torch's metaclass (``torch.tensortype``) does.
``torch.cuda.FloatTensor`` and friends (``CUDA_TYPES``) build on the engine's GPU and raise torch's
``TypeError`` without one. ``torch.Tensor(...)`` (``legacy_tensor_construct``, attached as ``Tensor.__new__``
by ``_tensor_surface``) is the same constructor for the default dtype, aliasing a tensor of any dtype.
Errors are torch's (the first line of ``new() received an invalid combination of arguments``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _dtype as D
from ._backend import cupy_module
from ._creation import check_int_device, empty, tensor
from ._device import as_device
from ._device import device as _device_cls
from ._layout import strided
from .tensor import Size, Tensor, _class_name

__all__ = [
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
    "LongTensor", "ShortTensor",
]  # fmt: skip

# the C++ type names torch's TensorOptions error prints
_C_NAMES = {
    D.float16: "c10::Half", D.bfloat16: "c10::BFloat16", D.float32: "float", D.float64: "double", D.complex64: "c10::complex<float>",
    D.complex128: "c10::complex<double>", D.uint8: "unsigned char", D.int8: "signed char", D.int16: "short int",
    D.int32: "int", D.int64: "long int", D.bool_: "bool",
}  # fmt: skip

_SIGNATURES = (
    " * (*, torch.device device = None)\n * (torch.Storage storage)\n * (Tensor other)\n"
    " * (tuple of ints size, *, torch.device device = None)\n * (object data, *, torch.device device = None)\n"
)


def _arg_name(value: Any) -> str:
    if isinstance(value, Tensor):
        return "Tensor"
    if isinstance(value, D.dtype):
        return "torch.dtype"
    if isinstance(value, _device_cls):
        return "torch.device"
    return _class_name(type(value))


def _invalid(args: tuple, kwargs: dict) -> TypeError:
    got = ", ".join([*map(_arg_name, args), *(f"{k}={_arg_name(v)}" for k, v in kwargs.items())])
    return TypeError(
        f"new() received an invalid combination of arguments - got ({got}), but expected one of:\n{_SIGNATURES}"
    )


def _options(d: D.dtype, device_type: str) -> str:
    return (
        f"TensorOptions(dtype={_C_NAMES[d]}, device={device_type}, layout=Strided, requires_grad=false (default), "
        "pinned_memory=false (default), memory_format=(nullopt))"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _sizes(args: tuple) -> tuple[int, ...]:
    """Positional sizes (the first an int): torch's unpacking errors, then its negative-dimension error."""
    out = []
    for pos, s in enumerate(args, 1):
        if not isinstance(s, int | np.integer):  # a bool after the first size counts as an int, as in torch
            raise TypeError(
                f"new(): argument 'size' failed to unpack the object at pos {pos} with error "
                f'"type must be tuple of ints,but got {_arg_name(s)}"'
            )
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, out))}]")
    return tuple(out)


def _check_device(device: Any, device_type: str) -> None:
    if device is not None:
        check_int_device(device)
        dev = as_device(device)
        if dev.type != device_type:
            raise RuntimeError(
                f"legacy constructor expects device type: {device_type} but device type: {dev.type} was passed"
            )


def _alias(src: Tensor, dtype: D.dtype | None, cuda: bool, device: Any) -> Tensor:
    """``torch.FloatTensor(t)``: ``t`` itself under another name, if it already is such a tensor."""
    if device is not None:
        raise RuntimeError(
            "Legacy tensor constructor of the form torch.Tensor(tensor, device=device) is not supported.  "
            "Use torch.tensor(...) or torch.as_tensor(...) instead."
        )
    if dtype is not None and (src.dtype is not dtype or src.is_cuda != cuda):
        ours, theirs = ("cuda" if cuda else "cpu"), ("cuda" if src.is_cuda else "cpu")
        raise TypeError(f"expected {_options(dtype, ours)} (got {_options(src.dtype, theirs)})")
    return src[...]  # an alias: same storage and version counter, AliasBackward0 under autograd


def legacy_new(dtype: D.dtype | None, cuda: bool, args: tuple, kwargs: dict) -> Tensor:
    """What ``torch.<Type>Tensor(*args, **kwargs)`` returns; ``dtype`` None is ``torch.Tensor`` (the default
    dtype, and a tensor argument of any dtype)."""
    device_type = "cuda" if cuda else "cpu"
    keywords = {k: v for k, v in kwargs.items() if k != "device"}
    if set(keywords) - {"size", "data"} or (keywords and (args or len(keywords) > 1)):
        raise _invalid(args, kwargs)
    _check_device(kwargs.get("device"), device_type)
    target = dtype or D.get_default_dtype()

    def sized(size: tuple) -> Tensor:
        return empty(_sizes(size), dtype=target, device=device_type)

    def data(value: Any) -> Tensor:
        return tensor(list(value) if isinstance(value, range) else value, dtype=target, device=device_type)

    if keywords:
        return sized(tuple(keywords["size"])) if "size" in keywords else data(keywords["data"])
    first = args[0] if args else None
    if len(args) != 1:
        if args and not _is_int(first):
            raise _invalid(args, kwargs)
        return sized(args or (0,))
    if isinstance(first, Tensor):
        return _alias(first, dtype, cuda, kwargs.get("device"))
    if isinstance(first, Size) or _is_int(first):
        return sized(tuple(first) if isinstance(first, Size) else (first,))
    if isinstance(first, np.ndarray) and first.ndim == 0 and first.dtype.kind in "iu":
        return sized((int(first),))  # a 0-d integer array is an index, so a size (torch reads it so too)
    if isinstance(first, str):
        raise TypeError(f"new(): invalid data type '{type(first).__name__}'")
    if isinstance(first, list | tuple | range | np.ndarray):
        return data(first)
    raise TypeError(f"new(): data must be a sequence (got {_class_name(type(first))})")


def legacy_tensor_construct(cls: type, *args: Any, **kwargs: Any) -> Tensor:
    """``Tensor.__new__``: ``torch.Tensor(2, 3)``, ``torch.Tensor([1, 2])``; a subclass gets an instance of itself."""
    out = legacy_new(None, False, args, kwargs)
    if cls is Tensor:
        return out
    self = object.__new__(cls)
    Tensor._init_from(self, out._data)
    self._vc = out._vc
    return self


class tensortype(type):  # noqa: N801 - torch's name for the legacy types' metaclass
    """The class of ``torch.FloatTensor`` ...: calling it constructs, ``isinstance`` checks dtype and device."""

    dtype: D.dtype
    is_cuda: bool
    _type_name: str

    def __new__(mcs, name: str, bases: tuple, namespace: dict) -> tensortype:
        for base in bases:
            if isinstance(base, tensortype):
                raise TypeError(f"type '{base._type_name}' is not an acceptable base type")
        return super().__new__(mcs, name, bases, namespace)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.is_cuda == cls.is_cuda

    def __repr__(cls) -> str:
        return f"<class '{cls._type_name}'>"

    def __call__(cls, *args: Any, **kwargs: Any) -> Tensor:
        if cls.is_cuda and cupy_module() is None:
            raise TypeError(f"type {cls._type_name} not available. Torch not compiled with CUDA enabled.")
        return legacy_new(cls.dtype, cls.is_cuda, args, kwargs)


_LEGACY_DTYPES = (D.float32, D.float64, D.float16, D.int64, D.int32, D.int16, D.int8, D.uint8, D.bool_)


def _legacy_type(d: D.dtype, cuda: bool) -> tensortype:
    prefix = "torch.cuda." if cuda else "torch."
    namespace = {
        "dtype": d, "is_cuda": cuda, "is_sparse": False, "layout": strided, "_type_name": prefix + d.tensor_type,
        "__module__": "reference_engine.cuda" if cuda else "reference_engine", "__qualname__": d.tensor_type,
        "__doc__": f"{prefix}{d.tensor_type}: the legacy constructor of {d!r} tensors"
        + (" on the GPU." if cuda else "."),
    }  # fmt: skip
    return tensortype(d.tensor_type, (), namespace)


CPU_TYPES = {d.tensor_type: _legacy_type(d, False) for d in _LEGACY_DTYPES}
CUDA_TYPES = {d.tensor_type: _legacy_type(d, True) for d in _LEGACY_DTYPES}

FloatTensor = CPU_TYPES["FloatTensor"]
DoubleTensor = CPU_TYPES["DoubleTensor"]
HalfTensor = CPU_TYPES["HalfTensor"]
LongTensor = CPU_TYPES["LongTensor"]
IntTensor = CPU_TYPES["IntTensor"]
ShortTensor = CPU_TYPES["ShortTensor"]
CharTensor = CPU_TYPES["CharTensor"]
ByteTensor = CPU_TYPES["ByteTensor"]
BoolTensor = CPU_TYPES["BoolTensor"]
