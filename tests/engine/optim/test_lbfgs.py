"""torch.optim.LBFGS against real torch: parameters, returned loss and state after every step, the closure
protocol, state_dict, dtypes and errors.

Three problems, each built on both libraries from the same starting point: a Rosenbrock function of five
variables (elementwise ops only, so the engine's closure gives torch's losses and gradients bit for bit),
a small linear regression (``nn.Linear``) and an ``nn.LSTM`` with a linear head. Each is stepped with the
fixed step and with the strong-Wolfe line search, in float32 and float64.

Two tiers:

- torch's ``dot`` substituted into the engine's L-BFGS (``reference_engine.optim.lbfgs.dot``): on Rosenbrock
  the parameters, the returned losses and every state entry (types, dtypes, values) match bit for bit after
  every step, so the rest of the arithmetic is torch's exactly (fused ``add_``, thresholds rounded to the
  dtype, 0-d tensors where torch has them). torch's dot is MKL's ``sdot``/``ddot``, which adds the products
  in an order of its own (NumPy's BLAS agrees with it for about half of float32 dots of 3+ elements);
- the engine's own dot and model ops: values within assert_close's tolerances and the counters equal.
  L-BFGS amplifies a last-bit difference in float32: from a few iterations on, the steps depend on
  differences of nearly equal gradients, and once the float32 loss stops changing the stopping tests
  (``abs(loss - prev_loss) < tolerance_change``) decide on rounding. So float32 runs keep to the steps
  measured to agree (``TOLERANCE_STEPS``): measured here, the next step is where the Rosenbrock and
  line-searched regression runs first leave the tolerance (or count iterations differently).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.optim as eoptim
import reference_engine.optim.lbfgs as elbfgs
from conformance.compare import Tolerance, compare_arrays
from tests.helpers import OVER_FLOAT_DTYPES, as_engine, as_numpy, raised_error, torch_release

LINE_SEARCHES = pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"], ids=["fixed_step", "strong_wolfe"])


def _torch_dot(a: Any, b: Any) -> Any:
    t = torch.from_numpy(np.ascontiguousarray(a._data)).dot(torch.from_numpy(np.ascontiguousarray(b._data)))
    return re_.Tensor._make(t.numpy())


@pytest.fixture
def torch_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's L-BFGS takes torch's dot kernel: what remains is its own arithmetic."""
    monkeypatch.setattr(elbfgs, "dot", _torch_dot)


# --------------------------------------------------------------------------- problems
Problem = tuple[list[Any], Callable[[], Any]]  # the parameters, and the loss (with its graph) from them


def _rosenbrock(lib: Any, dtype: Any) -> Problem:
    x = lib.tensor([-1.5, 2.0, 0.5, -0.3, 1.2], dtype=dtype, requires_grad=True)
    return [x], lambda: ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _to_side(lib: Any, module: torch.nn.Module, make: Callable[[Any], Any], dtype: Any) -> Any:
    """torch's module in ``dtype``, or an engine module built by ``make`` holding torch's weights."""
    if lib is torch:
        return module.to(dtype)
    m = make(enn).to(dtype)
    m.load_state_dict({k: as_engine(v) for k, v in module.state_dict().items()})
    return m


def _data(lib: Any, t: torch.Tensor, dtype: Any) -> Any:
    return t.to(dtype) if lib is torch else as_engine(t).to(dtype)


def _linear_regression(lib: Any, dtype: Any) -> Problem:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 6, generator=g, dtype=torch.float64)
    y = x @ torch.randn(6, 2, generator=g, dtype=torch.float64) + 0.1 * torch.randn(
        32, 2, generator=g, dtype=torch.float64
    )
    torch.manual_seed(0)
    model = _to_side(lib, torch.nn.Linear(6, 2).double(), lambda nn: nn.Linear(6, 2), dtype)
    xs, ys = _data(lib, x, dtype), _data(lib, y, dtype)
    return list(model.parameters()), lambda: ((model(xs) - ys) ** 2).mean()


