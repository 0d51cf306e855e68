"""A standalone torch script that reruns one divergent item: what a contributor pastes into a bug report.

The script imports only torch (and NumPy only for an input too large to write out). It holds:

- the inputs ``check.data`` gave the scenario, written out as literals (in call order), and the item's seed
  and default dtype, so torch's own initial weights come out the same (``torch.manual_seed``);
- reference_engine's recorded values at the checkpoints that differed, with the tolerances they were held to;
- the scenario file cut down to what the function needs (its constants, helpers and the function itself,
  without the ``@scenario`` decorator and the project's imports);
- a small ``check`` of its own that prints torch's value at each checkpoint next to the engine's recorded
  one and compares them with ``torch.testing.assert_close`` (exit status 1 when any differs).

So it runs anywhere torch is installed, without this project: on the torch side it says what torch computes,
and the recorded engine values say what reference_engine computed in the run.
"""

from __future__ import annotations

import ast
import inspect
import pprint
from pathlib import Path
from typing import Any

import numpy as np

from .observe import Observation
from .scenario import Scenario
from .verdict import keyed

MAX_LITERAL = 4_096  # elements written out per input or engine value; a larger input is regenerated with NumPy
VALUE_FIELDS = ("value", "grad", "final_grad")
PROJECT_MODULES = ("conformance", "reference_engine")

SHIM = '''
import sys

import torch


class Check:
    """Prints torch's value at each checkpoint next to reference_engine's recorded one, and compares them."""

    def __init__(self):
        self._inputs = iter(INPUTS)
        self._seen = {}
        self._leaves = {}
        self.differ = []

    @property
    def dtype(self):
        return DTYPE

    def data(self, shape, seed=None, dtype=None, requires_grad=False, low=-1.0, high=1.0):
        values, dtype_name, grad = next(self._inputs)
        if callable(values):  # too large to write out: regenerated as the run made it
            values = values()
        return torch.tensor(values, dtype=getattr(torch, dtype_name), requires_grad=grad)

    def same_weights(self, module, key=None):
        return module  # torch's own initial weights (torch.manual_seed(SEED) makes them the run's)

    def error(self, label, fn):
        try:
            result = fn()
        except Exception as exc:
            self._show(label, "error", f"{type(exc).__name__}: {exc}")
            return None
        self._show(label, "error", "no error")
        return result

    def __call__(self, label, value, widen=1.0):
        if hasattr(value, "__next__") and not isinstance(value, (str, bytes)):
            value = list(value)
        for sub, leaf in _flatten(label, value):
            n = self._seen.get(sub, 0) + 1
            self._seen[sub] = n
            key = sub if n == 1 else f"{sub}#{n}"
            if isinstance(leaf, torch.Tensor):
                if leaf.is_leaf and leaf.requires_grad and all(t is not leaf for t in self._leaves.values()):
                    self._leaves[key] = leaf
                self._show(key, "value", leaf)
                for field in ("dtype", "shape", "requires_grad", "is_leaf", "grad_fn"):
                    self._show(key, field, _meta(leaf, field))
                if leaf.is_leaf or leaf.retains_grad:
                    self._show(key, "grad", leaf.grad)
            else:
                self._show(key, "value", leaf)
        return value

    def finish(self):
        for key, leaf in self._leaves.items():
            self._show(key, "final_grad", leaf.grad)

    def _show(self, label, field, torch_value):
        recorded = ENGINE.get((label, field))
        if field not in ("value",) and recorded is None:
            return  # metadata torch and the engine agreed on
        name = label if field == "value" else f"{label} [{field}]"
        print(f"{name}:")
        print(_indent("torch ", torch_value))
        if recorded is None:
            return
        engine, rtol, atol = recorded
        if isinstance(torch_value, torch.Tensor) and not isinstance(engine, str):
            expected = torch_value.detach()
            actual = torch.tensor(engine, dtype=expected.dtype).reshape(expected.shape)
            print(_indent("engine", actual))
            try:
                torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
            except AssertionError as exc:
                self.differ.append(name)
                print("  " + str(exc).replace("\\n", "\\n  "))
        else:
            print(_indent("engine", engine))
            if str(engine) != str(torch_value):
                self.differ.append(name)


def _meta(t, field):
    if field == "grad_fn":
        return None if t.grad_fn is None else type(t.grad_fn).__name__
    if field == "dtype":
        return str(t.dtype).replace("torch.", "")
    if field == "shape":
        return list(t.shape)
    return getattr(t, field)


def _flatten(label, value):
    if isinstance(value, torch.Tensor):
        return [(label, value)]
    if isinstance(value, torch.nn.Module):
        return [(f"{label}.{name}", p) for name, p in value.named_parameters()]
    if isinstance(value, torch.optim.Optimizer):
        return _flatten(label, value.state_dict())
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flatten(f"{label}.{k}", v)]
    if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        return [pair for i, v in enumerate(value) for pair in _flatten(f"{label}[{i}]", v)]
    return [(label, value)]


def _indent(side, value):
    text = str(value)
    return f"  {side}: " + text.replace("\\n", "\\n" + " " * (len(side) + 4))
'''

