"""Running one scenario on one backend and recording what it did, as plain data.

An ``Observation`` holds NumPy arrays and Python scalars only (no live
tensors), so it can be compared, pickled and written to the results files.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import time
import traceback
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import numpy as np

from .backends import Backend
from .isolation import isolation_for
from .signals import interrupt_requested

# Warnings torch's own internals emit about its future; they are not behaviour
# a scenario asserts, and the engine need not imitate them.
IGNORED_WARNINGS = ("DeprecationWarning", "PendingDeprecationWarning", "ResourceWarning")


@dataclass
class Entry:
    """One recorded checkpoint value (a container is flattened into several entries)."""

    label: str
    kind: str  # tensor, bool, int, float, str, none, dtype, device, size, error, object
    value: Any  # np.ndarray for tensors, a Python scalar / string / list otherwise
    dtype: str | None = None
    shape: list[int] | None = None
    requires_grad: bool | None = None
    is_leaf: bool | None = None
    grad_fn: str | None = None
    grad: np.ndarray | None = None  # .grad at the checkpoint (leaves and retained non-leaves)
    widen: float = 1.0  # tolerance multiplier declared at the checkpoint
    where: str | None = None  # ``file:line`` of the ``check(...)`` call (what a failure points at)


@dataclass
class Observation:
    backend: str  # "torch" or "engine"
    entries: list[Entry] = field(default_factory=list)
    final_grads: dict[str, np.ndarray | None] = field(default_factory=dict)
    final_widen: float = 1.0  # the last checkpoint's tolerance multiplier applies to the final grads
    error: tuple[str, str] | None = None  # (exception type, first message line)
    error_traceback: str = ""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    wall_s: float = 0.0
    harness: list[str] = field(default_factory=list)  # misuses of `check` (file:line: what), never compared
    leaks: list[str] = field(default_factory=list)  # global settings the run left changed (restored since)
    # what each ``check.data`` call gave, in call order (the standalone reproducer writes them out as literals)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def observed_nothing(self) -> bool:
        """No checkpoint, no final gradient and no exception: there is nothing to compare."""
        return not self.entries and not self.final_grads and self.error is None


class HarnessError(BaseException):
    """A scenario misused ``check``: an authoring error, not behaviour of the engine or of torch.

    A BaseException so that the scenario's own ``except Exception`` cannot turn it into an observation;
    every misuse is also kept on the ``Check`` object, so even a bare ``except:`` cannot hide it.
    """


OBSERVABLE = (
    "a tensor; None, bool, int, float, complex, str; a NumPy array or scalar; a dtype, device or Size; "
    "an autograd node (grad_fn: its class name); an nn.Module (its named parameters); an optimizer "
    "(its state_dict()); a list, tuple, dict or named tuple of observable values; a generator or other "
    "iterator (its items, which check() then returns as a list)"
)


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def item_seed(text: str) -> int:
    """A stable seed from an item id (Python's hash() is salted per process)."""
    return zlib.crc32(text.encode())


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _where(frame: FrameType | None) -> str:
    """``file:line`` of the scenario code that called the harness."""
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _api(func: Callable[..., Any]) -> Callable[..., Any]:
    """A method of ``check``: arguments that do not fit its signature are a harness misuse, not an observation."""
    signature = inspect.signature(func)
    name = "check" if func.__name__ == "__call__" else f"check.{func.__name__}"

    @functools.wraps(func)
    def call(self: Check, *args: Any, **kwargs: Any) -> Any:
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise self.misuse(f"{name}(): {exc}", sys._getframe(1)) from None
        self._caller = sys._getframe(1)
        return func(self, *args, **kwargs)

    return call


class Check:
    """The ``check`` argument of a scenario: records checkpoints and gives identical inputs.

    A label recorded twice in one run gets ``#2``, ``#3``, ... (``loss``, ``loss#2``): both sides number
    alike, so values pair by the order they were recorded, in the verdict, the report and ``conformance show``.
    """

    def __init__(self, backend: Backend, dtype: str, seed: int, shared: dict[str, Any], source: bool) -> None:
        self._backend = backend
        self._ns = backend.namespace()
        self.dtype_name = dtype
        self._seed = seed
        self._shared = shared  # weights the torch run hands to the engine run
        self._source = source
        self._counter = 0
        self._module_counter = 0
        self.observation = Observation(backend.label)
        self._leaves: dict[str, Any] = {}
        self._seen: dict[str, int] = {}
        self._caller: FrameType | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names Check does not have: `check.dat(...)` is a typo in the scenario.
        if name.startswith("__"):
            raise AttributeError(name)
        known = "check(label, value, widen=1.0), check.error, check.data, check.same_weights, check.dtype"
        raise self.misuse(f"check has no attribute {name!r} (the harness offers: {known})", sys._getframe(1))

    def misuse(self, text: str, frame: FrameType | None) -> HarnessError:
        """Keep a misuse on the observation (a swallowed HarnessError still fails the item) and return the error."""
        message = f"{_where(frame)}: {text}"
        self.observation.harness.append(message)
        return HarnessError(message)

    @property
    def dtype(self) -> Any:
        """The dtype this item runs under, as the running namespace's dtype object."""
        return getattr(self._ns, self.dtype_name)

    # -- recording -------------------------------------------------------
    @_api
    def __call__(self, label: str, value: Any, widen: float = 1.0) -> Any:
        """Record ``value`` under ``label`` and return it (an iterator's items come back as a list)."""
        self._check_label(label, widen)
        if _is_iterator(value):
            value = list(value)
        for sub_label, leaf in self._flatten(label, value):
            self._add(self._entry(sub_label, leaf, widen))
        return value

    @_api
    def error(self, label: str, fn: Callable[[], Any]) -> Any:
        """Call ``fn``; record the exception it raises (or that it raised none) under ``label``."""
        self._check_label(label, 1.0)
        if not callable(fn):
            raise self.misuse(f"check.error({label!r}, fn): fn must be callable, got {type(fn).__name__}", self._caller)
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - recording the error is the point
            self._add(Entry(label, "error", f"{type(exc).__name__}: {first_line(exc)}"))
            return None
        self._add(Entry(label, "error", "no error"))
        return result

    def _check_label(self, label: Any, widen: Any) -> None:
        if not isinstance(label, str) or not label:
            raise self.misuse(f"a checkpoint label must be a non-empty str, got {label!r}", self._caller)
        ok = isinstance(widen, int | float) and not isinstance(widen, bool) and math.isfinite(widen) and widen > 0
        if not ok:
            raise self.misuse(f"check({label!r}, ..., widen={widen!r}): widen must be a number > 0", self._caller)

    def _add(self, entry: Entry) -> None:
        if entry.where is None and self._caller is not None:
            entry.where = _where(self._caller)
        n = self._seen.get(entry.label, 0) + 1
        self._seen[entry.label] = n
        if n > 1:
            entry.label = f"{entry.label}#{n}"
        self.observation.entries.append(entry)

    def _flatten(self, label: str, value: Any) -> list[tuple[str, Any]]:
        if self._backend.is_tensor(value):
            return [(label, value)]
        if hasattr(value, "named_parameters") and callable(value.named_parameters):
            return [(f"{label}.{name}", p) for name, p in value.named_parameters()]
        if isinstance(getattr(value, "param_groups", None), list) and callable(getattr(value, "state_dict", None)):
            return self._flatten(label, value.state_dict())  # an optimizer: its state and hyper-parameters
        if isinstance(value, dict):
            return [pair for k, v in value.items() for pair in self._flatten(f"{label}.{k}", v)]
        if isinstance(value, list | tuple) and type(value).__name__ != "Size":
            return [pair for i, v in enumerate(value) for pair in self._flatten(f"{label}[{i}]", v)]
        if _is_iterator(value):
            return self._flatten(label, list(value))
        return [(label, value)]

    def _entry(self, label: str, value: Any, widen: float) -> Entry:
        if self._backend.is_tensor(value):
            return self._tensor_entry(label, value, widen)
        try:
            kind, plain = describe_plain(value)
        except TypeError as exc:
            raise self.misuse(f"check({label!r}): {exc}", self._caller) from None
        return Entry(label, kind, plain, widen=widen)

    def _tensor_entry(self, label: str, t: Any, widen: float) -> Entry:
        grad = None
        if t.is_leaf and t.requires_grad and all(seen is not t for seen in self._leaves.values()):
            self._leaves[label] = t  # each leaf once, under the first label it was checked as
        if t.is_leaf or t.retains_grad:
            g = t.grad
            grad = None if g is None else self._backend.to_numpy(g)
        return Entry(
            label, "tensor", self._backend.to_numpy(t), dtype_name(t.dtype), list(t.shape), bool(t.requires_grad),
            bool(t.is_leaf), None if t.grad_fn is None else type(t.grad_fn).__name__, grad, float(widen),
        )  # fmt: skip

    def finish(self) -> None:
        """Record the final ``.grad`` of every leaf tensor the scenario checked."""
        if self.observation.entries:
            self.observation.final_widen = self.observation.entries[-1].widen
        for label, t in self._leaves.items():
            g = t.grad
            self.observation.final_grads[label] = None if g is None else self._backend.to_numpy(g)
        self._leaves.clear()

    # -- inputs ----------------------------------------------------------
    @_api
    def data(
        self,
        shape: tuple[int, ...] | list[int] | int,
        seed: int | None = None,
        dtype: Any = None,
        requires_grad: bool = False,
        low: float = -1.0,
        high: float = 1.0,
    ) -> Any:
        """A tensor built from NumPy random data: the same numbers on every backend.

        Without ``seed`` the data is seeded from the test item's id and the call count.
        Integer dtypes draw integers in ``[low, high)``.
        """
        if seed is None:
            self._counter += 1
            seed = (self._seed + 7919 * self._counter) % 2**32
        name = self.dtype_name if dtype is None else dtype_name(dtype)
        rng = np.random.default_rng(seed)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not all(isinstance(n, int | np.integer) and n >= 0 for n in shape):
            raise self.misuse(f"check.data(): shape must be sizes >= 0, got {shape!r}", self._caller)
        if not hasattr(self._ns, name):
            raise self.misuse(f"check.data(): unknown dtype {name!r}", self._caller)
        if name.startswith(("int", "uint")):
            arr = rng.integers(int(low), int(high), size=shape)
        elif name == "bool":
            arr = rng.integers(0, 2, size=shape).astype(bool)
        else:
            arr = rng.uniform(low, high, size=shape)
        self.observation.inputs.append({"array": arr, "dtype": name, "requires_grad": bool(requires_grad),
                                        "seed": seed, "low": low, "high": high})  # fmt: skip
        return self._backend.from_numpy(arr, name, requires_grad)

    @_api
    def same_weights(self, module: Any, key: str | None = None) -> Any:
        """Give ``module`` the torch run's initial weights (torch's own init is the source)."""
        if not callable(getattr(module, "named_parameters", None)):
            raise self.misuse(f"check.same_weights(): not a module: {type(module).__name__}", self._caller)
        self._module_counter += 1
        key = key or f"module{self._module_counter}"
        if self._source:
            self._shared[key] = {n: self._backend.to_numpy(p) for n, p in module.named_parameters()}
            return module
        if key not in self._shared:
            raise self.misuse(f"check.same_weights(): the torch run recorded no weights under {key!r}", self._caller)
        stored = self._shared[key]
        with self._ns.no_grad():
            for name, p in module.named_parameters():
                p.copy_(self._ns.tensor(stored[name], dtype=p.dtype))
        return module


def _is_iterator(value: Any) -> bool:
    # Tensors and strings are iterable but not iterators; a generator or map object is one.
    return isinstance(value, Iterator) and not isinstance(value, str | bytes)


def describe_plain(value: Any) -> tuple[str, Any]:
    """(kind, JSON-able value) for a non-tensor checkpoint value."""
    if value is None:
        return "none", None
    if isinstance(value, bool | np.bool_):
        return "bool", bool(value)
    if isinstance(value, int | np.integer):
        return "int", int(value)
    if isinstance(value, float | np.floating):
        return "float", float(value)
    if isinstance(value, str):
        return "str", value
    type_name = type(value).__name__
    if type_name == "Size":
        return "size", [int(v) for v in value]
    if type_name in ("dtype", "device"):
        return type_name, dtype_name(value)
    if isinstance(value, complex | np.complexfloating):
        return "complex", complex(value)
    if isinstance(value, np.ndarray):
        return "array", value.copy()
    if hasattr(value, "next_functions") and hasattr(value, "name"):
        return "grad_fn", type_name  # an autograd node: which one it is
    what = f"the class {value.__name__}" if isinstance(value, type) else f"a {type_name}"
    raise TypeError(f"{what} is not observable. Observable: {OBSERVABLE}")


def run_scenario(
    func: Callable[..., Any], backend: Backend, dtype: str, seed: int, shared: dict[str, Any], source: bool
) -> Observation:
    """Run ``func(torch, check)`` on one backend; every outcome becomes data.

    The run starts from the namespace's pristine global state (conformance.isolation) and whatever it
    leaves changed is put back and listed in ``Observation.leaks``. ``KeyboardInterrupt`` and
    ``SystemExit`` raised by the scenario are its exception like any other; a real interrupt (a signal,
    conformance.signals) and a timeout still stop the run.
    """
    ns = backend.namespace()
    isolation = isolation_for(ns)
    isolation.restore()  # whatever ran before in this process, this run starts from the same state
    check = Check(backend, dtype, seed, shared, source)
    obs = check.observation
    saved = _enter(ns, dtype, seed, backend.device)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = func(ns, check)
                if result is not None:
                    check("return", result)
            except HarnessError:
                pass  # already on obs.harness: the item is a runner error, whatever the sides did
            except (Exception, KeyboardInterrupt, SystemExit) as exc:  # the scenario's error is an observation
                if isinstance(exc, KeyboardInterrupt) and interrupt_requested():
                    raise
                obs.error = (type(exc).__name__, first_line(exc))
                obs.error_traceback = traceback.format_exc()
            check.finish()
    finally:
        obs.wall_s = time.perf_counter() - start
        _leave(ns, saved)
        obs.leaks = isolation.restore()
    obs.warnings = [
        (w.category.__name__, str(w.message)) for w in caught if w.category.__name__ not in IGNORED_WARNINGS
    ]
    return obs


def _enter(ns: Any, dtype: str, seed: int, device: str = "cpu") -> tuple[Any, bool, bool]:
    """Per-run global state: default dtype follows the item's dtype; RNG seeded from the id.

    On a GPU pair the pair's device becomes the default device, so the scenario's own
    ``torch.tensor(...)``, factories and module parameters live on the GPU too.
    """
    saved = (ns.get_default_dtype(), ns.is_grad_enabled(), device != "cpu")
    if dtype in ("float32", "float64"):
        ns.set_default_dtype(getattr(ns, dtype))
    if device != "cpu":
        ns.set_default_device(device)
    if hasattr(ns, "manual_seed"):
        ns.manual_seed(seed)
    return saved


def _leave(ns: Any, saved: tuple[Any, bool, bool]) -> None:
    if saved[2]:
        ns.set_default_device(None)
    ns.set_default_dtype(saved[0])
    ns.set_grad_enabled(saved[1])
