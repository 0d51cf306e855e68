"""torch's smaller namespaces on the engine against torch 2.13 (CPU build): torch.backends flags,
torch.accelerator, the legacy typed constructors and Tensor.type, torch.compile, torch.amp (GradScaler,
autocast), and torch.onnx / torch.distributed / torch.nn.parallel, which the engine has but cannot run."""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.helpers import (
    ProgramTable,
    as_numpy,
    assert_same_error,
    assert_same_result,
    error_signature,
    torch_release,
)

# torch's answers here are a CPU-only build's: a CUDA build answers otherwise even without a GPU ("Found no NVIDIA
# driver" where a CPU build says "Torch not compiled with CUDA enabled"), so the build is checked, not the device
CPU_BUILD = torch.version.cuda is None and not torch.backends.cuda.is_built()
NO_GPU = CPU_BUILD and not engine.cuda.is_available()
cpu_only = pytest.mark.skipif(
    not NO_GPU, reason="torch's CPU-only-build answers; this torch is a CUDA build or has a GPU"
)


def _warnings_of(fn: Callable[[], Any]) -> tuple[Any, list[tuple[str, str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    # torch's C++ warnings end in where they were raised; the conformance comparison drops that suffix too
    seen = [(w.category.__name__, re.sub(r" \(Triggered internally at .*\)$", "", str(w.message), flags=re.S))
            for w in caught if not issubclass(w.category, DeprecationWarning)]  # fmt: skip
    return out, seen


def assert_same_warnings(fn: Callable[[Any], Any]) -> None:
    """Both libraries warn alike (category and text) and return the same plain value."""
    got, got_warned = _warnings_of(lambda: fn(engine))
    want, want_warned = _warnings_of(lambda: fn(torch))
    assert got_warned == want_warned
    assert got == want


# --------------------------------------------------------------------------- torch.backends
@cpu_only
def test_backend_answers() -> None:
    def answers(m: Any) -> list[Any]:
        b = m.backends
        return [
            b.mps.is_available(), b.mps.is_built(), b.cuda.is_built(), b.cuda.matmul.allow_tf32,
            b.cuda.matmul.allow_fp16_reduced_precision_reduction, b.cuda.matmul.allow_bf16_reduced_precision_reduction,
            b.cuda.matmul.allow_fp16_accumulation, b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic,
            b.cudnn.allow_tf32, b.cudnn.is_available(), b.cudnn.version(), b.cudnn.benchmark_limit,
            b.opt_einsum.is_available(), b.opt_einsum.enabled, b.opt_einsum.strategy, b.mkldnn.is_available(),
            b.mkldnn.enabled, b.mkldnn.deterministic, b.openmp.is_available(), b.mkl.is_available(),
            m.get_float32_matmul_precision(), type(b.cudnn).__name__, type(b.cuda.matmul).__name__,
        ]  # fmt: skip

    assert_same_result(answers)


FLAGS = [("cudnn", "enabled"), ("cudnn", "benchmark"), ("cudnn", "deterministic"), ("cudnn", "allow_tf32"),
         ("cuda.matmul", "allow_tf32"), ("cuda.matmul", "allow_fp16_reduced_precision_reduction"),
         ("cuda.matmul", "allow_bf16_reduced_precision_reduction"), ("cuda.matmul", "allow_fp16_accumulation"),
         ("mkldnn", "enabled"), ("mkldnn", "deterministic")]  # fmt: skip


def _holder(m: Any, path: str) -> Any:
    obj = m.backends
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize(("where", "flag"), FLAGS, ids=[f"{w}.{f}" for w, f in FLAGS])
@pytest.mark.parametrize("value", [True, False, 1, None, "x", (True, False), [True]], ids=repr)
def test_backend_flag_set(where: str, flag: str, value: Any) -> None:
    def prog(m: Any) -> Any:
        holder = _holder(m, where)
        old = getattr(holder, flag)
        try:
            setattr(holder, flag, value)
            return getattr(holder, flag), m.get_float32_matmul_precision()
        finally:
            setattr(holder, flag, old)

    if error_signature(lambda: prog(torch)) is None:
        assert_same_result(prog)
    else:
        assert error_signature(lambda: prog(engine)) == error_signature(lambda: prog(torch))


def test_backend_unknown_attributes_and_plain_settings() -> None:
    assert_same_error(lambda m: m.backends.cuda.matmul.no_such_flag)
    assert_same_error(lambda m: setattr(m.backends.cuda.matmul, "no_such_flag", True))

    def plain(m: Any) -> Any:
        oe = m.backends.opt_einsum
        old = oe.enabled, oe.strategy
        oe.enabled, oe.strategy = True, "greedy"  # plain attributes in torch 2.13: nothing checks them
        try:
            return oe.enabled, oe.strategy
        finally:
            oe.enabled, oe.strategy = old

    assert_same_result(plain)


def test_cudnn_flags_block_and_matmul_precision() -> None:
    def prog(m: Any) -> Any:
        c = m.backends.cudnn
        with c.flags(enabled=False, benchmark=True, deterministic=True, allow_tf32=False):
            inside = (c.enabled, c.benchmark, c.deterministic, c.allow_tf32)
        after = (c.enabled, c.benchmark, c.deterministic, c.allow_tf32)
        seen = []
        for p in ("high", "medium", "highest"):
            m.set_float32_matmul_precision(p)
            seen.append((m.get_float32_matmul_precision(), m.backends.cuda.matmul.allow_tf32))
        return inside, after, seen

    assert_same_result(prog)
    assert_same_error(lambda m: m.backends.cudnn.flags(enabled=1).__enter__())
    assert_same_error(lambda m: m.set_float32_matmul_precision(1))
    assert_same_warnings(lambda m: (m.set_float32_matmul_precision("fastest"), m.get_float32_matmul_precision()))


@pytest.mark.parametrize("name", ["backends", "backends.cudnn", "backends.cuda", "backends.mps", "backends.mkldnn",
                                  "backends.opt_einsum", "backends.openmp", "backends.mkl", "accelerator", "amp",
                                  "cuda.amp", "onnx", "distributed", "nn.parallel"])  # fmt: skip
def test_submodules_import(name: str) -> None:
    mod = importlib.import_module(f"reference_engine.{name}")
    attr = engine
    for part in name.split("."):
        attr = getattr(attr, part)
    assert attr is mod


# --------------------------------------------------------------------------- torch.accelerator
@cpu_only
def test_accelerator_without_one() -> None:
    a = lambda m: m.accelerator
    assert_same_result(lambda m: (a(m).is_available(), a(m).current_accelerator(), a(m).device_count()))
    assert_same_result(lambda m: a(m).current_accelerator(check_available=True))
    assert_same_result(lambda m: a(m).set_device_index(-1))
    for call in (
        lambda m: a(m).current_device_index(), lambda m: a(m).set_device_index(0),
        lambda m: a(m).set_device_index(None), lambda m: a(m).set_device_index("cuda:0"),
        lambda m: a(m).set_device_index(1.5), lambda m: a(m).synchronize(), lambda m: a(m).synchronize(0),
        lambda m: a(m).synchronize("cpu"), lambda m: a(m).device_index(0).__enter__(),
    ):  # fmt: skip
        assert_same_error(call)
    assert_same_result(lambda m: a(m).device_index(None).__enter__())


# --------------------------------------------------------------------------- legacy constructors
LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
          "ByteTensor", "BoolTensor"]  # fmt: skip


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructor_data_and_sizes(name: str) -> None:
    assert_same_result(lambda m: getattr(m, name)([1, 0, 3]))
    assert_same_result(lambda m: getattr(m, name)([[1.7, 0.0], [2.2, 1.0]]))
    assert_same_result(lambda m: getattr(m, name)((2, 3)))  # a tuple is data, not a size
    assert_same_result(lambda m: getattr(m, name)(np.array([4, 5])))
    assert_same_result(lambda m: getattr(m, name)())
    assert_same_result(lambda m: getattr(m, name)(data=[1, 2]))
    for make in (lambda m: getattr(m, name)(2, 3), lambda m: getattr(m, name)(m.Size([4])),
                 lambda m: getattr(m, name)(size=(2, 1)), lambda m: getattr(m, name)(3, device="cpu")):  # fmt: skip
        got, want = make(engine), make(torch)  # uninitialised in torch: dtype and shape only
        assert (str(got.dtype), tuple(got.shape), got.requires_grad) == (str(want.dtype), tuple(want.shape), False)
    assert_same_result(lambda m: (str(getattr(m, name).dtype), getattr(m, name).is_cuda, repr(getattr(m, name))))
    assert_same_result(
        lambda m: [
            isinstance(m.ones(2, dtype=d), getattr(m, name))
            for d in (m.float32, m.float64, m.float16, m.int64, m.int32, m.int16, m.int8, m.uint8, m.bool)
        ]
    )
    assert_same_result(lambda m: (isinstance(3, getattr(m, name)), issubclass(getattr(m, name), m.Tensor)))


LEGACY_ERRORS = ProgramTable(assert_same_error)


@LEGACY_ERRORS
def float_from_long_tensor(m: Any) -> Any:
    return m.FloatTensor(m.tensor([1, 2]))


@LEGACY_ERRORS
def long_from_float_tensor(m: Any) -> Any:
    return m.LongTensor(m.tensor([1.0]))


@LEGACY_ERRORS
def scalar_data(m: Any) -> Any:
    return m.FloatTensor(2.5)


@LEGACY_ERRORS
def none_data(m: Any) -> Any:
    return m.IntTensor(None)


@LEGACY_ERRORS
def numpy_scalar_data(m: Any) -> Any:
    return m.FloatTensor(np.float64(2.5))


@LEGACY_ERRORS
def string_data(m: Any) -> Any:
    return m.FloatTensor("a")


@LEGACY_ERRORS
def negative_size(m: Any) -> Any:
    return m.FloatTensor(2, -3)


@LEGACY_ERRORS
def float_size(m: Any) -> Any:
    return m.FloatTensor(2, 3.0)


@LEGACY_ERRORS
def dtype_keyword(m: Any) -> Any:
    return m.FloatTensor(2, 3, dtype=m.float64)


@LEGACY_ERRORS
def requires_grad_keyword(m: Any) -> Any:
    return m.FloatTensor([1.0], requires_grad=True)


@LEGACY_ERRORS
def two_lists(m: Any) -> Any:
    return m.FloatTensor([1], [2])


@LEGACY_ERRORS
def bool_then_int(m: Any) -> Any:
    return m.FloatTensor(True, 2)


@LEGACY_ERRORS
def meta_device(m: Any) -> Any:
    return m.FloatTensor(1, device="meta")


@LEGACY_ERRORS
def tensor_and_device(m: Any) -> Any:
    return m.FloatTensor(m.ones(2), device="cpu")


@LEGACY_ERRORS
def subclass(m: Any) -> Any:
    return type("Mine", (m.FloatTensor,), {})


@LEGACY_ERRORS
def plain_tensor_sizes_float(m: Any) -> Any:
    return m.Tensor(2.5)


test_legacy_constructor_errors = LEGACY_ERRORS.test()


def test_legacy_constructor_aliases_a_tensor() -> None:
    def prog(m: Any) -> Any:
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = m.FloatTensor(x)
        z = m.ones(3, dtype=m.float64)
        w = m.DoubleTensor(z)
        z.add_(1)
        return y, type(y.grad_fn).__name__, y._base is x, w, w._version, str(m.Tensor(z).dtype)

    assert_same_result(prog)


@cpu_only
def test_cuda_legacy_types_without_gpu() -> None:
    assert_same_error(lambda m: m.cuda.FloatTensor([1.0]))
    assert_same_error(lambda m: m.cuda.LongTensor())
    assert_same_result(lambda m: (isinstance(m.ones(1), m.cuda.FloatTensor), repr(m.cuda.FloatTensor)))


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_plain_tensor_constructor(default: str) -> None:
    def prog(m: Any) -> Any:
        old = m.get_default_dtype()
        m.set_default_dtype(getattr(m, default))
        try:
            return m.Tensor([1, 2]), m.Tensor((3, 4)), m.Tensor().shape, m.Tensor(2, 3).shape, str(m.Tensor(2).dtype)
        finally:
            m.set_default_dtype(old)

    assert_same_result(prog)


TYPE_ARGS = ["torch.LongTensor", "torch.FloatTensor", "torch.DoubleTensor", "torch.HalfTensor", "torch.BoolTensor",
             "torch.ByteTensor", "torch.Tensor", "float64", "FloatTensor", "torch.float64", "DoubleTensorClass",
             "TensorClass", "int", "ndarray", "one"]  # fmt: skip


def _type_arg(m: Any, name: str) -> Any:
    special = {"float64": m.float64, "DoubleTensorClass": m.DoubleTensor, "TensorClass": m.Tensor, "int": int,
               "ndarray": np.ndarray, "one": 1}  # fmt: skip
    return special.get(name, name)


@pytest.mark.parametrize("arg", TYPE_ARGS)
@pytest.mark.parametrize("requires_grad", [False, True])
def test_tensor_type(arg: str, requires_grad: bool) -> None:
    def prog(m: Any) -> Any:
        x = m.tensor([1.5, -2.5, 0.0], requires_grad=requires_grad)
        y = x.type(_type_arg(m, arg))
        return y, y is x, y.type(), type(y.grad_fn).__name__ if y.grad_fn else None

    if error_signature(lambda: prog(torch)) is None:
        assert_same_result(prog)
    else:
        assert_same_error(prog)


def test_tensor_type_names() -> None:
    assert_same_result(lambda m: [m.ones(1, dtype=d).type() for d in (
        m.float32, m.float64, m.float16, m.int64, m.int32, m.int16, m.int8, m.uint8, m.bool, m.complex64, m.complex128
    )] + [m.nn.Parameter(m.ones(1)).type(), m.Tensor.type(m.ones(1)), m.ones(1).type(None)])  # fmt: skip
    assert_same_error(lambda m: m.ones(1).type("torch.LongTensor", foo=1))


@cpu_only
def test_tensor_type_cuda_name_without_gpu() -> None:
    assert_same_error(lambda m: m.ones(1).type("torch.cuda.FloatTensor"))


# --------------------------------------------------------------------------- torch.compile
def test_compile_function_forms() -> None:
    def prog(m: Any) -> Any:
        def f(x: Any) -> Any:
            return (x * 2).sin() + x

        x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        plain = m.compile(f, backend="eager")  # torch's default backend compiles C++ for seconds
        decorated = m.compile(f, backend="eager", fullgraph=True)
        bare = m.compile(backend="aot_eager")(f)
        with_args = m.compile(backend="eager", dynamic=False)(f)
        ys = [g(x) for g in (plain, decorated, bare, with_args)]
        ys[0].sum().backward()
        return ys, x.grad, plain.__name__, plain.__wrapped__ is f, m.compile(f, disable=True) is f

    assert_same_result(prog)


def test_compile_module_wrapper() -> None:
    def prog(m: Any) -> Any:
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2)
        cm = m.compile(lin, backend="eager")
        x = m.tensor([[1.0, 2.0, 3.0]])
        out = cm(x)
        cm.eval()
        return (out, lin(x), cm is lin, cm.weight is lin.weight, cm._orig_mod is lin, list(cm.state_dict()),
                [n for n, _ in cm.named_parameters()], lin.training, cm.training, type(cm).__name__,
                isinstance(cm, m.nn.Module), isinstance(cm, m.nn.Linear), repr(cm), m.compile(lin, disable=True) is lin)  # fmt: skip

    assert_same_result(prog)


# InvalidBackend's text for backend="bogus", recorded from torch 2.13.0 and 2.14.1 (2.14 rewords it)
BOGUS_BACKENDS = {
    "2.13": "Invalid backend: 'bogus', see `torch._dynamo.list_backends()` for available backends.",
    "2.14": "Invalid backend: 'bogus'. See `torch._dynamo.list_backends()` for available backends.",
}
BOGUS_BACKEND = BOGUS_BACKENDS[torch_release()]


def test_compile_errors() -> None:
    assert_same_error(lambda m: m.compile(lambda x: x, mode="bogus"))
    assert_same_error(lambda m: m.compile(lambda x: x, mode="default", options={"a": 1}))
    for lib in (engine, torch):  # torch's class is torch._dynamo.exc.InvalidBackend: compared by name and text
        with pytest.raises(RuntimeError) as caught:
            lib.compile(lambda x: x, backend="bogus")
        assert (type(caught.value).__name__, str(caught.value)) == ("InvalidBackend", BOGUS_BACKEND)
    assert_same_error(lambda m: m.compile(1))
    assert_same_error(lambda m: m.compile()(None))


# torch.compile's errors that differ between releases, recorded from torch 2.13.0 and 2.14.1: torch 2.14's
# InvalidBackend suggests up to two close names from list_backends(), and renames the keyword shapes_spec to
# dynamic_shapes (each release refuses the other's name)
_LIST = "`torch._dynamo.list_backends()` for available backends."
_SEE = f"See {_LIST}"  # torch 2.14's ending; torch 2.13 ends "..., see {_LIST}"
COMPILE_ERRORS_BY_RELEASE: dict[str, dict[str, tuple[str, str] | str]] = {
    "2.13": {
        "inducto": ("InvalidBackend", f"Invalid backend: 'inducto', see {_LIST}"),
        "cudagraph": ("InvalidBackend", f"Invalid backend: 'cudagraph', see {_LIST}"),
        "eagr": ("InvalidBackend", f"Invalid backend: 'eagr', see {_LIST}"),
        "shapes_spec": "ok",
        "dynamic_shapes": ("TypeError", "compile() got an unexpected keyword argument 'dynamic_shapes'"),
    },
    "2.14": {
        "inducto": ("InvalidBackend", f"Invalid backend: 'inducto', did you mean: 'inductor'? {_SEE}"),
        "cudagraph": ("InvalidBackend", f"Invalid backend: 'cudagraph', did you mean: 'cudagraphs'? {_SEE}"),
        "eagr": ("InvalidBackend", f"Invalid backend: 'eagr'. {_SEE}"),
        "shapes_spec": ("TypeError", "compile() got an unexpected keyword argument 'shapes_spec'"),
        "dynamic_shapes": "ok",
    },
}


def _compile_outcomes(lib: Any) -> dict[str, tuple[str, str] | str]:
    calls: dict[str, Callable[[], Any]] = {
        "inducto": lambda: lib.compile(lambda x: x, backend="inducto"),
        "cudagraph": lambda: lib.compile(lambda x: x, backend="cudagraph"),
        "eagr": lambda: lib.compile(lambda x: x, backend="eagr"),
        "shapes_spec": lambda: lib.compile(lambda x: x, shapes_spec=None),
        "dynamic_shapes": lambda: lib.compile(lambda x: x, dynamic_shapes=None),
    }
    out: dict[str, tuple[str, str] | str] = {}
    for key, call in calls.items():
        try:
            call()
            out[key] = "ok"
        except Exception as e:  # noqa: BLE001
            out[key] = (type(e).__name__, str(e))
    return out


def test_compile_errors_per_release(release: str) -> None:
    assert _compile_outcomes(engine) == COMPILE_ERRORS_BY_RELEASE[release]
    if release == torch_release():
        assert _compile_outcomes(torch) == COMPILE_ERRORS_BY_RELEASE[release]


# --------------------------------------------------------------------------- GradScaler
def _scaler_training(m: Any, device: str, **kwargs: Any) -> list[Any]:
    """A few steps of scaled SGD with an inf gradient in step 2: scales, growth tracker, skipped step, state."""
    w = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
    opt = m.optim.SGD([w], lr=0.1)
    scaler = m.amp.GradScaler(device, **kwargs)
    seen: list[Any] = [scaler.get_scale(), scaler.is_enabled(), scaler.state_dict()]
    for step in range(5):
        opt.zero_grad()
        loss = (w * w).sum() * (float("inf") if step == 2 else 1.0)
        scaled = scaler.scale(loss)
        scaled.backward()
        if step == 3:
            scaler.unscale_(opt)
            seen.append(w.grad.clone())
        seen.append(scaler.step(opt))
        scaler.update()
        seen += [scaled.detach(), w.detach().clone(), scaler.get_scale(), scaler._get_growth_tracker()]
    seen.append(scaler.state_dict())
    return seen


@pytest.mark.parametrize("kwargs", [{}, {"init_scale": 8.0, "growth_interval": 2}, {"init_scale": 3.0, "growth_factor": 3.0,
                                    "backoff_factor": 0.25, "growth_interval": 1}, {"enabled": False}], ids=repr)  # fmt: skip
def test_grad_scaler_cpu_steps(kwargs: dict) -> None:
    assert_same_result(lambda m: _scaler_training(m, "cpu", **kwargs))


def test_grad_scaler_outputs_updates_and_state() -> None:
    def prog(m: Any) -> Any:
        s = m.amp.GradScaler("cpu", init_scale=4.0)
        x = m.tensor([1.0, 2.0], requires_grad=True)
        scaled = [s.scale(x * 1), s.scale([x, x * 2]), s.scale((x,)), s.scale(m.tensor([1, 2])),
                  s.scale(m.tensor([1.0], dtype=m.float64))]  # fmt: skip
        s.update(2.0)
        after_float = s.get_scale()
        s.update(m.tensor(8.0))
        state = s.state_dict()
        other = m.amp.GradScaler("cpu")
        other.load_state_dict(state)
        return scaled, after_float, s.get_scale(), state, other.state_dict(), other.get_scale()

    assert_same_result(prog)


SCALER_ERRORS = ProgramTable(assert_same_error)


@SCALER_ERRORS
def update_before_scale(m: Any) -> Any:
    return m.amp.GradScaler("cpu").update()


@SCALER_ERRORS
def update_without_step(m: Any) -> Any:
    s = m.amp.GradScaler("cpu")
    s.scale(m.ones(1))
    s.update()


@SCALER_ERRORS
def unscale_twice(m: Any) -> Any:
    w = m.ones(2, requires_grad=True)
    opt = m.optim.SGD([w], lr=0.1)
    s = m.amp.GradScaler("cpu")
    s.scale(w.sum()).backward()
    s.unscale_(opt)
    s.unscale_(opt)


@SCALER_ERRORS
def step_twice(m: Any) -> Any:
    w = m.ones(2, requires_grad=True)
    opt = m.optim.SGD([w], lr=0.1)
    s = m.amp.GradScaler("cpu")
    s.scale(w.sum()).backward()
    s.step(opt)
    s.step(opt)


@SCALER_ERRORS
def fp16_gradients(m: Any) -> Any:
    w = m.ones(2, dtype=m.float16, requires_grad=True)
    opt = m.optim.SGD([w], lr=0.1)
    s = m.amp.GradScaler("cpu")
    s.scale(w.float().sum()).backward()
    s.step(opt)


@SCALER_ERRORS
def scale_a_number(m: Any) -> Any:
    return m.amp.GradScaler("cpu").scale(3.0)


@SCALER_ERRORS
def closure(m: Any) -> Any:
    w = m.ones(2, requires_grad=True)
    s = m.amp.GradScaler("cpu")
    s.scale(w.sum())
    s.step(m.optim.SGD([w], lr=0.1), closure=lambda: None)


@SCALER_ERRORS
def bad_factors(m: Any) -> Any:
    return m.amp.GradScaler("cpu", growth_factor=1.0)


@SCALER_ERRORS
def new_scale_with_two_elements(m: Any) -> Any:
    s = m.amp.GradScaler("cpu")
    s.scale(m.ones(1))
    s.update(m.tensor([1.0, 2.0]))


@SCALER_ERRORS
def load_empty_state(m: Any) -> Any:
    m.amp.GradScaler("cpu").load_state_dict({})


test_grad_scaler_errors = SCALER_ERRORS.test()


@cpu_only
def test_cuda_grad_scalers_disable_themselves_without_gpu() -> None:
    assert_same_warnings(lambda m: m.amp.GradScaler().is_enabled())
    assert_same_warnings(lambda m: m.amp.GradScaler("cuda").state_dict())
    assert_same_warnings(lambda m: m.cuda.amp.GradScaler().get_scale())
    assert_same_result(lambda m: _scaler_training(m, "cuda", enabled=False))


# --------------------------------------------------------------------------- autocast
def _in_autocast(m: Any, make: Callable[[Any], Any]) -> Any:
    a = m.tensor([[1.0, 2.0], [3.0, 4.0]])
    with make(m) as ctx:
        out = a @ a
        inside = (type(ctx).__name__, m.is_autocast_enabled("cpu"), m.is_autocast_enabled())
    return str(out.dtype), inside, m.is_autocast_enabled("cpu")


AUTOCASTS = {
    "cpu disabled": lambda m: m.autocast("cpu", enabled=False),
    "cpu float32": lambda m: m.autocast(device_type="cpu", dtype=m.float32),
    "cpu float64": lambda m: m.autocast(device_type="cpu", dtype=m.float64),
    "cpu int32": lambda m: m.autocast("cpu", dtype=m.int32),
    "cpu float16 disabled": lambda m: m.autocast("cpu", dtype=m.float16, enabled=False),
    "amp cpu disabled": lambda m: m.amp.autocast("cpu", enabled=False, cache_enabled=False),
    "mps": lambda m: m.autocast("mps"),
    "cpu bfloat16 (default)": lambda m: m.autocast("cpu"),
    "cpu float16": lambda m: m.autocast("cpu", dtype=m.float16),
}
CUDA_AUTOCASTS = {
    "cuda": lambda m: m.autocast("cuda"),
    "cuda disabled": lambda m: m.autocast("cuda", enabled=False),
    "cuda.amp": lambda m: m.cuda.amp.autocast(),
}


@pytest.mark.parametrize("make", list(AUTOCASTS.values()), ids=list(AUTOCASTS))
def test_autocast_regions_torch_runs_unchanged(make: Callable[[Any], Any]) -> None:
    assert_same_warnings(lambda m: _in_autocast(m, make))


@cpu_only
@pytest.mark.parametrize("make", list(CUDA_AUTOCASTS.values()), ids=list(CUDA_AUTOCASTS))
def test_cuda_autocast_without_gpu(make: Callable[[Any], Any]) -> None:
    assert_same_warnings(lambda m: _in_autocast(m, make))


def test_autocast_decorator_and_errors() -> None:
    assert_same_result(lambda m: m.autocast("cpu", enabled=False)(lambda x: x * 2)(m.ones(2)))
    assert_same_error(lambda m: m.autocast(1))
    assert_same_error(lambda m: m.autocast("xyz"))
    assert_same_error(lambda m: m.autocast("meta"))
    assert_same_error(lambda m: m.autocast("cpu", enabled=1).__enter__())
    assert_same_error(lambda m: m.autocast("cpu", dtype=1, enabled=False).__enter__())
    assert_same_error(lambda m: m.is_autocast_enabled(1))
    assert_same_result(lambda m: (str(m.get_autocast_dtype("cuda")), m.is_autocast_cache_enabled(),
                                  [m.amp.is_autocast_available(d) for d in ("cpu", "cuda", "mps", "meta", "cuda:0")]))  # fmt: skip


def test_cpu_autocast_state_and_bfloat16_type_name() -> None:
    # torch autocasts CPU ops to bfloat16 by default; the state functions and the legacy type name agree
    assert_same_result(lambda m: (str(m.get_autocast_dtype("cpu")), str(m.ones(1).type("torch.BFloat16Tensor").dtype),
                                  m.ones(1).bfloat16().type()))  # fmt: skip


# --------------------------------------------------------------------------- onnx, distributed, nn.parallel
def test_data_parallel_on_the_cpu() -> None:
    def prog(m: Any) -> Any:
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2)
        dp = m.nn.DataParallel(lin)
        x = m.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        y = dp(x)
        y.sum().backward()
        return (y, x.grad, lin.weight.grad, dp.module is lin, dp.device_ids, list(dp.state_dict()), repr(dp),
                m.nn.parallel.DataParallel is m.nn.DataParallel)  # fmt: skip

    if NO_GPU:
        assert_same_result(prog)
        assert_same_error(lambda m: m.nn.parallel.data_parallel(m.nn.Linear(2, 2), m.ones(1, 2)))
    assert_same_result(lambda m: m.onnx.is_in_onnx_export())


def test_what_the_engine_cannot_run_raises() -> None:
    assert engine.distributed.is_available() is False and engine.distributed.is_initialized() is False
    for call in (lambda: engine.distributed.init_process_group("gloo"), engine.distributed.get_rank,
                 lambda: engine.distributed.all_reduce(engine.ones(1)), engine.distributed.get_world_size):  # fmt: skip
        with pytest.raises(RuntimeError, match="reference_engine has no distributed backend"):
            call()
    with pytest.raises(RuntimeError, match=r"torch\.nn\.parallel\.DistributedDataParallel is not available"):
        engine.nn.parallel.DistributedDataParallel(engine.nn.Linear(2, 2))
    with pytest.raises(NotImplementedError, match="ONNX"):
        engine.onnx.export(engine.nn.Linear(2, 2), (engine.ones(1, 2),), "model.onnx")
    assert as_numpy(engine.FloatTensor([1])).dtype == np.float32
