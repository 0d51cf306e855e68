"""CPU autocast's casting policy (torch's ``AutocastCPU`` kernels in ATen's ``autocast_mode.cpp``).

``LOWER[0]`` is the dtype an enabled CPU autocast computes in (bfloat16 or float16), None when it is off:
``torch.autocast`` (``amp/autocast_mode.py``) sets it. The ops on torch's lists start with
``if LOWER[0] is not None: return run(...)``, a list read where autocast is off, so float32 code pays
nothing more. ``run`` casts the eligible tensor arguments (floating point, not float64: torch's
``is_eligible``) to the policy's dtype and calls the op again with autocast off, as torch's wrapper
redispatches below its autocast key: the ops an op calls inside are not cast again (cdist's mm stays
float32).

Lower-precision casts of float32 leaf tensors that require grad (a model's weights) are cached for the
region, as torch's ``cached_cast``: a weight used twice goes through one ``ToCopyBackward0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _dtype as D
from ..tensor import Tensor

LOWER: list[D.dtype | None] = [None]
CACHE_ENABLED = [True]
_cache: dict[int, tuple[Tensor, Tensor]] = {}

# torch's AutocastCPU kernels with the lower_precision_fp policy (the rest of its list, not run by the engine:
# _convolution, conv_tbc, mkldnn_rnn_layer, linalg_vecdot, _native_multi_head_attention, _addmm_activation)
LOWER_PRECISION_OPS = frozenset({
    "conv1d", "conv2d", "conv3d", "bmm", "mm", "baddbmm", "addmm", "addbmm", "linear", "matmul",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu", "scaled_dot_product_attention",
})  # fmt: skip


def clear_cache() -> None:
    _cache.clear()


def _cast(t: Tensor, dtype: D.dtype) -> Tensor:
    if t.dtype is dtype or not t.is_floating_point() or t.dtype is D.float64:
        return t
    cacheable = (
        dtype is LOWER[0] and CACHE_ENABLED[0] and t.dtype is D.float32 and t._requires_grad and t._grad_fn is None
    )
    if cacheable:
        hit = _cache.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
    out = t.to(dtype)
    if cacheable:
        _cache[id(t)] = (t, out)  # the source is held, so its id is not reused while cached
    return out


def _cast_arg(a: Any, dtype: D.dtype) -> Any:
    if isinstance(a, Tensor):
        return _cast(a, dtype)
    if isinstance(a, list | tuple) and any(isinstance(x, Tensor) for x in a):
        return type(a)(_cast_arg(x, dtype) for x in a)
    return a


def run(fn: Callable[..., Any], lower: bool, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)`` under the policy: ``lower`` casts to the autocast dtype, else to float32."""
    dtype = LOWER[0]
    assert dtype is not None
    target = dtype if lower else D.float32
    args = tuple(_cast_arg(a, target) for a in args)
    kwargs = {k: _cast_arg(v, target) for k, v in kwargs.items()}
    LOWER[0] = None  # what the op calls inside runs without autocast, as below torch's autocast key
    try:
        return fn(*args, **kwargs)
    finally:
        LOWER[0] = dtype
