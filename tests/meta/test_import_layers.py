"""The import contracts in pyproject.toml hold on the tree, and lint-imports fails when one is broken.

Each planted case copies the packages into a temporary directory, adds one forbidden import, and
checks that ``lint-imports`` fails on the contract that forbids it, naming the offending import.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("reference_engine", "conformance", "scenarios")


def _lint_imports() -> str:
    # the console script installed next to this interpreter, else the one on PATH
    here = Path(sys.executable).with_name("lint-imports")
    found = str(here) if here.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.skip("lint-imports is not installed (pip install import-linter, or the 'test' extra)")
    return found


def _run(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [_lint_imports(), "--no-cache", "--no-logo"]
    for c in contracts:
        args += ["--contract", c]
    env = {**os.environ, "PYTHONPATH": str(cwd)}  # the packages in cwd, never an installed copy
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_contracts_hold_on_the_tree() -> None:
    res = _run(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert " 0 broken" in res.stdout


@pytest.mark.parametrize(
    ("path", "planted", "contract", "expected"),
    [
        pytest.param(
            "reference_engine/_dtype.py", "import conformance", "engine-standalone",
            "reference_engine is not allowed to import conformance", id="engine-imports-suite",
        ),
        pytest.param(
            "reference_engine/autograd/graph.py", "from .. import ops", "engine-layers",
            "reference_engine.autograd.graph is not allowed to import reference_engine.ops", id="graph-imports-ops",
        ),
    ],
)  # fmt: skip
def test_a_planted_import_breaks_its_contract(
    tmp_path: Path, path: str, planted: str, contract: str, expected: str
) -> None:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / path
    # after the module docstring: an import at the top, where a careless edit would put it
    text = target.read_text()
    end = text.index('"""', 3) + 3
    target.write_text(f"{text[:end]}\n{planted}  # planted by the test\n{text[end:]}")

    res = _run(tmp_path, contract)
    out = " ".join((res.stdout + res.stderr).split())  # lint-imports wraps long lines
    assert res.returncode != 0, out
    assert "BROKEN" in out
    assert expected in out


# The optional dependencies: imported where first needed, so the engine runs on NumPy alone.
OPTIONAL = {"cupy", "cupyx", "scipy"}


def _imports_inside_functions(package: Path) -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(package.rglob("*.py")):
        for func in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(func):
                    if isinstance(node, ast.Import):
                        found += [(str(path.relative_to(ROOT)), node.lineno, a.name) for a in node.names]
                    elif isinstance(node, ast.ImportFrom):
                        found.append((str(path.relative_to(ROOT)), node.lineno, "." * node.level + (node.module or "")))
    return found


def test_imports_inside_functions_are_few_and_only_of_optional_dependencies() -> None:
    # layers make every engine import a module-level one; a late import is a sign of a cycle being papered over
    found = _imports_inside_functions(ROOT / "reference_engine")
    assert len(found) <= 5, found
    assert all(name.split(".")[0] in OPTIONAL for _, _, name in found), found
