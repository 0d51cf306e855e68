"""Fixtures for the nn tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def fixed_torch_seed() -> None:
    """The same random inputs every run, so the float32 tolerances are checked on known data."""
    torch.manual_seed(20260)
