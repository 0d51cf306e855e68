"""``repr``/``str`` of tensors, byte-identical to torch's.

The layout follows torch's printer: one formatter per tensor (two for complex
tensors, for the real and imaginary parts) fixes a common element width and a
notation (integer-valued ``1.``, fixed ``0.5000`` or scientific
``1.0000e+05``) from the finite non-zero values; rows are nested with one more
space of indent per dimension and wrapped at ``linewidth``; tensors with more
than ``threshold`` elements are summarised with ``...`` keeping ``edgeitems``
entries at each end; suffixes (``device=``, ``dtype=``, ``size=``,
``grad_fn=``/``requires_grad=``) follow and wrap onto a new line when they
would overflow.

Printing works on a host (NumPy) copy of the data: the output is text, so the
values have to reach the host anyway, and Python's float formatting of the
exact values is what makes the digits match torch's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtype as D
from ._backend import to_numpy


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# torch's named profiles: (precision, threshold, edgeitems, linewidth)
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """torch.set_printoptions: a profile first, then the explicit options on top.

    Like torch, ``sci_mode`` is always assigned, so a call without it returns
    to automatic notation.
    """
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (torch.printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------- element formatting
class _Formatter:
    """Chooses the notation and the common width of one (real) array's elements."""

    def __init__(self, arr: np.ndarray) -> None:
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            # nothing to measure: integer notation, width 1 (as torch)
            return
        # ceil is taken in the tensor's own dtype, like torch's ``value != ceil(value)``
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        self.sci_mode = self._choose_sci(np.abs(nonzero_finite).astype(np.float64))
        values = nonzero_finite.tolist()
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in values]
        elif self.int_mode:
            # the trailing "." marks a floating tensor: one more character
            widths = [len(f"{v:.0f}") + 1 for v in values]
        else:
            widths = [len(f"{v:.{p}f}") for v in values]
        self.max_width = max(self.max_width, *widths)

    @staticmethod
    def _choose_sci(abs_values: np.ndarray) -> bool:
        if PRINT_OPTS.sci_mode is not None:
            return bool(PRINT_OPTS.sci_mode)
        lo, hi = abs_values.min(), abs_values.max()
        # torch's thresholds, evaluated in float64
        return bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        p = PRINT_OPTS.precision
        if not self.floating:
            ret = str(value)
        elif self.sci_mode:
            ret = f"{value:{self.max_width}.{p}e}"
        elif self.int_mode:
            ret = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                ret += "."
        else:
            ret = f"{value:.{p}f}"
        return ret.rjust(self.max_width)


def _element_str(value: Any, real_fmt: _Formatter, imag_fmt: _Formatter | None) -> str:
    if imag_fmt is None:
        return real_fmt.format(value)
    real = real_fmt.format(value.real)
    imag = (imag_fmt.format(value.imag) + "j").lstrip()
    # a sign (including that of -0.0) already separates the parts
    return real + imag if imag[0] in "+-" else real + "+" + imag


