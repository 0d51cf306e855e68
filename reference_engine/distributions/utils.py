"""Helpers shared by the distributions, as in ``torch.distributions.utils``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from .. import _creation as C
from .. import _dtype as D
from .. import autograd, nn, ops
from .._typeinfo import finfo
from ..ops.join import broadcast_tensors
from ..tensor import Size, Tensor

# torch.types._Number: what broadcast_all and the constructors treat as a plain number
_Number = (int, float, bool)
# the default sample shape (a Size is a tuple, so one shared instance is safe)
EMPTY_SIZE = Size()

T = TypeVar("T")
R = TypeVar("R")


def broadcast_all(*values: Tensor | float) -> tuple[Tensor, ...]:
    """Numbers become tensors of the first tensor's dtype and device (the default dtype if none), then broadcast."""
    if not all(isinstance(v, (Tensor, *_Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects implementing __torch_function__."
        )
    first = next((v for v in values if isinstance(v, Tensor)), None)
    options: dict[str, Any] = (
        {"dtype": D.get_default_dtype()} if first is None else {"dtype": first.dtype, "device": first.device}
    )
    return broadcast_tensors(*(v if isinstance(v, Tensor) else C.tensor(v, **options) for v in values))


def broadcast_params(*values: Tensor | float) -> tuple[tuple[Tensor, ...], Size]:
    """A distribution's parameters through ``broadcast_all``, with its batch shape: empty when every one was
    a Python number (a scalar distribution), else the broadcast shape."""
    params = broadcast_all(*values)
    return params, Size() if all(isinstance(v, _Number) for v in values) else params[0].size()


def _standard_normal(shape: Sequence[int], dtype: D.dtype, device: Any) -> Tensor:
    return C.empty(shape, dtype=dtype, device=device).normal_()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    if is_binary:
        return ops.sigmoid(logits)
    return nn.functional.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp to [eps, 1 - eps] so that the logits stay finite."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ops.log(ps_clamped) - ops.log1p(-ps_clamped)
    return ops.log(ps_clamped)


class lazy_property(Generic[T, R]):  # noqa: N801 - torch's name
    """A parameter computed on first access (with grad enabled) and then stored on the instance."""

    def __init__(self, wrapped: Callable[[T], R]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: T | None, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with autograd.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def format_value(value: Any) -> str:
    """``f"{value}"`` as torch writes it: a 0-dim tensor as its Python number, any other tensor as ``str``."""
    if isinstance(value, Tensor) and value.dim() == 0:
        return format(value.detach().item())
    return f"{value}"
