"""torch.fft: discrete Fourier transforms, with torch's argument handling, dtypes, errors and graph.

Each transform is ATen's composition: the input promoted (integers to the default float dtype, to complex
where the transform needs it: ToCopyBackward0), resized to ``n`` / ``s`` (SliceBackward0 when cut,
ConstantPadNdBackward0 when zero-filled), conjugated where ATen conjugates (ConjBackward0 for ifft and ihfft
of a real input and for the hfft family, ConjPhysicalBackward0 inside ihfft2/ihfftn), then one of the three
primitives of ``_transforms`` (FftR2CBackward0, FftC2RBackward0, FftC2CBackward0).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype as D

# imported under private names: torch.fft's namespace holds the transforms only
from .._creation import arange as _arange
from ..autograd.grad_mode import is_grad_enabled as _is_grad_enabled
from ..autograd.grad_mode import no_grad as _no_grad
from ..nn._functional.padding import constant_pad_nd as _constant_pad_nd
from ..ops._util import wrap_dims as _wrap_dims
from ..ops.complex_numbers import conj as _conj
from ..ops.complex_numbers import conj_physical as _conj_physical
from ..ops.inplace import OUT_RESIZED_MSG as _OUT_RESIZED_MSG
from ..ops.inplace import call_with_out as _call_with_out
from ..ops.shape import narrow as _narrow
from ..ops.shape import roll as _roll
from ..tensor import _SCALAR_TYPE_NAMES, Tensor
from . import _transforms as T

__all__ = [
    "fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "hfft2", "hfftn", "ifft", "ifft2", "ifftn", "ifftshift",
    "ihfft", "ihfft2", "ihfftn", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn",
]  # fmt: skip


# -- argument handling (ATen's SpectralOps.cpp helpers) ------------------------------------------------------
def _scalar_type(t: Tensor) -> str:
    return _SCALAR_TYPE_NAMES[t.dtype.name]


def _check_tensor(name: str, input: Any) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


# torch's argument parser: the schema's types per parameter, in order ("n" and "dim" of the 1-D transforms are
# ints, "s" and "dim" of the n-D ones and the shifts int lists, "norm" a string)
_ONE_D_PARAMS = (("n", "int?"), ("dim", "int"), ("norm", "str?"))
_N_D_PARAMS = (("s", "ints?"), ("dim", "ints?"), ("norm", "str?"))
_TWO_D_PARAMS = (("s", "ints?"), ("dim", "ints"), ("norm", "str?"))
_SHIFT_PARAMS = (("dim", "ints?"),)


def _is_int(v: Any) -> bool:
    if isinstance(v, Tensor):
        return v.ndim == 0 and not v.is_floating_point() and not v.is_complex() and v.dtype is not D.bool_
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _check_args(fname: str, params: tuple[tuple[str, str], ...], args: tuple, kwargs: dict[str, Any]) -> None:
    """TypeError as torch's parser words it for an argument of the wrong type (positions count the input)."""
    for i, (name, kind) in enumerate(params):
        if i < len(args):
            value, where = args[i], f" (position {i + 2})"
        elif name in kwargs:
            value, where = kwargs[name], ""
        else:
            continue
        if value is None and kind.endswith("?"):
            continue
        if kind.startswith("ints"):
            ok = _is_int(value) or (isinstance(value, list | tuple) and all(_is_int(v) for v in value))
            expected = "tuple of ints"
        elif kind.startswith("int"):
            ok, expected = _is_int(value), "int"
        else:
            ok, expected = isinstance(value, str), "str"
        if not ok:
            raise TypeError(f"fft_{fname}(): argument '{name}'{where} must be {expected}, not {type(value).__name__}")


