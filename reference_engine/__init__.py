"""reference_engine: a pure-NumPy reference implementation of PyTorch's tensors and autograd.

``import reference_engine as torch`` runs ordinary PyTorch code: tensors with
``requires_grad``, ``backward``, ``no_grad``, ``autograd.grad``,
``autograd.Function``, with torch's values, dtypes, errors and printing.
"""

from __future__ import annotations

import sys

# Order matters here, and only here: the autograd package first (its engine imports tensor.py, which
# imports autograd.grad_mode and autograd.graph: entering through the package keeps that one way), then
# the surface, which attaches Tensor's methods before any module that uses them at import time.
from . import autograd

# isort: split
from . import _tensor_surface  # noqa: F401 - imported for what it does: attach Tensor's methods

# isort: split
from . import (
    _dtype,
    cuda,
    fft,
    linalg,
    masked,
    nn,
    ops,
    optim,
    random,
    serialization,
    signal,
    special,
    utils,
)
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
from ._device import device, get_default_device, set_default_device
from ._dtype import (
    bfloat16,
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
    uint64,
)
from ._dtype import (
    bool_ as bool,  # noqa: A004 - torch.bool
)
from ._dtype import float32 as float  # noqa: A004 - torch.float
from ._dtype import int32 as int  # noqa: A004 - torch.int
from ._layout import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    sparse_coo,
    strided,
)
from ._lowrank import pca_lowrank, svd_lowrank
from ._printing import get_printoptions, printoptions, set_printoptions
from ._torch_version import get_torch_version, set_torch_version
from ._typeinfo import finfo, iinfo
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .fft._stft import istft, stft
from .nn._functional.dropout import native_dropout_backward  # noqa: F401 - aten-level forms, see below
from .nn._functional.normalization import (  # noqa: F401
    _batch_norm_with_update,
    _native_batch_norm_legit,
    native_batch_norm,
    native_group_norm,
    native_layer_norm,
)
from .nn._functional.weight_norm import _weight_norm, norm_except_dim  # noqa: F401 - torch._weight_norm: private
from .nn.functional import conv2d, max_pool2d
from .ops import *  # noqa: F403 - the op namespace mirrors torch's top level
from .ops.inplace import _can_cast
from .ops.reduction import _softmax_backward_data  # noqa: F401
from .random import *  # noqa: F403 - torch.manual_seed, torch.randn ...
from .serialization import load, save
from .tensor import Size, Tensor

__version__ = "0.1.0"

# The aten-level forms imported above (native_batch_norm, native_layer_norm, native_group_norm and the private
# _native_batch_norm_legit, _softmax_backward_data are torch attributes; _batch_norm_with_update and
# native_dropout_backward torch reaches through torch.ops.aten) stay out of __all__, as in torch.

# The public namespace: what is imported above plus every op (``from .ops import *``).
__all__ = [
    "Size", "Tensor", "arange", "as_tensor", "autograd", "bool", "can_cast", "cdouble", "cfloat", "complex64",
    "complex128", "cuda", "device", "double", "dtype", "empty", "empty_like", "enable_grad", "eye", "float", "float16",
    "float32", "float64", "from_numpy", "full", "full_like", "get_default_device", "get_default_dtype", "half", "inference_mode", "int",
    "int8", "int16", "int32", "int64", "is_floating_point", "is_grad_enabled", "is_tensor", "linspace", "long",
    "no_grad", "numel", "ones", "ones_like", "ops", "promote_types", "result_type", "scalar_tensor",
    "set_default_device", "set_default_dtype", "set_grad_enabled", "short", "tensor", "uint8", "zeros", "zeros_like",
]  # fmt: skip
__all__ += ops.__all__
__all__ += ["distributions", "finfo", "iinfo", "linalg", "nn", "optim", "random", "special", "utils", *random.__all__]
__all__ += ["masked"]
__all__ += ["conv2d", "dropout", "get_printoptions", "max_pool2d", "printoptions", "relu_", "set_printoptions"]
__all__ += ["load", "norm_except_dim", "save", "serialization"]
__all__ += ["channels_last", "channels_last_3d", "contiguous_format", "layout", "memory_format", "preserve_format"]
__all__ += ["strided"]
__all__ += ["get_torch_version", "set_torch_version"]  # which torch release the engine mirrors
__all__ += ["bfloat16", "uint64"]
__all__ += ["signal", "sparse_coo"]
__all__ += ["fft", "istft", "stft"]
__all__ += ["pca_lowrank", "svd_lowrank"]
__all__ += ["is_anomaly_check_nan_enabled", "is_anomaly_enabled", "is_inference_mode_enabled", "set_anomaly_enabled"]


