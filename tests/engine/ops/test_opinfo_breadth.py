"""Cases found while fixing OpInfo divergences that the catalogue's samples do not reach, side by side with torch."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import assert_same_error, assert_same_result, assert_same_tensor, run_both, torch_release

# integral results: torch's parser truncates the bounds and the step (arange(0.5, 6.7, 1.5) -> 0..5)
ARANGE = {
    "dtype_long": lambda m: m.arange(0.5, 6.7, 1.5, dtype=m.int64),
    "negative_start": lambda m: m.arange(-0.5, 6.7, 1.5, dtype=m.int64),
    "out_long": lambda m: m.arange(0, 6, 1.5, out=m.empty(0, dtype=m.int64)),
}


@pytest.mark.parametrize("case", list(ARANGE))
def test_arange_integral_result_truncates(case: str) -> None:
    assert_same_result(ARANGE[case])


ERRORS = {
    "arange_nan_end": lambda m: m.arange(0, float("nan"), 2),
    "arange_truncated_step": lambda m: m.arange(0, 6, 0.5, dtype=m.int64),
    "linspace_one_dim_end": lambda m: m.linspace(0, m.zeros(2), 3),
    "logspace_float_steps": lambda m: m.logspace(m.tensor(0.0), 1, 3.0),
    "median_float_dim": lambda m: m.median(m.ones(3), 2.0),
    "max_tensor_float": lambda m: m.max(m.ones(3), 2.0),
    "mean_bool_dtype": lambda m: m.mean(m.ones(3), dtype=m.bool),
    "amax_out_double": lambda m: m.amax(m.ones(3), 0, out=m.empty(0, dtype=m.float64)),
    "gather_int16_index": lambda m: m.gather(m.ones(3, 4), 0, m.zeros(2, 2, dtype=m.int16)),
    "take_along_dim_int32": lambda m: m.take_along_dim(m.ones(3, 4), m.zeros(2, 2, dtype=m.int32), 0),
    "float_power_inplace_long": lambda m: m.ones(2, dtype=m.int64).float_power_(2),
    "addmv_inplace_broadcast": lambda m: m.zeros(1).addmv_(m.ones(2, 4), m.ones(4)),
    "addr_inplace_1d": lambda m: m.zeros(3).addr_(m.ones(2), m.ones(3)),
    "hsplit_bool": lambda m: m.hsplit(m.ones(4, 4), True),
    "radd_descriptor": lambda m: m.Tensor.__add__(2, m.ones(2)),
    "max_pool2d_empty_batch_3d": lambda m: m.nn.functional.max_pool2d(m.ones(0, 1, 10), 2),
    "adaptive_avg_pool2d_negative": lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(1, 1, 2, 2), (2, -1)),
    "sum_to_size_not_expandable": lambda m: m.ones(5, 3, 4).sum_to_size(5, 1),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_as_torch(case: str) -> None:
    if case == "arange_truncated_step" and torch_release() != "2.13":
        assert_same_result(ERRORS[case])  # torch 2.14 repeats the truncated start instead of raising
        return
    assert_same_error(ERRORS[case])


def test_reflected_operators_return_not_implemented() -> None:
    # torch's Python-level __rsub__/__rmod__/__rpow__ turn the op's TypeError into NotImplemented
    got, want = run_both(lambda m: [m.Tensor.__rsub__(2, 3), m.Tensor.__rmod__(2, 3), m.Tensor.__rpow__(2, 3)])
    assert got == want == [NotImplemented] * 3


def test_rsub_of_two_tensors_is_the_tensor_overload() -> None:
    def program(m: Any) -> Any:
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = m.tensor([3.0, 5.0], requires_grad=True)
        y = a.__rsub__(b)
        ga, gb = m.autograd.grad(y.sum(), (a, b))
        return type(y.grad_fn).__name__, y.detach(), ga, gb

    (name, *got), (want_name, *want) = run_both(program)
    assert name == want_name == "RsubBackward0"
    for g, w in zip(got, want, strict=True):
        assert_same_tensor(g, w)


def test_vector_norm_ord_zero_gives_no_grad() -> None:
    def program(m: Any) -> Any:
        x = m.tensor([1.0, 0.0, -2.0], requires_grad=True)
        return m.autograd.grad(m.linalg.vector_norm(x, 0), x, allow_unused=True)

    got, want = run_both(program)
    assert got == want == (None,)


def test_sum_to_size_nodes() -> None:
    def program(m: Any) -> Any:
        x = m.ones(5, 3, 4, requires_grad=True)
        outs = [x.sum_to_size(3, 4), x.sum_to_size(1, 1, 1), x.sum_to_size(()), x.sum_to_size(5, 3, 4)]
        return [None if y.grad_fn is None else type(y.grad_fn).__name__ for y in outs], outs[-1] is x

    got, want = run_both(program)
    assert got == want
