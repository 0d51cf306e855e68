"""torch's own op catalogue (``op_db`` of ``torch.testing._internal.common_methods_invocations``) as items.

One item per catalogue entry and dtype, id ``<entry>[<dtype>-cpu-numpy]`` (an entry is the OpInfo's name,
with ``.<variant_test_name>`` when it has one). An item runs through the pipeline a scenario runs through:
``observe.run_scenario`` runs one function per side (torch first), ``verdict.compare_observations`` judges
the two observations with the same tolerance table, and the item's ``Record`` carries the verdict. What an
item compares, each under its own *check* (the coverage matrix's columns):

- ``forward``: each sample's output: values, dtype, shape, ``requires_grad``, ``grad_fn`` name, or the error;
- ``backward``: the gradients of every input that requires grad against a fixed random cotangent per
  differentiable output (``autograd.grad``, ``allow_unused``), so errors a ``.sum()`` hides still show;
- ``gradgrad``: where the entry supports it, the gradients of those gradients against a second cotangent;
- ``forward_ad``: where the entry supports forward AD (float32/float64 items), the tangent of every floating
  output with each input that requires grad in the sample made a dual tensor of a fixed random tangent
  (``torch.autograd.forward_ad``; the tangent's ``grad_fn`` is not compared);
- ``errors``: each of the entry's ``error_inputs`` (exception type and message, as errors are compared
  everywhere; run with the entry's first dtype only, since error inputs take none);
- ``variants``: the method variant, the in-place variant (on a detached copy) and ``out=``, where the entry has them.

Samples are made by torch (``op.sample_inputs`` under the item's seed), copied to NumPy once and built from
those arrays on both sides, so both see the same numbers bit for bit; random ops are called under the same
seed on both sides (the engine's generator follows torch's). A check the engine cannot run because it lacks
the op, a variant or a keyword (it raises AttributeError, NotImplementedError or a TypeError about its
arguments where torch succeeded) is ``missing``, not ``diverge``; a sample whose forward is missing makes the
sample's other checks missing too.

This module runs in the item process (conformance.item_job). It imports torch's testing internals only when
the catalogue is asked for: they need ``expecttest``, and when they cannot be imported the source is skipped
with the reason (``catalogue_info``).
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
import traceback
import types
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backends import CPU_PAIR
from .compare import Tolerance
from .generated import GeneratedCheck
from .observe import Check, Entry, HarnessError, Observation, item_seed, run_scenario
from .record import OPINFO_CHECKS, OPINFO_CORE_DTYPES, OPINFO_FALLBACK_DTYPES, OPINFO_KIND, Record
from .verdict import Verdict, compare_observations

KIND = TAG = OPINFO_KIND  # the records' kind, and the pytest marker (`pytest -m opinfo`)
SETTINGS_FILE = (
    "opinfo.toml"  # in scenarios/: the source's settings and per-entry overrides; items are collected from it
)
OPINFO_SOURCE_FILE = f"scenarios/{SETTINGS_FILE}"  # the file a record names
PAIR = CPU_PAIR.id
# Further dtypes an item is made for, where the entry supports them (the engine claims each of these)
EXTRA_DTYPES = ("int64", "bool", "float16")
DEFAULT_SAMPLES = 3  # samples per item in the default profile, spread over the first POOL the entry yields
POOL = 24
ERROR_INPUTS = 8  # error inputs per entry in the default profile
# The engine lacks what was called (not a divergence of something it has): an attribute of its own namespace or
# Tensor class, a keyword or an argument count torch accepts; any other AttributeError is a bug in what it has
_LACKS_ATTRIBUTE = re.compile(
    r"^(module 'reference_engine[\w.]*'|type object 'Tensor'|'Tensor' object) has no attribute|^the engine has no"
)
_LACKS_ARGUMENT = re.compile(
    r"unexpected keyword argument|takes \d+ positional argument|takes from \d+ to \d+ positional|"
    r"missing \d+ required|got multiple values for argument"
)


class CatalogueUnavailableError(Exception):
    """torch's op catalogue cannot be imported (the message says why)."""


@functools.cache
def _op_db() -> tuple[Any, ...]:
    try:
        import torch.backends  # noqa: PLC0415 - with the catalogue, below

        # the flag lives in the globals of torch.backends' functions (the module is wrapped by a proxy)
        backends_globals = torch.backends.flags_frozen.__globals__
        allowed = backends_globals.get("__allow_nonbracketed_mutation_flag")
        from torch.testing._internal.common_methods_invocations import op_db  # noqa: PLC0415 - seconds to import
    except Exception as exc:  # noqa: BLE001 - any failure means "no catalogue", with its reason
        raise CatalogueUnavailableError(f"torch's op_db cannot be imported ({type(exc).__name__}: {exc})") from None
    # torch's test utilities call torch.backends.disable_global_flags() on import, after which setting
    # torch.backends.cudnn.* raises in torch; the runner's own import must not change torch for the items
    if allowed is not None:
        backends_globals["__allow_nonbracketed_mutation_flag"] = allowed
    return tuple(op_db)


def catalogue() -> dict[str, Any]:
    """Entry name -> OpInfo, in ``op_db``'s order (raises CatalogueUnavailableError)."""
    return {entry_name(op): op for op in _op_db()}


def catalogue_info() -> dict[str, Any]:
    """For the run's metadata: whether the source ran, over how many entries, or why not."""
    import torch  # noqa: PLC0415 - the metadata names the torch whose catalogue this is

    try:
        return {"available": True, "entries": len(_op_db()), "torch": torch.__version__}
    except CatalogueUnavailableError as exc:
        return {"available": False, "entries": 0, "torch": torch.__version__, "reason": str(exc)}


def entry_name(op: Any) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


