"""torch.finfo / torch.iinfo on the engine against real torch: attributes, repr, errors."""

from __future__ import annotations

import pytest
import torch

import reference_engine as E

FLOATS = ["float16", "float32", "float64", "complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo(name: str) -> None:
    want, got = torch.finfo(getattr(torch, name)), E.finfo(getattr(E, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(got, attr) == getattr(want, attr), attr
        assert type(getattr(got, attr)) is type(getattr(want, attr)), attr
    assert repr(got) == repr(want)
    assert str(got) == str(want)


@pytest.mark.parametrize("name", INTS)
def test_iinfo(name: str) -> None:
    want, got = torch.iinfo(getattr(torch, name)), E.iinfo(getattr(E, name))
    for attr in ("bits", "min", "max", "dtype"):
        assert getattr(got, attr) == getattr(want, attr), attr
        assert type(getattr(got, attr)) is type(getattr(want, attr)), attr
    assert repr(got) == repr(want)


def test_finfo_default_dtype_and_equality() -> None:
    assert repr(E.finfo()) == repr(torch.finfo())
    assert E.finfo(E.float32) == E.finfo(E.float32) and E.finfo(E.float32) != E.finfo(E.float64)


@pytest.mark.parametrize(
    ("call", "arg"),
    [("finfo", "int32"), ("finfo", "bool"), ("iinfo", "float32"), ("iinfo", "bool"), ("finfo", 3), ("iinfo", 3)],
)
def test_errors(call: str, arg: object) -> None:
    def run(ns: object) -> None:
        getattr(ns, call)(getattr(ns, arg) if isinstance(arg, str) else arg)

    with pytest.raises(TypeError) as want:
        run(torch)
    with pytest.raises(TypeError) as got:
        run(E)
    assert str(got.value) == str(want.value)