# ---------------------------------------------------------------------- layout
def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows (what the formatter measures)."""
    e = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        # with e == 0, ``arr[-0:]`` is the whole vector: torch measures all of it too
        return np.concatenate((arr[:e], arr[-e:])) if arr.shape[0] > 2 * e else arr
    if not e:
        return arr[(slice(0, 0),) * arr.ndim]
    rows = list(range(e)) + list(range(arr.shape[0] - e, arr.shape[0])) if arr.shape[0] > 2 * e else range(arr.shape[0])
    return np.stack([_summarized(arr[i]) for i in rows])


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmts: tuple[_Formatter, _Formatter | None]) -> str:
    real_fmt, imag_fmt = fmts
    # each element takes its width plus ", " (and the imaginary part plus "j")
    element_length = real_fmt.width() + 2
    if imag_fmt is not None:
        element_length += imag_fmt.width() + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        head = [_element_str(v, real_fmt, imag_fmt) for v in arr[:e].tolist()]
        tail = [_element_str(v, real_fmt, imag_fmt) for v in arr[-e:].tolist()]
        data = [*head, " ...", *tail]
    else:
        data = [_element_str(v, real_fmt, imag_fmt) for v in arr.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr: np.ndarray, indent: int, summarize: bool, fmts: tuple[_Formatter, _Formatter | None]) -> str:
    if arr.ndim == 0:
        return _element_str(arr.item(), *fmts)
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmts)
    e = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * e:
        head = [_nested_str(arr[i], indent + 1, summarize, fmts) for i in range(e)]
        tail = [_nested_str(arr[i], indent + 1, summarize, fmts) for i in range(n - e, n)]
        slices = [*head, "...", *tail]
    else:
        slices = [_nested_str(arr[i], indent + 1, summarize, fmts) for i in range(n)]
    # sub-blocks of a k-dim tensor are separated by k-1 newlines
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _body_str(arr: np.ndarray, indent: int) -> str:
    if arr.dtype == D.BF16:
        arr = arr.astype(np.float32)  # exact; NumPy formats ml_dtypes' bfloat16 as an opaque kind
    summarize = arr.size > PRINT_OPTS.threshold
    shown = _summarized(arr) if summarize else arr
    fmts: tuple[_Formatter, _Formatter | None]
    if arr.dtype.kind == "c":
        fmts = (_Formatter(shown.real), _Formatter(shown.imag))
    else:
        fmts = (_Formatter(shown), None)
    return _nested_str(arr, indent, summarize, fmts)


# ---------------------------------------------------------------------- suffixes
def _has_default_dtype(dt: D.dtype) -> bool:
    default = D.get_default_dtype()
    default_complex = D.complex128 if default is D.float64 else D.complex64
    return dt in (default, default_complex, D.int64, D.bool_)


def _data_suffixes(t: Any, arr: np.ndarray) -> list[str]:
    """device=, size= and dtype= suffixes, in torch's order."""
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    size = "size=" + str(tuple(arr.shape))
    if arr.size == 0:
        # an empty tensor has no elements that could reveal an integer dtype: only the default float is implied
        if arr.ndim != 1:
            suffixes.append(size)
        if t.dtype is not D.get_default_dtype():
            suffixes.append(f"dtype={t.dtype}")
        return suffixes
    if not PRINT_OPTS.edgeitems:
        suffixes.append(size)
    if not _has_default_dtype(t.dtype):
        suffixes.append(f"dtype={t.dtype}")
    return suffixes


def _autograd_suffix(t: Any) -> list[str]:
    try:
        grad_fn = t.grad_fn
    except RuntimeError:
        # torch prints this when reading grad_fn itself fails
        return ["grad_fn=<Invalid>"]
    if grad_fn is not None:
        return [f"grad_fn=<{type(grad_fn).__name__}>"]
    return ["requires_grad=True"] if t.requires_grad else []


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    # torch's measure of the last line (two more than its length when there is a single line)
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _mro_names(t: Any) -> list[str]:
    return [c.__name__ for c in type(t).__mro__]


def tensor_repr(t: Any) -> str:
    """torch's ``repr(tensor)``: ``tensor([1., 2.], requires_grad=True)``.

    A plain Tensor or a Parameter prints as ``tensor(...)`` (Parameter's own
    ``repr`` adds the ``Parameter containing:`` line); another subclass prints
    with its class name, wrapped in ``Parameter(...)`` when it derives from
    Parameter.
    """
    cls_name = type(t).__name__
    is_plain = cls_name in ("Tensor", "Parameter")
    prefix = "tensor(" if is_plain else f"{cls_name}("
    indent = len(prefix)
    arr = to_numpy(t._data)
    body = "[]" if arr.size == 0 else _body_str(arr, indent)
    suffixes = _data_suffixes(t, arr) + _autograd_suffix(t)
    tangent = t._fw_tangent()
    if tangent is not None:
        suffixes.append(f"tangent={tensor_repr(tangent)}")
    text = _add_suffixes(prefix + body, suffixes, indent)
    if not is_plain and "Parameter" in _mro_names(t):
        text = f"Parameter({text})"
    return text


def parameter_repr(t: Any) -> str:
    """torch's ``repr(nn.Parameter)``: a header line, then the tensor's repr."""
    return "Parameter containing:\n" + tensor_repr(t)
