"""Tensor creation: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange`` ... and their ``*_like``."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _dtype as D
from . import _rng_math as _RM
from ._backend import cupy_module, is_cuda_array, require_cupy, to_numpy
from ._device import as_device, or_default
from ._torch_version import since
from .tensor import Tensor, _size_args

COPY_CONSTRUCT_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
    "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor)."
)


# torch's error for an integer device (the "current accelerator") when there is none
NO_ACCELERATOR_MESSAGE = "Cannot access accelerator device when none is available."


def check_int_device(device: Any) -> None:
    """An int ``device=`` names an accelerator ordinal; without a GPU torch refuses it up front."""
    if isinstance(device, int) and not isinstance(device, bool) and cupy_module() is None:
        raise RuntimeError(NO_ACCELERATOR_MESSAGE)


def _xp_for(device: Any) -> Any:
    """The array module for a ``device=`` argument; raise torch's error when CUDA is missing."""
    check_int_device(device)
    dev = as_device(device)
    if dev is None or dev.type == "cpu":
        return np
    if dev.type == "cuda":
        return require_cupy()
    raise RuntimeError(f"reference_engine does not support device type '{dev.type}'")


def _place(arr: Any, device: Any) -> Any:
    """Move a NumPy/CuPy array to ``device`` (None: leave it where it is)."""
    if device is None:
        return arr
    xp = _xp_for(device)
    if xp is np:
        return to_numpy(arr)
    dev = as_device(device)
    with xp.cuda.Device(dev.index or 0):
        return xp.asarray(arr)


def _on_device(xp: Any, device: Any) -> Any:
    """A context that makes CuPy allocate on ``device``'s GPU (nothing to do for NumPy)."""
    if xp is np:
        return contextlib.nullcontext()
    return xp.cuda.Device(as_device(device).index or 0)


def _finish(arr: Any, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        if t._data.dtype.kind not in "fc" and t._data.dtype != D.BF16:
            # factories word this error differently from the setter and requires_grad_
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _infer_dtype(data: Any) -> D.dtype:
    """torch.tensor's inference: bools -> bool, ints -> int64, floats -> default dtype."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray | np.generic) or is_cuda_array(data):
        return D.from_numpy_dtype(data.dtype)
    if isinstance(data, list | tuple):
        if len(data) == 0:
            return D.get_default_dtype()
        result: D.dtype | None = None
        for item in data:
            d = _infer_dtype(item)
            result = d if result is None else D.promote_types(result, d)
        return result  # type: ignore[return-value]
    if isinstance(data, bool):
        return D.bool_
    if isinstance(data, int):
        if not -(2**63) <= data < 2**63:
            raise ValueError("Overflow when unpacking long long")
        return D.int64
    if isinstance(data, float):
        return D.get_default_dtype()
    if isinstance(data, complex):
        return D.get_default_dtype().to_complex()
    if isinstance(data, str):
        raise ValueError(f"too many dimensions '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _check_ragged(data: Any) -> None:
    """torch's error for nested lists whose lengths disagree (NumPy's message differs)."""
    shape = []
    x = data
    while isinstance(x, list | tuple):
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    stack = [(data, 0)]
    while stack:
        seq, dim = stack.pop()
        if len(seq) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(seq)})")
        if dim + 1 < len(shape):
            stack.extend((item, dim + 1) for item in seq if isinstance(item, list | tuple))


def _to_host(data: Any) -> Any:
    if isinstance(data, Tensor):
        return to_numpy(data._data)
    if isinstance(data, list | tuple):
        return [_to_host(x) for x in data]
    return data


def tensor(
    data: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """Copy ``data`` (nested lists, scalars, arrays, tensors) into a new leaf tensor."""
    if type(data) is float and dtype is None and or_default(device) is None and not pin_memory:
        # the common scalar leaf (``torch.tensor(2.0, requires_grad=True)``): the default dtype, on the CPU
        dt = D.get_default_dtype()
        if dt is D.float32 or dt is D.float64:
            t = Tensor._make(np.array(data, dt.np))
            if requires_grad:
                t._requires_grad = True
            return t
    device = or_default(device)
    if isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT_WARNING, UserWarning, stacklevel=2)
        arr = data._data.astype(dtype.np if dtype else data._data.dtype, copy=True)
        if device is None:
            return _finish(arr, requires_grad)
        return _finish(_place(arr, device), requires_grad)
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    # also raises torch's errors for strings and huge ints (uint64 holds Python ints up to 2**64 - 1)
    inferred = D.uint64 if dtype is D.uint64 and not isinstance(data, np.ndarray) else _infer_dtype(data)
    dt = dtype or inferred
    if isinstance(data, list | tuple):
        _check_ragged(data)
    if is_cuda_array(data):
        data = to_numpy(data)
    if inferred.is_complex and not dt.is_complex and not isinstance(data, np.ndarray) and dt is not D.bool_:
        # torch's parser converts each Python number to the dtype's C type: a complex one is refused
        raise TypeError(
            "must be real number, not complex"
            if dt.is_floating_point
            else "'complex' object cannot be interpreted as an integer"
        )
    host = np.array(_to_host(data), dtype=dt.np) if dt is not D.bfloat16 else D.astype(np.array(_to_host(data)), dt)
    if host.dtype.kind in "iub" and not isinstance(data, np.ndarray):
        _check_int_range(data, dt)
    return _finish(_place(host, device or "cpu") if device is not None else host, requires_grad)


def _check_int_range(data: Any, dt: D.dtype) -> None:
    # np.array silently wraps out-of-range Python ints; torch raises
    if isinstance(data, int) and not isinstance(data, bool) and dt is not D.bool_:
        info = np.iinfo(dt.np)
        if not info.min <= data <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    device = or_default(device)
    if isinstance(data, Tensor):
        if (dtype is None or dtype is data.dtype) and (device is None or as_device(device) == data.device):
            return data
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype) and device is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> Tensor:
    """Share memory with ``arr`` (writes through, like torch.from_numpy)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    D.from_numpy_dtype(arr.dtype)
    return Tensor._make(arr)


