"""Tensor's surface is visible in one place.

``tensor.py`` defines the class; ``_tensor_surface.py`` attaches everything else. No other module may
change ``Tensor`` (so importing a module never does it as a side effect), and every public attribute
can be traced to the module that defines it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import reference_engine
from reference_engine import _tensor_surface, ops, random
from reference_engine.tensor import Tensor

PACKAGE = Path(reference_engine.__file__).parent
ALLOWED = {"tensor.py", "_tensor_surface.py"}
# setattr(Tensor, ...), Tensor.x = ..., Tensor.x += ..., and chained Tensor.a = Tensor.b = ...
_SETS_TENSOR = re.compile(r"setattr\(\s*Tensor\b|\bTensor\.\w+\s*(?:[-+*/|&]?=)(?!=)")
# what Python itself puts in every class's namespace
_CLASS_MACHINERY = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__annotations__", "__slots__"}


def _class_body_names() -> set[str]:
    """The names tensor.py's ``class Tensor`` body defines (methods, properties, class attributes)."""
    tree = ast.parse((PACKAGE / "tensor.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    names: set[str] = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def attribute_sources() -> dict[str, str]:
    """Every public Tensor attribute (and every operator dunder) -> the module that defines it."""
    body = _class_body_names()
    sources = {}
    for name, value in vars(Tensor).items():
        if name in _CLASS_MACHINERY or (name.startswith("_") and not (name.startswith("__") and name.endswith("__"))):
            continue
        if name in body:
            sources[name] = "reference_engine.tensor (class body)"
            continue
        fn = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        sources[name] = getattr(fn, "__module__", None) or "?"
    return sources


def test_no_module_but_the_surface_changes_tensor() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent == PACKAGE and path.name in ALLOWED:
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if _SETS_TENSOR.search(code):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{lineno}: {line.strip()}")
    assert not offenders, "only tensor.py and _tensor_surface.py may set attributes on Tensor:\n" + "\n".join(offenders)


def test_every_attribute_comes_from_the_engine() -> None:
    sources = attribute_sources()
    unknown = {n: s for n, s in sources.items() if not s.startswith("reference_engine")}
    assert not unknown, f"attributes whose defining module is not in reference_engine: {unknown}"
    # the class body and the surface together: the ops (hundreds) and the in-place variants included
    assert len(sources) > 400
    for name in ("add", "add_", "sum", "view", "normal_", "new_zeros", "backward", "T", "__add__", "__getitem__"):
        assert name in sources, name


def test_the_surface_attaches_what_its_sources_list() -> None:
    # the op modules' METHODS, random's methods and the new_* methods are the very functions on Tensor
    # (a name listed twice resolves to the last module that lists it, as the attach loop does)
    expected = {}
    for mod in ops._MODULES:
        expected.update(getattr(mod, "METHODS", {}))
    expected.update(random.TENSOR_METHODS)
    expected.update(_tensor_surface.NEW_METHODS)
    wrong = [n for n, fn in expected.items() if vars(Tensor).get(n) is not fn]
    assert not wrong, wrong
    for name in _tensor_surface.INPLACE:
        if hasattr(Tensor, name):
            assert (name + "_") in vars(Tensor), name
