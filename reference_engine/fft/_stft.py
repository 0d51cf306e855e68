"""torch.stft and torch.istft (also Tensor.stft / Tensor.istft), composed as torch composes them.

stft: torch.functional's centering (a ``pad_mode`` pad of n_fft // 2 on both sides), then ATen's stft: frames
taken with as_strided, multiplied by the window (zero-padded to n_fft), one ``_fft_r2c`` (``_fft_c2c`` for a
complex input or window) over the frame, then ``transpose_(1, 2)`` and ``squeeze_(0)`` for a 1-D signal, so
the result's node is TransposeBackward1 or SqueezeBackward4 (ViewAsRealBackward0 with return_complex=False).

istft: ATen's overlap-add: an inverse ``_fft_c2r`` (``_fft_c2c`` with return_complex) of each frame, times the
window, summed into the signal (unfold_backward), divided by the summed squared window, trimmed by center and
length; the result's node is SqueezeBackward1 for a single signal.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import _dtype as D
from .._creation import ones
from ..nn._functional.padding import constant_pad_nd, pad
from ..ops.complex_numbers import resolve_conj, view_as_complex, view_as_real
from ..ops.shape import as_strided, narrow, squeeze, squeeze_, transpose, transpose_, unfold_backward
from ..tensor import Tensor
from . import _transforms as T

# torch warns these once per process (TORCH_WARN_ONCE)
_WARNED: set[str] = set()

_STFT_NO_WINDOW = (
    "A window was not provided. A rectangular window will be applied,which is known to cause spectral leakage. "
    "Other windows such as torch.hann_window or torch.hamming_window are recommended to reduce spectral leakage."
    "To suppress this warning and use a rectangular window, explicitly set `window=torch.ones(n_fft, "
    "device=<device>)`."
)
_STFT_REAL_OUTPUT = (
    "stft with return_complex=False is deprecated. In a future pytorch release, stft will return complex tensors "
    "for all inputs, and return_complex=False will raise an error.\nNote: you can still call torch.view_as_real on "
    "the complex output to recover the old return format."
)
_ISTFT_NO_WINDOW = (
    "A window was not provided. A rectangular window will be applied.Please provide the same window used by stft "
    "to make the inversion lossless.To suppress this warning and use a rectangular window, explicitly set "
    "`window=torch.ones(n_fft, device=<device>)`."
)
_ISTFT_PADDED = (
    "The length of signal is shorter than the length parameter. Result is being padded with zeros in the tail. "
    "Please check your center and hop_length settings."
)

# torch's legacy type names, as ATen's Tensor::toString() gives them
_LEGACY = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
    "uint8": "Byte", "bool": "Bool",
}  # fmt: skip


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def _type_string(t: Tensor) -> str:
    """ATen's Tensor::toString(): the legacy class name for real dtypes, the backend's type name for complex ones."""
    if t.is_complex():
        return f"CPU{_LEGACY[t.dtype.name]}Type"
    return f"torch.{_LEGACY[t.dtype.name]}Tensor"


def _sizes(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _opt(value: Any) -> str:
    """How ATen's messages print an optional: None, a bool as 0/1, a number as is."""
    if value is None:
        return "None"
    return str(int(value)) if isinstance(value, bool) else str(value)


def _window_string(window: Tensor | None) -> str:
    return "None" if window is None else f"{_type_string(window)}{{{_sizes(window)}}}"


class _Args:
    """stft's / istft's arguments as ATen sees them (defaults filled in), and its message prefix."""

    def __init__(self, input: Tensor, n_fft: int, hop_length: int | None, win_length: int | None, **rest: Any):
        self.input, self.n_fft = input, n_fft
        self.hop = n_fft >> 2 if hop_length is None else int(hop_length)
        self.win = n_fft if win_length is None else int(win_length)
        self.window: Tensor | None = rest.pop("window")
        self.rest = rest

    def stft_error(self, what: str) -> RuntimeError:
        r, x = self.rest, self.input
        return RuntimeError(
            f"stft({_type_string(x)}{_sizes(x)}, n_fft={self.n_fft}, hop_length={self.hop}, win_length={self.win}, "
            f"window={_window_string(self.window)}, normalized={int(bool(r['normalized']))}, "
            f"onesided={_opt(r['onesided'])}, return_complex={_opt(r['return_complex'])}, "
            f"align_to_window={_opt(r['align_to_window'])}) : {what}"
        )

    def istft_error(self, what: str, sep: str = " : ") -> RuntimeError:
        r, x = self.rest, self.input
        return RuntimeError(
            f"istft({_type_string(x)}{_sizes(x)}, n_fft={self.n_fft}, hop_length={self.hop}, win_length={self.win}, "
            f"window={_window_string(self.window)}, center={int(bool(r['center']))}, "
            f"normalized={int(bool(r['normalized']))}, onesided={_opt(r['onesided'])}, length={_opt(r['length'])}, "
            f"return_complex={int(bool(r['return_complex']))}){sep}{what}"
        )

    def full_window(self, dtype: D.dtype, rectangular: bool) -> Tensor | None:
        """The window centred in n_fft points (torch writes it into zeros; a zero pad gives the same values);
        without a window, ones of ``win_length`` (``rectangular``, or where stft must zero the sides)."""
        window, win, n_fft = self.window, self.win, self.n_fft
        if window is None and (rectangular or win < n_fft):
            window = ones(win, dtype=dtype)
        if window is None or win == n_fft:
            return window
        left = (n_fft - win) // 2
        return constant_pad_nd(window, [left, n_fft - win - left])


