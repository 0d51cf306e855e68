"""torch.save / torch.load (serialization.py) against real torch: what a training script saves round-trips to
the same objects, tensors keep dtype, shape, requires_grad and leaf-ness, and the refusals raise torch's errors.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from tests.helpers import as_numpy, error_signature

_RNG = np.random.default_rng(0)
SQ = _RNG.standard_normal((3, 3)) + 3 * np.eye(3)
VEC = _RNG.standard_normal(3)


# --------------------------------------------------------------------------- save / load
class _Custom:
    """A class that weights_only loading refuses (module-level so that pickle can find it)."""


def _checkpoint(m: Any) -> dict:
    """What a training script saves: a model and optimizer state after one step, plus bookkeeping."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2))
    opt = m.optim.Adam(model.parameters(), lr=0.01)
    model(m.ones(5, 3)).sum().backward()
    opt.step()
    leaf = m.tensor(SQ, requires_grad=True)
    return {
        "model": model.state_dict(),
        "optim": opt.state_dict(),
        "epoch": 3,
        "losses": [0.5, 0.25],
        "meta": {"name": "run", "shape": m.Size([2, 3]), "dtype": m.float16, "flag": None, "pair": (1, 2.5)},
        "leaf": leaf,
        "nonleaf": leaf * 2,
        "param": m.nn.Parameter(m.tensor(VEC)),
        "ints": m.arange(6, dtype=m.int32).reshape(2, 3),
        "bools": m.tensor([True, False]),
        "half": m.tensor(VEC, dtype=m.float16),
        "scalar": m.tensor(1.5, dtype=m.float64),
        "view": m.arange(10.0)[2:8:2],
    }


def _describe(obj: Any) -> Any:
    """A torch-independent picture of a loaded object: containers, numbers, and tensors with their metadata."""
    if hasattr(obj, "shape") and hasattr(obj, "requires_grad"):
        kind = type(obj).__name__
        return (kind, str(obj.dtype), tuple(obj.shape), obj.requires_grad, obj.is_leaf, as_numpy(obj).tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, [(k, _describe(v)) for k, v in obj.items()])
    if isinstance(obj, list | tuple):
        return (type(obj).__name__, [_describe(v) for v in obj])
    return (type(obj).__name__, str(obj))


def _round_trip(m: Any, obj: Any, **load_args: Any) -> Any:
    buf = io.BytesIO()
    m.save(obj, buf)
    buf.seek(0)
    return m.load(buf, **load_args)


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_save_load_round_trip_matches_torch(weights_only: bool | None) -> None:
    args = {} if weights_only is None else {"weights_only": weights_only}
    expected = _describe(_round_trip(torch, _checkpoint(torch), **args))
    assert _describe(_round_trip(re_, _checkpoint(re_), **args)) == expected


def test_save_load_with_path_and_map_location(tmp_path: Any) -> None:
    path = tmp_path / "ckpt.pt"
    for map_location in (None, "cpu", re_.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        re_.save(_checkpoint(re_), path)
        loaded = re_.load(path, map_location=map_location)
        re_.save(_checkpoint(re_), str(path))
        assert _describe(re_.load(str(path), map_location=map_location)) == _describe(loaded)
    assert _describe(loaded) == _describe(_round_trip(torch, _checkpoint(torch)))


def test_loaded_state_dicts_restore_a_model_and_optimizer() -> None:
    state = _round_trip(re_, _checkpoint(re_))
    re_.manual_seed(1)
    model = re_.nn.Sequential(re_.nn.Linear(3, 4), re_.nn.ReLU(), re_.nn.Linear(4, 2))
    model.load_state_dict(state["model"])
    opt = re_.optim.Adam(model.parameters(), lr=0.01)
    opt.load_state_dict(state["optim"])
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(as_numpy(value), as_numpy(state["model"][key]))
    assert opt.state_dict()["param_groups"] == state["optim"]["param_groups"]


def test_same_tensor_saved_twice_loads_as_one_object() -> None:
    t = re_.ones(3)
    a, b = _round_trip(re_, [t, t])
    assert a is b


def test_weights_only_refuses_arbitrary_classes_like_torch() -> None:
    expected = error_signature(lambda: _round_trip(torch, {"x": _Custom()}))
    assert error_signature(lambda: _round_trip(re_, {"x": _Custom()})) == expected
    assert isinstance(_round_trip(re_, {"x": _Custom()}, weights_only=False)["x"], _Custom)
    with re_.serialization.safe_globals([_Custom]):
        assert isinstance(_round_trip(re_, _Custom()), _Custom)


def test_load_rejects_torch_files() -> None:
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    buf.seek(0)
    with pytest.raises(RuntimeError, match="torch zip checkpoint"):
        re_.load(buf)