def _filled(size: tuple, value: Any, dtype: D.dtype | None, device: Any, requires_grad: bool) -> Tensor:
    if dtype is None:
        dtype = D._scalar_dtype(value)  # full((2,), 1) is int64, full((2,), 1.5) the default float
    value = D.real_fill(value, dtype)
    xp = _xp_for(device)
    with _on_device(xp, device):
        if dtype is D.bfloat16 and not isinstance(value, bool | int):
            value = np.float32(value)  # torch fills through float: see D.astype
        return _finish(xp.full(size, value, dtype=dtype.np), requires_grad)


def _sized(name: str, value: int) -> Callable[..., Tensor]:
    """torch.zeros / torch.ones: a tensor of ``size`` (ints, or one sequence) filled with ``value``."""

    def create(
        *size: Any,
        dtype: D.dtype | None = None,
        device: Any = None,
        requires_grad: bool = False,
        out: Any = None,
        layout: Any = None,
    ) -> Tensor:
        device = or_default(device)
        return _filled(_size_args(size, name), value, dtype or D.get_default_dtype(), device, requires_grad)

    create.__name__ = create.__qualname__ = name
    return create


zeros = _sized("zeros", 0)
ones = _sized("ones", 1)


def empty(
    *size: Any,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
    memory_format: Any = None,
) -> Tensor:
    device = or_default(device)
    # Zero-filled: uninitialised memory would make runs irreproducible.
    return _filled(_size_args(size), 0, dtype or D.get_default_dtype(), device, requires_grad)


