"""grid_sample (F.grid_sample, torch.grid_sampler_2d / 3d) against real torch, side by side.

The catalogue samples grids inside [-1, 1] on inputs of a few sizes; these add grids far outside it (reflection
folding several times, border clipping), a one-pixel input (reflection's empty span), a non-contiguous grid, 3-d
border and reflection padding with align_corners, which grads the double backward defines, and the errors.
float64 agrees to 1e-12; float32 bilinear and nearest results are torch's to the bit (its vectorised kernel's
fused multiply-adds are reproduced), bicubic within assert_close's tolerance.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import OVER_FLOAT_DTYPES, as_engine, assert_same_nn_error, check_functional, check_tight


def grid(*shape: int, spread: float, dtype: torch.dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(7)
    return (torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1).mul(spread).to(dtype)


def inp(*shape: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64).to(dtype)


MODES = [
    (m, p, a)
    for m in ("bilinear", "nearest", "bicubic")
    for p in ("zeros", "border", "reflection")
    for a in (False, True)
]


@pytest.mark.parametrize(("mode", "padding", "align"), MODES)
@OVER_FLOAT_DTYPES
def test_grids_far_outside(mode: str, padding: str, align: bool, tdt: torch.dtype, edt: Any) -> None:
    """Coordinates up to 3.5 input widths outside: reflection folds several times, border clips."""
    fn = lambda f, x, g: f.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align)
    check_functional(fn, [inp(2, 3, 4, 6, dtype=tdt), grid(2, 5, 7, 2, spread=3.5, dtype=tdt)])


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("align", [False, True])
def test_one_pixel_input_reflection(mode: str, align: bool) -> None:
    fn = lambda f, x, g: f.grid_sample(x, g, mode=mode, padding_mode="reflection", align_corners=align)
    check_functional(fn, [inp(1, 2, 1, 1, dtype=torch.float64), grid(1, 3, 4, 2, spread=2.0, dtype=torch.float64)])


@OVER_FLOAT_DTYPES
def test_non_contiguous_grid(tdt: torch.dtype, edt: Any) -> None:
    """A grid laid out (N, 2, H, W) and permuted, as a conv net's flow field is."""
    x, g = inp(2, 3, 5, 6, dtype=tdt), grid(2, 2, 4, 3, spread=1.2, dtype=torch.float64).to(tdt)
    fn = lambda f, x, g: f.grid_sample(x, g.permute(0, 2, 3, 1), align_corners=False)
    check_functional(fn, [x, g])


@pytest.mark.parametrize(("mode", "padding", "align"), [(m, p, a) for m, p, a in MODES if m != "bicubic"])
@OVER_FLOAT_DTYPES
def test_3d(mode: str, padding: str, align: bool, tdt: torch.dtype, edt: Any) -> None:
    fn = lambda f, x, g: f.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align)
    check_functional(fn, [inp(2, 2, 3, 4, 5, dtype=tdt), grid(2, 3, 2, 4, 3, spread=2.5, dtype=tdt)])


