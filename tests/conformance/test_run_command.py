"""``conformance run SCRIPT [ARGS]``: one ordinary script on torch and on the engine, compared, from the command line.

Each case is a real ``python -m conformance.cli run ...`` in a temporary folder, on this checkout; the
comparison is conformance.script_scenario's (tested in test_script_scenarios.py), so these tests are about
what the command passes through and prints, and its exit status.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conformance.helpers import clean_env, write

# The imports that loaded a second copy of the engine before torch.<sub> resolved to the engine's own modules.
TRAINING = """\
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 2
X, y = torch.randn(32, 3), torch.randn(32, 1)
model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(steps):
    for xb, yb in DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True):
        opt.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    print(step, loss.item())
print(model[0].weight)
"""

# The engine's numbers are off by 0.1%: the planted divergence is on the second printed line.
PLANTED = """\
import torch

torch.manual_seed(0)
x = torch.randn(4)
print("first", x.sum().item())
scale = 1.001 if torch.__name__ == "reference_engine" else 1.0
print("second", (x * scale).sum().item())
print("third", 3)
"""

ARGS = """\
import sys
import torch

side = "engine" if torch.__name__ == "reference_engine" else "torch"
with open(side + ".txt", "w") as f:  # in the working directory the command was started in
    f.write(repr(sys.argv[1:]))
print("arguments", len(sys.argv) - 1)
"""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "conformance.cli", "run", *args]
    return subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=300)


def test_a_script_that_agrees_exits_0_with_the_verdict(tmp_path: Path) -> None:
    write(tmp_path, "train.py", TRAINING)
    proc = _run(tmp_path, "train.py", "--steps", "3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("train.py: agree (12 lines, margin "), proc.stdout  # 3 losses, the weight (9)
    assert proc.stdout.count("\n") == 1


def test_a_planted_divergence_exits_1_with_the_first_differing_line(tmp_path: Path) -> None:
    write(tmp_path, "planted.py", PLANTED)
    proc = _run(tmp_path, "planted.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("planted.py: diverge (1 of 3 stdout lines differ; torch ")
    assert lines[1].startswith("first difference: stdout line 2 [stdout]: 1 / 1 numbers differ; number 1: engine ")
    assert lines[2].startswith("  torch : second ") and lines[3].startswith("  engine: second ")
    assert lines[4] == "(-v shows every line of both outputs and both stderrs)"
    verbose = _run(tmp_path, "-v", "planted.py")
    assert verbose.returncode == 1
    assert "  torch : third 3\n  engine: third 3\n" in verbose.stdout  # every line, the agreeing ones too
    assert "! torch : second " in verbose.stdout
    # looser tolerance on the command line: the 0.1% is within it
    loose = _run(tmp_path, "--rtol", "0.01", "planted.py")
    assert loose.returncode == 0 and loose.stdout.startswith("planted.py: agree (3 lines"), loose.stdout


def test_a_script_that_raises(tmp_path: Path) -> None:
    write(tmp_path, "both.py", """\
        import torch
        print("value", torch.ones(2).sum().item())
        torch.ones(2, 3) @ torch.ones(2, 3)
        """)  # fmt: skip
    same = _run(tmp_path, "both.py")
    assert same.returncode == 0, same.stdout + same.stderr  # the same error on both sides is agreement
    assert same.stdout.startswith("both.py: agree (1 line,")
    write(tmp_path, "engine_only.py", """\
        import torch
        print("value", 1.5)
        if torch.__name__ == "reference_engine":
            raise ValueError("only on the engine")
        """)  # fmt: skip
    differ = _run(tmp_path, "engine_only.py")
    assert differ.returncode == 1, differ.stdout + differ.stderr
    lines = differ.stdout.splitlines()
    assert lines[0].startswith("engine_only.py: diverge (error differs; exit differs; torch ")
    assert lines[1:4] == ["first difference: <script> [error]: error differs", "  torch : None",
                          "  engine: ValueError: only on the engine"]  # fmt: skip
    assert lines[4] == "engine traceback:" and lines[-2] == "  ValueError: only on the engine"
    assert f'File "{tmp_path / "engine_only.py"}", line 4, in <module>' in differ.stdout


def test_arguments_reach_the_script_on_both_sides_unchanged(tmp_path: Path) -> None:
    write(tmp_path, "args.py", ARGS)
    given = ["--timeout", "5", "-v", "--", "two words", "-"]  # run's own option names, after SCRIPT: the script's
    proc = _run(tmp_path, "--timeout", "120", "args.py", *given)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("args.py: agree (1 line,")
    assert (tmp_path / "torch.txt").read_text() == repr(given)
    assert (tmp_path / "engine.txt").read_text() == repr(given)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert _run(fresh, "--fresh-cwd", "--", str(tmp_path / "args.py"), "x").returncode == 0
    assert list(fresh.iterdir()) == []  # each side ran in a folder of its own


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    none = _run(tmp_path)
    assert none.returncode == 2 and "the following arguments are required: SCRIPT" in none.stderr
    missing = _run(tmp_path, "missing.py")
    assert missing.returncode == 2 and "cannot read script" in missing.stderr and missing.stdout == ""
    write(tmp_path, "bad_setting.py", "# conformance: rtol = 0.5\nprint(1)\n")  # looser without a reason
    bad = _run(tmp_path, "bad_setting.py")
    assert bad.returncode == 2 and "needs tolerance_reason" in bad.stderr
    negative = _run(tmp_path, "--atol", "-1", "bad_setting.py")
    assert negative.returncode == 2 and "expected a finite number >= 0" in negative.stderr
