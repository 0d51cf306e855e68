"""The ``conformance`` console script.

``conformance list`` prints the scenario library; ``conformance show NAME``
runs one scenario on both engines and prints every checkpoint side by side
(the quickest way to see where a divergence starts).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .backends import CPU_PAIR
from .loader import load_scenario_file
from .observe import Entry, Observation
from .runner import run_item
from .scenario import Scenario, ScenarioError
from .verdict import show

DEFAULT_DIR = Path("scenarios")


def _library(directory: Path) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for path in sorted(directory.glob("[a-z]*.py")):
        if path.name.startswith("test_"):
            continue
        for sc in load_scenario_file(path):
            out[sc.name] = sc
    return out


def _cmd_list(args: argparse.Namespace) -> int:
    for sc in _library(args.dir).values():
        print(f"{sc.name:55} {','.join(sc.dtypes):16} {','.join(sc.tags):40} {sc.where}")
    return 0


def _entry_text(e: Entry | None) -> str:
    if e is None:
        return "-"
    meta = f" requires_grad={e.requires_grad} is_leaf={e.is_leaf} grad_fn={e.grad_fn}" if e.kind == "tensor" else ""
    grad = f" grad={show(e.grad, 80)}" if e.grad is not None else ""
    return f"{show(e.value, 120)}{meta}{grad}"


def _side_by_side(torch_obs: Observation, engine_obs: Observation) -> list[str]:
    engine = {e.label: e for e in engine_obs.entries}
    lines = []
    for t in torch_obs.entries:
        lines += [f"{t.label}:", f"  torch : {_entry_text(t)}", f"  engine: {_entry_text(engine.pop(t.label, None))}"]
    for label, e in engine.items():
        lines += [f"{label}:", "  torch : -", f"  engine: {_entry_text(e)}"]
    for side, obs in (("torch", torch_obs), ("engine", engine_obs)):
        if obs.error:
            lines.append(f"{side} raised {obs.error[0]}: {obs.error[1]}")
        lines += [f"{side} warned {cat}: {text}" for cat, text in obs.warnings]
    return lines


def _cmd_show(args: argparse.Namespace) -> int:
    library = _library(args.dir)
    if args.name not in library:
        print(f"conformance: no scenario named {args.name!r} in {args.dir}", file=sys.stderr)
        return 2
    sc = library[args.name]
    dtype = args.dtype or sc.dtypes[0]
    result = run_item(sc, dtype, CPU_PAIR, f"{sc.name}[{dtype}-{CPU_PAIR.id}]")
    print(f"{sc.name} [{dtype}, {CPU_PAIR.id}] ({sc.where}): {result.status}")
    if result.torch and result.engine:
        print("\n".join(_side_by_side(result.torch, result.engine)))
    if result.message:
        print(result.message)
    return 0 if result.status in ("pass", "xfail") else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description="reference_engine vs torch conformance tools")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list the scenarios")
    p_list.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="scenario folder (default: scenarios)")
    p_list.set_defaults(func=_cmd_list)
    p_show = sub.add_parser("show", help="run one scenario on both engines and print its checkpoints side by side")
    p_show.add_argument("name")
    p_show.add_argument("--dtype", default=None, help="one of the scenario's dtypes (default: its first)")
    p_show.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="scenario folder (default: scenarios)")
    p_show.set_defaults(func=_cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except ScenarioError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
