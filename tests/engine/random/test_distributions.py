"""reference_engine.distributions against torch.distributions, side by side.

Each case runs the same code on both libraries (``lib`` is torch or the engine,
``dist`` its distributions module) after the same seed, and compares values bit
for bit (``np.array_equal``), dtypes, shapes, gradients, the next draw of the
generator, reprs and error messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.distributions as TD

import reference_engine as E
import reference_engine.distributions
from reference_engine import distributions as ED
from reference_engine._rng_math import NUMPY_USES_SVML

LIBS = [(torch, TD), (E, ED)]
Case = Callable[[Any, Any], Any]


def _torch_then_engine(fn: Case) -> tuple[Any, Any]:
    return tuple(fn(lib, dist) for lib, dist in LIBS)  # type: ignore[return-value]


# The engine's float32 log/exp/log1p/sigmoid/sqrt and float64 erf/log1p/softmax are not torch's bit for bit
# (docs/design.md: torch uses SLEEF/MKL kernels), so scores built on them agree to a few ulps, not to the bit.
ULPS = {"float32": 1e-6, "float64": 1e-13}


def _assert_same(want: Any, got: Any, close: bool = False) -> None:
    """Same structure; tensors with the same dtype, shape, requires_grad and bits (NaNs in the same places).

    ``close``: floating tensors within a few ulps (``ULPS``) instead of equal bits.
    """
    if isinstance(want, tuple | list):
        assert len(want) == len(got)
        for w, g in zip(want, got, strict=True):
            _assert_same(w, g, close)
        return
    if isinstance(want, torch.Tensor):
        assert isinstance(got, E.Tensor)
        assert str(got.dtype) == str(want.dtype)
        assert tuple(got.shape) == tuple(want.shape)
        assert got.requires_grad == want.requires_grad
        w, g = want.detach().numpy(), got.detach().numpy()
        if close and w.dtype.kind == "f":
            # a few ulps of the array's largest value: grads that cancel to near 0 keep that absolute error
            tol = ULPS[str(w.dtype)]
            scale = float(np.abs(w[np.isfinite(w)]).max(initial=0.0))
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale)
        else:
            assert np.array_equal(w, g, equal_nan=w.dtype.kind == "f"), (w, g)
        return
    assert want == got


def _check(fn: Case, close: bool = False) -> tuple[Any, Any]:
    want, got = _torch_then_engine(fn)
    _assert_same(want, got, close)
    return want, got


def _errors(fn: Case) -> tuple[BaseException, BaseException]:
    caught = []
    for lib, dist in LIBS:
        with pytest.raises(Exception) as info:  # the type is compared with torch's below
            fn(lib, dist)
        caught.append(info.value)
    want, got = caught
    assert type(got) is type(want)
    assert str(got) == str(want)
    return want, got


def _params(lib: Any, dtype: str, *values: list) -> list[Any]:
    return [lib.tensor(v, dtype=getattr(lib, dtype)) for v in values]


LOC = [[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]
SCALE = [[1.0, 0.5, 2.0], [0.1, 1.5, 3.0]]
PROBS = [[0.1, 0.5, 0.9], [0.3, 0.0, 1.0]]
CAT = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.0, 0.25], [1.0, 2.0, 3.0, 4.0]]


def _make(name: str, lib: Any, dist: Any, dtype: str = "float32", **kw: Any) -> Any:
    """One distribution of each kind, batch shape (2, 3) ((3,) for Categorical), parameters of ``dtype``."""
    if name == "normal":
        loc, scale = _params(lib, dtype, LOC, SCALE)
        return dist.Normal(loc, scale, **kw)
    if name == "uniform":
        low, high = _params(lib, dtype, LOC, SCALE)
        return dist.Uniform(low, low + high, **kw)
    if name == "bernoulli_probs":
        return dist.Bernoulli(probs=_params(lib, dtype, PROBS)[0], **kw)
    if name == "bernoulli_logits":
        return dist.Bernoulli(logits=_params(lib, dtype, LOC)[0], **kw)
    if name == "categorical_probs":
        return dist.Categorical(probs=_params(lib, dtype, CAT)[0], **kw)
    if name == "categorical_logits":
        return dist.Categorical(logits=_params(lib, dtype, CAT)[0].log(), **kw)
    if name == "exponential":
        return dist.Exponential(_params(lib, dtype, SCALE)[0], **kw)
    raise AssertionError(name)


ALL = [
    "normal",
    "uniform",
    "bernoulli_probs",
    "bernoulli_logits",
    "categorical_probs",
    "categorical_logits",
    "exponential",
]
RSAMPLE = ["normal", "uniform", "exponential"]


# --------------------------------------------------------------------------- sampling
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sample_shape", [(), (1,), (7,), (4, 5)])
def test_sample_bits_and_next_draw(name: str, dtype: str, sample_shape: tuple[int, ...]) -> None:
    """Same samples after the same seed (both the < 16 and >= 16 element normal paths), and the same next draw."""

    def case(lib: Any, dist: Any) -> Any:
        lib.manual_seed(1234)
        d = _make(name, lib, dist, dtype)
        s = d.sample(sample_shape)
        return s, lib.rand(3), lib.randn(2)

    _check(case)


@pytest.mark.parametrize("name", RSAMPLE)
@pytest.mark.parametrize("sample_shape", [(), (9,)])
def test_rsample_values_and_gradients(name: str, sample_shape: tuple[int, ...]) -> None:
    def case(lib: Any, dist: Any) -> Any:
        lib.manual_seed(7)
        d = _make(name, lib, dist)
        params = [p.requires_grad_() for p in d.__dict__.values() if isinstance(p, lib.Tensor)]
        s = d.rsample(sample_shape)
        (s * s).sum().backward()
        detached = d.sample(sample_shape)
        return s, lib.rand(2), type(s.grad_fn).__name__, detached, detached.grad_fn, [p.grad for p in params]

    want, got = _torch_then_engine(case)
    _assert_same(want[:-1], got[:-1])
    # the parameters' grads sum over the sample dims (undoing the broadcast), where the engine's summation
    # order is not torch's: one float32 ulp apart at most
    _assert_same(want[-1], got[-1], close=bool(sample_shape))


def test_scalar_parameters_and_python_numbers() -> None:
    def case(lib: Any, dist: Any) -> Any:
        lib.manual_seed(3)
        ds = [dist.Normal(0.0, 1.0), dist.Uniform(-1, 2.5), dist.Bernoulli(0.25), dist.Exponential(1.5)]
        return [(d.sample((5,)), d.batch_shape, d.mean, d.variance) for d in ds]

    _check(case)
    _check(lambda lib, dist: dist.Normal(lib.tensor([1.0, 2.0], dtype=lib.float64), 2).scale)


# --------------------------------------------------------------------------- scores and moments
def _value_for(name: str, lib: Any, dtype: str) -> Any:
    if name.startswith("categorical"):
        return lib.tensor([[0, 3, 1], [2, 1, 3]])
    if name.startswith("bernoulli"):
        return lib.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=getattr(lib, dtype))
    return lib.tensor([[0.7, 0.0, 1.0], [0.05, 2.0, 0.5]], dtype=getattr(lib, dtype))


# The cases whose formulas go through an engine op that is not torch's to the bit on these inputs (found by
# comparing each op alone); every other score and moment is compared bit for bit.
INEXACT = {
    ("float32", "uniform"): "log", ("float32", "bernoulli_probs"): "sqrt", ("float32", "bernoulli_logits"): "sigmoid",
    ("float32", "exponential"): "pow(-2), exp", ("float64", "normal"): "erf", ("float64", "categorical_logits"): "softmax",
}  # fmt: skip
if NUMPY_USES_SVML:  # on AVX-512 CPUs NumPy's float64 log is Intel's SVML, neither torch's SLEEF nor the C library's
    INEXACT[("float64", "bernoulli_probs")] = "log"


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_prob_entropy_and_moments(name: str, dtype: str) -> None:
    def case(lib: Any, dist: Any) -> Any:
        d = _make(name, lib, dist, dtype, validate_args=False)
        out = [d.log_prob(_value_for(name, lib, dtype)), d.entropy(), d.mean, d.variance, d.mode]
        if not name.startswith("categorical"):
            out.append(d.stddev)
        if name in RSAMPLE:
            out.append(d.cdf(_value_for(name, lib, dtype)))
        return [*out, d.perplexity()]

    want, got = _torch_then_engine(case)
    _assert_same(want[:-1], got[:-1], close=(dtype, name) in INEXACT)
    _assert_same(want[-1], got[-1], close=dtype == "float32" or (dtype, name) in INEXACT)  # perplexity: exp


@pytest.mark.parametrize("name", ALL)
def test_gradients_through_log_prob_and_entropy(name: str) -> None:
    def case(lib: Any, dist: Any) -> Any:
        d = _make(name, lib, dist, "float64", validate_args=False)
        params = {k: p.requires_grad_() for k, p in d.__dict__.items() if isinstance(p, lib.Tensor) and p.is_leaf}
        # a parameter computed from the user's tensor (Categorical normalises) keeps the graph to that tensor
        if not params:
            raw = _params(lib, "float64", CAT)[0].requires_grad_()
            d = dist.Categorical(**{name.split("_")[1]: raw if name.endswith("probs") else raw.log()})
            params = {"raw": raw}
        loss = d.log_prob(_value_for(name, lib, "float64")).sum() + d.entropy().sum()
        if name in RSAMPLE:
            loss = loss + d.cdf(_value_for(name, lib, "float64")).sum()
        loss.backward()
        return loss, [p.grad for p in params.values()]

    # float64 grads are torch's bits except through the engine's binary_cross_entropy_with_logits backward
    _check(case, close=name == "bernoulli_logits")


def test_lazy_parameters_match_and_carry_grad() -> None:
    def case(lib: Any, dist: Any) -> Any:
        p = lib.tensor([[0.0, 0.2, 1.0]], requires_grad=True)
        b = dist.Bernoulli(probs=p)
        assert "logits" not in b.__dict__
        logits = b.logits
        c = dist.Categorical(logits=lib.tensor([[0.5, -1.0, 2.0]], requires_grad=True))
        return (
            logits,
            b.logits is logits,
            b.param_shape,
            c.probs,
            c.logits,
            c.enumerate_support(),
            b.enumerate_support(False),
        )

    _check(case, close=True)


def test_broadcasting_of_values_and_parameters() -> None:
    def case(lib: Any, dist: Any) -> Any:
        n = dist.Normal(lib.tensor([0.0, 1.0, 2.0]), lib.tensor([[1.0], [2.0]]))
        c = dist.Categorical(logits=lib.zeros(2, 4))
        loc = lib.tensor([1.0, 2.0])
        same = dist.Normal(loc, lib.ones(2)).loc is loc  # broadcast_tensors returns a tensor of the right shape as is
        return n.batch_shape, n.log_prob(lib.tensor([[[0.5]], [[1.5]]])), c.log_prob(lib.tensor([[1], [3]])), same

    _check(case)


# --------------------------------------------------------------------------- shapes and expand
@pytest.mark.parametrize("name", ALL)
def test_shapes_and_expand(name: str) -> None:
    def case(lib: Any, dist: Any) -> Any:
        lib.manual_seed(11)
        d = _make(name, lib, dist)
        new_batch = (4, *d.batch_shape)
        e = d.expand(new_batch)
        return (
            d.batch_shape, d.event_shape, d._extended_shape((5, 2)), type(d._extended_shape([5])).__name__,
            e.batch_shape, e.event_shape, type(e).__name__, e._validate_args, sorted(k for k in e.__dict__ if k[0] != "_"),
            e.sample((2,)), e.log_prob(e.sample()), e.entropy(),
        )  # fmt: skip

    _check(case, close=True)


def test_expand_of_a_custom_subclass_needs_its_own_expand() -> None:
    def case(lib: Any, dist: Any) -> Any:
        class MyNormal(dist.Normal):
            def __init__(self) -> None:
                super().__init__(0.0, 1.0)

        return MyNormal().expand((2,))

    _errors(case)


# --------------------------------------------------------------------------- validation
INVALID_PARAMS: list[Case] = [
    lambda lib, dist: dist.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -2.0])),
    lambda lib, dist: dist.Normal(lib.tensor([0.0, float("nan")]), 1.0),
    lambda lib, dist: dist.Normal(0.0, 0.0),
    lambda lib, dist: dist.Uniform(lib.tensor(2.0), 1.0),
    lambda lib, dist: dist.Uniform(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 1.0])),
    lambda lib, dist: dist.Bernoulli(lib.tensor([0.5, 1.5])),
    lambda lib, dist: dist.Bernoulli(logits=lib.tensor([float("nan")])),
    lambda lib, dist: dist.Categorical(lib.tensor([[0.5, -0.5], [1.0, 1.0]])),
    lambda lib, dist: dist.Categorical(logits=lib.tensor([0.0, float("nan")])),
    lambda lib, dist: dist.Exponential(lib.tensor([[1.0, 0.0]], dtype=lib.float64)),
    lambda lib, dist: dist.Bernoulli(lib.tensor([0.5]), lib.tensor([0.5])),
    lambda lib, dist: dist.Categorical(),
    lambda lib, dist: dist.Categorical(lib.tensor(1.0)),
    lambda lib, dist: dist.Categorical(logits=lib.tensor(1.0)),
    lambda lib, dist: dist.Normal("a", 1.0),
    lambda lib, dist: dist.Normal(lib.zeros(2), lib.ones(3)),
]


# probs [0.5, -0.5] normalise to [inf, -inf]; the simplex check's sum then warns from NumPy, where torch is silent
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
@pytest.mark.parametrize("case", INVALID_PARAMS)
def test_invalid_parameters_raise_torchs_error(case: Case) -> None:
    _errors(case)


INVALID_VALUES: list[Case] = [
    lambda lib, dist: dist.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda lib, dist: dist.Normal(0.0, 1.0).log_prob(0.5),
    lambda lib, dist: dist.Normal(0.0, 1.0).log_prob(lib.tensor([0.0, float("nan")])),
    lambda lib, dist: dist.Uniform(0.0, 1.0).log_prob(lib.tensor([0.5, 1.5])),
    lambda lib, dist: dist.Uniform(lib.zeros(2), 1.0).cdf(lib.tensor([-0.5, 0.5])),
    lambda lib, dist: dist.Bernoulli(0.3).log_prob(lib.tensor([0.0, 0.5])),
    lambda lib, dist: dist.Categorical(lib.ones(2, 3)).log_prob(lib.tensor([3, 0])),
    lambda lib, dist: dist.Categorical(lib.ones(3)).log_prob(lib.tensor(1.5)),
    lambda lib, dist: dist.Categorical(lib.ones(2, 3)).log_prob(lib.tensor([0, 1, 2])),
    lambda lib, dist: dist.Exponential(2.0).log_prob(lib.tensor(-1.0)),
]


@pytest.mark.parametrize("case", INVALID_VALUES)
def test_invalid_values_raise_torchs_error(case: Case) -> None:
    _errors(case)


def test_validate_args_off_and_default() -> None:
    def case(lib: Any, dist: Any) -> Any:
        off = dist.Normal(0.0, -1.0, validate_args=False)
        lp = off.log_prob(lib.tensor(5.0))
        assert dist.Distribution._validate_args is True
        dist.Distribution.set_default_validate_args(False)
        try:
            unchecked = dist.Uniform(1.0, 0.0).log_prob(lib.tensor(3.0))
        finally:
            dist.Distribution.set_default_validate_args(True)
        return lp, unchecked, off._validate_args, dist.Normal(0.0, 1.0)._validate_args

    _check(case)
    _errors(lambda lib, dist: dist.Distribution.set_default_validate_args(2))


# --------------------------------------------------------------------------- reprs and constraints
def test_reprs() -> None:
    def case(lib: Any, dist: Any) -> Any:
        ds = [
            dist.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 2.0])), dist.Normal(0.0, 1.0), dist.Normal(lib.tensor([1.5]), 2.0),
            dist.Uniform(lib.tensor([0.0], requires_grad=True), 1.0), dist.Bernoulli(logits=lib.tensor(0.3)),
            dist.Bernoulli(lib.tensor([0.2, 0.4])), dist.Categorical(lib.ones(2, 3)), dist.Exponential(3),
        ]  # fmt: skip
        cs = [
            dist.constraints.real, dist.constraints.positive, dist.constraints.unit_interval, dist.constraints.simplex,
            dist.constraints.real_vector, dist.constraints.boolean, dist.constraints.nonnegative,
            dist.constraints.integer_interval(0, 4), dist.constraints.half_open_interval(0.0, lib.tensor(2.0)),
            dist.Uniform(0.0, lib.tensor([1.0, 2.0])).support, dist.Categorical(lib.ones(2)).support,
        ]  # fmt: skip
        return [repr(d) for d in ds] + [repr(c) for c in cs]

    _check(case)


def test_constraint_checks_and_dependent() -> None:
    def case(lib: Any, dist: Any) -> Any:
        cons = dist.constraints
        x = lib.tensor([[-1.0, 0.0, 0.5], [1.0, 2.0, float("nan")]])
        checks = [
            cons.real.check(x), cons.positive.check(x), cons.nonnegative.check(x), cons.unit_interval.check(x),
            cons.boolean.check(x), cons.real_vector.check(x), cons.simplex.check(lib.tensor([[0.5, 0.5], [0.9, 0.2]])),
            cons.integer_interval(0, 1).check(x), cons.greater_than_eq(0.5).check(x), cons.less_than(1.0).check(x),
            cons.half_open_interval(0.0, 1.0).check(x),
        ]  # fmt: skip
        flags = [
            cons.is_dependent(cons.dependent), cons.is_dependent(dist.Uniform.support), cons.is_dependent(cons.real),
            dist.Categorical.support.is_discrete, cons.real_vector.event_dim, cons.simplex.event_dim,
        ]  # fmt: skip
        return checks, flags

    _check(case)
    _errors(lambda lib, dist: dist.constraints.dependent.check(lib.zeros(1)))
    _errors(lambda lib, dist: dist.constraints.dependent.event_dim)


# --------------------------------------------------------------------------- kl_divergence
def test_kl_divergence_values_and_gradients() -> None:
    def case(lib: Any, dist: Any) -> Any:
        loc, scale = (t.requires_grad_() for t in _params(lib, "float32", LOC, SCALE))
        logits = lib.tensor(CAT, requires_grad=True)
        pairs = [
            (dist.Normal(loc, scale), dist.Normal(0.0, lib.tensor(2.0))),
            (dist.Categorical(logits=logits), dist.Categorical(lib.tensor([0.2, 0.0, 0.4, 0.4]))),
            (dist.Categorical(lib.tensor([0.5, 0.0, 0.5, 0.0])), dist.Categorical(lib.tensor([0.0, 0.5, 0.5, 0.0]))),
            (dist.Uniform(0.0, lib.tensor([1.0, 2.0])), dist.Uniform(-1.0, lib.tensor([1.5, 1.5]))),
            (dist.Exponential(scale), dist.Exponential(lib.tensor(1.5))),
            (dist.Exponential(scale), dist.Normal(loc, 2.0)),
            (dist.Uniform(loc, loc + scale), dist.Normal(1.0, scale)),
            (dist.Uniform(lib.tensor([-1.0, 0.5]), 2.0), dist.Exponential(lib.tensor([1.0, 3.0]))),
            (dist.Normal(loc, scale), dist.Uniform(0.0, 1.0)),
            (dist.Normal(loc, scale), dist.Exponential(1.0)),
            (dist.Exponential(scale), dist.Uniform(0.0, 1.0)),
        ]
        kls = [dist.kl_divergence(p, q) for p, q in pairs]
        sum(k.sum() for i, k in enumerate(kls) if i not in (2, 3, 7)).backward()
        return kls, loc.grad, scale.grad, logits.grad

    _check(case, close=True)


@pytest.mark.parametrize(
    "case",
    [
        lambda lib, dist: dist.kl_divergence(dist.Uniform(0.0, 1.0), dist.Categorical(lib.ones(2))),
        lambda lib, dist: dist.kl_divergence(dist.Bernoulli(0.3), dist.Normal(0.0, 1.0)),
        lambda lib, dist: dist.kl_divergence(dist.Exponential(1.0), dist.Bernoulli(0.5)),
    ],
)
def test_kl_divergence_unregistered_pairs(case: Case) -> None:
    _errors(case)


def test_register_kl_dispatches_to_the_most_specific() -> None:
    class Wide(ED.Normal):
        pass

    @ED.register_kl(Wide, ED.Normal)
    def _kl_wide(p: Any, q: Any) -> Any:
        return E.tensor(math.pi, dtype=E.float64)

    try:
        assert ED.kl_divergence(Wide(0.0, 1.0), ED.Normal(0.0, 1.0)).item() == math.pi
        assert ED.kl_divergence(ED.Normal(0.0, 1.0), Wide(0.0, 1.0)).item() == 0.0
    finally:
        from reference_engine.distributions import kl  # noqa: PLC0415

        del kl._KL_REGISTRY[Wide, ED.Normal]
        kl._KL_MEMOIZE.clear()


def test_engine_module_imports_alongside_the_package() -> None:
    assert reference_engine.distributions is ED
    assert isinstance(ED.Normal(0.0, 1.0), ED.ExponentialFamily)
    assert not isinstance(ED.Uniform(0.0, 1.0), ED.ExponentialFamily)
