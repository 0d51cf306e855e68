"""Helpers of ``utils.data``, laid out as ``torch.utils.data._utils`` (scripts import ``collate`` from here)."""

from . import collate, worker

__all__ = ["collate", "worker"]
