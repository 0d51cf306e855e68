"""conv3d / conv_transpose3d and the Conv3d / ConvTranspose3d modules against real torch, side by side.

The catalogue's samples cover the common geometries; these add what they leave out: asymmetric 'same' padding
with an even kernel and dilation, non-cubic strides with groups, unbatched transposed inputs, the modules'
seeded initialisation and padding modes, the double backward, and the error messages of torch's checks in
their order. float64 must agree to 1e-12; float32 is held to the tolerance torch's own OpInfo sets for these
convolutions (oneDNN and col2vol sum a receptive field in another order).
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
from conformance.compare import Tolerance
from tests.helpers import OVER_FLOAT_DTYPES, as_engine, assert_same_nn_error, check_functional, check_tight, randn

LOOSE32 = Tolerance(2e-5, 2e-4, "float32 receptive-field sums rounded in another order (torch's OpInfo tolerance)")

CASES: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]]]] = {
    "same_even_dilated": (
        lambda f, x, w, b: f.conv3d(x, w, b, padding="same", dilation=(1, 3, 2)),
        [(2, 2, 5, 6, 7), (3, 2, 2, 3, 4), (3,)],
    ),
    "stride_groups_dilation": (
        lambda f, x, w: f.conv3d(x, w, None, (2, 1, 3), (1, 0, 2), (2, 1, 1), 2),
        [(2, 4, 7, 5, 8), (6, 2, 3, 2, 3)],
    ),
    "unbatched_valid": (lambda f, x, w: f.conv3d(x, w, padding="valid"), [(3, 4, 5, 3), (2, 3, 2, 2, 2)]),
    "transposed_all_args": (
        lambda f, x, w, b: f.conv_transpose3d(x, w, b, (2, 3, 1), (1, 0, 1), (1, 2, 0), 2, (1, 1, 2)),
        [(2, 4, 3, 4, 3), (4, 3, 3, 2, 3), (6,)],
    ),
    "transposed_unbatched": (lambda f, x, w: f.conv_transpose3d(x, w, stride=2), [(4, 3, 2, 3), (4, 2, 2, 2, 2)]),
    "top_level": (lambda f, x, w: torch_or_engine(f).conv3d(x, w, stride=2), [(1, 2, 5, 5, 5), (3, 2, 3, 3, 3)]),
}


def torch_or_engine(f: Any) -> Any:
    """The library ``f`` (an nn.functional module) belongs to, for its top-level ``conv3d``."""
    return torch if f is torch.nn.functional else re_


@pytest.mark.parametrize("name", list(CASES))
@OVER_FLOAT_DTYPES
def test_conv3d_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    fn, shapes = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note about a padded copy for even 'same' kernels
        check_functional(fn, [randn(*s, dtype=tdt) for s in shapes], tol32=LOOSE32)


MODULES: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "conv3d_groups": (lambda nn: nn.Conv3d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 5, 6, 4)),
    "conv3d_reflect_same": (
        lambda nn: nn.Conv3d(2, 3, (2, 3, 1), padding="same", padding_mode="reflect"),
        (2, 2, 5, 6, 4),
    ),
    "conv3d_circular": (lambda nn: nn.Conv3d(2, 3, 3, padding=1, padding_mode="circular", bias=False), (2, 5, 6, 4)),
    "conv3d_replicate": (
        lambda nn: nn.Conv3d(2, 3, 3, padding=1, padding_mode="replicate", dilation=2),
        (1, 2, 5, 6, 5),
    ),
    "conv_t3d": (
        lambda nn: nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 3, 3, 2),
    ),
    "conv_t3d_dilated": (lambda nn: nn.ConvTranspose3d(2, 3, (2, 3, 1), dilation=2, bias=False), (2, 2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", list(MODULES))
@OVER_FLOAT_DTYPES
def test_modules_match_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    ctor, shape = MODULES[name]
    torch.manual_seed(3)
    tm = ctor(torch.nn).to(tdt)
    re_.manual_seed(3)
    em = ctor(enn).to(edt)
    assert repr(em) == repr(tm)
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        assert np.array_equal(ep._data, tp.detach().numpy()), f"seeded init of {k}"
    x = randn(*shape, dtype=tdt)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    ty, ey = tm(tx), em(ex)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    check_tight(ey, ty, "output", LOOSE32)
    seed = torch.randn_like(ty)
    ty.backward(seed)
    ey.backward(as_engine(seed))
    check_tight(ex.grad, tx.grad, "input grad", LOOSE32)
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        check_tight(ep.grad, tp.grad, f"grad of {k}", LOOSE32)


def test_conv_transpose3d_output_size() -> None:
    torch.manual_seed(0)
    tm = torch.nn.ConvTranspose3d(2, 2, 3, stride=2)
    re_.manual_seed(0)
    em = enn.ConvTranspose3d(2, 2, 3, stride=2)
    x = randn(2, 3, 3, 3, dtype=torch.float64)
    check_tight(em.double()(as_engine(x), output_size=(8, 7, 8)), tm.double()(x, output_size=(8, 7, 8)), "output")


@pytest.mark.parametrize("transposed", [False, True])
def test_double_backward_matches_torch(transposed: bool) -> None:
    """grad of (input grad, weight grad) with create_graph: ConvolutionBackwardBackward0 in 3-d."""
    x, w, b = (
        randn(2, 2, 4, 3, 4, dtype=torch.float64),
        randn(2, 3, 2, 2, 3, dtype=torch.float64),
        randn(3, dtype=torch.float64),
    )
    if transposed:
        b = randn(6, dtype=torch.float64)

    def run(lib: Any, *args: Any) -> list[Any]:
        f = lib.nn.functional
        xx, ww, bb = args
        y = (f.conv_transpose3d(xx, ww, bb, stride=(2, 1, 1), groups=2) if transposed
             else f.conv3d(xx, ww.transpose(0, 1).contiguous()[:, :2], None, padding=1))  # fmt: skip
        gx, gw = lib.autograd.grad(y.square().sum(), (xx, ww), create_graph=True)
        return list(lib.autograd.grad(gx.sin().sum() + gw.square().sum(), (xx, ww, bb), allow_unused=True))

    targs = [t.clone().requires_grad_(True) for t in (x, w, b)]
    eargs = [as_engine(t, requires_grad=True) for t in (x, w, b)]
    want, got = run(torch, *targs), run(re_, *eargs)
    for g, t, what in zip(got, want, ("input", "weight", "bias"), strict=True):
        if t is None:
            assert g is None, what
        else:
            check_tight(g, t, what)


ERRORS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "bad_rank": lambda t, nn, f: f.conv3d(t.ones(2, 4, 4), t.ones(2, 2, 2, 2, 2)),
    "stride_len": lambda t, nn, f: f.conv3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), stride=(1, 1)),
    "padding_before_stride": lambda t, nn, f: f.conv3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), stride=-1, padding=-1
    ),
    "groups_divisible": lambda t, nn, f: f.conv3d(t.ones(1, 2, 4, 4, 4), t.ones(3, 1, 2, 2, 2), groups=2),
    "bias_shape": lambda t, nn, f: f.conv3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), t.ones(3)),
    "bias_before_dtype": lambda t, nn, f: f.conv3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2, dtype=t.float64), t.ones(3)
    ),
    "kernel_too_big": lambda t, nn, f: f.conv3d(t.ones(1, 2, 4, 4, 3), t.ones(2, 2, 2, 2, 2), dilation=3),
    "dilation_zero": lambda t, nn, f: f.conv3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), dilation=0),
    "same_dilation_len": lambda t, nn, f: f.conv3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), padding="same", dilation=(1, 1)
    ),
    "t_output_padding": lambda t, nn, f: f.conv_transpose3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), stride=2, output_padding=(2, 1, 1)
    ),
    "t_dilation_zero": lambda t, nn, f: f.conv_transpose3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), dilation=0),
    "t_negative_output_padding": lambda t, nn, f: f.conv_transpose3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), output_padding=-1
    ),
    "t_bias_dtype": lambda t, nn, f: f.conv_transpose3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), t.ones(2, dtype=t.float64)
    ),
    "t_bias_shape": lambda t, nn, f: f.conv_transpose3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), t.ones(3)),
    "t_too_small": lambda t, nn, f: f.conv_transpose3d(t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), padding=5),
    "t_padding_string": lambda t, nn, f: f.conv_transpose3d(
        t.ones(1, 2, 4, 4, 4), t.ones(2, 2, 2, 2, 2), padding="same"
    ),
    "t2d_dilation_zero": lambda t, nn, f: f.conv_transpose2d(t.ones(1, 2, 4, 4), t.ones(2, 2, 2, 2), dilation=0),
    "module_groups": lambda t, nn, f: nn.Conv3d(3, 4, 2, groups=2),
    "module_output_size": lambda t, nn, f: nn.ConvTranspose3d(2, 2, 3, stride=2)(
        t.ones(2, 3, 3, 3), output_size=(9, 7, 7)
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    assert_same_nn_error(ERRORS[name])


def test_transposed_2d_casts_a_bias_of_another_dtype() -> None:
    """slow_conv_transpose2d adds a float64 bias to a float32 output (the 3-d kernel refuses it)."""
    x, w, b = (
        randn(1, 2, 3, 3, dtype=torch.float32),
        randn(2, 2, 2, 2, dtype=torch.float32),
        randn(2, dtype=torch.float64),
    )
    want = torch.nn.functional.conv_transpose2d(x, w, b)
    got = enn.functional.conv_transpose2d(as_engine(x), as_engine(w), as_engine(b))
    assert got.dtype == re_.float32
    check_tight(got, want, "output")
