"""In-place view ops (t_, squeeze_ ...), as_strided, resize_, unfold, the unsafe splits and the *_copy ops
against real torch, in the cases the op catalogue's samples do not reach: views of views, in-place ops
after an in-place view op, storage offsets, overlapping windows, storage sharing and version counters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from conformance.compare import Tolerance
from tests.helpers import assert_same_error, assert_same_result, check_program, graph_tree

A = np.random.default_rng(7).standard_normal((3, 4))
TIGHT = Tolerance(rtol=1e-12, atol=1e-12)


def _tight(_: Any) -> Tolerance:
    return TIGHT


# --------------------------------------------------------------------------- in-place view ops
IN_PLACE_VIEWS = {
    "t_": lambda y: y.t_(),
    "transpose_": lambda y: y.transpose_(0, 1),
    "swapaxes_": lambda y: y.swapaxes_(0, -1),
    "swapdims_": lambda y: y.swapdims_(1, 0),
    "unsqueeze_": lambda y: y.unsqueeze_(1),
    "squeeze_()": lambda y: y.unsqueeze_(0).squeeze_(),
    "squeeze_(dim)": lambda y: y.unsqueeze_(0).squeeze_(0),
    "squeeze_(dims)": lambda y: y.unsqueeze_(0).squeeze_((0, 1)),
    "as_strided_": lambda y: y.as_strided_((2, 2), (1, 2), 1),
}


@pytest.mark.parametrize("op", list(IN_PLACE_VIEWS.values()), ids=list(IN_PLACE_VIEWS))
def test_in_place_view_of_a_view_then_in_place_op(op: Any) -> None:
    # the in-place view op chains onto the view's history; the mul_ after it routes its grad into the base
    def program(m: Any, x: Any) -> Any:
        base = x * x  # not linear, so the second-order grads are not all zero
        v = base[1:]
        op(v)
        v.mul_(2)
        return base, v

    check_program(program, [A], order=2, value_tolerance=_tight, grad_tolerance=TIGHT)


@pytest.mark.parametrize("op", list(IN_PLACE_VIEWS.values()), ids=list(IN_PLACE_VIEWS))
def test_in_place_view_keeps_storage_and_bumps_version(op: Any) -> None:
    def program(m: Any) -> Any:
        y = m.tensor(A) * 1
        v0, ptr = y._version, y.data_ptr()
        r = op(y)
        return r is y, y._version - v0, y.data_ptr() == ptr, tuple(y.shape), y.grad_fn is None

    assert_same_result(program)


@pytest.mark.parametrize("op", list(IN_PLACE_VIEWS.values()), ids=list(IN_PLACE_VIEWS))
def test_in_place_view_of_a_leaf_that_requires_grad(op: Any) -> None:
    assert_same_error(lambda m: op(m.tensor(A, requires_grad=True)))


# --------------------------------------------------------------------------- as_strided
def test_as_strided_reads_the_storage_of_a_view() -> None:
    # no storage_offset: the view's own (1 * 4 here); an explicit one counts from the storage's start
    def program(m: Any, x: Any) -> Any:
        v = (x * x)[1:]
        return v.as_strided((2, 3), (1, 2)), v.as_strided((2, 2), (3, 1), 0)

    check_program(program, [A], order=2, value_tolerance=_tight, grad_tolerance=TIGHT)


def test_as_strided_overlapping_grad_adds_up() -> None:
    check_program(
        lambda m, x: m.as_strided(x * x, (3, 3), (1, 1)), [A.reshape(-1)], order=2, value_tolerance=_tight,
        grad_tolerance=TIGHT,
    )  # fmt: skip


def test_as_strided_out_of_storage() -> None:
    assert_same_error(lambda m: m.tensor(A)[1:].as_strided((3, 3), (3, 1)))


def test_as_strided_is_a_view() -> None:
    def program(m: Any) -> Any:
        x = m.tensor(A)
        v = x.as_strided((2,), (5,), 1)
        v.add_(1)
        return x, v._base is x, x._version

    assert_same_result(program)


# --------------------------------------------------------------------------- resize_
def test_resize_of_a_strided_view_and_growing() -> None:
    def program(m: Any) -> Any:
        a = m.arange(6.0)
        b = a[::2]
        v0 = b._version
        b.resize_(2)
        c = m.arange(4.0)
        c.resize_(2, 2)
        d = m.arange(3.0)
        d.resize_(1, 3)
        return b, b.stride(), b._version - v0, c, c.stride(), d

    assert_same_result(program)


def test_resize_refused_when_requiring_grad() -> None:
    assert_same_error(lambda m: m.tensor(A, requires_grad=True).resize_(12))


# --------------------------------------------------------------------------- unfold, unsafe splits, copies
def test_unfold_overlapping_windows() -> None:
    check_program(
        lambda m, x: (x * x).unfold(1, 3, 1).unfold(0, 2, 1), [A], order=2, value_tolerance=_tight, grad_tolerance=TIGHT
    )


def test_unsafe_split_pieces_are_not_views() -> None:
    def program(m: Any) -> Any:
        x = m.tensor(A, requires_grad=True) * 1
        pieces = m.unsafe_split(x, 2, 1)
        pieces[0].mul_(3)  # allowed: autograd does not track them as views of x
        return pieces[0]._base is None, graph_tree(pieces[0]), m.split(x, 2, 1)[0]._base is x

    assert_same_result(program)


COPIES = {
    "t_copy": lambda m, x: m.t_copy(x),
    "permute_copy": lambda m, x: m.permute_copy(x, (1, 0)),
    "unfold_copy": lambda m, x: m.unfold_copy(x, 1, 2, 1),
    "as_strided_copy": lambda m, x: m.as_strided_copy(x, (2, 2), (1, 2)),
    "expand_copy": lambda m, x: m.expand_copy(x[:1], (2, 4)),
    "narrow_copy": lambda m, x: m.narrow_copy(x, 1, 1, 2),
}


@pytest.mark.parametrize("fn", list(COPIES.values()), ids=list(COPIES))
def test_copies_own_their_storage(fn: Any) -> None:
    def program(m: Any) -> Any:
        x = m.tensor(A, requires_grad=True)
        y = fn(m, x)
        return y._base is None, y.is_contiguous(), graph_tree(y)

    assert_same_result(program)
    check_program(lambda m, x: fn(m, x * x), [A], order=2, value_tolerance=_tight, grad_tolerance=TIGHT)


def test_engine_copy_does_not_alias() -> None:
    x = engine.tensor(A)
    y = engine.t_copy(x)
    y.zero_()
    assert torch.equal(torch.tensor(x.numpy()), torch.tensor(A))


@pytest.mark.parametrize("op", list(IN_PLACE_VIEWS.values()), ids=list(IN_PLACE_VIEWS))
def test_in_place_view_under_forward_ad_keeps_the_tangent_layout(op: Any) -> None:
    # torch applies the op to the tangent in place: as_strided on the result then reads the same positions
    def program(m: Any) -> Any:
        fa = m.autograd.forward_ad
        with fa.dual_level():
            d = fa.make_dual(m.tensor(A), m.tensor(A * 0.5 + 1))
            y = d * d
            op(y)
            tangent = fa.unpack_dual(y).tangent
            z = y.as_strided((2, 2), (1, 2), 1)
            return tangent.detach().clone(), tangent.stride(), fa.unpack_dual(z).tangent.detach().clone()

    assert_same_result(program)


# --------------------------------------------------------------------------- x += y / x -= y under no_grad
def _no_grad_step(m: Any) -> list[Any]:
    """A hand-written SGD step and its neighbours: the values, version counters and identities torch gives."""
    p = m.nn.Parameter(m.tensor(A, dtype=m.float32))
    p.grad = m.tensor(A[::-1].copy(), dtype=m.float32)
    base = m.tensor(A, dtype=m.float64)
    view = base[1:, ::2]
    out: list[Any] = []
    with m.no_grad():
        q = p
        q -= 0.5 * p.grad  # the seed's update
        out += [q is p, p._version, p.requires_grad, p.grad_fn is None]
        view += m.ones(2, 2, dtype=m.float64)  # through a strided view: the base changes, one counter
        out += [base._version, view._version]
        x = m.tensor([np.inf, 1.0, -0.0], dtype=m.float32)
        x -= m.tensor([np.inf, 2.0, 0.0], dtype=m.float32)  # inf - inf stays silent; -0 - 0 is -0
        out.append(x)
    return [*out, p.detach(), base]


def test_in_place_add_sub_under_no_grad_match_torch() -> None:
    got, want = _no_grad_step(engine), _no_grad_step(torch)
    for g, w in zip(got, want, strict=True):
        if isinstance(w, torch.Tensor):
            assert g.dtype.itemsize == w.dtype.itemsize
            np.testing.assert_array_equal(g.numpy(), w.numpy())
            assert np.signbit(g.numpy()).tolist() == np.signbit(w.numpy()).tolist()
        else:
            assert g == w


def test_in_place_sub_of_an_inference_tensor_outside_the_mode() -> None:
    def run(m: Any) -> Any:
        with m.inference_mode():
            x = m.zeros(3)
        with m.no_grad():
            x -= m.ones(3)

    assert_same_error(run)
