"""nn.Transformer, TransformerEncoder/Decoder(Layer), MultiheadAttention's dropout and extras, and
scaled_dot_product_attention with dropout, grouped-query attention, scale, causal and boolean/float masks,
against real torch: seeded initial parameters bit for bit (names, order, values, repr), forward values and
the grads of the inputs and of every parameter in training mode (dropout drawn from the same seed: the
generators must also end in the same state), eval mode with and without grad (torch's fast paths: the
nested-tensor encoder's zeros, the fused kernels' NaN for fully masked rows), warnings and errors.

Tolerances: float64 to 1e-12 (the same formulas, other summation orders); float32 to assert_close's
defaults, or a looser one named where a deep stack's grads accumulate float32 rounding.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
import reference_engine.nn.functional as EF
from conformance.compare import Tolerance
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    TIGHT,
    as_engine,
    as_numpy,
    assert_same_nn_error,
    check,
    check_functional,
    grad_fn_name,
    randn,
    torch_release,
)

TF = torch.nn.functional
# torch (and the engine) warn at every construction of a batch-second encoder; the warnings have their own test
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
# a stack of several layers: float32 grads carry the rounding of every layer's sums
DEEP32 = Tolerance(1e-4, 1e-4, "float32 grads through a stack of attention layers, summed in other orders")


def _tol(dt: torch.dtype, deep: bool = False) -> Tolerance | None:
    if dt == torch.float64:
        return TIGHT
    return DEEP32 if deep else None


def _edt(tdt: torch.dtype) -> Any:
    return re_.float64 if tdt == torch.float64 else re_.float32


def _seeded_pair(make: Callable[[Any, Any], Any], seed: int, tdt: torch.dtype) -> tuple[Any, Any]:
    """``make(nn, dtype)`` on both libraries after the same seed: repr, parameter names and values must agree."""
    torch.manual_seed(seed)
    tm = make(torch.nn, tdt)
    re_.manual_seed(seed)
    em = make(enn, _edt(tdt))
    assert repr(em) == repr(tm)
    tnames = [k for k, _ in tm.named_parameters()]
    assert [k for k, _ in em.named_parameters()] == tnames
    for (k, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        assert ep.dtype == _edt(tdt), k
        assert np.array_equal(as_numpy(ep), as_numpy(tp)), f"seeded init of {k}"
    assert np.array_equal(as_numpy(re_.get_rng_state()), as_numpy(torch.get_rng_state())), "generator after init"
    return tm, em


def _convert(v: Any, requires_grad: bool) -> tuple[Any, Any]:
    if not isinstance(v, torch.Tensor):
        return v, v
    if requires_grad and v.is_floating_point():
        return v.clone().requires_grad_(True), as_engine(v, requires_grad=True)
    return v, as_engine(v)


def _compare_call(
    tm: Any,
    em: Any,
    args: list[Any],
    kwargs: dict[str, Any] | None = None,
    seed: int = 5,
    deep: bool = False,
    grads: bool = True,
) -> tuple[Any, Any]:
    """Call both modules (float tensor args as leaves) after the same seed: output, grad_fn name, generator
    state, then (``grads``) the grads of the tensor args and of every parameter."""
    kwargs = kwargs or {}
    pairs = [_convert(a, grads) for a in args]
    kpairs = {k: _convert(v, False) for k, v in kwargs.items()}
    torch.manual_seed(seed)
    ty = tm(*[p[0] for p in pairs], **{k: p[0] for k, p in kpairs.items()})
    re_.manual_seed(seed)
    ey = em(*[p[1] for p in pairs], **{k: p[1] for k, p in kpairs.items()})
    if isinstance(ty, tuple):
        ty, ey = ty[0], ey[0]
    dt = ty.dtype
    check(ey, ty, "output", _tol(dt, deep))
    assert grad_fn_name(ey) == grad_fn_name(ty)
    assert np.array_equal(as_numpy(re_.get_rng_state()), as_numpy(torch.get_rng_state())), "the same draws"
    if not grads or not ty.requires_grad:
        return ty, ey
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    for i, (t, e) in enumerate(pairs):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            check(e.grad, t.grad, f"grad of input {i}", _tol(dt, deep))
    if isinstance(tm, torch.nn.Module):
        for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
            check(ep.grad, tp.grad, f"grad of {name}", _tol(dt, deep))
    return ty, ey


# --------------------------------------------------------------------------- seeded construction
MODELS: dict[str, Callable[[Any, Any], Any]] = {
    "transformer_default_activation": lambda nn, dt: nn.Transformer(8, 2, 2, 2, 16, dtype=dt),
    "transformer_gelu_batch_first_pre_norm": lambda nn, dt: nn.Transformer(
        8, 4, 1, 2, 12, 0.2, "gelu", batch_first=True, norm_first=True, dtype=dt
    ),
    "transformer_no_bias": lambda nn, dt: nn.Transformer(8, 2, 1, 1, 16, dropout=0.3, bias=False, dtype=dt),
    "transformer_module_activation": lambda nn, dt: nn.Transformer(
        6, 3, 1, 1, 10, activation=nn.GELU(approximate="tanh"), layer_norm_eps=1e-3, dtype=dt
    ),
    "decoder_layer": lambda nn, dt: nn.TransformerDecoderLayer(8, 2, 16, 0.25, dtype=dt),
    "decoder_stack": lambda nn, dt: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(8, 2, 16, 0.1, "gelu", batch_first=True, dtype=dt), 3, nn.LayerNorm(8, dtype=dt)
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
@OVER_FLOAT_DTYPES
def test_seeded_construction_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    _seeded_pair(MODELS[name], 3, tdt)


def test_transformer_resets_every_matrix_with_xavier() -> None:
    # torch's _reset_parameters: every parameter of more than one dim, in named_parameters order, drawn
    # after all the layers' own initialisation; vectors keep theirs (zeros and ones, the layers' biases)
    _, em = _seeded_pair(lambda nn, dt: nn.Transformer(4, 2, 1, 1, 6, dtype=dt), 11, torch.float64)
    assert em.d_model == 4 and em.nhead == 2 and em.batch_first is False
    assert em.encoder.layers[0].self_attn.in_proj_bias.abs().sum().item() == 0.0
    assert em.encoder.layers[0].activation_relu_or_gelu == 1
    assert em.decoder.layers[0].activation is EF.relu


def test_decoder_clones_run_relu_instead_of_a_module_activation() -> None:
    # torch's TransformerDecoderLayer.__setstate__: a deepcopy finds no "activation" in the instance dict when
    # the activation is a module, so each clone's attribute becomes F.relu (the module stays in the repr);
    # the encoder layer's __setstate__ checks hasattr, which finds the module, and keeps it
    layers = []
    for nn, f in ((torch.nn, TF), (enn, EF)):
        model = nn.Transformer(4, 2, 1, 1, 6, activation=nn.Tanh())
        layers.append(model)
        assert model.decoder.layers[0].activation is f.relu
        assert type(model.encoder.layers[0].activation).__name__ == "Tanh"
        assert "(activation): Tanh()" in repr(model.decoder.layers[0])
    assert repr(layers[1]) == repr(layers[0])


@pytest.mark.parametrize("sz", [1, 4])
@OVER_FLOAT_DTYPES
def test_generate_square_subsequent_mask(sz: int, tdt: torch.dtype, edt: Any) -> None:
    t = torch.nn.Transformer.generate_square_subsequent_mask(sz, dtype=tdt)
    e = enn.Transformer.generate_square_subsequent_mask(sz, dtype=edt)
    check(e, t, "mask")
    check(enn.Transformer.generate_square_subsequent_mask(3), torch.nn.Transformer.generate_square_subsequent_mask(3))


# --------------------------------------------------------------------------- full transformer, training mode
def _masks(tdt: torch.dtype) -> dict[str, dict[str, Any]]:
    causal4 = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=tdt)
    src_pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [False, True, False, False, False]])
    tgt_pad = torch.tensor([[False] * 4, [False] * 2 + [True] * 2, [False] * 4])
    mem_mask = torch.zeros(4, 5, dtype=torch.bool)
    mem_mask[0, 1:] = True
    return {
        "none": {},
        "causal_detected": {"tgt_mask": causal4},
        "causal_hint": {"tgt_mask": causal4, "tgt_is_causal": True},
        "bool_masks": {
            "src_mask": torch.rand(5, 5) < 0.2, "tgt_mask": torch.ones(4, 4, dtype=torch.bool).triu(1),
            "memory_mask": mem_mask,
        },
        "float_masks": {"src_mask": torch.randn(5, 5, dtype=tdt), "memory_mask": torch.randn(4, 5, dtype=tdt)},
        "padding": {
            "src_key_padding_mask": src_pad, "tgt_key_padding_mask": tgt_pad, "memory_key_padding_mask": src_pad,
            "tgt_mask": torch.ones(4, 4, dtype=torch.bool).triu(1),
        },
        "memory_causal": {"memory_mask": torch.ones(4, 5, dtype=torch.bool).triu(1), "memory_is_causal": True},
        "src_causal_hint": {
            "src_mask": torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=tdt), "src_is_causal": True,
        },
    }  # fmt: skip


@pytest.mark.parametrize("masks", list(_masks(torch.float64)))
@pytest.mark.parametrize("batch_first", [False, True])
@OVER_FLOAT_DTYPES
def test_transformer_trains_with_dropout_like_torch(masks: str, batch_first: bool, tdt: torch.dtype, edt: Any) -> None:
    tm, em = _seeded_pair(
        lambda nn, dt: nn.Transformer(8, 2, 2, 2, 16, dropout=0.2, batch_first=batch_first, dtype=dt), 21, tdt
    )
    kw = _masks(tdt)[masks]
    src, tgt = randn(5, 3, 8, dtype=tdt), randn(4, 3, 8, dtype=tdt)
    if batch_first:
        src, tgt = src.transpose(0, 1).contiguous(), tgt.transpose(0, 1).contiguous()
    _compare_call(tm, em, [src, tgt], kw, deep=True)


TRAIN_VARIANTS: dict[str, Callable[[Any, Any], Any]] = {
    "pre_norm_gelu": lambda nn, dt: nn.Transformer(8, 2, 1, 2, 16, 0.3, "gelu", norm_first=True, dtype=dt),
    "no_bias": lambda nn, dt: nn.Transformer(8, 4, 1, 1, 16, dropout=0.1, bias=False, dtype=dt),
    "callable_activation": lambda nn, dt: nn.Transformer(8, 2, 1, 1, 16, 0.1, lambda x: x.tanh() * 2, dtype=dt),
    "module_activation": lambda nn, dt: nn.Transformer(8, 2, 1, 1, 16, 0.1, nn.LeakyReLU(0.2), dtype=dt),
}


@pytest.mark.parametrize("name", list(TRAIN_VARIANTS))
@OVER_FLOAT_DTYPES
def test_transformer_variants_train_like_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    tm, em = _seeded_pair(TRAIN_VARIANTS[name], 22, tdt)
    src, tgt = randn(3, 2, 8, dtype=tdt), randn(6, 2, 8, dtype=tdt)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=tdt)
    _compare_call(tm, em, [src, tgt], {"tgt_mask": mask}, deep=True)


@OVER_FLOAT_DTYPES
def test_transformer_unbatched_inputs(tdt: torch.dtype, edt: Any) -> None:
    tm, em = _seeded_pair(lambda nn, dt: nn.Transformer(8, 2, 1, 1, 16, dropout=0.1, dtype=dt), 23, tdt)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=tdt)
    kw = {"tgt_mask": mask, "src_key_padding_mask": torch.tensor([False, False, True])}
    _compare_call(tm, em, [randn(3, 8, dtype=tdt), randn(4, 8, dtype=tdt)], kw, deep=True)


def test_transformer_custom_encoder_and_decoder() -> None:
    def make(nn: Any, dt: Any) -> Any:
        enc = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 12, 0.1, batch_first=True, dtype=dt), 1, enable_nested_tensor=False
        )
        dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 12, 0.1, batch_first=True, dtype=dt), 2)
        return nn.Transformer(8, 2, custom_encoder=enc, custom_decoder=dec, batch_first=True, dtype=dt)

    tm, em = _seeded_pair(make, 24, torch.float64)
    _compare_call(tm, em, [randn(2, 5, 8, dtype=torch.float64), randn(2, 3, 8, dtype=torch.float64)])


def test_transformer_trains_with_adam_like_torch() -> None:
    tm, em = _seeded_pair(lambda nn, dt: nn.Transformer(8, 2, 1, 1, 16, dropout=0.1, dtype=dt), 25, torch.float64)
    topt, eopt = torch.optim.Adam(tm.parameters(), lr=1e-2), re_.optim.Adam(em.parameters(), lr=1e-2)
    src, tgt = randn(5, 2, 8, dtype=torch.float64), randn(4, 2, 8, dtype=torch.float64)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    torch.manual_seed(26)
    re_.manual_seed(26)
    for step in range(4):
        tl = (tm(src, tgt, tgt_mask=mask) - tgt).pow(2).mean()
        el = (em(as_engine(src), as_engine(tgt), tgt_mask=as_engine(mask)) - as_engine(tgt)).pow(2).mean()
        check(el, tl, f"loss at step {step}", TIGHT)
        for opt, loss in ((topt, tl), (eopt, el)):
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        # the key bias has no effect on attention: its grads are rounding noise (1e-17), which Adam scales to 1e-11
        check(ep, tp, f"{name} after training", Tolerance(1e-10, 1e-9, "four Adam steps in float64"))


# --------------------------------------------------------------------------- decoder alone
@pytest.mark.parametrize("norm_first", [False, True])
@OVER_FLOAT_DTYPES
def test_decoder_layer_trains_like_torch(norm_first: bool, tdt: torch.dtype, edt: Any) -> None:
    tm, em = _seeded_pair(
        lambda nn, dt: nn.TransformerDecoderLayer(8, 2, 16, 0.3, norm_first=norm_first, dtype=dt), 31, tdt
    )
    pad = torch.tensor([[False] * 5, [False] * 4 + [True]])
    kw = {"tgt_mask": torch.randn(3, 3, dtype=tdt), "memory_key_padding_mask": pad.to(tdt) * -1e9}
    _compare_call(tm, em, [randn(3, 2, 8, dtype=tdt), randn(5, 2, 8, dtype=tdt)], kw)


@OVER_FLOAT_DTYPES
def test_decoder_only_causal_stack(tdt: torch.dtype, edt: Any) -> None:
    # the GPT-style use of TransformerDecoder: the memory is the sequence itself, both attentions causal
    tm, em = _seeded_pair(MODELS["decoder_stack"], 32, tdt)
    x = randn(2, 6, 8, dtype=tdt)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=tdt)
    kw = {"tgt_mask": mask, "memory_mask": mask, "tgt_is_causal": True, "memory_is_causal": True}
    pairs = [_convert(x, True)]
    torch.manual_seed(4)
    ty = tm(pairs[0][0], pairs[0][0], **kw)
    re_.manual_seed(4)
    ey = em(pairs[0][1], pairs[0][1], **{k: as_engine(v) if isinstance(v, torch.Tensor) else v for k, v in kw.items()})
    check(ey, ty, "output", _tol(tdt, True))
    g = torch.randn_like(ty)
    ty.backward(g)
    ey.backward(as_engine(g))
    check(pairs[0][1].grad, pairs[0][0].grad, "input grad", _tol(tdt, True))
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        check(ep.grad, tp.grad, f"grad of {name}", _tol(tdt, True))


# --------------------------------------------------------------------------- eval mode and torch's fast paths
def _encoder(nn: Any, dt: Any, norm: bool = True) -> Any:
    layer = nn.TransformerEncoderLayer(8, 2, 16, 0.1, batch_first=True, dtype=dt)
    return nn.TransformerEncoder(layer, 2, nn.LayerNorm(8, dtype=dt) if norm else None)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("pad_kind", ["bool", "float"])
@pytest.mark.parametrize("grad", [True, False])
@OVER_FLOAT_DTYPES
def test_encoder_eval_with_padding_and_nested_fast_path(pad_kind: str, grad: bool, tdt: torch.dtype, edt: Any) -> None:
    # without grad torch runs the rows' unpadded prefixes as a nested tensor: padded positions give zeros
    # (then the final norm's bias); with grad it runs the Python path on every position
    tm, em = _seeded_pair(_encoder, 41, tdt)
    tm.eval(), em.eval()
    pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [True] * 5])
    if pad_kind == "float":
        pad = torch.zeros(3, 5, dtype=tdt).masked_fill(pad, -math.inf)
    x = randn(3, 5, 8, dtype=tdt)
    if grad:
        ty, _ = _compare_call(tm, em, [x], {"src_key_padding_mask": pad})
        assert not torch.isnan(ty).any()
        return
    with torch.no_grad(), re_.no_grad():
        ty, _ = _compare_call(tm, em, [x], {"src_key_padding_mask": pad}, grads=False)
    bias = tm.norm.bias.detach()
    assert torch.equal(ty[1, 3:], bias.expand(2, 8)) and torch.equal(ty[2], bias.expand(5, 8))


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize(
    "pad",
    [
        [[False, True, False, False, False], [False] * 5],  # not left-aligned: no nested tensor
        [[False] * 5, [False] * 5],
    ],
)
@pytest.mark.parametrize("mask_check", [True, False])
def test_encoder_eval_no_grad_alignment_and_mask_check(pad: list, mask_check: bool) -> None:
    def make(nn: Any, dt: Any) -> Any:
        layer = nn.TransformerEncoderLayer(8, 2, 16, 0.1, batch_first=True, dtype=dt)
        return nn.TransformerEncoder(layer, 2, mask_check=mask_check)

    tm, em = _seeded_pair(make, 42, torch.float64)
    tm.eval(), em.eval()
    with torch.no_grad(), re_.no_grad():
        _compare_call(tm, em, [randn(2, 5, 8, dtype=torch.float64)], {"src_key_padding_mask": torch.tensor(pad)},
                      grads=False)  # fmt: skip


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_fast_path_gives_nan_for_fully_masked_rows(batch_first: bool) -> None:
    # torch's fused layer (eval, no grad, batch_first) uses a plain softmax; its Python path gives zeros
    tm, em = _seeded_pair(
        lambda nn, dt: nn.TransformerEncoderLayer(8, 2, 16, 0.1, batch_first=batch_first, dtype=dt),
        43, torch.float64,
    )  # fmt: skip
    tm.eval(), em.eval()
    pad = torch.tensor([[False] * 4, [True] * 4])
    x = randn(2, 4, 8, dtype=torch.float64)
    if not batch_first:
        x = x.transpose(0, 1).contiguous()
    with torch.no_grad(), re_.no_grad():
        ty, _ = _compare_call(tm, em, [x], {"src_key_padding_mask": pad}, grads=False)
    assert bool(torch.isnan(ty).any()) == batch_first
    _compare_call(tm, em, [x], {"src_key_padding_mask": pad})  # with grad: the Python path, no NaN


def test_multihead_attention_fast_path_dead_rows() -> None:
    tm, em = _seeded_pair(lambda nn, dt: nn.MultiheadAttention(8, 2, dropout=0.4, batch_first=True, dtype=dt), 44,
                          torch.float64)  # fmt: skip
    tm.eval(), em.eval()
    mask = torch.zeros(5, 5, dtype=torch.bool)
    mask[2] = True  # query 2 attends to nothing
    x = randn(2, 5, 8, dtype=torch.float64)
    for need in (False, True):
        with torch.no_grad(), re_.no_grad():
            tx, ex = x, as_engine(x)
            t_out, t_w = tm(tx, tx, tx, attn_mask=mask, need_weights=need)
            e_out, e_w = em(ex, ex, ex, attn_mask=as_engine(mask), need_weights=need)
        check(e_out, t_out, "output", TIGHT)
        check(e_w, t_w, "weights", TIGHT)
        t_out, _ = tm(tx, tx, tx, attn_mask=mask, need_weights=need)  # grad enabled: Python path
        e_out, _ = em(ex, ex, ex, attn_mask=as_engine(mask), need_weights=need)
        check(e_out, t_out, "output with grad", TIGHT)


@OVER_FLOAT_DTYPES
def test_transformer_eval_matches_torch(tdt: torch.dtype, edt: Any) -> None:
    tm, em = _seeded_pair(lambda nn, dt: nn.Transformer(8, 2, 2, 2, 16, batch_first=True, dtype=dt), 45, tdt)
    tm.eval(), em.eval()
    src, tgt = randn(2, 5, 8, dtype=tdt), randn(2, 4, 8, dtype=tdt)
    kw = {
        "tgt_mask": torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=tdt),
        "src_key_padding_mask": torch.tensor([[False] * 5, [False] * 3 + [True] * 2]),
        "memory_key_padding_mask": torch.tensor([[False] * 5, [False] * 3 + [True] * 2]),
    }
    _compare_call(tm, em, [src, tgt], kw, deep=True)
    with torch.no_grad(), re_.no_grad():
        _compare_call(tm, em, [src, tgt], kw, grads=False, deep=True)


# --------------------------------------------------------------------------- warnings and errors
def _warnings_of(fn: Callable[[], Any]) -> list[str]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [f"{w.category.__name__}: {w.message}" for w in rec if "nested tensors" not in str(w.message)]


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.Transformer(8, 2, 1, 1, 16),
        lambda nn: nn.Transformer(8, 2, 1, 1, 16, batch_first=True, norm_first=True),
        lambda nn: nn.Transformer(6, 3, 1, 1, 16, batch_first=True),
        lambda nn: nn.Transformer(8, 2, 1, 1, 16, batch_first=True, bias=False),
        lambda nn: nn.Transformer(8, 2, 1, 1, 16, batch_first=True, activation=lambda x: x),
        lambda nn: nn.Transformer(8, 2, 1, 1, 16, batch_first=True, activation=nn.ReLU()),
        lambda nn: nn.TransformerEncoder(nn.TransformerDecoderLayer(8, 2), 1),
    ],
)
def test_construction_warnings_match_torch(make: Callable[[Any], Any]) -> None:
    assert _warnings_of(lambda: make(enn)) == _warnings_of(lambda: make(torch.nn))


def test_mismatched_mask_types_warn_like_torch() -> None:
    tm, em = _seeded_pair(lambda nn, dt: nn.Transformer(8, 2, 2, 2, 16, 0.0, dtype=dt), 51, torch.float64)
    src, tgt = randn(5, 2, 8, dtype=torch.float64), randn(4, 2, 8, dtype=torch.float64)
    kw = {
        "src_mask": torch.zeros(5, 5, dtype=torch.float64),
        "src_key_padding_mask": torch.tensor([[False] * 5, [False] * 4 + [True]]),
        "tgt_mask": torch.ones(4, 4, dtype=torch.bool).triu(1),
        "tgt_key_padding_mask": torch.zeros(2, 4, dtype=torch.float64),
        "memory_mask": torch.zeros(4, 5, dtype=torch.float64),
        "memory_key_padding_mask": torch.tensor([[False] * 5, [False] * 4 + [True]]),
    }
    ekw = {k: as_engine(v) for k, v in kw.items()}
    want = _warnings_of(lambda: tm(src, tgt, **kw))
    assert len(want) == 5  # the encoder once, each decoder layer's two attentions
    assert _warnings_of(lambda: em(as_engine(src), as_engine(tgt), **ekw)) == want


def _small(nn: Any) -> Any:
    return nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)


ERRORS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "batch_mismatch": lambda t, nn, f: _small(nn)(t.ones(3, 2, 8), t.ones(4, 3, 8)),
    "batch_mismatch_batch_first": lambda t, nn, f: nn.Transformer(8, 2, 1, 1, 16, batch_first=True)(
        t.ones(2, 3, 8), t.ones(3, 3, 8)
    ),
    "feature_mismatch": lambda t, nn, f: _small(nn)(t.ones(3, 2, 6), t.ones(4, 2, 6)),
    "bad_activation": lambda t, nn, f: nn.TransformerDecoderLayer(8, 2, activation="tanh"),
    "heads_do_not_divide": lambda t, nn, f: nn.Transformer(8, 3),
    "int_mask": lambda t, nn, f: _small(nn)(t.ones(3, 2, 8), t.ones(4, 2, 8), tgt_mask=t.zeros(4, 4, dtype=t.int64)),
    "int_padding_mask": lambda t, nn, f: _small(nn)(
        t.ones(3, 2, 8), t.ones(4, 2, 8), src_key_padding_mask=t.zeros(2, 3, dtype=t.int64)
    ),
    "mask_shape": lambda t, nn, f: _small(nn)(t.ones(3, 2, 8), t.ones(4, 2, 8), tgt_mask=t.zeros(3, 3)),
    "memory_mask_shape": lambda t, nn, f: _small(nn)(t.ones(3, 2, 8), t.ones(4, 2, 8), memory_mask=t.zeros(4, 4)),
    "padding_mask_shape": lambda t, nn, f: _small(nn)(
        t.ones(3, 2, 8), t.ones(4, 2, 8), tgt_key_padding_mask=t.zeros(2, 3, dtype=t.bool)
    ),
    "causal_hint_without_mask": lambda t, nn, f: nn.TransformerDecoderLayer(8, 2, 16)(
        t.ones(4, 2, 8), t.ones(3, 2, 8), tgt_is_causal=True
    ),
    "memory_causal_without_mask": lambda t, nn, f: _small(nn)(t.ones(3, 2, 8), t.ones(4, 2, 8), memory_is_causal=True),
    "memory_batch_mismatch": lambda t, nn, f: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1)(
        t.ones(4, 2, 8), t.ones(3, 1, 8)
    ),
    "query_dims": lambda t, nn, f: nn.TransformerDecoderLayer(8, 2, 16)(t.ones(4, 2, 8), t.ones(3, 8)),
    "padding_mask_dims": lambda t, nn, f: nn.MultiheadAttention(8, 2)(
        t.ones(4, 2, 8), t.ones(4, 2, 8), t.ones(4, 2, 8), key_padding_mask=t.zeros(2, 4, 1, dtype=t.bool)
    ),
    "attn_mask_4d": lambda t, nn, f: nn.MultiheadAttention(8, 2)(
        t.ones(4, 2, 8), t.ones(4, 2, 8), t.ones(4, 2, 8), attn_mask=t.zeros(1, 4, 4, 4)
    ),
    "mha_embed_dim": lambda t, nn, f: nn.MultiheadAttention(8, 2)(t.ones(4, 2, 6), t.ones(4, 2, 6), t.ones(4, 2, 6)),
    "mha_zero_heads": lambda t, nn, f: nn.MultiheadAttention(8, 0),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name: str) -> None:
    assert_same_nn_error(ERRORS[name])


# --------------------------------------------------------------------------- MultiheadAttention's extras
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@OVER_FLOAT_DTYPES
def test_multihead_attention_dropout(need_weights: bool, batch_first: bool, tdt: torch.dtype, edt: Any) -> None:
    # need_weights: F.dropout on the softmax; without: SDPA's dropout (the same draws)
    tm, em = _seeded_pair(
        lambda nn, dt: nn.MultiheadAttention(8, 2, dropout=0.3, batch_first=batch_first, dtype=dt), 61, tdt
    )
    x = randn(3, 4, 8, dtype=tdt) if batch_first else randn(4, 3, 8, dtype=tdt)  # length 4, batch 3
    mask = torch.ones(4, 4, dtype=torch.bool).triu(1)

    def call(m: Any) -> Callable[..., Any]:
        return lambda q, attn_mask: m(q, q, q, attn_mask=attn_mask, need_weights=need_weights)

    _compare_call(call(tm), call(em), [x], {"attn_mask": mask})
    if need_weights:
        torch.manual_seed(2)
        re_.manual_seed(2)
        tw = tm(x, x, x)[1]
        ew = em(as_engine(x), as_engine(x), as_engine(x))[1]
        check(ew, tw, "dropped-out weights", _tol(tdt))
    tm.eval(), em.eval()
    _compare_call(call(tm), call(em), [x], {"attn_mask": mask})  # no dropout, no draws


@pytest.mark.parametrize("kw", [{"add_bias_kv": True}, {"add_zero_attn": True}, {"add_bias_kv": True,
                                "add_zero_attn": True, "kdim": 5, "vdim": 3}])  # fmt: skip
@OVER_FLOAT_DTYPES
def test_multihead_attention_bias_kv_and_zero_attn(kw: dict, tdt: torch.dtype, edt: Any) -> None:
    tm, em = _seeded_pair(lambda nn, dt: nn.MultiheadAttention(8, 2, dropout=0.2, dtype=dt, **kw), 62, tdt)
    q = randn(3, 2, 8, dtype=tdt)
    k, v = randn(4, 2, kw.get("kdim", 8), dtype=tdt), randn(4, 2, kw.get("vdim", 8), dtype=tdt)
    pad = torch.tensor([[False] * 4, [False, False, True, False]])
    mask = torch.randn(3, 4, dtype=tdt)
    for need in (True, False):
        _compare_call(lambda *a, **k_: tm(*a, **k_)[0], lambda *a, **k_: em(*a, **k_)[0], [q, k, v],
                      {"key_padding_mask": pad.to(tdt) * -1e4, "attn_mask": mask, "need_weights": need})  # fmt: skip


@OVER_FLOAT_DTYPES
def test_multi_head_attention_forward_functional(tdt: torch.dtype, edt: Any) -> None:
    e, h, lq, s, n = 6, 3, 4, 5, 2
    shapes = [(lq, n, e), (s, n, e), (s, n, e), (3 * e, e), (3 * e,), (1, 1, e), (1, 1, e), (e, e), (e,)]
    leaves = [randn(*sh, dtype=tdt) for sh in shapes]

    def fn(f: Any, q: Any, k: Any, v: Any, w: Any, b: Any, bk: Any, bv: Any, ow: Any, ob: Any) -> Any:
        return f.multi_head_attention_forward(q, k, v, e, h, w, b, bk, bv, True, 0.25, ow, ob, training=True)[0]

    torch.manual_seed(63)
    re_.manual_seed(63)
    check_functional(fn, leaves)
    static = randn(n * h, s, e // h, dtype=tdt)

    def fn_static(f: Any, q: Any, w: Any, ow: Any, sk: Any, sv: Any) -> Any:
        return f.multi_head_attention_forward(q, q, q, e, h, w, None, None, None, False, 0.0, ow, None,
                                              static_k=sk, static_v=sv, need_weights=False)[0]  # fmt: skip

    check_functional(fn_static, [leaves[0], leaves[3], leaves[7], static, static.clone()])


# --------------------------------------------------------------------------- scaled_dot_product_attention
SDPA_SHAPES = {
    "math": [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)],  # unequal head dims: torch's math path
    "flash_shapes": [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)],  # dropout sends these to the math path too
    "three_d": [(4, 3, 4), (4, 5, 4), (4, 5, 2)],
}
SDPA_DROPOUT_CASES: dict[str, dict[str, Any]] = {
    "plain": {"dropout_p": 0.3},
    "high": {"dropout_p": 0.9},
    "all": {"dropout_p": 1.0},
    "causal": {"dropout_p": 0.5, "is_causal": True},
    "scale": {"dropout_p": 0.2, "scale": 0.7},
    "negative_scale": {"dropout_p": 0.2, "scale": -0.4},
    "float_mask": {"dropout_p": 0.25, "attn_mask": torch.randn(3, 5)},
    "bool_mask": {"dropout_p": 0.25, "attn_mask": torch.tensor([[True, False, True, True, False]] * 2 + [[False] * 5])},
}


@pytest.mark.parametrize("shapes", list(SDPA_SHAPES))
@pytest.mark.parametrize("name", list(SDPA_DROPOUT_CASES))
@OVER_FLOAT_DTYPES
def test_sdpa_dropout_draws_like_torch(shapes: str, name: str, tdt: torch.dtype, edt: Any) -> None:
    consts = dict(SDPA_DROPOUT_CASES[name])
    if "attn_mask" in consts and consts["attn_mask"].is_floating_point():
        consts["attn_mask"] = consts["attn_mask"].to(tdt)
    leaves = [randn(*s, dtype=tdt) for s in SDPA_SHAPES[shapes]]

    def sdpa(f: Any) -> Callable[..., Any]:
        return lambda q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw)

    # the same mask, the generators moved on alike (_compare_call checks the state), the same grads
    _compare_call(sdpa(TF), sdpa(EF), leaves, consts, seed=70)


def test_sdpa_dropout_is_dropout_of_the_attention_weights() -> None:
    # what torch's math path does: at::dropout on softmax(q k^T * scale), the mask drawn on its shape
    q, k, v = randn(2, 3, 4, 5, dtype=torch.float64), randn(2, 3, 6, 5, dtype=torch.float64), randn(2, 3, 6, 5,
                                                                                               dtype=torch.float64)  # fmt: skip
    torch.manual_seed(71)
    out = TF.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    re_.manual_seed(71)
    eq, ek, ev = (as_engine(t) for t in (q, k, v))
    weights = EF.softmax(eq.matmul(ek.transpose(-2, -1)) / math.sqrt(5), -1)
    check(EF.dropout(weights, 0.4).matmul(ev), out, "by hand", TIGHT)


GQA_SHAPES = [
    [(2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)],
    [(2, 6, 3, 4), (2, 3, 5, 4), (2, 1, 5, 4)],  # key and value with their own head counts
    [(2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)],
    [(4, 3, 4), (2, 5, 4), (2, 5, 4)],
    [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)],
]


@pytest.mark.parametrize("shapes", GQA_SHAPES, ids=range(len(GQA_SHAPES)))
@pytest.mark.parametrize("extra", [{}, {"is_causal": True}, {"dropout_p": 0.3}, {"scale": 0.5, "attn_mask": "f"}])
@OVER_FLOAT_DTYPES
def test_sdpa_grouped_query_attention(shapes: list, extra: dict, tdt: torch.dtype, edt: Any) -> None:
    consts = {"enable_gqa": True, **extra}
    if consts.get("attn_mask") == "f":
        consts["attn_mask"] = torch.randn(3, 5, dtype=tdt)
    leaves = [randn(*s, dtype=tdt) for s in shapes]
    torch.manual_seed(72)
    re_.manual_seed(72)
    check_functional(lambda f, q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw), leaves, consts,
                     same_node=False)  # fmt: skip


MASKS_EXTRA: dict[str, tuple[list, dict[str, Any]]] = {
    "mask_4d_broadcast": ([(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)], {"attn_mask": torch.randn(2, 1, 3, 5)}),
    "mask_rows_broadcast": ([(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)], {"attn_mask": torch.randn(1, 5)}),
    "bool_mask_3d": ([(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)], {"attn_mask": torch.rand(2, 3, 5) < 0.5}),
    "causal_longer_query": ([(2, 2, 5, 4), (2, 2, 3, 4), (2, 2, 3, 3)], {"is_causal": True}),
    "causal_flash_longer_query": ([(2, 2, 5, 4), (2, 2, 3, 4), (2, 2, 3, 4)], {"is_causal": True}),
    # the flash kernel (equal head dims, 4-D) takes the causal hint together with a mask: both apply
    "causal_and_mask_flash": (
        [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)],
        {"attn_mask": torch.randn(3, 5), "is_causal": True},
    ),
    "float32_mask_float64": ([(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)], {"attn_mask": torch.randn(3, 5)}),
    "scale_zero": ([(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)], {"scale": 0.0}),
    "batch_broadcast": ([(2, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 3)], {}),
    "five_d": ([(2, 1, 2, 3, 4), (2, 1, 2, 5, 4), (2, 1, 2, 5, 4)], {"dropout_p": 0.5}),
}


@pytest.mark.parametrize("name", list(MASKS_EXTRA))
@OVER_FLOAT_DTYPES
def test_sdpa_masks_and_shapes(name: str, tdt: torch.dtype, edt: Any) -> None:
    shapes, consts = MASKS_EXTRA[name]
    consts = dict(consts)
    mask = consts.get("attn_mask")
    if mask is not None and mask.is_floating_point() and name != "float32_mask_float64":
        consts["attn_mask"] = mask.to(tdt)
    leaves = [randn(*s, dtype=tdt) for s in shapes]
    if name == "causal_and_mask_flash" and torch_release() == "2.14":
        # torch 2.14 refuses is_causal with an explicit mask on the flash path too (2.13 applied both)
        assert_same_nn_error(lambda t, nn, f: f.scaled_dot_product_attention(
            *[as_engine(x) if t is re_ else x for x in leaves],
            attn_mask=as_engine(consts["attn_mask"]) if t is re_ else consts["attn_mask"], is_causal=True))  # fmt: skip
        return
    torch.manual_seed(73)
    re_.manual_seed(73)
    check_functional(lambda f, q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw), leaves, consts,
                     same_node=False)  # fmt: skip


def _sdpa(q: tuple, k: tuple, v: tuple, dtype: str = "float32", **kw: Any) -> Callable[[Any, Any, Any], Any]:
    def run(t: Any, nn: Any, f: Any) -> Any:
        dt = getattr(t, dtype)
        mk = {key: (val(t) if callable(val) else val) for key, val in kw.items()}
        return f.scaled_dot_product_attention(t.ones(q, dtype=dt), t.ones(k, dtype=dt), t.ones(v, dtype=dt), **mk)

    return run


Q4, K4, V4, V3 = (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3)
SDPA_ERRORS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "dtypes_differ": lambda t, nn, f: f.scaled_dot_product_attention(
        t.ones(Q4), t.ones(K4, dtype=t.float64), t.ones(V4, dtype=t.int64)
    ),
    "one_dim": _sdpa((4,), (4,), (4,)),
    "int_mask": _sdpa(Q4, K4, V4, attn_mask=lambda t: t.ones(3, 5, dtype=t.int64)),
    "double_mask_float_query": _sdpa(Q4, K4, V4, attn_mask=lambda t: t.ones(3, 5, dtype=t.float64)),
    "causal_and_mask_math": _sdpa(Q4, K4, V3, attn_mask=lambda t: t.zeros(3, 5), is_causal=True),
    "causal_and_mask_dropout": _sdpa(Q4, K4, V4, attn_mask=lambda t: t.zeros(3, 5), is_causal=True, dropout_p=0.1),
    "dropout_above_one": _sdpa(Q4, K4, V4, dropout_p=1.5),
    "negative_dropout_flash": _sdpa(Q4, K4, V4, dropout_p=-0.1),
    "mask_shape": _sdpa(Q4, K4, V3, attn_mask=lambda t: t.zeros(4, 5)),
    "mask_grows_output": _sdpa(Q4, K4, V3, attn_mask=lambda t: t.zeros(1, 2, 2, 3, 5)),
    "gqa_without_flag": _sdpa((2, 4, 3, 4), K4, V4),
    "gqa_heads_do_not_divide": _sdpa((2, 3, 3, 4), K4, V4, enable_gqa=True),
    "gqa_unbatched": _sdpa((3, 4), (5, 4), (5, 4), enable_gqa=True),
    "value_length": _sdpa(Q4, K4, (2, 2, 6, 3)),
    "key_dim": _sdpa(Q4, (2, 2, 5, 3), V4),
    "batch_mismatch": _sdpa(Q4, (3, 2, 5, 4), (3, 2, 5, 4)),
}


@pytest.mark.parametrize("name", list(SDPA_ERRORS))
def test_sdpa_errors_match_torch(name: str) -> None:
    assert_same_nn_error(SDPA_ERRORS[name])


@OVER_FLOAT_DTYPES
def test_sdpa_negative_dropout_on_the_math_path_is_no_dropout(tdt: torch.dtype, edt: Any) -> None:
    leaves = [randn(*s, dtype=tdt) for s in SDPA_SHAPES["math"]]
    check_functional(lambda f, q, k, v: f.scaled_dot_product_attention(q, k, v, dropout_p=-0.3), leaves)


# --------------------------------------------------------------------------- scaled_dot_product_attention per release
def _ramp(m: Any, *shape: int) -> Any:
    n = math.prod(shape)
    return (m.arange(n, dtype=m.float64).reshape(shape) / n).requires_grad_()


SDPA_RELEASE_CASES: dict[str, Callable[[Any], Any]] = {
    "three_d_dropout": lambda m: m.nn.functional.scaled_dot_product_attention(
        _ramp(m, 4, 3, 4), _ramp(m, 4, 5, 4), _ramp(m, 4, 5, 2), dropout_p=0.3
    ),
    "three_d_negative_dropout": lambda m: m.nn.functional.scaled_dot_product_attention(
        _ramp(m, 4, 3, 4), _ramp(m, 4, 5, 4), _ramp(m, 4, 5, 4), dropout_p=-0.1
    ),
    "three_d_4d_mask": lambda m: m.nn.functional.scaled_dot_product_attention(
        _ramp(m, 4, 3, 4), _ramp(m, 4, 5, 4), _ramp(m, 4, 5, 2), attn_mask=_ramp(m, 1, 1, 3, 5).detach()
    ),
    "causal_and_mask_flash": lambda m: m.nn.functional.scaled_dot_product_attention(
        _ramp(m, 2, 2, 3, 4),
        _ramp(m, 2, 2, 5, 4),
        _ramp(m, 2, 2, 5, 4),
        attn_mask=_ramp(m, 3, 5).detach(),
        is_causal=True,
    ),
    "shared_kv_head_negative_dropout": lambda m: m.nn.functional.scaled_dot_product_attention(
        _ramp(m, 2, 4, 3, 4), _ramp(m, 2, 1, 5, 4), _ramp(m, 2, 1, 5, 4), dropout_p=-0.1
    ),
}
_FLASH_DROPOUT = ("RuntimeError", "scaled_dot_product_attention_flash_attention: Currently do not support dropout > 0")
# recorded from torch 2.13.0 and torch 2.14.1 (after manual_seed(0)): (grad_fn, shape, sum) or (error type, message).
# 2.14 runs 3-D inputs as one batch of heads (unsqueeze(0) ... squeeze(0), so its flash kernel can take them),
# refuses is_causal with a mask on every path, and its flash kernel takes one key/value head shared by all query
# heads; None: torch's flash kernel records ScaledDotProductFlashAttentionForCpuBackward0, the engine the math
# path's nodes (not compared)
SDPA_RELEASES: dict[str, dict[str, tuple]] = {
    "2.13": {
        "three_d_dropout": ("UnsafeViewBackward0", (4, 3, 2), 11.251857),
        "three_d_negative_dropout": ("UnsafeViewBackward0", (4, 3, 4), 23.934505),
        "three_d_4d_mask": ("RuntimeError", "output with shape [4, 3, 5] doesn't match the broadcast shape [1, 4, 3, 5]"),
        "causal_and_mask_flash": (None, (2, 2, 3, 4), 20.189012),
        "shared_kv_head_negative_dropout": ("UnsafeViewBackward0", (2, 4, 3, 4), 48.683969),
    },
    "2.14": {
        "three_d_dropout": ("SqueezeBackward1", (4, 3, 2), 11.251857),
        "three_d_negative_dropout": _FLASH_DROPOUT,
        "three_d_4d_mask": ("SqueezeBackward1", (4, 3, 2), 11.975615),
        "causal_and_mask_flash": (
            "RuntimeError", "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
        ),
        "shared_kv_head_negative_dropout": _FLASH_DROPOUT,
    },
}  # fmt: skip


def _sdpa_outcome(m: Any, name: str) -> tuple:
    m.manual_seed(0)
    try:
        out = SDPA_RELEASE_CASES[name](m)
    except RuntimeError as exc:
        return type(exc).__name__, str(exc)
    return type(out.grad_fn).__name__, tuple(out.shape), round(float(out.detach().sum()), 6)


@pytest.mark.parametrize("name", list(SDPA_RELEASE_CASES))
def test_sdpa_dispatch_per_release(release: str, name: str) -> None:
    want = SDPA_RELEASES[release][name]
    got = _sdpa_outcome(re_, name)
    assert got[1:] == want[1:]
    if want[0] is not None:
        assert got[0] == want[0]
    if release == torch_release():
        live = _sdpa_outcome(torch, name)
        assert live[1:] == want[1:]
        assert want[0] is None or live[0] == want[0]
