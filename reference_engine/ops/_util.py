"""Shared plumbing for ops: argument unwrapping, dtype promotion, graph recording.

Every op follows one shape:

    def op(input, ...):
        ...compute ``out_arr`` with the array module of the data...
        out = Tensor._make(out_arr)
        if grad_recording(input, ...):
            node = OpBackward0()
            node.save("self", input)           # what derivatives.yaml's formula reads
            record(node, out, input, ...)      # edges + output metadata
        return out

``record_with`` and ``record_saving`` write the recording part in one call when the node only takes
attributes and saves its inputs (and result) under their names.
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module, is_cuda_array, to_numpy
from .._device import CPU
from ..tensor import Tensor, grad_recording  # noqa: F401 - re-exported for the op modules

_FROM_NUMPY = D._FROM_NUMPY


def device_mismatch(a: Tensor, b: Tensor) -> RuntimeError:
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {_dev(a)} and {_dev(b)}!"
    )


def _dev(t: Tensor) -> str:
    d = t.device
    return "cpu" if d.type == "cpu" else f"cuda:{d.index}"


def check_same_device(*tensors: Any) -> None:
    """TensorIterator's device check: only a 0-dim CPU tensor may join tensors on another device.

    The common device is the first GPU tensor's, so a mismatch always reads "cuda:0 and cpu"
    whatever the order of the operands.
    """
    common = next((t for t in tensors if isinstance(t, Tensor) and t.is_cuda), None)
    if common is None:
        return
    for t in tensors:
        if isinstance(t, Tensor) and t.device != common.device and (t._data.ndim or t.is_cuda):
            raise device_mismatch(common, t)


def check_common_device(method: str, *named: tuple[str, Any]) -> None:
    """The device check torch generates for ops like mm, bmm and addmm, run before the op's own checks.

    The arguments, in schema order, must all be on the first one's device (no exception for 0-dim CPU
    tensors). A mismatch always involves a GPU tensor, so torch has dispatched to its CUDA wrapper.
    """
    common = None
    for name, t in named:
        if not isinstance(t, Tensor):
            continue
        if common is None:
            common = t
        elif t.device != common.device:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but got {name} is on {_dev(t)}, different from "
                f"other tensors on {_dev(common)} (when checking argument in method wrapper_CUDA_{method})"
            )


def as_array(x: Any, dtype: D.dtype, like: Any) -> Any:
    """The array of a Tensor or a Python scalar, in ``dtype`` and on the array module of ``like``."""
    if isinstance(x, Tensor):
        arr = x._data
        if arr.dtype != dtype.np:
            arr = arr.astype(dtype.np)
        if type(arr) is not type(like) and arr.ndim == 0:
            arr = array_module(like).asarray(arr.item() if hasattr(arr, "item") else arr)
        return arr
    return array_module(like).asarray(x, dtype=dtype.np)


def binary_operands(a: Any, b: Any, half_scalar: bool = False) -> tuple[Any, Any, D.dtype]:
    """Like ``binary_arrays``, but a Python scalar ``b`` may come back as is.

    NumPy's weak Python scalars already give torch's dtype whenever the tensor
    is floating, or both are int64; skipping the promotion machinery there is
    the hot path of ``x * 0.5``. Callers must accept a scalar ``b``.
    """
    tb = type(b)
    if type(a) is Tensor and (tb is float or tb is int):
        dtype = a._data.dtype
        if (dtype.kind == "f" and dtype.itemsize >= 4) or (tb is int and dtype == np.int64):
            return a._data, b, _FROM_NUMPY[dtype]
    x, y, dt = binary_arrays(a, b)
    if dt is D.float16 or dt is D.bfloat16:
        # torch computes Half (and BFloat16) arithmetic in float32 ("opmath") and rounds once. A Python scalar is
        # first cast to half by add/sub/pow (``half_scalar``), but goes to float32 directly for mul/div.
        # Callers cast the result back to ``dt``.
        x = _opmath(a, x, half_scalar)
        y = _opmath(b, y, half_scalar)
    return x, y, dt


BF16_CHUNK = 32  # elements per step of torch's vectorized bfloat16 add loop (found by experiment)


def bf16_axpy(a: Any, b: Any, alpha: Any) -> Any:
    """``a + alpha * b`` for float32 arrays of bfloat16 values and a bfloat16 ``alpha``, as torch's CPU add
    kernel: whole chunks of ``BF16_CHUNK`` elements in one float32 FMA, rounded once; the elements after
    them in its scalar loop, in bfloat16 arithmetic (the product rounded, then the sum). Bit-identical
    against torch 2.13 for every length tried; broadcast operands keep the FMA formula throughout."""
    if a.shape != b.shape or type(a) is not np.ndarray:
        return ((a.astype(np.float64) + np.float64(alpha) * b).astype(np.float32)).astype(D.BF16)
    fa, fb = a.reshape(-1), b.reshape(-1)
    k = fa.size // BF16_CHUNK * BF16_CHUNK
    out = np.empty(fa.size, np.float32)
    out[:k] = fa[:k].astype(np.float64) + np.float64(alpha) * fb[:k]
    out[k:] = fa[k:] + (np.float32(alpha) * fb[k:]).astype(D.BF16).astype(np.float32)
    return out.reshape(a.shape).astype(D.BF16)


def _opmath(v: Any, arr: Any, half_scalar: bool) -> Any:
    if isinstance(v, Tensor) or half_scalar:
        return arr.astype(np.float32)  # ``arr`` holds v in half already
    return array_module(arr).asarray(v, dtype=np.float32)


def invalid_combination(name: str, *args: Any) -> TypeError:
    """torch's argument-parser error for a call no overload of ``name`` accepts (its first line: the overloads
    it goes on to list are torch's own signatures)."""
    got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:")


