"""nn.RNN / LSTM / GRU and their cells against real torch, run side by side.

Initial weights must be torch's exactly (same seeded draws, names, order, shapes); forward values and the
gradients of every parameter, the input and the initial states are compared with tolerances: tight in
float64 (the arithmetic follows torch's CPU kernels, only rounding differs), looser in float32, where torch's
gemm accumulates onto the bias and its sigmoid/tanh are SLEEF's. grad_fn names are not compared: torch's CPU
layers show the names of their internal ops. Errors must match torch's type and message.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
from tests.helpers import assert_same_nn_error

TOL = {torch.float64: {"rtol": 1e-12, "atol": 1e-13}, torch.float32: {"rtol": 1e-5, "atol": 1e-6}}
# torch's float32 LSTM runs through oneDNN, which has no projections and says so
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

EDTYPE = {torch.float64: re_.float64, torch.float32: re_.float32}

LAYERS: dict[str, Callable[[Any], Any]] = {
    "rnn_tanh": lambda nn: nn.RNN(3, 4),
    "rnn_relu_2layer_nobias": lambda nn: nn.RNN(3, 4, 2, "relu", False),
    "rnn_bidir_batch_first": lambda nn: nn.RNN(3, 4, num_layers=2, batch_first=True, bidirectional=True),
    "lstm": lambda nn: nn.LSTM(3, 4),
    "lstm_2layer_bidir_batch_first": lambda nn: nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
    "lstm_proj": lambda nn: nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True),
    "lstm_proj_nobias": lambda nn: nn.LSTM(3, 5, proj_size=3, bias=False, batch_first=True),
    "gru": lambda nn: nn.GRU(3, 4),
    "gru_2layer_bidir": lambda nn: nn.GRU(3, 4, num_layers=2, bidirectional=True),
    "gru_nobias_batch_first": lambda nn: nn.GRU(3, 4, bias=False, batch_first=True),
}

CELLS: dict[str, Callable[[Any], Any]] = {
    "rnn_cell": lambda nn: nn.RNNCell(3, 4),
    "rnn_cell_relu_nobias": lambda nn: nn.RNNCell(3, 4, False, "relu"),
    "lstm_cell": lambda nn: nn.LSTMCell(3, 4),
    "lstm_cell_nobias": lambda nn: nn.LSTMCell(3, 4, bias=False),
    "gru_cell": lambda nn: nn.GRUCell(3, 4),
    "gru_cell_nobias": lambda nn: nn.GRUCell(3, 4, bias=False),
}


def _eng(t: torch.Tensor, requires_grad: bool = False) -> Any:
    e = re_.from_numpy(t.detach().numpy().copy())
    return e.requires_grad_(True) if requires_grad else e


def _close(actual: Any, expected: torch.Tensor, what: str) -> None:
    assert actual is not None, what
    assert tuple(actual.shape) == tuple(expected.shape), what
    assert actual.dtype == EDTYPE[expected.dtype], what
    np.testing.assert_allclose(np.asarray(actual._data), expected.detach().numpy(), err_msg=what, **TOL[expected.dtype])


def _pair(ctor: Callable[[Any], Any], seed: int = 0) -> tuple[Any, Any]:
    torch.manual_seed(seed)
    tm = ctor(torch.nn)
    re_.manual_seed(seed)
    em = ctor(enn)
    return tm, em


def _flat(out: Any) -> list[Any]:
    # (output, h) / (output, (h, c)) / h / (h, c) as a flat list of tensors
    if isinstance(out, tuple):
        return [t for o in out for t in _flat(o)]
    return [out]


def _states(tm: Any, x: torch.Tensor, batched: bool, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    """Random initial states of the shapes torch expects for ``tm`` and ``x``."""
    if isinstance(tm, torch.nn.RNNCellBase):
        shape = (x.shape[0], tm.hidden_size) if batched else (tm.hidden_size,)
        n = 2 if isinstance(tm, torch.nn.LSTMCell) else 1
        return tuple(torch.randn(shape, dtype=dtype) for _ in range(n))
    batch = (x.shape[0] if tm.batch_first else x.shape[1]) if batched else None
    first = tm.num_layers * (2 if tm.bidirectional else 1)
    sizes = [tm.proj_size or tm.hidden_size] + ([tm.hidden_size] if isinstance(tm, torch.nn.LSTM) else [])
    return tuple(torch.randn((first, batch, s) if batched else (first, s), dtype=dtype) for s in sizes)


def _compare_run(
    tm: Any, em: Any, x: torch.Tensor, states: tuple[torch.Tensor, ...] | None, train_seed: int | None = None
) -> None:
    """Forward both, then backward a random weighting of every output: values and all grads must agree."""
    tx = x.clone().requires_grad_(True)
    ex = _eng(x, True)
    targs: list[Any] = [tx]
    eargs: list[Any] = [ex]
    ts = es = ()
    if states is not None:
        ts = tuple(s.clone().requires_grad_(True) for s in states)
        es = tuple(_eng(s, True) for s in states)
        lstm = isinstance(tm, torch.nn.LSTM | torch.nn.LSTMCell)
        targs.append(ts if lstm else ts[0])
        eargs.append(es if lstm else es[0])
    if train_seed is not None:
        torch.manual_seed(train_seed)
        re_.manual_seed(train_seed)
    touts, eouts = _flat(tm(*targs)), _flat(em(*eargs))
    assert len(touts) == len(eouts)
    for i, (e, t) in enumerate(zip(eouts, touts, strict=True)):
        _close(e, t, f"output {i}")
    if train_seed is not None:  # the generators must have advanced alike
        assert torch.rand(1).item() == re_.rand(1).item()
    weights = [torch.randn_like(t) for t in touts]
    sum((t * w).sum() for t, w in zip(touts, weights, strict=True)).backward()
    sum((e * _eng(w)).sum() for e, w in zip(eouts, weights, strict=True)).backward()
    _close(ex.grad, tx.grad, "input grad")
    for i, (e, t) in enumerate(zip(es, ts, strict=True)):
        _close(e.grad, t.grad, f"grad of initial state {i}")
    for (name, tp), (ename, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert name == ename
        _close(ep.grad, tp.grad, f"grad of {name}")


# --------------------------------------------------------------------------- construction
@pytest.mark.parametrize("name", [*LAYERS, *CELLS])
def test_parameters_and_repr_match_torch(name: str) -> None:
    tm, em = _pair({**LAYERS, **CELLS}[name])
    assert repr(em) == repr(tm)
    tnamed, enamed = list(tm.named_parameters()), list(em.named_parameters())
    assert [k for k, _ in enamed] == [k for k, _ in tnamed]
    for (k, t), (_, e) in zip(tnamed, enamed, strict=True):
        assert tuple(e.shape) == tuple(t.shape), k
        assert np.array_equal(e._data, t.detach().numpy()), k  # the seeded draws, bit for bit
    assert list(em.state_dict()) == list(tm.state_dict())
    if not isinstance(tm, torch.nn.RNNCellBase):
        em.flatten_parameters()
        assert [[tuple(p.shape) for p in ps] for ps in em.all_weights] == [
            [tuple(p.shape) for p in ps] for ps in tm.all_weights
        ]


def test_repr_of_every_option_matches_torch() -> None:
    def build(nn: Any) -> Any:
        return nn.ModuleList(
            [
                nn.RNN(3, 4, 2, "relu", False, True, 0.5, True),
                nn.LSTM(3, 4, proj_size=2, num_layers=3, dropout=0.25),
                nn.GRU(3, 4, bias=False, bidirectional=True),
                nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
                nn.LSTMCell(3, 4, bias=False),
                nn.GRUCell(3, 4, bias=True),
            ]
        )

    tm, em = _pair(build)
    assert repr(em) == repr(tm)


def test_dtype_and_to_match_torch() -> None:
    tm, em = _pair(lambda nn: nn.LSTM(3, 4, dtype=torch.float64 if nn is torch.nn else re_.float64))
    assert [str(p.dtype) for p in em.parameters()] == [str(p.dtype) for p in tm.parameters()]
    em.float()
    assert all(p.dtype == re_.float32 for p in em.parameters())


# --------------------------------------------------------------------------- layers
@pytest.mark.parametrize("tdt", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch(name: str, with_state: bool, tdt: torch.dtype) -> None:
    tm, em = _pair(LAYERS[name])
    tm.to(tdt)
    em.to(EDTYPE[tdt])
    torch.manual_seed(1)
    x = torch.randn((2, 4, 3) if tm.batch_first else (4, 2, 3), dtype=tdt)
    _compare_run(tm, em, x, _states(tm, x, True, tdt) if with_state else None)


@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("name", ["rnn_bidir_batch_first", "lstm_proj", "gru_nobias_batch_first"])
def test_unbatched_layer_matches_torch(name: str, with_state: bool) -> None:
    tm, em = _pair(LAYERS[name])
    tm.double()
    em.double()
    torch.manual_seed(2)
    x = torch.randn(3, 3, dtype=torch.float64)
    _compare_run(tm, em, x, _states(tm, x, False, torch.float64) if with_state else None)


@pytest.mark.parametrize(
    "ctor",
    [
        lambda nn: nn.LSTM(3, 4, num_layers=3, dropout=0.5, bidirectional=True, batch_first=True),
        lambda nn: nn.GRU(3, 4, num_layers=2, dropout=0.3),
        lambda nn: nn.RNN(3, 4, num_layers=2, dropout=1.0),
    ],
    ids=["lstm", "gru", "rnn_p1"],
)
def test_dropout_between_layers_draws_like_torch(ctor: Callable[[Any], Any]) -> None:
    tm, em = _pair(ctor)
    tm.double()
    em.double()
    torch.manual_seed(3)
    x = torch.randn((2, 5, 3) if tm.batch_first else (5, 2, 3), dtype=torch.float64)
    # same masks from the same generator state, and the generator left in the same state
    _compare_run(tm, em, x, None, train_seed=7)
    tm.eval()
    em.eval()
    _compare_run(tm, em, x, None, train_seed=8)  # eval: no dropout, nothing drawn


def test_loaded_torch_weights_and_training_step_match() -> None:
    re_.manual_seed(0)
    em = enn.GRU(3, 4, 2, batch_first=True)
    torch.manual_seed(5)
    tm2 = torch.nn.GRU(3, 4, 2, batch_first=True)  # different weights, loaded into the engine's module
    em.load_state_dict({k: _eng(v) for k, v in tm2.state_dict().items()})
    x = torch.randn(2, 3, 3)
    for _ in range(2):  # two plain gradient-descent steps
        tm2(x)[0].square().mean().backward()
        em(_eng(x))[0].square().mean().backward()
        for lib, m in ((torch, tm2), (re_, em)):
            with lib.no_grad():
                for p in m.parameters():
                    p -= 0.1 * p.grad
                    p.grad = None
    for (k, t), (_, e) in zip(tm2.named_parameters(), em.named_parameters(), strict=True):
        _close(e, t, k)


# --------------------------------------------------------------------------- cells
@pytest.mark.parametrize("tdt", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_matches_torch(name: str, with_state: bool, batched: bool, tdt: torch.dtype) -> None:
    tm, em = _pair(CELLS[name])
    tm.to(tdt)
    em.to(EDTYPE[tdt])
    torch.manual_seed(4)
    x = torch.randn((2, 3) if batched else (3,), dtype=tdt)
    _compare_run(tm, em, x, _states(tm, x, batched, tdt) if with_state else None)


def test_cell_unrolled_matches_layer() -> None:
    # the layer and the cell share one step: unrolling an LSTMCell with the layer's weights gives its output
    re_.manual_seed(0)
    layer = enn.LSTM(3, 4).double()
    cell = enn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = re_.randn(5, 2, 3, dtype=re_.float64)
    out, (h, c) = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
    assert np.allclose(out._data[-1], state[0]._data, rtol=1e-14, atol=1e-15)
    assert np.allclose(h._data[0], state[0]._data, rtol=1e-14, atol=1e-15)
    assert np.allclose(c._data[0], state[1]._data, rtol=1e-14, atol=1e-15)


# --------------------------------------------------------------------------- errors and warnings
def _same_error(fn: Callable[[Any, Any], Any]) -> None:
    """``fn(lib, nn)`` with torch and with the engine: same exception type and message."""
    assert_same_nn_error(lambda t, nn, f: fn(t, nn))


ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "rnn_proj_size": lambda t, nn: nn.RNN(3, 4, proj_size=2),
    "gru_proj_size": lambda t, nn: nn.GRU(3, 4, proj_size=2),
    "rnn_nonlinearity": lambda t, nn: nn.RNN(3, 4, nonlinearity="sigmoid"),
    "proj_too_big": lambda t, nn: nn.LSTM(3, 4, proj_size=4),
    "proj_negative": lambda t, nn: nn.LSTM(3, 4, proj_size=-1),
    "dropout_bool": lambda t, nn: nn.LSTM(3, 4, dropout=True),
    "dropout_range": lambda t, nn: nn.GRU(3, 4, dropout=1.5),
    "num_layers": lambda t, nn: nn.LSTM(3, 4, num_layers=0),
    "input_size_type": lambda t, nn: nn.LSTM(3.0, 4),
    "input_size_zero": lambda t, nn: nn.RNN(0, 4),
    "hidden_size_type": lambda t, nn: nn.GRU(3, "4"),
    "hidden_size_zero": lambda t, nn: nn.GRU(3, 0),
    "bias_type": lambda t, nn: nn.RNN(3, 4, bias=1),
    "batch_first_type": lambda t, nn: nn.RNN(3, 4, batch_first=None),
    "rnn_4d": lambda t, nn: nn.RNN(3, 4)(t.zeros(1, 2, 2, 3)),
    "lstm_1d": lambda t, nn: nn.LSTM(3, 4)(t.zeros(3)),
    "gru_4d": lambda t, nn: nn.GRU(3, 4)(t.zeros(1, 2, 2, 3)),
    "input_size": lambda t, nn: nn.LSTM(3, 4)(t.zeros(5, 2, 2)),
    "input_size_unbatched": lambda t, nn: nn.GRU(3, 4)(t.zeros(5, 2)),
    "input_dtype": lambda t, nn: nn.LSTM(3, 4)(t.zeros(5, 2, 3, dtype=t.float64)),
    "empty_sequence": lambda t, nn: nn.LSTM(3, 4)(t.zeros(0, 2, 3)),
    "hidden_size": lambda t, nn: nn.RNN(3, 4)(t.zeros(5, 2, 3), t.zeros(2, 2, 4)),
    "hidden_batch": lambda t, nn: nn.GRU(3, 4, batch_first=True)(t.zeros(2, 5, 3), t.zeros(1, 5, 4)),
    "hidden_dim_batched": lambda t, nn: nn.GRU(3, 4)(t.zeros(2, 2, 3), t.zeros(1, 4)),
    "hidden_dim_unbatched": lambda t, nn: nn.RNN(3, 4)(t.zeros(2, 3), t.zeros(1, 2, 4)),
    "hidden_dtype": lambda t, nn: nn.RNN(3, 4)(t.zeros(5, 2, 3), t.zeros(1, 2, 4, dtype=t.float64)),
    "lstm_h0_size": lambda t, nn: nn.LSTM(3, 4)(t.zeros(5, 2, 3), (t.zeros(1, 3, 4), t.zeros(1, 2, 4))),
    "lstm_c0_size": lambda t, nn: nn.LSTM(3, 4)(t.zeros(5, 2, 3), (t.zeros(1, 2, 4), t.zeros(1, 2, 5))),
    "lstm_proj_h0_size": lambda t, nn: nn.LSTM(3, 4, proj_size=2)(
        t.zeros(5, 2, 3), (t.zeros(1, 2, 4), t.zeros(1, 2, 4))
    ),
    "lstm_state_dims": lambda t, nn: nn.LSTM(3, 4)(t.zeros(2, 3), (t.zeros(1, 4), t.zeros(1, 2, 4))),
    "lstm_state_dims_batched": lambda t, nn: nn.LSTM(3, 4)(t.zeros(2, 2, 3), (t.zeros(1, 2, 4), t.zeros(2, 4))),
    "lstm_three_states": lambda t, nn: nn.LSTM(3, 4)(t.zeros(5, 2, 3), (t.zeros(1, 2, 4),) * 3),
    "lstm_tensor_state": lambda t, nn: nn.LSTM(3, 4)(t.zeros(5, 2, 3), t.zeros(1, 2, 4)),
    "cell_input_dim": lambda t, nn: nn.RNNCell(3, 4)(t.zeros(1, 2, 3)),
    "cell_hidden_dim": lambda t, nn: nn.GRUCell(3, 4)(t.zeros(2, 3), t.zeros(1, 2, 4)),
    "lstm_cell_hx_dim": lambda t, nn: nn.LSTMCell(3, 4)(t.zeros(2, 3), (t.zeros(2, 4), t.zeros(1, 2, 4))),
    "cell_input_size": lambda t, nn: nn.LSTMCell(3, 4)(t.zeros(2, 5)),
    "cell_batch": lambda t, nn: nn.LSTMCell(3, 4)(t.zeros(2, 3), (t.zeros(3, 4), t.zeros(2, 4))),
    "cell_c_size": lambda t, nn: nn.LSTMCell(3, 4)(t.zeros(2, 3), (t.zeros(2, 4), t.zeros(2, 5))),
    "cell_one_state": lambda t, nn: nn.LSTMCell(3, 4)(t.zeros(2, 3), (t.zeros(2, 4),)),
    "cell_unbatched_vs_batched_hx": lambda t, nn: nn.LSTMCell(3, 4)(t.zeros(3), (t.zeros(2, 4), t.zeros(2, 4))),
    "cell_1d_hx_with_batch": lambda t, nn: nn.GRUCell(3, 4)(t.zeros(4, 3), t.zeros(4)),
    "cell_hidden_size": lambda t, nn: nn.GRUCell(3, 4)(t.zeros(2, 3), t.zeros(2, 5)),
    "cell_dtype": lambda t, nn: nn.GRUCell(3, 4)(t.zeros(2, 3, dtype=t.float64)),
    "cell_unknown_nonlinearity": lambda t, nn: nn.RNNCell(3, 4, nonlinearity="foo")(t.zeros(2, 3)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    _same_error(ERRORS[name])


def test_dropout_with_one_layer_warns_like_torch() -> None:
    caught = []
    for nn in (torch.nn, enn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            nn.GRU(3, 4, dropout=0.5)
        caught.append([(x.category, str(x.message)) for x in w])
    assert caught[1] == caught[0] and len(caught[0]) == 1


@pytest.mark.parametrize("name", ["gru_2layer_bidir", "lstm_proj", "lstm_cell", "rnn_cell_relu_nobias"])
def test_double_backward_matches_torch(name: str) -> None:
    # the backward is built from engine ops, so grads of grads work, as with torch's composite CPU kernels
    tm, em = _pair({**LAYERS, **CELLS}[name])
    tm.double()
    em.double()
    torch.manual_seed(6)
    x = torch.randn((2, 3) if "cell" in name else (3, 2, 3), dtype=torch.float64)
    tx, ex = x.clone().requires_grad_(True), _eng(x, True)
    grads = []
    for lib, m, inp in ((torch, tm, tx), (re_, em, ex)):
        out = _flat(m(inp))[0]
        params = [inp, *m.parameters()]
        first = lib.autograd.grad(out.tanh().sum(), params, create_graph=True)
        grads.append(lib.autograd.grad(sum((g * g).sum() for g in first), params))
    for i, (e, t) in enumerate(zip(grads[1], grads[0], strict=True)):
        _close(e, t, f"second-order grad {i}")
