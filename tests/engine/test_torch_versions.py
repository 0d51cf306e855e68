"""The engine mirrors each supported torch release where they differ (reference_engine/_torch_version.py).

Every difference is tested under each release. The expected values are torch's own, recorded by running the same
programs on torch 2.13.0 (CPU build) and torch 2.14.1 (``tox -e torch2141``); where the installed torch is the
release under test, the engine is also compared with it live. ``scenarios/torch_versions.py`` runs the same
behaviour through the conformance pipeline against whatever torch is installed.
"""

from __future__ import annotations

import importlib.metadata
import itertools
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from reference_engine import _torch_version
from tests.helpers import error_signature

INSTALLED = _torch_version.supported_for(importlib.metadata.version("torch"))
RELEASES = list(_torch_version.SUPPORTED)
# the ``release`` fixture (tests/conftest.py) sets the engine to each supported release in turn


def _live(release: str) -> bool:
    return release == INSTALLED


# --------------------------------------------------------------------------- the setting itself
def test_setting_parses_full_versions_and_refuses_unknown_ones() -> None:
    before = engine.get_torch_version()
    try:
        engine.set_torch_version("2.13.0+cpu")
        assert engine.get_torch_version() == "2.13"
        engine.set_torch_version("2.14.1+cu130")
        assert engine.get_torch_version() == "2.14"
        with pytest.raises(ValueError, match=r"mirrors torch 2\.13, 2\.14"):
            engine.set_torch_version("2.9")
        with pytest.raises(ValueError, match="not a torch version"):
            engine.set_torch_version("latest")
    finally:
        engine.set_torch_version(before)
    assert _torch_version.supported_for("2.12.1") == "2.13"
    assert _torch_version.supported_for("2.15.0") == "2.14"
    assert _torch_version.NEWEST == RELEASES[-1]


def test_the_suite_mirrors_the_installed_torch() -> None:
    # the conformance plugin sets it at the start of every run (conformance/backends.py mirror_oracle)
    assert engine.get_torch_version() == INSTALLED


def test_environment_variable_sets_the_release_of_a_fresh_process(tmp_path: Any) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = "import reference_engine as t; print(t.get_torch_version())"
    for value in RELEASES:
        env = {**__import__("os").environ, _torch_version.ENV: value}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == value


# --------------------------------------------------------------------------- clamp
# x = [-2, -1, 0, 1, 2]: d/dx of sum(f(x)), from torch 2.13.0 and 2.14.1
CLAMP_SCALAR = {
    "2.13": {
        "clamp": [0, 1, 1, 1, 0], "clamp_min": [0, 0, 0, 1, 1], "clamp_max": [1, 1, 0, 0, 0],
        "min=1": [0, 0, 0, 1, 1], "1,1": [0, 0, 0, 1, 0], "2,0": [0, 0, 0, 0, 0],
    },
    "2.14": {
        "clamp": [0, 0, 1, 0, 0], "clamp_min": [0, 0, 0, 0, 1], "clamp_max": [1, 0, 0, 0, 0],
        "min=1": [0, 0, 0, 0, 1], "1,1": [0, 0, 0, 0, 0], "2,0": [0, 0, 0, 0, 0],
    },
}  # fmt: skip
CLAMP_CALLS = {
    "clamp": lambda m, x: x.clamp(-1, 1),
    "clamp_min": lambda m, x: x.clamp_min(1),
    "clamp_max": lambda m, x: x.clamp_max(-1),
    "min=1": lambda m, x: m.clamp(x, min=1),
    "1,1": lambda m, x: m.clip(x, 1, 1),
    "2,0": lambda m, x: x.clone().clamp_(2, 0),
}


@pytest.mark.parametrize("name", list(CLAMP_CALLS))
def test_clamp_with_number_bounds(release: str, name: str) -> None:
    def grad(m: Any) -> list[float]:
        x = m.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
        CLAMP_CALLS[name](m, x).sum().backward()
        return x.grad.tolist()

    assert grad(engine) == CLAMP_SCALAR[release][name]
    if _live(release):
        assert grad(torch) == CLAMP_SCALAR[release][name]


