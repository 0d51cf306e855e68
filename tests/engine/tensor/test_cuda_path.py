"""The CUDA path without a GPU: device errors against a CPU-only torch, and the backend on a fake CuPy.

A fake CuPy (NumPy arrays in a subclass whose module is ``cupy...``) stands
in for the real one so that the "array module follows the data" design can be
exercised here: anything an op computes with plain NumPy instead of the
array module of its input comes back as a host array, which the fake refuses
to mix with its own arrays (like real CuPy does) or which lands on the CPU.
Expected values come from real torch on the CPU.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.testing._comparison import default_tolerances

import reference_engine as re_torch
from conformance import backends
from conformance.compare import Tolerance, compare_arrays
from reference_engine import _backend

# a CUDA build answers otherwise than a CPU-only one even without a GPU: the build is checked, not the device
NO_GPU_TORCH = pytest.mark.skipif(
    torch.version.cuda is not None or torch.backends.cuda.is_built(), reason="compares with a CPU-only torch build"
)
# torch's same-device check (TensorIterator / check_all_same_device); not reproducible with a CPU-only torch
MIXED = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


# ---------------------------------------------------------------------------- fake CuPy


class _FakeDevice:
    """cupy.cuda.Device: a context manager with an ordinal."""

    def __init__(self, index: int | None = 0) -> None:
        self.id = 0 if index is None else int(index)

    def __enter__(self) -> _FakeDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def use(self) -> None:
        return None

    def synchronize(self) -> None:
        return None


def _reject_host(values: Any) -> None:
    # real CuPy refuses implicit host arrays in its ufuncs and functions
    for v in values:
        if type(v) is np.ndarray:
            raise TypeError(f"Unsupported type {type(v)}")
        if isinstance(v, list | tuple):
            _reject_host(v)


def _plain(v: Any) -> Any:
    if isinstance(v, FakeCupyArray):
        return v.view(np.ndarray)
    if isinstance(v, list | tuple):
        return type(v)(_plain(x) for x in v)
    return v


def _wrap(v: Any) -> Any:
    if type(v) is np.ndarray:
        return v.view(FakeCupyArray)
    if isinstance(v, np.generic):
        return np.asarray(v).view(FakeCupyArray)  # CuPy reductions give 0-d device arrays
    if isinstance(v, tuple | list):
        return type(v)(_wrap(x) for x in v)
    return v


class FakeCupyArray(np.ndarray):
    """A device array: host memory, but it behaves like a CuPy array towards NumPy code."""

    __module__ = "cupy._core.core"

    @property
    def device(self) -> _FakeDevice:  # type: ignore[override]
        return _FakeDevice(0)

    def get(self) -> np.ndarray:
        return np.array(self.view(np.ndarray), copy=True)

    def __getitem__(self, key: Any) -> Any:
        _reject_host(key if isinstance(key, tuple) else (key,))
        return _wrap(super().__getitem__(_plain(key)))

    def __setitem__(self, key: Any, value: Any) -> None:
        _reject_host((value, *(key if isinstance(key, tuple) else (key,))))
        self.view(np.ndarray)[_plain(key)] = _plain(value)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        _reject_host(inputs)
        out = kwargs.get("out")
        if out is not None:
            _reject_host(out)
            kwargs["out"] = _plain(out)
        result = getattr(ufunc, method)(*_plain(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        _reject_host(args)
        _reject_host(kwargs.values())
        return _wrap(func(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()}))


# What real CuPy lacks, so that code relying on it fails here too.
_MISSING = frozenset({"errstate", "seterr", "geterr"})


class _Proxy:
    """A NumPy function, ufunc or submodule whose array results come back as fake device arrays."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _reject_host(args)
        return _wrap(self._target(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()}))

    def __getattr__(self, name: str) -> Any:
        return _proxied(getattr(self._target, name))


def _proxied(obj: Any) -> Any:
    if isinstance(obj, type) or not (callable(obj) or isinstance(obj, types.ModuleType)):
        return obj  # dtypes, scalar types, constants
    return _Proxy(obj)


def _asarray(a: Any, dtype: Any = None, order: Any = None) -> FakeCupyArray:
    if isinstance(a, FakeCupyArray):
        return a if dtype is None or a.dtype == np.dtype(dtype) else a.astype(dtype)
    return np.array(_plain(a), dtype=dtype, order=order or "K").view(FakeCupyArray)  # host -> device copies


def _as_strided(x: FakeCupyArray, shape: Any = None, strides: Any = None) -> FakeCupyArray:
    # CuPy's signature: no ``subok`` and no ``writeable``
    _reject_host((x,))
    return np.lib.stride_tricks.as_strided(_plain(x), shape, strides).view(FakeCupyArray)


