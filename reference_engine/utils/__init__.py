"""``utils``: mirrors ``torch.utils``; only ``utils.data`` (datasets, samplers, DataLoader) exists."""

from . import data

__all__ = ["data"]
