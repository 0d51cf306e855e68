"""``torch`` as a second name for reference_engine, so unchanged torch code runs on the engine.

``install()`` makes ``import torch`` give the engine package and every ``import torch.<sub>``
(``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data``, ``torch.autograd.forward_ad``,
``torch.func`` ...) give the engine's own ``reference_engine.<sub>`` module object. There is one copy of
every engine module: ``torch.nn.Parameter is reference_engine.nn.Parameter``, and ``torch.Tensor`` is the
class every engine op returns.

``sys.modules["torch"] = reference_engine`` alone is not enough without the finder here: ``import torch.nn``
would find ``nn/__init__.py`` on the engine's ``__path__`` and execute it a second time as a new module
``torch.nn``. Its relative imports would load second copies of ``tensor``, ``autograd`` ... (a ``Parameter``
subclassing a Tensor class whose methods were never attached: ``'Parameter' object has no attribute
'uniform_'``), and binding it as ``torch.nn`` would replace ``reference_engine.nn`` itself.

The finder goes on ``sys.meta_path`` when the engine is imported (``register()``, called by the package's
``__init__``) and acts only while ``sys.modules["torch"]`` is the engine, so an alias made by hand,
``sys.modules["torch"] = reference_engine``, gets the same one-copy imports, and a process that uses real
torch never sees it act. A ``torch.<sub>`` the engine lacks fails as a missing module does:
``ModuleNotFoundError: No module named 'torch.<sub>'``.

``python -m reference_engine SCRIPT [ARGS]`` (``__main__.py``) runs a script with the alias installed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

ALIAS = "torch"
TARGET = __name__.rpartition(".")[0]  # "reference_engine"


def aliased() -> bool:
    """Whether ``torch`` is the engine in this process (``install()``, or an alias made by hand)."""
    engine = sys.modules.get(TARGET)
    return engine is not None and sys.modules.get(ALIAS) is engine


def _is_engine_module(module: object) -> bool:
    name = getattr(module, "__name__", None)
    return isinstance(name, str) and (name == TARGET or name.startswith(TARGET + "."))


class TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import torch.<sub>`` -> the engine's ``reference_engine.<sub>`` module object, imported once."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if not fullname.startswith(ALIAS + ".") or not aliased():
            return None
        real = TARGET + fullname[len(ALIAS) :]
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if missing != real and not real.startswith(missing + "."):
                raise  # the engine module exists but itself failed to import something: show that
            alias = ALIAS + missing[len(TARGET) :]
            raise ModuleNotFoundError(f"No module named {alias!r}", name=alias) from None
        spec = importlib.util.spec_from_loader(fullname, self)
        assert spec is not None
        spec.loader_state = module.__spec__  # importlib overwrites the module's __spec__; exec_module restores it
        return spec

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return sys.modules[spec.loader_state.name]

    def exec_module(self, module: ModuleType) -> None:
        # The module is already executed: keep its own spec, so its relative imports and reloads keep working.
        module.__spec__ = module.__spec__.loader_state


_FINDER = TorchAlias()


def register() -> None:
    """Put the finder on ``sys.meta_path`` (once); it does nothing until ``torch`` is aliased to the engine."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def install() -> ModuleType:
    """Make ``torch`` mean reference_engine for the rest of this process; returns the engine package.

    Raises RuntimeError when real torch is already imported here: its modules would stay in ``sys.modules``
    next to the engine's, and torch's own lazy imports would then get engine modules.
    """
    engine = importlib.import_module(TARGET)
    foreign = sorted(
        name
        for name, module in list(sys.modules.items())
        if (name == ALIAS or name.startswith(ALIAS + ".")) and module is not None and not _is_engine_module(module)
    )
    if foreign:
        raise RuntimeError(
            f"cannot alias torch to {TARGET}: real torch is already imported in this process "
            f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); install the alias before torch is imported"
        )
    sys.modules[ALIAS] = engine
    for name, module in list(sys.modules.items()):
        if name.startswith(TARGET + ".") and module is not None:
            sys.modules.setdefault(ALIAS + name[len(TARGET) :], module)
    if _FINDER in sys.meta_path:  # first, ahead of any finder put there since the engine was imported
        sys.meta_path.remove(_FINDER)
    sys.meta_path.insert(0, _FINDER)
    return engine