def _lstm(lib: Any, dtype: Any) -> Problem:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 6, 3, generator=g, dtype=torch.float64)
    y = torch.randn(4, 1, generator=g, dtype=torch.float64)
    torch.manual_seed(1)
    lstm = _to_side(
        lib, torch.nn.LSTM(3, 5, batch_first=True).double(), lambda nn: nn.LSTM(3, 5, batch_first=True), dtype
    )
    head = _to_side(lib, torch.nn.Linear(5, 1).double(), lambda nn: nn.Linear(5, 1), dtype)
    xs, ys = _data(lib, x, dtype), _data(lib, y, dtype)

    def loss() -> Any:
        out, _ = lstm(xs)
        return ((head(out[:, -1]) - ys) ** 2).mean()

    return list(lstm.parameters()) + list(head.parameters()), loss


PROBLEMS: dict[str, Callable[[Any, Any], Problem]] = {
    "rosenbrock": _rosenbrock,
    "linear_regression": _linear_regression,
    "lstm": _lstm,
}


class Run:
    """One side's optimizer over a problem, counting the closure's calls and their grad mode."""

    def __init__(self, lib: Any, problem: str, dtype: Any, **kwargs: Any) -> None:
        self.lib = lib
        self.params, self.loss_fn = PROBLEMS[problem](lib, dtype)
        self.opt = (torch.optim if lib is torch else eoptim).LBFGS(self.params, **kwargs)
        self.calls: list[bool] = []
        self.first: Any = None

    def closure(self) -> Any:
        self.calls.append(self.lib.is_grad_enabled())
        self.opt.zero_grad()
        loss = self.loss_fn()
        loss.backward()
        if self.first is None:
            self.first = loss
        return loss

    def step(self) -> Any:
        self.first = None
        loss = self.opt.step(self.closure)
        assert loss is self.first  # step returns the closure's first loss, the tensor itself
        return loss

    @property
    def state(self) -> dict[str, Any]:
        return self.opt.state[self.params[0]]


def _pair(problem: str, tdt: torch.dtype, edt: Any, **kwargs: Any) -> tuple[Run, Run]:
    return Run(torch, problem, tdt, **kwargs), Run(re_, problem, edt, **kwargs)


# --------------------------------------------------------------------------- comparisons
TYPES_ONLY = Tolerance(math.inf, math.inf, "types, dtypes, shapes and lengths; no values")


def _same_tensor(actual: Any, expected: torch.Tensor, what: str, tolerance: Tolerance | None) -> Iterator[str]:
    if not isinstance(actual, re_.Tensor):
        yield f"{what}: {type(actual).__name__} where torch has a tensor"
        return
    a, e = as_numpy(actual), as_numpy(expected)
    if a.dtype != e.dtype or a.shape != e.shape:
        yield f"{what}: {a.dtype}{a.shape} vs torch's {e.dtype}{e.shape}"
    elif tolerance is None and not np.array_equal(a, e):
        yield f"{what}: {a} vs torch's {e}"
    elif tolerance not in (None, TYPES_ONLY) and not (diff := compare_arrays(a, e, tolerance)).ok:
        yield f"{what}: {diff.describe()}"


def _same_value(actual: Any, expected: Any, what: str, tolerance: Tolerance | None) -> Iterator[str]:
    """What differs between an engine state value and torch's: its type, a tensor's dtype and shape, its
    values (bit for bit when ``tolerance`` is None), a dict's keys or a list's length, then their items."""
    if isinstance(expected, torch.Tensor):
        yield from _same_tensor(actual, expected, what, tolerance)
    elif isinstance(expected, dict):
        if not isinstance(actual, dict) or list(actual) != list(expected):
            yield f"{what}: keys {list(actual)} vs torch's {list(expected)}"
            return
        for key, e in expected.items():
            yield from _same_value(actual[key], e, f"{what}.{key}", tolerance)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            yield f"{what}: {actual!r:.80} vs torch's list of {len(expected)}"
            return
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            yield from _same_value(a, e, f"{what}[{i}]", tolerance)
    elif type(actual) is not type(expected):
        yield f"{what}: {type(actual).__name__} where torch has {type(expected).__name__}"
    elif isinstance(expected, float) and tolerance is not None:
        if tolerance is not TYPES_ONLY and not math.isclose(
            actual, expected, rel_tol=tolerance.rtol, abs_tol=tolerance.atol
        ):
            yield f"{what}: {actual} vs torch's {expected}"
    elif actual != expected:
        yield f"{what}: {actual} vs torch's {expected}"


