"""nn.Module behaviour against real torch: layers built from the same state, the Module API (repr, traversal,
train/eval, dtype, state_dict, init, freezing, buffers, hooks), containers, errors, a small language model.

Each test builds the torch module, copies its state_dict into the engine's module (as arrays), runs both on the
same inputs and compares outputs and grads with ``conformance.compare.compare_arrays``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
import reference_engine.optim as eoptim
import reference_engine.random as er
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    LayerTable,
    Make,
    as_engine,
    assert_same_nn_error,
    build_pair,
    check,
    copy_state,
    over_layers,
    raised_error,
    run_and_compare,
)

MODULES: LayerTable = {
    "linear": (lambda nn: nn.Linear(5, 4), (6, 5)),
    "linear_nobias": (lambda nn: nn.Linear(5, 4, bias=False), (6, 5)),
    "linear_3d": (lambda nn: nn.Linear(5, 4), (2, 3, 5)),
    "linear_1d": (lambda nn: nn.Linear(5, 4), (5,)),
    "conv": (lambda nn: nn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    "conv_stride_pad": (lambda nn: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)), (2, 3, 7, 6)),
    "conv_dilation_nobias": (lambda nn: nn.Conv2d(2, 3, 3, dilation=2, bias=False), (1, 2, 8, 9)),
    "conv_groups": (lambda nn: nn.Conv2d(4, 6, 3, groups=2, padding=1), (2, 4, 5, 5)),
    "conv_same": (lambda nn: nn.Conv2d(2, 2, (4, 3), padding="same", dilation=(1, 2)), (1, 2, 6, 7)),
    "conv_unbatched": (lambda nn: nn.Conv2d(2, 3, 2), (2, 4, 4)),
    "mlp": (lambda nn: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3)), (5, 6)),
    "convnet": (
        lambda nn: nn.Sequential(
            nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 2, stride=2), nn.Flatten(), nn.Linear(18, 4)
        ),
        (2, 1, 6, 6),
    ),
    "flatten": (lambda nn: nn.Flatten(), (2, 3, 4)),
    "flatten_0_1": (lambda nn: nn.Flatten(0, 1), (2, 3, 4)),
    "unflatten": (lambda nn: nn.Unflatten(1, (2, 6)), (3, 12)),
    "identity": (lambda nn: nn.Sequential(nn.Identity(), nn.Sigmoid()), (3, 4)),
    "relu": (lambda nn: nn.ReLU(), (4, 5)),
    "tanh": (lambda nn: nn.Tanh(), (4, 5)),
    "sigmoid": (lambda nn: nn.Sigmoid(), (4, 5)),
    "softmax": (lambda nn: nn.Softmax(dim=1), (4, 5)),
    "softmax_neg": (lambda nn: nn.Softmax(dim=-1), (2, 3, 5)),
    "log_softmax": (lambda nn: nn.LogSoftmax(dim=1), (4, 5)),
    "log_softmax_0": (lambda nn: nn.LogSoftmax(dim=0), (4, 5)),
    "dropout_eval": (lambda nn: nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5)).eval(), (4, 3)),
}


@OVER_FLOAT_DTYPES
@over_layers(MODULES)
def test_module_matches_torch(make: Make, shape: tuple[int, ...], tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(0)
    tm, em = build_pair(make, tdt, edt)
    run_and_compare(tm, em, torch.randn(shape, dtype=tdt))


def test_linear_double_backward_matches_torch() -> None:
    torch.manual_seed(4)
    tm, em = build_pair(lambda nn: nn.Linear(3, 2), torch.float64, re_.float64)
    x = torch.randn(4, 3, dtype=torch.float64)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    (tg,) = torch.autograd.grad((tm(tx) ** 2).sum(), tx, create_graph=True)
    (eg,) = re_.autograd.grad((em(ex) ** 2).sum(), ex, create_graph=True)
    check(eg, tg, "first grad")
    tg.sum().backward()
    eg.sum().backward()
    check(em.weight.grad, tm.weight.grad, "weight grad through double backward")


ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "linear_shape": lambda t, nn: nn.Linear(3, 2)(t.ones(4, 5)),
    "conv_channels": lambda t, nn: nn.Conv2d(1, 2, 3)(t.ones(4, 5, 5, 5)),
    "conv_rank": lambda t, nn: nn.Conv2d(1, 2, 3)(t.ones(4, 5)),
    "conv_dtype_bias": lambda t, nn: nn.Conv2d(1, 2, 3)(t.ones(1, 1, 5, 5, dtype=t.float64)),
    "conv_dtype_weight": lambda t, nn: nn.Conv2d(1, 2, 3, bias=False)(t.ones(1, 1, 5, 5, dtype=t.float64)),
    "conv_too_small": lambda t, nn: nn.Conv2d(1, 2, 3)(t.ones(1, 1, 2, 2)),
    "linear_dtype": lambda t, nn: nn.Linear(3, 2)(t.ones(2, 3, dtype=t.float64)),
    "ce_prob_shape": lambda t, nn: nn.CrossEntropyLoss()(t.ones(2, 3), t.ones(2, 4)),
    "conv_groups_arg": lambda t, nn: nn.Conv2d(3, 2, 3, groups=2),
    "conv_same_strided": lambda t, nn: nn.Conv2d(1, 2, 3, stride=2, padding="same"),
    "reduction_mse": lambda t, nn: nn.MSELoss(reduction="foo")(t.ones(2), t.ones(2)),
    "reduction_l1": lambda t, nn: nn.L1Loss(reduction="avg")(t.ones(2), t.ones(2)),
    "reduction_ce": lambda t, nn: nn.CrossEntropyLoss(reduction="bad")(t.ones(2, 3), t.tensor([0, 1])),
    "reduction_nll": lambda t, nn: nn.NLLLoss(reduction="x")(t.ones(2, 3), t.tensor([0, 1])),
    "reduction_bce": lambda t, nn: nn.BCEWithLogitsLoss(reduction="x")(t.ones(2), t.ones(2)),
    "nll_out_of_bounds": lambda t, nn: nn.NLLLoss()(t.ones(2, 3), t.tensor([0, 3])),
    "nll_float_target": lambda t, nn: nn.NLLLoss()(t.ones(2, 3), t.tensor([0.0, 1.0])),
    "nll_batch": lambda t, nn: nn.NLLLoss()(t.ones(2, 3), t.tensor([0, 1, 1])),
    "bce_shape": lambda t, nn: nn.BCEWithLogitsLoss()(t.ones(2, 3), t.ones(3)),
    "mse_broadcast": lambda t, nn: nn.MSELoss()(t.ones(2, 3), t.ones(2)),
    "dropout_p": lambda t, nn: nn.Dropout(1.5),
    "missing_and_unexpected": lambda t, nn: nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).load_state_dict(
        {"0.weight": t.ones(2, 2), "0.bias": t.ones(2), "extra": t.ones(1)}
    ),
    "missing_only": lambda t, nn: nn.Linear(2, 2).load_state_dict({"weight": t.ones(2, 2)}),
    "size_mismatch": lambda t, nn: nn.Linear(2, 2).load_state_dict({"weight": t.ones(3, 2), "bias": t.ones(2)}),
    "assign_tensor_to_param": lambda t, nn: setattr(nn.Linear(2, 2), "weight", t.ones(2, 2)),
    "train_mode": lambda t, nn: nn.Linear(2, 2).train("yes"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_input_raises_torchs_error(name: str) -> None:
    expected = raised_error(lambda: ERRORS[name](torch, torch.nn))
    actual = raised_error(lambda: ERRORS[name](re_, enn))
    assert actual == expected


def test_mse_broadcast_warning_matches_torch() -> None:
    msgs = []
    for t, nn in ((torch, torch.nn), (re_, enn)):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            nn.MSELoss()(t.ones(2, 3), t.ones(3))
        msgs.append([(w.category, str(w.message)) for w in rec])
    assert msgs[0] == msgs[1]


# --------------------------------------------------------------------------- Module API
def _net(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, stride=2, padding=1, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(8, 10),
        nn.Dropout(0.2), nn.Unflatten(1, (2, 5)), nn.Softmax(dim=1), nn.LogSoftmax(1), nn.Identity(), nn.Tanh(),
        nn.Sigmoid(), nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss(), nn.NLLLoss(),
        nn.L1Loss(reduction="sum"), nn.Conv2d(4, 4, (3, 2), groups=2, dilation=2, padding="same"),
        nn.Sequential(nn.Linear(2, 3, bias=False)),
    )  # fmt: skip


def test_module_repr_matches_torch() -> None:
    assert repr(_net(enn)) == repr(_net(torch.nn))


def test_module_traversal_matches_torch() -> None:
    tm, em = _net(torch.nn), _net(enn)
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in em.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [type(m).__name__ for m in em.children()] == [type(m).__name__ for m in tm.children()]
    assert [type(m).__name__ for m in em.modules()] == [type(m).__name__ for m in tm.modules()]
    assert list(em.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in em.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    assert all(isinstance(p, enn.Parameter) and p.requires_grad and p.is_leaf for p in em.parameters())
    assert len(em) == len(tm) and type(em[-1]).__name__ == type(tm[-1]).__name__
    assert repr(em[3:5]) == repr(tm[3:5])
    assert [type(m).__name__ for m in em] == [type(m).__name__ for m in tm]


def test_train_eval_requires_grad_apply_zero_grad() -> None:
    results = []
    for t, nn in ((torch, torch.nn), (re_, enn)):
        m = _net(nn)
        flags = [m.eval().training, m[4].training, m.train().training, m[4].training]
        m.requires_grad_(False)
        frozen = [p.requires_grad for p in m.parameters()]
        m.requires_grad_(True)
        seen: list[str] = []
        m.apply(lambda mod, seen=seen: seen.append(type(mod).__name__))
        lin = m[3]
        lin(t.ones(2, 8)).sum().backward()
        had = lin.weight.grad is not None
        m.zero_grad(set_to_none=False)
        zeroed = float(lin.weight.grad.abs().sum())
        m.zero_grad()
        results.append((flags, frozen, seen, had, zeroed, lin.weight.grad is None))
    assert results[0] == results[1]


@OVER_FLOAT_DTYPES
def test_module_to_dtype(tdt: torch.dtype, edt: Any) -> None:
    em = enn.Linear(3, 2)
    p = em.weight
    em.to(edt)
    assert em.weight is p and em.weight.dtype is edt and em.bias.dtype is edt
    assert str(em.weight.dtype) == str(tdt)


def test_parameter_repr_and_state_dict() -> None:
    tp, ep = torch.nn.Parameter(torch.ones(2)), enn.Parameter(re_.ones(2))
    assert repr(ep) == repr(tp)
    assert repr(ep).startswith("Parameter containing:\n")
    em = enn.Linear(2, 2)
    sd = em.state_dict()
    assert not sd["weight"].requires_grad and sd["weight"].is_leaf
    assert repr(em.load_state_dict(sd)) == repr(
        torch.nn.Linear(2, 2).load_state_dict(torch.nn.Linear(2, 2).state_dict())
    )


def test_default_init_bounds() -> None:
    # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); so does the bias
    lin = enn.Linear(50, 40)
    conv = enn.Conv2d(4, 60, 3)
    for w, fan_in in ((lin.weight, 50), (lin.bias, 50), (conv.weight, 36), (conv.bias, 36)):
        a = np.asarray(w._data)
        bound = 1 / np.sqrt(fan_in)
        assert np.all(np.abs(a) <= bound) and np.abs(a).max() > 0.5 * bound


def test_init_functions_match_torch_statistics() -> None:
    t = re_.empty(200, 300)
    enn.init.xavier_uniform_(t, gain=2.0)
    bound = 2.0 * np.sqrt(6.0 / 500)
    assert np.abs(np.asarray(t._data)).max() <= bound
    enn.init.normal_(t, 1.0, 0.5)
    assert abs(float(np.asarray(t._data).mean()) - 1.0) < 0.01
    for fn, val in ((enn.init.zeros_, 0.0), (enn.init.ones_, 1.0), (lambda x: enn.init.constant_(x, 3.5), 3.5)):
        fn(t)
        assert np.all(np.asarray(t._data) == val)
    p = enn.Parameter(re_.ones(3, 3))
    enn.init.kaiming_uniform_(p)  # in place on a leaf that requires grad: allowed because it runs under no_grad
    assert p.grad_fn is None and p.requires_grad
    assert enn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)


# --------------------------------------------------------------------------- freezing
def _small_convnet(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2), nn.ReLU(), nn.Flatten(),
        nn.Linear(4 * 3 * 3, 5),
    )  # fmt: skip


def test_freezing_pattern_matches_torch() -> None:
    torch.manual_seed(5)
    tm = _small_convnet(torch.nn)
    em = _small_convnet(enn)
    copy_state(tm, em)
    heads = []
    for nn, m in ((torch.nn, tm), (enn, em)):
        for p in m.parameters():
            p.requires_grad = False
        m[5] = nn.Linear(36, 3)  # the new head is trainable
        heads.append(m[5])
    copy_state(heads[0], heads[1])
    frozen_before = {k: v.clone() for k, v in em.state_dict().items() if not k.startswith("5.")}
    topt = torch.optim.SGD(tm[5].parameters(), lr=1e-2, momentum=0.9)
    eopt = eoptim.SGD(em[5].parameters(), lr=1e-2, momentum=0.9)
    x, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 2, 1, 2])
    for _ in range(10):
        for m, opt, t, xx, yy in ((tm, topt, torch, x, y), (em, eopt, re_, as_engine(x), as_engine(y))):
            opt.zero_grad()
            m.nn_loss = None
            loss = (torch.nn if t is torch else enn).CrossEntropyLoss()(m(xx), yy)
            loss.backward()
            opt.step()
    for name, p in em.named_parameters():
        if name.startswith("5."):
            continue
        assert p.grad is None and not p.requires_grad, name
        assert np.array_equal(np.asarray(p._data), np.asarray(frozen_before[name]._data)), name
    check(em[5].weight, tm[5].weight, "head weight")
    check(em[5].bias, tm[5].bias, "head bias")
    check(eopt.state[em[5].weight]["momentum_buffer"], topt.state[tm[5].weight]["momentum_buffer"], "momentum")
    out = em(as_engine(x))
    assert out.requires_grad
    em[5].requires_grad_(False)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        em(as_engine(x)).sum().backward()


# --------------------------------------------------------------------------- random
def test_random_dtypes_shapes_and_reproducibility() -> None:
    er.manual_seed(123)
    a = er.randn(3, 4)
    er.manual_seed(123)
    b = er.randn((3, 4))
    assert np.array_equal(np.asarray(a._data), np.asarray(b._data))
    assert er.initial_seed() == 123
    pairs = [
        (er.randn(2, 3), torch.randn(2, 3)),
        (er.rand(2, dtype=re_.float64), torch.rand(2, dtype=torch.float64)),
        (er.randint(0, 5, (4,)), torch.randint(0, 5, (4,))),
        (er.randint(7, (2, 2)), torch.randint(7, (2, 2))),
        (er.randperm(6), torch.randperm(6)),
    ]
    for e, t in pairs:
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    assert sorted(np.asarray(er.randperm(50)._data).tolist()) == list(range(50))
    ints = np.asarray(er.randint(3, 9, (1000,))._data)
    assert ints.min() == 3 and ints.max() == 8
    u = re_.empty(10000).uniform_(-2.0, 3.0)
    assert -2.0 <= float(np.asarray(u._data).min()) and float(np.asarray(u._data).max()) < 3.0
    n = re_.empty(20000, dtype=re_.float64).normal_(2.0, 0.5)
    assert abs(float(np.asarray(n._data).std()) - 0.5) < 0.02
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        re_.ones(2, requires_grad=True).uniform_()


def _buffers_and_sharing(t: Any, nn: Any) -> list[Any]:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = self.a  # shared: listed once
            self.register_buffer("running", t.zeros(2))
            self.register_buffer("scratch", t.ones(1), persistent=False)
            self.tag = "plain attribute"

        def forward(self, x: Any) -> Any:
            return self.a(x) + self.running

    net = Net()
    out = [
        [n for n, _ in net.named_parameters()],
        [n for n, _ in net.named_parameters(prefix="net")],
        [n for n, _ in net.named_parameters(remove_duplicate=False)],
        [n for n, _ in net.named_buffers()],
        list(net.state_dict()),
        [n for n, _ in net.named_modules()],
        [n for n, _ in net.named_children()],
        [tuple(p.shape) for p in net.parameters(recurse=False)],
        net.tag,
    ]
    net.running = t.full((2,), 3.0)
    out.append(net.state_dict()["running"].tolist())
    del net.b
    out.append([n for n, _ in net.named_modules()])
    out.append(repr(net))
    out.append(net.get_parameter("a.bias").shape == (2,))
    out.append(type(net.get_submodule("a")).__name__)
    r = net.load_state_dict({"a.weight": t.ones(2, 2), "a.bias": t.ones(2), "extra": t.ones(1)}, strict=False)
    out.append((list(r.missing_keys), list(r.unexpected_keys)))
    return out


def test_buffers_sharing_and_registration_match_torch() -> None:
    assert _buffers_and_sharing(re_, enn) == _buffers_and_sharing(torch, torch.nn)


def test_conv_weight_modified_in_place_before_backward_raises_like_torch() -> None:
    def run(t: Any, nn: Any) -> tuple[type, str]:
        conv = nn.Conv2d(1, 2, 3)
        y = conv(t.ones(1, 1, 4, 4)).sum()
        with t.no_grad():
            conv.weight.mul_(2)
        return raised_error(y.backward)

    assert run(re_, enn) == run(torch, torch.nn)


def test_forward_hooks_match_torch() -> None:
    def run(t: Any, nn: Any) -> list[Any]:
        lin = nn.Linear(2, 2)
        with t.no_grad():
            lin.weight.fill_(1.0)
            lin.bias.fill_(0.5)
        seen: list[Any] = []
        h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h2 = lin.register_forward_hook(lambda m, args, out: seen.append(out.tolist()) or out + 1)
        first = lin(t.ones(1, 2)).tolist()
        h1.remove()
        h2.remove()
        return [first, seen, lin(t.ones(1, 2)).tolist()]

    assert run(re_, enn) == run(torch, torch.nn)


# --------------------------------------------------------------------------- containers
def test_module_list_matches_torch() -> None:
    def build(nn: Any) -> Any:
        ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        ml.append(nn.ReLU())
        ml.extend([nn.Tanh(), nn.Tanh()])
        ml.insert(1, nn.Sigmoid())
        ml += [nn.Linear(2, 3)]
        return ml

    torch.manual_seed(0)
    tm = build(torch.nn)
    re_.manual_seed(0)
    em = build(enn)
    assert repr(em) == repr(tm)
    assert len(em) == len(tm) == 8
    assert [type(m).__name__ for m in em] == [type(m).__name__ for m in tm]
    assert type(em[-1]).__name__ == "Linear" and em[1] is list(em)[1]
    assert repr(em[2:5]) == repr(tm[2:5]) and isinstance(em[2:5], enn.ModuleList)
    assert [k for k, _ in em.named_parameters()] == [k for k, _ in tm.named_parameters()]
    assert list(em.state_dict()) == list(tm.state_dict())
    assert [k for k, _ in em.named_modules()] == [k for k, _ in tm.named_modules()]
    for e, t in zip(em.parameters(), tm.parameters(), strict=True):
        check(e, t)  # same draws from the seeded generator
    for ml in (em, tm):
        popped = ml.pop(1)
        del ml[0]
        ml[0] = type(popped)()
    assert repr(em) == repr(tm) and list(em.state_dict()) == list(tm.state_dict())
    assert repr(em + em[:1]) == repr(tm + tm[:1])
    assert repr(enn.ModuleList()) == repr(torch.nn.ModuleList())
    # replacing an entry keeps its place (Sequential and parameters too)
    seqs = [nn.Sequential(nn.ReLU(), nn.Tanh()) for nn in (torch.nn, enn)]
    for seq, nn in zip(seqs, (torch.nn, enn), strict=True):
        seq[0] = nn.Sigmoid()
        seq[0].weight = nn.Parameter(torch.ones(1) if nn is torch.nn else re_.ones(1))
        seq[0].bias = nn.Parameter(torch.ones(1) if nn is torch.nn else re_.ones(1))
        seq[0].weight = nn.Parameter(torch.zeros(1) if nn is torch.nn else re_.zeros(1))
    assert repr(seqs[1]) == repr(seqs[0]) and list(seqs[1].state_dict()) == list(seqs[0].state_dict())
    assert [d for d in dir(em) if d.isdigit()] == []
    assert_same_nn_error(lambda t, nn, f: nn.ModuleList([nn.ReLU()])[3])
    assert_same_nn_error(lambda t, nn, f: nn.ModuleList().extend(5))
    assert_same_nn_error(lambda t, nn, f: nn.ModuleList([5]))


def test_module_list_in_a_model_trains_like_torch() -> None:
    def build(nn: Any) -> Any:
        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 2)])
                self.acts = nn.ModuleDict({"b": nn.GELU(), "a": nn.SiLU()})

            def forward(self, x: Any) -> Any:
                return self.acts["a"](self.layers[1](self.acts["b"](self.layers[0](x))))

        return Net()

    torch.manual_seed(0)
    tm, em = build_pair(build, torch.float64, re_.float64)
    assert repr(em) == repr(tm)
    run_and_compare(tm, em, torch.randn(4, 3, dtype=torch.float64))


def test_module_dict_matches_torch() -> None:
    def build(nn: Any) -> Any:
        md = nn.ModuleDict({"z": nn.ReLU(), "a": nn.Linear(2, 2)})
        md["m"] = nn.Tanh()
        md.update([("q", nn.Sigmoid()), ("z", nn.GELU())])
        md.update(OrderedDict(k=nn.Identity()))
        return md

    torch.manual_seed(0)
    tm = build(torch.nn)
    em = build(enn)
    assert repr(em) == repr(tm)
    assert list(em.keys()) == list(tm.keys()) and list(em) == list(tm)
    assert [type(v).__name__ for v in em.values()] == [type(v).__name__ for v in tm.values()]
    assert [k for k, _ in em.items()] == [k for k, _ in tm.items()]
    assert ("a" in em) and ("nope" not in em) and len(em) == len(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    for md in (em, tm):
        md.pop("m")
        del md["q"]
    assert repr(em) == repr(tm)
    em.clear()
    assert len(em) == 0 and list(em.parameters()) == []
    assert_same_nn_error(lambda t, nn, f: nn.ModuleDict().update(5))
    assert_same_nn_error(lambda t, nn, f: nn.ModuleDict().update([("a", nn.ReLU(), 1)]))
    assert_same_nn_error(lambda t, nn, f: nn.ModuleDict().update([5]))
    assert_same_nn_error(lambda t, nn, f: nn.ModuleDict({"a.b": nn.ReLU()}))
    assert_same_nn_error(lambda t, nn, f: nn.ModuleDict()["missing"])


def test_parameter_list_matches_torch() -> None:
    def build(lib: Any) -> Any:
        pl = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(3)])
        pl.append(lib.ones(1, dtype=lib.float64))
        pl.extend([lib.nn.Parameter(lib.ones(4), requires_grad=False)])
        pl.append("not a tensor")
        return pl

    tp, ep = build(torch), build(re_)
    assert repr(ep) == repr(tp)
    assert len(ep) == len(tp) == 5
    assert type(ep[1]).__name__ == "Parameter" and ep[1].requires_grad  # plain tensors are wrapped
    assert not ep[3].requires_grad and ep[-1] == "not a tensor"
    assert [k for k, _ in ep.named_parameters()] == [k for k, _ in tp.named_parameters()]
    assert list(ep.state_dict()) == list(tp.state_dict())
    assert repr(ep[1:3]) == repr(tp[1:3])
    ep[0] = re_.full((2,), 3.0)
    tp[0] = torch.full((2,), 3.0)
    assert repr(ep) == repr(tp) and type(ep[0]).__name__ == "Parameter"
    assert_same_nn_error(lambda t, nn, f: nn.ParameterList()[0])
    assert_same_nn_error(lambda t, nn, f: nn.ParameterList().extend(t.ones(2)))
    assert_same_nn_error(lambda t, nn, f: nn.ParameterList([t.ones(1)])(t.ones(1)))


def test_parameter_dict_matches_torch() -> None:
    def build(lib: Any) -> Any:
        pd = lib.nn.ParameterDict({"b": lib.nn.Parameter(lib.ones(2, 3)), "a": lib.zeros(3)})  # sorted: a, b
        pd["c"] = lib.ones(2, dtype=lib.float64)
        pd.update([("z", lib.ones(1)), ("y", 3)])
        pd.setdefault("d", lib.zeros(1))
        return pd

    tp, ep = build(torch), build(re_)
    assert repr(ep) == repr(tp)
    assert list(ep) == list(tp) and list(ep.keys()) == list(tp.keys()) and list(reversed(ep)) == list(reversed(tp))
    assert [k for k, _ in ep.named_parameters()] == [k for k, _ in tp.named_parameters()]
    assert list(ep.state_dict()) == list(tp.state_dict())
    assert type(ep["a"]).__name__ == "Parameter" and ep.get("nope", 7) == 7 and "c" in ep
    assert [k for k, _ in ep.items()] == [k for k, _ in tp.items()]
    assert ep.popitem()[0] == tp.popitem()[0]
    assert repr(ep.pop("c")) == repr(tp.pop("c"))
    assert repr(ep) == repr(tp) and repr(ep.copy()) == repr(tp.copy())
    assert repr(ep | build(re_)) == repr(tp | build(torch))
    assert list(ep.fromkeys(["u", "v"])) == list(tp.fromkeys(["u", "v"]))
    ep.clear()
    assert len(ep) == 0 and list(ep.parameters()) == []
    assert_same_nn_error(lambda t, nn, f: nn.ParameterDict()[3])
    assert_same_nn_error(lambda t, nn, f: nn.ParameterDict().update(5))
    assert_same_nn_error(lambda t, nn, f: nn.ParameterDict({"a": t.ones(1)})(t.ones(1)))


def test_parameter_containers_train_with_optimizer() -> None:
    # registered parameters get grads and are moved by an optimizer
    pl = enn.ParameterList([re_.ones(3)])
    pd = enn.ParameterDict({"w": re_.ones(3)})
    (pl[0] * 2 + pd["w"] * 3).sum().backward()
    check(pl[0].grad, torch.full((3,), 2.0))
    check(pd["w"].grad, torch.full((3,), 3.0))


def test_small_language_model_matches_torch_end_to_end() -> None:
    """Seeded default init, forward, loss and grads of a model built from the new pieces."""

    def build(lib: Any) -> Any:
        nn = lib.nn

        class Block(nn.Module):
            def __init__(self, d: int) -> None:
                super().__init__()
                self.norm = nn.LayerNorm(d)
                self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(approximate="tanh"), nn.Linear(2 * d, d))

            def forward(self, x: Any) -> Any:
                return x + self.mlp(self.norm(x))

        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.embed = nn.Embedding(11, 6, padding_idx=0)
                self.blocks = nn.ModuleList([Block(6) for _ in range(2)])
                self.gates = nn.ParameterDict({"scale": lib.ones(6)})
                self.head = nn.Linear(6, 11)

            def forward(self, idx: Any) -> Any:
                h = self.embed(idx)
                for block in self.blocks:
                    h = block(h)
                return self.head(nn.functional.silu(h * self.gates["scale"]))

        lib.manual_seed(0)
        return Model()

    tm, em = build(torch), build(re_)
    assert repr(em) == repr(tm)
    for (name, tp), (ename, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert name == ename
        np.testing.assert_array_equal(np.asarray(ep._data), tp.detach().numpy(), err_msg=name)
    idx = torch.tensor([[1, 4, 0, 7], [3, 3, 10, 2]])
    target = torch.tensor([[4, 0, 7, 1], [3, 10, 2, 5]])
    tl = torch.nn.functional.cross_entropy(tm(idx).flatten(0, 1), target.flatten())
    el = EF.cross_entropy(em(as_engine(idx)).flatten(0, 1), as_engine(target).flatten())
    check(el, tl, "loss")
    tl.backward()
    el.backward()
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        check(ep.grad, tp.grad, f"grad of {name}")
