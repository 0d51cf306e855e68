"""BatchNorm, pooling and in-place ReLU against real torch: values, grads, grad_fn names, buffers, errors.

Every expected value comes from running torch on the same data in the same
test; values are compared with ``conformance.compare.compare_arrays``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
import reference_engine.nn.functional as EF
from conformance.compare import compare_arrays

DTYPES = {"float32": (torch.float32, re_.float32), "float64": (torch.float64, re_.float64)}


def _pair(shape: tuple[int, ...], dtype: str, seed: int, integers: bool = False) -> tuple[torch.Tensor, Any]:
    """The same data as a torch leaf and an engine leaf, both requiring grad."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(-3, 4, shape).astype(dtype) if integers else rng.standard_normal(shape).astype(dtype)
    t = torch.tensor(arr, requires_grad=True)
    e = re_.tensor(arr.copy(), requires_grad=True)
    return t, e


def _same(actual: Any, expected: torch.Tensor | None, what: str) -> None:
    if expected is None:
        assert actual is None, f"{what}: torch has None"
        return
    assert actual is not None, f"{what}: engine has None"
    diff = compare_arrays(np.asarray(actual._data), expected.detach().numpy())
    assert diff.ok, f"{what}: {diff.describe()}"


def _grad_fn(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _copy_params(tm: torch.nn.Module, em: Any, seed: int) -> None:
    """Give both modules the same non-trivial affine parameters."""
    rng = np.random.default_rng(seed)
    with torch.no_grad(), re_.no_grad():
        for (_name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
            arr = rng.uniform(0.5, 1.5, tuple(tp.shape)).astype(str(tp.dtype).removeprefix("torch."))
            tp.copy_(torch.tensor(arr))
            ep.copy_(re_.tensor(arr))


def _run_both(fn_t: Callable, fn_e: Callable, xt: torch.Tensor, xe: Any, seed: int) -> tuple[Any, Any]:
    """Forward both, backward a fixed random weighting of the output, and compare output, grad_fn, input grad."""
    yt, ye = fn_t(xt), fn_e(xe)
    _same(ye, yt, "output")
    assert _grad_fn(ye) == _grad_fn(yt)
    w = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(str(yt.dtype).removeprefix("torch."))
    (yt * torch.tensor(w)).sum().backward()
    (ye * re_.tensor(w)).sum().backward()
    _same(xe.grad, xt.grad, "input grad")
    return yt, ye


# --------------------------------------------------------------------------- BatchNorm2d
BN_CONFIGS = [
    {},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("kwargs", BN_CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_batchnorm2d_train_then_eval_matches_torch(dtype: str, kwargs: dict) -> None:
    td, ed = DTYPES[dtype]
    tm, em = torch.nn.BatchNorm2d(3, dtype=td, **kwargs), re_.nn.BatchNorm2d(3, dtype=ed, **kwargs)
    _copy_params(tm, em, 1)
    assert repr(em) == repr(tm)
    assert [(k, tuple(v.shape), str(v.dtype)) for k, v in em.state_dict().items()] == [
        (k, tuple(v.shape), str(v.dtype)) for k, v in tm.state_dict().items()
    ]
    for step in range(3):  # train: batch statistics, running stats updated every step
        xt, xe = _pair((4, 3, 5, 6), dtype, 10 + step)
        _run_both(tm, em, xt, xe, 20 + step)
        for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
            _same(ep.grad, tp.grad, f"step {step} {name}.grad")
            tp.grad = None
            ep.grad = None
        for (name, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers(), strict=True):
            _same(eb, tb, f"step {step} buffer {name}")
    tm.eval()
    em.eval()
    xt, xe = _pair((2, 3, 4, 4), dtype, 30)
    _run_both(tm, em, xt, xe, 31)
    for (name, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        _same(ep.grad, tp.grad, f"eval {name}.grad")
    for (name, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers(), strict=True):
        _same(eb, tb, f"eval buffer {name} (unchanged in eval)")


def test_batchnorm_running_var_is_unbiased_and_version_bumps() -> None:
    # math, not the engine: running_var = 0.9 * 1 + 0.1 * unbiased batch variance
    arr = np.arange(2 * 1 * 2 * 2, dtype=np.float64).reshape(2, 1, 2, 2)
    bn = re_.nn.BatchNorm2d(1, dtype=re_.float64)
    before = bn.running_mean._version
    bn(re_.tensor(arr))
    assert bn.running_var.item() == pytest.approx(0.9 + 0.1 * arr.var(ddof=1))
    assert bn.running_mean.item() == pytest.approx(0.1 * arr.mean())
    assert bn.running_mean._version > before
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_state_dict_round_trip() -> None:
    tm, em = torch.nn.BatchNorm2d(2), re_.nn.BatchNorm2d(2)
    tm(torch.randn(3, 2, 2, 2))
    em.load_state_dict({k: re_.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for (k, tv), (_, ev) in zip(tm.state_dict().items(), em.state_dict().items(), strict=True):
        assert np.array_equal(np.asarray(ev._data), tv.numpy()), k


def _error(fn: Callable[[], Any]) -> tuple[str, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the error itself is what is compared
        return type(exc).__name__, str(exc)
    return "no error", ""


@pytest.mark.parametrize(
    "make",
    [
        lambda ns: ns.nn.BatchNorm2d(3)(ns.ones(1, 3, 1, 1)),
        lambda ns: ns.nn.BatchNorm2d(3)(ns.ones(3, 2, 2)),
        lambda ns: ns.nn.functional.max_pool2d(ns.ones(1, 1, 4, 4), 2, padding=2),
        lambda ns: ns.nn.functional.max_pool2d(ns.ones(1, 1, 1, 1), 3),
        lambda ns: ns.nn.functional.avg_pool2d(ns.ones(1, 1, 1, 1), 3),
    ],
    ids=["bn_one_value_per_channel", "bn_3d_input", "maxpool_big_pad", "maxpool_too_small", "avgpool_too_small"],
)
def test_errors_match_torch(make: Callable[[Any], Any]) -> None:
    assert _error(lambda: make(re_)) == _error(lambda: make(torch))


# --------------------------------------------------------------------------- pooling
MAXPOOL_CONFIGS = [
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0), "dilation": (2, 1)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("kwargs", MAXPOOL_CONFIGS, ids=str)
@pytest.mark.parametrize("integers", [False, True], ids=["distinct", "ties"])
def test_max_pool2d_matches_torch(dtype: str, kwargs: dict, integers: bool) -> None:
    # integer-valued data has ties inside windows: torch sends the grad to the first maximum
    xt, xe = _pair((2, 3, 7, 8), dtype, 40, integers)
    _run_both(torch.nn.MaxPool2d(**kwargs), re_.nn.MaxPool2d(**kwargs), xt, xe, 41)
    (vt, it), (ve, ie) = (
        torch.nn.functional.max_pool2d(xt, return_indices=True, **kwargs),
        EF.max_pool2d(xe, return_indices=True, **kwargs),
    )
    _same(ve, vt, "values")
    assert np.array_equal(np.asarray(ie._data), it.numpy())
    assert ie.dtype == re_.int64


def test_max_pool2d_unbatched_and_repr() -> None:
    xt, xe = _pair((3, 6, 6), "float32", 42)
    _run_both(torch.nn.MaxPool2d(3, 2, 1), re_.nn.MaxPool2d(3, 2, 1), xt, xe, 43)
    assert repr(re_.nn.MaxPool2d(3, 2, 1)) == repr(torch.nn.MaxPool2d(3, 2, 1))
    assert repr(re_.nn.AvgPool2d(2)) == repr(torch.nn.AvgPool2d(2))
    assert repr(re_.nn.AdaptiveAvgPool2d((1, 1))) == repr(torch.nn.AdaptiveAvgPool2d((1, 1)))


AVGPOOL_CONFIGS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (2, 1), "divisor_override": 5},
]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("kwargs", AVGPOOL_CONFIGS, ids=str)
def test_avg_pool2d_matches_torch(dtype: str, kwargs: dict) -> None:
    xt, xe = _pair((2, 3, 7, 8), dtype, 50)
    _run_both(torch.nn.AvgPool2d(**kwargs), re_.nn.AvgPool2d(**kwargs), xt, xe, 51)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("size", [(1, 1), 1, (3, 2), (None, 4), 5], ids=str)
def test_adaptive_avg_pool2d_matches_torch(dtype: str, size: Any) -> None:
    xt, xe = _pair((2, 3, 7, 9), dtype, 60)
    _run_both(torch.nn.AdaptiveAvgPool2d(size), re_.nn.AdaptiveAvgPool2d(size), xt, xe, 61)


# --------------------------------------------------------------------------- in-place ReLU
def test_inplace_relu_autograd_rules_match_torch() -> None:
    results = {}
    for ns in (torch, re_):
        x = ns.tensor([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]], requires_grad=True)
        y = x * 2
        v = y._version
        z = ns.nn.ReLU(inplace=True)(y)
        z.sum().backward()
        results[ns.__name__] = (
            z is y, type(z.grad_fn).__name__, type(z.grad_fn.next_functions[0][0]).__name__, y._version - v,
            x.grad.tolist(),
        )  # fmt: skip
        leaf = ns.ones(2, requires_grad=True)
        results[ns.__name__ + ".leaf"] = _error(lambda leaf=leaf, ns=ns: ns.nn.functional.relu(leaf, inplace=True))
    assert results["reference_engine"] == results["torch"]
    assert results["reference_engine.leaf"] == results["torch.leaf"]


def test_inplace_relu_saved_result_modified_errors_like_torch() -> None:
    # ReluBackward0 saves its result: changing it in place afterwards must fail backward, in both
    out = {}
    for ns in (torch, re_):
        x = ns.tensor([1.0, -2.0], requires_grad=True)
        z = ns.nn.functional.relu(x * 1, inplace=True)
        z.add_(1)
        out[ns.__name__] = _error(lambda z=z: z.sum().backward())
    assert out["reference_engine"][0] == out["torch"][0] == "RuntimeError"
    assert out["reference_engine"][1].split(";")[0] == out["torch"][1].split(";")[0]


def test_max_pool2d_integer_input_with_padding_matches_torch() -> None:
    arr = np.arange(-20, 5, dtype=np.int64).reshape(1, 1, 5, 5)
    expected = torch.nn.functional.max_pool2d(torch.tensor(arr), 3, 2, 1)
    actual = EF.max_pool2d(re_.tensor(arr), 3, 2, 1)
    assert actual.dtype == re_.int64
    assert compare_arrays(np.asarray(actual._data), expected.numpy()).ok
