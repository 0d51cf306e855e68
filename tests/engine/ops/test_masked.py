"""torch.masked's reductions and normalizations (reference_engine/masked) against real torch, for the cases the
catalogue's samples (op_db's masked.* entries) leave out: integer, bool and complex inputs, non-bool and
broadcast masks, fully masked-out rows, 0-dim and empty inputs, the dtype/keepdim/correction/eps keywords, and
the argument checks of torch/masked/_ops.py.

The differentiable cases run through ``tests.helpers.check_xv_program`` (values, dtypes, the grad_fn tree and the
leaves' gradients from the same float64 leaves x: 3x4 and v: 4 on both libraries); the others compare the
result tensor, and the error cases torch's exception type and whole message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from conformance.compare import Tolerance
from tests.helpers import (
    XV_GRAD_TOLERANCE,
    assert_same_error_full,
    assert_same_result,
    check_program,
    check_xv_program,
)
from tests.helpers import xv_value_tolerance as _xv_value_tolerance

Fn = Callable[[Any, Any, Any], Any]
_RNG = np.random.default_rng(7)
X = _RNG.standard_normal((3, 4))
V = _RNG.standard_normal(4)
# row 1 fully masked out: the reductions' identity (or NaN for mean/var/std/median) shows there
MASK = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
XI = np.array([[3, -1, 7, 2], [0, 5, -2, 8], [1, 1, 4, -6]], dtype=np.int32)


def mask(m: Any) -> Any:
    return m.tensor(MASK)


DIFFERENTIABLE: dict[str, Fn] = {
    "sum_dims_list_keepdim": lambda m, x, v: m.masked.sum(x, [1, 0], keepdim=True, mask=mask(m)),
    "sum_dim_empty_tuple_is_all": lambda m, x, v: m.masked.sum(x, (), mask=mask(m)),
    "sum_dtype_float32": lambda m, x, v: m.masked.sum(x, (0, 1), dtype=m.float32, mask=mask(m)),
    "sum_int_mask": lambda m, x, v: m.masked.sum(x, 1, mask=m.tensor(MASK.astype(np.int64))),
    "sum_float_mask_nonzero_is_true": lambda m, x, v: m.masked.sum(x, 1, mask=m.tensor(MASK * 0.5)),
    "sum_broadcast_row_mask": lambda m, x, v: m.masked.sum(x, 0, mask=m.tensor(MASK[0])),
    "prod_two_dims": lambda m, x, v: m.masked.prod(x, (0, 1), mask=mask(m)),
    "prod_keepdim_all": lambda m, x, v: m.masked.prod(x, None, keepdim=True, mask=mask(m)),
    "cumsum_dtype": lambda m, x, v: m.masked.cumsum(x, -1, dtype=m.float32, mask=mask(m)),
    "cumprod_dim0": lambda m, x, v: m.masked.cumprod(x, 0, mask=mask(m)),
    "amax_tuple_keepdim": lambda m, x, v: m.masked.amax(x, (0, 1), keepdim=True, mask=mask(m)),
    "amax_dtype": lambda m, x, v: m.masked.amax(x, 0, dtype=m.float32, mask=mask(m)),
    "amin_tie_split": lambda m, x, v: m.masked.amin(
        x[:, :3] * 0 + m.tensor([1.0, 1.0, 0.5], dtype=m.float64), 1, mask=m.tensor([True, True, False])
    ),
    "mean_all_keepdim": lambda m, x, v: m.masked.mean(x, (0, 1), keepdim=True, mask=mask(m)),
    "mean_fully_masked_row": lambda m, x, v: m.masked.mean(x, 1, mask=mask(m)),
    "mean_no_mask": lambda m, x, v: m.masked.mean(x, 0),
    "mean_dtype_float32": lambda m, x, v: m.masked.mean(x, 1, dtype=m.float32, mask=mask(m)),
    "median_keepdim": lambda m, x, v: m.masked.median(x, 0, keepdim=True, mask=mask(m)),
    "median_no_mask_last_dim": lambda m, x, v: m.masked.median(x),
    "logsumexp_all_keepdim": lambda m, x, v: m.masked.logsumexp(x, keepdim=True, mask=mask(m)),
    "logaddexp_both_masks": lambda m, x, v: m.masked.logaddexp(x, -x, input_mask=mask(m), other_mask=m.tensor(MASK[2])),
    "logaddexp_broadcast_other": lambda m, x, v: m.masked.logaddexp(x, v, input_mask=mask(m)),
    "logaddexp_dtype": lambda m, x, v: m.masked.logaddexp(x, v, dtype=m.float32, other_mask=m.tensor(MASK[0])),
    "norm_inf": lambda m, x, v: m.masked.norm(x, math.inf, 1, mask=mask(m)),
    "norm_neg_inf_identity_inf": lambda m, x, v: m.masked.norm(x, -math.inf, 1, mask=mask(m)),
    "norm_zero": lambda m, x, v: m.masked.norm(x, 0, (0, 1), mask=mask(m)),
    "norm_3_5": lambda m, x, v: m.masked.norm(x, 3.5, 0, mask=mask(m)),
    "norm_default_ord_all_dims": lambda m, x, v: m.masked.norm(x, mask=mask(m)),
    "norm_dtype_up": lambda m, x, v: m.masked.norm(x.float(), 2, 1, dtype=m.float64, mask=mask(m)),
    "normalize_eps_floor": lambda m, x, v: m.masked.normalize(x, 1, 0, eps=0.5, mask=mask(m)),
    "normalize_inf": lambda m, x, v: m.masked.normalize(x, math.inf, 1, mask=mask(m)),
    "normalize_no_mask": lambda m, x, v: m.masked.normalize(x, 2.0, 1),
    "var_unbiased_false": lambda m, x, v: m.masked.var(x, 1, False, mask=mask(m)),
    "var_correction_2_keepdim": lambda m, x, v: m.masked.var(x, (0, 1), correction=2, keepdim=True, mask=mask(m)),
    "var_correction_float": lambda m, x, v: m.masked.var(x, 1, correction=0.5, mask=mask(m)),
    "var_correction_0": lambda m, x, v: m.masked.var(x, 1, correction=0, mask=mask(m)),
    "var_no_mask_all": lambda m, x, v: m.masked.var(x),
    "std_keepdim_biased": lambda m, x, v: m.masked.std(x, 0, keepdim=True, unbiased=False, mask=mask(m)),
    "softmax_dtype_up": lambda m, x, v: m.masked.softmax(x.float(), 0, dtype=m.float64, mask=mask(m)),
    "log_softmax_masked_row": lambda m, x, v: m.masked.log_softmax(x, 1, mask=mask(m)),
    "softmin_dim0": lambda m, x, v: m.masked.softmin(x, 0, mask=mask(m)),
    "softmax_no_mask": lambda m, x, v: m.masked.softmax(x, -1),
    "zero_dim_amax": lambda m, x, v: m.masked.amax(x[0, 0], 0, mask=m.tensor(True)),
    "zero_dim_cumsum_masked_out": lambda m, x, v: m.masked.cumsum(x[0, 0], -1, mask=m.tensor(False)),
    "zero_dim_var": lambda m, x, v: m.masked.var(x[0, 0], 0, mask=m.tensor(True)),
    "empty_sum": lambda m, x, v: m.masked.sum(x[:0], 0, mask=m.tensor(np.zeros((0, 4), bool))),
    "empty_mean": lambda m, x, v: m.masked.mean(x[:0], 0, mask=m.tensor(np.zeros((0, 4), bool))),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_masked_program_matches_torch(name: str) -> None:
    check_xv_program(DIFFERENTIABLE[name], X, V)


# the gradient flows through float32 ops (sums of squares, a division) before reaching the float64 leaf: the same
# formulas, rounded in float32 in other orders
FLOAT32_GRADS = Tolerance(1e-5, 1e-6, "float32 intermediate grads, the same formulas summed in other orders")
FLOAT32_PATH: dict[str, Fn] = {
    "std_dtype_float32": lambda m, x, v: m.masked.std(x, 1, dtype=m.float32, mask=mask(m)),
    "var_dtype_float32": lambda m, x, v: m.masked.var(x, 0, dtype=m.float32, mask=mask(m)),
}


@pytest.mark.parametrize("name", list(FLOAT32_PATH))
def test_masked_float32_program_matches_torch(name: str) -> None:
    check_program(
        FLOAT32_PATH[name],
        (X, V),
        value_tolerance=_xv_value_tolerance,
        grad_tolerance=FLOAT32_GRADS,
        float64_weights=True,
    )


SECOND_ORDER: dict[str, Fn] = {
    "prod": lambda m, x, v: m.masked.prod(x, 1, mask=mask(m)),
    "var": lambda m, x, v: m.masked.var(x, 0, mask=mask(m)),
    "softmax": lambda m, x, v: m.masked.softmax(x, 1, mask=m.tensor(MASK[0])),
    "normalize": lambda m, x, v: m.masked.normalize(x, 2, 0, mask=mask(m)),
    "logsumexp": lambda m, x, v: m.masked.logsumexp(x, 0, mask=mask(m)),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_masked_double_backward_matches_torch(name: str) -> None:
    check_program(
        SECOND_ORDER[name],
        (X, V),
        order=2,
        value_tolerance=_xv_value_tolerance,
        grad_tolerance=XV_GRAD_TOLERANCE,
        float64_weights=True,
    )


def _int(m: Any, dtype: str = "int32") -> Any:
    return m.tensor(XI.astype(dtype))


def _x(m: Any) -> Any:
    return m.tensor(X)


NOT_DIFFERENTIABLE: dict[str, Callable[[Any], Any]] = {
    # sum/prod accumulate small integers and bool in int64; the others keep the input's dtype
    "sum_int32_to_int64": lambda m: m.masked.sum(_int(m), 1, mask=mask(m)),
    "sum_bool_to_int64": lambda m: m.masked.sum(mask(m), mask=m.tensor(MASK[0])),
    "sum_int32_dtype_stays_int32": lambda m: m.masked.sum(_x(m), 1, dtype=m.int32, mask=mask(m)),
    "sum_int8_dtype_wraps": lambda m: m.masked.sum(m.tensor(XI * 40), 1, dtype=m.int8, mask=mask(m)),
    "prod_int8_no_mask": lambda m: m.masked.prod(_int(m, "int8"), 1),
    "prod_int_masked": lambda m: m.masked.prod(_int(m), (0, 1), mask=mask(m)),
    "cumsum_int_keeps_int32": lambda m: m.masked.cumsum(_int(m), 1, mask=mask(m)),
    "cumprod_int": lambda m: m.masked.cumprod(_int(m), 0, mask=mask(m)),
    "amax_int_identity_min": lambda m: m.masked.amax(_int(m), 1, mask=mask(m)),
    "amax_uint8_identity_0": lambda m: m.masked.amax(m.tensor(np.abs(XI).astype(np.uint8)), 1, mask=mask(m)),
    "amin_int_identity_max": lambda m: m.masked.amin(_int(m, "int64"), 0, mask=mask(m)),
    "amax_uint8_mask": lambda m: m.masked.amax(m.tensor(X), 1, mask=m.tensor(MASK.astype(np.uint8))),
    # argmax/argmin give the index in the input's dtype unless dtype= says otherwise
    "argmax_int": lambda m: m.masked.argmax(_int(m), 1, mask=mask(m)),
    "argmax_float_all": lambda m: m.masked.argmax(m.tensor(X), mask=mask(m)),
    "argmin_int64_dtype_keepdim": lambda m: m.masked.argmin(m.tensor(X), 0, keepdim=True, dtype=m.int64, mask=mask(m)),
    "mean_int_with_float_dtype": lambda m: m.masked.mean(_int(m), 1, dtype=m.float64, mask=mask(m)),
    "median_int_no_masked_out_row": lambda m: m.masked.median(_int(m), 1, mask=m.tensor(MASK[0])),
    "logsumexp_int": lambda m: m.masked.logsumexp(_int(m), 1, mask=mask(m)),
    "var_int_to_float32": lambda m: m.masked.var(_int(m), 1, mask=mask(m)),
    "sum_complex": lambda m: m.masked.sum(m.tensor(X + 1j * X, dtype=m.complex64), 1, mask=mask(m)),
    "mean_complex": lambda m: m.masked.mean(m.tensor(X + 1j * X), 1, mask=mask(m)),
    "logsumexp_complex": lambda m: m.masked.logsumexp(m.tensor(X + 1j * X), 1, mask=mask(m)),
    "sum_float16": lambda m: m.masked.sum(m.tensor(X, dtype=m.float16), 1, mask=mask(m)),
    "mean_float16": lambda m: m.masked.mean(m.tensor(X, dtype=m.float16), 1, mask=mask(m)),
}


@pytest.mark.parametrize("name", list(NOT_DIFFERENTIABLE))
def test_masked_result_matches_torch(name: str) -> None:
    assert_same_result(NOT_DIFFERENTIABLE[name])


ERRORS: dict[str, Callable[[Any], Any]] = {
    "dim_repeated": lambda m: m.masked.sum(_x(m), (1, -1), mask=mask(m)),
    "dim_out_of_range": lambda m: m.masked.amax(_x(m), 2, mask=mask(m)),
    "dim_out_of_range_zero_dim": lambda m: m.masked.sum(m.tensor(1.5), 1, mask=m.tensor(True)),
    "logsumexp_dim_repeated": lambda m: m.masked.logsumexp(_x(m), (0, 0), mask=mask(m)),
    "softmax_dim_out_of_range": lambda m: m.masked.softmax(_x(m), 5, mask=mask(m)),
    "mask_more_dims_than_input": lambda m: m.masked.sum(_x(m), 1, mask=m.tensor(MASK[None])),
    "mask_not_broadcastable": lambda m: m.masked.sum(_x(m), 1, mask=m.tensor(MASK[:2])),
    "mean_int_input": lambda m: m.masked.mean(_int(m), 1, mask=mask(m)),
    "mean_int_dtype": lambda m: m.masked.mean(_x(m), 1, dtype=m.int64, mask=mask(m)),
    "mean_bool_input": lambda m: m.masked.mean(mask(m), 1, mask=mask(m)),
    "median_int_fully_masked_row": lambda m: m.masked.median(_int(m), 1, mask=mask(m)),
    "var_unbiased_and_correction": lambda m: m.masked.var(_x(m), 1, True, correction=1, mask=mask(m)),
    "amax_complex_has_no_identity": lambda m: m.masked.amax(m.tensor(X + 1j * X), 1, mask=mask(m)),
    "argmin_bool_has_no_identity": lambda m: m.masked.argmin(mask(m), 1, mask=mask(m)),
    "argmax_tuple_dim": lambda m: m.masked.argmax(_x(m), (0,), mask=mask(m)),
    "logaddexp_int": lambda m: m.masked.logaddexp(_int(m), _int(m), input_mask=mask(m)),
    "norm_int_to_float": lambda m: m.masked.norm(_int(m), 2, 1, mask=mask(m)),
    "softmax_int_to_float": lambda m: m.masked.softmax(_int(m), 0, mask=mask(m)),
    "zero_dim_mean_dim_1": lambda m: m.masked.mean(_x(m)[0, 0], 1, mask=m.tensor(True)),
    "sum_integral_dtype_on_graph": lambda m: m.masked.sum(
        m.tensor(X, requires_grad=True), 1, dtype=m.int32, mask=mask(m)
    ),
    "mask_is_a_list": lambda m: m.masked.sum(_x(m), 0, mask=[True, False, True]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_masked_error_matches_torch(name: str) -> None:
    assert_same_error_full(ERRORS[name])


def test_norm_ord_none_is_refused_like_torch() -> None:
    """masked.norm passes ord on to linalg.vector_norm, which refuses None with a TypeError (the parser's wording
    depends on how ord was passed; the engine's names no position)."""
    with pytest.raises(TypeError, match=r"argument 'ord' .*must be Number, not NoneType"):
        torch.masked.norm(torch.tensor(X), None, 1, mask=torch.tensor(MASK))
    with pytest.raises(TypeError, match="argument 'ord' must be Number, not NoneType"):
        engine.masked.norm(engine.tensor(X), None, 1, mask=engine.tensor(MASK))


def test_namespace_matches_torch_functions() -> None:
    """The public functions of torch.masked (MaskedTensor and its helpers aside) and the ``_ops`` module path."""
    torch_functions = {n for n in torch.masked.__all__ if n[0].islower() and "masked_tensor" not in n}
    assert set(engine.masked.__all__) == torch_functions
    assert engine.masked._ops.softmax is engine.masked.softmax