def make_fake_cupy(device_count: int = 1) -> types.ModuleType:
    cp = types.ModuleType("cupy")
    cp.ndarray = FakeCupyArray  # type: ignore[attr-defined]
    cp.asarray = _asarray  # type: ignore[attr-defined]
    cp.array = _asarray  # type: ignore[attr-defined]
    runtime = types.SimpleNamespace(
        getDeviceCount=lambda: device_count, getDeviceProperties=lambda i: {"name": b"Fake GPU"}
    )
    cp.cuda = types.SimpleNamespace(runtime=runtime, Device=_FakeDevice)  # type: ignore[attr-defined]
    cp.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided))  # type: ignore[attr-defined]

    def fallback(name: str) -> Any:
        if name in _MISSING or name.startswith("__"):
            raise AttributeError(f"module 'cupy' has no attribute '{name}'")
        return _proxied(getattr(np, name))

    cp.__getattr__ = fallback  # type: ignore[attr-defined]
    return cp


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    cp = make_fake_cupy()
    monkeypatch.setattr(_backend, "_cupy", cp)
    monkeypatch.setattr(_backend, "_cupy_checked", True)
    monkeypatch.setattr(_backend, "_cupy_reason", "")
    yield cp


def _outcome(fn: Callable[[], Any]) -> tuple[str, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        return type(exc).__name__, str(exc)
    return "ok", ""


def _on_fake_cuda(t: re_torch.Tensor) -> bool:
    return type(t._data) is FakeCupyArray and t.is_cuda


# ---------------------------------------------------------------------------- (1) a CPU-only torch

NEEDS_CUDA = {
    "zeros": lambda t: t.zeros(2, device="cuda"),
    "zeros_cuda0": lambda t: t.zeros(2, device="cuda:0"),
    "zeros_device_obj": lambda t: t.zeros(2, device=t.device("cuda")),
    "ones_int64": lambda t: t.ones(2, device="cuda", dtype=t.int64),
    "empty": lambda t: t.empty(2, device="cuda"),
    "full": lambda t: t.full((2,), 1.5, device="cuda"),
    "eye": lambda t: t.eye(2, device="cuda"),
    "arange": lambda t: t.arange(3, device="cuda"),
    "linspace": lambda t: t.linspace(0, 1, 3, device="cuda"),
    "tensor": lambda t: t.tensor([1.0], device="cuda"),
    "as_tensor": lambda t: t.as_tensor([1.0], device="cuda"),
    "zeros_like": lambda t: t.zeros_like(t.zeros(2), device="cuda"),
    "new_zeros": lambda t: t.zeros(2).new_zeros(2, device="cuda"),
    "method_cuda": lambda t: t.zeros(2).cuda(),
    "method_to": lambda t: t.zeros(2).to("cuda"),
    "method_to_kw": lambda t: t.zeros(2).to(device="cuda:0"),
    "module_cuda": lambda t: t.nn.Linear(2, 2).cuda(),
    "module_to": lambda t: t.nn.Linear(2, 2).to("cuda"),
    "int_device": lambda t: t.zeros(2, device=0),
    "to_int": lambda t: t.zeros(2).to(0),
    "current_device": lambda t: t.cuda.current_device(),
    "synchronize": lambda t: t.cuda.synchronize(),
    "get_device_name": lambda t: t.cuda.get_device_name(0),
    "randn": lambda t: t.randn(2, device="cuda"),
    "rand": lambda t: t.rand(2, device="cuda"),
    "randint": lambda t: t.randint(0, 5, (2,), device="cuda"),
    "randperm": lambda t: t.randperm(3, device="cuda"),
    "normal": lambda t: t.normal(0.0, 1.0, (2,), device="cuda"),
}


@NO_GPU_TORCH
@pytest.mark.parametrize("name", sorted(NEEDS_CUDA))
def test_cuda_request_without_gpu_matches_cpu_torch(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setattr(_backend, "_cupy_checked", True)
    torch.manual_seed(1)
    re_torch.manual_seed(1)
    expected = _outcome(lambda: NEEDS_CUDA[name](torch))
    assert expected[0] != "ok"
    assert _outcome(lambda: NEEDS_CUDA[name](re_torch)) == expected
    assert re_torch.rand(3).tolist() == torch.rand(3).tolist()  # the same draws before the error, and none after


@NO_GPU_TORCH
@pytest.mark.parametrize("where", ["set_default_device", "with_device"])
def test_default_cuda_device_without_gpu_matches_cpu_torch(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setattr(_backend, "_cupy_checked", True)

    def run(t: Any) -> list[tuple[str, str]]:
        calls = [lambda: t.zeros(2), lambda: t.tensor([1.0]), lambda: t.nn.Linear(2, 2), t.get_default_device]
        if where == "with_device":
            with t.device("cuda"):
                return [_outcome(c) for c in calls]
        t.set_default_device("cuda")
        try:
            return [_outcome(c) for c in calls]
        finally:
            t.set_default_device(None)

    expected = run(torch)
    assert all(kind != "ok" for kind, _ in expected)
    assert run(re_torch) == expected
    assert re_torch.zeros(1).device == re_torch.get_default_device() == re_torch.device("cpu")


@NO_GPU_TORCH
def test_cuda_queries_without_gpu_match_cpu_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setattr(_backend, "_cupy_checked", True)
    assert re_torch.cuda.is_available() is torch.cuda.is_available()
    assert re_torch.cuda.device_count() == torch.cuda.device_count()
    assert re_torch.cuda.is_initialized() is torch.cuda.is_initialized()
    for fn in ("manual_seed", "manual_seed_all"):
        assert getattr(re_torch.cuda, fn)(3) is getattr(torch.cuda, fn)(3)


DEVICE_ARGS: list[tuple[Any, ...]] = [("cuda",), ("cuda:0",), ("cuda", 1), ("cuda:1",), ("cpu",), ("cuda:x",), ("gpu",)]


@pytest.mark.parametrize("args", DEVICE_ARGS, ids=str)
def test_device_parsing_and_printing(args: tuple[Any, ...]) -> None:
    def show(ns: Any) -> tuple[str, str]:
        d = ns.device(*args)
        return repr(d), str(d)

    expected = _outcome(lambda: show(torch))
    assert _outcome(lambda: show(re_torch)) == expected
    if expected[0] == "ok":
        assert show(re_torch) == show(torch)


def test_cpu_tensor_device_fields() -> None:
    t, e = torch.zeros(2), re_torch.zeros(2)
    assert (repr(e.device), e.is_cuda, e.is_cpu, e.get_device()) == (
        repr(t.device),
        t.is_cuda,
        t.is_cpu,
        t.get_device(),
    )
    assert e.cpu() is e and t.cpu() is t  # already on the host: no copy
    assert repr(e.to("cpu").device) == repr(t.to("cpu").device)


def test_positional_non_blocking_is_not_a_device() -> None:
    t, e = torch.zeros(2).to(torch.float64, True), re_torch.zeros(2).to(re_torch.float64, True)
    assert (str(e.dtype), repr(e.device)) == (str(t.dtype), repr(t.device))


# ---------------------------------------------------------------------------- availability probing


def _probe_with(monkeypatch: pytest.MonkeyPatch, module: Any) -> tuple[bool, int, str]:
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setattr(_backend, "_cupy_checked", False)
    return re_torch.cuda.is_available(), re_torch.cuda.device_count(), _backend.unavailable_reason()


def test_is_available_needs_cupy_and_a_device(monkeypatch: pytest.MonkeyPatch) -> None:
    ok, n, reason = _probe_with(monkeypatch, make_fake_cupy(device_count=2))
    assert (ok, n, reason) == (True, 2, "")
    ok, n, reason = _probe_with(monkeypatch, make_fake_cupy(device_count=0))
    assert (ok, n) == (False, 0) and "no CUDA device" in reason
    ok, n, reason = _probe_with(monkeypatch, None)  # sys.modules[name] = None makes the import fail
    assert (ok, n) == (False, 0) and "not importable" in reason


def test_driver_error_means_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    cp = make_fake_cupy()

    def no_driver() -> int:
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    cp.cuda.runtime.getDeviceCount = no_driver  # type: ignore[attr-defined]
    ok, _, reason = _probe_with(monkeypatch, cp)
    assert not ok and "cudaErrorNoDevice" in reason


# ---------------------------------------------------------------------------- (2) the backend follows the data


def test_creation_on_cuda_holds_device_arrays(fake_cuda: types.ModuleType) -> None:
    made = [
        re_torch.zeros(2, 3, device="cuda"), re_torch.ones(2, device="cuda:0"), re_torch.full((2,), 3.0, device="cuda"),
        re_torch.eye(3, device="cuda"), re_torch.arange(4, device="cuda"), re_torch.linspace(0, 1, 5, device="cuda"),
        re_torch.tensor([[1.0, 2.0]], device="cuda"), re_torch.empty(2, device=re_torch.device("cuda", 0)),
        re_torch.zeros(2, device=0), re_torch.zeros_like(re_torch.zeros(2, device="cuda")),
        re_torch.zeros(2).new_ones(3, device="cuda"), re_torch.scalar_tensor(2.0, device="cuda"),
    ]  # fmt: skip
    for t in made:
        assert _on_fake_cuda(t), t
        assert repr(t.device) == repr(torch.device("cuda", 0))
        assert str(t.device) == str(torch.device("cuda:0"))
        assert t.get_device() == 0
    assert re_torch.cuda.is_available() and re_torch.cuda.device_count() == 1
    assert re_torch.cuda.current_device() == 0
    assert re_torch.cuda.get_device_name() == "Fake GPU"
    re_torch.cuda.synchronize()


def test_to_cuda_and_back(fake_cuda: types.ModuleType) -> None:
    host, ref = re_torch.tensor([1.0, -2.0, 3.0]), torch.tensor([1.0, -2.0, 3.0])
    moves = [(host.cuda(), ref), (host.to("cuda"), ref), (host.to(device="cuda:0"), ref),
             (host.to("cuda", re_torch.float64), ref.to(torch.float64))]  # fmt: skip
    for moved, want in moves:
        assert _on_fake_cuda(moved)
        back = moved.cpu()
        assert type(back._data) is np.ndarray and back.device == "cpu"
        assert compare_arrays(back.numpy(), want.numpy()).ok
    dev = host.cuda()
    assert dev.cuda() is dev and dev.to("cuda:0") is dev  # already there: torch returns self


def test_numpy_of_cuda_tensor_raises_torchs_error(fake_cuda: types.ModuleType) -> None:
    kind, message = _outcome(lambda: torch.zeros(2, device="meta").numpy())  # torch's wording, with the device
    assert _outcome(lambda: re_torch.zeros(2, device="cuda").numpy()) == (kind, message.replace("meta", "cuda:0"))


def test_grad_flows_back_across_devices(fake_cuda: types.ModuleType) -> None:
    x = re_torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.cuda() * 3.0).sum()
    assert type(y.grad_fn).__name__ == type((torch.tensor([1.0], requires_grad=True) * 3.0).sum().grad_fn).__name__
    y.backward()
    assert type(x.grad._data) is np.ndarray
    assert compare_arrays(x.grad.numpy(), np.array([3.0, 3.0], dtype=np.float32)).ok


MIXING: dict[str, Callable[[Any, Any], Any]] = {
    "add_op": lambda a, b: a + b,
    "mul_op": lambda a, b: a * b,
    "sub_op": lambda a, b: a - b,
    "div_op": lambda a, b: a / b,
    "add": lambda a, b: re_torch.add(a, b),
    "maximum": lambda a, b: re_torch.maximum(a, b),
    "where": lambda a, b: re_torch.where(a > 0, a, b),
    "add_": lambda a, b: a.clone().add_(b),
}


@pytest.mark.parametrize("name", sorted(MIXING))
def test_mixing_devices_raises_torchs_error(name: str, fake_cuda: types.ModuleType) -> None:
    cuda, cpu = re_torch.ones(2, device="cuda"), re_torch.ones(2)
    # TensorIterator takes the first GPU operand's device as the common one: "cuda:0 and cpu" either way round
    assert _outcome(lambda: MIXING[name](cuda, cpu)) == ("RuntimeError", MIXED.format("cuda:0", "cpu"))
    assert _outcome(lambda: MIXING[name](cpu, cuda)) == ("RuntimeError", MIXED.format("cuda:0", "cpu"))


# Ops run on a 2x3 float32 input (and a second one where binary); each must stay on the device
# and give the CPU engine's values, which are checked against torch in the op tests.
UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x, "exp": lambda x: x.exp(), "log": lambda x: x.abs().log(), "sqrt": lambda x: x.abs().sqrt(),
    "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(), "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(), "pow": lambda x: x**2, "clamp": lambda x: x.clamp(-0.5, 0.5),
    "sum": lambda x: x.sum(), "sum_dim": lambda x: x.sum(1), "mean": lambda x: x.mean(), "max": lambda x: x.max(),
    "max_dim": lambda x: x.max(1).values, "argmax": lambda x: x.argmax(), "softmax": lambda x: x.softmax(1),
    "log_softmax": lambda x: x.log_softmax(1), "cumsum": lambda x: x.cumsum(1), "var": lambda x: x.var(),
    "transpose": lambda x: x.t() * 1, "reshape": lambda x: x.reshape(3, 2) * 1, "cat": lambda x: re_torch.cat([x, x]),
    "stack": lambda x: re_torch.stack([x, x]), "index": lambda x: x[0, 1:], "index_tensor": lambda x: x[x > 0],
    "gather": lambda x: x.gather(1, _idx(x, [[0], [0]])),
    "expand": lambda x: x[:, :1].expand(2, 3) * 1, "erf": lambda x: x.erf(), "min_dim": lambda x: x.min(0).values,
    "setitem": lambda x: _setitem(x), "index_put_acc": lambda x: x.index_put((_idx(x, [1, 1]),), x[0], accumulate=True),
    "scatter_add": lambda x: x.scatter_add(1, _idx(x, [[0, 0, 1], [2, 2, 2]]), x),
    "masked_fill": lambda x: x.masked_fill(x > 0, 0.5), "prod": lambda x: x.prod(1), "norm": lambda x: x.norm(),
    "flip": lambda x: x.flip(0), "roll": lambda x: x.roll(1, 1),
    "cross_entropy": lambda x: re_torch.nn.functional.cross_entropy(x, _idx(x, [0, 2]), reduction="sum"),
    "nll_loss": lambda x: re_torch.nn.functional.nll_loss(x.log_softmax(1), _idx(x, [1, 2]), reduction="sum"),
    "conv2d": lambda x: re_torch.nn.functional.conv2d(x.reshape(1, 1, 2, 3), x[:, :2].reshape(1, 1, 2, 2)),
    "max_pool2d": lambda x: re_torch.nn.functional.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1),
    "avg_pool2d": lambda x: re_torch.nn.functional.avg_pool2d(x.reshape(1, 1, 2, 3), 2, 1),
    "batch_norm": lambda x: re_torch.nn.functional.batch_norm(x, None, None, training=True),
    "mse_mean": lambda x: re_torch.nn.functional.mse_loss(x, x.detach() * 0.5),
}  # fmt: skip