# clamp(x, lo, hi) over x, lo, hi in {0, 1, 2}^3 (itertools.product order): (gx, glo, ghi) per case where they
# differ from (1, 0, 0) / (0, 1, 0) / (0, 0, 1); recorded from torch
def _clamp_tensor_expected(release: str) -> list[tuple[float, float, float]]:
    out = []
    for x, lo, hi in itertools.product((0.0, 1.0, 2.0), repeat=3):
        if release == "2.13":
            gx = float(lo <= x <= hi)
            glo = float(x < lo < hi)
            ghi = float(x > hi or hi < lo)
        else:
            glo = 1.0 if (x < lo and lo <= hi) else 0.5 if (x == lo and x < hi) else 0.0
            ghi = 1.0 if (x > hi or lo > hi) else 0.5 if (x == hi and x > lo) else 0.0
            gx = 1.0 - glo - ghi
        out.append((gx, glo, ghi))
    return out


# the two tables above, spot-checked against values printed by torch itself (x, lo, hi) -> grads
RECORDED_TIES = {
    "2.13": {(0, 0, 0): (1, 0, 0), (0, 1, 1): (0, 0, 0), (1, 0, 1): (1, 0, 0), (1, 2, 1): (0, 0, 1)},
    "2.14": {(0, 0, 0): (1, 0, 0), (0, 1, 1): (0, 1, 0), (1, 0, 1): (0.5, 0, 0.5), (1, 2, 1): (0, 0, 1)},
}


def test_clamp_with_tensor_bounds(release: str) -> None:
    def grads(m: Any) -> list[tuple[float, float, float]]:
        cases = list(itertools.product((0.0, 1.0, 2.0), repeat=3))
        x, lo, hi = (m.tensor([c[i] for c in cases], requires_grad=True) for i in range(3))
        m.clamp(x, lo, hi).sum().backward()
        return list(zip(x.grad.tolist(), lo.grad.tolist(), hi.grad.tolist(), strict=True))

    expected = _clamp_tensor_expected(release)
    assert grads(engine) == expected
    table = dict(zip(itertools.product((0, 1, 2), repeat=3), expected, strict=True))
    for case, want in RECORDED_TIES[release].items():
        assert table[case] == want
    if _live(release):
        assert grads(torch) == expected


def test_clamp_min_with_a_tensor_bound_splits_ties_from_2_14(release: str) -> None:
    def grads(m: Any) -> tuple[list[float], list[float]]:
        x = m.tensor([-1.0, 0.0, 1.0, 2.0], requires_grad=True)
        b = m.tensor([-1.0, 1.0, 1.0, 3.0], requires_grad=True)
        m.clamp_min(x, b).sum().backward()
        return x.grad.tolist(), b.grad.tolist()

    want = {"2.13": ([1, 0, 1, 0], [0, 1, 0, 1]), "2.14": ([0.5, 0, 0.5, 0], [0.5, 1, 0.5, 1])}[release]
    assert grads(engine) == want
    if _live(release):
        assert grads(torch) == want


# --------------------------------------------------------------------------- bool arithmetic
@pytest.mark.parametrize(
    "call", [lambda m, b: -b, lambda m, b: b - b, lambda m, b: m.neg(b), lambda m, b: b.clone().sub_(b)]
)
def test_bool_negation_and_subtraction(release: str, call: Any) -> None:
    got = error_signature(lambda: call(engine, engine.tensor([True, False])), must_raise=True)
    assert got is not None
    assert got[0] == {"2.13": "RuntimeError", "2.14": "NotImplementedError"}[release]
    assert "bool tensor" in got[1]
    if _live(release):
        assert error_signature(lambda: call(torch, torch.tensor([True, False]))) == got