_NAMESPACES = ("nn.functional", "linalg", "special", "fft", "masked", "signal.windows", "sparse", "nn")
_CLASS_FAMILY = {"UnaryUfuncInfo": "unary", "BinaryUfuncInfo": "binary", "ReductionOpInfo": "reduction",
                 "SpectralFuncInfo": "fft", "ShapeFuncInfo": "shape"}  # fmt: skip


def family(op: Any) -> str:
    """The report's grouping: the namespace (``nn.functional``, ``linalg``, ...) or the kind of op."""
    name = op.name.removeprefix("torch.")
    for ns in _NAMESPACES:
        if name.startswith(ns + "."):
            return ns
    if name.startswith("_") and not name.startswith("__"):
        return "private"
    if name.startswith("__"):
        return "operators"
    return _CLASS_FAMILY.get(type(op).__name__, "other")


def item_dtypes(op: Any, extra: bool = True) -> list[str]:
    """The dtypes an entry's items run in: float32 and float64 where supported (else a fallback), plus extras."""
    supported = {str(d).removeprefix("torch.") for d in op.supported_dtypes("cpu")}
    core = [d for d in OPINFO_CORE_DTYPES if d in supported]
    if not core:
        # an entry torch runs on CUDA only still gets an item: on the CPU both sides then give their errors
        core = [d for d in OPINFO_FALLBACK_DTYPES if d in supported][:1] or ["float32"]
    return core + ([d for d in EXTRA_DTYPES if d in supported and d not in core] if extra else [])


@dataclass(frozen=True)
class Override:
    """A per-entry setting from ``scenarios/opinfo.toml``, always with its reason (like OpInfo's DecorateInfo):
    a tolerance for some dtypes, or ``values = false`` where torch's outputs are not values (uninitialized memory)."""

    entry: str
    reason: str
    dtypes: tuple[str, ...] = ()
    rtol: float | None = None
    atol: float | None = None
    values: bool = True
    where: str = ""
    checks: tuple[str, ...] = ()  # with values = false: only these checks' values go uncompared (empty: all)

    def applies(self, entry: str, dtype: str) -> bool:
        return self.entry == entry and (not self.dtypes or dtype in self.dtypes)


@dataclass(frozen=True)
class Settings:
    """``scenarios/opinfo.toml``: samples per item and error inputs per entry (default profile), and overrides."""

    samples: int = DEFAULT_SAMPLES
    error_inputs: int = ERROR_INPUTS
    overrides: tuple[Override, ...] = ()
    # entry -> what of it changes between torch releases (``[[versioned]]`` tables): such items are reported as
    # version-dependent when the baseline was made with another torch
    versioned: dict[str, str] = field(default_factory=dict)

    def tolerance(self, entry: str, dtype: str) -> dict[str, Tolerance]:
        for o in self.overrides:
            if o.applies(entry, dtype) and o.rtol is not None and o.atol is not None:
                return {dtype: Tolerance(o.rtol, o.atol, o.reason)}
        return {}

    def compares_values(self, entry: str, dtype: str) -> bool:
        return all(o.values or o.checks for o in self.overrides if o.applies(entry, dtype))

    def unvalued_checks(self, entry: str, dtype: str) -> tuple[str, ...]:
        """The checks whose tensor values an override leaves uncompared (the rest of the item is compared)."""
        return tuple(c for o in self.overrides if o.applies(entry, dtype) and not o.values for c in o.checks)


class SettingsError(Exception):
    """A malformed ``opinfo.toml`` (the message names the file and the table)."""


_OVERRIDE_KEYS = {"entry", "reason", "dtypes", "rtol", "atol", "values", "checks"}


def load_settings(path: Any) -> Settings:
    """Read and check ``opinfo.toml``: ``[settings]`` samples/error_inputs, ``[[override]]`` tables."""
    import tomllib  # noqa: PLC0415

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read: {exc}") from None
    unknown = set(data) - {"settings", "override", "versioned"}
    if unknown:
        raise SettingsError(
            f"{path}: unknown top-level keys {sorted(unknown)} (expected [settings], [[override]], [[versioned]])"
        )
    conf = data.get("settings", {})
    if set(conf) - {"samples", "error_inputs"}:
        raise SettingsError(f"{path}: [settings] takes samples and error_inputs, got {sorted(conf)}")
    for key in ("samples", "error_inputs"):
        if key in conf and not (isinstance(conf[key], int) and conf[key] > 0):
            raise SettingsError(f"{path}: [settings] {key} must be an integer > 0, got {conf[key]!r}")
    overrides = []
    for i, o in enumerate(data.get("override", [])):
        where = f"{path}: [[override]] #{i + 1}"
        if not isinstance(o, dict) or set(o) - _OVERRIDE_KEYS:
            raise SettingsError(f"{where}: allowed keys are {', '.join(sorted(_OVERRIDE_KEYS))}")
        if not isinstance(o.get("entry"), str) or not isinstance(o.get("reason"), str) or not o["reason"].strip():
            raise SettingsError(f'{where}: needs entry = "name" and a non-empty reason')
        if ("rtol" in o) != ("atol" in o):
            raise SettingsError(f"{where}: give rtol and atol together")
        if "rtol" not in o and o.get("values", True):
            raise SettingsError(f"{where}: an override sets rtol/atol or values = false")
        checks = o.get("checks", [])
        if checks and (o.get("values", True) or not set(checks) <= set(OPINFO_CHECKS)):
            raise SettingsError(f"{where}: checks (of {', '.join(OPINFO_CHECKS)}) go with values = false")
        overrides.append(Override(o["entry"], o["reason"], tuple(o.get("dtypes", ())), o.get("rtol"), o.get("atol"),
                                  bool(o.get("values", True)), where, tuple(checks)))  # fmt: skip
    versioned = {}
    for i, v in enumerate(data.get("versioned", [])):
        if not isinstance(v, dict) or set(v) != {"entries", "reason"} or not isinstance(v["entries"], list):
            raise SettingsError(f'{path}: [[versioned]] #{i + 1}: needs entries = ["name", ...] and reason = "..."')
        if not isinstance(v["reason"], str) or not v["reason"].strip():
            raise SettingsError(f"{path}: [[versioned]] #{i + 1}: needs a non-empty reason")
        versioned.update(dict.fromkeys(map(str, v["entries"]), v["reason"]))
    return Settings(conf.get("samples", DEFAULT_SAMPLES), conf.get("error_inputs", ERROR_INPUTS), tuple(overrides),
                    versioned)  # fmt: skip