def _idx(like: Any, values: list) -> Any:
    return re_torch.tensor(values, device=like.device)


def _setitem(x: Any) -> Any:
    y = x * 1
    y[0, 1] = 4.0
    y[1] = y[0] * 2
    return y


# Ops that fail on the fake CuPy because they rely on something real CuPy lacks (the blocker is in
# files this test does not own; each entry names it).


@pytest.mark.parametrize(
    "name",
    sorted(UNARY),
)
def test_op_stays_on_device_with_cpu_values(name: str, fake_cuda: types.ModuleType) -> None:
    data = np.array([[0.5, -1.25, 2.0], [-0.75, 1.5, 0.25]], dtype=np.float32)
    x_cpu = re_torch.tensor(data, requires_grad=True)
    x_dev = re_torch.tensor(data, device="cuda", requires_grad=True)
    want, got = UNARY[name](x_cpu), UNARY[name](x_dev)
    assert _on_fake_cuda(got), f"{name} escaped to {type(got._data).__name__}"
    assert compare_arrays(got.detach().cpu().numpy(), want.detach().numpy()).ok
    if got.requires_grad:
        want.sum().backward()
        got.sum().backward()
        assert _on_fake_cuda(x_dev.grad), f"{name}'s backward escaped to {type(x_dev.grad._data).__name__}"
        assert compare_arrays(x_dev.grad.cpu().numpy(), x_cpu.grad.numpy()).ok


