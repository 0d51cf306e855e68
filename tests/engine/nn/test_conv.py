"""Conv1d, transposed convs, upsampling, pixel shuffle, adaptive max pool, instance norm, PReLU, Dropout2d,
scaled_dot_product_attention and MultiheadAttention against real torch, side by side.

float64 values and grads must agree to 1e-12. float32 ones are held to assert_close's defaults:
torch's BLAS/oneDNN convolutions, its vectorised bilinear kernel and its flash-attention CPU kernel
sum and round in orders NumPy does not reproduce (a few ulp apart). grad_fn names, dtypes, reprs,
seeded initial weights and error messages must match exactly.
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
from conformance.compare import Tolerance, compare_arrays
from tests.test_nn import DTYPE_IDS, DTYPES, as_engine
from tests.test_nn_more import _same_error

TF = torch.nn.functional
TIGHT = Tolerance(1e-12, 1e-12, "float64: same formulas, reordered sums only")


@pytest.fixture(autouse=True)
def _fixed_inputs() -> None:
    # the same random inputs every run, so the float32 tolerances are checked on known data
    torch.manual_seed(20260)


def _check(actual: Any, expected: torch.Tensor, what: str, tol32: Tolerance | None = None) -> None:
    tol = TIGHT if expected.dtype == torch.float64 else tol32
    diff = compare_arrays(np.asarray(actual._data), expected.detach().numpy(), tol)
    assert diff.ok, f"{what}: {diff.describe()}"


def _engine(v: Any) -> Any:
    return as_engine(v) if isinstance(v, torch.Tensor) else v


def _run(
    fn: Callable[..., Any],
    grads: list[torch.Tensor],
    consts: dict[str, Any] | None = None,
    same_node: bool = True,
    tol32: Tolerance | None = None,
) -> None:
    """``fn(F, *grads, **consts)`` in torch and in the engine: output, grad_fn name (unless not ``same_node``),
    dtype and every grad."""
    consts = consts or {}
    tx = [g.clone().requires_grad_(True) for g in grads]
    ex = [as_engine(g, requires_grad=True) for g in grads]
    ty = fn(TF, *tx, **consts)
    ey = fn(EF, *ex, **{k: _engine(v) for k, v in consts.items()})
    assert not same_node or type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    assert ey.dtype == getattr(re_, str(ty.dtype).removeprefix("torch."))
    _check(ey, ty, "output")
    seed = torch.randn_like(ty)
    ty.backward(seed)
    ey.backward(as_engine(seed))
    for i, (e, t) in enumerate(zip(ex, tx, strict=True)):
        _check(e.grad, t.grad, f"grad {i}", tol32)


def _r(*shape: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(*shape, dtype=dtype)


# --------------------------------------------------------------------------- functional ops
CONV_CASES: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]]]] = {
    "conv1d": (lambda f, x, w, b: f.conv1d(x, w, b), [(2, 4, 9), (6, 4, 3), (6,)]),
    "conv1d_stride_pad": (lambda f, x, w, b: f.conv1d(x, w, b, stride=2, padding=1), [(2, 4, 9), (6, 4, 3), (6,)]),
    "conv1d_dilation_groups": (lambda f, x, w: f.conv1d(x, w, None, 1, 2, 2, 2), [(2, 4, 9), (6, 2, 3)]),
    "conv1d_same_even": (lambda f, x, w: f.conv1d(x, w, padding="same"), [(1, 3, 7), (2, 3, 4)]),
    "conv1d_valid": (lambda f, x, w: f.conv1d(x, w, padding="valid"), [(1, 3, 7), (2, 3, 4)]),
    "conv1d_unbatched": (lambda f, x, w: f.conv1d(x, w), [(3, 7), (2, 3, 3)]),
    "conv_t2d": (lambda f, x, w, b: f.conv_transpose2d(x, w, b), [(2, 4, 5, 4), (4, 3, 3, 2), (3,)]),
    "conv_t2d_stride_outpad": (
        lambda f, x, w, b: f.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [(2, 4, 5, 4), (4, 3, 3, 3), (3,)],
    ),
    "conv_t2d_groups_dilation": (
        lambda f, x, w: f.conv_transpose2d(x, w, None, (2, 3), 1, (1, 0), 2, 2),
        [(2, 4, 4, 3), (4, 3, 3, 2)],
    ),
    "conv_t2d_unbatched": (lambda f, x, w: f.conv_transpose2d(x, w, stride=2), [(4, 3, 3), (4, 2, 2, 2)]),
    "conv_t1d": (
        lambda f, x, w, b: f.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2, dilation=2),
        [(2, 4, 5), (4, 3, 3), (3,)],
    ),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_convolutions_match_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    fn, shapes = CONV_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note about a padded copy for even 'same' kernels
        _run(fn, [_r(*s, dtype=tdt) for s in shapes])


RESIZE_CASES: dict[str, Callable[..., Any]] = {
    "nearest_x2": lambda f, x: f.interpolate(x, scale_factor=2),
    "nearest_fractional": lambda f, x: f.interpolate(x, scale_factor=1.7),
    "nearest_size": lambda f, x: f.interpolate(x, size=(7, 3)),
    "nearest_down_up": lambda f, x: f.interpolate(x, scale_factor=(0.5, 2.5)),
    "bilinear_size": lambda f, x: f.interpolate(x, size=(9, 11), mode="bilinear"),
    "bilinear_corners": lambda f, x: f.interpolate(x, size=(9, 3), mode="bilinear", align_corners=True),
    "bilinear_scale": lambda f, x: f.interpolate(x, scale_factor=1.3, mode="bilinear"),
    "bilinear_recompute": lambda f, x: f.interpolate(x, scale_factor=1.3, mode="bilinear", recompute_scale_factor=True),
    "nearest_1d": lambda f, x: f.interpolate(x[0], scale_factor=1.5),
    "nearest_exact": lambda f, x: f.interpolate(x, size=(7, 3), mode="nearest-exact"),
    "nearest_exact_1d": lambda f, x: f.interpolate(x[0], scale_factor=2.0, mode="nearest-exact"),
    # outputs with H + W > 128 (and all 1-d ones) go through torch's generic kernel, its scales in float64
    "nearest_large": lambda f, x: f.interpolate(x, size=(97, 61)),
    "nearest_exact_large": lambda f, x: f.interpolate(x, scale_factor=(19.3, 17.1), mode="nearest-exact"),
    "nearest_1d_generic": lambda f, x: f.interpolate(x[0], scale_factor=2.7),
    "bilinear_large": lambda f, x: f.interpolate(x, size=(97, 61), mode="bilinear"),
    "area": lambda f, x: f.interpolate(x, scale_factor=0.6, mode="area"),
    "linear_1d": lambda f, x: f.interpolate(x[0], size=7, mode="linear", align_corners=True),
    "pixel_shuffle": lambda f, x: f.pixel_shuffle(x.reshape(2, 12, 5, 1), 2),
    "pixel_unshuffle": lambda f, x: f.pixel_unshuffle(x[:, :, :4], 2),
    "adaptive_max": lambda f, x: f.adaptive_max_pool2d(x, (3, 2)),
    "adaptive_max_none": lambda f, x: f.adaptive_max_pool2d(x[0], (4, None)),
    "instance_norm": lambda f, x: f.instance_norm(x),
    "prelu_shared": lambda f, x: f.prelu(x, x.new_full((1,), 0.25)),
}


@pytest.mark.parametrize("name", list(RESIZE_CASES))
@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_image_ops_match_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    _run(RESIZE_CASES[name], [_r(2, 3, 5, 4, dtype=tdt)], tol32=LOOSE32.get(name))


# torch's backward adds each output's weighted grad into the input one at a time in float32; with ~300
# outputs per input element its rounding (not reproduced bit for bit) exceeds assert_close's atol
LOOSE32 = {"bilinear_large": Tolerance(1e-5, 1e-4, "float32 sequential accumulation of ~300 terms")}


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_affine_instance_norm_and_prelu_weights(tdt: torch.dtype, edt: Any) -> None:
    x = _r(2, 3, 4, 4, dtype=tdt)
    _run(lambda f, x, w, b: f.instance_norm(x, weight=w, bias=b), [x, _r(3, dtype=tdt), _r(3, dtype=tdt)])
    _run(lambda f, x, w: f.prelu(x, w), [x, _r(3, dtype=tdt)])
    _run(lambda f, x, w: f.prelu(x, w), [x[0, 0, 0], _r(1, dtype=tdt)])


ATTENTION_CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.3},
    "negative_scale": {"scale": -0.3},
    "float_mask": {"attn_mask": torch.randn(3, 5)},
    "bool_mask": {"attn_mask": torch.tensor([[True, False, True, True, False]] * 2 + [[False] * 5])},
}


@pytest.mark.parametrize("name", list(ATTENTION_CASES))
@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_scaled_dot_product_attention(name: str, tdt: torch.dtype, edt: Any) -> None:
    consts = dict(ATTENTION_CASES[name])
    if "attn_mask" in consts and consts["attn_mask"].is_floating_point():
        consts["attn_mask"] = consts["attn_mask"].to(tdt)
    # a fully masked row (bool_mask's last) gives zeros and zero grads, not NaN
    shapes = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)]
    _run(lambda f, q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw), [_r(*s, dtype=tdt) for s in shapes],
         consts)  # fmt: skip


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_sdpa_flash_attention_inputs(tdt: torch.dtype, edt: Any) -> None:
    # equal head dims on 4-D inputs: torch runs its flash-attention CPU kernel (its own node,
    # ScaledDotProductFlashAttentionForCpuBackward0); the engine keeps the math path, same values
    shapes = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)]
    for consts in ({}, {"is_causal": True}, {"attn_mask": torch.randn(3, 5, dtype=tdt)}):
        _run(lambda f, q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw),
             [_r(*s, dtype=tdt) for s in shapes], consts, same_node=False)  # fmt: skip


def test_dropout2d_draws_like_torch() -> None:
    x = torch.randn(4, 6, 3, 3)
    for p in (0.3, 0.7):
        torch.manual_seed(5)
        re_.manual_seed(5)
        tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
        ty, ey = TF.dropout2d(tx, p), EF.dropout2d(ex, p)
        assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__ == "MulBackward0"
        _check(ey, ty, "output")
        ty.sum().backward()
        ey.sum().backward()
        _check(ex.grad, tx.grad, "grad")
        assert torch.rand(1).item() == re_.rand(1).item()  # the generators advanced alike
    assert np.array_equal(EF.dropout2d(as_engine(x), 1.0)._data, TF.dropout2d(x, 1.0).numpy())
    ex = as_engine(x)
    assert EF.dropout2d(ex, 0.5, training=False) is ex  # torch hands back the input itself
    ei, ti = as_engine(x), x.clone()
    torch.manual_seed(1)
    re_.manual_seed(1)
    EF.dropout2d(ei, 0.5, inplace=True)
    TF.dropout2d(ti, 0.5, inplace=True)
    _check(ei, ti, "in place")
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


# --------------------------------------------------------------------------- modules
MODULES: dict[str, tuple[Callable[[Any], Any], tuple[int, ...]]] = {
    "conv1d": (lambda nn: nn.Conv1d(4, 6, 3), (2, 4, 9)),
    "conv1d_all_args": (
        lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, bias=False),
        (2, 4, 9),
    ),
    "conv1d_same": (lambda nn: nn.Conv1d(2, 3, 4, padding="same"), (2, 2, 7)),
    "conv1d_circular": (lambda nn: nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular"), (2, 2, 7)),
    "conv1d_reflect_same": (lambda nn: nn.Conv1d(2, 3, 4, padding="same", padding_mode="reflect"), (2, 2, 7)),
    "conv1d_replicate_unbatched": (lambda nn: nn.Conv1d(2, 3, 3, 2, 1, padding_mode="replicate"), (2, 7)),
    "conv2d_circular": (lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (2, 2, 6, 7)),
    "conv2d_reflect_same": (
        lambda nn: nn.Conv2d(2, 4, 3, padding="same", padding_mode="reflect", groups=2),
        (1, 2, 6, 5),
    ),
    "conv_t2d": (lambda nn: nn.ConvTranspose2d(4, 3, 3), (2, 4, 4, 3)),
    "conv_t2d_all_args": (
        lambda nn: nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, output_padding=1, groups=2, dilation=2),
        (2, 4, 4, 3),
    ),
    "conv_t1d": (lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1, bias=False), (2, 3, 5)),
    "upsample_nearest": (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 3, 4)),
    "upsample_bilinear": (lambda nn: nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True), (2, 3, 3, 4)),
    "upsampling_nearest": (lambda nn: nn.UpsamplingNearest2d(size=(4, 7)), (2, 3, 3, 4)),
    "upsampling_bilinear": (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), (2, 3, 3, 4)),
    "pixel_shuffle": (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 2)),
    "pixel_unshuffle": (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    "adaptive_max_pool": (lambda nn: nn.AdaptiveMaxPool2d((2, None)), (2, 3, 5, 4)),
    "instance_norm": (lambda nn: nn.InstanceNorm2d(3), (2, 3, 4, 4)),
    "instance_norm_affine": (lambda nn: nn.InstanceNorm2d(3, affine=True), (3, 4, 4)),
    "prelu": (lambda nn: nn.PReLU(3, init=0.1), (2, 3, 4)),
}


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_modules_match_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    ctor, shape = MODULES[name]
    torch.manual_seed(3)
    tm = ctor(torch.nn).to(tdt)
    re_.manual_seed(3)
    em = ctor(enn).to(edt)
    assert repr(em) == repr(tm)
    assert [k for k, _ in em.named_parameters()] == [k for k, _ in tm.named_parameters()]
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        assert np.array_equal(ep._data, tp.detach().numpy()), f"seeded init of {k}"
    x = _r(*shape, dtype=tdt)
    tx, ex = x.clone().requires_grad_(True), as_engine(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty, ey = tm(tx), em(ex)
    assert type(ey.grad_fn).__name__ == type(ty.grad_fn).__name__
    _check(ey, ty, "output")
    seed = torch.randn_like(ty)
    ty.backward(seed)
    ey.backward(as_engine(seed))
    _check(ex.grad, tx.grad, "input grad")
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        _check(ep.grad, tp.grad, f"grad of {k}")


def test_instance_norm_running_stats_and_indices() -> None:
    tm = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)
    em = enn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    for _ in range(2):
        x = torch.randn(2, 3, 4, 5)
        _check(em(as_engine(x)), tm(x), "train")
    _check(em.running_mean, tm.running_mean, "running_mean")
    _check(em.running_var, tm.running_var, "running_var")
    tm.eval()
    em.eval()
    x = torch.randn(2, 3, 4, 5)
    _check(em(as_engine(x)), tm(x), "eval")
    # adaptive max pool's indices: flat positions in each H*W plane
    tv, ti = TF.adaptive_max_pool2d(x, (3, 2), return_indices=True)
    ev, ei = enn.AdaptiveMaxPool2d((3, 2), return_indices=True)(as_engine(x))
    _check(ev, tv, "values")
    assert ei.dtype == re_.int64 and ei._data.tolist() == ti.tolist()


def test_conv_transpose_output_size() -> None:
    for nn, lib in ((torch.nn, torch), (enn, re_)):
        torch.manual_seed(0)
        re_.manual_seed(0)
        m = nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1)
        x = lib.ones(1, 2, 4, 4)
        shapes = [tuple(m(x, output_size=size).shape) for size in ((11, 12), [1, 3, 12, 10], (10, 10))]
        if lib is torch:
            expected, t_out = shapes, m(x, output_size=(12, 11))
        else:
            assert shapes == expected
            _check(m(x, output_size=(12, 11)), t_out, "output")
    _same_error(lambda t, nn, f: nn.ConvTranspose2d(2, 3, 3, stride=2)(t.ones(1, 2, 4, 4), output_size=(8, 12)))
    _same_error(lambda t, nn, f: nn.ConvTranspose1d(2, 3, 3)(t.ones(2, 4), output_size=[1, 2, 6]))


def _mha_pair(tdt: torch.dtype, edt: Any, **kw: Any) -> tuple[Any, Any]:
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(4, 2, dtype=tdt, **kw)
    re_.manual_seed(0)
    em = enn.MultiheadAttention(4, 2, dtype=edt, **kw)
    assert repr(em) == repr(tm)
    assert [k for k, _ in em.named_parameters()] == [k for k, _ in tm.named_parameters()]
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        assert np.array_equal(ep._data, tp.detach().numpy()), f"seeded init of {k}"
    return tm, em


MHA_CALLS: dict[str, dict[str, Any]] = {
    "weights": {},
    "no_weights": {"need_weights": False},
    "per_head_weights": {"average_attn_weights": False},
    "masks": {"key_padding_mask": torch.tensor([[False, True, False], [False] * 3]), "attn_mask": torch.randn(3, 3)},
    "padding_sdpa": {"key_padding_mask": torch.tensor([[False, True, False], [False] * 3]), "need_weights": False},
    "causal": {"attn_mask": torch.ones(3, 3, dtype=torch.bool).triu(1), "is_causal": True, "need_weights": False},
}


# "masks" mixes a bool padding mask with a float attn_mask on purpose: both libraries warn
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("call", list(MHA_CALLS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_multihead_self_attention(call: str, batch_first: bool, tdt: torch.dtype, edt: Any) -> None:
    tm, em = _mha_pair(tdt, edt, batch_first=batch_first)
    kw = {
        k: (v.to(tdt) if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
        for k, v in MHA_CALLS[call].items()
    }
    x = _r(2, 3, 4, dtype=tdt) if batch_first else _r(3, 2, 4, dtype=tdt)  # batch 2, length 3
    for pick in (0, 1):
        if pick == 1 and not kw.get("need_weights", True):
            continue

        def fn(f: Any, q: Any, pick: int = pick, **consts: Any) -> Any:
            return (tm if f is TF else em)(q, q, q, **consts)[pick]

        _run(fn, [x], kw)


@pytest.mark.parametrize(("tdt", "edt"), DTYPES, ids=DTYPE_IDS)
def test_multihead_cross_attention_and_unbatched(tdt: torch.dtype, edt: Any) -> None:
    tm, em = _mha_pair(tdt, edt, kdim=3, vdim=5, batch_first=True)
    shapes = [(2, 3, 4), (2, 6, 3), (2, 6, 5)]
    for need in (True, False):
        _run(lambda f, q, k, v, need=need: (tm if f is TF else em)(q, k, v, need_weights=need)[0],
             [_r(*s, dtype=tdt) for s in shapes])  # fmt: skip
    tm, em = _mha_pair(tdt, edt)
    _run(lambda f, q, k: (tm if f is TF else em)(q, k, k)[1], [_r(3, 4, dtype=tdt), _r(5, 4, dtype=tdt)])
    _run(lambda f, q: (tm if f is TF else em)(q, q, q, need_weights=False)[0], [_r(3, 4, dtype=tdt)])


# --------------------------------------------------------------------------- errors
def test_bad_padding_mode_message() -> None:
    # torch prints a set literal, whose order comes from its compiled constant: compare the set as a set
    messages = []
    for nn in (torch.nn, enn):
        with pytest.raises(ValueError) as err:
            nn.Conv1d(2, 4, 3, padding_mode="bogus")
        head, rest = str(err.value).split("{", 1)
        modes, tail = rest.split("}", 1)
        messages.append((head, {m.strip(" '") for m in modes.split(",")}, tail))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    "bad",
    [
        lambda t, nn, f: f.conv1d(t.ones(3), t.ones(4, 3, 3)),
        lambda t, nn, f: f.conv1d(t.ones(2, 5, 5), t.ones(4, 3, 3)),
        lambda t, nn, f: f.conv1d(t.ones(2, 3, 2), t.ones(4, 3, 3)),
        lambda t, nn, f: f.conv1d(t.ones(2, 3, 5), t.ones(4, 3, 3), stride=2, padding="same"),
        lambda t, nn, f: f.conv_transpose2d(t.ones(1, 3, 4, 4), t.ones(3, 2, 3, 3), output_padding=1),
        lambda t, nn, f: f.conv_transpose2d(t.ones(1, 4, 4, 4), t.ones(3, 2, 3, 3)),
        lambda t, nn, f: f.conv_transpose2d(t.ones(4, 4), t.ones(3, 2, 3, 3)),
        lambda t, nn, f: f.conv_transpose1d(t.ones(4), t.ones(3, 2, 3)),
        lambda t, nn, f: f.conv_transpose1d(t.ones(1, 3, 2), t.ones(3, 2, 3), padding=3),
        lambda t, nn, f: f.conv_transpose1d(t.ones(1, 3, 4), t.ones(3, 2, 3), output_padding=1),
        lambda t, nn, f: f.conv_transpose2d(t.ones(1, 3, 4, 4), t.ones(3, 2, 3, 3, dtype=t.float64)),
        lambda t, nn, f: f.conv1d(t.ones(1, 3, 4), t.ones(3, 3, 3, dtype=t.float64)),
        lambda t, nn, f: nn.Conv1d(3, 4, 3, groups=2),
        lambda t, nn, f: nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect"),
        lambda t, nn, f: f.interpolate(t.ones(1, 2, 3), scale_factor=2, mode="bilinear"),
        lambda t, nn, f: f.interpolate(t.ones(1, 2, 3, 3), scale_factor=2, align_corners=True),
        lambda t, nn, f: f.interpolate(t.ones(1, 2, 3, 3), size=2, scale_factor=2),
        lambda t, nn, f: f.interpolate(t.ones(1, 2, 3, 3)),
        lambda t, nn, f: f.interpolate(t.ones(1, 2, 3, 3), size=(2, 2, 2)),
        lambda t, nn, f: f.pixel_shuffle(t.ones(3, 3), 2),
        lambda t, nn, f: f.pixel_shuffle(t.ones(1, 5, 3, 3), 2),
        lambda t, nn, f: f.pixel_unshuffle(t.ones(1, 5, 3, 3), 2),
        lambda t, nn, f: f.adaptive_max_pool2d(t.ones(3, 3), 2),
        lambda t, nn, f: f.prelu(t.ones(2, 3, 4), t.ones(2)),
        lambda t, nn, f: f.prelu(t.ones(2, 3, 4), t.ones(3, 1)),
        lambda t, nn, f: f.instance_norm(t.ones(2, 3, 1, 1)),
        lambda t, nn, f: nn.InstanceNorm2d(3)(t.ones(2, 3)),
        lambda t, nn, f: nn.InstanceNorm2d(3, affine=True)(t.ones(2, 4, 4, 4)),
        lambda t, nn, f: f.dropout2d(t.ones(2, 3, 4, 4), 1.5),
        lambda t, nn, f: f.scaled_dot_product_attention(
            t.ones(1, 2, 3), t.ones(1, 2, 3, dtype=t.float64), t.ones(1, 2, 3)
        ),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(
            t.ones(3, 2, 4), t.ones(3, 2, 4), t.ones(3, 2, 4), key_padding_mask=t.zeros(2, 4, dtype=t.bool)
        ),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(
            t.ones(3, 2, 4), t.ones(3, 2, 4), t.ones(3, 2, 4), key_padding_mask=t.zeros(2, 3, dtype=t.int64)
        ),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(
            t.ones(3, 2, 4), t.ones(3, 2, 4), t.ones(3, 2, 4), attn_mask=t.zeros(3, 3, 3)
        ),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(t.ones(3, 2, 4), t.ones(3, 2, 4), t.ones(3, 2, 4), is_causal=True),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(t.ones(3, 2, 5), t.ones(3, 2, 5), t.ones(3, 2, 5)),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(t.ones(3, 2, 4), t.ones(3, 2, 4), t.ones(4, 2, 4)),
        lambda t, nn, f: nn.MultiheadAttention(4, 2, kdim=3, vdim=5)(t.ones(3, 2, 4), t.ones(3, 2, 3), t.ones(4, 2, 5)),
        lambda t, nn, f: nn.MultiheadAttention(5, 2),
        lambda t, nn, f: nn.MultiheadAttention(0, 2),
        lambda t, nn, f: nn.MultiheadAttention(4, 2)(
            t.ones(3, 1, 4), t.ones(3, 1, 4), t.ones(3, 1, 4), attn_mask=t.ones(2, 2)
        ),
    ],
)
def test_errors_match_torch(bad: Callable[[Any, Any, Any], Any]) -> None:
    _same_error(bad)
