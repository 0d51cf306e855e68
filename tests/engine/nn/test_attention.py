"""scaled_dot_product_attention, MultiheadAttention and TransformerEncoder(Layer) against real torch: values and
grads (float64 to 1e-12; float32 to assert_close's defaults, torch's flash-attention CPU kernel sums in another
order), seeded initial weights, masks, training without dropout, warnings and errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn as enn
from tests.helpers import (
    OVER_FLOAT_DTYPES,
    as_engine,
    assert_same_nn_error,
    build_pair,
    check,
    check_functional,
    randn,
    run_and_compare,
)

TF = torch.nn.functional


ATTENTION_CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.3},
    "negative_scale": {"scale": -0.3},
    "float_mask": {"attn_mask": torch.randn(3, 5)},
    "bool_mask": {"attn_mask": torch.tensor([[True, False, True, True, False]] * 2 + [[False] * 5])},
}


@pytest.mark.parametrize("name", list(ATTENTION_CASES))
@OVER_FLOAT_DTYPES
def test_scaled_dot_product_attention(name: str, tdt: torch.dtype, edt: Any) -> None:
    consts = dict(ATTENTION_CASES[name])
    if "attn_mask" in consts and consts["attn_mask"].is_floating_point():
        consts["attn_mask"] = consts["attn_mask"].to(tdt)
    # a fully masked row (bool_mask's last) gives zeros and zero grads, not NaN
    shapes = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)]
    check_functional(lambda f, q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw), [randn(*s, dtype=tdt) for s in shapes],
         consts)  # fmt: skip


@OVER_FLOAT_DTYPES
def test_sdpa_flash_attention_inputs(tdt: torch.dtype, edt: Any) -> None:
    # equal head dims on 4-D inputs: torch runs its flash-attention CPU kernel (its own node,
    # ScaledDotProductFlashAttentionForCpuBackward0); the engine keeps the math path, same values
    shapes = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)]
    for consts in ({}, {"is_causal": True}, {"attn_mask": torch.randn(3, 5, dtype=tdt)}):
        check_functional(lambda f, q, k, v, **kw: f.scaled_dot_product_attention(q, k, v, **kw),
             [randn(*s, dtype=tdt) for s in shapes], consts, same_node=False)  # fmt: skip


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
@OVER_FLOAT_DTYPES
def test_multihead_self_attention(call: str, batch_first: bool, tdt: torch.dtype, edt: Any) -> None:
    tm, em = _mha_pair(tdt, edt, batch_first=batch_first)
    kw = {
        k: (v.to(tdt) if isinstance(v, torch.Tensor) and v.is_floating_point() else v)
        for k, v in MHA_CALLS[call].items()
    }
    x = randn(2, 3, 4, dtype=tdt) if batch_first else randn(3, 2, 4, dtype=tdt)  # batch 2, length 3
    for pick in (0, 1):
        if pick == 1 and not kw.get("need_weights", True):
            continue

        def fn(f: Any, q: Any, pick: int = pick, **consts: Any) -> Any:
            return (tm if f is TF else em)(q, q, q, **consts)[pick]

        check_functional(fn, [x], kw)


@OVER_FLOAT_DTYPES
def test_multihead_cross_attention_and_unbatched(tdt: torch.dtype, edt: Any) -> None:
    tm, em = _mha_pair(tdt, edt, kdim=3, vdim=5, batch_first=True)
    shapes = [(2, 3, 4), (2, 6, 3), (2, 6, 5)]
    for need in (True, False):
        check_functional(lambda f, q, k, v, need=need: (tm if f is TF else em)(q, k, v, need_weights=need)[0],
             [randn(*s, dtype=tdt) for s in shapes])  # fmt: skip
    tm, em = _mha_pair(tdt, edt)
    check_functional(
        lambda f, q, k: (tm if f is TF else em)(q, k, k)[1], [randn(3, 4, dtype=tdt), randn(5, 4, dtype=tdt)]
    )
    check_functional(lambda f, q: (tm if f is TF else em)(q, q, q, need_weights=False)[0], [randn(3, 4, dtype=tdt)])


# --------------------------------------------------------------------------- transformer encoder
ENCODERS: dict[str, Callable[[Any], Any]] = {
    "post_norm": lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
    "pre_norm_gelu_batch_first": lambda nn: nn.TransformerEncoderLayer(
        8, 2, 12, 0.1, "gelu", batch_first=True, norm_first=True
    ),
    "stack_with_norm": lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 4, 16, 0.1, batch_first=True), 2, nn.LayerNorm(8), enable_nested_tensor=False
    ),
}


@OVER_FLOAT_DTYPES
@pytest.mark.parametrize("name", list(ENCODERS))
def test_transformer_encoder_eval_matches_torch(name: str, tdt: torch.dtype, edt: Any) -> None:
    make = ENCODERS[name]
    torch.manual_seed(15)
    re_.manual_seed(15)
    tm, em = make(torch.nn).to(tdt).eval(), make(enn).to(edt).eval()
    assert repr(em) == repr(tm)
    tparams, eparams = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(eparams) == list(tparams)
    for k, tp in tparams.items():
        check(eparams[k], tp, f"seeded init of {k}")  # the same draws in the same order
    x = torch.randn(2, 5, 8, dtype=tdt)
    run_and_compare(tm, em, x)  # parameters require grad, so torch takes its slow path


def test_transformer_encoder_masks_match_torch() -> None:
    torch.manual_seed(16)
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()
    em = enn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()
    em.load_state_dict({k: as_engine(v) for k, v in tm.state_dict().items()})
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    pad = torch.zeros(2, 5, dtype=torch.float64)
    pad[1, 3:] = float("-inf")  # float like src_mask: mixing mask types is deprecated in torch
    ty = tm(x, src_mask=causal, src_key_padding_mask=pad)
    ey = em(as_engine(x), src_mask=as_engine(causal), src_key_padding_mask=as_engine(pad))
    check(ey, ty, "masked output")


def test_transformer_encoder_trains_like_torch_without_dropout() -> None:
    torch.manual_seed(17)
    tm, em = build_pair(lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), torch.float64, re_.float64)
    run_and_compare(tm.train(), em.train(), torch.randn(5, 2, 8, dtype=torch.float64))
    # with dropout (attention weights included): tests/engine/nn/test_transformer.py


def test_transformer_encoder_warning_and_errors_match_torch() -> None:
    layers = [nn.TransformerEncoderLayer(8, 2, 16) for nn in (torch.nn, enn)]
    messages = []
    for nn, layer in zip((torch.nn, enn), layers, strict=True):
        with pytest.warns(UserWarning) as rec:
            nn.TransformerEncoder(layer, 2)
        messages.append([str(w.message) for w in rec])
    assert messages[1] == messages[0]
    assert_same_nn_error(lambda t, nn, f: nn.TransformerEncoderLayer(8, 2, activation="tanh"))
    assert_same_nn_error(lambda t, nn, f: nn.TransformerEncoderLayer(8, 3))
