"""What torch.backends' flag modules share: a module attribute that validates what is set, as torch's do.

torch replaces ``torch.backends.cudnn`` (and friends) in ``sys.modules`` with a ``ModuleType`` subclass
whose class attributes are descriptors (``ContextProp``): reading one calls a getter, setting one calls a
C++ setter that accepts only a bool. Here a flag module's class is swapped for a subclass holding
``BoolFlag`` descriptors (``flag_module``), so ``torch.backends.cudnn.benchmark = True`` reads back True and
``... = 1`` raises torch's RuntimeError.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class BoolFlag:
    """A module attribute holding a bool; setting anything else raises ``RuntimeError: <setter> expects a bool``."""

    def __init__(self, default: bool, setter: str) -> None:
        self.value = default
        self.setter = setter  # the name of torch's C++ setter, which its error message names

    def __get__(self, obj: Any, objtype: Any = None) -> bool:
        return self.value

    def __set__(self, obj: Any, value: Any) -> None:
        if not isinstance(value, bool):
            raise RuntimeError(f"{self.setter} expects a bool, but got {type(value).__name__}")
        self.value = value


def flag_module(name: str, flags: dict[str, BoolFlag]) -> type[types.ModuleType]:
    """Give module ``name`` the class torch gives it (``CudnnModule`` ...) with ``flags`` as validated attributes."""
    module = sys.modules[name]
    cls = type(f"{name.rsplit('.', 1)[-1].capitalize()}Module", (types.ModuleType,), dict(flags))
    module.__class__ = cls
    return cls
