"""``torch.nn.utils.rnn``: PackedSequence and the functions that pack, pad and unpad batches of sequences.

The Python layer is torch's (``torch/nn/utils/rnn.py``) line for line; the three ATen kernels it calls are
rewritten here from ``aten/src/ATen/native/PackedSequence.cpp`` with the same checks, messages and graph:

- ``_pack_padded_sequence`` gathers the valid time steps of every sequence, step after step, and records
  torch's ``PackPaddedSequenceBackward0`` (its backward scatters the grad back into zeros of the input's shape);
- ``_pad_packed_sequence`` and ``pad_sequence`` fill a ``full`` tensor by copying into slices of it, as the C++
  does, so their results have torch's ``CopySlices`` grad_fn (``TransposeBackward0`` when batch_first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

import numpy as np

from ... import _dtype as D
from ..._backend import array_module, to_numpy
from ..._creation import arange, as_tensor, empty_like, full
from ...autograd.graph import Node
from ...ops._util import grad_recording, record
from ...ops.indexing import index_put
from ...ops.shape import TransposeBackward0, TransposeBackward1, _parse_to
from ...ops.sorting import sort
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

_T = TypeVar("_T")
_R = TypeVar("_R")


class PackedSequence_(NamedTuple):  # noqa: N801 - torch's name
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def bind(optional: _T | None, fn: Callable[[_T], _R]) -> _R | None:
    if optional is None:
        return None
    return fn(optional)


class PackedSequence(PackedSequence_):
    """The data and ``batch_sizes`` of a packed batch of sequences (a named tuple, as torch's).

    ``data`` holds the sequences' steps, step after step (``batch_sizes[t]`` rows for step ``t``);
    ``sorted_indices`` says which input sequence each batch column is, ``unsorted_indices`` inverts it.
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes, sorted_indices, unsorted_indices))

    def pin_memory(self) -> PackedSequence:
        return type(self)(
            self.data.pin_memory(),
            self.batch_sizes,
            bind(self.sorted_indices, lambda t: t.pin_memory()),
            bind(self.unsorted_indices, lambda t: t.pin_memory()),
        )

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``self.data.to(...)``; the index tensors follow the data's device. ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        _parse_to(args, dict(kwargs))  # torch parses the arguments again (for the index tensors' options)

        def call_to(t: Tensor) -> Tensor:
            return t.to(data.device)

        sorted_indices = bind(self.sorted_indices, call_to)
        unsorted_indices = bind(self.unsorted_indices, call_to)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        ex = as_tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        ex = as_tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self) -> PackedSequence:
        return self.to(dtype=D.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=D.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=D.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=D.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=D.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=D.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=D.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``self.data`` is on a GPU."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def _packed_sequence_init_args(
    data: Any,
    batch_sizes: Tensor | None = None,
    sorted_indices: Tensor | None = None,
    unsorted_indices: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
    # unsorted_indices is computed from sorted_indices when not given
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. "
                "Instances of PackedSequence should never be created manually. "
                "They should be instantiated by functions like pack_sequence "
                "and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return data, batch_sizes, sorted_indices, unsorted_indices
    # PackedSequence((data, batch_sizes)): the pair as the one argument
    if not (isinstance(data, list | tuple) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def _packed_sequence_init(
    data: Any,
    batch_sizes: Tensor | None = None,
    sorted_indices: Tensor | None = None,
    unsorted_indices: Tensor | None = None,
) -> PackedSequence:
    data, batch_sizes, sorted_indices, unsorted_indices = _packed_sequence_init_args(
        data, batch_sizes, sorted_indices, unsorted_indices
    )
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a 1-D permutation tensor (``None`` stays ``None``)."""
    if permutation is None:
        return None
    output = empty_like(permutation)
    output.scatter_(0, permutation, arange(0, permutation.numel(), device=permutation.device))
    return output


# --------------------------------------------------------------------------- the ATen kernels
def _check_long_tensor(t: Tensor, *, name: str = "lengths") -> None:
    # checkLongTensor: both kernels name the argument 'lengths' (batch_sizes included)
    if not (t.dim() == 1 and t.device.type == "cpu" and t.dtype == D.int64):
        raise RuntimeError(
            f"'{name}' argument should be a 1D CPU int64 tensor, but got {t.dim()}D {t.device} "
            f"{_SCALAR_NAMES.get(t.dtype, str(t.dtype))} tensor"
        )


# c10's ScalarType names, as the kernels print them
_SCALAR_NAMES = {
    D.int64: "Long", D.int32: "Int", D.int16: "Short", D.int8: "Char", D.uint8: "Byte", D.bool_: "Bool",
    D.float32: "Float", D.float64: "Double", D.float16: "Half", D.complex64: "ComplexFloat",
    D.complex128: "ComplexDouble",
}  # fmt: skip


class PackPaddedSequenceBackward0(Node):
    # _pack_padded_sequence: input: _pack_padded_sequence_backward_symint(grad, input.sym_sizes(), result1,
    # batch_first): zeros of the (time-major) input's shape, each step's rows copied back where they came
    # from, transposed back for batch_first. Linear in grad, written as index_put to keep double backward.
    def apply(self, grad: Tensor) -> tuple:
        zeros = grad.new_zeros((self.steps * self.batch, *grad.shape[1:]))
        out = index_put(zeros, (Tensor._make(self.positions),), grad)
        out = out.reshape((self.steps, self.batch, *grad.shape[1:]))
        return (out.transpose(0, 1) if self.batch_first else out,)


def _pack_padded_sequence(input: Tensor, lengths: Tensor, batch_first: bool) -> tuple[Tensor, Tensor]:
    """ATen's kernel: the valid steps, step-major, and the batch size of every step."""
    if input.numel() <= 0:
        raise RuntimeError("Cannot pack empty tensors.")
    x = input.transpose(0, 1) if batch_first else input
    lengths_t = lengths.contiguous()
    _check_long_tensor(lengths_t)
    batch_size = x.size(1)
    lens = to_numpy(lengths_t._data)
    if lengths_t.size(0) != batch_size:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths_t.size(0)} (batch_size={batch_size})"
        )
    if lens[batch_size - 1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if np.any(lens[1:] > lens[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
            "if you do not need ONNX exportability."
        )
    steps = x.size(0)
    grid = np.arange(steps * batch_size, dtype=np.int64).reshape(steps, batch_size)
    positions: list[np.ndarray] = []
    sizes: list[int] = []
    prev_l = 0
    # from the shortest sequence up: each new length adds the steps (prev_l, l] for the sequences this long
    for i in range(batch_size):
        length = int(lens[batch_size - 1 - i])
        if length > prev_l:
            current = batch_size - i
            positions.append(grid[prev_l:length, :current].reshape(-1))  # slicing clamps, as ATen's slice
            sizes.extend([current] * (length - prev_l))
            prev_l = length
    flat = np.concatenate(positions)
    rest = tuple(x.shape[2:])
    src = x._data.reshape((steps * batch_size, *rest))
    xp_positions = _like(src, flat)
    data = Tensor._make(src[xp_positions])
    if grad_recording(input):
        node = PackPaddedSequenceBackward0()
        node.positions, node.steps, node.batch, node.batch_first = xp_positions, steps, batch_size, batch_first
        record(node, data, input)
    batch_sizes = Tensor._make(np.asarray(sizes, dtype=np.int64).reshape(-1))
    return data, batch_sizes


def _like(arr: Any, index: np.ndarray) -> Any:
    """``index`` on the array module of ``arr`` (CuPy arrays index with CuPy arrays)."""
    return index if isinstance(arr, np.ndarray) else array_module(arr).asarray(index)


def _pad_packed_sequence(
    data: Tensor, batch_sizes: Tensor, batch_first: bool, padding_value: float, total_length: int
) -> tuple[Tensor, Tensor]:
    """ATen's kernel: a ``full`` tensor of padding, each run of steps with one batch size copied into it."""
    batch_sizes_t = batch_sizes.contiguous()
    _check_long_tensor(batch_sizes_t)
    sizes = [int(b) for b in to_numpy(batch_sizes_t._data)]
    max_batch_size = sizes[0]
    max_real_seq_length = len(sizes)
    max_seq_length = max_real_seq_length
    if total_length > 0:
        if total_length < max_seq_length:
            raise RuntimeError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    rest = tuple(data.shape[1:])
    output = full((max_seq_length, max_batch_size, *rest), padding_value, dtype=data.dtype, device=data.device)
    lengths = np.empty(max_batch_size, dtype=np.int64)
    pos = max_batch_size - 1
    data_offset = 0
    prev_batch_size = max_batch_size
    prev_i = 0
    for i in range(max_real_seq_length + 1):
        batch_size = sizes[i] if i != max_real_seq_length else 0
        if batch_size != prev_batch_size:
            n = prev_batch_size * (i - prev_i)
            tmp = data.narrow(0, data_offset, n).view((i - prev_i, prev_batch_size, *rest))
            output.narrow(0, prev_i, i - prev_i).narrow(1, 0, prev_batch_size).copy_(tmp)
            data_offset += n
            prev_i = i
        for _ in range(prev_batch_size - batch_size):
            lengths[pos] = i
            pos -= 1
        prev_batch_size = batch_size
    if batch_first:
        output = output.transpose(0, 1)
    return output, Tensor._make(lengths)


def _check_pad_sequence_args(batch_first: Any, padding_value: Any, padding_side: Any) -> None:
    # torch._C._nn.pad_sequence's argument parser
    if not isinstance(batch_first, bool):
        raise TypeError(
            f"pad_sequence(): argument 'batch_first' (position 2) must be bool, not {type(batch_first).__name__}"
        )
    if isinstance(padding_value, bool) or not isinstance(padding_value, int | float | np.integer | np.floating):
        raise TypeError(
            f"pad_sequence(): argument 'padding_value' (position 3) must be float, not {type(padding_value).__name__}"
        )
    if not isinstance(padding_side, str):
        raise TypeError(
            f"pad_sequence(): argument 'padding_side' (position 4) must be str, not {type(padding_side).__name__}"
        )


def _pad_sequence(sequences: tuple, batch_first: bool, padding_value: float, padding_side: str) -> Tensor:
    """ATen's pad_sequence: ``full`` of padding, every sequence copied into its column."""
    _check_pad_sequence_args(batch_first, padding_value, padding_side)
    for i, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(seq).__name__}")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    if first.dim() == 0:
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    trailing = tuple(first.shape[1:])
    for seq in sequences:
        if seq.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    max_len = max(seq.size(0) for seq in sequences)
    n = len(sequences)
    out_dims = (n, max_len) if batch_first else (max_len, n)
    out = full((*out_dims, *trailing), padding_value, dtype=first.dtype, device=first.device)
    for i, seq in enumerate(sequences):
        length = seq.size(0)
        start = max_len - length if padding_side == "left" else 0
        if batch_first:
            out.select(0, i).narrow(0, start, length).copy_(seq)
        else:
            out.narrow(0, start, length).select(1, i).copy_(seq)
    return out


# --------------------------------------------------------------------------- the public functions
def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | list[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch (``T x B x *``, or ``B x T x *`` with batch_first) of sequences of ``lengths``."""
    if not isinstance(lengths, Tensor):
        lengths = as_tensor(lengths, dtype=D.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=D.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        batch_dim = 0 if batch_first else 1
        input = input.index_select(batch_dim, sorted_indices)  # noqa: A001
    data, batch_sizes = _pack_padded_sequence(input, lengths, batch_first)
    return _packed_sequence_init(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: the padded batch (in the original order) and the lengths."""
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length "
                "of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    padded_output, lengths = _pad_packed_sequence(
        sequence.data, sequence.batch_sizes, batch_first, padding_value, max_seq_length
    )
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return padded_output.index_select(batch_dim, unsorted_indices), lengths[unsorted_indices.cpu()]
    return padded_output, lengths


def pad_sequence(
    sequences: Tensor | list[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack variable-length sequences (``L x *``) into ``T x B x *`` (``B x T x *``), padded on one side."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        )
    sequences = tuple(sequences)  # type: ignore[assignment]
    return _pad_sequence(sequences, batch_first, padding_value, padding_side)  # type: ignore[arg-type]


def _transpose_(t: Tensor) -> None:
    """``t.transpose_(0, 1)`` (the engine's Tensor has no in-place view ops): ``t`` becomes its own transpose,
    its grad_fn the transpose's, with torch's error for a leaf that requires grad."""
    if t.is_leaf and t.requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    new = t.transpose(0, 1)
    if type(new._grad_fn) is TransposeBackward0:
        new._grad_fn.__class__ = TransposeBackward1
    t._data = new._data
    t._grad_fn, t._output_nr = new._grad_fn, new._output_nr
    if t._base is not None:
        t._view_fn = new._view_fn
        t._view_version = new._view_version
    t._vc[0] += 1
    if t._base is not None:
        t._view_version = t._vc[0]


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences. As torch's, transposes ``padded_sequences`` in place
    when not batch_first."""
    unpadded_sequences = []
    if not batch_first:
        _transpose_(padded_sequences)
    max_length = padded_sequences.shape[1]
    idx = arange(max_length, device=lengths.device)
    for seq, length in zip(padded_sequences, lengths, strict=True):
        mask = idx < length
        unpadded_sequences.append(seq[mask])
    return unpadded_sequences


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """pad_sequence then pack_padded_sequence."""
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """pad_packed_sequence then unpad_sequence: the list of sequences, in their original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