def _mismatches(t: Run, e: Run, tolerance: Tolerance | None, with_state: bool = True) -> list[str]:
    bad = [
        m
        for i, (ep, tp) in enumerate(zip(e.params, t.params, strict=True))
        for m in _same_value(ep.detach(), tp.detach(), f"param {i}", tolerance)
    ]
    if list(e.state) != list(t.state):
        return [*bad, f"state keys {list(e.state)} vs torch's {list(t.state)}"]
    for key in t.state if with_state else ("func_evals", "n_iter"):
        bad += _same_value(e.state[key], t.state[key], f"state {key}", tolerance)
    return bad


def _step_both(t: Run, e: Run) -> tuple[Any, Any]:
    tl, el = t.step(), e.step()
    assert type(el.grad_fn).__name__ == type(tl.grad_fn).__name__
    assert el.requires_grad == tl.requires_grad
    assert e.calls == t.calls  # the same number of evaluations, every one with grad enabled
    return tl, el


# --------------------------------------------------------------------------- bit for bit, torch's dot
@pytest.mark.usefixtures("torch_dot")
@OVER_FLOAT_DTYPES
@LINE_SEARCHES
@pytest.mark.parametrize(("max_iter", "steps"), [(4, 5), (20, 3)], ids=["max_iter4", "max_iter20"])
def test_rosenbrock_bit_exact_with_torch_dot(
    line_search_fn: str | None, max_iter: int, steps: int, tdt: torch.dtype, edt: Any
) -> None:
    t, e = _pair("rosenbrock", tdt, edt, line_search_fn=line_search_fn, max_iter=max_iter)
    for step in range(steps):
        tl, el = _step_both(t, e)
        assert as_numpy(el).tobytes() == as_numpy(tl).tobytes(), step
        assert t.state["func_evals"] == len(t.calls)
        bad = _mismatches(t, e, None)
        assert not bad, (step + 1, bad[:5])


# --------------------------------------------------------------------------- within tolerance, the engine's own ops
# (problem, dtype, line search) -> steps of max_iter=4 compared; float64 runs keep to 5 everywhere
TOLERANCE_STEPS = {
    ("rosenbrock", "float32", None): 2,
    ("rosenbrock", "float32", "strong_wolfe"): 2,
    ("linear_regression", "float32", None): 5,
    ("linear_regression", "float32", "strong_wolfe"): 2,
    ("lstm", "float32", None): 3,
    ("lstm", "float32", "strong_wolfe"): 3,
}


@OVER_FLOAT_DTYPES
@LINE_SEARCHES
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_lbfgs_matches_torch(problem: str, line_search_fn: str | None, tdt: torch.dtype, edt: Any) -> None:
    dtype = str(tdt).removeprefix("torch.")
    steps = TOLERANCE_STEPS.get((problem, dtype, line_search_fn), 5)
    tolerance = Tolerance.for_dtype(dtype)
    t, e = _pair(problem, tdt, edt, line_search_fn=line_search_fn, max_iter=4)
    for step in range(steps):
        tl, el = _step_both(t, e)
        diff = compare_arrays(as_numpy(el), as_numpy(tl), tolerance)
        assert diff.ok, (step + 1, diff.describe())
        # the counters exactly; the history's types, dtypes and lengths (its values, differences of nearly
        # equal gradients, are compared bit for bit in the tier above)
        bad = _mismatches(t, e, tolerance, with_state=False) + [
            m for key in t.state for m in _same_value(e.state[key], t.state[key], key, TYPES_ONLY)
        ]
        assert not bad, (step + 1, bad[:5])


@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_default_settings_match_torch_float64(problem: str) -> None:
    """Default max_iter (20), max_eval (25) and history: two steps, float64."""
    t, e = _pair(problem, torch.float64, re_.float64)
    assert e.opt.param_groups[0] | {"params": None} == t.opt.param_groups[0] | {"params": None}
    for step in range(2):
        _step_both(t, e)
        bad = _mismatches(t, e, Tolerance(1e-7, 1e-9), with_state=False)
        assert not bad, (step + 1, bad[:5])


