"""A standalone script that reruns one item on both engines and prints the difference.

The script is the scenario file cut down to what the item needs (imports,
constants, helpers and the one scenario function, unchanged) followed by a
short driver. The driver runs the function on real torch and on
reference_engine with the same inputs the conformance run used (the item's
seed, torch's initial weights handed over), prints every checkpoint side by
side with its largest absolute difference, then the verdict.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from .scenario import Scenario

DRIVER = """

# ---- driver: run the scenario above on torch and on reference_engine and print the difference ----
import sys

import numpy as np

from conformance.backends import {pair_const} as PAIR
from conformance.observe import item_seed, run_scenario
from conformance.scenario import drain_pending
from conformance.verdict import compare_observations, show

NAME, DTYPE, ITEM_ID = {name!r}, {dtype!r}, {item_id!r}
SCENARIO = next(s for s in drain_pending() if s.name == NAME)


def _max_abs(a, b):
    try:
        return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
    except (TypeError, ValueError):
        return None


def main():
    seed, shared = item_seed(ITEM_ID), {{}}  # the conformance run's inputs: data seeded from the item id
    torch_run = run_scenario(SCENARIO.func, PAIR.torch, DTYPE, seed, shared, True)
    engine_run = run_scenario(SCENARIO.func, PAIR.engine, DTYPE, seed, shared, False)
    engine = {{e.label: e for e in engine_run.entries}}
    for t in torch_run.entries:
        e = engine.get(t.label)
        print(f"{{t.label}}:")
        print(f"  torch : {{show(t.value)}}")
        print(f"  engine: {{show(e.value) if e else 'not recorded'}}")
        if e is not None and t.kind == e.kind == "tensor" and t.shape == e.shape:
            print(f"  max |engine - torch| = {{_max_abs(e.value, t.value)}}")
    for side, run in (("torch", torch_run), ("engine", engine_run)):
        if run.error:
            print(f"{{side}} raised {{run.error[0]}}: {{run.error[1]}}")
    verdict = compare_observations(torch_run, engine_run, SCENARIO, DTYPE)
    print("agree" if verdict.agree else "engine diverges from torch:\\n" + verdict.describe())
    return 0 if verdict.agree else 1


if __name__ == "__main__":
    sys.exit(main())
"""


def scenario_source(scenario: Scenario) -> str | None:
    """The scenario function's source, decorator included (None when it has no source file)."""
    try:
        return inspect.getsource(scenario.func)
    except (OSError, TypeError):
        return None


def _is_scenario(node: ast.stmt) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if (isinstance(target, ast.Name) and target.id == "scenario") or (
            isinstance(target, ast.Attribute) and target.attr == "scenario"
        ):
            return True
    return False


def cut_down_file(source: str, func_name: str) -> str:
    """The file without its docstring and without the other scenarios' functions."""
    tree = ast.parse(source)
    if not any(_is_scenario(n) and n.name == func_name for n in tree.body):  # type: ignore[attr-defined]
        raise SyntaxError(f"no top-level scenario function {func_name!r}")
    lines = source.splitlines()
    parts = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        if _is_scenario(node) and node.name != func_name:  # type: ignore[attr-defined]
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        parts.append("\n".join(lines[first - 1 : node.end_lineno]))
    return "\n\n".join(parts)


def build_reproducer(scenario: Scenario, dtype: str, pair_id: str, item_id: str) -> str | None:
    """The script's text, or None when the scenario has no source file (e.g. defined interactively)."""
    if "<locals>" in scenario.func.__qualname__:
        return None  # defined inside a function: the file alone cannot recreate it
    path = Path(scenario.file)
    try:
        source = path.read_text(encoding="utf-8")
        body = cut_down_file(source, scenario.func.__name__)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    header = (
        f"# Reproducer for {item_id!r} ({scenario.where!r}).\n"
        "# Run it from the repository root (with the project installed): python this_file.py\n\n"
    )
    pair_const = "CUDA_PAIR" if pair_id.startswith("cuda") else "CPU_PAIR"
    return header + body + DRIVER.format(pair_const=pair_const, name=scenario.name, dtype=dtype, item_id=item_id)
