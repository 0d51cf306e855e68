"""``torch`` aliased to the engine (reference_engine/_as_torch.py) and ``python -m reference_engine SCRIPT [ARGS]``.

Every case is a real interpreter started on this checkout's engine: the alias changes ``sys.modules`` for a
whole process, and this test process has real torch imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What the brief's scripts import after the alias, and the one-copy checks: every module the alias gives is the
# engine's own object, no engine file was executed a second time under a `torch.` name, and the original
# failure ('Parameter' object has no attribute 'uniform_', from a second copy of nn and tensor) is gone.
ONE_COPY_CHECKS = """\
import torch.nn
import torch.nn.functional as F
import torch.optim
from torch.utils.data import DataLoader
import torch.autograd.forward_ad
from torch.func import vmap
import torch.nn as nn
from torch import optim

engine_dir = os.path.dirname(reference_engine.__file__)
torch_names = {n: m for n, m in sys.modules.items() if n == "torch" or n.startswith("torch.")}
twice = sorted(m.__name__ for m in sys.modules.values() if not m.__name__.startswith("reference_engine")
               and (getattr(m, "__file__", None) or "").startswith(engine_dir))  # a second copy of an engine file
print("parameter", torch.nn.Parameter is reference_engine.nn.Parameter)
print("same modules", torch.nn is reference_engine.nn, F is reference_engine.nn.functional,
      torch.optim is reference_engine.optim, nn is reference_engine.nn, optim is reference_engine.optim,
      sys.modules["torch.nn"] is reference_engine.nn,
      torch.autograd.forward_ad is reference_engine.autograd.forward_ad)
print("same objects", DataLoader is reference_engine.utils.data.DataLoader, vmap is reference_engine.func.vmap)
print("engine names", sorted({m.__name__.split(".")[0] for m in torch_names.values()}),
      reference_engine.nn.__name__, reference_engine.nn.__spec__.name)
print("executed twice", twice)
layer = torch.nn.Linear(3, 2)
print("linear", type(layer.weight).__name__, isinstance(layer.weight, reference_engine.Tensor))
print("real torch", "torch._C" in sys.modules)
"""

ONE_COPY_EXPECTED = [
    "parameter True",
    "same modules True True True True True True True",
    "same objects True True",
    "engine names ['reference_engine'] reference_engine.nn reference_engine.nn",
    "executed twice []",
    "linear Parameter True",
    "real torch False",
]


def _env() -> dict[str, str]:
    """This checkout's engine first on the path, ahead of any installed copy."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP", "PYTHONINSPECT")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _python(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120)


def _code(text: str) -> str:
    return "import os, sys\nimport reference_engine\n" + textwrap.dedent(text)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- the alias -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alias",
    [
        "sys.modules['torch'] = reference_engine  # by hand",
        "from reference_engine import _as_torch\nassert _as_torch.install() is reference_engine",
    ],
    ids=["by-hand", "install"],
)
def test_torch_submodules_are_the_engines_own_modules(alias: str) -> None:
    proc = _python("-c", _code(alias + "\nimport torch\n" + ONE_COPY_CHECKS))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ONE_COPY_EXPECTED


def test_a_missing_submodule_fails_as_a_missing_module_and_real_torch_is_untouched() -> None:
    proc = _python("-c", _code("""\
        from reference_engine import _as_torch
        _as_torch.install()
        for name in ("torch.fx", "torch.ao.quantization"):
            try:
                __import__(name)
            except ModuleNotFoundError as exc:
                print(type(exc).__name__, exc, exc.name)
        import torch
        print("torch is engine", torch is reference_engine)
        """))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "ModuleNotFoundError No module named 'torch.fx' torch.fx",
        "ModuleNotFoundError No module named 'torch.ao' torch.ao",
        "torch is engine True",
    ]