def test_module_to_cuda_moves_parameters(fake_cuda: types.ModuleType) -> None:
    model = re_torch.nn.Sequential(re_torch.nn.Linear(3, 4), re_torch.nn.ReLU(), re_torch.nn.Linear(4, 1))
    params = list(model.parameters())
    assert model.to("cuda") is model
    assert list(model.parameters()) == params  # torch keeps the Parameter objects and swaps their data
    assert all(_on_fake_cuda(p) and p.requires_grad for p in model.parameters())
    model.cpu()
    assert all(type(p._data) is np.ndarray for p in model.parameters())
    model.cuda()
    assert all(_on_fake_cuda(p) for p in model.parameters())


def _train_step(ns: Any, device: str, reduction: str) -> tuple[list[np.ndarray], np.ndarray]:
    """One forward+backward+SGD step of a tiny model; returns the new parameters and the loss."""
    w1 = np.array([[0.2, -0.4, 0.1], [0.3, 0.5, -0.2]], dtype=np.float32)
    b1 = np.array([0.05, -0.1], dtype=np.float32)
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 1.5], [-1.0, 0.0, 2.0], [2.0, 1.0, 0.0]], dtype=np.float32)
    target = np.array([[0.5], [-0.5], [1.0], [0.0]], dtype=np.float32)
    lin = ns.nn.Linear(3, 2)
    with ns.no_grad():
        lin.weight.copy_(ns.tensor(w1))
        lin.bias.copy_(ns.tensor(b1))
    lin.to(device)
    scale = ns.tensor([[0.7], [-1.3]], device=device, requires_grad=True)
    opt = ns.optim.SGD([*lin.parameters(), scale], lr=0.1, momentum=0.9)
    xs = ns.tensor(x, device=device)
    h = lin(xs).relu() * 2.0 + 0.5
    out = h.exp().matmul(scale) * 0.1
    loss = ns.nn.MSELoss(reduction=reduction)(out, ns.tensor(target, device=device))
    opt.zero_grad()
    loss.backward()
    opt.step()

    def host(t: Any) -> np.ndarray:
        return t.detach().cpu().numpy()

    return [host(p) for p in (lin.weight, lin.bias, scale)], host(loss)