# --------------------------------------------------------------------------- the closure protocol
def test_closure_runs_with_grad_enabled_under_no_grad() -> None:
    """step runs under no_grad, the closure under enable_grad; the parameters' versions advance alike."""
    t, e = _pair("rosenbrock", torch.float64, re_.float64, line_search_fn="strong_wolfe", max_iter=3)
    for run in (t, e):
        with run.lib.no_grad():
            run.step()
            run.step()
    assert e.calls == t.calls and all(t.calls)
    assert e.params[0]._version == t.params[0]._version


def test_optimum_returns_after_one_evaluation() -> None:
    """A zero gradient: one evaluation, nothing else in the state, the parameters untouched."""
    results = []
    for lib, optim in ((torch, torch.optim), (re_, eoptim)):
        x = lib.tensor([1.0, 1.0], requires_grad=True)
        opt = optim.LBFGS([x])

        def closure(opt: Any = opt, x: Any = x) -> Any:
            opt.zero_grad()
            loss = ((x - 1) ** 2).sum()
            loss.backward()
            return loss

        loss = opt.step(closure)
        results.append((float(loss.detach()), x.tolist(), x._version, dict(opt.state[x])))
    assert results[0] == results[1]


def test_no_warnings_from_a_step() -> None:
    """float() of the closure's loss happens under no_grad: no "requires_grad to a scalar" warning."""
    for run in _pair("linear_regression", torch.float32, re_.float32, line_search_fn="strong_wolfe"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            run.step()


# --------------------------------------------------------------------------- dtypes
def _quartic(lib: Any, ps: list[Any]) -> Any:
    return sum(((p.abs() ** 2) * (i + 1)).sum() + 0.1 * (p.abs() ** 4).sum() for i, p in enumerate(ps))


PARAMS: dict[str, Callable[[Any], list[Any]]] = {
    "mixed_float32_float64": lambda lib: [
        lib.tensor([1.0, 2.0], dtype=lib.float32, requires_grad=True),
        lib.tensor([[0.3, -1.0]], dtype=lib.float64, requires_grad=True),
    ],
    "complex128": lambda lib: [lib.tensor([1 + 2j, -0.5j], dtype=lib.complex128, requires_grad=True)],
    "float64": lambda lib: [lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)],
}


@LINE_SEARCHES
@pytest.mark.parametrize("params", list(PARAMS))
def test_parameter_dtypes_match_torch(params: str, line_search_fn: str | None) -> None:
    """The flat gradient promotes mixed dtypes (float64 state); complex parameters step as real pairs."""
    runs = []
    for lib, optim in ((torch, torch.optim), (re_, eoptim)):
        ps = PARAMS[params](lib)
        opt = optim.LBFGS(ps, line_search_fn=line_search_fn, max_iter=5)

        def closure(opt: Any = opt, ps: list[Any] = ps, lib: Any = lib) -> Any:
            opt.zero_grad()
            loss = _quartic(lib, ps)
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        runs.append((ps, opt.state[ps[0]]))
    (tps, tstate), (eps_, estate) = runs
    tolerance = Tolerance(1e-6, 1e-9)
    bad = [
        m
        for i, (ep, tp) in enumerate(zip(eps_, tps, strict=True))
        for m in _same_value(ep.detach(), tp.detach(), f"param {i}", tolerance)
    ]
    assert list(estate) == list(tstate)
    bad += [m for k in tstate for m in _same_value(estate[k], tstate[k], k, tolerance)]
    assert not bad, bad[:5]


def test_tensor_lr_makes_tensor_steps() -> None:
    """A 1-element tensor lr is squeezed to 0-d (``_to_scalar``): ``t`` is then a 0-d tensor."""
    states = []
    for lib, optim in ((torch, torch.optim), (re_, eoptim)):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = optim.LBFGS([x], lr=lib.tensor([0.5]), max_iter=3)

        def closure(opt: Any = opt, x: Any = x, lib: Any = lib) -> Any:
            opt.zero_grad()
            loss = _quartic(lib, [x])
            loss.backward()
            return loss

        opt.step(closure)
        t = opt.state[x]["t"]
        states.append((type(t).__name__, str(t.dtype), tuple(t.shape), float(t)))
    assert states[0] == states[1]


