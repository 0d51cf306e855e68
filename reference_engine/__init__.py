"""reference_engine: a pure-NumPy reference implementation of PyTorch's tensors and autograd.

``import reference_engine as torch`` runs ordinary PyTorch code: tensors with
``requires_grad``, ``backward``, ``no_grad``, ``autograd.grad``,
``autograd.Function``, with torch's values, dtypes, errors and printing.
"""

from __future__ import annotations

from . import _dtype
from ._creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from ._device import device
from ._dtype import (
    bool_ as bool,  # noqa: A004 - torch.bool
)
from ._dtype import (
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from ._dtype import float32 as float  # noqa: A004 - torch.float
from ._dtype import int32 as int  # noqa: A004 - torch.int
from . import autograd  # noqa: I001
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Size, Tensor
from . import ops
from .ops import *  # noqa: F403 - the op namespace mirrors torch's top level

__version__ = "0.1.0"


def result_type(tensor1: object, tensor2: object) -> dtype:
    return _dtype.result_type(tensor1, tensor2)


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return t.is_floating_point()


def numel(t: Tensor) -> int:
    return t.numel()


def can_cast(from_: dtype, to: dtype) -> bool:
    from .ops.inplace import _can_cast

    return _can_cast(from_, to)