@pytest.mark.parametrize(
    "reduction",
    ["sum", "mean"],
)
def test_training_step_on_device_matches_torch(reduction: str, fake_cuda: types.ModuleType) -> None:
    want_params, want_loss = _train_step(torch, "cpu", reduction)
    got_params, got_loss = _train_step(re_torch, "cuda", reduction)
    assert compare_arrays(got_loss, want_loss).ok
    for got, want in zip(got_params, want_params, strict=True):
        diff = compare_arrays(got, want)
        assert diff.ok, diff.describe()


# ---------------------------------------------------------------------------- (3) conformance backend pairs


def test_cuda_pair_only_when_both_sides_have_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    assert backends.pairs_for(("cpu", "cuda")) == [backends.CPU_PAIR]
    assert backends.pairs_for(("cuda",)) == []
    monkeypatch.setattr(backends, "cuda_available", lambda: True)
    assert backends.pairs_for(("cpu", "cuda")) == [backends.CPU_PAIR, backends.CUDA_PAIR]


def test_skipped_pairs_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    monkeypatch.setattr(backends, "cuda_skip_reason", lambda: "no GPU here")
    assert backends.skipped_pairs(("cpu", "cuda")) == [(backends.CUDA_PAIR, "no GPU here")]
    assert backends.skipped_pairs(("cpu",)) == []
    monkeypatch.setattr(backends, "cuda_available", lambda: True)
    assert backends.skipped_pairs(("cpu", "cuda")) == []


