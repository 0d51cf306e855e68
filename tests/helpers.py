"""What the engine tests share: run the same program on real torch and on the engine, compare what comes out.

Not a test module (pytest collects ``test_*.py`` only), so every test module imports from here and none
imports another. Tensor equality goes through ``conformance.compare.compare_arrays``, the comparator the
conformance suite itself uses: NaN matches NaN, an infinity the same infinity, tolerances per dtype unless
a test names its own.

A "program" is a callable taking the library module (``torch`` or ``reference_engine``) as ``lib``/``m``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
import reference_engine.nn as enn
from conformance.compare import Tolerance, compare_arrays


def torch_release() -> str:
    """The installed torch's release as the engine names them ("2.13", "2.14"): what the engine mirrors in a run."""
    import importlib.metadata  # noqa: PLC0415

    from reference_engine import _torch_version  # noqa: PLC0415

    return _torch_version.supported_for(importlib.metadata.version("torch"))


# float dtype pairs (torch, engine) for parametrize, with readable ids
DTYPES = [(torch.float32, engine.float32), (torch.float64, engine.float64)]
DTYPE_IDS = ["float32", "float64"]
# parametrize a test over them: ``tdt`` the torch dtype, ``edt`` the engine's
OVER_FLOAT_DTYPES = pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)


Make = Callable[[Any], Any]  # builds a layer from an nn module: make(torch.nn), make(engine.nn)
LayerTable = dict[str, tuple[Make, tuple[int, ...]]]  # name -> (make, the input's shape)


def over_layers(table: LayerTable) -> pytest.MarkDecorator:
    """Parametrise over a table of layers: the test takes ``make`` and ``shape``; the name is the id."""
    return pytest.mark.parametrize(("make", "shape"), list(table.values()), ids=list(table))


# --------------------------------------------------------------------------- generated-test budgets
# The hypothesis profile chosen for this session; tests/conftest.py registers and loads the profiles.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")

# Examples per generated test under each profile (the generated tests read this; profiles do not
# carry it because the older tests set their own max_examples).
BUDGET_SCALE = {"ci": 1.0, "dev": 0.5, "thorough": 10.0}


def active_profile() -> str:
    """The profile in force: ``--hypothesis-profile`` (handed to workers through the environment) or PROFILE."""
    return os.environ.get("_GENERATED_PROFILE", PROFILE)


def budget(n: int) -> int:
    """``n`` examples under ``ci``, scaled for the active profile."""
    return max(1, int(n * BUDGET_SCALE.get(active_profile(), 1.0)))


# --------------------------------------------------------------------------- tensors as arrays
def as_numpy(t: Any) -> np.ndarray:
    """A tensor of either library (or a plain value) as a NumPy array."""
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy(force=True)  # force: torch's backward may give a ZeroTensor
    if isinstance(t, engine.Tensor):
        return np.asarray(t.detach()._data)
    return np.asarray(t)


def as_engine(t: torch.Tensor, requires_grad: bool = False) -> Any:
    """An engine tensor holding a copy of torch tensor ``t``'s values (same dtype)."""
    e = engine.from_numpy(t.detach().numpy().copy())
    return e.requires_grad_(True) if requires_grad else e


def assert_close(actual: Any, expected: Any, what: str = "", tolerance: Tolerance | None = None) -> None:
    """``compare_arrays`` of the two (tensors or arrays), dtype included; the description on failure."""
    diff = compare_arrays(as_numpy(actual), as_numpy(expected), tolerance)
    assert diff.ok, f"{what}: {diff.describe()}"


def check(actual: Any, expected: torch.Tensor | None, what: str = "", tolerance: Tolerance | None = None) -> None:
    """Engine value vs torch value; ``None`` (a missing grad) must be missing on both sides."""
    if expected is None:
        assert actual is None, what
        return
    assert actual is not None, what
    assert_close(actual, expected, what, tolerance)


