"""Tests of the engine against real torch, one folder per area: autograd/, ops/, nn/, optim/, data/, random/,
tensor/ (creation, dtypes, printing, devices, serialization). Shared helpers live in tests/helpers.py; no test
module imports another."""