def test_cuda_skip_reason_names_the_missing_side(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setattr(_backend, "_cupy_checked", True)
    monkeypatch.setattr(_backend, "_cupy_reason", "CuPy is not importable (ImportError: x)")
    reason = backends.cuda_skip_reason()
    if not torch.cuda.is_available():
        assert "torch" in reason and "CUDA" in reason
    assert "CuPy is not importable" in reason


def test_pairs_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "cuda_available", lambda: True)
    monkeypatch.setenv(backends.PAIRS_ENV, "cuda-cupy")
    assert backends.pairs_for(("cpu",)) == [backends.CUDA_PAIR]  # every scenario runs on the GPU pair
    monkeypatch.setenv(backends.PAIRS_ENV, "cpu-numpy,cuda-cupy")
    assert backends.pairs_for(("cpu",)) == [backends.CPU_PAIR, backends.CUDA_PAIR]
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    with pytest.raises(RuntimeError, match="cuda-cupy"):
        backends.pairs_for(("cpu",))  # asked for explicitly: an error, not a silent skip
    monkeypatch.setenv(backends.PAIRS_ENV, "tpu")
    with pytest.raises(ValueError, match="tpu"):
        backends.pairs_for(("cpu",))


def test_device_summary_lists_what_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    monkeypatch.setattr(backends, "cuda_skip_reason", lambda: "no GPU here")
    assert backends.device_summary() == {"cpu-numpy": "available", "cuda-cupy": "skipped: no GPU here"}


@pytest.fixture
def default_cuda(fake_cuda: types.ModuleType) -> Iterator[None]:
    re_torch.set_default_device("cuda")
    try:
        yield
    finally:
        re_torch.set_default_device(None)


def test_default_device_places_factories_and_modules(default_cuda: None) -> None:
    made = {
        "zeros": re_torch.zeros(2), "tensor": re_torch.tensor([1.0]), "arange": re_torch.arange(3),
        "full": re_torch.full((2,), 1.5), "eye": re_torch.eye(2), "linspace": re_torch.linspace(0, 1, 3),
        "randn": re_torch.randn(2), "rand": re_torch.rand(2), "randint": re_torch.randint(0, 3, (2,)),
        "randperm": re_torch.randperm(3), "as_tensor": re_torch.as_tensor([1.0]),
    }  # fmt: skip
    assert [n for n, t in made.items() if not _on_fake_cuda(t)] == []
    lin = re_torch.nn.Linear(2, 3)
    bn = re_torch.nn.BatchNorm1d(3)
    assert all(_on_fake_cuda(t) for t in (*lin.parameters(), *bn.parameters(), *bn.buffers()))
    with re_torch.device("cpu"):  # an inner block wins, and the outer default comes back after it
        assert type(re_torch.zeros(2)._data) is np.ndarray
    assert _on_fake_cuda(re_torch.zeros(2))
    host = re_torch.from_numpy(np.ones(2, dtype=np.float32))  # torch.from_numpy always shares host memory
    assert type(host._data) is np.ndarray
    assert type(re_torch.zeros_like(host)._data) is np.ndarray  # *_like follow their input, not the default
    assert re_torch.get_default_device() == re_torch.device("cuda", 0)


