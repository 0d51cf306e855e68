"""Reductions: sum, mean, nansum, nanmean, prod, var, std, var_mean, std_mean, max, min, amax, amin, argmax,
argmin, median, logsumexp, the vector norm behind torch.norm and linalg.vector_norm (``_vector_norm``), dist,
renorm, trace, all, any, count_nonzero, softmax and log_softmax. Scans (cumsum ...) are in ``scan.py``.

Forwards compute on the array module of the data; backwards are written with
engine ops (so double backward works) and quote the formula from torch's
``tools/autograd/derivatives.yaml`` / ``FunctionsManual.cpp``. Masks that
pick winners (max, amax, median) are constants of the graph, like torch's.
"""

from __future__ import annotations

import builtins
import collections
import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from ..autograd import engine as _engine
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import _autocast, _cascade
from . import comparison as CMP
from . import pointwise as P
from ._util import (
    _FROM_NUMPY,
    binary_arrays,
    cj,
    grad_recording,
    invalid_combination,
    needs,
    record,
    record_saving,
    record_with,
    return_type,
    wrap_dims,
)
from .inplace import call_with_out, inplace_method, scalar_type_name
from .pointwise import _check_tensor, _const, _type_name

_MISSING = object()


# --------------------------------------------------------------------------- helpers
def _dims(t: Tensor, dim: Any) -> tuple[int, ...]:
    if dim is None or (isinstance(dim, tuple | list) and len(dim) == 0):
        return tuple(range(t.ndim))
    return wrap_dims(dim, t.ndim)


def _one_dim(t: Tensor, dim: Any) -> int:
    return wrap_dims(dim, t.ndim)[0]


