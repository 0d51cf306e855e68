"""The recurrent computations behind ``nn.RNN``/``LSTM``/``GRU`` and their cells, built from engine ops.

The arithmetic follows torch's CPU implementation (aten/src/ATen/native/RNN.cpp): a layer projects the
whole input sequence through ``weight_ih`` first (one ``linear`` over all steps), then each step adds
``linear(h, weight_hh, bias_hh)`` to that step's slice; a cell computes the input projection of its one
step the same way, so layers and cells share one step function per kind. Gate order and operand order are
torch's (LSTM: i, f, g, o; GRU: r, z, n with ``h' = (h - n) * z + n``), so float64 values agree to rounding.
Autograd comes from the ops used; node names are therefore the engine's (``StackBackward0`` ...), not
the names of torch's fused CPU kernels.

A packed batch (``packed_rnn_forward``) runs as torch's ``PackedLayer``/``ReversedPackedLayer``: the input
projection over all packed rows at once, then one step per time step on the ``batch_sizes[t]`` rows still
running. Going forward, the states of the sequences that end are set aside as the batch shrinks (the final
state is their concatenation, longest first); going backward, the batch starts with the shortest sequences'
rows and the initial states of the others join as they start. The output is the steps' outputs
concatenated (``CatBackward0``, as torch's), both directions joined on the last dim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..._dtype import float32
from ...autograd import forward_ad
from ...ops import pointwise
from ...ops.join import cat, stack
from ...tensor import Tensor
from .dropout import dropout as _dropout
from .linear import linear

State = tuple[Tensor, ...]
# (input gates, state, weight_hh, bias_hh, weight_hr) -> new state
Step = Callable[..., State]


def _simple_step(act: Callable[[Tensor], Tensor]) -> Step:
    def step(gi: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None = None) -> State:
        return (act(linear(state[0], w_hh, b_hh) + gi),)

    return step


def lstm_step(gi: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None = None) -> State:
    """One LSTM step from the precomputed input gates ``gi``; ``state`` is (h, c)."""
    h, c = state
    i, f, g, o = (linear(h, w_hh, b_hh) + gi).chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    cy = f * c + i * g
    hy = o * cy.tanh()
    # proj_size: the hidden state handed on (and output) is projected, the cell state is not
    return (hy if w_hr is None else linear(hy, w_hr), cy)


def gru_step(gi: Tensor, state: State, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None = None) -> State:
    """One GRU step; the reset gate scales ``W_hn h + b_hn``, as torch and cuDNN do (the paper scales h)."""
    h = state[0]
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, 1)
    r = (h_r + i_r).sigmoid()
    z = (h_z + i_z).sigmoid()
    n = (i_n + h_n * r).tanh()
    return ((h - n) * z + n,)


STEPS: dict[str, Step] = {
    "RNN_TANH": _simple_step(pointwise.tanh),
    "RNN_RELU": _simple_step(pointwise.relu),
    "LSTM": lstm_step,
    "GRU": gru_step,
}


def cell_forward(
    mode: str,
    input: Tensor,
    state: State,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> State:
    """One step of a cell on batched (2-D) input, with torch's ``*_cell`` size checks."""
    # size() rather than shape: a 1-D state raises torch's IndexError
    if input.size(1) != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {w_ih.shape[1]}")
    for label, hx in enumerate(state):
        if input.size(0) != hx.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{label} batch size {hx.size(0)}")
        if hx.size(1) != w_hh.shape[1]:
            raise RuntimeError(
                f"hidden{label} has inconsistent hidden_size: got {hx.size(1)}, expected {w_hh.shape[1]}"
            )
    return STEPS[mode](linear(input, w_ih, b_ih), state, w_hh, b_hh, None)


def _direction(
    step: Step, gates: Tensor, state: State, weights: Sequence[Tensor | None], reverse: bool
) -> tuple[Tensor, State]:
    """Run one direction of one layer over the projected sequence ``gates`` (seq, batch, gates)."""
    _, w_hh, _, b_hh, w_hr = weights
    steps = gates.unbind(0)
    outputs = []
    for gi in reversed(steps) if reverse else steps:
        state = step(gi, state, w_hh, b_hh, w_hr)
        outputs.append(state[0])
    if reverse:
        outputs.reverse()
    return stack(outputs, 0), state


