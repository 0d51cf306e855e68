"""torch.compile: the engine has no compiler, so a compiled model or function runs eagerly and computes
exactly what it computed before, which is what torch.compile promises.

What torch.compile returns is reproduced: a module comes back wrapped in ``OptimizedModule`` (its
original under ``_orig_mod``, so ``state_dict`` keys gain the ``_orig_mod.`` prefix; attribute reads and
writes and ``training`` go through to the original), a function as a ``functools.wraps`` wrapper,
``disable=True`` gives the model itself, and ``torch.compile(...)`` without a model is a decorator. The
argument checks are torch's: ``mode`` and ``options`` together, an unknown ``mode`` or ``backend``, a
model that is not callable.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from typing import Any

from ._torch_version import since
from .nn.module import Module

__all__ = ["InvalidBackend", "OptimizedModule", "compile"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# torch._dynamo.list_backends(exclude_tags=()) in torch 2.13 (the testing-only backends left out)
_BACKENDS = (
    "aot_eager", "aot_eager_decomp_partition", "aot_eager_default_partitioner", "aot_ts", "cudagraphs", "eager",
    "eager_debug", "inductor", "invoke_subgraph", "openxla", "openxla_eval", "pre_dispatch_eager", "ts", "tvm",
)  # fmt: skip

# torch._dynamo.list_backends(): the default listing (debug and experimental backends left out), which torch 2.14's
# InvalidBackend draws its suggestions from
_LISTED_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
_NOT_GIVEN: Any = object()  # a keyword argument the caller did not pass


class InvalidBackend(RuntimeError):  # noqa: N818 - torch's name
    """torch._dynamo.exc.InvalidBackend: a backend name torch.compile does not know."""


class OptimizedModule(Module):
    """A compiled module: calls its ``_orig_mod``; attributes and ``training`` are the original's."""

    _opt_mod_attributes = frozenset({"_orig_mod", "dynamo_ctx", "forward", "_super_module_initialized"})

    def __init__(self, mod: Module) -> None:
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        object.__setattr__(self, "_super_module_initialized", True)
        self._orig_mod = mod  # registered as the one child module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    @property
    def training(self) -> bool:  # type: ignore[override]
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        # Module.__init__ sets the default before _orig_mod exists: ignored, the original's flag is the one
        if self.__dict__.get("_super_module_initialized"):
            self._orig_mod.training = value

    def __getattr__(self, name: str) -> Any:
        if name == "_orig_mod":
            return self._modules["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __len__(self) -> int:
        return len(self._orig_mod)


def _check(mode: str | None, options: dict | None, backend: str | Callable | None) -> None:
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if isinstance(backend, str) and backend not in _BACKENDS:
        if since("2.14"):
            # torch 2.14: a new text, with up to two close names from list_backends() (difflib) as suggestions
            suggestions = difflib.get_close_matches(backend, list(_LISTED_BACKENDS), n=2)
            hint = f", did you mean: {', '.join(map(repr, suggestions))}?" if suggestions else "."
            raise InvalidBackend(
                f"Invalid backend: {backend!r}{hint} See `torch._dynamo.list_backends()` for available backends."
            )
        raise InvalidBackend(
            f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available backends."
        )
    if (backend is None or backend == "inductor") and mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")


def compile(  # noqa: A001 - torch.compile
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable | None = None,
    mode: str | None = None,
    options: dict | None = None,
    name: str | None = None,
    disable: bool = False,
    recompile_limit: int | None = None,
    isolate_recompiles: bool = False,
    shapes_spec: Any = _NOT_GIVEN,
    dynamic_shapes: Any = _NOT_GIVEN,
) -> Any:
    """``torch.compile(model)``: the model, run eagerly (module docstring); without a model, a decorator."""
    # torch 2.14 renames the keyword ``shapes_spec`` to ``dynamic_shapes``: each release refuses the other's name
    unknown = "shapes_spec" if since("2.14") else "dynamic_shapes"
    if (shapes_spec if unknown == "shapes_spec" else dynamic_shapes) is not _NOT_GIVEN:
        raise TypeError(f"compile() got an unexpected keyword argument '{unknown}'")
    if model is None:

        def fn(model: Callable | None) -> Any:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, backend=backend, mode=mode, options=options, disable=disable)

        return fn
    _check(mode, options, backend)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")

    @functools.wraps(model)
    def compiled(*args: Any, **kwargs: Any) -> Any:
        return model(*args, **kwargs)

    return compiled
