"""Antialiased resampling (interpolate(..., antialias=True), aten's _upsample_bilinear2d_aa /
_upsample_bicubic2d_aa / _upsample_lanczos2d_aa) and aten's max_pool2d_with_indices_backward against real torch, side by side.

The catalogue has the bilinear operator on one input size; these add the bicubic and Lanczos filters (no catalogue entry),
interpolate's antialias path with sizes and scale factors, align_corners, strong downsampling (wide supports),
the double backward's node, torch.ops.aten's spellings, and the errors. float64 agrees to 1e-12, float32 to
assert_close's tolerance (upsampling is torch's to the bit; downsampling's weights round a few ulp apart).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

import reference_engine as re_
from tests.helpers import OVER_FLOAT_DTYPES, as_engine, assert_same_nn_error, check_functional, check_tight


def inp(*shape: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64).to(dtype)


CASES: dict[str, Callable[..., Any]] = {
    "bilinear_down_size": lambda f, x: f.interpolate(x, size=(3, 4), mode="bilinear", antialias=True),
    "bilinear_strong_down": lambda f, x: f.interpolate(x, size=(1, 2), mode="bilinear", antialias=True),
    "bilinear_up_scale": lambda f, x: f.interpolate(x, scale_factor=(1.7, 2.3), mode="bilinear", antialias=True),
    "bilinear_corners": lambda f, x: f.interpolate(x, size=(5, 4), mode="bilinear", align_corners=True, antialias=True),
    "bilinear_recompute": lambda f, x: f.interpolate(
        x, scale_factor=0.45, mode="bilinear", antialias=True, recompute_scale_factor=True
    ),
    "bicubic_down": lambda f, x: f.interpolate(x, size=(4, 3), mode="bicubic", antialias=True),
    "bicubic_up": lambda f, x: f.interpolate(x, scale_factor=1.6, mode="bicubic", antialias=True),
    "bicubic_corners": lambda f, x: f.interpolate(x, size=(6, 5), mode="bicubic", align_corners=True, antialias=True),
    "bicubic_mixed": lambda f, x: f.interpolate(x, size=(3, 17), mode="bicubic", antialias=True),
    "lanczos_down": lambda f, x: f.interpolate(x, size=(4, 5), mode="lanczos", antialias=True),
    "lanczos_up": lambda f, x: f.interpolate(x, size=(13, 25), mode="lanczos", antialias=True),
    "lanczos_scale": lambda f, x: f.interpolate(x, scale_factor=0.3, mode="lanczos", antialias=True),
}


@pytest.mark.parametrize("name", list(CASES))
@OVER_FLOAT_DTYPES
def test_interpolate_antialias_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    check_functional(CASES[name], [inp(2, 3, 9, 11, dtype=tdt)])


@pytest.mark.parametrize("op", ["_upsample_bilinear2d_aa", "_upsample_bicubic2d_aa", "_upsample_lanczos2d_aa"])
def test_aten_overloads_and_double_backward(op: str) -> None:
    """Both overloads through torch.ops.aten, and the backward's own backward (the resampling again)."""
    x = inp(2, 2, 8, 7, dtype=torch.float64)

    def run(lib: Any, x: Any) -> list[Any]:
        f = getattr(lib.ops.aten, op)
        a = f.default(x, [3, 5], False, 1.9, None)
        b = f(x, None, op != "_upsample_lanczos2d_aa", [0.6, 1.4])
        go = (a * 0 + 1).detach().requires_grad_(True)
        (gx,) = lib.autograd.grad(a, x, go, create_graph=True)
        (ggo,) = lib.autograd.grad((gx * x.detach()).sum(), go)
        return [a, b, gx, ggo, type(gx.grad_fn).__name__, type(a.grad_fn).__name__]

    want = run(torch, x.clone().requires_grad_(True))
    got = run(re_, as_engine(x, requires_grad=True))
    for a, b, what in zip(got[:4], want[:4], ("default", "vec", "grad", "double backward"), strict=True):
        check_tight(a, b, what)
    assert got[4:] == want[4:]


def test_max_pool2d_with_indices_backward() -> None:
    """The aten backward called as a function: its output, its node, and its grads (zeros for the input)."""
    x = inp(2, 3, 7, 6, dtype=torch.float64)

    def run(lib: Any, x: Any) -> list[Any]:
        out, idx = lib.nn.functional.max_pool2d(x, 3, 2, 1, 1, True, return_indices=True)
        go = (out.detach() * 2 + 1).requires_grad_(True)
        gin = lib.ops.aten.max_pool2d_with_indices_backward.default(go, x, [3, 3], [2, 2], [1, 1], [1, 1], True, idx)
        d_go, d_x = lib.autograd.grad((gin * gin).sum(), (go, x))
        return [gin, d_go, d_x, type(gin.grad_fn).__name__]

    want = run(torch, x.clone().requires_grad_(True))
    got = run(re_, as_engine(x, requires_grad=True))
    for a, b, what in zip(got[:3], want[:3], ("grad input", "its grad_output grad", "its input grad"), strict=True):
        check_tight(a, b, what)
    assert got[3] == want[3]


ERRORS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "mode": lambda t, nn, f: f.interpolate(t.ones(1, 1, 4, 4), size=(2, 2), mode="nearest", antialias=True),
    "rank": lambda t, nn, f: f.interpolate(t.ones(1, 1, 4), size=(2,), mode="linear", antialias=True),
    "aten_rank": lambda t, nn, f: t.ops.aten._upsample_bilinear2d_aa(t.ones(1, 4, 4), [2, 2], False, None, None),
    "aten_size_len": lambda t, nn, f: t.ops.aten._upsample_bilinear2d_aa(t.ones(1, 1, 4, 4), [2], False, None, None),
    "aten_empty": lambda t, nn, f: t.ops.aten._upsample_bicubic2d_aa(t.ones(1, 1, 4, 4), [0, 2], False, None, None),
    "aten_unknown": lambda t, nn, f: t.ops.aten.no_such_operator_here,
    "lanczos_no_antialias": lambda t, nn, f: f.interpolate(t.ones(1, 1, 4, 4), size=(2, 2), mode="lanczos"),
    "lanczos_corners": lambda t, nn, f: f.interpolate(
        t.ones(1, 1, 4, 4), size=(2, 2), mode="lanczos", antialias=True, align_corners=True
    ),
    "lanczos_3d_input": lambda t, nn, f: f.interpolate(t.ones(1, 1, 4), size=(2,), mode="lanczos"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    assert_same_nn_error(ERRORS[name])
