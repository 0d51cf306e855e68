"""torch.masked's reductions and normalizations on strided tensors with a boolean mask.

torch writes these in Python from ordinary ops (torch/masked/_ops.py): the mask is broadcast to the input's
shape and made boolean, the masked-out elements are replaced by the reduction's identity with ``where``, and
the plain op runs on the result. The same composition here gives torch's values, dtypes and grad_fn chains
(``WhereBackward0`` under ``SumBackward1`` ...), and its argument checks give torch's errors.

Only the strided layout exists in the engine, so the sparse COO/CSR branches of torch's functions are absent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import ops
from .._creation import ones, tensor
from .._dtype import bool_ as _bool
from .._dtype import dtype as DType
from .._dtype import float32, int64, uint8
from .._typeinfo import iinfo
from ..linalg import vector_norm
from ..nn import functional as F
from ..ops import broadcast_to, divide, isnan, maximum, nanmedian, sqrt, subtract, where
from ..tensor import Tensor

__all__ = [
    "amax",
    "amin",
    "argmax",
    "argmin",
    "cumprod",
    "cumsum",
    "log_softmax",
    "logaddexp",
    "logsumexp",
    "mean",
    "median",
    "norm",
    "normalize",
    "prod",
    "softmax",
    "softmin",
    "std",
    "sum",
    "var",
]

DimOrDims = int | Sequence[int] | None

# sum and prod accumulate these in int64 when no dtype is given (as torch.sum does)
_PROMOTED_TO_INT64 = frozenset({"uint8", "bool", "int8", "int16", "int32"})


# the reductions whose identity is the dtype's lowest value, and those whose identity is its highest
_LOWEST_IDENTITY = frozenset({"amax", "argmax", "logaddexp", "logsumexp"})
_HIGHEST_IDENTITY = frozenset({"amin", "argmin"})


def _reduction_identity(op_name: str, input: Tensor, *args: object) -> Tensor | None:
    """The value that leaves the reduction unchanged, as a 0-dim tensor of the input's dtype (None where
    torch calls it ambiguous: mean, var, std)."""
    dtype = input.dtype
    if op_name in {"sum", "cumsum"}:
        return tensor(0, dtype=dtype)
    if op_name in {"prod", "cumprod"}:
        return tensor(1, dtype=dtype)
    if op_name in _LOWEST_IDENTITY or op_name in _HIGHEST_IDENTITY:
        return _extreme_identity(op_name, dtype)
    if op_name == "norm":
        order = args[0] if args else 2
        if order == -math.inf:
            if not dtype.is_floating_point:
                raise AssertionError(f"input must be floating point, got {dtype}")
            return tensor(math.inf, dtype=dtype)
        return tensor(0, dtype=dtype)
    if op_name == "median":
        # nanmedian ignores NaN, so NaN is the identity of the median as torch computes it
        return tensor(math.nan, dtype=dtype if dtype.is_floating_point else float32)
    if op_name in {"mean", "var", "std"}:
        return None
    raise NotImplementedError(f"identity of {op_name} on {dtype} input")


def _extreme_identity(op_name: str, dtype: DType) -> Tensor:
    """-inf/inf for floating dtypes, the integer dtype's min/max; complex dtypes count as signed
    (torch.is_signed), so only logsumexp has a complex identity and the others reach iinfo, which refuses them."""
    lowest = op_name in _LOWEST_IDENTITY
    if dtype.is_floating_point:
        return tensor(-math.inf if lowest else math.inf, dtype=dtype)
    if op_name == "logsumexp" and dtype.is_complex:
        return tensor(complex(-math.inf, 0), dtype=dtype)
    if dtype.is_signed or dtype == uint8:
        info = iinfo(dtype)
        return tensor(info.min if lowest else info.max, dtype=dtype)
    raise NotImplementedError(f"identity of {op_name} on {dtype} input")


def _canonical_dim(dim: DimOrDims, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative dims; ``None`` and ``()`` mean every dim."""
    if dim == ():
        dim = None
    if dim is None:
        return tuple(range(ndim))
    ndim = max(ndim, 1)
    dims: list[int] = []
    for d in (dim,) if isinstance(dim, int) else dim:
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
        dims.append(d % ndim)
    return tuple(sorted(dims))


