"""The seed blog post's autograd examples (rows of shared/seed/NOTES.md), run on torch and on the engine.

Each test runs the same code with ``lib`` bound to real torch and to
``reference_engine`` and compares what comes out: values (through
``compare_arrays``), dtypes, ``requires_grad``, and errors (type and exact
message). Rows 2, 4 and 14 need ``nn`` and are tested with it elsewhere. Rows that only
compare results or errors are ``@same_result`` / ``@same_error_full`` programs, run by
``test_same_result`` / ``test_same_error_full`` at the end.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch

from tests.helpers import (
    ProgramTable,
    assert_same_error,
    assert_same_error_full,
    assert_same_result,
    assert_same_tensor,
    run_both,
)

same_result = ProgramTable(assert_same_result)
same_error_full = ProgramTable(assert_same_error_full)


# --------------------------------------------------------------------------- rows
def test_row1_int_tensor_does_not_require_grad() -> None:
    got, want = run_both(lambda lib: lib.tensor([1, 2, 3]))
    assert want.requires_grad is False
    assert_same_tensor(got, want)


def test_row3_requires_grad_propagates() -> None:
    def prog(lib: Any) -> tuple:
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = lib.tensor([4.0, 5.0, 6.0])
        return x * c, c * c

    (g1, g2), (w1, w2) = run_both(prog)
    assert w1.requires_grad and not w2.requires_grad
    assert_same_tensor(g1, w1)
    assert_same_tensor(g2, w2)


def _x(lib: Any) -> Any:
    return lib.tensor([1.0, 2.0, 3.0], requires_grad=True)


@same_result
def row5_sum_backward(lib: Any) -> Any:
    x = _x(lib)
    y = lib.sum(x * 2)
    y.backward()
    return x.grad


def test_row6_implicit_grad_needs_scalar() -> None:
    def prog(lib: Any) -> None:
        y = _x(lib) * 2
        y.backward()

    want = assert_same_error_full(prog)
    assert str(want) == "grad can be implicitly created only for scalar outputs"


@pytest.mark.parametrize("seed", [[1, 1, 1], [1, 2, 2]], ids=["row7_int_ones", "row8_int_122"])
def test_rows_7_8_integer_seed_is_cast(seed: list[int]) -> None:
    def prog(lib: Any) -> Any:
        x = _x(lib)
        y = x * 2
        y.backward(lib.tensor(seed))
        return x.grad

    got, want = run_both(prog)
    assert want.dtype == torch.float32
    assert_same_tensor(got, want)


def test_row9_integer_tensor_cannot_require_grad() -> None:
    want = assert_same_error(lambda lib: lib.tensor(2, requires_grad=True))
    assert str(want) == "Only Tensors of floating point and complex dtype can require gradients"


@same_result
def row9_float_scalar_grad_is_zero(lib: Any) -> Any:
    # the post's intent with a float leaf: a.grad is tensor(0.)
    a = lib.tensor(2.0, requires_grad=True)
    b = a * 0
    b.backward()
    return a.grad


@same_result
def row10_retain_graph_accumulates(lib: Any) -> Any:
    x = _x(lib)
    y = x * 2
    y.backward(lib.tensor([1, 2, 2]), retain_graph=True)
    y.backward(lib.tensor([1, 2, 2]), retain_graph=True)
    return x.grad


@same_result
def row11_zero_between_calls(lib: Any) -> Any:
    x = _x(lib)
    y = x * 2
    y.backward(lib.tensor([1, 2, 2]), retain_graph=True)
    x.grad.zero_()
    y.backward(lib.tensor([1, 2, 2]))
    return x.grad


@pytest.mark.parametrize("build", ["mul_scalar", "sum_mul", "mul_tensor"])
def test_row12_second_backward_raises(build: str) -> None:
    def prog(lib: Any) -> None:
        x = _x(lib)
        if build == "mul_scalar":
            y = x * 2
            seed = lib.tensor([1.0, 1.0, 1.0])
        elif build == "sum_mul":
            y = (x * x).sum()
            seed = None
        else:
            y = x * lib.tensor([1.0, 2.0, 3.0])
            seed = lib.tensor([1.0, 1.0, 1.0])
        y.backward(seed)
        y.backward(seed)

    assert_same_error_full(prog)


@same_error_full
def row13_seed_shape_mismatch(lib: Any) -> None:
    y = _x(lib) * 2
    y.backward(lib.tensor([1.0, 2.0]))


# --------------------------------------------------------------------------- other behaviours in NOTES.md
def test_pow_with_int_tensor_exponent_is_float32() -> None:
    def prog(lib: Any) -> Any:
        x = lib.linspace(-1.0, 1.0, 5)
        return x.unsqueeze(-1).pow(lib.tensor([1, 2, 3]))

    got, want = run_both(prog)
    assert want.dtype == torch.float32
    assert_same_tensor(got, want)


@same_error_full
def backward_on_tensor_without_grad(lib: Any) -> None:
    y = lib.tensor([1.0, 2.0]).sum()
    y.backward()


def _grad_of_nonleaf(lib: Any) -> list[warnings.WarningMessage]:
    x = _x(lib)
    y = x * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert y.grad is None
    return caught


def test_nonleaf_grad_warns() -> None:
    got, want = run_both(_grad_of_nonleaf)
    assert len(want) == 1 and len(got) == 1
    assert got[0].category is want[0].category is UserWarning
    assert str(got[0].message) == strip_cpp_origin(str(want[0].message))


def strip_cpp_origin(msg: str) -> str:
    """Drop torch's " (Triggered internally at <C++ source path>.)": a fact about torch's build, not its API."""
    return msg.split(" (Triggered internally at ", maxsplit=1)[0]


def test_nonleaf_grad_warning_points_at_caller() -> None:
    # torch attributes the warning to the line reading .grad (stacklevel): same file here
    got, want = run_both(_grad_of_nonleaf)
    assert got[0].filename == want[0].filename == __file__


@same_error_full
def iadd_on_leaf_raises(lib: Any) -> None:
    x = _x(lib)
    x += 1


test_same_result = same_result.test()
test_same_error_full = same_error_full.test()
