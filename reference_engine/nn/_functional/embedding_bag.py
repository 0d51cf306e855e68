"""embedding_bag: rows of an embedding table looked up by index and reduced per bag (sum, mean or max),
one ``EmbeddingBagBackward0`` node as in torch.

Bags are given either by a 2-D input (one bag per row) or by a 1-D input and the start offset of each bag
(with ``include_last_offset`` the offsets carry the end of the last bag too). Indices equal to
``padding_idx`` take no part: they add nothing to a sum, are not counted by a mean and never win a max.
An empty bag gives a row of zeros. Each bag is reduced in index order, one row after the other, as torch's
CPU kernel accumulates them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...autograd.grad_mode import is_grad_enabled
from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record
from ...ops.pointwise import NoDerivative
from ...tensor import Tensor
from .embedding import _renorm_rows

_MODES = {"sum": 0, "mean": 1, "max": 2}


class EmbeddingBagBackward0(Node):
    # weight: value.defined() ? _embedding_bag_backward_symint(grad, indices, offsets, result1, result2, result3,
    #     weight.sym_size(0), scale_grad_by_freq, mode, sparse, per_sample_weights, padding_idx) : Tensor()
    # per_sample_weights: _embedding_bag_per_sample_weights_backward(grad, weight, indices, offsets, result1,
    #     mode, padding_idx)
    # sum/mean: every kept index's row of the weight grad gets its bag's grad row, times its per-sample weight
    # (sum) or over its bag's size (mean), over its index's count with scale_grad_by_freq; max: each
    # feature's grad goes to the row that won it. The per-sample-weight grad is its bag's grad row dotted
    # with the row it looked up.
    def apply(self, grad: Tensor) -> tuple:
        g = grad._data
        idx, bag, keep = self.indices, self.bag, self.keep
        gw = gp = None
        if needs(self, 0):
            out = np.zeros((self.num_weights, g.shape[1]), dtype=g.dtype)
            if self.mode == 2:
                rows, feats = np.nonzero(self.argmax >= 0)
                np.add.at(out, (self.argmax[rows, feats], feats), g[rows, feats])
            else:
                sel = np.nonzero(keep)[0]
                contrib = g[bag[sel]]
                if self.mode == 1:
                    contrib = contrib / self.counts[bag[sel]][:, None].astype(g.dtype)
                elif self.psw is not None:
                    contrib = contrib * self.psw[sel][:, None]
                if self.scale_grad_by_freq:
                    contrib = contrib / _freq_divisors(idx, self.num_weights)[idx[sel]][:, None].astype(g.dtype)
                np.add.at(out, idx[sel], contrib)
            gw = Tensor._make(out)
        if needs(self, 1):
            dots = np.einsum("ij,ij->i", g[bag], self.weight_arr[idx])
            gp = Tensor._make(np.where(keep, dots, 0).astype(g.dtype).reshape(self.psw_shape))
        if is_grad_enabled():
            # neither gradient has a derivative in torch: under create_graph each gets a node that raises
            psw = self.psw_tensor
            if gw is not None and grad_recording(grad, psw):
                record(EmbeddingBagBackwardBackward0(), gw, grad, psw)
            if gp is not None and grad_recording(grad, self.weight_tensor):
                record(NoDerivative("_embedding_bag_per_sample_weights_backward"), gp, grad, self.weight_tensor)
        return gw, gp


class EmbeddingBagBackwardBackward0(Node):
    # _embedding_bag_backward: grad, per_sample_weights: not_implemented("_embedding_bag_backward")
    def apply(self, *grads: Tensor) -> tuple:
        raise NotImplementedError("the derivative for '_embedding_bag_backward' is not implemented.")


def _type_str(value: Any) -> str:
    """``str(type(value))`` as torch shows it: the engine's Tensor (and its subclasses) under torch's module."""
    cls = type(value)
    if isinstance(value, Tensor):
        module = "torch" if cls is Tensor else cls.__module__
        return f"<class '{module}.{cls.__name__}'>"
    return str(cls)


def _freq_divisors(idx: Any, num_weights: int) -> Any:
    """The divisor torch's CPU backward applies to each row's gradient under scale_grad_by_freq.

    It walks the distinct indices in sorted order and divides the k-th one's gradient by the count of
    ``sorted_indices[k]`` (the k-th element of the sorted indices, not the k-th distinct one), so a row whose
    index is not the smallest may be divided by a smaller index's count."""
    counts = np.bincount(idx, minlength=num_weights)
    ordered = np.sort(idx)
    divisors = np.ones(num_weights, dtype=np.int64)
    distinct = np.unique(idx)
    divisors[distinct] = counts[ordered[: len(distinct)]]
    return divisors


def _bad_indices(t: Tensor) -> RuntimeError:
    return RuntimeError(
        "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
        f"but got {t._type_string()} instead (while checking arguments for embedding_bag)"
    )


def _check_types(weight: Tensor, input: Tensor, offsets: Tensor, psw: Tensor | None) -> None:
    for t in (input, offsets):
        if t._data.dtype not in (np.int64, np.int32):
            raise _bad_indices(t)
    if weight._data.dtype.kind != "f":
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, BFloat16, "
            f"Float, Double; but got {weight._type_string()} instead (while checking arguments for embedding_bag)"
        )
    if psw is not None and psw._data.dtype != weight._data.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
            f"'per_sample_weights'; but type {weight._type_string()} does not equal {psw._type_string()} "
            "(while checking arguments for embedding_bag)"
        )


