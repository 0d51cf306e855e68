"""The newer nn pieces against real torch: containers, activations, norms, embedding, padding, losses.

Every expected value comes from torch run side by side on the same inputs; values and grads are
compared with ``conformance.compare`` (assert_close's default tolerances), and grad_fn class names,
dtypes, reprs and error messages must match exactly.
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
from tests.test_nn import DTYPE_IDS, DTYPES, as_engine, build_pair, check, run_and_compare

TF = torch.nn.functional


def _grad_fn_name(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _spread(shape: tuple[int, ...], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    # values across every branch of the piecewise activations (|x| up to ~5), none on a kink
    return torch.randn(shape, dtype=dtype) * 2.5 + 0.01


def _same_error(fn: Callable[[Any, Any, Any], Any]) -> None:
    """Run ``fn(lib, lib.nn, lib.nn.functional)`` for torch and the engine: same exception type and message."""
    with pytest.raises(Exception) as expected:
        fn(torch, torch.nn, TF)
    with pytest.raises(Exception) as actual:
        fn(re_, enn, EF)
    assert type(actual.value).__name__ == type(expected.value).__name__
    assert str(actual.value) == str(expected.value)


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
    _same_error(lambda t, nn, f: nn.ModuleList([nn.ReLU()])[3])
    _same_error(lambda t, nn, f: nn.ModuleList().extend(5))
    _same_error(lambda t, nn, f: nn.ModuleList([5]))


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
    _same_error(lambda t, nn, f: nn.ModuleDict().update(5))
    _same_error(lambda t, nn, f: nn.ModuleDict().update([("a", nn.ReLU(), 1)]))
    _same_error(lambda t, nn, f: nn.ModuleDict().update([5]))
    _same_error(lambda t, nn, f: nn.ModuleDict({"a.b": nn.ReLU()}))
    _same_error(lambda t, nn, f: nn.ModuleDict()["missing"])


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
    _same_error(lambda t, nn, f: nn.ParameterList()[0])
    _same_error(lambda t, nn, f: nn.ParameterList().extend(t.ones(2)))
    _same_error(lambda t, nn, f: nn.ParameterList([t.ones(1)])(t.ones(1)))


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
    _same_error(lambda t, nn, f: nn.ParameterDict()[3])
    _same_error(lambda t, nn, f: nn.ParameterDict().update(5))
    _same_error(lambda t, nn, f: nn.ParameterDict({"a": t.ones(1)})(t.ones(1)))


def test_parameter_containers_train_with_optimizer() -> None:
    # registered parameters get grads and are moved by an optimizer
    pl = enn.ParameterList([re_.ones(3)])
    pd = enn.ParameterDict({"w": re_.ones(3)})
    (pl[0] * 2 + pd["w"] * 3).sum().backward()
    check(pl[0].grad, torch.full((3,), 2.0))
    check(pd["w"].grad, torch.full((3,), 3.0))


# --------------------------------------------------------------------------- activations
# name -> (module constructor, functional call); each takes the library namespace
ACTIVATIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "leaky_relu": (lambda nn: nn.LeakyReLU(), lambda f, x: f.leaky_relu(x)),
    "leaky_relu_0.2": (lambda nn: nn.LeakyReLU(0.2), lambda f, x: f.leaky_relu(x, 0.2)),
    "gelu": (lambda nn: nn.GELU(), lambda f, x: f.gelu(x)),
    "gelu_tanh": (lambda nn: nn.GELU("tanh"), lambda f, x: f.gelu(x, approximate="tanh")),
    "silu": (lambda nn: nn.SiLU(), lambda f, x: f.silu(x)),
    "elu": (lambda nn: nn.ELU(), lambda f, x: f.elu(x)),
    "elu_alpha": (lambda nn: nn.ELU(alpha=0.7), lambda f, x: f.elu(x, 0.7)),
    "softplus": (lambda nn: nn.Softplus(), lambda f, x: f.softplus(x)),
    "softplus_beta": (lambda nn: nn.Softplus(beta=5, threshold=4), lambda f, x: f.softplus(x, 5, 4)),
    "hardtanh": (lambda nn: nn.Hardtanh(), lambda f, x: f.hardtanh(x)),
    "hardtanh_range": (lambda nn: nn.Hardtanh(-2.0, 0.5), lambda f, x: f.hardtanh(x, -2.0, 0.5)),
    "relu6": (lambda nn: nn.ReLU6(), lambda f, x: f.relu6(x)),
    "mish": (lambda nn: nn.Mish(), lambda f, x: f.mish(x)),
    "logsigmoid": (lambda nn: nn.LogSigmoid(), lambda f, x: f.logsigmoid(x)),
    "softmin": (lambda nn: nn.Softmin(dim=1), lambda f, x: f.softmin(x, dim=1)),
    "softmin_0": (lambda nn: nn.Softmin(dim=0), lambda f, x: f.softmin(x, 0)),
    "softsign": (lambda nn: nn.Softsign(), lambda f, x: f.softsign(x)),
    "hardswish": (lambda nn: nn.Hardswish(), lambda f, x: f.hardswish(x)),
    "hardsigmoid": (lambda nn: nn.Hardsigmoid(), lambda f, x: f.hardsigmoid(x)),
    "tanhshrink": (lambda nn: nn.Tanhshrink(), lambda f, x: f.tanhshrink(x)),
    "threshold": (lambda nn: nn.Threshold(0.3, -2.0), lambda f, x: f.threshold(x, 0.3, -2.0)),
    "glu": (lambda nn: nn.GLU(), lambda f, x: f.glu(x)),
    "glu_0": (lambda nn: nn.GLU(0), lambda f, x: f.glu(x, 0)),
}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_module_and_functional_match_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    check_activation(*ACTIVATIONS[name], tdt, edt)


def check_activation(make: Callable[[Any], Any], call: Callable[[Any, Any], Any], tdt: torch.dtype, edt: Any) -> None:
    """Module (repr, values, input grad, grad_fn name) and functional form against torch."""
    torch.manual_seed(0)
    x = _spread((4, 6), tdt)
    tm, em = make(torch.nn), make(enn)
    assert repr(em) == repr(tm)
    run_and_compare(tm, em, x)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    ty, ey = call(TF, tx), call(EF, ex)
    assert _grad_fn_name(ey) == _grad_fn_name(ty) and ey.dtype == edt
    check(ey, ty, "functional output")


DOUBLE_BACKWARD = ["gelu", "gelu_tanh", "silu", "elu", "softplus", "mish", "logsigmoid", "hardswish", "glu"]


@pytest.mark.parametrize("name", DOUBLE_BACKWARD)
def test_activation_double_backward_matches_torch(name: str) -> None:
    check_activation_double_backward(ACTIVATIONS[name][1])


def check_activation_double_backward(call: Callable[[Any, Any], Any]) -> None:
    torch.manual_seed(1)
    x = _spread((3, 4))
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    (tg,) = torch.autograd.grad(call(TF, tx).pow(2).sum(), tx, create_graph=True)
    (eg,) = re_.autograd.grad(call(EF, ex).pow(2).sum(), ex, create_graph=True)
    check(eg, tg, "first grad")
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    (egg,) = re_.autograd.grad(eg.sum(), ex)
    check(egg, tgg, "second grad")


INPLACE = {
    "leaky_relu": lambda f, x: f.leaky_relu(x, 0.1, inplace=True),
    "elu": lambda f, x: f.elu(x, inplace=True),
    "silu": lambda f, x: f.silu(x, inplace=True),
    "hardtanh": lambda f, x: f.hardtanh(x, inplace=True),
    "relu6": lambda f, x: f.relu6(x, inplace=True),
    "mish": lambda f, x: f.mish(x, inplace=True),
    "hardswish": lambda f, x: f.hardswish(x, inplace=True),
    "hardsigmoid": lambda f, x: f.hardsigmoid(x, inplace=True),
    "threshold": lambda f, x: f.threshold(x, 0.2, 5.0, inplace=True),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activation_matches_torch(name: str) -> None:
    torch.manual_seed(2)
    x = _spread((3, 5))
    g = torch.randn(3, 5, dtype=torch.float64)
    results = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, requires_grad=True))):
        h = leaf * 1.5
        out = INPLACE[name](f, h)
        assert out is h and h._version == 1  # written into h, one version bump
        out.backward(g if lib is torch else as_engine(g))
        results.append((_grad_fn_name(out), out, leaf.grad))
    (tn, ty, tgrad), (en, ey, egrad) = results
    assert en == tn
    check(ey, ty, "value")
    check(egrad, tgrad, "grad through the in-place op")
    _same_error(lambda t, nn, f: INPLACE[name](f, t.ones(2, requires_grad=True)))


@pytest.mark.parametrize("name", ["gelu", "silu", "hardswish", "softplus", "leaky_relu", "mish", "elu"])
def test_activation_half_matches_torch(name: str) -> None:
    # torch's Half kernels compute in float32 and round once
    torch.manual_seed(3)
    x = _spread((4, 5), torch.float32).half()
    call = ACTIVATIONS[name][1]
    ty, ey = call(TF, x), call(EF, as_engine(x))
    assert ey.dtype == re_.float16
    check(ey, ty, "half output")


def test_inplace_module_reprs_and_saved_arguments_match_torch() -> None:
    ctors = [
        lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.ELU(0.5, True), lambda nn: nn.SiLU(True),
        lambda nn: nn.Mish(True), lambda nn: nn.Hardtanh(-2, 3.5, True), lambda nn: nn.ReLU6(True),
        lambda nn: nn.Hardswish(True), lambda nn: nn.Hardsigmoid(True), lambda nn: nn.Threshold(0.1, 20, True),
    ]  # fmt: skip
    for ctor in ctors:
        assert repr(ctor(enn)) == repr(ctor(torch.nn))
    x = torch.randn(2, 4, requires_grad=True)
    ex = as_engine(x, True)
    for call, names in [
        (lambda f, v: f.leaky_relu(v, 0.3), ["negative_slope", "self"]),
        (lambda f, v: f.elu(v, 0.5), ["alpha", "self"]),
        (lambda f, v: f.softplus(v, 2.0, 5.0), ["beta", "threshold", "self"]),
        (lambda f, v: f.hardtanh(v, -0.5, 0.5), ["min_val", "max_val", "self"]),
        (lambda f, v: f.gelu(v, approximate="tanh"), ["approximate", "self"]),
    ]:
        tn, en = call(TF, x).grad_fn, call(EF, ex).grad_fn
        for name in names:
            tv, ev = getattr(tn, f"_saved_{name}"), getattr(en, f"_saved_{name}")
            if isinstance(tv, torch.Tensor):
                check(ev, tv, name)
            else:
                assert ev == tv, name


def test_activation_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: f.glu(t.ones(2, 3)))
    _same_error(lambda t, nn, f: f.glu(t.ones(3, 2), 0))
    _same_error(lambda t, nn, f: f.glu(t.tensor(1.0)))
    _same_error(lambda t, nn, f: f.gelu(t.ones(2), approximate="exact"))
    _same_error(lambda t, nn, f: nn.Hardtanh(1.0, 0.0))
    for fn in ("gelu", "silu", "elu", "leaky_relu", "softplus", "mish", "logsigmoid", "hardswish", "hardsigmoid"):
        _same_error(lambda t, nn, f, fn=fn: getattr(f, fn)(t.arange(3)))
    for fn in ("gelu", "silu", "elu", "softplus", "mish", "logsigmoid", "hardswish", "hardtanh", "relu6", "glu"):
        _same_error(lambda t, nn, f, fn=fn: getattr(f, fn)([1.0]))


def test_integer_hardtanh_and_threshold_match_torch() -> None:
    x = torch.arange(-3, 4)
    for call in (lambda f, v: f.hardtanh(v), lambda f, v: f.threshold(v, 1, 9), lambda f, v: f.relu6(v * 3)):
        ty, ey = call(TF, x), call(EF, as_engine(x))
        assert ey.dtype == re_.int64
        np.testing.assert_array_equal(np.asarray(ey._data), ty.numpy())


def test_softmin_implicit_dim_warns_like_torch() -> None:
    x = torch.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin") as tw:
        ty = TF.softmin(x)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin") as ew:
        ey = EF.softmin(as_engine(x))
    assert str(ew[0].message) == str(tw[0].message)
    check(ey, ty)


# --------------------------------------------------------------------------- layer norm, group norm
NORM_MODULES: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "layer_norm": (lambda nn: nn.LayerNorm(5), (3, 5)),
    "layer_norm_2d": (lambda nn: nn.LayerNorm((3, 4), eps=1e-3), (2, 3, 4)),
    "layer_norm_no_affine": (lambda nn: nn.LayerNorm(4, elementwise_affine=False), (2, 3, 4)),
    "layer_norm_no_bias": (lambda nn: nn.LayerNorm(4, bias=False), (3, 4)),
    "group_norm": (lambda nn: nn.GroupNorm(2, 4), (3, 4, 5)),
    "group_norm_2d": (lambda nn: nn.GroupNorm(3, 6, eps=1e-2), (2, 6, 2, 3)),
    "group_norm_no_affine": (lambda nn: nn.GroupNorm(1, 3, affine=False), (2, 3, 4)),
    "group_norm_2d_input": (lambda nn: nn.GroupNorm(2, 4), (3, 4)),
    "embedding_net": (lambda nn: nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(), nn.Linear(6, 2)), (5, 4)),
}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(NORM_MODULES))
def test_norm_module_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(0)
    ctor, shape = NORM_MODULES[name]
    tm, em = build_pair(ctor, tdt, edt)
    assert repr(em) == repr(tm)
    with torch.no_grad():  # move weight and bias off ones/zeros so their grads are exercised
        for p in tm.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    for e, t in zip(em.parameters(), tm.parameters(), strict=True):
        e.data = as_engine(t)
    run_and_compare(tm, em, torch.randn(shape, dtype=tdt) * 2 + 1)


def test_norm_default_parameters_match_torch() -> None:
    for ctor in (lambda nn: nn.LayerNorm((2, 3)), lambda nn: nn.GroupNorm(2, 4, bias=False)):
        tm, em = ctor(torch.nn), ctor(enn)
        assert [k for k, _ in em.named_parameters()] == [k for k, _ in tm.named_parameters()]
        for e, t in zip(em.parameters(), tm.parameters(), strict=True):
            check(e, t)


@pytest.mark.parametrize("which", ["layer", "group"])
def test_norm_double_backward_matches_torch(which: str) -> None:
    torch.manual_seed(4)
    x, w, b = (
        torch.randn(2, 4, 3, dtype=torch.float64),
        torch.randn(4, dtype=torch.float64),
        torch.randn(4, dtype=torch.float64),
    )

    def run(lib: Any, f: Any, conv: Callable[[torch.Tensor], Any]) -> tuple:
        xs, ws, bs = (conv(v) for v in (x, w, b))
        if which == "layer":
            y = f.layer_norm(xs.transpose(1, 2), (4,), ws, bs)
        else:
            y = f.group_norm(xs, 2, ws, bs)
        gx, gw = lib.autograd.grad((y * y.detach().exp()).sum(), (xs, ws), create_graph=True)
        return gx, gw, lib.autograd.grad((gx * gx).sum() + gw.sum(), (xs, ws, bs), allow_unused=True)

    t_res = run(torch, TF, lambda v: v.clone().requires_grad_(True))
    e_res = run(re_, EF, lambda v: as_engine(v, requires_grad=True))
    check(e_res[0], t_res[0], "grad x")
    check(e_res[1], t_res[1], "grad w")
    for e, t, what in zip(e_res[2], t_res[2], ("x", "w", "b"), strict=True):
        check(e, t, f"second grad {what}")


def test_norm_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: f.layer_norm(t.ones(3, 4), (5,)))
    _same_error(lambda t, nn, f: f.layer_norm(t.ones(3, 4), (4,), t.ones(3)))
    _same_error(lambda t, nn, f: f.layer_norm(t.ones(3, 4), (4,), None, t.ones(3)))
    _same_error(lambda t, nn, f: f.group_norm(t.ones(2, 6, 4), 4))
    _same_error(lambda t, nn, f: f.group_norm(t.ones(1, 2, 1), 2))
    _same_error(lambda t, nn, f: f.group_norm(t.ones(6), 2))
    _same_error(lambda t, nn, f: f.group_norm(t.ones(2, 6, 4), 2, t.ones(5)))
    _same_error(lambda t, nn, f: nn.GroupNorm(4, 6))


# --------------------------------------------------------------------------- embedding, one_hot
def test_embedding_default_init_matches_torch_rng() -> None:
    for kwargs in ({}, {"padding_idx": 2}, {"padding_idx": -1, "max_norm": 1.0}):
        torch.manual_seed(0)
        tm = torch.nn.Embedding(10, 3, **kwargs)
        re_.manual_seed(0)
        em = enn.Embedding(10, 3, **kwargs)
        assert repr(em) == repr(tm)
        check(em.weight, tm.weight)
        assert em.padding_idx == tm.padding_idx
        # the generator is left in the same state
        check(re_.rand(4), torch.rand(4))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}, {"padding_idx": 0, "scale_grad_by_freq": True}],
    ids=["plain", "padding", "freq", "padding_freq"],
)
def test_embedding_forward_backward_matches_torch(kwargs: dict) -> None:
    torch.manual_seed(5)
    tm = torch.nn.Embedding(6, 4, **kwargs).double()
    em = enn.Embedding(6, 4, **kwargs).double()
    em.weight.data = as_engine(tm.weight)
    idx = torch.tensor([[1, 0, 3, 1], [5, 1, 0, 3]])
    ty, ey = tm(idx), em(as_engine(idx))
    assert _grad_fn_name(ey) == _grad_fn_name(ty) == "EmbeddingBackward0"
    check(ey, ty)
    g = torch.randn(2, 4, 4, dtype=torch.float64)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(em.weight.grad, tm.weight.grad, "weight grad")


def test_embedding_functional_max_norm_and_from_pretrained_match_torch() -> None:
    torch.manual_seed(6)
    w = torch.randn(5, 3, dtype=torch.float64) * 2
    idx = torch.tensor([0, 2, 2, 4])
    tw, ew = w.clone(), as_engine(w)
    ty = TF.embedding(idx, tw, max_norm=1.5)
    ey = EF.embedding(as_engine(idx), ew, max_norm=1.5)
    check(ey, ty)
    check(ew, tw, "renormalised weight, in place")
    for freeze in (True, False):
        tm = torch.nn.Embedding.from_pretrained(w, freeze=freeze, padding_idx=1)
        em = enn.Embedding.from_pretrained(as_engine(w), freeze=freeze, padding_idx=1)
        assert repr(em) == repr(tm) and em.weight.requires_grad == tm.weight.requires_grad
        check(em(as_engine(idx)), tm(idx))


def test_embedding_double_backward_matches_torch() -> None:
    w = torch.randn(4, 2, dtype=torch.float64)
    idx = torch.tensor([3, 0, 3])
    res = []
    for lib, f, leaf, ix in (
        (torch, TF, w.clone().requires_grad_(True), idx),
        (re_, EF, as_engine(w, True), as_engine(idx)),
    ):
        (g,) = lib.autograd.grad(f.embedding(ix, leaf).pow(3).sum(), leaf, create_graph=True)
        (gg,) = lib.autograd.grad(g.pow(2).sum(), leaf)
        res.append((g, gg))
    check(res[1][0], res[0][0])
    check(res[1][1], res[0][1])


def test_one_hot_matches_torch() -> None:
    x = torch.tensor([[0, 3], [2, 1]])
    for kwargs in ({}, {"num_classes": 6}):
        ty, ey = TF.one_hot(x, **kwargs), EF.one_hot(as_engine(x), **kwargs)
        assert ey.dtype == re_.int64 and ey.shape == ty.shape
        np.testing.assert_array_equal(np.asarray(ey._data), ty.numpy())


def test_embedding_and_one_hot_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: f.embedding(t.tensor([5]), t.ones(3, 2)))
    _same_error(lambda t, nn, f: f.embedding(t.tensor([-1]), t.ones(3, 2)))
    _same_error(lambda t, nn, f: f.embedding(t.tensor([1.0]), t.ones(3, 2)))
    _same_error(lambda t, nn, f: f.embedding(t.tensor([1]), t.ones(3)))
    _same_error(lambda t, nn, f: nn.Embedding(3, 2, padding_idx=3))
    _same_error(lambda t, nn, f: nn.Embedding(3, 2, _weight=t.ones(2, 2)))
    _same_error(lambda t, nn, f: nn.Embedding.from_pretrained(t.ones(3)))
    _same_error(lambda t, nn, f: f.one_hot(t.tensor([1.0])))
    _same_error(lambda t, nn, f: f.one_hot(t.tensor([-1])))
    _same_error(lambda t, nn, f: f.one_hot(t.tensor([3]), 3))
    _same_error(lambda t, nn, f: f.one_hot(t.tensor([], dtype=t.int64)))


# --------------------------------------------------------------------------- pad, normalize, cosine_similarity
@pytest.mark.parametrize(
    ("shape", "pad", "value"),
    [
        ((2, 3), (1, 2), None),
        ((2, 3, 4), (1, 0, 2, 1), 1.5),
        ((2, 5), (-1, 2), None),
        ((1, 2, 3, 4), (0, 1, 1, 0, 2, 0), -3.0),
    ],
)
def test_constant_pad_matches_torch(shape: tuple, pad: tuple, value: float | None) -> None:
    x = torch.randn(shape, dtype=torch.float64)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    ty, ey = TF.pad(tx, pad, value=value), EF.pad(ex, pad, value=value)
    assert _grad_fn_name(ey) == _grad_fn_name(ty) == "ConstantPadNdBackward0"
    check(ey, ty)
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(ex.grad, tx.grad, "grad")
    xi = torch.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(
        np.asarray(EF.pad(as_engine(xi), (1, 1), value=7)._data), TF.pad(xi, (1, 1), value=7).numpy()
    )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("shape", "pad"),
    [
        ((2, 4, 5), (1, 2)),
        ((4, 5), (2, 1)),
        ((1, 2, 4, 5), (1, 2, 2, 1)),
        ((2, 4, 5), (3, 1, -1, 2)),
        ((1, 1, 3, 4, 5), (1, 1, 2, 1, 1, 2)),
    ],
)
def test_other_pad_modes_match_torch(mode: str, shape: tuple, pad: tuple) -> None:
    torch.manual_seed(9)
    x = torch.randn(shape)  # float32: values and grads are expected to agree to the bit
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    ty, ey = TF.pad(tx, pad, mode=mode), EF.pad(ex, pad, mode=mode)
    assert _grad_fn_name(ey) == _grad_fn_name(ty)
    np.testing.assert_array_equal(np.asarray(ey._data), ty.detach().numpy())
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    np.testing.assert_array_equal(np.asarray(ex.grad._data), tx.grad.numpy())


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_index_pad_double_backward_matches_torch(mode: str) -> None:
    x = torch.randn(1, 3, 4, dtype=torch.float64)
    res = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, True))):
        (g,) = lib.autograd.grad(f.pad(leaf, (2, 1, 1, 2), mode=mode).pow(3).sum(), leaf, create_graph=True)
        (gg,) = lib.autograd.grad(g.pow(2).sum(), leaf)
        res.append((g, gg))
    check(res[1][0], res[0][0])
    check(res[1][1], res[0][1])


def test_pad_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (5, 5), mode="reflect"))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (1, 1, 5, 5), mode="reflect"))
    _same_error(lambda t, nn, f: f.pad(t.ones(1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 3), mode="reflect"))
    _same_error(lambda t, nn, f: f.pad(t.ones(5), (1, 1), mode="reflect"))
    _same_error(lambda t, nn, f: f.pad(t.ones(4, 5), (1, 1, 1, 1), mode="circular"))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (6, 1), mode="circular"))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 4, 5), (1, 1), mode="replicate", value=1.0))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 3), (1,)))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 3), (1, 1, 1, 1, 1, 1)))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 3), (-2, -2)))
    _same_error(lambda t, nn, f: f.pad(t.ones(2, 3), (1, 1), mode="foo"))


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_normalize_and_cosine_similarity_match_torch(tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(7)
    a, b = torch.randn(3, 4, dtype=tdt), torch.randn(3, 4, dtype=tdt)
    a[1] = 0  # a zero row: the eps clamp decides
    calls = [
        lambda f, x, y: f.normalize(x),
        lambda f, x, y: f.normalize(x, p=1.0, dim=0),
        lambda f, x, y: f.cosine_similarity(x, y),
        lambda f, x, y: f.cosine_similarity(x, y[:1], dim=1),
        lambda f, x, y: f.cosine_similarity(x, y, 0, eps=0.5),
    ]
    for call in calls:
        ta, tb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
        ea, eb = as_engine(a, True), as_engine(b, True)
        ty, ey = call(TF, ta, tb), call(EF, ea, eb)
        assert _grad_fn_name(ey) == _grad_fn_name(ty) and ey.dtype == edt
        check(ey, ty)
        g = torch.randn_like(ty)
        ty.backward(g)
        ey.backward(as_engine(g))
        check(ea.grad, ta.grad, "grad x1")
        check(eb.grad, tb.grad, "grad x2")
    tm, em = torch.nn.CosineSimilarity(dim=0), enn.CosineSimilarity(dim=0)
    assert repr(em) == repr(tm)
    check(em(as_engine(a), as_engine(b)), tm(a, b))
    _same_error(lambda t, nn, f: f.cosine_similarity(t.ones(3, 4), t.ones(3, 5)))
    _same_error(lambda t, nn, f: f.cosine_similarity(t.tensor([1, 2]), t.tensor([1, 2])))


# --------------------------------------------------------------------------- losses
REDUCTIONS = ["mean", "sum", "none"]


def _loss_inputs(name: str, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(8)
    if name.startswith("bce"):
        return torch.rand(3, 4, dtype=dtype) * 0.98 + 0.01, torch.rand(3, 4, dtype=dtype)
    if name.startswith("kl"):
        logp = torch.randn(3, 4, dtype=dtype).log_softmax(1)
        target = torch.randn(3, 4, dtype=dtype).softmax(1)
        return logp, (target.log() if name == "kl_log_target" else target)
    return torch.randn(3, 4, dtype=dtype) * 2, torch.randn(3, 4, dtype=dtype)


LOSSES: dict[str, Callable[[Any, str], Any]] = {
    "bce": lambda nn, r: nn.BCELoss(reduction=r),
    "bce_weight": lambda nn, r: nn.BCELoss(weight=(torch if nn is torch.nn else re_).linspace(0.5, 2, 4), reduction=r),
    "smooth_l1": lambda nn, r: nn.SmoothL1Loss(reduction=r),
    "smooth_l1_beta": lambda nn, r: nn.SmoothL1Loss(reduction=r, beta=0.4),
    "smooth_l1_beta0": lambda nn, r: nn.SmoothL1Loss(reduction=r, beta=0.0),
    "huber": lambda nn, r: nn.HuberLoss(reduction=r),
    "huber_delta": lambda nn, r: nn.HuberLoss(reduction=r, delta=2.5),
    "kl": lambda nn, r: nn.KLDivLoss(reduction=r),
    "kl_log_target": lambda nn, r: nn.KLDivLoss(reduction=r, log_target=True),
}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_module_matches_torch(name: str, reduction: str, tdt: torch.dtype, edt: Any) -> None:
    x, target = _loss_inputs(name, tdt)
    tm, em = LOSSES[name](torch.nn, reduction), LOSSES[name](enn, reduction)
    if em.__dict__["_buffers"].get("weight") is not None:
        em.weight = em.weight.to(edt)
        tm.weight = tm.weight.to(tdt)
    assert repr(em) == repr(tm)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    tt, et = target.clone().requires_grad_(True), as_engine(target, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KLDivLoss's 'mean' warning: tested below
        ty, ey = tm(tx, tt), em(ex, et)
    assert _grad_fn_name(ey) == _grad_fn_name(ty) and ey.dtype == edt and ey.shape == ty.shape
    check(ey, ty, "loss")
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(ex.grad, tx.grad, "input grad")
    check(et.grad, tt.grad, "target grad")


def test_kl_div_batchmean_and_warning_match_torch() -> None:
    x, t = _loss_inputs("kl", torch.float64)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, True)
    ty, ey = TF.kl_div(tx, t, reduction="batchmean"), EF.kl_div(ex, as_engine(t), reduction="batchmean")
    assert _grad_fn_name(ey) == _grad_fn_name(ty) == "DivBackward0"
    check(ey, ty)
    ty.backward()
    ey.backward()
    check(ex.grad, tx.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation warning for the legacy flags (the engine has none)
        for legacy in ({"size_average": False}, {"reduce": False}):  # the flags pick the kernel's reduction
            for r in ("mean", "batchmean"):
                ey = EF.kl_div(as_engine(x), as_engine(t), reduction=r, **legacy)
                check(ey, TF.kl_div(x, t, reduction=r, **legacy))
    with pytest.warns(UserWarning) as tw:
        TF.kl_div(x, t)
    with pytest.warns(UserWarning) as ew:
        EF.kl_div(as_engine(x), as_engine(t))
    assert str(ew[0].message) == str(tw[0].message)


@pytest.mark.parametrize("name", ["bce", "smooth_l1", "huber"])
def test_loss_double_backward_matches_torch(name: str) -> None:
    x, target = _loss_inputs(name, torch.float64)
    call = {"bce": "binary_cross_entropy", "smooth_l1": "smooth_l1_loss", "huber": "huber_loss"}[name]
    res = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, True))):
        tgt = target if lib is torch else as_engine(target)
        (g,) = lib.autograd.grad(getattr(f, call)(leaf, tgt, reduction="sum"), leaf, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), leaf)
        res.append((g, gg))
    check(res[1][0], res[0][0], "grad")
    check(res[1][1], res[0][1], "second grad")


def test_huber_weight_and_broadcast_warning_match_torch() -> None:
    x, t = _loss_inputs("huber", torch.float64)
    w = torch.rand(3, 4, dtype=torch.float64)
    for r in REDUCTIONS:
        check(EF.huber_loss(as_engine(x), as_engine(t), r, 1.5, as_engine(w)), TF.huber_loss(x, t, r, 1.5, w))
    with pytest.warns(UserWarning) as tw:
        ty = TF.smooth_l1_loss(x, t[:1])
    with pytest.warns(UserWarning) as ew:
        ey = EF.smooth_l1_loss(as_engine(x), as_engine(t[:1]))
    assert str(ew[0].message) == str(tw[0].message)
    check(ey, ty)


def test_loss_errors_match_torch() -> None:
    _same_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([1.5]), t.tensor([1.0])))
    _same_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([1.2])))
    _same_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([[1.0]])))
    _same_error(lambda t, nn, f: f.binary_cross_entropy(t.tensor([0.5]), t.tensor([1.0]), reduction="avg"))
    _same_error(lambda t, nn, f: f.smooth_l1_loss(t.ones(3), t.ones(3), beta=-1.0))
    _same_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), delta=0.0))
    _same_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), reduction="foo"))
    _same_error(lambda t, nn, f: f.kl_div(t.ones(3), t.ones(3), reduction="foo"))
    _same_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), weight=t.ones(2)))
    _same_error(lambda t, nn, f: f.huber_loss(t.ones(3), t.ones(3), reduction="avg", weight=t.ones(3)))


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