def _packed_forward_direction(
    step: Step, gates: Tensor, batch_sizes: list[int], state: State, weights: Sequence[Tensor | None]
) -> tuple[Tensor, State]:
    """torch's PackedLayer: one direction of one layer over packed input gates (rows step after step)."""
    _, w_hh, _, b_hh, w_hr = weights
    outputs = []
    finished: list[State] = []  # the states of sequences that ended, shortest last
    offset = 0
    last_batch_size = batch_sizes[0]
    for batch_size in batch_sizes:
        gi = gates.narrow(0, offset, batch_size)
        offset += batch_size
        dec = last_batch_size - batch_size
        if dec > 0:
            finished.append(tuple(s.narrow(0, last_batch_size - dec, dec) for s in state))
            state = tuple(s.narrow(0, 0, last_batch_size - dec) for s in state)
        last_batch_size = batch_size
        state = step(gi, state, w_hh, b_hh, w_hr)
        outputs.append(state[0])
    finished.append(state)
    finished.reverse()
    return cat(outputs, 0), tuple(cat([f[k] for f in finished], 0) for k in range(len(state)))


def _packed_reverse_direction(
    step: Step, gates: Tensor, batch_sizes: list[int], initial: State, weights: Sequence[Tensor | None]
) -> tuple[Tensor, State]:
    """torch's ReversedPackedLayer: from the last step back, the batch growing as sequences start."""
    _, w_hh, _, b_hh, w_hr = weights
    outputs = []
    offset = gates.size(0)
    last_batch_size = batch_sizes[-1]
    state = tuple(s.narrow(0, 0, last_batch_size) for s in initial)
    for batch_size in reversed(batch_sizes):
        inc = batch_size - last_batch_size
        if inc > 0:
            state = tuple(cat([s, h.narrow(0, last_batch_size, inc)], 0) for s, h in zip(state, initial))
        gi = gates.narrow(0, offset - batch_size, batch_size)
        offset -= batch_size
        last_batch_size = batch_size
        state = step(gi, state, w_hh, b_hh, w_hr)
        outputs.append(state[0])
    outputs.reverse()
    return cat(outputs, 0), state


def packed_rnn_forward(
    mode: str,
    data: Tensor,
    batch_sizes: Tensor,
    hx: State,
    weights: Sequence[Sequence[Tensor | None]],
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
) -> tuple[Tensor, State]:
    """``rnn_forward`` for a packed batch: ``data`` (rows step after step) and ``batch_sizes``; ``hx`` in
    sorted batch order. Returns the packed output's data and the stacked final states."""
    sizes = [int(b) for b in batch_sizes.tolist()]

    def run(step: Step, gates: Tensor, state: State, w: Sequence[Tensor | None], reverse: bool) -> tuple:
        direction = _packed_reverse_direction if reverse else _packed_forward_direction
        return direction(step, gates, sizes, state, w)

    return _layers(STEPS[mode], data, hx, weights, num_layers, dropout, train, bidirectional, run, -1)


def _layers(
    step: Step,
    layer_input: Tensor,
    hx: State,
    weights: Sequence[Sequence[Tensor | None]],
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    run: Callable[..., tuple[Tensor, State]],
    cat_dim: int,
) -> tuple[Tensor, State]:
    """The layers and directions of a run (padded or packed: ``run`` does one direction of one layer):
    the last layer's output and the stacked final states."""
    per_state = [h.unbind(0) for h in hx]
    num_directions = 2 if bidirectional else 1
    finals: list[State] = []
    for layer in range(num_layers):
        outputs = []
        for direction in range(num_directions):
            idx = layer * num_directions + direction
            w = weights[idx]
            gates = linear(layer_input, w[0], w[2])
            out, final = run(step, gates, tuple(s[idx] for s in per_state), w, direction == 1)
            outputs.append(out)
            finals.append(final)
        layer_input = outputs[0] if num_directions == 1 else cat(outputs, cat_dim)
        # between layers only, on the time-major output, as torch draws its mask
        if dropout != 0 and train and layer < num_layers - 1:
            layer_input = _dropout(layer_input, dropout, True)  # the argument named dropout is the probability
    return layer_input, tuple(stack([f[k] for f in finals], 0) for k in range(len(hx)))


def rnn_forward(
    mode: str,
    input: Tensor,
    hx: State,
    weights: Sequence[Sequence[Tensor | None]],
    num_layers: int,
    dropout: float,
    train: bool,
    bidirectional: bool,
    batch_first: bool,
) -> tuple[Tensor, State]:
    """A full multi-layer run: ``weights`` holds (w_ih, w_hh, b_ih, b_hh, w_hr) per layer and direction,
    ``hx`` the stacked initial states (h0, or h0 and c0). Returns the output and the stacked final states."""
    if input.shape[1 if batch_first else 0] == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    if mode == "LSTM" and input.dtype is float32 and input._fw_tangent() is not None:
        # torch runs a float32 LSTM on the CPU through oneDNN's kernel, which has no forward formula
        raise forward_ad.not_implemented("mkldnn_rnn_layer")
    # torch runs time-major and transposes back at the end
    layer_input = input.transpose(0, 1) if batch_first else input
    output, finals = _layers(STEPS[mode], layer_input, hx, weights, num_layers, dropout, train, bidirectional,
                             _direction, 2)  # fmt: skip
    return (output.transpose(0, 1) if batch_first else output), finals