def binary_arrays(a: Any, b: Any) -> tuple[Any, Any, D.dtype]:
    """Both operands as arrays of the torch-promoted result dtype."""
    if (
        isinstance(a, Tensor)
        and isinstance(b, Tensor)
        and a._data.dtype == b._data.dtype
        and type(a._data) is type(b._data)
    ):
        if a._data.shape != b._data.shape:
            check_broadcast(a._data.shape, b._data.shape)
        return a._data, b._data, _FROM_NUMPY[a._data.dtype]  # fast path: nothing to promote
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("expected at least one Tensor operand")
    check_same_device(a, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.shape != b._data.shape:
        check_broadcast(a._data.shape, b._data.shape)
    dt = D.result_type(a, b)
    like = a._data if isinstance(a, Tensor) else b._data
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.is_cuda != b.is_cuda:
        like = a._data if a.is_cuda else b._data
    return as_array(a, dt, like), as_array(b, dt, like), dt


def check_broadcast(sa: tuple, sb: tuple) -> None:
    """Raise torch's error when two shapes do not broadcast (NumPy's ValueError reads differently)."""
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {n - i}"
            )


def to_tensor(x: Any, like: Tensor) -> Tensor:
    """Wrap a Python scalar as a 0-dim tensor (torch's wrapped number) for a backward formula.

    A floating ``like`` (the op's result) gives the dtype: torch computes with the scalar in the result's
    dtype, and the default float dtype would round a scalar multiplying a float64 tensor to float32.
    """
    if isinstance(x, Tensor):
        return x
    dt = D._scalar_dtype(x)
    ld = _FROM_NUMPY[like._data.dtype]
    if ld.category >= dt.category and ld.category >= 2:
        dt = ld
    return Tensor._make(array_module(like._data).asarray(x, dtype=dt.np))


def _edge(t: Any) -> tuple:
    if isinstance(t, Tensor):
        if t._base is not None:
            t._refresh_view()
        if t._grad_fn is not None:
            return (t._grad_fn, t._output_nr)
        if t._requires_grad:
            return (t._accumulator(), 0)
    return _NO_EDGE


