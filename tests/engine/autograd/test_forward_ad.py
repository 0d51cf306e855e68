"""Forward AD's machinery: the engine is left as it was after a level, whatever happens inside it."""

import numpy as np
import pytest
import torch

import reference_engine as re_
from reference_engine.autograd import forward_ad as fw


def _codes():
    return {id(fn): fn.__code__ for fn, _ in fw._ops().values()}


def test_a_level_swaps_code_and_puts_it_back():
    before = _codes()
    with fw.dual_level():
        assert re_.sin.__code__ is not before[id(re_.sin)]
    assert _codes() == before
    assert re_.sin.__kwdefaults__ == {"out": None}


def test_an_error_inside_a_level_still_exits_it():
    before = _codes()
    with pytest.raises(ValueError), fw.dual_level():
        raise ValueError("inside")
    assert _codes() == before
    assert fw._current_level == -1
    with fw.dual_level() as level:  # a new level can be entered
        assert level == 0


def test_a_failing_op_inside_a_level_leaves_no_wrapper_busy():
    with fw.dual_level():
        d = fw.make_dual(re_.ones(3), re_.ones(3))
        with pytest.raises(RuntimeError):
            d + re_.ones(2)
        assert fw._busy == [0]
        assert fw.unpack_dual(d * 2).tangent is not None


@pytest.mark.parametrize("name", ["sin", "exp", "tanh", "sigmoid", "log1p", "erf", "atan"])
def test_tangent_of_unary_ops_is_derivative_times_tangent(name):
    x = np.linspace(0.1, 0.9, 5)
    t = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
    with fw.dual_level():
        got = fw.unpack_dual(getattr(re_, name)(fw.make_dual(re_.tensor(x), re_.tensor(t)))).tangent
    xt = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(getattr(torch, name)(xt).sum(), xt)  # elementwise: d/dx f(x) from torch
    np.testing.assert_allclose(got.numpy(), g.numpy() * t, rtol=1e-12)


def test_random_ops_draw_once_per_call():
    re_.manual_seed(3)
    expected = re_.nn.functional.dropout(re_.ones(8), 0.5), re_.rand(2)
    re_.manual_seed(3)
    with fw.dual_level():
        out = re_.nn.functional.dropout(fw.make_dual(re_.ones(8), re_.ones(8)), 0.5)
        after = re_.rand(2)
        np.testing.assert_array_equal(fw.unpack_dual(out).tangent.numpy(), expected[0].numpy())
    np.testing.assert_array_equal(out.numpy(), expected[0].numpy())
    np.testing.assert_array_equal(after.numpy(), expected[1].numpy())
