"""torch's three FFT primitives, ``_fft_r2c``, ``_fft_c2r`` and ``_fft_c2c``, and their backward nodes.

Every public transform of ``torch.fft`` (and stft/istft) ends in one of these, as in ATen. ``dim`` is a tuple
of non-negative dims; ``normalization`` is ATen's ``fft_norm_mode``: 0 none, 1 by 1/sqrt(n), 2 by 1/n, with
n the product of the signal sizes over ``dim``.

Values: NumPy's pocketfft in double precision, rounded once to the result's dtype. torch's CPU build runs MKL
in the input's precision, so float32 results agree to 1e-7..3e-7 of the largest element, not bit for bit
(docs/design.md, "Rounding like torch's kernels").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..ops._util import grad_recording, record_with
from ..ops.complex_numbers import real as real_part
from ..tensor import Tensor

NORM_NONE, NORM_BY_ROOT_N, NORM_BY_N = 0, 1, 2
# the ``norm`` argument of numpy.fft that applies each ATen mode to a forward / an inverse transform
_NP_NORM_FORWARD = {NORM_NONE: "backward", NORM_BY_ROOT_N: "ortho", NORM_BY_N: "forward"}
_NP_NORM_INVERSE = {NORM_NONE: "forward", NORM_BY_ROOT_N: "ortho", NORM_BY_N: "backward"}

_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}
_REAL_OF = {np.dtype(np.complex64): np.float32, np.dtype(np.complex128): np.float64}


def _host(arr: Any) -> np.ndarray:
    return arr if type(arr) is np.ndarray else np.asarray(arr.get())


def _back(like: Tensor, arr: np.ndarray) -> Any:
    """``arr`` on ``like``'s array module (the host computes every transform)."""
    return arr if type(like._data) is np.ndarray else like._xp.asarray(arr)


def _wide(arr: np.ndarray) -> np.ndarray:
    """The array in double precision: pocketfft's float32 path rounds at every butterfly."""
    if arr.dtype.kind == "c":
        return arr.astype(np.complex128, copy=False)
    return arr.astype(np.float64, copy=False)


def _c2c_array(arr: np.ndarray, dim: tuple[int, ...], normalization: int, forward: bool) -> np.ndarray:
    if not dim:
        return arr.copy()
    if forward:
        return np.fft.fftn(_wide(arr), axes=dim, norm=_NP_NORM_FORWARD[normalization]).astype(arr.dtype)
    return np.fft.ifftn(_wide(arr), axes=dim, norm=_NP_NORM_INVERSE[normalization]).astype(arr.dtype)


def _r2c_array(arr: np.ndarray, dim: tuple[int, ...], normalization: int, onesided: bool) -> np.ndarray:
    out_dtype = _COMPLEX_OF[arr.dtype]
    norm = _NP_NORM_FORWARD[normalization]
    if onesided:
        res = np.fft.rfftn(_wide(arr), axes=dim, norm=norm)
    else:
        res = np.fft.fftn(_wide(arr), axes=dim, norm=norm)
    return res.astype(out_dtype)


def _c2r_array(arr: np.ndarray, dim: tuple[int, ...], normalization: int, last_dim_size: int) -> np.ndarray:
    out_dtype = _REAL_OF[arr.dtype]
    sizes = [arr.shape[d] for d in dim[:-1]] + [last_dim_size]
    res = np.fft.irfftn(_wide(arr), s=sizes, axes=dim, norm=_NP_NORM_INVERSE[normalization])
    return res.astype(out_dtype)


class FftC2CBackward0(Node):
    # _fft_c2c: self: _fft_c2c_symint(grad, dim, normalization, !forward)
    def apply(self, grad: Tensor) -> tuple:
        return (fft_c2c(grad, self.dim, self.normalization, not self.forward),)