_NO_EDGE = (None, 0)


def record(node: Any, outputs: Tensor | tuple, *inputs: Any) -> None:
    """Attach ``node`` as grad_fn of ``outputs`` with one edge per input (None for constants)."""
    n = len(inputs)
    if n == 1:
        node.next_functions = (_edge(inputs[0]),)
    elif n == 2:  # binary ops: no comprehension frame on the per-op path
        node.next_functions = (_edge(inputs[0]), _edge(inputs[1]))
    else:
        node.next_functions = tuple([_edge(t) for t in inputs])
    if isinstance(outputs, Tensor):
        outputs._grad_fn = node
        outputs._output_nr = 0
        data = outputs._data
        node._out_meta = ((data.shape, data.dtype, CPU if type(data) is np.ndarray else outputs.device),)
        return
    meta = []
    for nr, out in enumerate(outputs):
        out._grad_fn = node
        out._output_nr = nr
        meta.append((out._data.shape, out._data.dtype, out.device))
    node._out_meta = tuple(meta)


def record_with(node: Any, outputs: Tensor | tuple, /, *inputs: Any, **attrs: Any) -> Any:
    """Set ``attrs`` (what the backward formula reads besides tensors) on ``node``, then ``record`` it."""
    for name, value in attrs.items():
        setattr(node, name, value)
    record(node, outputs, *inputs)
    return node


def record_saving(
    node: Any, out: Tensor, saved: dict[str, Tensor], /, *, save_result: bool = False, **attrs: Any
) -> Any:
    """``record_with`` for an op whose backward reads its inputs: ``saved`` names the inputs, in order, as
    derivatives.yaml does; each is saved under its name, then the result as ``result`` if ``save_result``."""
    record_with(node, out, *saved.values(), **attrs)
    for name, t in saved.items():
        node.save(name, t)
    if save_result:
        node.save("result", out, is_output=True)
    return node


def cj(x: Any) -> Any:
    """derivatives.yaml's ``.conj()``: the conjugate of a complex tensor or number, anything else as is (so a
    formula written for real inputs costs one dtype test more)."""
    if type(x) is Tensor or isinstance(x, Tensor):
        return x.conj() if x._data.dtype.kind == "c" else x  # type: ignore[attr-defined]
    if isinstance(x, complex):
        return x.conjugate()
    return x


def needs(node: Any, i: int) -> bool:
    """Whether input ``i`` of ``node`` wants a gradient (torch's should_compute_output)."""
    return node.next_functions[i][0] is not None


def wrap_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """Normalise an int or sequence of ints to sorted non-negative dims, with torch's errors."""
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    out = []
    for d in dims:
        if d < lo or d > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
        d = int(d) % max(ndim, 1)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(out)


def float_dtype_of(t: Tensor) -> D.dtype:
    """The dtype a floating-only op yields for ``t`` (ints and bools -> default float)."""
    return D.to_float(_FROM_NUMPY[t._data.dtype])


def return_type(name: str, fields: tuple[str, ...]) -> type:
    """torch.return_types.<name>: a named tuple printed the way torch prints it (for the ops below linalg's
    layer; ``ops.linalg`` builds its own the same way)."""
    base = collections.namedtuple(name, fields)  # type: ignore[misc]

    def __repr__(self: Any) -> str:  # noqa: N807
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "torch.return_types"})


def on_host(kernel: Any) -> Any:
    """A NumPy-only value kernel ``kernel(xp, *arrays)`` made safe for CuPy arrays: they are copied to the host,
    computed there, and the result is copied back (the special-function ports are written for NumPy only)."""

    def run(xp: Any, *arrays: Any) -> Any:
        if not any(is_cuda_array(a) for a in arrays):
            return kernel(np, *arrays)
        return xp.asarray(kernel(np, *(to_numpy(a) for a in arrays)))

    return run
