"""scaled_dot_product_attention and multi_head_attention_forward, as torch's composites of engine ops.

SDPA follows torch's math backend (``_scaled_dot_product_attention_math``): query and key are each
scaled by sqrt(scale), a boolean mask becomes an additive 0/-inf mask, and rows masked everywhere
give zeros (``_safe_softmax``) rather than NaN. multi_head_attention_forward is torch's Python
function step for step (packed in-projection, per-head bmm, out-projection), so its graph and
grad_fn names are torch's.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype as D
from ..._creation import ones, zeros_like
from ...ops import pointwise
from ...ops.inplace import scalar_type_name
from ...ops.reduction import softmax
from ...tensor import Tensor
from .linear import linear


def _dtype_name(t: Tensor) -> str:
    # the C++ type names torch's check prints: float, double ...
    return scalar_type_name(t.dtype).lower()


def _additive(mask: Tensor, dtype: D.dtype) -> Tensor:
    """A boolean mask (True = attend) as torch's additive float mask: 0 where allowed, -inf elsewhere."""
    return zeros_like(mask, dtype=dtype).masked_fill_(mask.logical_not(), -math.inf)


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, zeros for rows that are -inf everywhere (torch's _safe_softmax)."""
    dead = (scores == -math.inf).all(-1, keepdim=True)
    # dead rows are zeroed before the softmax too, so neither value nor grad ever sees a NaN
    return pointwise.where(dead, 0.0, softmax(pointwise.where(dead, 0.0, scores), -1))


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v over the last two dims (no dropout, no grouped-query attention)."""
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_dtype_name(query)} key.dtype: {_dtype_name(key)} and value.dtype: {_dtype_name(value)} instead."
        )
    if dropout_p > 0.0 or enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: dropout_p and enable_gqa are not supported")
    s = scale if scale is not None else 1.0 / math.sqrt(query.shape[-1])
    root = math.sqrt(abs(s))
    q = query * (root if s >= 0 else -root)
    if is_causal:
        attn_mask = _additive(ones(query.shape[-2], key.shape[-2], dtype=D.bool_).tril(), query.dtype)
    elif attn_mask is not None and attn_mask.dtype == D.bool_:
        attn_mask = _additive(attn_mask, query.dtype)
    scores = q.matmul(key.transpose(-2, -1) * root)
    if attn_mask is not None:
        scores = scores + attn_mask
    return _safe_softmax(scores).matmul(value)


def _canonical_mask(mask: Tensor | None, name: str, target: D.dtype) -> Tensor | None:
    """A bool mask (True = masked out) as an additive float mask, as torch's F._canonical_mask."""
    if mask is None:
        return None
    if mask.dtype != D.bool_ and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if mask.dtype == D.bool_:
        return zeros_like(mask, dtype=target).masked_fill_(mask, -math.inf)
    return mask


def _in_projection(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
    """torch's _in_projection_packed: one linear when q, k and v are the same tensor, else one per input."""
    e = q.shape[-1]
    if k is v and q is k:
        proj = linear(q, w, b).unflatten(-1, (3, e)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return proj[0], proj[1], proj[2]
    if k is v:
        w_q, w_kv = w.split([e, e * 2])
        b_q, b_kv = (None, None) if b is None else b.split([e, e * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, e)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return linear(q, w_q, b_q), kv[0], kv[1]
    ws = w.chunk(3)
    bs = (None, None, None) if b is None else b.chunk(3)
    return linear(q, ws[0], bs[0]), linear(k, ws[1], bs[1]), linear(v, ws[2], bs[2])


def multi_head_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
    separate_weights: tuple[Tensor, Tensor, Tensor] | None = None,
) -> tuple[Tensor, Tensor | None]:
    """torch's F.multi_head_attention_forward (no bias_k/bias_v, zero-attn or dropout) on sequence-first
    (L, N, E) or unbatched (L, E) inputs; ``separate_weights``: the q, k, v projections when there is no
    packed ``in_proj_weight``."""
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != out_proj_weight.shape[0]:
        raise AssertionError(f"was expecting embedding dimension of {out_proj_weight.shape[0]}, but got {embed_dim}")
    if separate_weights is not None and key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}")
    if separate_weights is None and key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if key_padding_mask is not None and attn_mask is not None and key_padding_mask.dtype != attn_mask.dtype:
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead.",
            stacklevel=3,
        )
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # sdpa builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        is_causal = False
    head_dim = embed_dim // num_heads
    if separate_weights is None:
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias)
    else:
        bs = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = (linear(x, w, b) for x, w, b in zip((query, key, value), separate_weights, bs, strict=True))
    if attn_mask is not None and attn_mask.ndim == 2:
        src = key.shape[0]
        if tuple(attn_mask.shape) != (tgt_len, src):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src)}.")
        attn_mask = attn_mask.unsqueeze(0)
    elif attn_mask is not None and tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, key.shape[0]):
        raise RuntimeError(
            f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
            f"{(bsz * num_heads, tgt_len, key.shape[0])}."
        )
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        for d, want in enumerate((bsz, src_len)):
            if key_padding_mask.shape[d] != want:
                raise AssertionError(
                    f"Expected key_padded_mask.shape[{d}] to be {want}, but got {key_padding_mask.shape[d]}"
                )
        kpm = (
            key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        )
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if attn_mask is not None:
            weights = attn_mask.baddbmm(q_scaled, k.transpose(-2, -1))
        else:
            weights = q_scaled.bmm(k.transpose(-2, -1))
        weights = softmax(weights, -1)
        out = weights.bmm(v).transpose(0, 1).contiguous().view(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, 0.0, is_causal)
    out = out.permute(2, 0, 1, 3).contiguous().view(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, embed_dim)
    return (out if batched else out.squeeze(1)), None


__all__ = ["multi_head_attention", "scaled_dot_product_attention"]
