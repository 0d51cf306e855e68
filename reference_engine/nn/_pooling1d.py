"""1-d pooling and dropout1d, as torch runs them: the 2-d op on a height-1 view (``unsqueeze(-2)``),
then ``squeeze(-2)``, so the graph is the 2-d node under a ``SqueezeBackward1``, as in torch.

The argument checks are torch's 1-d ones (``check_max_pool1d``, ``checkDimRange``), which run before
the 2-d op and so decide the message.
"""

from __future__ import annotations

from typing import Any

from .._creation import ones, zeros
from ..ops.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..tensor import Tensor


def _ints(v: Any) -> list[int]:
    return [v] if isinstance(v, int) else list(v)


def _check_dims(input: Tensor, name: str) -> None:  # noqa: A002
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 'self' "
            f"(while checking arguments for {name})"
        )


def _one(v: Any, name: str, arg: str) -> int:
    # avg_pool1d / adaptive_avg_pool1d: an IntArrayRef[1] argument
    vals = _ints(v)
    if len(vals) != 1:
        raise RuntimeError(f"{name}() argument '{arg}' should contain one int (got {len(vals)})")
    return vals[0]


def _check_max_pool1d(input: Tensor, k: list, s: list, p: list, d: list, ceil_mode: bool) -> None:  # noqa: A002
    if input.dim() not in (2, 3):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            + str(list(input.shape))
        )
    sizes = (
        ("kernel_size must be an int, list of ints or tuple of ints", k, (1,)),
        ("stride must be None, an int, list of ints, or tuple of ints", s, (0, 1)),
        ("padding must be an int, list of ints, or tuple of ints", p, (1,)),
        ("dilation must be an int, list of ints or tuple of ints", d, (1,)),
    )
    for what, vals, allowed in sizes:
        if len(vals) not in allowed:
            raise RuntimeError(f"max_pool1d() {what} of size 1 but got size {len(vals)}")
    kk, ss, pp, dd = k[0], (s or k)[0], p[0], d[0]
    if kk <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {kk}")
    if ss <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {ss}")
    if pp < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {pp}")
    if pp > kk // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={pp} and kernel_size={kk}"
        )
    if dd <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dd}")
    span = input.shape[-1] + 2 * pp - dd * (kk - 1) - 1 + (ss - 1 if ceil_mode else 0)
    out = span // ss + 1
    if ceil_mode and (out - 1) * ss >= input.shape[-1] + pp:
        out -= 1
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


def max_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    k, p, d = _ints(kernel_size), _ints(padding), _ints(dilation)
    s = [] if stride is None else _ints(stride)
    if return_indices:
        _check_dims(input, "max_pool1d")
    else:
        _check_max_pool1d(input, k, s, p, d, ceil_mode)
    res = max_pool2d(input.unsqueeze(-2), (1, k[0]), (1, (s or k)[0]), (0, p[0]), (1, d[0]), ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    _check_dims(input, "avg_pool1d")
    k = _one(kernel_size, "avg_pool1d", "kernel_size")
    s = k if stride is None or _ints(stride) == [] else _one(stride, "avg_pool1d", "stride")
    p = _one(padding, "avg_pool1d", "padding")
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    _check_dims(input, "adaptive_avg_pool1d")
    size = _one(output_size, "adaptive_avg_pool1d", "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: torch's feature_dropout, a bernoulli_(1 - p) noise of shape (N, C, 1) / (1 - p)."""
    from .functional import dropout  # noqa: PLC0415 - functional imports this module

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that dropout1d exists to "
            "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional "
            "batch dimension (i.e. 2D or 3D inputs)."
        )
    if p == 0 or not training or input.numel() == 0:
        return input
    batched = input.dim() == 3
    # torch runs an unbatched (C, L) input as (1, C, L) and squeezes the result; in place it reshapes the
    # input itself (unsqueeze_), which the engine lacks, so there the noise is (C, 1): the same draws
    x = input if batched or inplace else input.unsqueeze(0)
    if p == 1:
        noise = zeros((), dtype=input.dtype, device=input.device)
    else:
        noise = dropout(ones((*x.shape[:-1], 1), dtype=input.dtype, device=input.device), p)
    if inplace:
        return input.mul_(noise)
    out = x * noise
    return out if batched else out.squeeze(0)


__all__ = ["adaptive_avg_pool1d", "avg_pool1d", "dropout1d", "max_pool1d"]