def _axis(a: Any, dims: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy's axis for torch dims: a 0-dim tensor accepts dim 0 / -1, NumPy wants None."""
    return dims if a.ndim else None


def _kept_shape(in_shape: tuple, dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in dims else s for i, s in enumerate(in_shape))


def _restore(t: Tensor, in_shape: tuple, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """Put reduced dims back as size 1 (FunctionsManual's unsqueeze_multiple / restore_reduced_dims)."""
    if keepdim or not in_shape:
        return t
    return t.reshape(_kept_shape(in_shape, dims))


def _restored(node: Node, grad: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The saved input of a reduction over ``node.dims``, with grad and the saved result put back to its rank."""
    x = node.saved("self")
    shape = x._data.shape
    return (
        x,
        _restore(grad, shape, node.dims, node.keepdim),
        _restore(node.saved("result"), shape, node.dims, node.keepdim),
    )


def _expand_grad(grad: Tensor, in_shape: tuple, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """Broadcast a reduced grad back over the reduced dims (sum_backward's unsqueeze + expand)."""
    return _restore(grad, in_shape, dims, keepdim).expand(in_shape)


def _dtype_of(t: Tensor) -> D.dtype:
    return _FROM_NUMPY[t._data.dtype]


def _reduce_int_dtype(t: Tensor, dtype: D.dtype | None) -> D.dtype:
    """sum/prod/cumsum: integer and bool inputs accumulate in int64 unless ``dtype`` says otherwise."""
    if dtype is not None:
        return dtype
    d = _dtype_of(t)
    return D.int64 if d.category <= 1 else d


def _as(t: Tensor, dt: D.dtype) -> Any:
    a = t._data
    return a if a.dtype == dt.np else a.astype(dt.np)


def _require_nonempty(name: str, t: Tensor, dims: tuple[int, ...], full: bool) -> None:
    """max/min/amax/argmax have no identity: torch refuses empty reductions."""
    if full and t._data.size == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
            "with the 'dim' argument."
        )
    for d in dims:
        if t._data.ndim and t._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# --------------------------------------------------------------------------- sum / mean
class SumBackward0(Node):
    # sum(): self: grad.expand_symint(self.sym_sizes())
    def apply(self, grad: Tensor) -> tuple:
        return (grad.expand(self.self_sizes),)


class SumBackward1(Node):
    # sum.dim_IntList: self: sum_backward(grad, self.sym_sizes(), dim, keepdim)
    def apply(self, grad: Tensor) -> tuple:
        return (_expand_grad(grad, self.self_sizes, self.dims, self.keepdim),)


def _torch_order_sum(a: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
    """The sum of ``a`` over ``dims`` in torch's summation order when that reduces everything to one value
    (ops/_cascade.py), shaped as the reduction's result; None where NumPy's sum is used."""
    every = len(dims) == a.ndim  # dims are distinct: they name every axis (the common full reduction)
    if not (a.ndim and _cascade.applies(a) and (every or a.size == math.prod(a.shape[d] for d in dims))):
        return None
    if every:
        shape = (1,) * a.ndim if keepdim else ()
    else:
        shape = _kept_shape(a.shape, dims) if keepdim else tuple(s for i, s in enumerate(a.shape) if i not in dims)
    return _cascade.cascade_sum(a.reshape(-1)).reshape(shape)


def _sum_array(a: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
    """``torch.sum``'s kernel on an array: torch's order where it is known, NumPy's sum elsewhere."""
    res = _torch_order_sum(a, dims, keepdim)
    if res is None:
        # dtype=: NumPy widens small integer sums to int64 unless told the accumulator's type
        res = a.sum(axis=dims, keepdims=keepdim, dtype=a.dtype) if a.ndim else a.copy()
    return res


# the engine sums grads to their inputs' shapes with the same kernel (autograd/engine.py: sum_to_shape)
_engine.array_sum = _sum_array


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:  # noqa: A001
    _check_tensor("sum", input)
    dt = _reduce_int_dtype(input, dtype)
    a = _as(input, dt)
    if dt is D.bfloat16:
        a = a.astype(np.float32)  # torch accumulates bfloat16 in float32 (its order) and rounds once
    full = dim is None
    dims = _dims(input, dim)
    recording = grad_recording(input)
    if recording and not (dt.is_floating_point or dt.is_complex):
        # torch's set_history refuses an integral result on a graph (torch.sum(x, dtype=torch.int32))
        raise RuntimeError(f"Autograd not support dtype: {_type_name(dt)}")
    res = _sum_array(a, dims, keepdim)
    if dt is D.bfloat16:
        res = res.astype(D.BF16)
    result = Tensor._make(res)
    if recording:
        if full:
            node: Node = SumBackward0()
        else:
            node = SumBackward1()
            node.dims, node.keepdim = dims, keepdim
        node.self_sizes = input._data.shape
        record(node, result, input)
    return result


class MeanBackward0(Node):
    # mean(): self: grad.expand_symint(self.sym_sizes()) / self.sym_numel()
    def apply(self, grad: Tensor) -> tuple:
        return (grad.expand(self.self_sizes) / self.numel,)


class MeanBackward1(Node):
    # mean.dim: self: mean_backward(grad, self.sym_sizes(), dim, self.sym_numel(), keepdim)
    #   = sum_backward(grad, sizes, dim, keepdim) / _safe_size(sizes, dim)
    def apply(self, grad: Tensor) -> tuple:
        return (_expand_grad(grad, self.self_sizes, self.dims, self.keepdim) / self.count,)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:
    _check_tensor("mean", input)
    src = _dtype_of(input)
    if (dtype or src).category < 2:
        raise RuntimeError(
            f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype must be either "
            f"a floating point or complex dtype. Got: {_type_name(dtype or src)}"
        )
    dt = dtype or src
    a = _as(input, dt)
    if dt is D.bfloat16:
        a = a.astype(np.float32)  # the float32 sum divided in float32, rounded once (as torch's kernel)
    dims = _dims(input, dim)
    with P._errstate(input._xp):
        total = _torch_order_sum(a, dims, keepdim)
        if total is not None:  # torch's mean is its sum divided by the count, in the dtype
            res = total / a.dtype.type(a.size)
        else:
            res = a.mean(axis=_axis(a, dims), keepdims=keepdim) if a.size else _empty_mean(a, dims, keepdim)
    result = Tensor._make(input._xp.asarray(res, dtype=dt.np))
    if grad_recording(input):
        count = math.prod(a.shape[d] for d in dims) if a.ndim else 1
        if dim is None:
            node: Node = MeanBackward0()
            node.numel = a.size
        else:
            node = MeanBackward1()
            node.dims, node.keepdim, node.count = dims, keepdim, count
        node.self_sizes = a.shape
        record(node, result, input)
    return result


def _empty_mean(a: Any, dims: tuple[int, ...], keepdim: bool) -> Any:
    # the mean of nothing is 0 / 0 = nan (NumPy warns; torch does not)
    s = a.sum(axis=_axis(a, dims), keepdims=keepdim)
    return s / 0


# --------------------------------------------------------------------------- prod
class ProdBackward0(Node):
    # prod(): self: prod_backward(grad, self.to(grad.scalar_type()), result) = grad * (result / self).conj()
    def apply(self, grad: Tensor) -> tuple:
        return (_prod_backward(grad, self.saved("self"), self.saved("result"), self.dims, False),)


class ProdBackward1(Node):
    # prod.dim_int: self: prod_backward(grad, self.to(grad.scalar_type()), result, dim, keepdim)
    def apply(self, grad: Tensor) -> tuple:
        return (_prod_backward(grad, self.saved("self"), self.saved("result"), self.dims, self.keepdim),)


def _prod_backward(grad: Tensor, x: Tensor, result: Tensor, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """prod_backward: grad * (result / input) where no slice holds a zero; otherwise the product of the
    other elements (prod_safe_zeros_backward's exclusive cumprods), which is nonzero only at the single
    zero of a slice that holds exactly one zero."""
    if x.ndim == 0:
        return grad
    shape = x._data.shape
    g = _restore(grad, shape, dims, keepdim)
    r = _restore(result, shape, dims, keepdim)
    xp = x._xp
    zero = x._data == 0
    if not zero.any():
        return g * cj(r / x)
    safe_x = P.where(_const(zero), 1.0, x)
    others = _prod_over(safe_x, dims)  # product of the nonzero elements of each slice
    one_zero = zero & (xp.sum(zero, axis=dims, keepdims=True) == 1)
    return P.where(_const(one_zero), g * cj(others), g * cj(r / safe_x))


def _prod_over(t: Tensor, dims: tuple[int, ...]) -> Tensor:
    """The product over several dims, keeping them (one prod per dim, as prod takes a single dim)."""
    for d in dims:
        t = prod(t, d, keepdim=True)
    return t


def prod(input: Tensor, dim: Any = _MISSING, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(prod, False, (), locals())
    _check_tensor("prod", input)
    if dim is not _MISSING and dim is not None and not isinstance(dim, int | np.integer):
        raise TypeError(
            f"prod() received an invalid combination of arguments - got ({type(dim).__name__}), but expected one "
            "of:\n * (*, torch.dtype dtype = None)\n * (int dim, bool keepdim = False, *, torch.dtype dtype = None)\n"
        )
    dt = _reduce_int_dtype(input, dtype)
    a = _as(input, dt)
    full = dim is _MISSING or dim is None
    dims = tuple(range(a.ndim)) if full else (_one_dim(input, dim),)
    res = a.prod(axis=_axis(a, dims), keepdims=keepdim and not full)
    result = Tensor._make(input._xp.asarray(res, dtype=dt.np))
    if grad_recording(input):
        node: Node = ProdBackward0() if full else ProdBackward1()
        node.dims, node.keepdim = dims, keepdim and not full
        record(node, result, input)
        node.save("self", input)
        node.save("result", result, is_output=True)
    return result


# --------------------------------------------------------------------------- var / std
class VarBackward0(Node):
    # var.correction: self: var_backward(grad, self, dim, correction, keepdim)
    def apply(self, grad: Tensor) -> tuple:
        return (_var_backward(self, grad),)


class StdBackward0(Node):
    # std.correction: self: std_backward(result, grad, self, dim, correction, keepdim)
    #   grad_var = (grad / (result * 2)).masked_fill_(result == 0, 0); var_backward(grad_var, ...)
    def apply(self, grad: Tensor) -> tuple:
        result = self.saved("result")
        grad_var = P.where(_const(result._data == 0), 0.0, grad / (result * 2))
        return (_var_backward(self, grad_var),)


def _var_backward(node: Node, grad: Tensor) -> Tensor:
    """var_backward: (2 / (n - correction)) * grad * (self - self.mean(dim, true)); a full reduction with
    no degrees of freedom gives grad * where(self == self.mean(), nan, inf)."""
    x = node.saved("self")
    dims, keepdim, dof = node.dims, node.keepdim, node.dof
    if node.full or x.ndim == 0:
        if dof <= 0:
            # grad * where(self == self.mean(), nan, inf), written per branch to keep grad's dtype
            return P.where(x == mean(x), grad * math.nan, grad * math.inf)
        return (2.0 / dof) * grad * (x - mean(x))
    g = _restore(grad, x._data.shape, dims, keepdim)
    scale = 2.0 / dof if dof else math.copysign(math.inf, 2.0)
    return scale * g * (x - mean(x, dims, keepdim=True))


def _parse_var_args(name: str, dim: Any, unbiased: Any, keepdim: Any, correction: Any) -> tuple[Any, float, bool]:
    """Torch's overloads: var(dim, unbiased, keepdim), var(unbiased), var(dim, *, correction, keepdim)."""
    if isinstance(dim, bool):  # var(False): the first positional argument is ``unbiased``
        dim, unbiased = None, dim
    if correction is not None and unbiased is not _MISSING:
        raise TypeError(f"{name}(): cannot pass both 'unbiased' and 'correction'")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction, bool(keepdim)


def _var_forward(name: str, input: Tensor, dim: Any, unbiased: Any, keepdim: Any, correction: Any) -> tuple:
    _check_tensor(name, input)
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dim, corr, keepdim = _parse_var_args(name, dim, unbiased, keepdim, correction)
    a = input._data
    xp = input._xp
    dims = _dims(input, dim)
    axis = _axis(a, dims)
    n = math.prod(a.shape[d] for d in dims) if a.ndim else 1
    dof = n - corr
    if dof <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
            "(input numel divided by output numel).",
            UserWarning,
            stacklevel=4,  # the caller of var() / std(), like torch's warning
        )
    with P._errstate(xp):
        m = a.mean(axis=axis, keepdims=True) if a.size else xp.zeros(_kept_shape(a.shape, dims), a.dtype)
        dev = a - m
        ss = (dev * xp.conj(dev)).real.sum(axis=axis, keepdims=keepdim)
        var = ss / builtins.max(dof, 0)
    return var, dims, keepdim, dof, dim is None


def _var_like(
    name: str,
    node_cls: type,
    input: Tensor,
    dim: Any,
    unbiased: Any,
    keepdim: Any,
    correction: Any,
) -> Tensor:
    var, dims, keepdim, dof, full = _var_forward(name, input, dim, unbiased, keepdim, correction)
    xp = input._xp
    out = xp.sqrt(var) if name == "std" else var
    result = Tensor._make(xp.asarray(out, dtype=input._data.real.dtype))
    if grad_recording(input):
        node = node_cls()
        node.dims, node.keepdim, node.dof, node.full = dims, keepdim, dof, full
        record(node, result, input)
        node.save("self", input)
        if name == "std":
            node.save("result", result, is_output=True)
    return result


def _variance_op(name: str, impl: Callable[..., Any]) -> Callable[..., Any]:
    """var, std, var_mean and std_mean share torch's signature (and differ only in what they return)."""

    def op(
        input: Tensor,
        dim: Any = None,
        unbiased: Any = _MISSING,
        keepdim: bool = False,
        *,
        correction: Any = None,
    ) -> Any:
        return impl(input, dim, unbiased, keepdim, correction)

    op.__name__ = op.__qualname__ = name
    return op


var = _variance_op("var", functools.partial(_var_like, "var", VarBackward0))
std = _variance_op("std", functools.partial(_var_like, "std", StdBackward0))


# --------------------------------------------------------------------------- max / min / median
def _return_type(name: str) -> type:
    """torch.return_types.<name>: a tuple with ``.values`` and ``.indices``."""
    base = collections.namedtuple(name, ["values", "indices"])  # type: ignore[misc]

    def __repr__(self: Any) -> str:  # noqa: N807
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "torch.return_types"})
    return cls


_RETURN_TYPES = {n: _return_type(n) for n in ("max", "min", "median")}


def _evenly_distribute(grad: Tensor, x: Tensor, value: Tensor) -> Tensor:
    """evenly_distribute_backward: mask = value.isnan() ? input.isnan() : input == value;
    grad.new_zeros(input.sizes()).masked_fill_(mask, grad / mask.sum())."""
    xp = x._xp
    v = value._data
    mask = xp.isnan(x._data) if bool(xp.isnan(v)) else x._data == v
    count = int(mask.sum())
    share = (grad / count) if count else grad * math.nan
    return P.where(_const(mask), share.expand(x._data.shape), 0.0)


class _EvenlyDistribute(Node):
    # self: evenly_distribute_backward(grad, self, result)
    def apply(self, grad: Tensor) -> tuple:
        return (_evenly_distribute(grad, self.saved("self"), self.saved("result")),)


class _ValueSelecting(Node):
    # self: value_selecting_reduction_backward_symint(grad, dim, indices, self.sym_sizes(), keepdim)
    #   = zeros(sizes).scatter(dim, indices (unsqueezed), grad (unsqueezed))
    def apply(self, grad: Tensor, grad_indices: Tensor | None = None) -> tuple:
        shape, d = self.self_sizes, self.dim
        g = _restore(grad, shape, (d,), self.keepdim)
        if not shape:
            return (g,)
        idx = self.indices.reshape(_kept_shape(shape, (d,)))
        xp = self.xp
        pos = xp.arange(shape[d]).reshape([-1 if i == d else 1 for i in range(len(shape))])
        return (P.where(_const(pos == idx), g.expand(shape), 0.0),)


MaxBackward1 = type("MaxBackward1", (_EvenlyDistribute,), {"__doc__": "max(): evenly_distribute_backward"})
MinBackward1 = type("MinBackward1", (_EvenlyDistribute,), {"__doc__": "min(): evenly_distribute_backward"})
MedianBackward0 = type("MedianBackward0", (_EvenlyDistribute,), {"__doc__": "median(): evenly_distribute_backward"})
MaxBackward0 = type("MaxBackward0", (_ValueSelecting,), {"__doc__": "max.dim: value_selecting_reduction_backward"})
MinBackward0 = type("MinBackward0", (_ValueSelecting,), {"__doc__": "min.dim: value_selecting_reduction_backward"})
MedianBackward1 = type(
    "MedianBackward1", (_ValueSelecting,), {"__doc__": "median.dim: value_selecting_reduction_backward"}
)


def _full_select(name: str, input: Tensor, arr: Any, node_cls: type) -> Tensor:
    result = Tensor._make(input._xp.asarray(arr, dtype=input._data.dtype))
    if grad_recording(input):
        record_saving(node_cls(), result, {"self": input}, save_result=True)
    return result


def _values_and_indices(
    return_type: type,
    input: Tensor,
    dim: int,
    keepdim: bool,
    values: Any,
    indices: Any,
    node_cls: type,
) -> Any:
    """A (values, indices) result, its node a value-selecting backward that scatters grad to ``indices``
    (max/min/median over a dim here; sort/topk/kthvalue/mode in sorting.py)."""
    vals = Tensor._make(input._xp.asarray(values, dtype=input._data.dtype))
    idx = Tensor._make(input._xp.asarray(indices, dtype=np.int64))
    if grad_recording(input):
        node = node_cls()
        node.self_sizes, node.dim, node.keepdim = input._data.shape, dim, keepdim
        node.indices, node.xp = idx._data, input._xp
        record(node, (vals, idx), input)
        idx._grad_fn = None  # indices are not differentiable: torch gives them no grad_fn
    return return_type(vals, idx)


def _dim_select(name: str, input: Tensor, dim: Any, keepdim: bool, values: Any, indices: Any, node_cls: type) -> Any:
    return _values_and_indices(_RETURN_TYPES[name], input, dim, keepdim, values, indices, node_cls)


def _check_dim_arg(name: str, dim: Any, method: bool = False) -> None:
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        if name == "median":  # one (Tensor, int dim) overload: the parser names the argument
            raise TypeError(f"median(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
        # the parser lists the arguments it got: the method's exclude self, the function's include the tensor
        got = type(dim).__name__ if method else f"Tensor, {type(dim).__name__}"
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({got}), but expected one "
            f"of:\n * ()\n * (Tensor other)\n * (int dim, bool keepdim = False)\n"
        )


def _max_min(name: str, input: Tensor, dim: Any, keepdim: bool, other: Any, method: bool = False) -> Any:
    if not isinstance(input, Tensor) and dim is not None:  # torch.max(2, x): no overload takes a number first
        raise invalid_combination(name, input, dim)
    _check_tensor(name, input)
    if isinstance(dim, Tensor) or other is not None:
        fn = P.maximum if name == "max" else P.minimum
        return fn(input, dim if isinstance(dim, Tensor) else other)
    xp = input._xp
    a = input._data
    if a.dtype.kind == "c":  # complex numbers have no order
        if dim is None:
            raise NotImplementedError(f"\"{name}_all\" not implemented for '{_complex_name(input)}'")
        raise RuntimeError(f"{name}(): does not support complex input")
    if dim is None:
        _require_nonempty(name, input, (), full=True)
        arr = a.max() if name == "max" else a.min()  # NaN-propagating like torch
        return _full_select(name, input, arr, MaxBackward1 if name == "max" else MinBackward1)
    _check_dim_arg(name, dim, method)
    d = _one_dim(input, dim)
    _require_nonempty(name, input, (d,), full=False)
    if a.ndim == 0:
        return _dim_select(
            name, input, d, keepdim, a.copy(), xp.asarray(0), MaxBackward0 if name == "max" else MinBackward0
        )
    # argmax/argmin return the first winner, and the first NaN when there is one (torch's CPU kernels agree)
    idx = xp.argmax(a, axis=d) if name == "max" else xp.argmin(a, axis=d)
    idx = xp.expand_dims(idx, d)
    vals = xp.take_along_axis(a, idx, axis=d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return _dim_select(name, input, d, keepdim, vals, idx, MaxBackward0 if name == "max" else MinBackward0)


def _complex_name(t: Tensor) -> str:
    return "ComplexFloat" if t._data.dtype == np.complex64 else "ComplexDouble"


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001
    return _max_min("max", input, dim, keepdim, other)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001
    return _max_min("min", input, dim, keepdim, other)


def _median_index(a: Any, d: int) -> Any:
    """Index (along ``d``) of the lower median of each slice; the first NaN when a slice holds NaN."""
    xp = array_module(a)
    order = xp.argsort(a, axis=d, kind="stable")  # NaNs sort last
    n = a.shape[d]
    nan_count = xp.isnan(a).sum(axis=d, keepdims=True) if a.dtype.kind in "fc" else xp.zeros_like(order[:1])
    k = xp.where(nan_count > 0, n - nan_count, (n - 1) // 2)
    return xp.take_along_axis(order, k, axis=d)


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    _check_tensor("median", input)
    xp = input._xp
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        if flat.size == 0:
            arr = xp.asarray(math.nan)
        elif flat.dtype.kind in "fc" and bool(xp.isnan(flat).any()):
            arr = xp.asarray(math.nan)
        else:
            arr = xp.sort(flat)[(flat.size - 1) // 2]
        return _full_select("median", input, arr, MedianBackward0)
    _check_dim_arg("median", dim)
    d = _one_dim(input, dim)
    _require_nonempty("median", input, (d,), full=False)
    if a.ndim == 0:
        return _dim_select("median", input, d, keepdim, a.copy(), xp.asarray(0), MedianBackward1)
    idx = _median_index(a, d)
    vals = xp.take_along_axis(a, idx, axis=d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return _dim_select("median", input, d, keepdim, vals, idx, MedianBackward1)


# --------------------------------------------------------------------------- amax / amin / argmax / argmin
class AmaxBackward0(Node):
    # amax: self: scale_grad_by_count(restore_reduced_dims(grad, dim, keepdim),
    #             restore_reduced_dims(result, dim, keepdim) == self, dim)
    #   scale_grad_by_count(grad, mask, dims) = (grad / mask.sum(dims, true)) * mask
    def apply(self, grad: Tensor) -> tuple:
        x, g, r = _restored(self, grad)
        mask = r._data == x._data
        count = mask.sum(axis=_axis(mask, self.dims), keepdims=True)
        return ((g / _const(count)) * _const(mask),)


AminBackward0 = type("AminBackward0", (AmaxBackward0,), {"__doc__": "amin: same formula as amax"})


def _amax_amin(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(name, input)
    a = input._data
    if a.dtype.kind == "c":
        kernel = "max_values_cpu" if name == "amax" else "min_values_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_complex_name(input)}'")
    dims = _dims(input, dim)
    full = dim is None or (isinstance(dim, tuple | list) and len(dim) == 0)
    _require_nonempty(name, input, dims, full=full)
    fn = a.max if name == "amax" else a.min
    res = fn(axis=_axis(a, dims), keepdims=keepdim)
    result = Tensor._make(input._xp.asarray(res, dtype=a.dtype))
    if grad_recording(input):
        node = AmaxBackward0() if name == "amax" else AminBackward0()
        node.dims, node.keepdim = dims, keepdim
        record(node, result, input)
        node.save("self", input)
        node.save("result", result, is_output=True)
    return result


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _amax_amin("amax", input, dim, keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _amax_amin("amin", input, dim, keepdim)


def _arg(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(name, input)
    xp = input._xp
    a = input._data
    if a.dtype.kind == "c":
        raise RuntimeError(f"{name}(): does not support complex input")
    pick = xp.argmax if name == "argmax" else xp.argmin
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int | np.integer | Tensor)):
        # the parser's wording for torch.argmax(x, dim) (one int dim; a tuple of dims is refused)
        raise TypeError(f"{name}(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        res = xp.asarray(pick(a.reshape(-1)))
        if keepdim:
            res = res.reshape((1,) * a.ndim)
        return Tensor._make(res.astype(np.int64))
    d = _one_dim(input, dim)
    _require_nonempty(name, input, (d,), full=False)
    if a.ndim == 0:
        return Tensor._make(xp.asarray(0, dtype=np.int64))
    res = pick(a, axis=d, keepdims=keepdim)
    return Tensor._make(res.astype(np.int64))


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _arg("argmin", input, dim, keepdim)


# --------------------------------------------------------------------------- logsumexp
class LogsumexpBackward0(Node):
    # logsumexp: self: logsumexp_backward(grad, self, result, dim, keepdim)
    #   = unsqueeze_multiple(grad) * (self - unsqueeze_multiple(result)).exp()
    def apply(self, grad: Tensor) -> tuple:
        x, g, r = _restored(self, grad)
        return (g * P.exp(x - r),)


def logsumexp(input: Tensor, dim: Any = _MISSING, keepdim: bool = False) -> Tensor:
    _check_tensor("logsumexp", input)
    if dim is _MISSING:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    dt = D.to_float(_dtype_of(input))
    a = _as(input, dt)
    xp = input._xp
    dims = _dims(input, dim)
    axis = _axis(a, dims)
    with P._errstate(xp):
        # subtract the max so exp cannot overflow; an infinite max is left out of the shift
        m = a.max(axis=axis, keepdims=True) if a.size else xp.zeros(_kept_shape(a.shape, dims), a.dtype)
        m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
        res = xp.log(xp.exp(a - m).sum(axis=axis, keepdims=True)) + m
    if not keepdim and a.ndim:
        res = res.reshape([s for i, s in enumerate(res.shape) if i not in dims])
    result = Tensor._make(xp.asarray(res, dtype=dt.np).reshape(res.shape if a.ndim else ()))
    if grad_recording(input):
        node = LogsumexpBackward0()
        node.dims, node.keepdim = dims, keepdim
        record(node, result, input)
        node.save("self", input)
        node.save("result", result, is_output=True)
    return result


# --------------------------------------------------------------------------- all / any / count_nonzero
def _logical_reduce(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(name, input)
    a = input._data
    dims = _dims(input, dim)
    res = (a.all if name == "all" else a.any)(axis=_axis(a, dims), keepdims=keepdim)
    out_dt = np.uint8 if a.dtype == np.uint8 else np.bool_  # torch keeps uint8 for legacy masks
    return Tensor._make(input._xp.asarray(res).astype(out_dt))


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return _logical_reduce("all", input, dim, keepdim)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return _logical_reduce("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    _check_tensor("count_nonzero", input)
    a = input._data
    dims = _dims(input, dim)
    res = (a != 0).sum(axis=_axis(a, dims))
    return Tensor._make(input._xp.asarray(res, dtype=np.int64))


def _hash_dims(input: Tensor, dim: Any) -> tuple[int, ...]:
    """hash_tensor's reduced dims, with its checks for an empty input (which dims it needs, and non-empty ones)."""
    given = not (dim is None or (isinstance(dim, tuple | list) and len(dim) == 0))
    dims = wrap_dims(dim, input.ndim) if given else tuple(range(input.ndim))
    if input._data.size == 0:
        if not given:
            raise RuntimeError(
                "hash_tensor: Expected reduction dim to be specified for input.numel() == 0. Specify the reduction "
                "dim with the 'dim' argument."
            )
        for d in dims:
            if input._data.shape[d] == 0:
                raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero size.")
    return dims


def hash_tensor(input: Tensor, dim: Any = (), *, keepdim: bool = False, mode: int = 0) -> Tensor:
    """torch.hash_tensor: the xor of the elements' 64-bit patterns (each as float64 or int64) over ``dim``."""
    dims = _hash_dims(input, dim)
    a = input._data
    xp = input._xp
    out_shape = (
        tuple(1 if i in dims else s for i, s in enumerate(a.shape))
        if keepdim
        else tuple(s for i, s in enumerate(a.shape) if i not in dims)
    )
    if 0 in out_shape:  # nothing to hash: the kernel does not run
        return Tensor._make(xp.zeros(out_shape, dtype=np.uint64))
    if mode != 0:
        raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
    if a.dtype.kind in "cu" and a.dtype != np.uint8:
        raise NotImplementedError(f"\"xor_sum_cpu\" not implemented for '{scalar_type_name(input.dtype)}'")
    wide = a.astype(np.float64) if input.dtype.is_floating_point else a.astype(np.int64)
    bits = wide.reshape(a.shape or (1,)).view(np.uint64)
    res = xp.bitwise_xor.reduce(bits, axis=dims if a.ndim else (0,), keepdims=True)
    return Tensor._make(res.reshape(out_shape))


# --------------------------------------------------------------------------- softmax / log_softmax
class SoftmaxBackward0(Node):
    # _softmax: self: _softmax_backward_data(grad, result, dim, self.scalar_type())
    #   = result * (grad - (grad * result).sum(dim, true))
    def apply(self, grad: Tensor) -> tuple:
        y = self.saved("result")  # a 0-d result is 1: the formula gives +0, differentiable as torch's
        if y._data.dtype == D.BF16 and grad._data.dtype == D.BF16 and y.ndim and not grad_mode._state.enabled:
            # torch's bfloat16 kernel: the whole formula in float32, rounded once
            g, r = grad._data.astype(np.float32), y._data.astype(np.float32)
            return (Tensor._make((r * (g - (g * r).sum(axis=self.dim, keepdims=True))).astype(D.BF16)),)
        return (y * (grad - sum(grad * y, self.dim, keepdim=True)),)


class LogSoftmaxBackward0(Node):
    # _log_softmax: self: _log_softmax_backward_data(grad, result, dim, self.scalar_type())
    #   = grad - result.exp() * grad.sum(dim, true)
    def apply(self, grad: Tensor) -> tuple:
        y = self.saved("result")  # a 0-d result is 0: the formula gives +0, differentiable as torch's
        if y._data.dtype == D.BF16 and grad._data.dtype == D.BF16 and y.ndim and not grad_mode._state.enabled:
            g, r = grad._data.astype(np.float32), y._data.astype(np.float32)  # in float32, rounded once
            return (Tensor._make((g - np.exp(r) * g.sum(axis=self.dim, keepdims=True)).astype(D.BF16)),)
        return (grad - P.exp(y) * sum(grad, self.dim, keepdim=True),)


class SoftmaxBackwardDataBackward0(Node):
    # _softmax_backward_data: grad_output: _softmax_backward_data(grad, output, dim, input_dtype)
    #   output: softmax_double_backward(grad, grad_output, dim, output)
    #     = grad * (grad_output - (grad_output * output).sum(dim, true)) - grad_output * (grad * output).sum(dim, true)
    def apply(self, grad: Tensor) -> tuple:
        g_out, out = self.saved("grad_output"), self.saved("output")
        gg = _softmax_backward_data(grad, out, self.dim, self.input_dtype) if needs(self, 0) else None
        go = None
        if needs(self, 1):
            go = grad * (g_out - sum(g_out * out, self.dim, keepdim=True)) - g_out * sum(
                grad * out, self.dim, keepdim=True
            )
        return gg, go


def _softmax_backward_data(grad_output: Tensor, output: Tensor, dim: int, input_dtype: D.dtype) -> Tensor:
    """torch._softmax_backward_data: softmax's input gradient from its output's, ``output * (grad_output -
    (grad_output * output).sum(dim))``, in ``input_dtype``."""
    d = _one_dim(output, dim)
    with grad_mode.no_grad():
        res = output * (grad_output - sum(grad_output * output, d, keepdim=True))
        if res.dtype != input_dtype:
            res = res.to(input_dtype)
    result = Tensor._make(res._data)
    if grad_recording(grad_output, output):
        node = SoftmaxBackwardDataBackward0()
        node.dim, node.input_dtype = d, input_dtype
        record(node, result, grad_output, output)
        node.save("grad_output", grad_output)
        node.save("output", output)
    return result


def _softmax_like(name: str, input: Tensor, dim: Any, dtype: D.dtype | None) -> Tensor:
    _check_tensor(name, input)
    if dim is _MISSING:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    d = _one_dim(input, dim)
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001 - recorded as ToCopyBackward0 before the softmax, like torch
    src = _dtype_of(input)
    if src.category < 2:
        where = "lastdim_" if d == input.ndim - 1 or input.ndim == 0 else ""
        raise NotImplementedError(f"\"{name}_{where}kernel_impl\" not implemented for '{_type_name(src)}'")
    xp = input._xp
    a = input._data
    with P._errstate(xp):
        # Half inputs are computed in float32 and rounded once, like torch's kernels
        if a.dtype == D.BF16 and name == "softmax" and d != a.ndim - 1 and a.shape[d]:
            res = _bf16_softmax_inner(xp, a.astype(xp.float32), d)
        elif a.dtype == D.BF16 and name == "log_softmax" and d == a.ndim - 1 and a.shape[d]:
            res = _bf16_log_softmax_lastdim(xp, a.astype(xp.float32))
        else:
            res = _softmax_values(
                xp, a.astype(xp.float32) if a.dtype in (xp.float16, D.BF16) else a, d, log=name == "log_softmax"
            )
    result = Tensor._make(xp.asarray(res, dtype=a.dtype))
    if grad_recording(input):
        node = SoftmaxBackward0() if name == "softmax" else LogSoftmaxBackward0()
        node.dim = d
        record(node, result, input)
        node.save("result", result, is_output=True)
    return result


def _bf16_softmax_inner(xp: Any, a: Any, d: int) -> Any:
    """bfloat16 softmax over a dim that is not the last: torch's kernel stores the exponentials in the
    bfloat16 output before summing them in float32 (closer to torch's bits than one rounding, not always
    equal: see the bfloat16 divergence in scenarios/expected_divergences.toml)."""
    m = a.max(axis=d, keepdims=True)
    m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
    e = xp.exp(a - m).astype(D.BF16).astype(xp.float32)
    return e / e.sum(axis=d, keepdims=True)


def _bf16_log_softmax_lastdim(xp: Any, a: Any) -> Any:
    """bfloat16 log_softmax over the last dim: torch's kernel keeps the sum of the exponentials and its
    log in bfloat16, then computes ``(x - max) - log_sum`` in float32 (found by experiment, bit-identical)."""
    m = a.max(axis=-1, keepdims=True)
    m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
    s = xp.exp(a - m).sum(axis=-1, keepdims=True).astype(D.BF16).astype(xp.float32)
    return (a - m) - xp.log(s).astype(D.BF16).astype(xp.float32)


def _softmax_values(xp: Any, a: Any, d: int, log: bool) -> Any:
    if a.ndim == 0:
        return xp.zeros_like(a) if log else xp.ones_like(a)
    if a.shape[d] == 0:
        return a.copy()
    m = a.max(axis=d, keepdims=True)
    m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
    shifted = a - m
    e = xp.exp(shifted)
    s = e.sum(axis=d, keepdims=True)
    return shifted - xp.log(s) if log else e / s


def softmax(input: Tensor, dim: Any = _MISSING, dtype: D.dtype | None = None) -> Tensor:
    return _softmax_like("softmax", input, dim, dtype)


def log_softmax(input: Tensor, dim: Any = _MISSING, dtype: D.dtype | None = None) -> Tensor:
    return _softmax_like("log_softmax", input, dim, dtype)


class TraceBackward0(Node):
    # trace: self: trace_backward_symint(grad, self.sym_sizes()) = zeros with grad on the main diagonal
    def apply(self, grad: Tensor) -> tuple:
        eye = Tensor._make(grad._xp.eye(*self.self_sizes, dtype=bool))
        return (P.where(eye, grad, 0.0).to(grad.dtype),)


def trace(input: Tensor) -> Tensor:
    if _autocast.LOWER[0] is not None:  # torch.autocast: float32
        return _autocast.run(trace, False, (), locals())
    _check_tensor("trace", input)
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    dt = _reduce_int_dtype(input, None)
    out = Tensor._make(input._xp.asarray(a.astype(dt.np, copy=False).trace(), dtype=dt.np))
    if grad_recording(input):
        record_with(TraceBackward0(), out, input, self_sizes=a.shape)
    return out


# --------------------------------------------------------------------------- renorm / dist
class RenormBackward0(Node):
    # renorm_backward (FunctionsManual)
    def apply(self, grad: Tensor) -> tuple:
        x, p, dims, maxnorm = self.saved("self"), self.p, self.reduce_dims, self.maxnorm
        if grad_mode._state.enabled:  # create_graph: the norm is linalg_vector_norm(self, ...), differentiable
            norm = _vector_norm(x, p, dims, keepdim=True)
        else:
            norm = Tensor._make(_norm_values(x._data, x._xp, p, dims, True, False))
        gout = sum(x * grad, dims, keepdim=True)
        nb = _norm_backward(gout, x, p, norm, dims)
        invnorm = P.reciprocal(norm + 1e-7)
        factor = invnorm * maxnorm
        return (P.where(norm > maxnorm, factor * grad - (maxnorm * invnorm * invnorm) * nb, grad),)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    _check_tensor("renorm", input)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {_type_name(_dtype_of(input))} instead."
        )
    d = wrap_dims(dim, input.ndim)[0]
    dims = tuple(i for i in range(input.ndim) if i != d)
    a, xp = input._data, input._xp
    with P._errstate(xp):
        norm = _norm_values(a, xp, float(p), dims, True, False)
        factor = xp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(a.dtype)
        out = Tensor._make(a * factor)
    if grad_recording(input):
        node = RenormBackward0()
        node.p, node.reduce_dims, node.maxnorm = float(p), dims, maxnorm
        record(node, out, input)
        node.save("self", input)
    return out


class DistBackward0(Node):
    # dist: self: norm_backward(grad, self - other, p, result); other: -that
    def apply(self, grad: Tensor) -> tuple:
        diff = self.saved("self") - self.saved("other")
        g = _norm_backward(grad, diff, self.p, self.saved("result"), tuple(range(diff.ndim)))
        return (g if needs(self, 0) else None), (-g if needs(self, 1) else None)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    a, b, dt = binary_arrays(input, other)
    if not dt.is_floating_point and not dt.is_complex:
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {_type_name(dt)} instead."
        )
    xp = input._xp
    with P._errstate(xp):
        res = _norm_values(a - b, xp, float(p), None, False, False)
    out = Tensor._make(xp.asarray(res, dtype=dt.np))
    if grad_recording(input, other):
        record_saving(DistBackward0(), out, {"self": input, "other": other}, save_result=True, p=float(p))
    return out


# --------------------------------------------------------------------------- nansum / nanmean
class NansumBackward0(Node):
    # nansum: self: nansum_backward(grad.to(self.scalar_type()), self, dim, keepdim)
    #   = unsqueeze_multiple(grad, dim, ndim) * self.isnan().logical_not()
    def apply(self, grad: Tensor) -> tuple:
        x = self.saved("self")
        g = _expand_grad(grad.to(x.dtype), x._data.shape, self.dims, self.keepdim)
        return (g * CMP.logical_not(CMP.isnan(x)),)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:
    _check_tensor("nansum", input)
    dt = _reduce_int_dtype(input, dtype)
    a = _as(input, dt)
    dims = _dims(input, dim)
    xp = input._xp
    res = xp.nansum(a, axis=_axis(a, dims), keepdims=keepdim) if a.ndim else a.copy()
    out = Tensor._make(xp.asarray(res, dtype=dt.np))
    if grad_recording(input):
        node = NansumBackward0()
        node.dims, node.keepdim = dims, keepdim
        record(node, out, input)
        node.save("self", input)
    return out


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None) -> Tensor:
    _check_tensor("nanmean", input)
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {scalar_type_name(input.dtype)}"
        )
    # torch: nansum(input) / (number of non-NaN elements)
    dims = _dims(input, dim)
    a = input._data
    kept = ~input._xp.isnan(a)
    count = kept.sum(axis=_axis(a, dims), keepdims=keepdim) if a.ndim else kept.astype(np.int64)
    return nansum(input, dim, keepdim, dtype=dtype) / Tensor._make(input._xp.asarray(count, dtype=np.int64))


# --------------------------------------------------------------------------- var_mean / std_mean
class _MomentsBackward(Node):
    # var_mean: self: var_mean_backward(grads[0], grads[1], self, dim, correction, keepdim)
    # std_mean: self: std_mean_backward(grads[0], grads[1], self, result0, dim, correction, keepdim)
    #   = var (or std) backward of grads[0] + mean backward of grads[1]
    is_std = False

    def apply(self, g_spread: Tensor, g_mean: Tensor) -> tuple:
        x = self.saved("self")
        if self.is_std:
            result = self.saved("result0")
            g_spread = P.where(_const(result._data == 0), 0.0, g_spread / (result * 2))
        g = _var_backward(self, g_spread)
        shape = x._data.shape
        count = math.prod(shape[d] for d in self.dims) if shape else 1
        return (g + _expand_grad(g_mean, shape, self.dims, self.keepdim) / count,)


# var_mean.correction: self: var_mean_backward(grads[0], grads[1], self, dim, correction, keepdim)
VarMeanBackward0 = type("VarMeanBackward0", (_MomentsBackward,), {})


# std_mean.correction: self: std_mean_backward(grads[0], grads[1], self, result0, dim, correction, keepdim)
StdMeanBackward0 = type("StdMeanBackward0", (_MomentsBackward,), {"is_std": True})


def _moments(
    name: str,
    input: Tensor,
    dim: Any,
    unbiased: Any,
    keepdim: bool,
    correction: Any,
) -> tuple[Tensor, Tensor]:
    _check_tensor(name, input)
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    var, dims, keep, dof, full = _var_forward(name, input, dim, unbiased, keepdim, correction)
    xp = input._xp
    a = input._data
    with P._errstate(xp):
        m = a.mean(axis=_axis(a, dims), keepdims=keep) if a.size else a.sum(axis=_axis(a, dims), keepdims=keep) / 0
    spread = xp.sqrt(var) if name == "std_mean" else var
    s_out = Tensor._make(xp.asarray(spread, dtype=a.real.dtype))
    m_out = Tensor._make(xp.asarray(m, dtype=a.dtype))
    if grad_recording(input):
        node = (StdMeanBackward0 if name == "std_mean" else VarMeanBackward0)()
        node.dims, node.keepdim, node.dof, node.full = dims, keep, dof, full
        record(node, (s_out, m_out), input)
        node.save("self", input)
        if name == "std_mean":
            node.save("result0", s_out, is_output=True)
    return s_out, m_out


var_mean = _variance_op("var_mean", functools.partial(_moments, "var_mean"))
std_mean = _variance_op("std_mean", functools.partial(_moments, "std_mean"))


# --------------------------------------------------------------------------- norm
class LinalgVectorNormBackward0(Node):
    # linalg_vector_norm: self: linalg_vector_norm_backward(grad, self, ord, result, dim, keepdim)
    def apply(self, grad: Tensor) -> tuple:
        if self.p == 0.0:  # norm_backward returns {} for p = 0: an undefined grad, so the input gets none
            return (None,)
        x, g, nrm = _restored(self, grad)
        return (_norm_backward(g, x, self.p, nrm, self.dims),)


# ATen's norm.ScalarOpt_dim (what pairwise_distance calls): self: norm_backward(grad, self, p, result, dim, keepdim),
# linalg_vector_norm's formula under its own name
NormBackward1 = type("NormBackward1", (LinalgVectorNormBackward0,), {})


def _norm_backward(g: Tensor, x: Tensor, p: float, nrm: Tensor, dims: tuple[int, ...]) -> Tensor:
    """FunctionsManual norm_backward, branch by branch."""
    zero_norm = _const(nrm._data == 0)
    if p == 0.0:  # return {}: no gradient, i.e. zeros
        return g.expand(x._data.shape) * 0.0
    if p == 1.0:  # self.sgn() * grad
        return P.sgn(x) * g
    if p == 2.0:  # grad * (self / norm).masked_fill_(norm == 0, 0)
        return g * P.where(zero_norm, 0.0, x / nrm)
    if math.isinf(p):
        # self.sgn() * ((grad / mask.sum(dim, true)) * mask), mask = self.abs() == norm | self.abs().isnan()
        ax = P.abs(x)._data
        mask = (ax == nrm._data) | x._xp.isnan(ax)
        count = mask.sum(axis=_axis(mask, dims), keepdims=True)
        return P.sgn(x) * ((g / _const(count)) * _const(mask))
    if p < 1.0:  # self.sgn() * self.abs().pow_(p - 1).masked_fill_(self == 0, 0) * grad * norm.pow(1 - p)
        scaled = P.sgn(x) * P.where(_const(x._data == 0), 0.0, P.abs(x) ** (p - 1))
        return scaled * g * nrm ** (1 - p)
    if p < 2.0:  # self.sgn() * self.abs().pow_(p - 1) * (grad / norm.pow(p - 1)).masked_fill_(norm == 0, 0)
        scaled = P.sgn(x) * P.abs(x) ** (p - 1)
    else:  # self * self.abs().pow_(p - 2) * (grad / norm.pow(p - 1)).masked_fill_(norm == 0, 0)
        scaled = x * P.abs(x) ** (p - 2)
    return scaled * P.where(zero_norm, 0.0, g / nrm ** (p - 1))


def _norm_order(p: Any) -> float:
    if p is None or p == "fro":
        return 2.0
    if isinstance(p, str):
        raise NotImplementedError(f"norm(): p={p!r} is not supported by the reference engine")
    return float(p)


def _norm_values(a: Any, xp: Any, p: float, axis: Any, keepdim: bool, shortcut: bool) -> Any:
    ab = xp.abs(a)
    count = math.prod(a.shape[d] for d in axis) if axis is not None else 1
    if count == 1 and p != 0.0 and shortcut:
        # one element per slice: torch gives |x| itself (no pow, so no underflow for tiny values);
        # a 0-dim tensor with an explicit dim goes through the pow kernel instead
        return ab if keepdim or axis is None else ab.reshape([s for i, s in enumerate(a.shape) if i not in axis])
    with P._errstate(xp):
        if p == 2.0:
            return xp.sqrt((ab * ab).sum(axis=axis, keepdims=keepdim))
        if p == math.inf:
            return ab.max(axis=axis, keepdims=keepdim)
        if p == -math.inf:
            return ab.min(axis=axis, keepdims=keepdim)
        if p == 0.0:
            return (ab != 0).sum(axis=axis, keepdims=keepdim).astype(ab.dtype)
        if p == 1.0:
            return ab.sum(axis=axis, keepdims=keepdim)
        return (ab**p).sum(axis=axis, keepdims=keepdim) ** (1.0 / p)


def _vector_norm(
    input: Tensor,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    dtype: D.dtype | None = None,
    *,
    node_cls: type = LinalgVectorNormBackward0,
) -> Tensor:
    _check_tensor("norm", input)
    src = _dtype_of(input)
    if src.category < 2:
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {_type_name(src)}"
        )
    if dtype is not None and D.promote_types(src, dtype) is not dtype:
        raise RuntimeError(
            f"linalg.vector_norm: the dtype of the input ({_type_name(src)}) should be convertible without narrowing "
            f"to the specified dtype ({_type_name(dtype)})"
        )
    if p == "fro" and isinstance(dim, tuple | list) and len(dim) > 2:
        # torch.norm sends 'fro' over more than two dims to linalg.matrix_norm, which refuses them
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    order = _norm_order(p)
    a = _as(input, dtype) if dtype is not None else input._data
    dims = _dims(input, dim)
    if math.isinf(order) and a.size == 0 and (a.ndim == 0 or builtins.any(a.shape[d] == 0 for d in dims)):
        raise RuntimeError(
            "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have "
            "an identity"
        )
    xp = input._xp
    res = _norm_values(a, xp, order, _axis(a, dims), keepdim, shortcut=a.ndim > 0 or dim is None)
    result = Tensor._make(xp.asarray(res, dtype=a.real.dtype))
    if grad_recording(input):
        node = node_cls()
        node.dims, node.keepdim, node.p = dims, keepdim, order
        record(node, result, input)
        node.save("self", input)
        node.save("result", result, is_output=True)
    return result


# --------------------------------------------------------------------------- aminmax / nanmedian
class AminmaxBackward0(Node):
    # self: aminmax_backward(self, dim, keepdim, grad_min, grad_max, min, max)
    #   = scale_grad_by_count(restore_reduced_dims(grad_min), self == restore_reduced_dims(min), dims)
    #   + scale_grad_by_count(restore_reduced_dims(grad_max), self == restore_reduced_dims(max), dims)
    def apply(self, grad_min: Tensor, grad_max: Tensor) -> tuple:
        x = self.saved("self")
        shape = x._data.shape
        total = None
        for grad, name in ((grad_min, "min"), (grad_max, "max")):
            g = _restore(grad, shape, self.dims, self.keepdim)
            mask = _restore(self.saved(name), shape, self.dims, self.keepdim)._data == x._data
            count = mask.sum(axis=_axis(mask, self.dims), keepdims=True)
            part = (g / _const(count)) * _const(mask)
            total = part if total is None else total + part
        return (total,)


def _type_meta(t: Tensor) -> str:
    """c10's TypeMeta name of the dtype (as aminmax's out= check prints it; blas keeps the full table)."""
    names = {"float16": "c10::Half", "float32": "float", "float64": "double", "int32": "int", "int64": "long int"}
    name = _FROM_NUMPY[t._data.dtype].name
    return names.get(name, name)


_AMINMAX = return_type("aminmax", ("min", "max"))


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False, out: Any = None) -> Any:
    """torch.aminmax: amin and amax in one pass, as a (min, max) named tuple."""
    _check_tensor("aminmax", input)
    if out is not None:
        # torch's aminmax.out wants the input's dtype exactly (not the generic out= cast rule)
        for o in out if isinstance(out, tuple | list) else ():
            if isinstance(o, Tensor) and o.dtype != input.dtype:
                raise RuntimeError(
                    f"Expected out tensor to have dtype {_type_meta(input)}, but got {_type_meta(o)} instead"
                )
        return call_with_out(aminmax, "aminmax", (input,), {"dim": dim, "keepdim": keepdim}, out)
    a = input._data
    if dim is None:
        if a.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."
            )
        dims = tuple(range(a.ndim))
    else:
        dims = (_one_dim(input, dim),)
        if a.ndim and a.shape[dims[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dims[0]} to have non-zero size.")
    axis = _axis(a, dims) if dim is not None else None
    keep = keepdim and (dim is not None or a.ndim > 0)
    lo = a.min(axis=axis, keepdims=keep)
    hi = a.max(axis=axis, keepdims=keep)
    if dim is None and keepdim:
        lo, hi = lo.reshape((1,) * a.ndim), hi.reshape((1,) * a.ndim)
    xp = input._xp
    mn = Tensor._make(xp.asarray(lo, dtype=a.dtype))
    mx = Tensor._make(xp.asarray(hi, dtype=a.dtype))
    if grad_recording(input):
        node = AminmaxBackward0()
        node.dims, node.keepdim = dims, keepdim
        record(node, (mn, mx), input)
        node.save("self", input)
        node.save("min", mn, is_output=True)
        node.save("max", mx, is_output=True)
    return _AMINMAX(mn, mx)


NanmedianBackward0 = type(
    "NanmedianBackward0", (_EvenlyDistribute,), {"__doc__": "nanmedian(): evenly_distribute_backward"}
)
NanmedianBackward1 = type(
    "NanmedianBackward1", (_ValueSelecting,), {"__doc__": "nanmedian.dim: value_selecting_reduction_backward"}
)
_RETURN_TYPES["nanmedian"] = _return_type("nanmedian")


def _nanmedian_index(a: Any, d: int) -> Any:
    """Index (along ``d``) of the lower median of each slice's non-NaN values (torch's nanmedian kernel);
    an all-NaN slice gives 0: torch's index there is whatever its std::nth_element leaves first (0 for up to 3
    elements, then 2, 3, 5 ...), which is not reproduced."""
    xp = array_module(a)
    order = xp.argsort(a, axis=d, kind="stable")  # NaNs sort last
    n = a.shape[d]
    valid = n - xp.isnan(a).sum(axis=d, keepdims=True) if a.dtype.kind in "fc" else xp.full_like(order[:1], n)
    k = xp.where(valid > 0, (valid - 1) // 2, 0)
    return xp.take_along_axis(order, k, axis=d)


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """torch.nanmedian: median ignoring NaNs (NaN only where a slice holds nothing else)."""
    _check_tensor("nanmedian", input)
    xp = input._xp
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        if flat.dtype.kind in "fc":
            flat = flat[~xp.isnan(flat)]
        arr = xp.asarray(math.nan) if flat.size == 0 else xp.sort(flat)[(flat.size - 1) // 2]
        return _full_select("nanmedian", input, arr, NanmedianBackward0)
    _check_dim_arg("nanmedian", dim)
    d = _one_dim(input, dim)
    _require_nonempty("median", input, (d,), full=False)  # torch's message names median here too
    if a.ndim == 0:
        return _dim_select("nanmedian", input, d, keepdim, a.copy(), xp.asarray(0), NanmedianBackward1)
    idx = _nanmedian_index(a, d)
    vals = xp.take_along_axis(a, idx, axis=d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return _dim_select("nanmedian", input, d, keepdim, vals, idx, NanmedianBackward1)


# --------------------------------------------------------------------------- exports
__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "count_nonzero", "dist", "log_softmax", "logsumexp", "max",
    "mean", "median", "min", "nanmean", "nansum", "prod", "renorm", "softmax", "std", "std_mean", "sum", "trace",
    "var", "var_mean",
]  # fmt: skip
# norm (torch.norm, built on linalg.vector_norm) is exported by ops/linalg.py
METHODS = {name: globals()[name] for name in __all__ if name not in ("std_mean", "var_mean")}


def _max_method(self: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    return _max_min("max", self, dim, keepdim, other, method=True)


def _min_method(self: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    return _max_min("min", self, dim, keepdim, other, method=True)


METHODS["max"], METHODS["min"] = _max_method, _min_method  # Tensor.max's parser errors word the method's form
METHODS["renorm_"] = inplace_method(renorm)
__all__ += ["aminmax", "nanmedian"]
__all__ += ["hash_tensor"]
METHODS["hash_tensor"] = hash_tensor
METHODS.update({"aminmax": aminmax, "nanmedian": nanmedian})