def full(
    size: Any,
    fill_value: Any,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    device = or_default(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if isinstance(fill_value, float) and dtype is not None and dtype.name in _INT_LIMITS:
        _check_int_fill(fill_value, dtype.name)
    return _filled(
        _size_args((size,)) if not isinstance(size, int) else (size,), fill_value, dtype, device, requires_grad
    )


# c10's checked conversion of a float fill value to an integer dtype: its C type name, lowest, max
_INT_LIMITS = {
    "int64": ("int64_t", -(2**63), 2**63 - 1), "int32": ("int", -(2**31), 2**31 - 1),
    "int16": ("int16_t", -(2**15), 2**15 - 1), "int8": ("int8_t", -128, 127), "uint8": ("uint8_t", 0, 255),
}  # fmt: skip


def _check_int_fill(value: float, dtype_name: str) -> None:
    """torch's overflow check (the limits compared as doubles, so 2.0**63 passes for int64, as in torch)."""
    name, lo, hi = _INT_LIMITS[dtype_name]
    if value != value or value < float(lo) or value > float(hi):
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def _like(t: Tensor, dtype: D.dtype | None, device: Any) -> tuple[D.dtype, Any]:
    return dtype or t.dtype, device if device is not None else t.device


def _sized_like(name: str, value: int) -> Callable[..., Tensor]:
    """torch.zeros_like / ones_like / empty_like: ``input``'s shape, dtype and device unless given, filled with ``value``.

    empty_like is zero-filled too: uninitialised memory would make runs irreproducible.
    """

    def create(
        input: Tensor,
        dtype: D.dtype | None = None,
        device: Any = None,
        requires_grad: bool = False,
        memory_format: Any = None,
        layout: Any = None,
    ) -> Tensor:
        dt, dev = _like(input, dtype, device)
        return _filled(input.shape, value, dt, dev, requires_grad)

    create.__name__ = create.__qualname__ = name
    return create


zeros_like = _sized_like("zeros_like", 0)
ones_like = _sized_like("ones_like", 1)
empty_like = _sized_like("empty_like", 0)


def full_like(
    input: Tensor,
    fill_value: Any,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = None,
    layout: Any = None,
) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _filled(input.shape, fill_value, dt, dev, requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    device = or_default(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_scalar_text(start)} -> {_scalar_text(end)}")
    if dtype is None and isinstance(out, Tensor):
        dtype = out.dtype
    if dtype is not None and dtype.is_complex:
        name = "ComplexFloat" if dtype is D.complex64 else "ComplexDouble"
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{name}'")
    if dtype is not None and not dtype.is_floating_point and not dtype.is_complex:
        if since("2.14"):
            # torch 2.14: the length comes from the bounds and step as given (ceil((end - start) / step)); the
            # values are the truncated start plus i times the truncated step (a step below 1 repeats the start)
            if (end - start) * step < 0:
                raise RuntimeError("upper bound and lower bound inconsistent with step sign")
            n = math.ceil((end - start) / step)
            arr = (int(start) + np.arange(n, dtype=np.int64) * int(step)).astype(dtype.np)
            return _finish(_place(arr, device) if device is not None else arr, requires_grad)
        # torch 2.13: an integral result: the argument parser reads the bounds and the step as integers (truncated)
        start, end, step = (int(v) for v in vals)
        if step == 0:
            raise ValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, int) for v in vals) else D.get_default_dtype()
    n = math.ceil((end - start) / step)
    # torch computes start + i * step in double (or int64) and then casts
    idx = np.arange(n, dtype=np.float64 if dtype.is_floating_point else np.int64)
    arr = (start + idx * step).astype(dtype.np)
    return _finish(_place(arr, device) if device is not None else arr, requires_grad)


def _scalar_text(v: Any) -> str:
    """A c10 Scalar as torch's messages print it (a whole double without its ``.0``)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def space_checks(name: str, start: Any, end: Any, steps: Any) -> None:
    """linspace's and logspace's argument errors (the parser's, then the kernel's) in torch's words."""
    if not isinstance(steps, int) or isinstance(steps, bool):
        got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in (start, end, steps))
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:")
    bad = [(what, v.ndim) for what, v in (("start", start), ("end", end)) if isinstance(v, Tensor)]
    if any(nd for _, nd in bad):
        dims = " and ".join(f"{what} with {nd} dimension(s)" for what, nd in bad)
        raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got {dims}.")


def into_out(result: Tensor, out: Any) -> Tensor:
    """A factory's ``out=``: ``out`` takes the result's values and shape (computed in out's dtype)."""
    if out is None:
        return result
    out._data = result._data.astype(out._data.dtype, copy=False)
    out._vc[0] += 1
    return out


