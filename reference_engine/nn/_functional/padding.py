"""pad in torch's four modes, with torch's graph.

- constant: one ConstantPadNdBackward0 node (negative amounts crop);
- reflect / replicate: one ReflectionPad{1,2,3}DBackward0 / ReplicationPad{1,2,3}DBackward0 node; the
  forward gathers along each padded dim with an index array, the backward sums the grad back through
  the same indices; under create_graph that sum records ``Reflection/ReplicationPad{1,2,3}DBackwardBackward0``,
  whose derivative is the same padding of the new grad (the backward is linear in the grad);
- circular: torch's composite (slices of an empty output filled by ``copy_``), so the graph is CopySlices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._creation import empty, zeros_like
from ...autograd.graph import Node
from ...ops._util import grad_recording, needs, record, record_with
from ...tensor import Tensor


class ConstantPadNdBackward0(Node):
    # self: constant_pad_nd_backward(grad, pad) = grad cropped by the same amounts
    def apply(self, grad: Tensor) -> tuple:
        return (constant_pad_nd(grad, [-p for p in self.pad]),)


def _check_pad(pad: Sequence[int], ndim: int) -> None:
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got padding length "
            f"{len(pad)} and input of dimension {ndim}"
        )


def constant_pad_nd(input: Tensor, pad: Sequence[int], value: float = 0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims, the last dim first: (left, right, top, bottom, ...)."""
    arr = input._data
    _check_pad(pad, arr.ndim)
    shape = list(arr.shape)
    src: list[slice] = [slice(None)] * arr.ndim
    dst: list[slice] = [slice(None)] * arr.ndim
    for i in range(len(pad) // 2):
        d = arr.ndim - 1 - i
        lo, hi, size = int(pad[2 * i]), int(pad[2 * i + 1]), arr.shape[d]
        if size + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")  # torch crops with narrow first
        start, stop = max(0, -lo), size - max(0, -hi)
        shape[d] = size + lo + hi
        src[d] = slice(start, stop)
        dst[d] = slice(max(0, lo), max(0, lo) + stop - start)
    out_arr = input._xp.full(shape, value, dtype=arr.dtype)
    out_arr[tuple(dst)] = arr[tuple(src)]
    out = Tensor._make(out_arr)
    if grad_recording(input):
        node = ConstantPadNdBackward0()
        node.pad = tuple(int(p) for p in pad)
        record(node, out, input)
    return out


class _IndexPadBackward(Node):
    # self: reflection_pad{1,2,3}d_backward(grad, self, padding) / replication_pad{1,2,3}d_backward(grad, self, padding):
    # the grad summed back into the input positions each output position was read from
    def apply(self, grad: Tensor) -> tuple:
        # torch's kernel adds output positions into the input one by one, in order: add.at does the same
        ga = grad._data
        shape = list(ga.shape)
        for d, _, size in self.gathers:
            shape[d] = size
        flat = np.arange(int(np.prod(shape))).reshape(shape)
        for d, idx, _ in self.gathers:
            flat = np.take(flat, idx, axis=d)
        out_arr = np.zeros(int(np.prod(shape)), dtype=ga.dtype)
        np.add.at(out_arr, flat.reshape(-1), ga.reshape(-1))
        out = Tensor._make(out_arr.reshape(shape))
        if grad_recording(grad, self.input_ref):
            # under create_graph: torch's *BackwardBackward0 node; the backward is linear in the grad, its adjoint
            # the padding itself (grad_output: reflection_pad2d(grad, padding); self: zeros_like(self))
            node = _INDEX_PAD_DOUBLE_NODES[type(self).__name__]()
            record_with(node, out, grad, self.input_ref, gathers=self.gathers, mode=self.mode, input_ref=self.input_ref)
        return (out,)


class _IndexPadBackwardBackward(Node):
    def apply(self, grad: Tensor) -> tuple:
        d_grad = _gathered(grad, self.gathers, self.mode) if needs(self, 0) else None
        return d_grad, zeros_like(self.input_ref) if needs(self, 1) else None


def _node_class(kind: str, n: int) -> type[Node]:
    return type(f"{kind}Pad{n}DBackward0", (_IndexPadBackward,), {"__module__": __name__})


_INDEX_PAD_NODES = {(kind, n): _node_class(kind, n) for kind in ("Reflection", "Replication") for n in (1, 2, 3)}
_INDEX_PAD_DOUBLE_NODES = {
    f"{kind}Pad{n}DBackward0": type(
        f"{kind}Pad{n}DBackwardBackward0", (_IndexPadBackwardBackward,), {"__module__": __name__}
    )
    for kind in ("Reflection", "Replication")
    for n in (1, 2, 3)
}


def _source_index(mode: str, lo: int, hi: int, size: int) -> Any:
    """For each output position along one dim, the input position it copies."""
    j = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(j, 0, size - 1)
    j = np.abs(j)
    return np.where(j >= size, 2 * (size - 1) - j, j)


def _check_mode_dims(pad: Sequence[int], ndim: int) -> None:
    _check_pad(pad, ndim)
    n = len(pad) // 2
    if ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )


