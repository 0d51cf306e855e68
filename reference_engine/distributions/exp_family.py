"""``ExponentialFamily``: the base class torch gives Normal, Bernoulli and Exponential."""

from __future__ import annotations

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Kept for torch's class hierarchy (``isinstance`` checks); the distributions here define their own entropy.

    torch's generic entropy by Bregman divergence (``_natural_params``, ``_log_normalizer``) is not provided.
    """
