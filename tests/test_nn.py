"""nn modules, functional losses and Module behaviour against real torch.

Each test builds the torch module, copies its state_dict into the engine's
module (as arrays), runs both on the same inputs and compares outputs and
grads with ``conformance.compare.compare_arrays``.
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
import reference_engine.nn.functional as EF
import reference_engine.optim as eoptim
import reference_engine.random as er
from conformance.compare import compare_arrays

DTYPES = [(torch.float32, re_.float32), (torch.float64, re_.float64)]
DTYPE_IDS = ["float32", "float64"]


def as_engine(t: torch.Tensor, requires_grad: bool = False) -> Any:
    e = re_.from_numpy(t.detach().numpy().copy())
    return e.requires_grad_(True) if requires_grad else e


def check(actual: Any, expected: torch.Tensor | None, what: str = "") -> None:
    if expected is None:
        assert actual is None, what
        return
    assert actual is not None, what
    diff = compare_arrays(np.asarray(actual._data), expected.detach().numpy())
    assert diff.ok, f"{what}: {diff.describe()}"


def copy_state(src: torch.nn.Module, dst: enn.Module) -> None:
    dst.load_state_dict({k: re_.from_numpy(v.detach().numpy().copy()) for k, v in src.state_dict().items()})


def build_pair(ctor: Callable[[Any], Any], tdt: torch.dtype, edt: Any) -> tuple[Any, Any]:
    tm = ctor(torch.nn).to(tdt)
    em = ctor(enn).to(edt)
    copy_state(tm, em)
    return tm, em


def run_and_compare(tm: Any, em: Any, x: torch.Tensor, seed_grad: bool = True) -> None:
    tx = x.clone().requires_grad_(True)
    ex = as_engine(x, requires_grad=True)
    ty, ey = tm(tx), em(ex)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    check(ey, ty, "output")
    g = torch.randn_like(ty) if seed_grad else torch.ones_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(ex.grad, tx.grad, "input grad")
    if not isinstance(tm, torch.nn.Module):
        return
    for (name, tp), (ename, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert name == ename
        check(ep.grad, tp.grad, f"grad of {name}")


MODULES: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
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


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", list(MODULES))
def test_module_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(0)
    ctor, shape = MODULES[name]
    tm, em = build_pair(ctor, tdt, edt)
    run_and_compare(tm, em, torch.randn(shape, dtype=tdt))


def test_dropout_train_scales_kept_elements() -> None:
    # The mask stream differs from torch's by design; the rule is: zero or x / (1 - p).
    x = re_.ones(2000, dtype=re_.float64)
    y = enn.Dropout(0.25)(x)
    vals = np.unique(np.asarray(y._data))
    assert set(vals.tolist()) <= {0.0, 1 / 0.75}
    assert 0.2 < float((np.asarray(y._data) == 0).mean()) < 0.3
    assert enn.Dropout(0.25).eval()(x) is x


# --------------------------------------------------------------------------- losses
LOSSES = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"]


def _loss_inputs(name: str, tdt: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(6, 4, dtype=tdt)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        return (x.log_softmax(1) if name == "NLLLoss" else x), torch.tensor([0, 3, 1, 1, 2, 0])
    if name == "BCEWithLogitsLoss":
        return x, torch.rand(6, 4, dtype=tdt)
    return x, torch.randn(6, 4, dtype=tdt)


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_matches_torch(name: str, reduction: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(1)
    x, target = _loss_inputs(name, tdt)
    tfn, efn = getattr(torch.nn, name)(reduction=reduction), getattr(enn, name)(reduction=reduction)
    run_and_compare(lambda t: tfn(t, target), lambda t: efn(t, as_engine(target)), x)  # type: ignore[arg-type]


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_weighted_losses_match_torch(tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(2)
    x = torch.randn(5, 3, 2, dtype=tdt)
    t = torch.tensor([[0, 2], [1, 1], [2, -100], [0, 0], [1, 2]])
    w = torch.rand(3, dtype=tdt)
    for reduction in ("mean", "sum", "none"):
        run_and_compare(
            lambda a, r=reduction: torch.nn.functional.cross_entropy(a, t, weight=w, reduction=r),
            lambda a, r=reduction: EF.cross_entropy(a, as_engine(t), weight=as_engine(w), reduction=r),
            x,
        )
    y = torch.rand(4, 3, dtype=tdt)
    bw, pw = torch.rand(4, 3, dtype=tdt), torch.rand(3, dtype=tdt) * 3
    run_and_compare(
        lambda a: torch.nn.BCEWithLogitsLoss(weight=bw, pos_weight=pw)(a, y),
        lambda a: enn.BCEWithLogitsLoss(weight=as_engine(bw), pos_weight=as_engine(pw))(a, as_engine(y)),
        torch.randn(4, 3, dtype=tdt) * 3,
    )


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_match_torch(reduction: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(6)
    x, p = torch.randn(5, 4, 2, dtype=tdt), torch.rand(5, 4, 2, dtype=tdt).softmax(1)
    w = torch.rand(4, dtype=tdt)
    for kw in ({}, {"weight": w}, {"label_smoothing": 0.2}):
        ekw = {k: as_engine(v) if isinstance(v, torch.Tensor) else v for k, v in kw.items()}
        tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
        tl = torch.nn.functional.cross_entropy(tx, p, reduction=reduction, **kw)
        el = EF.cross_entropy(ex, as_engine(p), reduction=reduction, **ekw)
        check(el, tl, f"loss {kw}")
        tl.sum().backward()
        el.sum().backward()
        check(ex.grad, tx.grad, f"input grad {kw}")


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_label_smoothing_matches_torch(reduction: str, tdt: torch.dtype, edt: Any) -> None:
    torch.manual_seed(8)
    x, t, w = torch.randn(5, 4, dtype=tdt), torch.tensor([0, 3, -100, 1, 2]), torch.rand(4, dtype=tdt)
    for weight in (None, w):
        run_and_compare(
            lambda a, wt=weight: torch.nn.CrossEntropyLoss(weight=wt, reduction=reduction, label_smoothing=0.15)(a, t),
            lambda a, wt=weight: enn.CrossEntropyLoss(
                weight=None if wt is None else as_engine(wt), reduction=reduction, label_smoothing=0.15
            )(a, as_engine(t)),
            x,
        )


def test_loss_target_grads_match_torch() -> None:
    torch.manual_seed(3)
    x, y = torch.randn(4, 3, dtype=torch.float64), torch.rand(4, 3, dtype=torch.float64)
    for tfn, efn in ((torch.nn.functional.mse_loss, EF.mse_loss),
                     (torch.nn.functional.binary_cross_entropy_with_logits, EF.binary_cross_entropy_with_logits)):  # fmt: skip
        ty = y.clone().requires_grad_(True)
        ey = as_engine(y, requires_grad=True)
        tfn(x, ty).backward()
        efn(as_engine(x), ey).backward()
        check(ey.grad, ty.grad, f"target grad of {tfn.__name__}")


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


# --------------------------------------------------------------------------- errors
def _error_of(fn: Callable[[], Any]) -> tuple[type, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            fn()
    return type(info.value), str(info.value)


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
    expected = _error_of(lambda: ERRORS[name](torch, torch.nn))
    actual = _error_of(lambda: ERRORS[name](re_, enn))
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


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
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
        return _error_of(y.backward)

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