def _index_pad(input: Tensor, pad: Sequence[int], mode: str) -> Tensor:
    arr = input._data
    gathers = []
    for i in range(len(pad) // 2):
        d = arr.ndim - 1 - i
        lo, hi, size = int(pad[2 * i]), int(pad[2 * i + 1]), arr.shape[d]
        if mode == "reflect" and not (lo < size and hi < size):
            raise RuntimeError(
                f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {d} of input {list(arr.shape)}"
            )
        gathers.append((d, _source_index(mode, lo, hi, size), size))
    if arr.dtype == np.bool_:  # torch's reflection/replication kernels have no Bool instance
        kernel = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{kernel}_pad{len(gathers)}d\" not implemented for 'Bool'")
    return _gathered(input, gathers, mode)


def _gathered(input: Tensor, gathers: list, mode: str) -> Tensor:
    """The padding's forward: a gather along each padded dim, recorded as torch's node."""
    out_arr = input._data
    for d, idx, _ in gathers:
        out_arr = np.take(out_arr, idx, axis=d)
    out = Tensor._make(np.ascontiguousarray(out_arr))
    if grad_recording(input):
        node = _INDEX_PAD_NODES[("Reflection" if mode == "reflect" else "Replication", len(gathers))]()
        record_with(node, out, input, gathers=gathers, mode=mode, input_ref=input)
    return out


def _circular_pad(input: Tensor, pad: Sequence[int]) -> Tensor:
    """torch's _pad_circular: copy the input into the middle of an empty output, then each side from the other."""
    ndim, n = input.ndim, len(pad) // 2
    in_shape = input.shape
    out_shape = list(in_shape)
    for i in range(n):
        d = ndim - 1 - i
        if pad[2 * i] > in_shape[d] or pad[2 * i + 1] > in_shape[d]:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        out_shape[d] = in_shape[d] + pad[2 * i] + pad[2 * i + 1]
    out = empty(out_shape, dtype=input.dtype, device=input.device)
    out_key: list[slice] = [slice(None)] * ndim
    in_key: list[slice] = [slice(None)] * ndim
    for i in range(n):
        d, lo, hi = ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        out_key[d] = slice(max(lo, 0), out_shape[d] - max(hi, 0))
        in_key[d] = slice(max(-lo, 0), in_shape[d] - max(-hi, 0))
    out[tuple(out_key)].copy_(input[tuple(in_key)])
    for i in range(n):
        d, lo, hi = ndim - 1 - i, pad[2 * i], pad[2 * i + 1]

        def along(sl: slice, d: int = d) -> tuple:
            return (slice(None),) * d + (sl,)

        if lo > 0:
            end = out_shape[d] - max(hi, 0)
            out[along(slice(0, lo))].copy_(out[along(slice(end - lo, end))])
        if hi > 0:
            start = max(lo, 0)
            out[along(slice(out_shape[d] - hi, out_shape[d]))].copy_(out[along(slice(start, start + hi))])
    return out


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_mode_dims(pad, input.ndim)
    if mode == "circular":
        return _circular_pad(input, [int(p) for p in pad])
    return _index_pad(input, pad, mode)