def assert_same_tensor(actual: Any, expected: Any) -> None:
    """Engine tensor vs torch tensor: values, dtype name, shape, requires_grad."""
    if expected is None:
        assert actual is None
        return
    assert actual is not None, f"engine gave None, torch gave {expected}"
    assert str(actual.dtype) == str(expected.dtype)
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.requires_grad == expected.requires_grad
    diff = compare_arrays(as_numpy(actual), as_numpy(expected))
    assert diff.ok, diff.describe()


def assert_same_tensors(got: Sequence[Any], want: Sequence[Any]) -> None:
    """``assert_same_tensor`` pairwise over two sequences of the same length."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert_same_tensor(g, w)


# --------------------------------------------------------------------------- the same program on both
def run_both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Run ``fn(module)`` on the engine and on torch; return (engine result, torch result)."""
    return fn(engine), fn(torch)


def assert_same_result(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``run_both`` and compare what comes back (``assert_same_values``)."""
    got, want = run_both(fn)
    assert_same_values(got, want)
    return got, want


def assert_same_values(got: Any, want: Any) -> None:
    """A tensor as ``assert_same_tensor``; a tuple or list holding tensors item by item (nested), its other
    items and every other value (names, flags, versions) with ``==``; ``None`` (a missing grad) as ``is None``."""
    if want is None or isinstance(want, torch.Tensor):
        assert_same_tensor(got, want)
    elif isinstance(want, tuple | list) and _holds_tensor(want):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert_same_values(g, w)
    else:
        assert got == want


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return any(_holds_tensor(v) for v in value)
    return isinstance(value, torch.Tensor)


class ProgramTable(list):
    """Programs ``prog(lib)`` gathered by decorating them (``@same_result``), all checked by one parametrised test.

    ``check`` is the comparison each program goes through (``assert_same_result``, ...); ``test()``, assigned
    to a ``test_*`` name below the table's last program, runs it once per program, the program's name as the id.
    """

    def __init__(self, check: Callable[[Callable[[Any], Any]], Any]) -> None:
        super().__init__()
        self.check = check

    def __call__(self, prog: Callable[[Any], Any]) -> Callable[[Any], Any]:
        self.append(prog)
        return prog

    def test(self) -> Callable[[Callable[[Any], Any]], None]:
        @pytest.mark.parametrize("prog", list(self), ids=[p.__name__ for p in self])
        def test(prog: Callable[[Any], Any]) -> None:
            self.check(prog)

        return test


# --------------------------------------------------------------------------- errors
def error_of(fn: Callable[[], Any]) -> BaseException | None:
    """The exception ``fn()`` raises, or None."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any error is what the test compares
        return exc
    return None


def error_signature(fn: Callable[[], Any], must_raise: bool = False) -> tuple[str, str] | None:
    """(exception type name, message) of what ``fn()`` raises with warnings silenced, or None.

    ``must_raise``: fail the test when nothing is raised (where the caller's torch side must raise).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exc = error_of(fn)
    if exc is None:
        if must_raise:
            pytest.fail("no exception raised")
        return None
    return type(exc).__name__, str(exc)


def raised_error(fn: Callable[[], Any]) -> tuple[str, str]:
    """``error_signature`` of a call that must raise (the test fails when it does not)."""
    return error_signature(fn, must_raise=True)  # type: ignore[return-value]


def assert_same_error(fn: Callable[[Any], Any]) -> BaseException:
    """Both libraries raise the same exception type with the same first line of message; torch's error back."""
    got = error_of(lambda: fn(engine))
    want = error_of(lambda: fn(torch))
    assert want is not None, "torch did not raise"
    assert got is not None, f"engine did not raise; torch raised {type(want).__name__}: {want}"
    assert type(got) is type(want), f"{type(got).__name__}: {got} vs {type(want).__name__}: {want}"
    assert str(got).splitlines()[0] == str(want).splitlines()[0]
    return want


def assert_same_error_full(fn: Callable[[Any], Any]) -> BaseException:
    """Like assert_same_error, comparing the whole message; torch's error back."""
    got = error_of(lambda: fn(engine))
    want = error_of(lambda: fn(torch))
    assert want is not None and got is not None, (got, want)
    assert type(got) is type(want)
    assert str(got) == str(want)
    return want


def assert_same_nn_error(fn: Callable[[Any, Any, Any], Any]) -> None:
    """``fn(lib, lib.nn, lib.nn.functional)`` for torch and the engine: same exception type name and message."""
    expected = error_of(lambda: fn(torch, torch.nn, torch.nn.functional))
    actual = error_of(lambda: fn(engine, enn, enn.functional))
    assert expected is not None, "torch did not raise"
    assert actual is not None, f"engine did not raise; torch raised {type(expected).__name__}: {expected}"
    assert type(actual).__name__ == type(expected).__name__
    assert str(actual) == str(expected)


# --------------------------------------------------------------------------- graphs
def grad_fn_name(t: Any) -> str | None:
    """The class name of ``t.grad_fn`` (None for a leaf or a tensor outside the graph)."""
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def graph_tree(t: Any) -> list[str]:
    """Every node under ``t.grad_fn``, depth first with edges in order, indented by depth (AccumulateGrad included)."""
    names: list[str] = []

    def walk(fn: Any, depth: int) -> None:
        if fn is None:
            return
        names.append("  " * depth + type(fn).__name__)
        for nxt, _ in fn.next_functions:
            walk(nxt, depth + 1)

    walk(t.grad_fn, 0)
    return names


def graph_names(t: Any) -> list[str]:
    """Class names of every node reachable from ``t.grad_fn`` (a stack walk, edges in order), no AccumulateGrad."""
    out: list[str] = []
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or type(node).__name__ == "AccumulateGrad":
            continue
        out.append(type(node).__name__)
        stack.extend(f for f, _ in node.next_functions)
    return out


def first_edge_chain(t: Any) -> list[str]:
    """grad_fn names along the first edge down to the leaf."""
    names, node = [], t.grad_fn
    while node is not None and type(node).__name__ != "AccumulateGrad":
        names.append(type(node).__name__)
        node = node.next_functions[0][0]
    return names


# --------------------------------------------------------------------------- programs over float64 leaves
def run_program(
    m: Any, fn: Callable[..., Any], arrays: Sequence[np.ndarray], order: int = 1, float64_weights: bool = False
) -> tuple[str, list[Any], list[Any]]:
    """``fn(m, *leaves)`` with a leaf per array; (result type name, outputs, grads).

    The grads are those of a weighted sum of the differentiable outputs (weights 1, 2, 3 ... so a permuted
    gradient shows), in the outputs' dtype or, with ``float64_weights``, in float64; ``order`` 2 appends the
    grads of the squared first grads. No differentiable output: no grads.
    """
    leaves = [m.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fn(m, *leaves)
    outs = list(result) if isinstance(result, tuple | list) else [result]
    diff = [o for o in outs if o.requires_grad]
    grads: list[Any] = []
    if diff:
        if float64_weights:
            total = sum((o.double() * m.arange(1, o.numel() + 1, dtype=m.float64).reshape(o.shape)).sum() for o in diff)
        else:
            total = sum((o * m.arange(1, o.numel() + 1, dtype=o.dtype).reshape(o.shape)).sum() for o in diff)
        grads = list(m.autograd.grad(total, leaves, allow_unused=True, create_graph=order > 1))
        if order > 1:
            second = sum((g * g).sum() for g in grads if g is not None)
            grads += list(m.autograd.grad(second, leaves, allow_unused=True))
    return type(result).__name__, outs, grads


def check_program(
    fn: Callable[..., Any],
    arrays: Sequence[np.ndarray],
    *,
    order: int = 1,
    chain: bool = True,
    value_tolerance: Callable[[Any], Tolerance],
    grad_tolerance: Tolerance,
    float64_weights: bool = False,
) -> None:
    """``run_program`` on torch and on the engine: result kind, then per output dtype, shape, value
    (``value_tolerance(torch dtype)``), requires_grad and (``chain``) the whole grad_fn tree, then the grads."""
    t_kind, t_outs, t_grads = run_program(torch, fn, arrays, order, float64_weights)
    r_kind, r_outs, r_grads = run_program(engine, fn, arrays, order, float64_weights)
    assert r_kind == t_kind  # Tensor, tuple, or the named result (sort, topk ...)
    assert len(r_outs) == len(t_outs)
    for i, (r, t) in enumerate(zip(r_outs, t_outs, strict=True)):
        assert str(r.dtype) == str(t.dtype)
        assert tuple(r.shape) == tuple(t.shape)
        diff = compare_arrays(as_numpy(r), as_numpy(t), value_tolerance(t.dtype))
        assert diff.ok, f"output {i}: {diff.describe()}"
        assert r.requires_grad == t.requires_grad
        if chain:
            assert graph_tree(r) == graph_tree(t)
    assert len(r_grads) == len(t_grads)
    for i, (r, t) in enumerate(zip(r_grads, t_grads, strict=True)):
        assert (r is None) == (t is None)
        if t is not None:
            diff = compare_arrays(as_numpy(r), as_numpy(t), grad_tolerance, check_dtype=False)
            assert diff.ok, f"grad {i}: {diff.describe()}"


def xv_value_tolerance(dtype: Any) -> Tolerance:
    """Outputs of programs on float64 leaves: 1e-5 relative where the program casts down, 1e-12 otherwise."""
    rtol = 1e-5 if str(dtype) in ("torch.float32", "torch.float16") else 1e-12
    return Tolerance(rtol, 1e-12, "float64 leaves; the same formulas, summed in other orders")


XV_GRAD_TOLERANCE = Tolerance(1e-10, 1e-12, "float64 grads, the same formulas summed in other orders")


def check_xv_program(fn: Callable[[Any, Any, Any], Any], x: np.ndarray, v: np.ndarray) -> None:
    """``fn(m, x, v)`` from leaves ``x`` (a matrix) and ``v`` (a vector) on both libraries; grads weighted in
    float64 (``check_program``)."""
    check_program(
        fn, (x, v), value_tolerance=xv_value_tolerance, grad_tolerance=XV_GRAD_TOLERANCE, float64_weights=True
    )


def finite_difference(f: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray], eps: float = 1e-6) -> list:
    """Central-difference gradient of the scalar ``f`` with respect to each array."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (f(plus) - f(minus)) / (2 * eps)
        grads.append(g)
    return grads


# --------------------------------------------------------------------------- nn
def spread(shape: tuple[int, ...], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Values across every branch of the piecewise activations (|x| up to ~5), none on a kink."""
    return torch.randn(shape, dtype=dtype) * 2.5 + 0.01


def copy_state(src: torch.nn.Module, dst: enn.Module) -> None:
    """Load torch module ``src``'s state_dict into the engine module ``dst`` (as arrays)."""
    dst.load_state_dict({k: engine.from_numpy(v.detach().numpy().copy()) for k, v in src.state_dict().items()})


def same_repr_pair(make: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``make(torch.nn)`` and ``make(engine.nn)``, whose reprs must be equal."""
    tm, em = make(torch.nn), make(enn)
    assert repr(em) == repr(tm)
    return tm, em


def build_pair(ctor: Callable[[Any], Any], tdt: torch.dtype, edt: Any) -> tuple[Any, Any]:
    """``ctor(torch.nn)`` and ``ctor(engine.nn)`` in the given dtypes, the engine's with torch's state."""
    tm = ctor(torch.nn).to(tdt)
    em = ctor(enn).to(edt)
    copy_state(tm, em)
    return tm, em


def run_and_compare(tm: Any, em: Any, x: torch.Tensor, seed_grad: bool = True) -> None:
    """Both modules on ``x``: grad_fn name, output, input grad and every parameter's grad."""
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


# float64 layers: the same formulas as torch, only the order of the sums differs
TIGHT = Tolerance(1e-12, 1e-12, "float64: same formulas, reordered sums only")


def randn(*shape: int, dtype: torch.dtype) -> torch.Tensor:
    """``torch.randn`` of ``shape`` in ``dtype`` (from torch's global generator)."""
    return torch.randn(*shape, dtype=dtype)


def check_tight(actual: Any, expected: torch.Tensor, what: str, tol32: Tolerance | None = None) -> None:
    """``TIGHT`` for float64; ``tol32`` (default: assert_close's) for float32, where torch's BLAS, oneDNN and
    vectorised kernels sum and round in orders NumPy does not reproduce."""
    check(actual, expected, what, TIGHT if expected.dtype == torch.float64 else tol32)


def check_functional(
    fn: Callable[..., Any],
    grads: list[torch.Tensor],
    consts: dict[str, Any] | None = None,
    same_node: bool = True,
    tol32: Tolerance | None = None,
) -> None:
    """``fn(F, *grads, **consts)`` with ``F`` torch's and the engine's ``nn.functional``: output, grad_fn name
    (unless not ``same_node``), dtype and every grad (``check_tight``)."""
    consts = consts or {}
    tx = [g.clone().requires_grad_(True) for g in grads]
    ex = [as_engine(g, requires_grad=True) for g in grads]
    ty = fn(torch.nn.functional, *tx, **consts)
    ey = fn(enn.functional, *ex, **{k: as_engine(v) if isinstance(v, torch.Tensor) else v for k, v in consts.items()})
    assert not same_node or type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert ey.dtype == getattr(engine, str(ty.dtype).removeprefix("torch."))
    check_tight(ey, ty, "output")
    seed = torch.randn_like(ty)
    ty.backward(seed)
    ey.backward(as_engine(seed))
    for i, (e, t) in enumerate(zip(ex, tx, strict=True)):
        check_tight(e.grad, t.grad, f"grad {i}", tol32)


def leaf_pair(shape: tuple[int, ...], dtype: str, seed: int, integers: bool = False) -> tuple[torch.Tensor, Any]:
    """The same data (normal, or small integers) as a torch leaf and an engine leaf, both requiring grad."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(-3, 4, shape).astype(dtype) if integers else rng.standard_normal(shape).astype(dtype)
    return torch.tensor(arr, requires_grad=True), engine.tensor(arr.copy(), requires_grad=True)


def compare_forward_backward(fn_t: Callable, fn_e: Callable, xt: torch.Tensor, xe: Any, seed: int) -> tuple[Any, Any]:
    """Forward both, backward a fixed random weighting of the output, and compare output, grad_fn, input grad."""
    yt, ye = fn_t(xt), fn_e(xe)
    check(ye, yt, "output")
    assert grad_fn_name(ye) == grad_fn_name(yt)
    w = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(str(yt.dtype).removeprefix("torch."))
    (yt * torch.tensor(w)).sum().backward()
    (ye * engine.tensor(w)).sum().backward()
    check(xe.grad, xt.grad, "input grad")
    return yt, ye


def double_backward(lib: Any, fn: Callable, arrays: Sequence[np.ndarray], diff: Sequence[int]) -> tuple:
    """Run ``fn(lib, *tensors)`` (float64 arrays become tensors, those at ``diff`` requiring grad), take its grads
    with ``create_graph=True``, then the grads of a scalar function of those grads with respect to the same inputs.
    Returns (the first-order grads' node names, the first-order grads, the second-order grads) as arrays."""
    ts = [
        lib.tensor(a, dtype=lib.float64, requires_grad=i in diff) if a.dtype.kind == "f" else lib.tensor(a)
        for i, a in enumerate(arrays)
    ]
    ins = [ts[i] for i in diff]
    grads = lib.autograd.grad(fn(lib, *ts), ins, create_graph=True)
    names = [type(g.grad_fn).__name__ for g in grads]
    total = sum((g * g).sum() * (k + 1) + (g * ins[k].detach()).sum() for k, g in enumerate(grads))
    second = lib.autograd.grad(total, ins, allow_unused=True, materialize_grads=True)
    return names, [as_numpy(g.detach()) for g in grads], [as_numpy(g) for g in second]


def check_double_backward(fn: Callable, arrays: Sequence[np.ndarray], diff: Sequence[int]) -> None:
    """``double_backward`` in torch and in the engine side by side: same node names, grads within 1e-12."""
    want = double_backward(torch, fn, arrays, diff)
    got = double_backward(engine, fn, arrays, diff)
    assert got[0] == want[0]
    for k, (a, b) in enumerate(zip(got[1] + got[2], want[1] + want[2], strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"grad {k}")