@dataclass(frozen=True)
class ItemSpec:
    entry: str
    dtype: str
    family: str
    errors: bool  # this item runs the entry's error inputs (the entry's first dtype)
    core: bool  # a float32/float64 item (or the fallback dtype's): it decides whether the entry agrees

    @property
    def item_id(self) -> str:
        return f"{self.entry}[{self.dtype}-{PAIR}]"


def item_specs(extra: bool = True) -> list[ItemSpec]:
    """Every item of the installed torch's catalogue (raises CatalogueUnavailableError)."""
    out = []
    for name, op in catalogue().items():
        dtypes, core = item_dtypes(op, extra), item_dtypes(op, extra=False)
        out += [ItemSpec(name, d, family(op), i == 0, d in core) for i, d in enumerate(dtypes)]
    return out


# -- samples as plain data --------------------------------------------------------------------------------


@dataclass(eq=False)
class Leaf:
    """A sample's tensor as NumPy data; both sides build their tensor from it."""

    array: np.ndarray
    dtype: str
    requires_grad: bool
    path: str


@dataclass(frozen=True)
class Named:
    """A torch object both namespaces name alike: a dtype, memory format or layout (``torch.<name>``)."""

    name: str


@dataclass(frozen=True)
class DeviceValue:
    name: str


@dataclass(frozen=True)
class SizeValue:
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class ModuleValue:
    """A stateless ``torch.nn`` layer held by a sample (``distance_function=nn.PairwiseDistance()``): its class
    name and public attributes, rebuilt as each side's own layer."""

    name: str
    attrs: dict[str, Any]


class UnconvertibleError(Exception):
    """A sample holds something that cannot be handed to the engine (a torch.Generator, a sparse tensor)."""