def _parsed(params: tuple[tuple[str, str], ...]) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """The public function with torch's argument type checks in front."""

    def wrap(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
        @functools.wraps(fn)
        def call(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
            _check_args(fn.__name__, params, args, kwargs)
            return fn(input, *args, **kwargs)

        return call

    return wrap


def _promote(input: Tensor, require_complex: bool) -> Tensor:
    """promote_tensor_fft: integers and bool to the default float dtype; to complex if ``require_complex``."""
    dt = input.dtype
    if dt.is_complex:
        return input
    if not dt.is_floating_point:
        dt = D.get_default_dtype()
    if dt is not D.float32 and dt is not D.float64:
        raise RuntimeError(f"Unsupported dtype {_SCALAR_TYPE_NAMES[dt.name]}")
    if require_complex:
        dt = T.complex_dtype(dt)
    return input if dt is input.dtype else input.to(dt)


def _norm(norm: str | None, forward: bool) -> int:
    """norm_from_string: NumPy's direction-relative modes as ATen's fft_norm_mode."""
    if norm is None or norm == "backward":
        return T.NORM_NONE if forward else T.NORM_BY_N
    if norm == "forward":
        return T.NORM_BY_N if forward else T.NORM_NONE
    if norm == "ortho":
        return T.NORM_BY_ROOT_N
    raise RuntimeError(f'Invalid normalization mode: "{norm}"')


def _wrap_dim(dim: int, ndim: int) -> int:
    """maybe_wrap_dim without scalar wrapping: a 0-dim tensor has no dim to transform."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dims(int(dim), ndim)[0]


def _resize(x: Tensor, dims: Sequence[int], sizes: Sequence[int]) -> Tensor:
    """resize_fft_input: cut each dim to its size (slice), then zero-fill the short ones in one pad."""
    pad = [0] * (2 * x.ndim)
    must_pad = False
    for d, n in zip(dims, sizes):
        if n == -1:
            continue
        have = x.shape[d]
        if have < n:
            must_pad = True
            pad[len(pad) - 2 * d - 1] = n - have
        elif have > n:
            x = _narrow(x, d, 0, n)
    return _constant_pad_nd(x, pad) if must_pad else x


def _shape_and_dims(
    input: Tensor, s: Sequence[int] | None, dim: int | Sequence[int] | None
) -> tuple[list[int], list[int]]:
    """canonicalize_fft_shape_and_dim_args: the dims transformed and their signal sizes."""
    ndim = input.ndim
    sizes = input.shape
    dims: list[int] = []
    if dim is not None:
        dim_list = [dim] if isinstance(dim, int) else list(dim)
        dims = [_wrap_dim(d, ndim) for d in dim_list]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = list(s)
        if dim is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} dimensions.")
        if dim is None:
            dims = list(range(ndim - len(s), ndim))
        shape = [sizes[d] if n == -1 else int(n) for d, n in zip(dims, s)]
    elif dim is None:
        dims = list(range(ndim))
        shape = list(sizes)
    else:
        shape = [sizes[d] for d in dims]
    for n in shape:
        if n <= 0:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return shape, dims


def _c2r_shape_and_dims(
    name: str, input: Tensor, s: Sequence[int] | None, dim: int | Sequence[int] | None
) -> tuple[list[int], list[int], int]:
    """canonicalize_fft_c2r_shape_and_dim_args: also the output size of the last (Hermitian) dim."""
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError(f"{name} must transform at least one axis")
    if s is None or list(s)[-1] == -1:
        last_dim_size = 2 * (input.shape[dims[-1]] - 1)
    else:
        last_dim_size = shape[-1]
    if last_dim_size < 1:
        raise RuntimeError(f"Invalid number of data points ({last_dim_size}) specified")
    shape[-1] = last_dim_size // 2 + 1
    return shape, dims, last_dim_size


# the ATen primitive each transform's out= variant writes through, for a complex / a real input: torch's
# "functions with out=... don't support automatic differentiation" names it. None: the result is conjugated
# into ``out`` by conj_physical_out, which takes a grad-requiring input without complaint.
_C2C, _R2C, _C2R = "_fft_c2c", "_fft_r2c", "_fft_c2r"
_OUT_PRIMITIVE: dict[str, tuple[str | None, str | None]] = {
    "fft": (_C2C, _R2C), "ifft": (_C2C, None), "rfft": (_R2C, _R2C), "irfft": (_C2R, _C2R), "hfft": (_C2R, _C2R),
    "ihfft": (None, None), "fftn": (_C2C, _C2C), "ifftn": (_C2C, _C2C), "fft2": (_C2C, _C2C), "ifft2": (_C2C, _C2C),
    "rfftn": (_R2C, _R2C), "rfft2": (_R2C, _R2C), "irfftn": (_C2R, _C2R), "irfft2": (_C2R, _C2R),
    "hfftn": (_C2R, _C2R), "hfft2": (_C2R, _C2R), "ihfftn": (_C2C, _C2C), "ihfft2": (_C2C, _C2C),
}  # fmt: skip
# the name the output-kind check gives: the 2-D transforms (and ifftn) run the n-D code that names itself
_OUT_CHECK_NAME = {
    "fft2": "fftn", "ifft2": "fftn", "ifftn": "fftn", "rfft2": "rfftn", "irfft2": "irfftn", "hfft2": "hfftn",
    "ihfft2": "ihfftn",
}  # fmt: skip


def _with_out(name: str, input: Tensor, complex_out: bool, compute: Callable[[], Tensor], out: Tensor | None) -> Tensor:
    """The out= variant: torch checks the output's kind (complex or real) before it runs the transform."""
    if out is None:
        return compute()
    if isinstance(out, Tensor) and out.is_complex() != complex_out:
        kind = "complex" if complex_out else "floating point"
        raise RuntimeError(
            f"{_OUT_CHECK_NAME.get(name, name)} expects a {kind} output tensor, but got {_scalar_type(out)}"
        )
    primitive = _OUT_PRIMITIVE[name][0 if input.is_complex() else 1]
    if primitive is None:
        with _no_grad():
            return _call_with_out(compute, name, (), {}, out)
    if input.requires_grad and _is_grad_enabled():
        with _no_grad():
            compute()  # the transform's own argument checks come before the out= autograd error
    return _call_with_out(lambda _input: compute(), primitive, (input,), {}, out)


# -- the one-dimensional transforms --------------------------------------------------------------------------
def _c2c(name: str, input: Tensor, n: int | None, dim: int, norm: str | None, forward: bool) -> Tensor:
    x = input
    if not x.is_complex():
        raise RuntimeError(f"{name} expects a complex input tensor, but got {_scalar_type(x)}")
    d = _wrap_dim(dim, x.ndim)
    size = x.shape[d] if n is None else int(n)
    if size < 1:
        raise RuntimeError(f"Invalid number of data points ({size}) specified")
    if n is not None:
        x = _resize(x, [d], [size])
    return T.fft_c2c(x, (d,), _norm(norm, forward), forward)


def _r2c(name: str, input: Tensor, n: int | None, dim: int, norm: str | None, forward: bool, onesided: bool) -> Tensor:
    x = input
    if x.is_complex():
        raise RuntimeError(f"{name} expects a real input tensor, but got {_scalar_type(x)}")
    x = _promote(x, require_complex=False)
    d = _wrap_dim(dim, x.ndim)
    size = x.shape[d] if n is None else int(n)
    if size < 1:
        raise RuntimeError(f"Invalid number of data points ({size}) specified")
    if n is not None:
        x = _resize(x, [d], [size])
    out = T.fft_r2c(x, (d,), _norm(norm, forward), onesided)
    return out if forward else _conj(out)  # ATen has no backward r2c transform: it conjugates the forward one


def _c2r(name: str, input: Tensor, n: int | None, dim: int, norm: str | None, forward: bool) -> Tensor:
    x = _promote(input, require_complex=True)
    d = _wrap_dim(dim, x.ndim)
    size = 2 * (x.shape[d] - 1) if n is None else int(n)
    if size < 1:
        raise RuntimeError(f"Invalid number of data points ({size}) specified")
    if n is not None:
        x = _resize(x, [d], [size // 2 + 1])
    if forward:
        x = _conj(x)  # hfft is the inverse transform of the conjugate
    return T.fft_c2r(x, (d,), _norm(norm, forward), size)


@_parsed(_ONE_D_PARAMS)
def fft(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Tensor | None = None
) -> Tensor:
    """torch.fft.fft: the one-dimensional discrete Fourier transform."""
    _check_tensor("fft", input)

    def compute() -> Tensor:
        if input.is_complex():
            return _c2c("fft", input, n, dim, norm, True)
        return _r2c("fft", input, n, dim, norm, True, False)

    return _with_out("fft", input, True, compute, out)


@_parsed(_ONE_D_PARAMS)
def ifft(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Tensor | None = None
) -> Tensor:
    """torch.fft.ifft: the one-dimensional inverse discrete Fourier transform."""
    _check_tensor("ifft", input)

    def compute() -> Tensor:
        if input.is_complex():
            return _c2c("ifft", input, n, dim, norm, False)
        return _r2c("ifft", input, n, dim, norm, False, False)

    return _with_out("ifft", input, True, compute, out)


@_parsed(_ONE_D_PARAMS)
def rfft(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Tensor | None = None
) -> Tensor:
    """torch.fft.rfft: the one-sided transform of a real signal (n // 2 + 1 frequencies)."""
    _check_tensor("rfft", input)
    return _with_out("rfft", input, True, lambda: _r2c("rfft", input, n, dim, norm, True, True), out)


@_parsed(_ONE_D_PARAMS)
def irfft(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Tensor | None = None
) -> Tensor:
    """torch.fft.irfft: the inverse of rfft (a real signal of n points, default 2 * (size - 1))."""
    _check_tensor("irfft", input)
    return _with_out("irfft", input, False, lambda: _c2r("irfft", input, n, dim, norm, False), out)


@_parsed(_ONE_D_PARAMS)
def hfft(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Tensor | None = None
) -> Tensor:
    """torch.fft.hfft: the transform of a Hermitian-symmetric signal given by its first half (a real result)."""
    _check_tensor("hfft", input)
    return _with_out("hfft", input, False, lambda: _c2r("hfft", input, n, dim, norm, True), out)


@_parsed(_ONE_D_PARAMS)
def ihfft(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *, out: Tensor | None = None
) -> Tensor:
    """torch.fft.ihfft: the inverse of hfft (the one-sided inverse transform of a real signal)."""
    _check_tensor("ihfft", input)
    return _with_out("ihfft", input, True, lambda: _r2c("ihfft", input, n, dim, norm, False, True), out)


# -- the n-dimensional transforms ----------------------------------------------------------------------------
def _fftn(input: Tensor, s: Any, dim: Any, norm: str | None, forward: bool) -> Tensor:
    shape, dims = _shape_and_dims(input, s, dim)
    x = _resize(_promote(input, require_complex=True), dims, shape)
    return T.fft_c2c(x, tuple(dims), _norm(norm, forward), forward)


def _rfftn(name: str, input: Tensor, s: Any, dim: Any, norm: str | None) -> Tensor:
    if input.is_complex():
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got {_scalar_type(input)}")
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError("rfftn must transform at least one axis")
    x = _resize(_promote(input, require_complex=False), dims, shape)
    return T.fft_r2c(x, tuple(dims), _norm(norm, True), True)


def _irfftn(name: str, input: Tensor, s: Any, dim: Any, norm: str | None) -> Tensor:
    shape, dims, last = _c2r_shape_and_dims("irfftn", input, s, dim)
    x = _resize(_promote(input, require_complex=True), dims, shape)
    return T.fft_c2r(x, tuple(dims), _norm(norm, False), last)


def _hfftn(name: str, input: Tensor, s: Any, dim: Any, norm: str | None) -> Tensor:
    shape, dims, last = _c2r_shape_and_dims(name, input, s, dim)
    x = _resize(_promote(input, require_complex=True), dims, shape)
    mode = _norm(norm, True)
    if len(dims) > 1:
        x = T.fft_c2c(x, tuple(dims[:-1]), mode, True)
    return T.fft_c2r(_conj(x), (dims[-1],), mode, last)


def _ihfftn(name: str, input: Tensor, s: Any, dim: Any, norm: str | None, out: Tensor | None = None) -> Tensor:
    shape, dims = _shape_and_dims(input, s, dim)
    if not shape:
        raise RuntimeError(f"{name} must transform at least one axis")
    if input.is_complex():
        # torch's r2c kernel refuses the complex input it is handed
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_scalar_type(input)}")
    x = _resize(_promote(input, require_complex=False), dims, shape)
    mode = _norm(norm, False)
    tmp = T.fft_r2c(x, (dims[-1],), mode, True)
    if len(dims) == 1:
        if out is not None:
            return _one_dim_out(tmp, out)
        return _conj(tmp)
    if out is not None:
        return _with_out(name, input, True, lambda: _ihfftn(name, input, s, dim, norm), out)
    return T.fft_c2c(_conj_physical(tmp), tuple(dims[:-1]), mode, False)


def _one_dim_out(tmp: Tensor, out: Tensor) -> Tensor:
    """torch 2.13's ihfftn/ihfft2 with out= over a single dim calls ``conj_physical_out(tmp, out)`` with its
    arguments swapped: the transform's buffer is resized to ``out``'s shape and overwritten, and ``out`` comes
    back as it was (unwritten). The swapped call's checks are what the caller sees."""
    if tmp.dtype is not out.dtype:
        raise RuntimeError(f"Found dtype {_scalar_type(tmp)} but expected {_scalar_type(out)}")
    if tuple(tmp.shape) != tuple(out.shape):
        warnings.warn(_OUT_RESIZED_MSG.format(list(tmp.shape), list(out.shape)), UserWarning, stacklevel=4)
    return out


@_parsed(_N_D_PARAMS)
def fftn(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = None, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.fftn: the n-dimensional discrete Fourier transform (all dims by default)."""
    _check_tensor("fftn", input)
    return _with_out("fftn", input, True, lambda: _fftn(input, s, dim, norm, True), out)


@_parsed(_N_D_PARAMS)
def ifftn(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = None, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.ifftn: the n-dimensional inverse discrete Fourier transform."""
    _check_tensor("ifftn", input)
    return _with_out("ifftn", input, True, lambda: _fftn(input, s, dim, norm, False), out)


@_parsed(_N_D_PARAMS)
def rfftn(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = None, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.rfftn: the n-dimensional transform of a real signal, one-sided in the last dim."""
    _check_tensor("rfftn", input)
    return _with_out("rfftn", input, True, lambda: _rfftn("rfftn", input, s, dim, norm), out)


@_parsed(_N_D_PARAMS)
def irfftn(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = None, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.irfftn: the inverse of rfftn."""
    _check_tensor("irfftn", input)
    return _with_out("irfftn", input, False, lambda: _irfftn("irfftn", input, s, dim, norm), out)


@_parsed(_N_D_PARAMS)
def hfftn(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = None, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.hfftn: the n-dimensional transform of a Hermitian-symmetric signal (a real result)."""
    _check_tensor("hfftn", input)
    return _with_out("hfftn", input, False, lambda: _hfftn("hfftn", input, s, dim, norm), out)


@_parsed(_N_D_PARAMS)
def ihfftn(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = None, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.ihfftn: the inverse of hfftn."""
    _check_tensor("ihfftn", input)
    return _ihfftn("ihfftn", input, s, dim, norm, out)


_LAST_TWO = (-2, -1)


@_parsed(_TWO_D_PARAMS)
def fft2(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = _LAST_TWO, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.fft2: fftn over two dims (the last two by default)."""
    _check_tensor("fft2", input)
    return _with_out("fft2", input, True, lambda: _fftn(input, s, dim, norm, True), out)


@_parsed(_TWO_D_PARAMS)
def ifft2(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = _LAST_TWO, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.ifft2: ifftn over two dims (the last two by default)."""
    _check_tensor("ifft2", input)
    return _with_out("ifft2", input, True, lambda: _fftn(input, s, dim, norm, False), out)


@_parsed(_TWO_D_PARAMS)
def rfft2(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = _LAST_TWO, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.rfft2: rfftn over two dims (the last two by default)."""
    _check_tensor("rfft2", input)
    return _with_out("rfft2", input, True, lambda: _rfftn("rfft2", input, s, dim, norm), out)


@_parsed(_TWO_D_PARAMS)
def irfft2(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = _LAST_TWO, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.irfft2: irfftn over two dims (the last two by default)."""
    _check_tensor("irfft2", input)
    return _with_out("irfft2", input, False, lambda: _irfftn("irfft2", input, s, dim, norm), out)


@_parsed(_TWO_D_PARAMS)
def hfft2(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = _LAST_TWO, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.hfft2: hfftn over two dims (the last two by default)."""
    _check_tensor("hfft2", input)
    return _with_out("hfft2", input, False, lambda: _hfftn("hfft2", input, s, dim, norm), out)


@_parsed(_TWO_D_PARAMS)
def ihfft2(
    input: Tensor, s: Sequence[int] | None = None, dim: Any = _LAST_TWO, norm: str | None = None, *, out: Any = None
) -> Tensor:
    """torch.fft.ihfft2: ihfftn over two dims (the last two by default)."""
    _check_tensor("ihfft2", input)
    return _ihfftn("ihfft2", input, s, dim, norm, out)


# -- shifts and sample frequencies ---------------------------------------------------------------------------
def _shift(input: Tensor, dim: Any, inverse: bool) -> Tensor:
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dim_list = [dim] if isinstance(dim, int) else list(dim)
        dims = [_wrap_dims(int(d), input.ndim)[0] if input.ndim else int(d) for d in dim_list]
    shifts = [(input.shape[d] + 1) // 2 if inverse else input.shape[d] // 2 for d in dims]
    return _roll(input, shifts, dims)


@_parsed(_SHIFT_PARAMS)
def fftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """torch.fft.fftshift: the zero frequency moved to the centre (a roll by size // 2 in each dim)."""
    _check_tensor("fftshift", input)
    return _shift(input, dim, inverse=False)


@_parsed(_SHIFT_PARAMS)
def ifftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """torch.fft.ifftshift: the inverse of fftshift (a roll by (size + 1) // 2 in each dim)."""
    _check_tensor("ifftshift", input)
    return _shift(input, dim, inverse=True)


def _freq(
    name: str, count: int, n: int, d: float, dtype: D.dtype | None, device: Any, requires_grad: bool, negative: bool
) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if count < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    if dt.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_SCALAR_TYPE_NAMES[dt.name]}'")
    values = _arange(count, dtype=dt, device=device)
    arr = values._data
    if negative:
        arr[(n + 1) // 2 :] = arr.dtype.type(-(n // 2)) + arr[: n - (n + 1) // 2]
    # ATen's ``out.mul_(1.0 / (n * d))``: the double factor goes to the tensor's dtype, then one multiply
    span = n * d
    # C++'s 1.0 / 0.0 is inf (rfftfreq(0) is [0 * inf] = [nan]), where Python raises
    factor = 1.0 / span if span else math.copysign(math.inf, span)
    with np.errstate(all="ignore"):
        arr *= arr.dtype.type(factor)
    if requires_grad:
        values.requires_grad_(True)
    return values


def _freq_call(name: str, n: Any, d: float, count: Callable[[int], int], negative: bool, kw: dict[str, Any]) -> Tensor:
    """fftfreq / rfftfreq with their factory keywords and out= (ATen computes straight into ``out``: arange_out,
    with arange's warning when ``out`` had another number of elements)."""
    if isinstance(n, float | bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"fft_{name}(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    out, dtype = kw["out"], kw["dtype"]
    if out is None:
        return _freq(name, count(int(n)), int(n), d, dtype, kw["device"], kw["requires_grad"], negative)
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(
            f"dtype {_SCALAR_TYPE_NAMES[dtype.name]} does not match dtype of out parameter "
            f"({_SCALAR_TYPE_NAMES[out.dtype.name]})"
        )
    result = _freq(name, count(int(n)), int(n), d, out.dtype, None, False, negative)
    size = result.shape[0]
    if out.numel() != size:
        if out.numel():
            warnings.warn(
                f"The number of elements in the out tensor of shape {list(out.shape)} is {out.numel()} which does "
                f"not match the computed number of elements {size}. Note that this may occur as a result of rounding "
                f"error. The out tensor will be resized to a tensor of shape ({size},).",
                UserWarning,
                stacklevel=3,
            )
        out._data = out._xp.empty((size,), dtype=out._data.dtype)
    out._data[...] = result._data.reshape(out._data.shape)
    out._vc[0] += 1
    return out


def fftfreq(
    n: int,
    d: float = 1.0,
    *,
    out: Tensor | None = None,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """torch.fft.fftfreq: the sample frequencies of an n-point transform, [0, 1, ..., -1] / (n * d)."""
    kw = {"out": out, "dtype": dtype, "device": device, "requires_grad": requires_grad}
    return _freq_call("fftfreq", n, d, lambda k: k, True, kw)


def rfftfreq(
    n: int,
    d: float = 1.0,
    *,
    out: Tensor | None = None,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """torch.fft.rfftfreq: the n // 2 + 1 non-negative sample frequencies of rfft, [0, 1, ...] / (n * d)."""
    kw = {"out": out, "dtype": dtype, "device": device, "requires_grad": requires_grad}
    return _freq_call("rfftfreq", n, d, lambda k: k // 2 + 1, False, kw)
