"""Activations against real torch, as modules and as functions: values, input grads, grad_fn names, reprs,
double backward, in-place forms (their version bumps and saved arguments), half precision, rrelu's draws,
Softmax2d, in-place ReLU's autograd rules, and the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    as_engine,
    assert_same_nn_error,
    check,
    check_double_backward,
    error_signature,
    grad_fn_name,
    run_and_compare,
    same_repr_pair,
    spread,
)

TF = torch.nn.functional


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
    "selu": (lambda nn: nn.SELU(), lambda f, x: f.selu(x)),
    "celu": (lambda nn: nn.CELU(), lambda f, x: f.celu(x)),
    "celu_alpha": (lambda nn: nn.CELU(0.7), lambda f, x: f.celu(x, 0.7)),
    "softshrink": (lambda nn: nn.Softshrink(), lambda f, x: f.softshrink(x)),
    "softshrink_1": (lambda nn: nn.Softshrink(1.2), lambda f, x: f.softshrink(x, 1.2)),
    "hardshrink": (lambda nn: nn.Hardshrink(), lambda f, x: f.hardshrink(x)),
    "hardshrink_1": (lambda nn: nn.Hardshrink(1.2), lambda f, x: f.hardshrink(x, 1.2)),
    "rrelu_eval": (lambda nn: nn.RReLU().eval(), lambda f, x: f.rrelu(x)),
    "rrelu_eval_bounds": (lambda nn: nn.RReLU(0.2, 0.6).eval(), lambda f, x: f.rrelu(x, 0.2, 0.6)),
}


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_module_and_functional_match_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    check_activation(*ACTIVATIONS[name], tdt, edt)


def check_activation(make: Callable[[Any], Any], call: Callable[[Any, Any], Any], tdt: torch.dtype, edt: Any) -> None:
    """Module (repr, values, input grad, grad_fn name) and functional form against torch."""
    torch.manual_seed(0)
    x = spread((4, 6), tdt)
    tm, em = same_repr_pair(make)
    run_and_compare(tm, em, x)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    ty, ey = call(TF, tx), call(EF, ex)
    assert grad_fn_name(ey) == grad_fn_name(ty) and ey.dtype == edt
    check(ey, ty, "functional output")


DOUBLE_BACKWARD = [
    "gelu", "gelu_tanh", "silu", "elu", "softplus", "mish", "logsigmoid", "hardswish", "glu",
    "selu", "celu_alpha", "softshrink", "hardshrink",
]  # fmt: skip


@pytest.mark.parametrize("name", DOUBLE_BACKWARD)
def test_activation_double_backward_matches_torch(name: str) -> None:
    check_activation_double_backward(ACTIVATIONS[name][1])


def check_activation_double_backward(call: Callable[[Any, Any], Any]) -> None:
    torch.manual_seed(1)
    x = spread((3, 4))
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
    "selu": lambda f, x: f.selu(x, inplace=True),
    "celu": lambda f, x: f.celu(x, 0.5, inplace=True),
    "rrelu": lambda f, x: f.rrelu(x, inplace=True),
    "rrelu_train": lambda f, x: f.rrelu(x, 0.1, 0.4, True, inplace=True),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activation_matches_torch(name: str) -> None:
    torch.manual_seed(2)
    x = spread((3, 5))
    g = torch.randn(3, 5, dtype=torch.float64)
    results = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, requires_grad=True))):
        lib.manual_seed(7)  # rrelu draws its slopes in training mode
        h = leaf * 1.5
        out = INPLACE[name](f, h)
        assert out is h and h._version == 1  # written into h, one version bump
        out.backward(g if lib is torch else as_engine(g))
        results.append((grad_fn_name(out), out, leaf.grad))
    (tn, ty, tgrad), (en, ey, egrad) = results
    assert en == tn
    check(ey, ty, "value")
    check(egrad, tgrad, "grad through the in-place op")
    assert_same_nn_error(lambda t, nn, f: INPLACE[name](f, t.ones(2, requires_grad=True)))


@pytest.mark.parametrize("name", ["gelu", "silu", "hardswish", "softplus", "leaky_relu", "mish", "elu"])
def test_activation_half_matches_torch(name: str) -> None:
    # torch's Half kernels compute in float32 and round once
    torch.manual_seed(3)
    x = spread((4, 5), torch.float32).half()
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
    assert_same_nn_error(lambda t, nn, f: f.glu(t.ones(2, 3)))
    assert_same_nn_error(lambda t, nn, f: f.glu(t.ones(3, 2), 0))
    assert_same_nn_error(lambda t, nn, f: f.glu(t.tensor(1.0)))
    assert_same_nn_error(lambda t, nn, f: f.gelu(t.ones(2), approximate="exact"))
    assert_same_nn_error(lambda t, nn, f: nn.Hardtanh(1.0, 0.0))
    for fn in ("gelu", "silu", "elu", "leaky_relu", "softplus", "mish", "logsigmoid", "hardswish", "hardsigmoid"):
        assert_same_nn_error(lambda t, nn, f, fn=fn: getattr(f, fn)(t.arange(3)))
    for fn in ("gelu", "silu", "elu", "softplus", "mish", "logsigmoid", "hardswish", "hardtanh", "relu6", "glu"):
        assert_same_nn_error(lambda t, nn, f, fn=fn: getattr(f, fn)([1.0]))


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


@OVER_FLOAT_DTYPES
def test_rrelu_training_draws_like_torch(tdt: torch.dtype, edt: Any) -> None:
    x = spread((5, 7), tdt)
    g = torch.randn(5, 7, dtype=tdt)
    outs = []
    for lib, nn, leaf in ((torch, torch.nn, x.clone().requires_grad_(True)), (re_, enn, as_engine(x, True))):
        lib.manual_seed(11)
        m = nn.RReLU(0.05, 0.5)
        y = m(leaf)
        y.backward(g if lib is torch else as_engine(g))
        after = lib.rand(3, dtype=tdt if lib is torch else edt)  # the generator moved on by as much
        outs.append((y, leaf.grad, after, grad_fn_name(y)))
    (ty, tg, ta, tn), (ey, eg, ea, en) = outs
    assert en == tn and ey.dtype == edt
    check(ey, ty, "output")
    check(eg, tg, "grad")
    check(ea, ta, "next draw")


def test_softmax2d_matches_torch() -> None:
    torch.manual_seed(3)
    for shape in ((3, 4, 5), (2, 3, 4, 2)):
        tm, em = torch.nn.Softmax2d(), enn.Softmax2d()
        assert repr(em) == repr(tm)
        run_and_compare(tm, em, torch.randn(shape, dtype=torch.float64))
    assert_same_nn_error(lambda t, nn, f: nn.Softmax2d()(t.ones(3)))


def test_shrink_selu_celu_rrelu_errors_match_torch() -> None:
    assert_same_nn_error(lambda t, nn, f: f.softshrink(t.ones(3, dtype=t.float64), -1))
    assert_same_nn_error(lambda t, nn, f: f.softshrink(t.ones(3), -0.5))
    assert_same_nn_error(lambda t, nn, f: f.softshrink(t.ones(3, dtype=t.long)))
    assert_same_nn_error(lambda t, nn, f: f.hardshrink(t.ones(3, dtype=t.long)))
    assert_same_nn_error(lambda t, nn, f: f.selu(t.ones(3, dtype=t.long)))
    assert_same_nn_error(lambda t, nn, f: f.celu(t.ones(3, dtype=t.long)))
    assert_same_nn_error(lambda t, nn, f: f.celu(t.ones(3), 0.0))
    assert_same_nn_error(lambda t, nn, f: f.rrelu(t.ones(3, dtype=t.long)))


# --------------------------------------------------------------------------- in-place ReLU
def test_inplace_relu_autograd_rules_match_torch() -> None:
    results = {}
    for ns in (torch, re_):
        x = ns.tensor([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]], requires_grad=True)
        y = x * 2
        v = y._version
        z = ns.nn.ReLU(inplace=True)(y)
        z.sum().backward()
        results[ns.__name__] = (
            z is y, type(z.grad_fn).__name__, type(z.grad_fn.next_functions[0][0]).__name__, y._version - v,
            x.grad.tolist(),
        )  # fmt: skip
        leaf = ns.ones(2, requires_grad=True)
        results[ns.__name__ + ".leaf"] = error_signature(
            lambda leaf=leaf, ns=ns: ns.nn.functional.relu(leaf, inplace=True)
        )
    assert results["reference_engine"] == results["torch"]
    assert results["reference_engine.leaf"] == results["torch.leaf"]


def test_inplace_relu_saved_result_modified_errors_like_torch() -> None:
    # ReluBackward0 saves its result: changing it in place afterwards must fail backward, in both
    out = {}
    for ns in (torch, re_):
        x = ns.tensor([1.0, -2.0], requires_grad=True)
        z = ns.nn.functional.relu(x * 1, inplace=True)
        z.add_(1)
        out[ns.__name__] = error_signature(lambda z=z: z.sum().backward())
    assert out["reference_engine"][0] == out["torch"][0] == "RuntimeError"
    assert out["reference_engine"][1].split(";")[0] == out["torch"][1].split(";")[0]


# --------------------------------------------------------------------------- double backward
_GG = np.random.default_rng(11)


@pytest.mark.parametrize("n_weights", [1, 3])
def test_prelu_double_backward(n_weights: int) -> None:
    x = _GG.standard_normal((2, 3, 4, 5))
    x[0, 0, 0, :2] = 0.0  # torch's double backward selects with self >= 0, its first-order grad with self > 0

    def fn(lib: Any, x: Any, a: Any) -> Any:
        return (lib.nn.functional.prelu(x, a) ** 3).sum()

    check_double_backward(fn, [x, _GG.random(n_weights)], [0, 1])


def test_prelu_module_double_backward() -> None:
    def fn(lib: Any, x: Any) -> Any:
        m = lib.nn.PReLU(3, init=0.2).double()
        return (m(x) ** 3).sum()

    check_double_backward(fn, [_GG.standard_normal((2, 3, 4))], [0])


def test_rrelu_eval_double_backward() -> None:
    def fn(lib: Any, x: Any) -> Any:
        return (lib.nn.functional.rrelu(x, 0.1, 0.3, training=False) ** 3).sum()

    check_double_backward(fn, [_GG.standard_normal((3, 4))], [0])
