"""Masked indexing ops against real torch: masked_scatter, _unsafe_masked_index and its accumulating put.

Beyond the catalogue's samples: broadcast self and mask (and the gradient summed back), a source longer or
shorter than the mask's count (the source gradient is padded with zeros), the deprecated byte mask (warned,
then refused), the in-place variant's expand error, out-of-range indices where the mask is false (clamped),
an empty self, and the double backward and forward-mode tangents. Values come from torch 2.13 on the same
program, compared to the bit.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.engine.ops.test_indexed_reduction import assert_identical, same_to_the_bit
from tests.helpers import ProgramTable, assert_close, assert_same_error

RNG = np.random.default_rng(11)
MASK = np.array([[True, False, True], [False, True, True]])
X = np.arange(6.0, dtype=np.float32).reshape(2, 3)
SRC = np.arange(10.0, 20.0, dtype=np.float32)
BIG_MASK = RNG.random((10, 10)) > 0.5
ROWS = RNG.integers(0, 8, (10, 1))
COLS = RNG.integers(-7, 8, (1, 10))
X55 = RNG.standard_normal((5, 5)).astype(np.float32)
VALUES = RNG.standard_normal((10, 10)).astype(np.float32)

programs = ProgramTable(same_to_the_bit)


# --------------------------------------------------------------------------- masked_scatter
for _name, _self in (("same_shape", X), ("broadcast_self", X[0]), ("scalar_self", X[0, 0])):

    def _prog(m: Any, x0: np.ndarray = _self) -> list:
        x = m.tensor(x0, requires_grad=True)
        s = m.tensor(SRC.reshape(2, 5), requires_grad=True)
        y = m.masked_scatter(x, m.tensor(MASK), s)
        g = m.autograd.grad(y, (x, s), m.arange(6.0).reshape(2, 3), create_graph=True)
        gg = m.autograd.grad((g[0] ** 2).sum() + (g[1] ** 2).sum() + (y**2).sum(), (x, s))
        return [y, *g, *gg]

    _prog.__name__ = f"masked_scatter_{_name}_grads"
    programs(_prog)


@programs
def masked_scatter_in_place_and_method(m: Any) -> list:
    x = m.tensor(X, requires_grad=True).clone()
    s = m.tensor(SRC, requires_grad=True)
    x.masked_scatter_(m.tensor(MASK)[1], s)
    return [x, *m.autograd.grad(x.sum(), s), m.tensor(X).masked_scatter(m.tensor(True), m.tensor(SRC))]


@programs
def masked_scatter_forward_tangent(m: Any) -> list:
    fa = m.autograd.forward_ad
    with fa.dual_level():
        x = fa.make_dual(m.tensor(X), m.ones(2, 3))
        s = fa.make_dual(m.tensor(SRC), m.arange(10.0))
        return [fa.unpack_dual(m.masked_scatter(x, m.tensor(MASK), s)).tangent]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor(X).masked_scatter(m.tensor(MASK), m.tensor(SRC)[:3]),
        lambda m: m.tensor(X).masked_scatter(m.tensor(MASK), m.tensor(SRC).double()),
        lambda m: m.tensor(X).masked_scatter(m.tensor(MASK).float(), m.tensor(SRC)),
        lambda m: m.tensor(X).masked_scatter(m.tensor(MASK)[:, :2], m.tensor(SRC)),
        lambda m: m.tensor(X)[0].clone().masked_scatter_(m.tensor(MASK), m.tensor(SRC)),
        lambda m: m.tensor(X).masked_scatter_(m.tensor(MASK)[:, :2], m.tensor(SRC)),
    ],
    ids=["short-source", "source-dtype", "float-mask", "broadcast", "in-place-expand", "in-place-size"],
)
def test_masked_scatter_errors(call: Any) -> None:
    assert_same_error(call)


def test_masked_scatter_byte_mask_warns_then_refuses() -> None:
    def run(m: Any) -> tuple[list[str], str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                m.tensor(X).masked_scatter(m.tensor(MASK).byte(), m.tensor(SRC))
                raised = ""
            except RuntimeError as exc:
                raised = str(exc)
        # torch's C++ warnings end in where they were raised
        return [str(w.message).split(" (Triggered internally")[0] for w in caught], raised

    assert run(engine) == run(torch)


# --------------------------------------------------------------------------- _unsafe_masked_index
def _idx(m: Any) -> list:
    return [m.tensor(ROWS), m.tensor(COLS)]


@programs
def unsafe_masked_index_grads_and_double_backward(m: Any) -> list:
    x = m.tensor(X55, requires_grad=True)
    v = m.tensor(VALUES, requires_grad=True)
    y = m._unsafe_masked_index(x, m.tensor(BIG_MASK), _idx(m), 1.0)
    z = m._unsafe_masked_index_put_accumulate(x * 2, m.tensor(BIG_MASK), _idx(m), v)
    g = m.autograd.grad((y * y).sum() + (z * z).sum(), (x, v), create_graph=True)
    return [y, z, *g, *m.autograd.grad((g[0] ** 2).sum() + (g[1] ** 2).sum(), (x, v))]


def _tangents(m: Any) -> list:
    fa = m.autograd.forward_ad
    with fa.dual_level():
        x = fa.make_dual(m.tensor(X55), m.tensor(X55) * 3)
        v = fa.make_dual(m.tensor(VALUES), m.tensor(VALUES) * -1)
        y = m._unsafe_masked_index(x, m.tensor(BIG_MASK), _idx(m), 1.0)
        z = m._unsafe_masked_index_put_accumulate(x, m.tensor(BIG_MASK), _idx(m), v)
        return [fa.unpack_dual(y).tangent, fa.unpack_dual(z).tangent]


def test_unsafe_masked_index_forward_tangents() -> None:
    """The gather's tangent to the bit; the put's within float32 rounding: torch adds the values' tangents
    into the self tangent one by one, the engine's tangent (the double-vjp) adds their sum to it."""
    (gy, gz), (wy, wz) = _tangents(engine), _tangents(torch)
    assert_identical(gy, wy)
    assert_close(gz, wz, "put tangent")


