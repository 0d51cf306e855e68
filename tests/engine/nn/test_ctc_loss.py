"""F.ctc_loss and nn.CTCLoss against real torch, for what the catalogue's samples leave out: unbatched input,
concatenated (1-D) and int32 targets, a non-zero blank, repeated labels, empty targets and inputs, the
NotImplemented second derivative, the module, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import assert_same_nn_error, check, graph_names

T_, N_, C_ = 7, 3, 5
TARGETS = [[1, 1, 2], [3, 4, 0], [2, 0, 0]]


def _log_probs(dtype: str) -> np.ndarray:
    x = np.random.default_rng(5).standard_normal((T_, N_, C_)).astype(dtype)
    return torch.tensor(x).log_softmax(2).numpy()  # the same log-probabilities on both sides


def _compare(make_args: Any, dtype: str = "float64", **kwargs: Any) -> None:
    x = _log_probs(dtype)
    results = []
    for lib in (torch, re_):
        lp = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.ctc_loss(*make_args(lib, lp), **kwargs)
        out.backward(lib.ones_like(out))
        results.append((out, lp.grad))
    (to, tg), (eo, eg) = results
    assert graph_names(eo) == graph_names(to)
    check(eo, to, "loss")
    check(eg, tg, "grad")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_concatenated_int32_targets_and_blank(dtype: str, reduction: str) -> None:
    # blank 4: label 4 may not appear, so targets use 0..3; repeated labels force the blank between them
    flat = [1, 1, 2, 3, 0, 2]
    _compare(
        lambda lib, lp: (lp, lib.tensor(flat, dtype=lib.int32), (7, 6, 4), (3, 2, 1)),
        dtype, blank=4, reduction=reduction,
    )  # fmt: skip


def test_unbatched_input() -> None:
    for reduction in ("none", "mean", "sum"):
        _compare(lambda lib, lp: (lp[:, 0], lib.tensor(TARGETS[0]), lib.tensor(7), lib.tensor(3)), reduction=reduction)
        _compare(lambda lib, lp: (lp[:, 1], lib.tensor(TARGETS[1][:2]), [6], [2]), reduction=reduction)


def test_empty_targets_and_inputs_with_zero_infinity() -> None:
    # an empty input with a non-empty target is impossible (an infinite loss); zero_infinity zeroes it and its grad
    for zero_infinity in (False, True):
        _compare(
            lambda lib, lp: (lp, lib.tensor(TARGETS), lib.tensor([7, 0, 0]), lib.tensor([0, 0, 1])),
            reduction="none", zero_infinity=zero_infinity,
        )  # fmt: skip
    _compare(lambda lib, lp: (lp, lib.tensor(TARGETS), (2, 5, 3), (3, 3, 1)), reduction="sum", zero_infinity=True)


def test_second_derivative_is_not_implemented() -> None:
    errors = []
    names = []
    for lib in (torch, re_):
        lp = lib.tensor(_log_probs("float64"), requires_grad=True)
        loss = lib.nn.functional.ctc_loss(lp, lib.tensor(TARGETS), (7, 6, 5), (3, 2, 1))
        (g,) = lib.autograd.grad(loss, lp, create_graph=True)
        names.append(type(g.grad_fn).__name__)
        try:
            g.sum().backward()
        except RuntimeError as e:
            errors.append(str(e))
    assert names[0] == names[1] == "NotImplemented"
    assert errors[0] == errors[1] == "derivative for aten::_ctc_loss_backward is not implemented"


def test_module() -> None:
    x = _log_probs("float64")
    outs = []
    for lib in (torch, re_):
        m = lib.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
        outs.append((repr(m), m(lib.tensor(x), lib.tensor(TARGETS), (7, 6, 5), (3, 2, 1))))
    assert outs[0][0] == outs[1][0]
    check(outs[1][1], outs[0][1], "loss")


def _lp(t: Any) -> Any:
    return t.zeros(T_, N_, C_)


@pytest.mark.parametrize(
    "call",
    [
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (7, 7, 7), (3, 3, 3), blank=5),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (7, 7, 7), (3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (7, 7), (3, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (8, 7, 7), (3, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (-1, 7, 7), (3, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (7, 7, 7), (4, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (7, 7, 7), (-1, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor([1, 2, 3]), (7, 7, 7), (1, 1, 2)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS[:2]), (7, 7, 7), (1, 1, 2)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), t.tensor([7.0, 7, 7]), t.tensor([3, 3, 3])),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), t.tensor([7, 7, 7]), t.tensor([3.0, 3, 3])),
        lambda t, nn, f: f.ctc_loss(_lp(t).long(), t.tensor(TARGETS), (7, 7, 7), (3, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t).unsqueeze(0), t.tensor(TARGETS), (7, 7, 7), (3, 3, 3)),
        lambda t, nn, f: f.ctc_loss(_lp(t), t.tensor(TARGETS), (7, 7, 7), (3, 3, 3), reduction="avg"),
    ],
)  # fmt: skip
def test_errors(call: Any) -> None:
    assert_same_nn_error(call)


def test_all_targets_empty() -> None:
    # no labels at all: the extended target is the single blank state
    for reduction in ("none", "mean", "sum"):
        _compare(lambda lib, lp: (lp, lib.tensor([], dtype=lib.int64), (7, 2, 0), (0, 0, 0)), reduction=reduction)