# --------------------------------------------------------------------------- removed functions
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "call",
    [lambda m: m.cholesky(m.eye(2)), lambda m: m.eye(2).cholesky(upper=True), lambda m: m.qr(m.eye(2)),
     lambda m: m.eye(2).qr(some=False)],
    ids=["cholesky", "Tensor.cholesky", "qr", "Tensor.qr"],
)  # fmt: skip
def test_cholesky_and_qr_are_removed_in_2_14(release: str, call: Any) -> None:
    got = error_signature(lambda: call(engine))
    if release == "2.13":
        assert got is None
    else:
        assert got is not None and got[0] == "RuntimeError"
        assert got[1].startswith("This function was deprecated since version 1.9 and is now removed.")
    if _live(release):
        assert error_signature(lambda: call(torch)) == got


# --------------------------------------------------------------------------- quantile
def _chain(node: Any) -> list[str]:
    names = []
    while node is not None:
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    return names


@pytest.mark.parametrize(("n", "k"), [(3, 1), (4, 1), (8, 2), (16, 2), (16, 3), (64, 4), (64, 5)])
def test_quantile_records_sort_only_where_torch_does(release: str, n: int, k: int) -> None:
    values = np.random.default_rng(n * 10 + k).standard_normal(n).astype(np.float32)

    def chain(m: Any) -> list[str]:
        x = m.tensor(values, requires_grad=True)
        q = m.tensor(np.linspace(0.1, 0.9, k, dtype=np.float32)) if k > 1 else 0.3
        return _chain(m.quantile(x, q).grad_fn)

    # 2.13 always sorts with history; 2.14 selects without it when 4 k^2 <= n (measured on torch 2.14.1)
    sorts = release == "2.13" or 4 * k * k > n
    assert ("SortBackward0" in chain(engine)) is sorts
    if _live(release):
        assert chain(engine) == chain(torch)


def test_quantile_weights_round_like_each_release(release: str) -> None:
    # rank 0.3 * 7 = 2.1: 2.13 forms the weight in float32 (0.10000014), 2.14 in double (0.10000008)
    def grad(m: Any) -> list[float]:
        x = m.tensor([3.0, 1.5, 2.5, 1.0, 3.5, 0.5, 2.0, 4.0], requires_grad=True)
        m.quantile(x, 0.3).backward()
        return x.grad.tolist()

    weight = {"2.13": 0.10000014305114746, "2.14": 0.10000008344650269}[release]
    got = grad(engine)
    # rank 2.1 falls between 1.5 (index 1) and 2.0 (index 6): the upper neighbour's grad is the weight itself
    assert got[6] == weight
    assert [i for i, v in enumerate(got) if v] == [1, 6]
    if _live(release):
        assert got == grad(torch)


# --------------------------------------------------------------------------- group_norm
def test_group_norm_double_backward_reaches_weight_and_bias(release: str) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((2, 4, 3), (4,), (4,))]

    def second(m: Any) -> list[Any]:
        x, w, b = (m.tensor(a, requires_grad=True) for a in arrays)
        y = m.nn.functional.group_norm(x, 2, w, b)
        gx, gw, _ = m.autograd.grad(y.sum(), (x, w, b), create_graph=True)
        out = []
        for g in (gx, gw):
            for r in m.autograd.grad(g.sum(), (x, w, b), allow_unused=True, retain_graph=True):
                out.append(None if r is None else float(r.abs().sum()))
        return out

    # 2.13: gx reaches no bias, gw neither weight nor bias; 2.14: zeros everywhere
    want = {"2.13": [0.0, 0.0, None, 0.0, None, None], "2.14": [0.0] * 6}[release]
    got = second(engine)
    assert [None if v is None else round(v, 12) for v in got] == want
    if _live(release):
        assert [None if v is None else round(v, 12) for v in second(torch)] == want