# --------------------------------------------------------------------------- state_dict
def _engine_value(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return as_engine(v)
    if isinstance(v, list):
        return [_engine_value(x) for x in v]
    return v


def _engine_state_dict(sd: dict[str, Any]) -> dict[str, Any]:
    """torch's optimizer state_dict with its tensors (in the history lists too) as engine tensors."""
    state = {k: {n: _engine_value(v) for n, v in s.items()} for k, s in sd["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.usefixtures("torch_dot")
@OVER_FLOAT_DTYPES
@LINE_SEARCHES
def test_state_dict_layout_and_resume(line_search_fn: str | None, tdt: torch.dtype, edt: Any) -> None:
    """Same state_dict as torch; torch's state dict loads into a fresh engine LBFGS and goes on bit for bit."""
    kwargs = {"line_search_fn": line_search_fn, "max_iter": 4}
    t, e = _pair("rosenbrock", tdt, edt, **kwargs)
    for _ in range(2):
        _step_both(t, e)
    tsd, esd = t.opt.state_dict(), e.opt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"]) == [0]
    bad = list(_same_value(esd["state"], tsd["state"], "state", None))
    assert not bad, bad[:5]
    # fresh optimizers with another lr, loaded from torch's state dict, go on alike
    t.opt = torch.optim.LBFGS(t.params, lr=123.0, **kwargs)
    e.opt = eoptim.LBFGS(e.params, lr=123.0, **kwargs)
    t.opt.load_state_dict(tsd)
    e.opt.load_state_dict(_engine_state_dict(tsd))
    assert e.opt.param_groups[0]["lr"] == t.opt.param_groups[0]["lr"] == 1
    for step in range(2):
        _step_both(t, e)
        bad = _mismatches(t, e, None)
        assert not bad, (step + 1, bad[:5])


def test_load_state_dict_casts_the_history_to_the_parameter_dtype() -> None:
    """torch's load_state_dict casts floating tensors inside the state's lists too (float64 -> float32)."""
    loaded = []
    for run in _pair("rosenbrock", torch.float64, re_.float64, max_iter=3):
        run.step()
        sd = run.opt.state_dict()
        x = run.lib.zeros(5, dtype=run.lib.float32, requires_grad=True)
        opt = (torch.optim if run.lib is torch else eoptim).LBFGS([x], max_iter=3)
        opt.load_state_dict(sd)
        s = opt.state[x]
        loaded.append(
            {
                k: (str(v.dtype) if hasattr(v, "dtype") else [str(i.dtype) for i in v if i is not None])
                for k, v in s.items()
                if not isinstance(v, int | float)
            }
        )
    assert loaded[0] == loaded[1]


# --------------------------------------------------------------------------- errors
def _one(lib: Any) -> Any:
    return lib.ones(2, requires_grad=True)


def _step_with_line_search(lib: Any, optim: Any, name: str) -> None:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=name)

    def closure() -> Any:
        opt.zero_grad()
        loss = (x**2).sum()
        loss.backward()
        return loss

    try:
        opt.step(closure)
    finally:  # torch counts the evaluation and the iteration before it looks at the name
        assert dict(opt.state[x]) == {"func_evals": 1, "n_iter": 1}


def _step_after_add_param_group(lib: Any, optim: Any) -> None:
    opt = optim.LBFGS([_one(lib)])
    opt.add_param_group({"params": [_one(lib)]})
    opt.step(lambda: 0.0)


ERRORS: dict[str, Callable[[Any, Any], Any]] = {
    "parameter_groups": lambda lib, optim: optim.LBFGS([{"params": [_one(lib)]}, {"params": [_one(lib)], "lr": 0.1}]),
    "unsupported_line_search": lambda lib, optim: _step_with_line_search(lib, optim, "armijo"),
    "negative_lr": lambda lib, optim: optim.LBFGS([_one(lib)], lr=-1.0),
    "tensor_lr_of_two": lambda lib, optim: optim.LBFGS([_one(lib)], lr=lib.tensor([0.1, 0.2])),
    "empty_params": lambda lib, optim: optim.LBFGS([]),
    "non_leaf": lambda lib, optim: optim.LBFGS([_one(lib) * 2]),
    "step_without_closure": lambda lib, optim: optim.LBFGS([_one(lib)]).step(),
    "step_after_add_param_group": _step_after_add_param_group,
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    assert raised_error(lambda: ERRORS[name](re_, eoptim)) == raised_error(lambda: ERRORS[name](torch, torch.optim))


def test_repr_and_defaults_match_torch() -> None:
    topt = torch.optim.LBFGS([_one(torch)], max_iter=8)
    eopt = eoptim.LBFGS([_one(re_)], max_iter=8)
    assert repr(eopt) == repr(topt)
    assert eopt.defaults == topt.defaults  # max_eval = max_iter * 5 // 4


# --------------------------------------------------------------------------- per release
# What torch 2.14 changed in LBFGS, recorded from torch 2.13.0 and 2.14.1: a keyword-only ``maximize`` (last in
# the defaults; the search runs on the negated loss and gradient, the step still returns the closure's loss),
# and a step over an empty parameter group that only evaluates the closure (torch 2.13: IndexError).
_NO_MAXIMIZE = ("TypeError", "LBFGS.__init__() got an unexpected keyword argument 'maximize'")
MAXIMIZE_BY_RELEASE: dict[str, dict[str | None, Any]] = {
    "2.13": {None: _NO_MAXIMIZE, "strong_wolfe": _NO_MAXIMIZE},
    "2.14": {  # the two returned losses, the parameters after two steps, func_evals, n_iter
        None: ([-9.797490120515, 1.581152943501], [1.187144554696, 1.858245607283, -1.37984e-06], 8, 8),
        "strong_wolfe": ([-9.797490120515, 1.581152943501], [1.187144554696, 1.858245607283, -1.37984e-06], 9, 8),
    },
}
EMPTY_GROUP_STEP_BY_RELEASE = {"2.13": ("IndexError", "list index out of range"), "2.14": 3.0}
DEFAULT_KEYS_BY_RELEASE = {
    "2.13": ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn"],
    "2.14": [
        "lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size", "line_search_fn",
        "maximize",
    ],
}  # fmt: skip


def _maximize_run(lib: Any, line_search_fn: str | None) -> Any:
    x = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64, requires_grad=True)
    try:
        opt = lib.optim.LBFGS([x], max_iter=5, line_search_fn=line_search_fn, maximize=True)
    except TypeError as e:
        return (type(e).__name__, str(e))
    target = lib.tensor([1.0, 2.0, -0.5], dtype=lib.float64)

    def closure() -> Any:
        opt.zero_grad()
        loss = -((x - target) ** 2).sum() + x.sin().sum()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(2)]
    state = opt.state[x]
    return losses, x.tolist(), state["func_evals"], state["n_iter"]


def _empty_group_step(lib: Any) -> Any:
    opt = lib.optim.LBFGS([{"params": []}])
    try:
        return opt.step(lambda: lib.tensor(3.0)).item()
    except IndexError as e:
        return (type(e).__name__, str(e))


def _assert_maximize_outcome(got: Any, want: Any) -> None:
    if isinstance(want[0], str):  # an error
        assert got == want
        return
    assert got[0] == pytest.approx(want[0], rel=1e-10, abs=1e-11)
    assert got[1] == pytest.approx(want[1], rel=1e-10, abs=1e-11)
    assert got[2:] == want[2:]


@LINE_SEARCHES
def test_maximize_per_release(release: str, line_search_fn: str | None) -> None:
    want = MAXIMIZE_BY_RELEASE[release][line_search_fn]
    _assert_maximize_outcome(_maximize_run(re_, line_search_fn), want)
    if release == torch_release():
        _assert_maximize_outcome(_maximize_run(torch, line_search_fn), want)
        _assert_maximize_outcome(_maximize_run(re_, line_search_fn), _maximize_run(torch, line_search_fn))


def test_empty_group_step_and_defaults_per_release(release: str) -> None:
    assert _empty_group_step(re_) == EMPTY_GROUP_STEP_BY_RELEASE[release]
    assert list(eoptim.LBFGS([_one(re_)]).defaults) == DEFAULT_KEYS_BY_RELEASE[release]
    if release == torch_release():
        assert _empty_group_step(torch) == EMPTY_GROUP_STEP_BY_RELEASE[release]
        assert list(torch.optim.LBFGS([_one(torch)]).defaults) == DEFAULT_KEYS_BY_RELEASE[release]
        assert repr(eoptim.LBFGS([_one(re_)], max_iter=8)) == repr(torch.optim.LBFGS([_one(torch)], max_iter=8))