def to_payload(value: Any, torch: Any, memo: dict[int, Leaf], path: str) -> Any:
    """A sample value with every torch object replaced by plain data (a tensor seen twice stays one Leaf)."""
    if isinstance(value, torch.Tensor):
        if id(value) in memo:
            return memo[id(value)]
        if value.layout != torch.strided or value.dtype == torch.bfloat16 or value.is_quantized:
            raise UnconvertibleError(f"{path} is a {value.layout} {value.dtype} tensor")
        if value.device.type != "cpu":
            raise UnconvertibleError(f"{path} is on the {value.device.type} device")
        try:
            arr = np.array(value.detach().resolve_conj().resolve_neg().numpy(), copy=True)
        except (ValueError, TypeError, RuntimeError) as exc:  # e.g. more dimensions than NumPy allows
            raise UnconvertibleError(f"{path} cannot be copied to NumPy ({type(exc).__name__}: {exc})") from None
        memo[id(value)] = leaf = Leaf(arr, str(value.dtype).removeprefix("torch."), bool(value.requires_grad), path)
        return leaf
    if isinstance(value, torch.dtype | torch.memory_format | torch.layout):
        return Named(str(value).removeprefix("torch."))
    if isinstance(value, torch.device):
        return DeviceValue(str(value))
    if isinstance(value, torch.Size):
        return SizeValue(tuple(value))
    if isinstance(value, torch.Generator):
        raise UnconvertibleError(f"{path} is a torch.Generator")
    if isinstance(value, torch.nn.Module):
        if next(iter(value.parameters()), None) is not None or next(iter(value.buffers()), None) is not None:
            raise UnconvertibleError(f"{path} is a torch.nn.{type(value).__name__} with parameters or buffers")
        attrs = {k: to_payload(v, torch, memo, f"{path}.{k}") for k, v in vars(value).items() if k[0] != "_"}
        return ModuleValue(type(value).__name__, attrs)
    if isinstance(value, list):
        return [to_payload(v, torch, memo, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(to_payload(v, torch, memo, f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(value, dict):
        return {k: to_payload(v, torch, memo, f"{path}.{k}") for k, v in value.items()}
    return value


def build(value: Any, ns: Any, made: dict[int, Any], grad: bool = True) -> Any:
    """The side's value for a payload (one tensor per Leaf, reused where the sample reused it); ``grad``
    False builds every tensor without ``requires_grad`` (for in-place and ``out=`` calls)."""
    if isinstance(value, Leaf):
        if id(value) not in made:
            t = ns.tensor(value.array.copy(), dtype=getattr(ns, value.dtype))
            made[id(value)] = t.requires_grad_() if value.requires_grad and grad else t
        return made[id(value)]
    if isinstance(value, Named):
        return _dotted(ns, value.name)
    if isinstance(value, DeviceValue):
        return ns.device(value.name)
    if isinstance(value, SizeValue):
        return ns.Size(value.sizes)
    if isinstance(value, ModuleValue):
        layer = getattr(ns.nn, value.name)()
        for k, v in value.attrs.items():
            setattr(layer, k, build(v, ns, made, grad))
        return layer
    if isinstance(value, list):
        return [build(v, ns, made, grad) for v in value]
    if isinstance(value, tuple):
        return tuple(build(v, ns, made, grad) for v in value)
    if isinstance(value, dict):
        return {k: build(v, ns, made, grad) for k, v in value.items()}
    return value


def leaves(value: Any) -> Iterator[Leaf]:
    """The Leaves of a payload in order, each once."""
    seen: set[int] = set()

    def walk(v: Any) -> Iterator[Leaf]:
        if isinstance(v, Leaf):
            if id(v) not in seen:
                seen.add(id(v))
                yield v
        elif isinstance(v, list | tuple):
            for x in v:
                yield from walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                yield from walk(x)

    yield from walk(value)


@dataclass
class Sample:
    """One SampleInput as plain data, and the torch function that post-processes its output for gradients."""

    input: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    process: Callable[..., Any] | None
    text: str  # the SampleInput's repr, for the record


def sample_payload(sample: Any, torch: Any) -> Sample:
    memo: dict[int, Leaf] = {}
    inp = to_payload(sample.input, torch, memo, "input")
    args = tuple(to_payload(a, torch, memo, f"args[{i}]") for i, a in enumerate(sample.args))
    kwargs = {k: to_payload(v, torch, memo, f"kwargs.{k}") for k, v in sample.kwargs.items()}
    process = sample.output_process_fn_grad
    if getattr(process, "__name__", "") == "<lambda>" and process.__code__.co_code == (lambda x: x).__code__.co_code:
        process = None
    return Sample(inp, args, kwargs, process, _short(repr(sample)))


def _short(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def pick(samples: Iterator[Any], k: int | None) -> list[Any]:
    """``k`` samples spread over the first ``POOL`` (every sample when ``k`` is None): deterministic, and
    not only the smallest cases an entry lists first."""
    if k is None:
        return list(samples)
    pool = []
    for s in samples:
        pool.append(s)
        if len(pool) >= POOL:
            break
    if len(pool) <= k:
        return pool
    return [pool[round(j * (len(pool) - 1) / (k - 1))] for j in range(k)] if k > 1 else pool[:1]


# -- the engine's counterpart of a torch callable --------------------------------------------------------


class Absent:
    """What a torch name maps to when the engine lacks it: using it raises AttributeError, a ``missing``."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Absent(f"{self._path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise AttributeError(f"the engine has no torch.{self._path}")


def _dotted(ns: Any, path: str) -> Any:
    obj = ns
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


_MODULE_FOR = {"torch._C._linalg": ("linalg", "linalg_"), "torch._C._special": ("special", "special_"),
               "torch._C._fft": ("fft", "fft_"), "torch._C._nn": ("nn.functional", ""),
               "torch.nn.functional": ("nn.functional", ""), "torch.functional": ("", ""), "torch": ("", ""),
               "torch._C._VariableFunctions": ("", ""),
               "torch._ops.aten": ("ops.aten", "")}  # fmt: skip


def engine_callable(func: Any, ns: Any, name: str = "") -> Any:
    """The engine's counterpart of ``func`` (a torch callable), or an ``Absent`` naming what it lacks.

    Functions written in torch's testing modules (lambdas, helpers) are rebuilt with ``torch`` and torch's
    submodules in their globals replaced by the engine's; torch functions are looked up by name.
    """
    if isinstance(func, functools.partial):
        args = tuple(swap(a, ns) for a in func.args)
        return functools.partial(
            engine_callable(func.func, ns), *args, **{k: swap(v, ns) for k, v in func.keywords.items()}
        )
    module = getattr(func, "__module__", None) or ""
    if isinstance(func, types.FunctionType) and not module.startswith("torch.") and module != "torch":
        return func  # a plain Python function (operator-like): it calls whatever it is given
    if isinstance(func, types.FunctionType) and module.startswith("torch.testing"):
        return _rebound(func, ns)
    if callable(func) and f"{module}.{getattr(func, '__qualname__', '')}" in _HELPERS:
        return _HELPERS[f"{module}.{func.__qualname__}"](ns)
    kind = type(func).__name__
    if kind in ("method_descriptor", "wrapper_descriptor", "getset_descriptor") or module == "torch._tensor":
        return getattr(ns.Tensor, func.__name__, None) or Absent(f"Tensor.{func.__name__}")
    if name:
        try:
            return _dotted(ns, name.removeprefix("torch."))
        except AttributeError:
            pass
    where, prefix = _MODULE_FOR.get(module, (None, ""))
    fname = getattr(func, "__name__", "")
    if where is not None and fname:
        path = ".".join(p for p in (where, fname.removeprefix(prefix)) if p)
        try:
            return _dotted(ns, path)
        except AttributeError:
            return Absent(path)
    return Absent(name or f"{module}.{fname}")


def swap(value: Any, ns: Any) -> Any:
    """A torch module or callable held by a test function, as the engine's (anything else unchanged)."""
    if isinstance(value, types.ModuleType):
        if value.__name__ == "torch":
            return ns
        if value.__name__.startswith("torch."):
            path = value.__name__.removeprefix("torch.")
            try:
                return _dotted(ns, path)
            except AttributeError:
                return Absent(path)
        return value
    if type(value).__module__.startswith("torch.testing._internal.opinfo"):
        return value  # an OpInfo a sample function closes over (op_info.name): a description, callable but no op
    if callable(value) and not isinstance(value, type):
        module = getattr(value, "__module__", None) or ""
        if module == "torch" or module.startswith("torch.") or type(value).__name__.endswith("descriptor"):
            return engine_callable(value, ns)
    return value


_GLOBALS: dict[tuple[int, int], dict[str, Any]] = {}


def _wrapper_set_seed(ns: Any) -> Callable[..., Any]:
    """The engine's ``torch.testing._utils.wrapper_set_seed``: the op runs right after ``manual_seed(42)``, and
    the caller's generator state is put back afterwards (torch's own helper reaches into torch's dispatcher)."""

    def wrapper_set_seed(op: Any, *args: Any, **kwargs: Any) -> Any:
        state = ns.get_rng_state()
        ns.manual_seed(42)
        try:
            return op(*args, **kwargs)
        finally:
            ns.set_rng_state(state)

    return wrapper_set_seed


# torch testing helpers the engine side replaces by its own (qualified name -> factory taking the namespace)
_HELPERS: dict[str, Callable[[Any], Any]] = {"torch.testing._utils.wrapper_set_seed": _wrapper_set_seed}


def _testing_function(value: Any) -> bool:
    """A plain function written in one of torch's testing modules (not a decorator's wrapper defined elsewhere)."""
    if not isinstance(value, types.FunctionType):
        return False
    module = value.__module__ or ""
    source = value.__globals__.get("__file__") or ""
    return module.startswith("torch.testing") and value.__code__.co_filename == source


def _rebound(func: types.FunctionType, ns: Any) -> Any:
    """``func`` with the engine in place of torch in its globals (and in the helpers it calls from them)."""
    helper = _HELPERS.get(f"{func.__module__}.{func.__qualname__}")
    if helper is not None:
        return helper(ns)
    if not _testing_function(func):
        return func
    closure = None
    if func.__closure__:
        closure = tuple(types.CellType(swap(c.cell_contents, ns)) for c in func.__closure__)
    new = types.FunctionType(func.__code__, _globals_for(func, ns), func.__name__, func.__defaults__, closure)
    new.__kwdefaults__ = func.__kwdefaults__
    return new


def _globals_for(func: types.FunctionType, ns: Any) -> dict[str, Any]:
    key = (id(func.__globals__), id(ns))
    if key not in _GLOBALS:
        g = _GLOBALS[key] = dict(func.__globals__)  # cached before filling: helpers may call each other
        for k, v in func.__globals__.items():
            if isinstance(v, types.ModuleType) and (v.__name__ == "torch" or v.__name__.startswith("torch.")):
                g[k] = swap(v, ns)
            elif isinstance(v, types.FunctionType) and (v.__module__ or "").startswith("torch.testing"):
                g[k] = _rebound(v, ns)
    return _GLOBALS[key]


def op_callable(op: Any, ns: Any) -> Any:
    """The entry's function on the side ``ns`` (torch's own, or the engine's counterpart)."""
    if ns.__name__ == "torch":
        return op.op
    return engine_callable(op.op, ns, op.name)


# -- one side's run ----------------------------------------------------------------------------------------


def _seed(base: int, i: int) -> int:
    return (base + 7919 * (i + 1)) % 2**31


def _lacks(exc: BaseException) -> bool:
    """The engine raised because it lacks the op, a variant or a keyword (not because the input is bad)."""
    if isinstance(exc, NotImplementedError):
        return True
    if isinstance(exc, AttributeError):
        return _LACKS_ATTRIBUTE.search(str(exc)) is not None
    return isinstance(exc, TypeError) and _LACKS_ARGUMENT.search(str(exc)) is not None


def _flat(value: Any, ns: Any) -> list[Any]:
    if isinstance(value, ns.Tensor):
        return [value]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _flat(v, ns)]
    return []


@dataclass
class Plan:
    """What the torch side decided and the engine side repeats."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[tuple[Sample, str, str]] = field(default_factory=list)  # (sample, expected type, regex)
    cotangents: dict[str, list[np.ndarray]] = field(default_factory=dict)  # "s0" / "s0 gg" -> arrays
    out_specs: dict[int, list[tuple[list[int], str]]] = field(default_factory=dict)  # sample -> outputs' shape, dtype
    torch_raised: set[str] = field(default_factory=set)  # labels where torch raised
    missing: set[tuple[str, str]] = field(default_factory=set)  # (check, sample) the engine lacks; ("*", "*"): all
    unconvertible: list[str] = field(default_factory=list)
    torch_skipped: str = ""  # why torch made no samples (its sample generator failed)


class _Side:
    def __init__(self, op: Any, ns: Any, check: Check, plan: Plan, dtype: str, seed: int) -> None:
        self.op, self.ns, self.check, self.plan, self.dtype, self.seed = op, ns, check, plan, dtype, seed
        self.is_torch = ns.__name__ == "torch"

    def attempt(self, label: str, fn: Callable[[], Any]) -> tuple[bool, Any]:
        """Call ``fn``, recording that it raised nothing or what it raised (labels ``<label> raised``)."""
        caught: list[BaseException] = []

        def call() -> Any:
            try:
                return fn()
            except Exception as exc:
                caught.append(exc)
                raise

        result = self.check.error(f"{label} raised", call)
        if not caught:
            return True, result
        if self.is_torch:
            self.plan.torch_raised.add(label)
        elif label not in self.plan.torch_raised and _lacks(caught[0]):
            kind, _, rest = label.partition(":")
            self.plan.missing.add((kind, rest.split(" ", 1)[0]))
        return False, None

    def record(self, label: str, value: Any) -> None:
        entries = self.check.observation.entries
        before = len(entries)
        try:
            self.check(label, value)
        except HarnessError:  # not observable (a Python function, a torch-only object): compare its type
            self.check.observation.harness.pop()
            del entries[before:]
            entries.append(Entry(label, "object", type(value).__name__))
        except Exception as exc:  # noqa: BLE001 - a value NumPy cannot hold (a sparse tensor): compare what it is
            del entries[before:]
            entries.append(Entry(label, "object", f"unreadable {type(value).__name__} ({type(exc).__name__})"))
        if " d/" in label:
            # A gradient is compared by value, dtype, shape and requires_grad; its grad_fn is the node of
            # the derivative formula's last op (an implementation detail no program's result depends on).
            for e in entries[before:]:
                e.grad_fn = None

    def run(self, errors: bool) -> None:
        fn = op_callable(self.op, self.ns)
        if isinstance(fn, Absent):
            self.plan.missing.add(("*", "*"))
            self.check.observation.entries.append(Entry("forward:op", "error", f"{fn._path} is absent"))
            return
        for i, sample in enumerate(self.plan.samples):
            self.sample(fn, i, sample)
        if errors:
            for j, (sample, _type, _regex) in enumerate(self.plan.errors):
                made: dict[int, Any] = {}
                args = (build(sample.input, self.ns, made), *build(sample.args, self.ns, made))
                kwargs = build(sample.kwargs, self.ns, made)
                self.ns.manual_seed(_seed(self.seed, 1000 + j))
                self.attempt(f"errors:e{j}", lambda a=args, k=kwargs: fn(*a, **k))

    def sample(self, fn: Any, i: int, sample: Sample) -> None:
        s, ns = f"s{i}", self.ns
        made: dict[int, Any] = {}

        def forward() -> Any:
            # the inputs are built inside the attempt: an argument the engine cannot hold (a memory format
            # it lacks) is then a missing keyword, like an unknown keyword argument
            inp, args, kwargs = (build(x, ns, made) for x in (sample.input, sample.args, sample.kwargs))
            ns.manual_seed(_seed(self.seed, i))
            return fn(inp, *args, **kwargs)

        ok, out = self.attempt(f"forward:{s}", forward)
        if not ok:
            if ("forward", s) in self.plan.missing:
                self.plan.missing |= {(c, s) for c in OPINFO_CHECKS}
            return
        self.record(f"forward:{s}", out)
        self.gradients(s, i, sample, made, out)
        self.forward_ad(s, i, sample)
        self.variants(s, i, sample, out)

    def gradients(self, s: str, i: int, sample: Sample, made: dict[int, Any], out: Any) -> None:
        ns = self.ns
        ins = [made[id(leaf)] for leaf in leaves((sample.input, sample.args, sample.kwargs)) if leaf.requires_grad]
        if not ins or not self.op.supports_autograd:
            return
        processed = out
        if sample.process is not None:
            process = sample.process if self.is_torch else engine_callable(sample.process, ns)
            ok, processed = self.attempt(f"backward:{s} output_process_fn_grad", lambda: process(out))
            if not ok:
                return
        outs = [t for t in _flat(processed, ns) if t.requires_grad and _differentiable(t)]
        if not outs:
            return
        cots = self._cotangents(s, outs)
        gradgrad = self.op.supports_gradgrad
        ok, grads = self.attempt(
            f"backward:{s}",
            lambda: ns.autograd.grad(outs, ins, cots, allow_unused=True, create_graph=gradgrad),
        )
        if not ok:
            if ("backward", s) in self.plan.missing:
                self.plan.missing.add(("gradgrad", s))
            return
        inputs = [leaf.path for leaf in leaves((sample.input, sample.args, sample.kwargs)) if leaf.requires_grad]
        for path, g in zip(inputs, grads, strict=True):
            self.record(f"backward:{s} d/{path}", g)
        if not gradgrad:
            return
        gg_outs = [g for g in grads if g is not None and g.requires_grad]
        if not gg_outs:
            return
        cots2 = self._cotangents(f"{s} gg", gg_outs)
        ok, grads2 = self.attempt(f"gradgrad:{s}", lambda: ns.autograd.grad(gg_outs, ins, cots2, allow_unused=True))
        if ok:
            for path, g in zip(inputs, grads2, strict=True):
                self.record(f"gradgrad:{s} d/{path}", g)

    def forward_ad(self, s: str, i: int, sample: Sample) -> None:
        """The tangents of the outputs with the sample's differentiable inputs made dual tensors."""
        ns, parts = self.ns, (sample.input, sample.args, sample.kwargs)
        if not getattr(self.op, "supports_forward_ad", False) or self.dtype not in OPINFO_CORE_DTYPES:
            return
        duals = [leaf for leaf in leaves(parts) if leaf.requires_grad]
        if not duals:
            return
        primals = [build(leaf, ns, {}, grad=False) for leaf in duals]
        tangents = self._cotangents(f"{s} fw", primals)

        def run() -> list[Any]:
            fw = ns.autograd.forward_ad
            with fw.dual_level():
                # the op is looked up inside the level: the engine computes tangents through the names it
                # wraps while a level is entered (a function object taken before is the plain op)
                fn = op_callable(self.op, ns)
                made = {id(leaf): fw.make_dual(p, t) for leaf, p, t in zip(duals, primals, tangents, strict=True)}
                inp, args, kwargs = (build(x, ns, made, grad=False) for x in parts)
                ns.manual_seed(_seed(self.seed, i))
                out = fn(inp, *args, **kwargs)
                if sample.process is not None:
                    out = (sample.process if self.is_torch else engine_callable(sample.process, ns))(out)
                outs = [t for t in _flat(out, ns) if _differentiable(t)]
                return [fw.unpack_dual(t).tangent for t in outs]

        ok, got = self.attempt(f"forward_ad:{s}", run)
        if ok:
            for k, tangent in enumerate(got):
                self.record(f"forward_ad:{s} d/out{k}", tangent)

    def _cotangents(self, key: str, outs: list[Any]) -> list[Any]:
        if self.is_torch:
            rng = np.random.default_rng(zlib.crc32(f"{self.seed} {key}".encode()))
            # float64 draws, rounded to each output's dtype by the side (NumPy has no bfloat16); a complex
            # output's cotangent draws its real, then its imaginary parts
            arrays = [
                rng.standard_normal(tuple(t.shape)) + 1j * rng.standard_normal(tuple(t.shape))
                if t.dtype.is_complex
                else rng.standard_normal(tuple(t.shape))
                for t in outs
            ]
            self.plan.cotangents[key] = arrays
        else:
            arrays = self.plan.cotangents.get(key, [])
        ns = self.ns
        return [ns.tensor(a.copy(), dtype=t.dtype) for a, t in zip(arrays, outs, strict=False)]

    def variants(self, s: str, i: int, sample: Sample, out: Any) -> None:
        ns, op = self.ns, self.op
        parts = (sample.input, sample.args, sample.kwargs)

        def call(label: str, func: Any, grad: bool, out_like: Any = None) -> None:
            target: list[Any] = []

            def run() -> Any:
                inp, args, kwargs = (build(x, ns, {}, grad) for x in parts)
                if not grad:
                    inp = inp.clone()  # the in-place variant writes into its own copy
                if out_like is not None:
                    target.append(ns.empty(tuple(out_like.shape), dtype=out_like.dtype))
                    kwargs = {**kwargs, "out": target[0]}
                ns.manual_seed(_seed(self.seed, i))
                result = func(inp, *args, **kwargs)
                return result, inp

            ok, got = self.attempt(label, run)
            if not ok:
                return
            result, inp = got
            if out_like is not None:
                self.record(label, target[0])
                self.record(f"{label} returns out", result is target[0])
            else:
                self.record(label, result)
                if not grad:
                    self.record(f"{label} returns self", result is inp)

        if op.method_variant is not None:
            call(f"variants:{s} method", self._variant(op.method_variant), True)
        if op.inplace_variant is not None and isinstance(sample.input, Leaf):
            call(f"variants:{s} inplace", self._variant(op.inplace_variant), False)
        if op.supports_out and isinstance(out, ns.Tensor):
            call(f"variants:{s} out", op_callable(op, ns), False, out)

    def _variant(self, func: Any) -> Any:
        return func if self.is_torch else engine_callable(func, self.ns)


def _differentiable(t: Any) -> bool:
    """Whether an output takes a cotangent (or has a tangent): floating and complex outputs (torch's
    convention for a complex output: the cotangent is the conjugate Wirtinger derivative, complex too)."""
    return t.dtype.is_floating_point or t.dtype.is_complex


def make_plan(plan: Plan, op: Any, torch: Any, dtype: str, samples: int | None, errors: bool,
              error_inputs: int | None) -> Plan:  # fmt: skip
    """Fill ``plan`` with torch's samples (and error inputs) for this item, as plain data."""
    tdt = getattr(torch, dtype)
    grad = bool(op.supports_autograd) and (tdt.is_floating_point or tdt.is_complex)
    try:
        # what torch's sample generator warns (a deprecated function it calls) is not the op's behaviour
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made = pick(iter(op.sample_inputs("cpu", tdt, requires_grad=grad)), samples)
    except Exception as exc:  # noqa: BLE001 - torch's own sample generator failed: nothing to compare
        plan.torch_skipped = f"op.sample_inputs raised {type(exc).__name__}: {exc}"
        return plan
    for s in made:
        try:
            plan.samples.append(sample_payload(s, torch))
        except UnconvertibleError as exc:
            plan.unconvertible.append(str(exc))
    if errors and op.error_inputs_func is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = list(op.error_inputs("cpu"))
        except Exception:  # noqa: BLE001 - no error inputs to compare
            found = []
        chosen = found if error_inputs is None else found[:error_inputs]
        for e in chosen:
            try:
                plan.errors.append((sample_payload(e.sample_input, torch), e.error_type.__name__, e.error_regex))
            except UnconvertibleError as exc:
                plan.unconvertible.append(str(exc))
    return plan


# -- the item ---------------------------------------------------------------------------------------------


@dataclass
class OpinfoResult:
    status: str
    message: str
    record: Record


def check_of(label: str) -> tuple[str, str]:
    """(check, sample) of a difference's label: ``backward:s1 d/input`` -> ("backward", "s1")."""
    if ":" not in label:
        return "forward", "*"  # the run's own error and warnings belong to the forward check
    kind, _, rest = label.partition(":")
    return kind, rest.split(" ", 1)[0].split("[", 1)[0].split("#", 1)[0]


def check_statuses(verdict: Verdict, torch_obs: Observation, engine_obs: Observation, plan: Plan) -> dict[str, str]:
    """Each check that had something to compare: pass, missing or diverge."""
    present = {check_of(e.label)[0] for e in torch_obs.entries}
    statuses = {c: "pass" for c in OPINFO_CHECKS if c in present}
    # a checkpoint one side never reached is reported once for all such labels: judge each label alike
    t_labels, e_labels = {e.label for e in torch_obs.entries}, {e.label for e in engine_obs.entries}
    labels = [d.label for d in verdict.differences if d.field != "missing"] + sorted(t_labels ^ e_labels)
    for label in labels:
        kind, sample = check_of(label)
        lacks = ("*", "*") in plan.missing or (kind, sample) in plan.missing or ("forward", sample) in plan.missing
        statuses.setdefault(kind, "pass")
        if lacks and statuses[kind] != "diverge":
            statuses[kind] = "missing"
        elif not lacks:
            statuses[kind] = "diverge"
    return {c: statuses[c] for c in OPINFO_CHECKS if c in statuses}


def item_status(checks: dict[str, str], expected: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The item's status from its checks' (``expected``: check -> reason of a registered divergence)."""
    final = {}
    for c, s in checks.items():
        reason = expected.get(c) or expected.get("*")
        # a registered reason covers a check the engine cannot run yet (missing) as well as one it gets wrong
        final[c] = ("xfail" if s in ("diverge", "missing") else "xpass" if s == "pass" else s) if reason else s
    for status in ("diverge", "missing", "xpass", "xfail"):
        if status in final.values():
            return status, final
    return "pass", final


def run_opinfo_item(
    entry: str,
    dtype: str,
    item_id: str,
    expected: dict[str, str] | None = None,
    tolerance: dict[str, Tolerance] | None = None,
    samples: int | None = DEFAULT_SAMPLES,
    errors: bool = False,
    limit: float = 60.0,
    guard: Any = None,
    error_inputs: int | None = ERROR_INPUTS,
    values: bool = True,
    unvalued: tuple[str, ...] = (),
) -> OpinfoResult:
    """Run one catalogue item on both sides and judge it (``expected``: check or "*" -> registered reason).

    ``values`` False compares everything but the tensors' values (an override for entries whose outputs
    are uninitialized memory); ``unvalued`` does so for these checks only; ``guard`` bounds each side as in
    ``runner.run_item``.
    """
    expected = expected or {}
    op = catalogue()[entry]
    seed = item_seed(item_id)
    plan = Plan()
    spec = GeneratedCheck(entry, tolerance or {})  # what compare_observations asks: tolerances, no claims
    observations: dict[str, Observation] = {}
    start = time.perf_counter()

    def side(is_torch: bool) -> Callable[[Any, Check], None]:
        def run(ns: Any, check: Check) -> None:
            if is_torch:
                ns.manual_seed(seed)
                make_plan(plan, op, ns, dtype, samples, errors, error_inputs)
            _Side(op, ns, check, plan, dtype, seed).run(errors)

        return run

    status, message, verdict = "pass", "", None
    try:
        for backend, is_torch in ((CPU_PAIR.torch, True), (CPU_PAIR.engine, False)):
            bound = guard(backend.label, limit) if guard else contextlib.nullcontext()
            with bound:
                observations[backend.label] = run_scenario(side(is_torch), backend, dtype, seed, {}, is_torch)
        if not values or unvalued:
            for obs in observations.values():
                for e in obs.entries:
                    if e.kind == "tensor" and (not values or check_of(e.label)[0] in unvalued):
                        e.value = np.zeros_like(e.value)
        verdict = compare_observations(observations["torch"], observations["engine"], spec, dtype)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a runner bug is recorded, and the run goes on
        status, message = "runner-error", "the runner itself failed:\n" + traceback.format_exc()
    elapsed = time.perf_counter() - start
    if status == "pass" and verdict is not None:
        status, message, checks = _judge(verdict, observations, plan, expected)
    else:
        checks = {}
    return OpinfoResult(status, message, _record(item_id, entry, dtype, op, status, message, verdict, checks,
                                                 plan, observations, elapsed, expected))  # fmt: skip


def _judge(verdict: Verdict, observations: dict[str, Observation], plan: Plan,
           expected: dict[str, str]) -> tuple[str, str, dict[str, str]]:  # fmt: skip
    """(status, message, checks) of an item both sides ran."""
    harness = [m for o in observations.values() for m in o.harness]
    if harness:
        return "runner-error", "the OpInfo runner misused the harness:\n" + "\n".join(harness), {}
    if plan.torch_skipped:
        return "runner-error", f"torch's catalogue gave no samples: {plan.torch_skipped}", {}
    message = ""
    if not observations["torch"].entries and plan.unconvertible:
        checks = {"forward": "missing"}  # the engine cannot hold these inputs at all (sparse, bfloat16, ...)
        message = "the engine cannot hold the samples' inputs: " + "; ".join(plan.unconvertible[:5])
    else:
        checks = check_statuses(verdict, observations["torch"], observations["engine"], plan)
    status, checks = item_status(checks, expected)
    if status != "pass" and not message:
        message = _message(status, verdict, checks, expected)
    return status, message, checks


def _message(status: str, verdict: Verdict, checks: dict[str, str], expected: dict[str, str]) -> str:
    shown = ", ".join(f"{c}: {s}" for c, s in checks.items())
    head = {"diverge": "engine diverges from torch", "missing": "the engine lacks what torch ran",
            "xfail": "registered divergence still diverges", "xpass": "registered divergence no longer diverges"}[status]  # fmt: skip
    reasons = "".join(f"\nregistered ({c}): {r}" for c, r in expected.items())
    return f"{head} ({shown}){reasons}:\n{verdict.describe()}"


def _record(item_id: str, entry: str, dtype: str, op: Any, status: str, message: str, verdict: Verdict | None,
            checks: dict[str, str], plan: Plan, observations: dict[str, Observation], elapsed: float,
            expected: dict[str, str]) -> Record:  # fmt: skip
    t, e = observations.get("torch"), observations.get("engine")
    fam = family(op)
    record = Record(
        item_id, status, KIND, entry, dtype, PAIR, [TAG, fam], file=OPINFO_SOURCE_FILE, line=None,
        expected_divergence="; ".join(f"{c}: {r}" for c, r in expected.items()) or None, message=message,
        errors={side: (None if o is None or o.error is None else f"{o.error[0]}: {o.error[1]}")
                for side, o in (("torch", t), ("engine", e))},
        duration={"torch": t.wall_s if t else None, "engine": e.wall_s if e else None, "total": elapsed},
    )  # fmt: skip
    if verdict is not None:
        record.set_verdict(verdict.to_record())
        record.first_divergence = verdict.differences[0].label if verdict.differences else None
    record.extra.update(
        family=fam,
        entry=entry,
        checks=checks,
        samples=[s.text for s in plan.samples],
        error_inputs=len(plan.errors),
        missing=sorted("/".join(m) for m in plan.missing),
    )
    if plan.unconvertible:
        record.extra["unconvertible"] = plan.unconvertible
    return record
