"""Fixtures for the nn tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def fixed_torch_seed() -> None:
    """The same random torch inputs every run, so the float32 tolerances are checked on known data (tests that
    compare draws seed both libraries themselves)."""
    torch.manual_seed(20260)
