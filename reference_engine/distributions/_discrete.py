"""What Bernoulli and Categorical share: one of ``probs`` / ``logits`` given, the other computed lazily."""

from __future__ import annotations

from typing import Any

from .. import _creation as C
from .. import _dtype as D
from ..tensor import Size, Tensor


def check_one_of(probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class ProbsOrLogits:
    """``param_shape``, ``_new`` and ``enumerate_support`` over the parameter the distribution was given."""

    _param: Tensor
    _batch_shape: Size
    _support_size: int
    _support_dtype: D.dtype | None  # None: the parameter's dtype

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    def _new(self, *args: Any, **kwargs: Any) -> Tensor:
        return self._param.new_empty(*args, **kwargs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        dtype = self._param.dtype if self._support_dtype is None else self._support_dtype
        values = C.arange(self._support_size, dtype=dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1, *self._batch_shape))
        return values