def stft(
    input: Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Tensor | None = None,
    center: bool = True,
    pad_mode: str = "reflect",
    normalized: bool = False,
    onesided: bool | None = None,
    return_complex: bool | None = None,
    align_to_window: bool | None = None,
) -> Tensor:
    """torch.stft: the short-time Fourier transform of a 1-D signal or a batch of them (B x L)."""
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    signal = input
    if center:  # torch.functional.stft's part, before ATen's
        signal_dim = signal.ndim
        extended = [1] * (3 - signal_dim) + list(signal.shape)
        amount = int(n_fft // 2)
        signal = pad(signal.view(extended), [amount, amount], pad_mode)
        signal = signal.view(signal.shape[-signal_dim:])
    a = _Args(signal, n_fft, hop_length, win_length, window=window, normalized=normalized, onesided=onesided,
              return_complex=return_complex, align_to_window=align_to_window)  # fmt: skip
    want_complex = signal.is_complex() or (window is not None and window.is_complex())
    complex_result = want_complex if return_complex is None else bool(return_complex)
    _check_stft(a, complex_result)
    frames = signal.unsqueeze(0) if signal.ndim == 1 else signal
    batch, length = frames.shape
    n_frames = 1 + (length - n_fft) // a.hop
    if align_to_window:
        # each frame starts where its window starts: the signal is zero-padded by the window's offset in n_fft on
        # both sides, and has a frame per hop that fits the window. As in torch 2.13, when n_fft - win_length is
        # odd the last frame can reach one sample past the padding, and as_strided refuses it
        left = (n_fft - a.win) // 2
        frames = constant_pad_nd(frames, [left, left])
        n_frames = 1 + (length - a.win) // a.hop
    s0, s1 = frames.stride()
    frames = as_strided(frames, (batch, n_frames, n_fft), (s0, a.hop * s1, s1))
    full_window = a.full_window(signal.dtype, rectangular=False)
    if full_window is not None:
        frames = frames * full_window
    complex_fft = frames.is_complex()
    sided = (not complex_fft) if onesided is None else bool(onesided)
    mode = T.NORM_BY_ROOT_N if normalized else T.NORM_NONE
    if complex_fft:
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = T.fft_c2c(frames, (2,), mode, True)
    else:
        out = T.fft_r2c(frames, (2,), mode, sided)
    transpose_(out, 1, 2)
    if signal.ndim == 1:
        squeeze_(out, 0)
    return out if complex_result else view_as_real(out)


def _check_stft(a: _Args, complex_result: bool) -> None:
    """ATen's stft checks and warnings, in its order."""
    x, n_fft, window = a.input, a.n_fft, a.window
    if not complex_result:
        if a.rest["return_complex"] is None:
            raise RuntimeError(
                "stft requires the return_complex parameter be given for real inputs, and will further require "
                "that return_complex=True in a future PyTorch release."
            )
        _warn_once(_STFT_REAL_OUTPUT)
    if window is None:
        _warn_once(_STFT_NO_WINDOW)
    if not (x.is_floating_point() or x.is_complex()):
        raise a.stft_error("expected a tensor of floating point or complex values")
    if x.ndim > 2 or x.ndim < 1:
        raise a.stft_error("expected a 1D or 2D tensor")
    length = x.shape[-1]
    # frames aligned to the window need only win_length samples (ATen still calls it n_fft in the message)
    frame = a.win if a.rest["align_to_window"] else n_fft
    if frame <= 0 or frame > length:
        raise a.stft_error(f"expected 0 < n_fft < {length}, but got n_fft={frame}")
    if a.hop <= 0:
        raise a.stft_error(f"expected hop_length > 0, but got hop_length={a.hop}")
    if a.win <= 0 or a.win > n_fft:
        raise a.stft_error(f"expected 0 < win_length <= n_fft, but got win_length={a.win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != a.win):
        raise a.stft_error(
            f"expected a 1D window tensor of size equal to win_length={a.win}, but got window with size "
            f"{_sizes(window)}"
        )


def istft(
    input: Tensor,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Tensor | None = None,
    center: bool = True,
    normalized: bool = False,
    onesided: bool | None = None,
    length: int | None = None,
    return_complex: bool = False,
) -> Tensor:
    """torch.istft: the inverse of stft by overlap-add, for a complex (n_fft or n_fft // 2 + 1) x frames input."""
    a = _Args(input, n_fft, hop_length, win_length, window=window, center=center, normalized=normalized,
              onesided=onesided, length=length, return_complex=return_complex)  # fmt: skip
    if window is None:
        _warn_once(_ISTFT_NO_WINDOW)
    if not input.is_complex():
        raise RuntimeError(
            "istft requires a complex-valued input tensor matching the output from stft with return_complex=True."
        )
    pairs = view_as_real(resolve_conj(input))
    sided = _check_istft(a, pairs)
    full_window = a.full_window(pairs.dtype, rectangular=True)
    if pairs.ndim == 3:
        pairs = pairs.unsqueeze(0)
    spectra = view_as_complex(transpose(pairs, 1, 2).contiguous())  # (channel, n_frames, fft_size)
    mode = T.NORM_BY_ROOT_N if normalized else T.NORM_BY_N
    if return_complex:
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        frames = T.fft_c2c(spectra, (2,), mode, False)
    else:
        if window is not None and window.is_complex():
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not sided:
            spectra = spectra.narrow(-1, 0, n_fft // 2 + 1)
        frames = T.fft_c2r(spectra, (2,), mode, n_fft)
    y = _overlap_add(a, frames, full_window)
    return squeeze(y, 0) if input.ndim == 2 else y


def _check_istft(a: _Args, pairs: Tensor) -> bool:
    """ATen's istft checks, in its order (``pairs``: the input as view_as_real); whether it is one-sided."""
    n_fft, input_dim = a.n_fft, pairs.ndim
    _dim(-2, input_dim)  # torch reads the frame count first: a vector fails here
    fft_size = pairs.shape[_dim(-3, input_dim)]
    if pairs.numel() == 0:
        raise a.istft_error("input tensor cannot be empty.")
    if input_dim not in (3, 4):
        raise a.istft_error(f"expected a tensor with 3 or 4 dimensions, but got {input_dim}")
    onesided = a.rest["onesided"]
    sided = (fft_size != n_fft) if onesided is None else bool(onesided)
    if sided and n_fft // 2 + 1 != fft_size:
        raise a.istft_error(
            "expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 + 1 when "
            f"onesided=True, but got {fft_size}"
        )
    if not sided and n_fft != fft_size:
        raise a.istft_error(
            "expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when "
            f"onesided=False, but got {fft_size}"
        )
    if not 0 < a.hop <= a.win:
        raise a.istft_error("expected 0 < hop_length <= win_length")
    if not 0 < a.win <= n_fft:
        raise a.istft_error("expected 0 < win_length <= n_fft")
    if a.window is not None and (a.window.ndim != 1 or a.window.shape[0] != a.win):
        raise a.istft_error("Invalid window shape. window has to be 1D and length of `win_length`")
    return sided


def _overlap_add(a: _Args, frames: Tensor, full_window: Tensor) -> Tensor:
    """The windowed frames summed into the signal, divided by the summed squared window, trimmed (center,
    length) and zero-padded to ``length`` when that is longer."""
    n_fft, hop = a.n_fft, a.hop
    n_frames = frames.shape[1]
    expected_len = n_fft + hop * (n_frames - 1)
    weighted = frames * full_window.view(1, 1, n_fft)
    y = unfold_backward(weighted, (weighted.shape[0], expected_len), 1, n_fft, hop)
    squared = (full_window**2).expand(1, n_frames, n_fft)
    envelope = unfold_backward(squared, (1, expected_len), 1, n_fft, hop)
    center, length = a.rest["center"], a.rest["length"]
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = -(n_fft // 2)
    else:
        end = expected_len
    # torch slices (SliceBackward0) even when nothing is cut; an end past the signal is clamped, as slice does
    stop = min(end if end >= 0 else expected_len + end, expected_len)
    y = narrow(y, 1, start, max(stop - start, 0))
    envelope = narrow(envelope, 1, start, max(stop - start, 0))
    if bool((envelope.abs().min() < 1e-11).item()):
        raise a.istft_error("window overlap add min: 1\n[ CPUBoolType{} ]", sep=" ")
    y = y / envelope
    if end > expected_len:
        _warn_once(_ISTFT_PADDED)
        y = constant_pad_nd(y, [0, end - expected_len])
    return y


def _dim(d: int, ndim: int) -> int:
    if not -ndim <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    return d


METHODS = {"stft": stft, "istft": istft}
