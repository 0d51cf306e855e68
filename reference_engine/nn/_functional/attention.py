"""scaled_dot_product_attention and multi_head_attention_forward, as torch's composites of engine ops.

SDPA follows torch 2.13's CPU dispatch (``aten/src/ATen/native/transformers/attention.cpp``):

- ``validate_sdpa_input``: q, k, v of one dtype and at least 2-D; a mask that is bool, float32 or q's dtype;
- the backend choice (``sdp_utils_cpp``): the flash-attention CPU kernel for 4-D inputs of equal batch, heads
  (or a valid grouped-query split) and head dim, non-empty sequences, no dropout and a mask of a shape it
  takes; the math path (``_scaled_dot_product_attention_math``) otherwise. The engine computes both with
  the math path's formulas; what the choice changes is what torch accepts: the flash kernel takes
  ``is_causal`` together with a mask (both apply) and refuses a negative dropout, the math path the reverse;
- the math path: query and key each scaled by sqrt(scale), a boolean mask made additive (0 / -inf) and
  added in place to the scores (so its shape errors are the in-place add's), rows masked everywhere give
  zeros (``_safe_softmax``), then ``at::dropout`` on the attention weights: a ``bernoulli_(1 - p)`` mask
  of the weights' shape from the default generator, divided by ``1 - p`` (the draws of
  ``nn.functional.dropout`` on the weights after the same seed, checked bit for bit against torch);
  ``enable_gqa`` repeats key and value heads (``repeat_interleave`` on dim -3) up to the query's.

multi_head_attention_forward is torch's Python function step for step (packed or separate in-projection,
bias_k/bias_v, add_zero_attn, per-head bmm or SDPA, dropout, out-projection), so its graph and grad_fn
names are torch's.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype as D
from ..._creation import ones, zeros, zeros_like
from ..._torch_version import since
from ...ops import _autocast, pointwise
from ...ops.blas import _CPP_NAMES
from ...ops.join import cat
from ...ops.reduction import softmax
from ...tensor import Tensor
from .dropout import dropout
from .linear import linear
from .padding import pad


def _dtype_name(t: Tensor) -> str:
    # the C++ type names torch's checks print: float, double, long int ...
    return _CPP_NAMES.get(t.dtype.name, t.dtype.name)


def _additive(mask: Tensor, dtype: D.dtype) -> Tensor:
    """A boolean mask (True = attend) as torch's additive float mask: 0 where allowed, -inf elsewhere."""
    return zeros_like(mask, dtype=dtype).masked_fill_(mask.logical_not(), -math.inf)


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, zeros for rows that are -inf everywhere (torch's _safe_softmax)."""
    dead = (scores == -math.inf).all(-1, keepdim=True)
    # dead rows are zeroed before the softmax too, so neither value nor grad ever sees a NaN
    return pointwise.where(dead, 0.0, softmax(pointwise.where(dead, 0.0, scores), -1))


def _flash_chosen(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float, enable_gqa: bool) -> bool:
    """Whether torch 2.13's CPU dispatch picks its flash-attention kernel (``use_flash_attention_cpp``)."""
    if dropout_p > 0.0 or not (q.ndim == k.ndim == v.ndim == 4):
        return False
    if not (q.shape[0] == k.shape[0] == v.shape[0]):
        return False
    hq, hk, hv = q.shape[1], k.shape[1], v.shape[1]
    if enable_gqa:
        # check_grouped_query_attention<requires_same_num_heads=true>
        if hk != hv or hk == 0 or hq % hk != 0:
            return False
    elif not (hq == hk == hv) and not (since("2.14") and hk == hv == 1):
        # torch 2.14's flash kernel also takes a single key/value head shared by every query head
        return False
    if mask is not None:
        if mask.requires_grad:
            return False
        if mask.shape[-2] not in (q.shape[2], 1) or mask.shape[-1] not in (k.shape[2], 1):
            return False
        if mask.ndim == 4:
            if mask.shape[0] not in (1, q.shape[0]) or mask.shape[1] not in (1, hq):
                return False
        elif mask.ndim != 2:
            return False
    if not (q.shape[-1] == k.shape[-1] == v.shape[-1]):
        return False
    if q.shape[2] == 0 or k.shape[2] == 0:
        return False
    if not all(t.stride(-1) == 1 for t in (q, k, v)):
        return False
    return q.dtype.name in ("float32", "float64", "float16", "bfloat16")


def _validate_sdpa_input(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> None:
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_dtype_name(q)} key.dtype: {_dtype_name(k)} and value.dtype: {_dtype_name(v)} instead."
        )
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead."
        )
    if mask is not None and mask.dtype not in (D.bool_, D.float32, q.dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
            f"{_dtype_name(mask)} and  query.dtype: {_dtype_name(q)} instead."
        )