def test_aten_spellings_and_default_warning() -> None:
    x, g = inp(1, 2, 3, 4, dtype=torch.float64), grid(1, 2, 3, 2, spread=1.1, dtype=torch.float64)
    for mode in range(3):
        for pad in range(3):
            check_tight(re_.grid_sampler_2d(as_engine(x), as_engine(g), mode, pad, True),
                        torch.grid_sampler_2d(x, g, mode, pad, True), f"grid_sampler_2d {mode} {pad}")  # fmt: skip
    x3, g3 = inp(1, 2, 3, 4, 2, dtype=torch.float64), grid(1, 2, 3, 2, 3, spread=1.1, dtype=torch.float64)
    check_tight(re_.grid_sampler_3d(as_engine(x3), as_engine(g3), 0, 2, False),
                torch.grid_sampler_3d(x3, g3, 0, 2, False), "grid_sampler_3d")  # fmt: skip
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        re_.nn.functional.grid_sample(as_engine(x), as_engine(g))
    with warnings.catch_warnings(record=True) as want:
        warnings.simplefilter("always")
        torch.nn.functional.grid_sample(x, g)
    assert [str(w.message) for w in got] == [str(w.message) for w in want]


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("which", ["both", "input_grad", "grid_grad"])
def test_double_backward(mode: str, which: str) -> None:
    """Values of the second derivatives, and which of them torch leaves undefined (None)."""

    def run(lib: Any, x: Any, g: Any, go: Any) -> list[Any]:
        y = lib.nn.functional.grid_sample(x, g, mode=mode, padding_mode="border", align_corners=False)
        gx, gg = lib.autograd.grad(y, (x, g), go, create_graph=True)
        s = gx.sin().sum() if which != "grid_grad" else 0
        s = s + (gg * gg).sum() if which != "input_grad" else s
        return list(lib.autograd.grad(s, (go, x, g), allow_unused=True))

    x, g = inp(1, 2, 4, 5, dtype=torch.float64), grid(1, 3, 3, 2, spread=1.1, dtype=torch.float64)
    go = inp(1, 2, 3, 3, dtype=torch.float64)
    want = run(torch, *(t.clone().requires_grad_(True) for t in (x, g, go)))
    got = run(re_, *(as_engine(t, requires_grad=True) for t in (x, g, go)))
    for a, b, what in zip(got, want, ("grad_output", "input", "grid"), strict=True):
        assert (a is None) == (b is None), what
        if b is not None:
            check_tight(a, b, what)


ERRORS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "mode": lambda t, nn, f: f.grid_sample(t.ones(1, 1, 2, 2), t.zeros(1, 2, 2, 2), mode="area"),
    "padding": lambda t, nn, f: f.grid_sample(t.ones(1, 1, 2, 2), t.zeros(1, 2, 2, 2), padding_mode="wrap"),
    "grid_dtype": lambda t, nn, f: f.grid_sample(
        t.ones(1, 1, 2, 2), t.zeros(1, 2, 2, 2, dtype=t.float64), align_corners=True
    ),
    "batch": lambda t, nn, f: f.grid_sample(t.ones(2, 1, 2, 2), t.zeros(1, 2, 2, 2), align_corners=True),
    "last_dim": lambda t, nn, f: f.grid_sample(t.ones(1, 1, 2, 2), t.zeros(1, 2, 2, 3), align_corners=True),
    "empty_spatial": lambda t, nn, f: f.grid_sample(t.ones(1, 1, 0, 2), t.zeros(1, 2, 2, 2), align_corners=True),
    "bicubic_3d": lambda t, nn, f: f.grid_sample(
        t.ones(1, 1, 2, 2, 2), t.zeros(1, 2, 2, 2, 3), mode="bicubic", align_corners=True
    ),
    "integer_input": lambda t, nn, f: f.grid_sample(
        t.ones(1, 1, 2, 2, dtype=t.int32), t.zeros(1, 2, 2, 2, dtype=t.int32), align_corners=True
    ),
    "aten_2d_rank": lambda t, nn, f: t.grid_sampler_2d(t.ones(1, 1, 2, 2, 2), t.zeros(1, 2, 2, 2, 3), 0, 0, False),
    "aten_3d_rank": lambda t, nn, f: t.grid_sampler_3d(t.ones(1, 1, 2, 2), t.zeros(1, 2, 2, 2), 0, 0, False),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    assert_same_nn_error(ERRORS[name])


def test_float32_bilinear_is_torchs_to_the_bit() -> None:
    """The vectorised kernel's fused multiply-adds and its lane-by-lane scatter order, reproduced."""
    x = inp(2, 3, 5, 20, dtype=torch.float32)
    for pad in range(3):
        for align in (False, True):
            g = grid(2, 13, 10, 2, spread=1.3, dtype=torch.float32)
            tx, tg = x.clone().requires_grad_(True), g.clone().requires_grad_(True)
            ty = torch.grid_sampler_2d(tx, tg, 0, pad, align)
            seed = inp(*ty.shape, dtype=torch.float32)
            ty.backward(seed)
            ex, eg = as_engine(x, requires_grad=True), as_engine(g, requires_grad=True)
            ey = re_.grid_sampler_2d(ex, eg, 0, pad, align)
            ey.backward(as_engine(seed))
            assert np.array_equal(ey._data, ty.detach().numpy()), (pad, align)
            assert np.array_equal(ex.grad._data, tx.grad.numpy()), (pad, align)