def test_gpu_draws_use_their_own_generator(fake_cuda: types.ModuleType) -> None:
    re_torch.manual_seed(3)
    torch.manual_seed(3)
    first = re_torch.randn(40, device="cuda")
    assert _on_fake_cuda(first)
    # torch's CPU generator is untouched by draws on a GPU; the engine's is too
    assert np.array_equal(re_torch.randn(40).numpy(), torch.randn(40).numpy())
    re_torch.manual_seed(3)
    assert np.array_equal(re_torch.randn(40, device="cuda").cpu().numpy(), first.cpu().numpy())
    re_torch.cuda.manual_seed(4)
    again = re_torch.randn(40, device="cuda").cpu().numpy()
    re_torch.cuda.manual_seed(4)
    assert np.array_equal(re_torch.randn(40, device="cuda").cpu().numpy(), again)
    w = re_torch.empty(3, 4, device="cuda")
    for fill in (lambda: w.normal_(), lambda: w.uniform_(-1, 1), lambda: w.bernoulli_(0.5),
                 lambda: w.exponential_(), lambda: w.random_(0, 9)):  # fmt: skip
        assert _on_fake_cuda(fill())
    cpu_gen = re_torch.Generator()
    kind, message = _outcome(lambda: re_torch.randn(2, device="cuda", generator=cpu_gen))
    assert (kind, message) == ("RuntimeError", "Expected a 'cuda' device type for generator but found 'cpu'")
    with re_torch.random.fork_rng():
        re_torch.randn(8, device="cuda")
    re_torch.cuda.manual_seed(4)
    re_torch.randn(40, device="cuda")
    after_fork = re_torch.randn(5, device="cuda").cpu().numpy()
    re_torch.cuda.manual_seed(4)
    re_torch.randn(40, device="cuda")
    with re_torch.random.fork_rng():
        re_torch.randn(8, device="cuda")
    assert np.array_equal(re_torch.randn(5, device="cuda").cpu().numpy(), after_fork)


def test_dropout_mask_on_gpu_stays_there(fake_cuda: types.ModuleType) -> None:
    x = re_torch.ones(4, 8, device="cuda", requires_grad=True)
    y = re_torch.nn.functional.dropout(x, 0.5)
    assert _on_fake_cuda(y)
    y.sum().backward()
    assert _on_fake_cuda(x.grad)
    assert set(np.unique(x.grad.cpu().numpy()).tolist()) <= {0.0, 2.0}


def test_cpu_scalar_input_gets_its_grad_on_the_cpu(fake_cuda: types.ModuleType) -> None:
    # torch's validate_outputs moves a 0-dim gradient to its input's device instead of raising
    s = re_torch.tensor(2.5, requires_grad=True)
    v = re_torch.tensor([[1.0, 2.0], [3.0, -4.0]], device="cuda")
    (s * v).sum().backward()
    assert type(s.grad._data) is np.ndarray and s.grad.item() == 2.0


# The generated device check of mm/addmm/bmm/cat ... (aten/src/ATen/core/adaption.cpp) and the convolution
# backend's type check (aten/src/ATen/native/Convolution.cpp), worded as torch 2.11 CUDA printed them on an H100.
COMMON = ("Expected all tensors to be on the same device, but got {arg} is on {bad}, different from other tensors "
          "on {common} (when checking argument in method wrapper_CUDA_{op})")  # fmt: skip