def _group_query(q: Tensor, k: Tensor, v: Tensor, enable_gqa: bool) -> tuple[Tensor, Tensor]:
    """torch's pre_process_group_query_attention_input: key and value heads repeated up to the query's."""
    if not enable_gqa:
        return k, v
    hq, hk, hv = q.size(-3), k.size(-3), v.size(-3)
    if hq == hk == hv:
        return k, v
    if hq % hk != 0 or hq % hv != 0:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return k.repeat_interleave(hq // hk, -3), v.repeat_interleave(hq // hv, -3)


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
    """softmax(q k^T * scale + mask) (dropped out) v over the last two dims, as torch's CPU dispatch."""
    if _autocast.LOWER[0] is not None:  # torch.autocast: lower precision
        return _autocast.run(scaled_dot_product_attention, True, (), locals())
    _validate_sdpa_input(query, key, value, attn_mask)
    if since("2.14"):
        # torch 2.14 refuses is_causal with an explicit mask on every path (2.13's flash kernel applied both)
        if is_causal and attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
            )
        # torch 2.14 runs 3-D query, key and value as one batch of heads (unsqueeze(0), so the flash kernel
        # can take them) and squeezes the result (SqueezeBackward1); a 1-D or 3-D mask is unsqueezed alike
        if query.ndim == key.ndim == value.ndim == 3:
            if attn_mask is not None and attn_mask.ndim in (1, 3):
                attn_mask = attn_mask.unsqueeze(0)
            out = scaled_dot_product_attention(
                query.unsqueeze(0),
                key.unsqueeze(0),
                value.unsqueeze(0),
                attn_mask,
                dropout_p,
                is_causal,
                scale,
                enable_gqa,
            )
            return out.squeeze(0)
    flash = _flash_chosen(query, key, value, attn_mask, dropout_p, enable_gqa)
    if attn_mask is not None and attn_mask.dtype == D.bool_:
        attn_mask = _additive(attn_mask, query.dtype)  # convert_boolean_attn_mask
    if flash and dropout_p != 0.0:
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not support dropout > 0")
    s = scale if scale is not None else 1.0 / math.sqrt(query.shape[-1])
    root = math.sqrt(abs(s))
    q = query * (root if s >= 0 else 0.0 - root)
    if is_causal:
        if attn_mask is not None and not flash:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
            )
        causal = _additive(ones(query.shape[-2], key.shape[-2], dtype=D.bool_).tril(), query.dtype)
        # the flash kernel applies the causal mask on top of an explicit one
        attn_mask = causal if attn_mask is None else attn_mask + causal
    k, v = _group_query(q, key, value, enable_gqa)
    scores = q.matmul(k.transpose(-2, -1) * root)
    if attn_mask is not None:
        scores.add_(attn_mask)
    attn = _safe_softmax(scores)
    if dropout_p > 0.0:
        if dropout_p > 1.0:
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p:g}")
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(v)


