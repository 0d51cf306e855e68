"""The global state every scenario run starts from, and what a run left changed.

A scenario may change process-wide settings: ``torch.set_printoptions``, the
default dtype or device, grad / inference / anomaly modes, deterministic
algorithms, the thread count, torch's global module hooks
(``torch.nn.modules.module.register_module_forward_hook`` and friends),
NumPy's error state and print options. Left in place, such a change reaches
every later item in the same process, and an unrelated scenario diverges and
is blamed. So each side of each item starts from the state recorded when the
namespace was first used (``pristine``), and afterwards every setting that
differs from it is described (the item's record lists it under ``leaks``) and
put back.

The RNG is not a setting here: every run seeds it from the item id. Warnings
filters are restored by the ``warnings.catch_warnings`` block each run is in.
Only settings a namespace has are probed, so the engine is probed for what it
implements.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

# torch.nn.modules.module's process-wide hook registries (one dict each).
GLOBAL_MODULE_HOOKS = (
    "_global_backward_pre_hooks", "_global_backward_hooks", "_global_forward_pre_hooks", "_global_forward_hooks",
    "_global_forward_hooks_always_called", "_global_forward_hooks_with_kwargs", "_global_is_full_backward_hook",
    "_global_buffer_registration_hooks", "_global_module_registration_hooks", "_global_parameter_registration_hooks",
)  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One global setting: how to read it and how to put a read value back."""

    name: str
    get: Callable[[], Any]
    set: Callable[[Any], None]


def _attr(ns: ModuleType, path: str) -> Any:
    """``ns.a.b.c`` (importing submodules on the way), or None when the namespace lacks it."""
    obj: Any = ns
    for i, part in enumerate(path.split(".")):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(f"{ns.__name__}.{'.'.join(path.split('.')[: i + 1])}")
        except ImportError:
            return None
    return obj


def _print_options(ns: ModuleType) -> Setting | None:
    opts = _attr(ns, "_tensor_str.PRINT_OPTS") or _attr(ns, "_printing.PRINT_OPTS")
    if opts is None or not hasattr(ns, "set_printoptions"):
        return None
    keys = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")
    return Setting(
        "print options", lambda: {k: getattr(opts, k) for k in keys}, lambda saved: ns.set_printoptions(**saved)
    )


def _anomaly(ns: ModuleType) -> Setting | None:
    enabled, check_nan = getattr(ns, "is_anomaly_enabled", None), getattr(ns, "is_anomaly_check_nan_enabled", None)
    setter = getattr(ns, "set_anomaly_enabled", None)
    if enabled is None or check_nan is None or setter is None:
        return None
    return Setting("anomaly mode", lambda: (enabled(), check_nan()), lambda saved: setter(*saved))


def _inference(ns: ModuleType) -> Setting | None:
    enabled = getattr(ns, "is_inference_mode_enabled", None)
    if enabled is None:
        return None

    def put(saved: bool) -> None:
        # Inference mode is held by a guard object (torch.inference_mode().__enter__() without __exit__);
        # there is no setter to undo it, so a leak is recorded and cannot be put back.
        del saved

    return Setting("inference mode", enabled, put)


def _module_hooks(ns: ModuleType) -> list[Setting]:
    module = _attr(ns, "nn.modules.module")
    out = []
    for name in GLOBAL_MODULE_HOOKS:
        registry = getattr(module, name, None) if module is not None else None
        if isinstance(registry, dict):
            out.append(Setting(f"global module hooks {name}", lambda r=registry: dict(r), _refill(registry)))
    return out


def _refill(registry: dict[Any, Any]) -> Callable[[Any], None]:
    def put(saved: dict[Any, Any]) -> None:
        registry.clear()
        registry.update(saved)

    return put


def _pair(ns: ModuleType, name: str, getter: str, setter: str) -> Setting | None:
    get, put = getattr(ns, getter, None), getattr(ns, setter, None)
    return None if get is None or put is None else Setting(name, get, put)


def namespace_settings(ns: ModuleType) -> list[Setting]:
    """Every global setting of ``ns`` (torch or the engine) that this module knows how to read and restore."""
    found = [
        _pair(ns, "default dtype", "get_default_dtype", "set_default_dtype"),
        _pair(ns, "default device", "get_default_device", "set_default_device"),
        _pair(ns, "grad mode", "is_grad_enabled", "set_grad_enabled"),
        _pair(ns, "deterministic algorithms", "are_deterministic_algorithms_enabled", "use_deterministic_algorithms"),
        _pair(ns, "intra-op threads", "get_num_threads", "set_num_threads"),
        _print_options(ns),
        _anomaly(ns),
        _inference(ns),
        *_module_hooks(ns),
    ]
    return [s for s in found if s is not None]


def _numpy_print_options(saved: dict[str, Any]) -> None:
    np.set_printoptions(**saved)


def _numpy_errstate(saved: dict[str, str]) -> None:
    np.seterr(**saved)


PROCESS_SETTINGS = (
    Setting("numpy error state", np.geterr, _numpy_errstate),
    Setting("numpy print options", np.get_printoptions, _numpy_print_options),
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared count as changed
        return a is b


def _describe(name: str, before: Any, after: Any) -> str:
    if isinstance(before, dict) and isinstance(after, dict):
        if name.startswith("global module hooks"):
            return f"{name}: {len(before)} -> {len(after)} registered"
        changed = [f"{k} {before.get(k)!r} -> {after.get(k)!r}" for k in sorted({*before, *after}, key=str)
                   if not _same(before.get(k), after.get(k))]  # fmt: skip
        return f"{name}: {', '.join(changed)}"
    return f"{name}: {before!r} -> {after!r}"


class Isolation:
    """The pristine state of one namespace (and of the process), taken at first use."""

    def __init__(self, ns: ModuleType) -> None:
        self.settings = [*namespace_settings(ns), *PROCESS_SETTINGS]
        self.pristine = {s.name: s.get() for s in self.settings}

    def changes(self, restore: bool = False) -> list[str]:
        """A description of every setting that differs from the pristine state (``restore``: and put it back)."""
        out = []
        for s in self.settings:
            before, now = self.pristine[s.name], s.get()
            if not _same(before, now):
                out.append(_describe(s.name, before, now))
                if restore:
                    s.set(before)
        return out

    def restore(self) -> list[str]:
        """Put every changed setting back; returns what was changed (empty: nothing was)."""
        return self.changes(restore=True)


_BY_NAMESPACE: dict[str, Isolation] = {}


def isolation_for(ns: ModuleType) -> Isolation:
    """One ``Isolation`` per namespace for the life of the process (its pristine state is the first one seen)."""
    if ns.__name__ not in _BY_NAMESPACE:
        _BY_NAMESPACE[ns.__name__] = Isolation(ns)
    return _BY_NAMESPACE[ns.__name__]