@programs
def unsafe_masked_index_edge_cases(m: Any) -> list:
    mask = m.tensor(BIG_MASK)
    return [
        m._unsafe_masked_index(m.zeros(0, 5), mask, _idx(m), 3.0),  # empty self: all fill
        m._unsafe_masked_index(m.zeros(5, 0, 3), mask, [m.tensor(ROWS)], 2.5),
        m._unsafe_masked_index(m.tensor(X55).long(), mask, _idx(m), 2.5),  # the fill truncated to the dtype
        m._unsafe_masked_index(m.tensor(X55), mask.float(), [m.tensor(ROWS).int(), m.tensor(COLS)], m.tensor(1.5)),
        m._unsafe_masked_index(m.tensor(X55), mask[:, :5], [m.tensor(ROWS)], 0.0),
        m._unsafe_masked_index_put_accumulate(m.tensor(X55), mask, _idx(m), m.tensor(VALUES)[0]),
        m._unsafe_masked_index_put_accumulate(m.tensor(X55), mask, _idx(m), m.tensor(2.0)),
        m._unsafe_masked_index_put_accumulate(m.zeros(0, 5), mask, _idx(m), m.tensor(VALUES)),
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS).float(), m.tensor(COLS)], 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS).bool(), m.tensor(COLS)], 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS), None], 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK)[:3], [m.tensor(ROWS), m.tensor(COLS)], 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS)] * 3, 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [], 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [m.zeros(3).long(), m.zeros(4).long()], 1),
        lambda m: m._unsafe_masked_index(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS), m.tensor(COLS)], 2 + 1j),
        lambda m: m._unsafe_masked_index_put_accumulate(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS), m.tensor(COLS)], m.tensor(VALUES).double()),
        lambda m: m._unsafe_masked_index_put_accumulate(m.tensor(X55), m.tensor(BIG_MASK), [m.tensor(ROWS), m.tensor(COLS)], m.tensor(VALUES)[:3]),
        lambda m: m._unsafe_masked_index_put_accumulate(m.tensor(X55), m.tensor(BIG_MASK)[:, :1], [m.tensor(ROWS), m.tensor(COLS)], m.tensor(VALUES)[:1, :3]),
    ],
    ids=["float-index", "bool-index", "none-index", "mask-broadcast", "too-many", "no-index", "index-broadcast",
         "complex-fill", "put-dtype", "put-mask-broadcast", "put-value-broadcast"],
)  # fmt: skip
def test_unsafe_masked_index_errors(call: Any) -> None:
    assert_same_error(call)


def test_unsafe_masked_index_ignores_indices_under_a_false_mask() -> None:
    """Indices far out of range under a false mask read nothing: the fill comes back (torch clamps them)."""
    far, mask = [[10**6, 2]], [[[False], [True]]]
    got = engine._unsafe_masked_index(engine.tensor(X55), engine.tensor(mask), [engine.tensor(far)], 7.0)
    want = torch._unsafe_masked_index(torch.tensor(X55), torch.tensor(mask), [torch.tensor(far)], 7.0)
    assert_identical(got, want)
    assert bool((got[0, 0] == 7).all())
    assert bool((got[0, 1] == engine.tensor(X55[2])).all())


test_programs = programs.test()
