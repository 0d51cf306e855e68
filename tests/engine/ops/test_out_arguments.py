"""``out=`` (reference_engine/_out_arguments.py, ops.inplace.call_with_out) against torch: the values written, the
tensor returned, the casting rule, the resize warning and the autograd refusal, each side by side with torch."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as E


def outcome(fn: Callable[[Any], Any], lib: Any) -> tuple[Any, ...]:
    """What a call does: (error type and message) or (values, dtypes, identity of the result with out, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out, result = fn(lib)
        except Exception as exc:  # noqa: BLE001 - the error is the outcome
            return ("error", type(exc).__name__, str(exc).split(" (Triggered internally")[0])
    outs = out if isinstance(out, tuple) else (out,)
    results = result if isinstance(result, tuple) else (result,)
    shown = [(o.detach().numpy().tolist(), str(o.dtype).removeprefix("torch."), list(o.shape)) for o in outs]
    same = [r is o for r, o in zip(results, outs, strict=True)]
    texts = [str(w.message).split(" (Triggered internally")[0] for w in caught if w.category is UserWarning]
    return ("ok", shown, same, texts)


CASES: dict[str, Callable[[Any], Any]] = {
    "unary": lambda t: (o := t.empty(3), t.sqrt(t.tensor([0.0, 1.0, 2.0]), out=o)),
    "binary_alpha": lambda t: (o := t.empty(2), t.add(t.tensor([1.0, 2.0]), t.tensor([3.0, 4.0]), alpha=2, out=o)),
    "into_float64": lambda t: (o := t.empty(2, dtype=t.float64), t.mul(t.tensor([1.5, 2.0]), 3, out=o)),
    "bool_into_long": lambda t: (o := t.empty(3, dtype=t.long), t.eq(t.tensor([1.0, 2, 3]), 2.0, out=o)),
    "float_into_long": lambda t: (o := t.empty(2, dtype=t.long), t.sin(t.tensor([1.0, 2.0]), out=o)),
    "resized_with_warning": lambda t: (o := t.empty(2, 2), t.neg(t.tensor([0.0, 1.0, 2.0]), out=o)),
    "empty_resized_silently": lambda t: (o := t.empty(0), t.matmul(t.ones(2, 3), t.ones(3), out=o)),
    "tuple_out": lambda t: (o := (t.empty(0), t.empty(0, dtype=t.long)), t.max(t.tensor([[1.0, 5], [7, 2]]), 1, out=o)),
    "needs_grad": lambda t: (o := t.empty(2), t.add(t.ones(2, requires_grad=True), 1, out=o)),
    "out_needs_grad": lambda t: (o := t.zeros(2, requires_grad=True), t.cos(t.ones(2), out=o)),
    "no_grad_is_fine": lambda t: (o := t.empty(2), _no_grad(t, lambda: t.add(t.ones(2, requires_grad=True), 1, out=o))),
    "linalg": lambda t: (o := t.empty(()), t.linalg.det(t.eye(3) * 2, out=o)),
    "special": lambda t: (o := t.empty(2), t.special.expit(t.tensor([0.0, 1.0]), out=o)),
    "functional": lambda t: (o := t.empty(2, 2), t.nn.functional.linear(t.eye(2), t.ones(2, 2), out=o)),
    "not_a_tensor": lambda t: (o := 5, t.sin(t.ones(2), out=o)),
    "cat": lambda t: (o := t.empty(4), t.cat([t.ones(2), t.zeros(2)], out=o)),
}  # fmt: skip


def _no_grad(t: Any, fn: Callable[[], Any]) -> Any:
    with t.no_grad():
        return fn()


@pytest.mark.parametrize("case", sorted(CASES))
def test_out_matches_torch(case: str) -> None:
    expected, actual = outcome(CASES[case], torch), outcome(CASES[case], E)
    assert actual == expected


def test_the_out_tensor_keeps_its_identity_and_version_counter() -> None:
    out = E.zeros(3)
    before = out._version
    result = E.sqrt(E.tensor([1.0, 4.0, 9.0]), out=out)
    assert result is out and out._version > before
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0, 3.0])
