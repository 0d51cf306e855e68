"""Differential testing of reference_engine against PyTorch."""