def test_without_the_alias_torch_is_real_torch_and_install_refuses_to_mix_them() -> None:
    proc = _python("-c", _code("""\
        import torch.nn
        print(torch.nn.Linear.__module__, torch is reference_engine, reference_engine.nn.__name__)
        from reference_engine import _as_torch
        try:
            _as_torch.install()
        except RuntimeError as exc:
            print("refused:", exc)
        print(sys.modules["torch"] is torch)
        """))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "torch.nn.modules.linear False reference_engine.nn"  # the finder never acts for real torch
    assert lines[1].startswith("refused: cannot alias torch to reference_engine: real torch is already imported")
    assert lines[2] == "True"


# -- python -m reference_engine SCRIPT [ARGS] --------------------------------------------------------------

SCRIPT = """\
import os
import pickle
import sys

import reference_engine
import torch

print("argv", sys.argv)
print("name", __name__, __file__ == os.path.abspath(sys.argv[0]), sys.path[0] == os.path.dirname(__file__))
print("torch is the engine", torch is reference_engine)


class Point:
    pass


print("pickled", type(pickle.loads(pickle.dumps(Point()))).__name__, sys.modules["__main__"].Point is Point)
"""


def test_run_as_main_with_arguments(tmp_path: Path) -> None:
    _write(tmp_path / "sub" / "show.py", SCRIPT + ONE_COPY_CHECKS)
    proc = _python("-m", "reference_engine", "sub/show.py", "--lr", "0.5", "-v", "--", "x y", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "argv ['sub/show.py', '--lr', '0.5', '-v', '--', 'x y']"  # as `python SCRIPT ARGS` gives it
    assert lines[1:4] == ["name __main__ True True", "torch is the engine True", "pickled Point True"]
    assert lines[4:] == ONE_COPY_EXPECTED


def test_exit_status_and_traceback_are_those_of_python_script(tmp_path: Path) -> None:
    _write(tmp_path / "fails.py", """\
        import sys
        print("before", flush=True)


        def inner():
            raise ValueError("bad value 3")


        if sys.argv[1:] == ["exit"]:
            sys.exit(3)
        if sys.argv[1:] == ["message"]:
            sys.exit("stopped: reason")
        inner()
        """)  # fmt: skip
    _write(tmp_path / "syntax.py", "x = (\n")
    for args in (["fails.py"], ["fails.py", "exit"], ["fails.py", "message"], ["syntax.py"]):
        plain = _python(*args, cwd=tmp_path)
        engine = _python("-m", "reference_engine", *args, cwd=tmp_path)
        assert (engine.returncode, engine.stdout, engine.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    raised = _python("-m", "reference_engine", "fails.py", cwd=tmp_path)
    assert raised.returncode == 1 and raised.stderr.startswith("Traceback (most recent call last):\n")
    assert "__main__.py" not in raised.stderr and raised.stderr.endswith("ValueError: bad value 3\n")


def test_a_script_that_raises_in_torch_code_shows_the_engine_traceback(tmp_path: Path) -> None:
    _write(tmp_path / "shapes.py", """\
        import torch
        torch.ones(2, 3) @ torch.ones(2, 3)
        """)  # fmt: skip
    proc = _python("-m", "reference_engine", "shapes.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert f'File "{tmp_path / "shapes.py"}", line 2, in <module>' in proc.stderr
    assert "reference_engine" in proc.stderr and proc.stderr.rstrip().splitlines()[-1].startswith("RuntimeError:")


def test_usage_errors(tmp_path: Path) -> None:
    missing = _python("-m", "reference_engine", "nope.py", cwd=tmp_path)
    assert missing.returncode == 2
    assert f"can't open file {str(tmp_path / 'nope.py')!r}: [Errno 2] No such file or directory" in missing.stderr
    nothing = _python("-m", "reference_engine", cwd=tmp_path)
    assert nothing.returncode == 2 and "usage: python -m reference_engine SCRIPT [ARGS ...]" in nothing.stderr
    helped = _python("-m", "reference_engine", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "usage:" in helped.stdout