# --------------------------------------------------------------------------- added functions
def test_matrix_sqrth_and_polar_exist_from_2_14(release: str) -> None:
    present = release != "2.13"
    assert hasattr(engine.linalg, "matrix_sqrth") is present
    assert hasattr(engine.linalg, "polar") is present
    assert ("polar" in dir(engine.linalg)) is present
    if not present:
        with pytest.raises(AttributeError, match=r"module .torch\.linalg. has no attribute .polar."):
            engine.linalg.polar
        return
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    x = engine.linalg.matrix_sqrth(engine.tensor(a)).numpy()
    np.testing.assert_allclose(x @ x, a, rtol=1e-12)
    m = np.random.default_rng(1).standard_normal((5, 3))
    u, h = (t.numpy() for t in engine.linalg.polar(engine.tensor(m)))
    np.testing.assert_allclose(u @ h, m, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(u.T @ u, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(h, h.T, atol=1e-12)
    assert np.linalg.eigvalsh(h).min() >= 0
    t = engine.tensor(m, requires_grad=True)
    assert engine.autograd.gradcheck(lambda v: engine.linalg.polar(v), (t,))
    assert engine.autograd.gradgradcheck(lambda v: engine.linalg.polar(v), (t,))
    s = engine.tensor(a, requires_grad=True)
    assert engine.autograd.gradcheck(lambda v: engine.linalg.matrix_sqrth((v + v.mT) / 2), (s,))
    if _live(release):
        np.testing.assert_allclose(x, torch.linalg.matrix_sqrth(torch.tensor(a)).numpy(), rtol=1e-12)


def test_every_change_is_listed_with_its_release() -> None:
    assert all(release in RELEASES for release, _, _ in _torch_version.CHANGES)
    assert len(_torch_version.CHANGES) >= 6


def test_group_norm_refuses_empty_spatial_dims_from_2_14(release: str) -> None:
    def call(m: Any) -> Any:
        return m.nn.functional.group_norm(m.zeros(2, 4, 0), 2)

    got = error_signature(lambda: call(engine))
    if release == "2.13":
        assert got is None and tuple(call(engine).shape) == (2, 4, 0)
    else:
        assert got == ("RuntimeError", "Expected HxW to be greater than 0, got 0")
    if _live(release):
        assert error_signature(lambda: call(torch)) == got
    assert tuple(engine.nn.functional.group_norm(engine.zeros(0, 4, 3), 2).shape) == (0, 4, 3)  # both releases


# arange with an integral dtype, recorded from torch 2.13.0 and 2.14.1 (None: ValueError "step must be nonzero")
ARANGE = {
    "0.5..6.7 step 1.5": ((0.5, 6.7, 1.5), [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4]),
    "0..6 step 1.5": ((0, 6, 1.5), [0, 1, 2, 3, 4, 5], [0, 1, 2, 3]),
    "end 2.9": ((2.9,), [0, 1], [0, 1, 2]),
    "step 0.9": ((1, 4, 0.9), None, [1, 1, 1, 1]),
}


@pytest.mark.parametrize("case", list(ARANGE))
def test_arange_with_an_integral_dtype(release: str, case: str) -> None:
    args, was, now = ARANGE[case]
    want = was if release == "2.13" else now

    def values(m: Any) -> Any:
        try:
            return m.arange(*args, dtype=m.int64).tolist()
        except ValueError as exc:
            assert str(exc) == "step must be nonzero"
            return None

    assert values(engine) == want
    if _live(release):
        assert values(torch) == want


def test_trapezoid_of_bool_and_combinations_node(release: str) -> None:
    got = error_signature(lambda: engine.trapezoid(engine.ones(3) > 0), must_raise=True)
    assert got is not None and got[0] == {"2.13": "RuntimeError", "2.14": "NotImplementedError"}[release]
    node = engine.combinations(engine.ones(4, requires_grad=True)).grad_fn.name()
    assert node == {"2.13": "StackBackward0", "2.14": "IndexBackward0"}[release]
    if _live(release):
        assert error_signature(lambda: torch.trapezoid(torch.ones(3) > 0)) == got
        assert torch.combinations(torch.ones(4, requires_grad=True)).grad_fn.name() == node
