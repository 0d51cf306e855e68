"""``torch.distributions`` for the engine: Normal, Uniform, Bernoulli, Categorical, Exponential and KL.

Each distribution follows torch 2.13's source op for op, so values (and
float32 bits, where the engine's ops are bit-exact) match torch, samples
consume the generator as torch's do (the same bits, and the same next draw),
and validation raises torch's errors with torch's messages.

Not provided (torch has them): ``Normal.icdf`` (the engine has no ``erfinv``),
the exponential-family machinery (``_natural_params``, ``_log_normalizer``,
Bregman entropy and KL), KL(Bernoulli || Bernoulli), ``sample_n`` and the
constraints no distribution here uses.
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Categorical", "Distribution", "Exponential", "ExponentialFamily", "Normal", "Uniform", "constraints",
    "kl_divergence", "register_kl",
]  # fmt: skip