def test_mixed_device_matrix_products_name_the_argument(fake_cuda: types.ModuleType) -> None:
    gpu, cpu = re_torch.ones(2, 2, device="cuda"), re_torch.ones(2, 2)
    F = re_torch.nn.functional
    cases = {
        "mm": (lambda: re_torch.mm(gpu, cpu), dict(arg="mat2", bad="cpu", common="cuda:0", op="mm")),
        "mm_reversed": (lambda: re_torch.mm(cpu, gpu), dict(arg="mat2", bad="cuda:0", common="cpu", op="mm")),
        "bmm": (lambda: re_torch.bmm(gpu[None], cpu[None]), dict(arg="mat2", bad="cpu", common="cuda:0", op="bmm")),
        "addmm": (lambda: re_torch.addmm(cpu, gpu, gpu), dict(arg="mat1", bad="cuda:0", common="cpu", op="addmm")),
        "linear": (lambda: F.linear(gpu, cpu, re_torch.ones(2)),
                   dict(arg="mat1", bad="cuda:0", common="cpu", op="addmm")),
        "linear_nobias": (lambda: F.linear(gpu, cpu), dict(arg="mat2", bad="cpu", common="cuda:0", op="mm")),
        "mv": (lambda: re_torch.mv(gpu, cpu[0]), dict(arg="mat", bad="cuda:0", common="cpu", op="addmv_")),
        "dot": (lambda: re_torch.dot(gpu[0], cpu[0]), dict(arg="tensor", bad="cpu", common="cuda:0", op="_dot")),
        "cat": (lambda: re_torch.cat([gpu, cpu]), dict(arg="tensors", bad="cpu", common="cuda:0", op="cat")),
        "stack": (lambda: re_torch.stack([gpu, cpu]), dict(arg="tensors", bad="cpu", common="cuda:0", op="cat")),
        "index_select": (lambda: gpu.index_select(0, re_torch.tensor([1])),
                         dict(arg="index", bad="cpu", common="cuda:0", op="_index_select")),
        "gather": (lambda: gpu.gather(1, re_torch.zeros(2, 1, dtype=re_torch.int64)),
                   dict(arg="index", bad="cpu", common="cuda:0", op="gather")),
        "conv2d_cpu_input": (lambda: F.conv2d(cpu[None, None], gpu[None, None]),
                             dict(arg="weight", bad="cuda:0", common="cpu", op="__slow_conv2d_forward")),
    }  # fmt: skip
    for name, (fn, parts) in cases.items():
        assert _outcome(fn) == ("RuntimeError", COMMON.format(**parts)), name


def test_conv_with_parameters_elsewhere_names_both_types(fake_cuda: types.ModuleType) -> None:
    F = re_torch.nn.functional
    x_gpu, w_cpu = re_torch.ones(1, 1, 3, 3, device="cuda"), re_torch.ones(1, 1, 2, 2)
    assert _outcome(lambda: F.conv2d(x_gpu, w_cpu)) == (
        "RuntimeError", "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) should be the same"
    )  # fmt: skip
    assert _outcome(lambda: F.conv2d(x_gpu, w_cpu.cuda(), re_torch.ones(1))) == (
        "RuntimeError", "Input type (torch.cuda.FloatTensor) and bias type (torch.FloatTensor) should be the same"
    )  # fmt: skip


def test_engine_backend_on_fake_cuda(fake_cuda: types.ModuleType) -> None:
    engine = backends.CUDA_PAIR.engine
    t = engine.from_numpy(np.array([1.0, 2.0], dtype=np.float32), "float32", requires_grad=True)
    assert _on_fake_cuda(t) and t.requires_grad
    host = engine.to_numpy(t * 2.0)
    assert type(host) is np.ndarray and compare_arrays(host, np.array([2.0, 4.0], dtype=np.float32)).ok


# ---------------------------------------------------------------------------- scripts/gpu_check.sh

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "gpu_check.sh"


@pytest.mark.skipif(backends.cuda_available(), reason="this machine has a GPU pair: the script would run it")
def test_gpu_check_fails_clearly_without_gpu(tmp_path: Path) -> None:
    proc = subprocess.run(["bash", str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "no GPU visible to both torch and CuPy" in proc.stderr
    assert "no usable GPU pair" in (tmp_path / "devices.txt").read_text()


def test_gpu_check_usage_error() -> None:
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage" in proc.stderr


def test_gpu_check_benchmark_code_runs(tmp_path: Path) -> None:
    # the benchmark part on the CPU with tiny sizes: the same code the GPU run executes
    proc = subprocess.run(["bash", str(SCRIPT), "--bench-selftest", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "bench_gpu.json").read_text())
    assert [r["workload"] for r in doc["results"]] == ["elementwise_4m", "matmul_2048"]
    assert all(r["engine_s"] > 0 and r["torch_s"] > 0 for r in doc["results"])


def test_cpu_tolerances_are_torchs_and_cuda_ones_are_looser_with_a_reason() -> None:
    for name in ("float16", "float32", "float64"):
        cpu = Tolerance.for_dtype(name)
        assert (cpu.rtol, cpu.atol) == default_tolerances(getattr(torch, name))
        gpu = Tolerance.for_dtype(name, "cuda")
        assert gpu.rtol >= cpu.rtol and gpu.atol >= cpu.atol and gpu.reason
