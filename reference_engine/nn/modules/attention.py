"""MultiheadAttention: torch's parameters, initialisation order and forward.

torch's forward takes a fused kernel (``_native_multi_head_attention``) in eval mode when no grad is needed
and the call qualifies (``_fast_path_reason``). That kernel computes what the Python path computes, up to
rounding, except that a query row whose keys are all masked out comes back NaN (a plain softmax) where the
Python path's SDPA gives zeros. The engine keeps the Python path and, where torch would take the kernel,
computes the attention with the plain softmax, so that difference is torch's too.
"""

from __future__ import annotations

from typing import Any

from ..._creation import empty
from ...autograd import grad_mode
from ...tensor import Tensor
from .. import init
from .._functional.attention import _canonical_mask, _none_or_dtype, multi_head_attention_forward
from ..module import Module
from ..parameter import Parameter
from .linear import Linear


class NonDynamicallyQuantizableLinear(Linear):
    """torch's name for MultiheadAttention's out_proj: a plain Linear."""


def _needs_grad(tensors: tuple[Tensor | None, ...]) -> bool:
    """torch's ``torch.is_grad_enabled() and any(x.requires_grad for x in tensor_args)``."""
    return grad_mode.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


class MultiheadAttention(Module):
    __constants__ = ["batch_first"]

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **factory))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        # out_proj draws its own Linear initialisation first, as in torch, before the xavier draws below
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _fast_path_reason(
        self, query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None
    ) -> str:
        """Why torch's forward would not take ``_native_multi_head_attention`` ("" when it would); the masks
        are the canonical ones (the float-mask reason is decided on the masks as given)."""
        if query.ndim != 3:
            return f"input not batched; expected query.dim() of 3 but got {query.ndim}"
        if query is not key or key is not value:
            return "non-self attention was used (query, key, and value are not the same Tensor)"
        if self.in_proj_bias is not None and query.dtype != self.in_proj_bias.dtype:
            return "dtypes of query and self.in_proj_bias don't match"
        if self.in_proj_weight is None:
            return "in_proj_weight was None"
        if query.dtype != self.in_proj_weight.dtype:
            return "dtypes of query and self.in_proj_weight don't match"
        if self.training:
            return "training is enabled"
        if self.num_heads % 2 != 0:
            return "self.num_heads is not even"
        if not self.batch_first:
            return "batch_first was not True"
        if self.bias_k is not None or self.bias_v is not None:
            return "self.bias_k or self.bias_v was not None"
        if self.add_zero_attn:
            return "add_zero_attn was enabled"
        if not self._qkv_same_embed_dim:
            return "_qkv_same_embed_dim was not True"
        args = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight, self.out_proj.bias)
        if _needs_grad(args):
            return "grad is enabled and at least one of query or the input/output projection weights or biases "
        if self.in_proj_bias is None:
            return "in_proj_bias was None"  # torch falls through to its Python path
        return ""

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        float_masks = (attn_mask is not None and attn_mask.dtype.is_floating_point) or (
            key_padding_mask is not None and key_padding_mask.dtype.is_floating_point
        )
        key_padding_mask = _canonical_mask(
            key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
        )
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        native = not float_masks and not self._fast_path_reason(query, key, value, attn_mask, key_padding_mask)
        return self._attend(
            query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal, native
        )

    def _attend(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None,
        need_weights: bool,
        attn_mask: Tensor | None,
        average_attn_weights: bool,
        is_causal: bool,
        native: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """torch's Python path from the canonical masks on; ``native``: torch's fused kernel would run
        (eval, no grad), whose attention is a plain softmax of the merged mask, so dead rows give NaN."""
        if native:
            # the kernel merges the masks and never uses the causal hint; the weights path computes the same
            out, weights = self._attend(
                query, key, value, key_padding_mask, True, attn_mask, average_attn_weights, False
            )
            return out, (weights if need_weights else None)
        batched = query.ndim == 3
        if self.batch_first and batched:
            # keep "key is value" / "query is key", which decides how the in-projection is split
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight if separate else None,
            k_proj_weight=self.k_proj_weight if separate else None,
            v_proj_weight=self.v_proj_weight if separate else None,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )  # fmt: skip
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, weights


__all__ = ["MultiheadAttention"]