MAIN = """

if __name__ == "__main__":
    {default_dtype}torch.manual_seed(SEED)
    torch.set_printoptions(precision=8)
    check = Check()
    try:
        result = {func}(torch, check)
        if result is not None:
            check("return", result)
    except Exception as exc:  # the scenario's own exception is an observation, as in the conformance run
        print(f"raised {{type(exc).__name__}}: {{exc}}")
        recorded = ENGINE.get(("<scenario>", "error"))
        if recorded is not None:
            print(f"  engine recorded: {{recorded[0]}}")
    check.finish()
    for note in NOTES:  # differences the script could not write out or compare (too large, warnings, ...)
        print(note)
    if check.differ or NOTES:
        where = ", ".join(check.differ) or "the notes above"
        print(f"reference_engine's recorded values differ from torch at: {{where}}")
        sys.exit(1)
    print("torch computes the values reference_engine recorded (within the tolerances)")
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


def _is_project_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] in PROJECT_MODULES
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] in PROJECT_MODULES for a in node.names)
    return False


def cut_down_file(source: str, func_name: str) -> str:
    """The file without its docstring, the project's imports, the other scenarios, and the function's
    ``@scenario`` decorator: what the one function needs, as plain Python."""
    tree = ast.parse(source)
    if not any(_is_scenario(n) and n.name == func_name for n in tree.body):  # type: ignore[attr-defined]
        raise SyntaxError(f"no top-level scenario function {func_name!r}")
    lines = source.splitlines()
    parts = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        if _is_project_import(node) or (_is_scenario(node) and node.name != func_name):  # type: ignore[attr-defined]
            continue
        if _is_scenario(node):  # the function itself, from its `def` line: the decorator is the harness's
            first = node.lineno
        else:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        parts.append("\n".join(lines[first - 1 : node.end_lineno]))
    return "\n\n\n".join(parts)


def _literal(values: Any, indent: int) -> str:
    text = pprint.pformat(values, width=110 - indent, compact=True)
    return text.replace("\n", "\n" + " " * indent)


def _plain(x: np.ndarray) -> Any:
    """An array as nested lists of Python numbers (complex as Python complex, which torch.tensor takes)."""
    return np.asarray(x).tolist()


def _inputs(torch_obs: Observation, limit: int = MAX_LITERAL) -> tuple[str, bool]:
    """The INPUTS literal, and whether it needs NumPy (an input too large to write out)."""
    rows, numpy = [], False
    for given in torch_obs.inputs:
        arr, name, grad = given["array"], given["dtype"], given["requires_grad"]
        if arr.size <= limit:
            values = _literal(_plain(arr), 8)
        else:  # NumPy's generator with the run's seed gives the same numbers
            numpy = True
            how = "integers" if name.startswith(("int", "uint")) or name == "bool" else "uniform"
            low, high = (0, 2) if name == "bool" else (given["low"], given["high"])
            if how == "integers":
                low, high = int(low), int(high)
            values = (f"lambda: np.random.default_rng({given['seed']}).{how}({low!r}, {high!r}, "
                      f"size={tuple(arr.shape)!r}){'.astype(bool)' if name == 'bool' else ''}")  # fmt: skip
        rows.append(f"    (\n        {values},\n        {name!r}, {grad!r},\n    ),")
    return "INPUTS = [  # what check.data gave the scenario in the run, in call order\n" + "\n".join(
        rows
    ) + "\n]", numpy


def _engine(
    engine_obs: Observation,
    differences: list[dict[str, Any]],
    checkpoints: list[dict[str, Any]],
    limit: int = MAX_LITERAL,
) -> tuple[str, list[str]]:
    """The ENGINE literal: (label, field) -> (the engine's recorded value, rtol, atol); and notes for the rest."""
    tolerances = {(c["label"], c["field"]): (c["rtol"], c["atol"]) for c in checkpoints}
    engine = keyed(engine_obs.entries)
    rows, notes = [], []
    for d in differences:
        label, fld = d["label"], d["field"]
        value: Any = None
        if fld in VALUE_FIELDS:
            entry = engine.get(label)
            if fld == "final_grad":
                value = engine_obs.final_grads.get(label)
            elif entry is not None:
                value = entry.value if fld == "value" else entry.grad
            if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
                if value.size > limit:
                    notes.append(f"{label} [{fld}]: the engine's value has {value.size} elements (too many to write "
                                 f"out here); the run found: {d.get('detail', '')}")  # fmt: skip
                    continue
                value = _plain(value)
            elif value is not None and not isinstance(value, int | float | bool | complex):
                value = d.get("engine")
        elif fld in ("dtype", "shape", "requires_grad", "is_leaf", "grad_fn", "error"):
            entry = engine.get(label)
            value = getattr(entry, fld) if entry is not None and hasattr(entry, fld) else d.get("engine")
        else:  # warnings, a checkpoint one side lacks: said in words
            notes.append(f"{label} [{fld}]: torch {d.get('torch')}; engine {d.get('engine')} ({d.get('detail', '')})")
            continue
        rtol, atol = tolerances.get((label, fld), (0.0, 0.0))
        rows.append(f"    ({label!r}, {fld!r}): (\n        {_literal(value, 8)},\n        {rtol!r}, {atol!r},\n    ),")
    literal = "ENGINE = {  # reference_engine's recorded values where it differed: (value, rtol, atol)\n"
    return literal + "\n".join(rows) + "\n}", notes


def build_reproducer(
    scenario: Scenario,
    record: dict[str, Any],
    torch_obs: Observation,
    engine_obs: Observation,
    checkpoints: list[dict[str, Any]],
    budget: int | None = None,
) -> str | None:
    """The standalone torch script for one item (None when the scenario has no source file of its own), within
    ``budget`` characters when it can be."""
    if "<locals>" in scenario.func.__qualname__:
        return None  # defined inside a function: the file alone cannot recreate it
    try:
        body = cut_down_file(Path(scenario.file).read_text(encoding="utf-8"), scenario.func.__name__)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    # A stored reproducer must fit a record's string (budget): larger inputs are then regenerated from the seed
    # and larger engine values described in words, rather than the script being cut short.
    for limit in (MAX_LITERAL, 256, 16, -1):
        text = _script(scenario, record, torch_obs, engine_obs, checkpoints, body, limit)
        if budget is None or len(text) <= budget:
            break
    return text


def _script(
    scenario: Scenario,
    record: dict[str, Any],
    torch_obs: Observation,
    engine_obs: Observation,
    checkpoints: list[dict[str, Any]],
    body: str,
    limit: int,
) -> str:
    dtype = str(record.get("dtype"))
    inputs, numpy = _inputs(torch_obs, limit)
    engine, notes = _engine(engine_obs, list(record.get("differences") or []), checkpoints, limit)
    first = record.get("first_divergence")
    verdict = "differed from" if record.get("differences") else "agreed with"
    where = f",\nfirst at {first}" if first else ""
    header = (
        f'"""Reproducer for {record["id"]} ({scenario.where}): standalone, it needs only torch.\n\n'
        f"reference_engine (a NumPy autograd engine that mirrors torch) {verdict} torch {record.get('torch') or ''}"
        f" here{where}. Run `python repro.py`: it prints torch's value at every checkpoint next to\n"
        'the engine\'s recorded one, and exits with status 1 where they differ beyond the tolerance.\n"""\n'
    )
    consts = [
        f"SEED = {record.get('seed')!r}  # torch.manual_seed, as the run did",
        f"DTYPE = torch.{dtype if dtype in ('float16', 'bfloat16', 'float32', 'float64') else 'float32'}",
        inputs,
        engine,
        f"NOTES = {notes!r}",
    ]
    default = "torch.set_default_dtype(DTYPE)\n    " if dtype in ("float32", "float64") else ""
    shim = SHIM + ("\nimport numpy as np\n" if numpy else "")
    return (header + shim + "\n\n" + "\n".join(consts) + "\n\n\n" + body + "\n"
            + MAIN.format(default_dtype=default, func=scenario.func.__name__))  # fmt: skip
