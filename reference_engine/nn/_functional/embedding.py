"""embedding (EmbeddingBackward0, as in torch) and one_hot."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...ops.indexing import index_put
from ...tensor import Tensor


class EmbeddingBackward0(Node):
    # weight: embedding_backward(grad, indices, num_weights, padding_idx, scale_grad_by_freq, sparse):
    # the grad rows summed into the rows their indices name, skipping padding_idx
    # (divided by each index's count with scale_grad_by_freq). Linear in grad, so written
    # with index_put to keep double backward.
    def apply(self, grad: Tensor) -> tuple:
        flat = self.indices.reshape(-1)
        rows = grad.reshape(-1, grad.shape[-1])
        keep = np.nonzero(flat != self.padding_idx)[0]
        if len(keep) != len(flat):
            rows = rows[Tensor._make(keep)]
            flat = flat[keep]
        if self.scale_grad_by_freq:
            # torch adds each row with alpha = 1 / count of its index
            counts = np.bincount(flat, minlength=self.num_weights)[flat]
            rows = rows * Tensor._make((1 / counts).astype(rows._data.dtype)[:, None])
        zeros = Tensor._make(np.zeros((self.num_weights, grad.shape[-1]), dtype=grad._data.dtype))
        return (index_put(zeros, (Tensor._make(flat),), rows, accumulate=True),)


def _check_indices(indices: Tensor) -> None:
    if not isinstance(indices, Tensor) or indices._data.dtype not in (np.int64, np.int32):
        got = indices._type_string() if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {got} instead (while checking arguments for embedding)"
        )


def _renorm_rows(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """torch.embedding_renorm_: rescale, in place and untracked, each looked-up row whose norm exceeds max_norm."""
    arr = weight._data
    rows = np.unique(np.asarray(indices).reshape(-1))
    norms = np.linalg.norm(arr[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(arr.dtype)
        arr[rows[big]] *= scale[:, None]
        weight._vc[0] += 1


def wrap_padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` as a row index in [0, num_embeddings), negative ones counted from the end (as torch's
    Embedding and embedding check it)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % num_embeddings


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight.shape[0]
    padding_idx = wrap_padding_idx(padding_idx, num)
    if padding_idx is None:
        padding_idx = -1
    if sparse:
        raise NotImplementedError("sparse gradients are not supported by the engine (no sparse tensors)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(input)
    idx = input._data.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    out = Tensor._make(weight._data[idx])
    if grad_recording(weight):
        node = EmbeddingBackward0()
        node.indices, node.num_weights, node.padding_idx = idx, num, padding_idx
        node.scale_grad_by_freq = scale_grad_by_freq
        record(node, out, weight)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    if tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros((*idx.shape, num_classes), dtype=D.int64.np)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor._make(out)