def _canonical_mask(
    mask: Tensor | None,
    mask_name: str,
    other_type: D.dtype | None,
    other_name: str,
    target_type: D.dtype,
    check_other: bool = True,
) -> Tensor | None:
    """torch's F._canonical_mask: a bool mask (True = masked out) as an additive float mask; warns when its
    type differs from the other mask's."""
    if mask is None:
        return None
    if mask.dtype != D.bool_ and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both instead.",
            stacklevel=3,
        )
    if mask.dtype == D.bool_:
        return zeros_like(mask, dtype=target_type).masked_fill_(mask, -math.inf)
    return mask


def _none_or_dtype(t: Tensor | None) -> D.dtype | None:
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _mha_shape_check(
    query: Tensor, key: Tensor, value: Tensor, kpm: Tensor | None, attn_mask: Tensor | None, num_heads: int
) -> bool:
    """torch's _mha_shape_check: whether the input is batched, or its AssertionError."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                f" but found {key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if kpm is not None and kpm.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D"
                f" but found {kpm.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                f" but found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D"
                f" but found {key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if kpm is not None and kpm.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D"
                f" but found {kpm.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                    f" but found {attn_mask.ndim}-D tensor instead"
                )
            if attn_mask.ndim == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query tensor")


def _in_projection_packed(
    q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    """torch's _in_projection_packed: one linear when q, k and v are the same tensor, else one per input."""
    e = q.shape[-1]
    if k is v and q is k:
        proj = linear(q, w, b).unflatten(-1, (3, e)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return proj[0], proj[1], proj[2]
    if k is v:
        w_q, w_kv = w.split([e, e * 2])
        b_q, b_kv = (None, None) if b is None else b.split([e, e * 2])
        q_proj = linear(q, w_q, b_q)
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, e)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return q_proj, kv[0], kv[1]
    ws = w.chunk(3)
    bs = (None, None, None) if b is None else b.chunk(3)
    return linear(q, ws[0], bs[0]), linear(k, ws[1], bs[1]), linear(v, ws[2], bs[2])


def _in_projection(
    q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor,
    b_q: Tensor | None, b_k: Tensor | None, b_v: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """torch's _in_projection: three linears, with its weight and bias shape checks."""
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for what, w, want in (("query", w_q, (eq, eq)), ("key", w_k, (eq, ek)), ("value", w_v, (eq, ev))):
        if tuple(w.shape) != want:
            raise AssertionError(f"expecting {what} weights shape of {want}, but got {w.shape}")
    for what, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (eq,):
            raise AssertionError(f"expecting {what} bias shape of {(eq,)}, but got {b.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """torch's F.multi_head_attention_forward on sequence-first (L, N, E) or unbatched (L, E) inputs."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # sdpa builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        bs = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, *bs)  # type: ignore[arg-type]

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_k.shape[0] != bsz * num_heads:
            raise AssertionError(f"expecting static_k.size(0) of {bsz * num_heads}, but got {static_k.shape[0]}")
        if static_k.shape[2] != head_dim:
            raise AssertionError(f"expecting static_k.size(2) of {head_dim}, but got {static_k.shape[2]}")
        k = static_k
    if static_v is None:
        v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_v.shape[0] != bsz * num_heads:
            raise AssertionError(f"expecting static_v.size(0) of {bsz * num_heads}, but got {static_v.shape[0]}")
        if static_v.shape[2] != head_dim:
            raise AssertionError(f"expecting static_v.size(2) of {head_dim}, but got {static_v.shape[2]}")
        v = static_v

    if add_zero_attn:
        zero_shape = (bsz * num_heads, 1, head_dim)
        k = cat([k, zeros(zero_shape, dtype=k.dtype, device=k.device)], dim=1)
        v = cat([v, zeros(zero_shape, dtype=v.dtype, device=v.device)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

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

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            weights = attn_mask.baddbmm(q_scaled, k.transpose(-2, -1))
        else:
            weights = q_scaled.bmm(k.transpose(-2, -1))
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = weights.bmm(v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not is_batched:
        out = out.squeeze(1)
    return out, None


__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]