def _bags(off: Any, n: int, include_last_offset: bool, type_string: str) -> tuple[Any, Any]:
    """(start, end) of every bag, with torch's offset checks."""
    if off.size and off[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
            # torch formats offsets[0] as a 0-dim tensor of the offsets' type
            f"However, got {int(off[0])}\n[ {type_string}{{}} ]"
        )
    if off.size and off[-1] > n:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {int(off[-1])}"
        )
    if include_last_offset:
        if off.size == 0:
            return off, off
        return off[:-1], off[1:]
    return off, np.append(off[1:], n).astype(off.dtype)


def _reduce(w: Any, idx: Any, starts: Any, ends: Any, mode: int, psw: Any, keep: Any) -> tuple[Any, Any, Any, Any]:
    """The bag reductions: (output, bag of each index, kept count per bag, winning row per bag and feature).

    ``keep`` (the indices that are not padding) is narrowed in place to those inside a bag."""
    nb, dim = len(starts), w.shape[1]
    fused = w.dtype == np.float32 and bool(keep.all())
    bag = np.zeros(len(idx), dtype=np.int64)
    for b in range(nb):
        bag[starts[b] : ends[b]] = b
    # indices after the last bag's end (include_last_offset) belong to no bag
    keep &= np.arange(len(idx)) < (ends[-1] if nb else 0)
    out = np.zeros((nb, dim), dtype=w.dtype)
    counts = np.zeros(nb, dtype=np.int64)
    argmax = np.full((nb, dim), -1, dtype=np.int64)
    for b in range(nb):
        pos = np.arange(starts[b], ends[b])
        pos = pos[keep[pos]]
        counts[b] = len(pos)
        if not len(pos):
            continue
        rows = w[idx[pos]]
        if mode == 2:
            # the first row holding each feature's largest value wins it
            win = rows.argmax(axis=0)
            out[b] = rows[win, np.arange(dim)]
            argmax[b] = idx[pos][win]
            continue
        if psw is not None and fused:
            # torch's float kernel without padding (FBGEMM) adds each weighted row with one fused multiply-add:
            # the product is exact in double, so one rounding of the double sum gives it
            wide = rows.astype(np.float64) * psw[pos][:, None].astype(np.float64)
            acc = np.zeros(dim, dtype=w.dtype)
            for r in wide:
                acc = (acc + r).astype(w.dtype)
            out[b] = acc
            continue
        if psw is not None:
            rows = rows * psw[pos][:, None]
        acc = rows[0].copy()
        for r in rows[1:]:
            acc += r
        out[b] = acc / w.dtype.type(len(pos)) if mode == 1 else acc
    return out, bag, counts, argmax


def _bag_offsets(input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple[Tensor, bool]:
    """The offsets of the bags: one bag per row of a 2-D input, the given offsets for a 1-D one."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of type {_type_str(offsets)}"
            )
        off = np.arange(0, input.numel(), input.shape[1]) if input.shape[1] else np.zeros(input.shape[0])
        offsets = Tensor._make(off.astype(input._data.dtype))
        include_last_offset = False
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    return offsets, include_last_offset


def _check_mode(mode: str, scale_grad_by_freq: bool, sparse: bool) -> None:
    """F.embedding_bag's checks of the mode against the gradient options."""
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse:
        raise NotImplementedError("sparse gradients are not supported by the engine (no sparse tensors)")


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embedding rows, one output row per bag."""
    if weight._data.dtype == np.int64 and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, ...)` "
            "is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight  # noqa: A001 (torch's parameter name)
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    offsets, include_last_offset = _bag_offsets(input, offsets, include_last_offset)
    _check_mode(mode, scale_grad_by_freq, sparse)
    if max_norm is not None:
        _renorm_rows(weight, input._data.reshape(-1).astype(np.int64), max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    _check_types(weight, input, offsets, per_sample_weights)
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, but got {padding_idx}"
            )
        padding_idx %= num
    idx = input._data.reshape(-1).astype(np.int64)
    bad = np.nonzero((idx < 0) | (idx >= num))[0]
    if len(bad):
        raise RuntimeError(
            f"Index {int(bad[0])} of input takes value {int(idx[bad[0]])} which is not in the valid range [0, {num})"
        )
    starts, ends = _bags(offsets._data.astype(np.int64), len(idx), include_last_offset, offsets._type_string())
    keep = idx != padding_idx if padding_idx is not None else np.ones(len(idx), dtype=bool)
    psw = None if per_sample_weights is None else per_sample_weights._data.reshape(-1)
    code = _MODES[mode]
    out_arr, bag, counts, argmax = _reduce(weight._data, idx, starts, ends, code, psw, keep)
    out = Tensor._make(out_arr)
    if grad_recording(weight, per_sample_weights):
        node = EmbeddingBagBackward0()
        node.indices, node.bag, node.keep, node.counts, node.argmax = idx, bag, keep, counts, argmax
        node.mode, node.num_weights, node.scale_grad_by_freq, node.psw = code, num, scale_grad_by_freq, psw
        node.weight_arr = weight._data.copy()
        node.psw_shape = None if per_sample_weights is None else per_sample_weights.shape
        node.psw_tensor, node.weight_tensor = per_sample_weights, weight
        record(node, out, weight, per_sample_weights)
    return out