def relu_(input: Tensor) -> Tensor:
    """torch.relu_: in place, with torch's in-place autograd rules."""
    return input.relu_()


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout (positional ``train``), the same mask recipe as nn.functional.dropout."""
    return nn.functional.dropout(input, p, training=train)


def result_type(tensor1: object, tensor2: object) -> dtype:
    return _dtype.result_type(tensor1, tensor2)


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return t.is_floating_point()


def numel(t: Tensor) -> int:
    return t.numel()


def can_cast(from_: dtype, to: dtype) -> bool:
    return _can_cast(from_, to)


# torch.selu, torch.conv1d ...: the nn.functional ops torch also has at its top level, with the same arguments
from ._functional_aliases import *  # noqa: E402, F403
from ._functional_aliases import __all__ as _aliases_all  # noqa: E402

__all__ += _aliases_all

# torch.ops.aten (reference_engine/ops/aten.py) gets the operators whose kernels live in nn
from . import _aten  # noqa: E402, I001 - registers into ops.aten
from . import _out_arguments  # noqa: E402

_out_arguments.install(sys.modules[__name__])  # out= on every function torch gives one (after all are defined)

# forward AD computes tangents through the public ops of these namespaces while a dual level is entered
autograd.forward_ad.register_surfaces(
    # ops.matrix_functions: linalg serves its functions through __getattr__ (only when the mirrored release has them);
    # ops.aten: torch.ops.aten's overloads
    [
        sys.modules[__name__],
        nn.functional,
        _aten,
        nn._functional.rnn,
        nn._functional.attention,
        linalg,
        special,
        fft,
        ops.matrix_functions,
        ops.aten,
    ],
    Tensor,
    random.default_generator,
)

# torch.func: its transforms are written against ops, nn modules and the random generators above.
from . import func  # noqa: E402

__all__ += ["func"]

# torch's smaller namespaces: torch.backends flags, torch.accelerator, torch.amp (GradScaler, autocast), the legacy
# typed constructors (torch.FloatTensor ...), torch.compile, torch.onnx and torch.distributed (unavailable).
from . import accelerator, amp, backends, distributed, onnx  # noqa: E402
from ._compile import compile  # noqa: E402, A004 - torch.compile
from ._tensortype import *  # noqa: E402, F403 - torch.FloatTensor, torch.LongTensor ...
from ._tensortype import __all__ as _legacy_types  # noqa: E402
from .amp.autocast_mode import (  # noqa: E402
    autocast,
    get_autocast_dtype,
    is_autocast_cache_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
)
from .backends.cuda import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402

__all__ += ["accelerator", "amp", "backends", "compile", "distributed", "onnx", *_legacy_types, "autocast"]
__all__ += ["get_autocast_dtype", "is_autocast_cache_enabled", "is_autocast_enabled", "set_autocast_cache_enabled"]
__all__ += ["set_autocast_dtype", "set_autocast_enabled", "get_float32_matmul_precision"]
__all__ += ["set_float32_matmul_precision"]

# Last: torch.distributions is written against the finished top-level namespace (torch.Tensor, torch.normal ...).
from . import distributions  # noqa: E402

# isort: split
# `import torch.nn` while `torch` is aliased to the engine gives reference_engine.nn itself, never a second copy
from . import _as_torch  # noqa: E402

_as_torch.register()