def _input_mask(input: Tensor, mask: Tensor | None) -> Tensor:
    """The mask broadcast to the input's shape, as bool (torch's canonical input mask)."""
    if mask is None:
        raise ValueError("_input_mask requires explicit mask")
    if mask.shape != input.shape:
        if mask.ndim > input.ndim:
            raise IndexError(
                "_input_mask expected broadcastable mask (got mask dimensionality higher than of the input)"
            )
        mask = broadcast_to(mask.clone(), input.shape)
    return mask.to(dtype=_bool)


def _combine_input_and_mask(op_name: str, input: Tensor, mask: Tensor | None, *args: object) -> Tensor:
    """The input with its masked-out elements replaced by the identity of ``op_name``."""
    if mask is None:
        return input
    canonical_mask = _input_mask(input, mask)
    return where(canonical_mask, input, _reduction_identity(op_name, input, *args))


def _accumulation_dtype(input: Tensor, dtype: DType | None) -> DType:
    if dtype is not None:
        return dtype
    return int64 if input.dtype.name in _PROMOTED_TO_INT64 else input.dtype


def sum(  # noqa: A001 - torch.masked.sum
    input: Tensor,
    dim: DimOrDims = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Sum of the masked-in elements over ``dim``; masked-out elements count as 0."""
    dtype = _accumulation_dtype(input, dtype)
    dim_ = _canonical_dim(dim, input.ndim)
    mask_input = _combine_input_and_mask("sum", input, mask)
    return ops.sum(mask_input, dim_, bool(keepdim), dtype=dtype)


def prod(
    input: Tensor,
    dim: DimOrDims = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Product of the masked-in elements over ``dim``; masked-out elements count as 1."""
    dtype = _accumulation_dtype(input, dtype)
    dim_ = _canonical_dim(dim, input.ndim)
    result = _combine_input_and_mask("prod", input, mask).to(dtype=dtype)
    # torch reduces one dim at a time, the last first (a chain of ProdBackward1 nodes)
    for d in reversed(dim_):
        result = result.prod(dim=d, keepdim=bool(keepdim))
    return result


def cumsum(input: Tensor, dim: int, *, dtype: DType | None = None, mask: Tensor | None = None) -> Tensor:
    """Cumulative sum along ``dim``; masked-out elements count as 0."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)[0]
    mask_input = _combine_input_and_mask("sum", input, mask)
    return ops.cumsum(mask_input, dim_, dtype=dtype).to(dtype=dtype)


def cumprod(input: Tensor, dim: int, *, dtype: DType | None = None, mask: Tensor | None = None) -> Tensor:
    """Cumulative product along ``dim``; masked-out elements count as 1."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)[0]
    mask_input = _combine_input_and_mask("prod", input, mask)
    return ops.cumprod(mask_input, dim_, dtype=dtype).to(dtype=dtype)


def _extreme(
    name: str, input: Tensor, dim: DimOrDims, keepdim: bool | None, dtype: DType | None, mask: Tensor | None
) -> Tensor:
    """amax/amin/argmax/argmin (``name``) of the input with its masked-out elements set to the reduction's
    identity, cast to ``dtype`` (the input's by default, as torch). amax/amin take torch.masked's canonical
    dims; argmax/argmin take ``dim`` as given (one dim or None)."""
    mask_input = _combine_input_and_mask(name, input, mask)
    if name in ("amax", "amin"):
        dim = _canonical_dim(dim, mask_input.ndim)
    return getattr(ops, name)(mask_input, dim, bool(keepdim)).to(dtype=input.dtype if dtype is None else dtype)


def amax(
    input: Tensor,
    dim: DimOrDims = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Maximum of the masked-in elements over ``dim``; masked-out elements count as -inf (the dtype's minimum
    for integers)."""
    return _extreme("amax", input, dim, keepdim, dtype, mask)


def amin(
    input: Tensor,
    dim: DimOrDims = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Minimum of the masked-in elements over ``dim``; masked-out elements count as inf (the dtype's maximum
    for integers)."""
    return _extreme("amin", input, dim, keepdim, dtype, mask)


def argmax(
    input: Tensor,
    dim: int | None = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Index of the maximum masked-in element, in the input's dtype unless ``dtype`` is given (as torch)."""
    return _extreme("argmax", input, dim, keepdim, dtype, mask)


def argmin(
    input: Tensor,
    dim: int | None = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Index of the minimum masked-in element, in the input's dtype unless ``dtype`` is given (as torch)."""
    return _extreme("argmin", input, dim, keepdim, dtype, mask)


def mean(
    input: Tensor,
    dim: DimOrDims = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Mean of the masked-in elements over ``dim``: NaN where every element is masked out."""
    dtype_source = "Optional"
    if dtype is None:
        dtype = input.dtype
        dtype_source = "Input"
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(
            f"mean(): Could not infer output dtype. {dtype_source} dtype must be either "
            f"a floating point or complex dtype. Got: {dtype}"
        )
    if mask is None:
        count = sum(ones(input.shape, dtype=int64), dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype)
    else:
        inmask = _input_mask(input, mask)
        count = inmask.sum(dim=dim, keepdim=bool(keepdim))
        total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


def median(
    input: Tensor,
    dim: int = -1,
    *,
    keepdim: bool = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Median of the masked-in elements along ``dim`` (torch.nanmedian of the input with NaN where masked out)."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)[0]
    is_float = input.dtype.is_floating_point
    source = input if is_float else input.to(dtype=float32)
    mask_input = _combine_input_and_mask("median", source, mask)
    output = nanmedian(mask_input, dim_, keepdim).values
    if is_float:
        return output
    if not isnan(output).any():
        return output.to(dtype=dtype)
    raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")


def logsumexp(
    input: Tensor,
    dim: DimOrDims = None,
    *,
    keepdim: bool = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """log(sum(exp(x))) over the masked-in elements; masked-out elements count as -inf."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)
    mask_input = _combine_input_and_mask("logsumexp", input, mask)
    return ops.logsumexp(mask_input, dim_, keepdim=keepdim).to(dtype=dtype)


def logaddexp(
    input: Tensor,
    other: Tensor,
    *,
    dtype: DType | None = None,
    input_mask: Tensor | None = None,
    other_mask: Tensor | None = None,
) -> Tensor:
    """Elementwise logaddexp with each operand's masked-out elements taken as -inf."""
    if dtype is None:
        dtype = input.dtype
    mask_input = _combine_input_and_mask("logaddexp", input, input_mask)
    mask_other = _combine_input_and_mask("logaddexp", other, other_mask)
    return ops.logaddexp(mask_input, mask_other).to(dtype=dtype)


def norm(
    input: Tensor,
    ord: float | None = 2.0,
    dim: DimOrDims = None,
    *,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Vector norm of the masked-in elements; masked-out elements count as 0 (inf for ``ord=-inf``)."""
    if dtype is None:
        dtype = input.dtype
    mask_input = _combine_input_and_mask("norm", input, mask, ord)
    dim_ = _canonical_dim(dim, input.ndim)
    return vector_norm(mask_input, ord, dim_, bool(keepdim), dtype=dtype)


def _std_var(
    input: Tensor,
    dim: DimOrDims,
    unbiased: bool | None,
    *,
    correction_opt: float | None,
    keepdim: bool | None,
    dtype: DType | None,
    mask: Tensor | None,
    take_sqrt: bool,
) -> Tensor:
    """Sample variance (and its square root) of the masked-in elements, torch's two-pass recipe: the masked
    mean, then the masked sum of squared deviations over max(count - correction, 0)."""
    if unbiased is not None and correction_opt is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    correction = 1.0
    if unbiased is not None:
        correction = 1.0 if unbiased else 0.0
    if correction_opt is not None:
        correction = float(correction_opt)
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = float32
    compute_dtype = dtype
    if not (compute_dtype.is_floating_point or compute_dtype.is_complex):
        compute_dtype = float32
    inmask = None
    if mask is None:
        count = sum(ones(input.shape, dtype=int64), dim, keepdim=True)
        sample_total = sum(input, dim, keepdim=True, dtype=dtype)
    else:
        inmask = _input_mask(input, mask)
        count = inmask.sum(dim=dim, keepdim=True)
        sample_total = sum(input, dim, keepdim=True, dtype=dtype, mask=inmask)
    sample_mean = divide(sample_total, count)
    x = subtract(input, sample_mean)
    # x * conj(x) in torch; conj is the tensor itself on real dtypes (no node), so real inputs square directly
    squares = x * x.conj() if x.is_complex() else x * x
    total = sum(squares, dim, keepdim=keepdim, dtype=compute_dtype, mask=inmask)
    if not keepdim:
        count = count.reshape(total.shape)
    if correction != 0:
        real_dtype = compute_dtype.to_real() if compute_dtype.is_complex else compute_dtype
        count = count.to(real_dtype)
        count = subtract(count, correction)
        count = maximum(count, count.new_zeros([]))
    output = divide(total, count).to(dtype=dtype)
    if take_sqrt:
        output = sqrt(output)
    return output


def var(
    input: Tensor,
    dim: DimOrDims = None,
    unbiased: bool | None = None,
    *,
    correction: float | None = None,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Sample variance of the masked-in elements: NaN where every element is masked out."""
    return _std_var(
        input,
        dim,
        unbiased,
        correction_opt=correction,
        keepdim=keepdim,
        dtype=dtype,
        mask=mask,
        take_sqrt=False,
    )


def std(
    input: Tensor,
    dim: DimOrDims = None,
    unbiased: bool | None = None,
    *,
    correction: int | None = None,
    keepdim: bool | None = False,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """Sample standard deviation of the masked-in elements: NaN where every element is masked out."""
    return _std_var(
        input,
        dim,
        unbiased,
        correction_opt=correction,
        keepdim=keepdim,
        dtype=dtype,
        mask=mask,
        take_sqrt=True,
    )


def softmax(input: Tensor, dim: int, *, dtype: DType | None = None, mask: Tensor | None = None) -> Tensor:
    """Softmax along ``dim`` over the masked-in elements (masked-out ones are -inf, so get 0)."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)[0]
    mask_input = _combine_input_and_mask("amax", input, mask)
    return F.softmax(mask_input, dim_, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: DType | None = None, mask: Tensor | None = None) -> Tensor:
    """Log-softmax along ``dim`` over the masked-in elements (masked-out ones are -inf, so get -inf)."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)[0]
    mask_input = _combine_input_and_mask("amax", input, mask)
    return F.log_softmax(mask_input, dim_, dtype=dtype)


def softmin(input: Tensor, dim: int, *, dtype: DType | None = None, mask: Tensor | None = None) -> Tensor:
    """Softmin along ``dim`` over the masked-in elements (masked-out ones are inf, so get 0)."""
    if dtype is None:
        dtype = input.dtype
    dim_ = _canonical_dim(dim, input.ndim)[0]
    mask_input = _combine_input_and_mask("amin", input, mask)
    return F.softmin(mask_input, dim_, dtype=dtype)


def normalize(
    input: Tensor,
    ord: float,
    dim: int,
    *,
    eps: float = 1e-12,
    dtype: DType | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """The masked input (0 where masked out) divided by its masked ``ord``-norm along ``dim``, at least ``eps``."""
    if dtype is None:
        dtype = input.dtype
    mask_input = _combine_input_and_mask("sum", input, mask)
    nrm_ = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    denom = maximum(nrm_, nrm_.new_full([], eps))
    return divide(mask_input, denom)