class FftR2CBackward0(Node):
    # _fft_r2c: self: fft_r2c_backward(grad, dim, normalization, onesided, self.sym_size(dim.back()))
    #   = at::real(_fft_c2c(grad zero-filled to last_dim_size along dim.back(), dim, normalization, false))
    def apply(self, grad: Tensor) -> tuple:
        return (fft_r2c_backward(grad, self.dim, self.normalization, self.onesided, self.last_dim_size),)


class FftC2RBackward0(Node):
    # _fft_c2r: self: fft_c2r_backward(grad, dim, normalization)
    #   = _fft_r2c(grad, dim, normalization, onesided=true) with entries 1 .. n - (n/2 + 1) of dim.back()
    #     doubled (each of them stands for itself and its conjugate-symmetric twin)
    def apply(self, grad: Tensor) -> tuple:
        gi = fft_r2c(grad, self.dim, self.normalization, True)
        last = self.dim[-1]
        double_length = grad._data.shape[last] - gi._data.shape[last]
        if double_length > 0:  # in place on a narrow view, as torch's formula (CopySlices under create_graph)
            gi.narrow(last, 1, double_length).mul_(2)
        return (gi,)


# torch's CPU build plans every transform with MKL's DFTI, which refuses a batch of zero signals
MKL_EMPTY_BATCH = "MKL FFT error: Intel oneMKL DFTI ERROR: Inconsistent configuration parameters"


def _check_batch(input: Tensor) -> None:
    if input._data.size == 0:
        raise RuntimeError(MKL_EMPTY_BATCH)


def fft_c2c(input: Tensor, dim: tuple[int, ...], normalization: int, forward: bool) -> Tensor:
    """ATen's _fft_c2c: a complex-to-complex transform over ``dim``."""
    _check_batch(input)
    out = Tensor._make(_back(input, _c2c_array(_host(input._data), dim, normalization, forward)))
    if grad_recording(input):
        record_with(FftC2CBackward0(), out, input, dim=dim, normalization=normalization, forward=forward)
    return out


def fft_r2c(input: Tensor, dim: tuple[int, ...], normalization: int, onesided: bool) -> Tensor:
    """ATen's _fft_r2c: a forward real-to-complex transform over ``dim`` (the last one halved if ``onesided``)."""
    _check_batch(input)
    out = Tensor._make(_back(input, _r2c_array(_host(input._data), dim, normalization, onesided)))
    if grad_recording(input):
        last_dim_size = input._data.shape[dim[-1]]
        record_with(
            FftR2CBackward0(),
            out,
            input,
            dim=dim,
            normalization=normalization,
            onesided=onesided,
            last_dim_size=last_dim_size,
        )
    return out


def fft_c2r(input: Tensor, dim: tuple[int, ...], normalization: int, last_dim_size: int) -> Tensor:
    """ATen's _fft_c2r: an inverse complex-to-real transform over ``dim`` of a one-sided Hermitian input."""
    _check_batch(input)
    out = Tensor._make(_back(input, _c2r_array(_host(input._data), dim, normalization, last_dim_size)))
    if grad_recording(input):
        record_with(FftC2RBackward0(), out, input, dim=dim, normalization=normalization)
    return out


def fft_r2c_backward(
    grad: Tensor, dim: tuple[int, ...], normalization: int, onesided: bool, last_dim_size: int
) -> Tensor:
    """torch's fft_r2c_backward: a one-sided grad zero-filled back to ``last_dim_size`` along ``dim[-1]``, its
    inverse c2c transform, and the real part of that (engine ops throughout, so it differentiates again)."""
    last = dim[-1]
    have = grad._data.shape[last]
    if onesided and last_dim_size > have:
        # zeros with the grad copied into its first part, as torch's formula (CopySlices under create_graph)
        shape = list(grad.shape)
        shape[last] = last_dim_size
        full = grad.new_zeros(shape)
        full.narrow(last, 0, have).copy_(grad)
        grad = full
    return real_part(fft_c2c(grad, dim, normalization, False))


def complex_dtype(dtype: D.dtype) -> D.dtype:
    """The complex dtype of a float32 / float64 dtype."""
    return D.complex64 if dtype is D.float32 else D.complex128