def space_args(start: Any, end: Any, steps: int, dtype: D.dtype | None, device: Any) -> tuple[Any, Any, D.dtype, Any]:
    """linspace's and logspace's common arguments: numbers for ``start``/``end``, the default dtype and device."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    return start, end, dtype or D.get_default_dtype(), or_default(device)


def _complex_linspace(start: Any, end: Any, steps: int, dtype: D.dtype, device: Any, requires_grad: bool) -> Tensor:
    """linspace with complex ends (or dtype): torch's kernel in the complex dtype (the default float's complex
    type when none is given): step = (end - start) / (steps - 1), start + step * i for the first half, end -
    step * (steps - 1 - i) for the second."""
    cdt = dtype if dtype.is_complex else D.get_default_dtype().to_complex()
    t = cdt.np.type
    lo, hi = t(start), t(end)
    i = np.arange(steps)
    half = steps // 2
    if steps > 1:
        diff, count = hi - lo, (np.float32 if cdt is D.complex64 else np.float64)(steps - 1)
        step = t(complex(diff.real / count, diff.imag / count))  # each part divided by the real count
        # per part, one fused multiply-add from the nearer end (as the real kernel; found by experiment)
        real = np.float32 if cdt is D.complex64 else np.float64
        fma = _RM.fma32 if cdt is D.complex64 else _RM.fma64
        first, second = i[:half].astype(real), (steps - 1 - i[half:]).astype(real)
        vals = np.empty(steps, cdt.np)
        for part in ("real", "imag"):
            st, a, b = (real(getattr(v, part)) for v in (step, lo, hi))
            getattr(vals, part)[:half] = fma(np.full(half, st), first, a)
            getattr(vals, part)[half:] = fma(np.full(steps - half, -st), second, b)
    else:
        vals = np.full(steps, lo, dtype=cdt.np)
    arr = vals.astype(cdt.np)
    return _finish(_place(arr, device) if device is not None else arr, requires_grad)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    space_checks("linspace", start, end, steps)
    if out is not None:
        return into_out(linspace(start, end, steps, dtype=dtype or out.dtype, device=device), out)
    start, end, dtype, device = space_args(start, end, steps, dtype, device)
    if isinstance(start, complex) or isinstance(end, complex) or dtype.is_complex:
        return _complex_linspace(start, end, steps, dtype, device, requires_grad)
    # torch fills the first half forward from start and the second half backward from end
    if steps == 1:
        return _finish(
            _place(np.array([start], dtype=dtype.np), device)
            if device is not None
            else np.array([start], dtype=dtype.np),
            requires_grad,
        )
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    vals = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if dtype is D.float32 or dtype is D.float64:
        # torch: step = (end - start) / (steps - 1) in the dtype, then one fused multiply-add per element
        # from the nearer end (found by experiment: bit-identical, where unfused float32 arithmetic is not)
        t = dtype.np.type
        lo, hi = t(start), t(end)
        st = t((hi - lo) / t(steps - 1))
        fma = _RM.fma32 if dtype is D.float32 else _RM.fma64
        first = fma(np.full(half, st), i[:half].astype(dtype.np), lo)
        second = fma(np.full(steps - half, -st), (steps - 1 - i[half:]).astype(dtype.np), hi)
        vals = np.concatenate((first, second))
    elif dtype is D.float16:
        # torch's Half arithmetic rounds every operation to half (computed in float32): the difference,
        # the step, each step * idx, and the sum (found by experiment, bit-identical)
        h, f = np.float16, np.float32
        lo, hi = h(start), h(end)
        st = f(h(f(h(f(hi) - f(lo))) / f(steps - 1)))
        ic = i.astype(f)
        near = f(lo) + (st * ic).astype(h).astype(f)
        far = f(hi) - (st * (f(steps - 1) - ic)).astype(h).astype(f)
        vals = np.where(i < half, near, far)
    elif dtype.is_floating_point:
        calc = dtype.np
        s = np.asarray(step, dtype=calc)
        ic = i.astype(calc)
        vals = np.where(
            i < half, np.asarray(start, calc) + s * ic, np.asarray(end, calc) - s * (np.asarray(steps - 1, calc) - ic)
        )
    arr = vals.astype(dtype.np)
    return _finish(_place(arr, device) if device is not None else arr, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    out: Any = None,
    layout: Any = None,
) -> Tensor:
    device = or_default(device)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    xp = _xp_for(device)
    with _on_device(xp, device):
        return _finish(xp.eye(n, m if m is not None else n, dtype=(dtype or D.get_default_dtype()).np), requires_grad)


def scalar_tensor(s: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    device = or_default(device)
    return _filled((), s, dtype or D.get_default_dtype(), device, requires_grad)


# --------------------------------------------------------------------------- Tensor.new_* (attached by _tensor_surface)
def new_tensor(
    self: Tensor, data: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Tensor.new_tensor: ``tensor(data)`` with ``self``'s dtype and device unless given."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new_filled(
    self: Tensor, size: tuple, fill: Any, dtype: D.dtype | None, device: Any, requires_grad: bool
) -> Tensor:
    return full(size, fill, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def new_zeros(
    self: Tensor, *size: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return _new_filled(self, _size_args(size), 0, dtype, device, requires_grad)


def new_ones(
    self: Tensor, *size: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return _new_filled(self, _size_args(size), 1, dtype, device, requires_grad)


def new_empty(
    self: Tensor, *size: Any, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return _new_filled(self, _size_args(size), 0, dtype, device, requires_grad)


def new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _new_filled(self, tuple(size), fill_value, dtype, device, requires_grad)
