"""Dropout, Dropout1d and Dropout2d: torch's draws (the same masks from the same seed, the generator moved on by
as much), in-place forms, eval mode and errors; Dropout's rule where the mask stream differs by design.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    as_engine,
    check,
    check_tight,
    grad_fn_name,
    run_and_compare,
)

TF = torch.nn.functional


def test_dropout_train_scales_kept_elements() -> None:
    # The mask stream differs from torch's by design; the rule is: zero or x / (1 - p).
    x = re_.ones(2000, dtype=re_.float64)
    y = enn.Dropout(0.25)(x)
    vals = np.unique(np.asarray(y._data))
    assert set(vals.tolist()) <= {0.0, 1 / 0.75}
    assert 0.2 < float((np.asarray(y._data) == 0).mean()) < 0.3
    assert enn.Dropout(0.25).eval()(x) is x


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("shape", [(3, 5, 4), (6, 4)])
@pytest.mark.parametrize("p", [0.4, 1.0])
def test_dropout1d_draws_like_torch(shape: tuple, p: float, tdt: torch.dtype, edt: Any) -> None:
    x = torch.randn(shape, dtype=tdt)
    tm, em = torch.nn.Dropout1d(p), enn.Dropout1d(p)
    assert repr(em) == repr(tm)
    torch.manual_seed(8)
    re_.manual_seed(8)
    run_and_compare(tm, em, x, seed_grad=False)  # no extra draws from torch's generator
    check(re_.rand(4, dtype=edt), torch.rand(4, dtype=tdt), "generator moved on by as much")
    assert em.eval()(as_engine(x)).tolist() == x.tolist()


def test_dropout1d_inplace_matches_torch() -> None:
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    outs = []
    for lib, f, leaf in ((torch, TF, x.clone().requires_grad_(True)), (re_, EF, as_engine(x, True))):
        lib.manual_seed(9)
        h = leaf * 1.0
        out = f.dropout1d(h, 0.5, inplace=True)
        assert out is h
        out.sum().backward()
        outs.append((out, leaf.grad, grad_fn_name(out)))
    check(outs[1][0], outs[0][0], "values")
    check(outs[1][1], outs[0][1], "grad")
    assert outs[1][2] == outs[0][2]


def test_dropout2d_draws_like_torch() -> None:
    x = torch.randn(4, 6, 3, 3)
    for p in (0.3, 0.7):
        torch.manual_seed(5)
        re_.manual_seed(5)
        tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
        ty, ey = TF.dropout2d(tx, p), EF.dropout2d(ex, p)
        assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__ == "MulBackward0"
        check_tight(ey, ty, "output")
        ty.sum().backward()
        ey.sum().backward()
        check_tight(ex.grad, tx.grad, "grad")
        assert torch.rand(1).item() == re_.rand(1).item()  # the generators advanced alike
    assert np.array_equal(EF.dropout2d(as_engine(x), 1.0)._data, TF.dropout2d(x, 1.0).numpy())
    ex = as_engine(x)
    assert EF.dropout2d(ex, 0.5, training=False) is ex  # torch hands back the input itself
    ei, ti = as_engine(x), x.clone()
    torch.manual_seed(1)
    re_.manual_seed(1)
    EF.dropout2d(ei, 0.5, inplace=True)
    TF.dropout2d(ti, 0.5, inplace=True)
    check_tight(ei, ti, "in place")
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        TF.dropout2d(x[0], 0.5)
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        EF.dropout2d(as_engine(x[0]), 0.5)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    module = enn.Dropout2d(0.2)
    assert repr(module) == repr(torch.nn.Dropout2d(0.2))
    module.eval()
    assert module(as_engine(x))._data.tolist() == x.tolist()


@pytest.mark.parametrize(
    "view",
    [
        lambda x: x.transpose(0, 1),  # a permuted, dense tensor: torch's noise keeps its strides
        lambda x: x.permute(2, 0, 1),
        lambda x: x[:, ::2],  # not dense: the noise is contiguous
        lambda x: x[:1].transpose(0, 2),  # a size-1 dim anywhere
    ],
    ids=["transpose", "permute", "strided", "size_one"],
)
def test_dropout_of_a_non_contiguous_tensor_draws_in_memory_order(view: Callable[[Any], Any]) -> None:
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    torch.manual_seed(12)
    re_.manual_seed(12)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    ty, ey = TF.dropout(view(tx), 0.4), EF.dropout(view(ex), 0.4)
    check_tight(ey, ty, "output")
    ty.sum().backward()
    ey.sum().backward()
    check_tight(ex.grad, tx.grad, "grad")
    assert torch.rand(1).item() == re_.rand(1).item()
