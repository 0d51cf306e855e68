"""``torch.nn.utils.parametrizations``: ``weight_norm`` as a parametrization (torch's recommended form).

``weight_norm(module, name, dim)`` registers ``_WeightNorm(dim)``: the weight is stored as
``parametrizations.<name>.original0`` (g, the norms over every dim but ``dim``) and ``original1`` (v, the
direction) and recomputed as ``torch._weight_norm(v, g, dim)`` at every access. A state dict of the old
hook-based form (``<name>_g``, ``<name>_v``) still loads, through the same pre-hook as torch's.
torch's ``orthogonal`` and ``spectral_norm`` parametrizations are not provided.
"""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .._functional.weight_norm import _weight_norm, norm_except_dim
from ..module import Module
from . import parametrize

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        weight_g = norm_except_dim(weight, 2, self.dim)
        weight_v = weight
        return weight_g, weight_v


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over every dim but ``dim``; ``None``: the
    whole tensor), with ``g`` and ``v`` the new parameters ``parametrizations.<name>.original0/1``."""
    _weight_norm_module = _WeightNorm(dim)
    parametrize.register_parametrization(module, name, _weight_norm_module, unsafe=True)

    def _weight_norm_compat_hook(
        state_dict: dict,
        prefix: str,
        local_metadata: Any,
        strict: bool,
        missing_keys: list,
        unexpected_keys: list,
        error_msgs: list,
    ) -> None:
        # a state dict saved with the old weight_norm: its g and v become original0 and original1
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module
