"""The shard recipe of docs/reports.md end to end: shards run with their own --conformance-reports folders and
still compare with the committed reports/baseline.json; `merge` of every shard is complete and can become the
baseline; `merge` warns about a missing or a repeated shard; `diff` defaults to the baseline and the latest run."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cli
from conformance.results import load_results
from tests.conformance.helpers import nested_pytest, write

LIBRARY = """\
from conformance import scenario


@scenario(tags=["pointwise"], dtypes=["float32", "float64"])
def doubles(torch, check):
    check("y", torch.tensor([1.0, 2.0]) * 2)


@scenario(tags=["pointwise"], dtypes=["float32", "float64"])
def sums(torch, check):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.sum().backward()
    check("x.grad", x.grad)
"""


def _shards(root: Path) -> list[Path]:
    """Both shards of the library, each writing to its own folder (as CI's matrix jobs do)."""
    files = []
    for i in (1, 2):
        out = root / "out" / f"shard{i}"
        proc = nested_pytest(root, "-p", "no:xdist", "--conformance-in-process", f"--conformance-shard={i}/2",
                             "--conformance-reports", str(out))  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        files.append(out / "results.json")
    return files


def test_two_shards_merge_diff_and_promote_to_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    write(tmp_path / "scenarios", "lib.py", LIBRARY)
    monkeypatch.chdir(tmp_path)
    files = _shards(tmp_path)
    ids = [{r["id"] for r in load_results(f)["records"]} for f in files]
    assert ids[0] and ids[1] and not ids[0] & ids[1]

    # every shard: complete, not partial, and accepted as the baseline
    merged = tmp_path / "reports" / "results.json"
    assert cli.main(["merge", *map(str, files), "-o", str(merged)]) == 0
    assert "warning" not in capsys.readouterr().err
    doc = load_results(merged)
    assert doc["run"]["complete"] and doc["run"]["partial"] is False and len(doc["records"]) == 4
    assert cli.main(["baseline", "update"]) == 0  # defaults: reports/results.json -> reports/baseline.json
    assert len(load_results(tmp_path / "reports" / "baseline.json")["records"]) == 4
    capsys.readouterr()
    assert cli.main(["diff"]) == 0  # defaults: the baseline against the latest results
    out_text = capsys.readouterr().out
    assert out_text.startswith("reports/baseline.json -> reports/results.json")
    assert "baseline: 0 new divergence(s), 0 fixed" in out_text

    # a later shard run writing elsewhere still compares with the committed baseline
    out = tmp_path / "out" / "again"  # nothing named baseline.json there: the committed one is used
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "--conformance-in-process", "--conformance-shard=1/2",
                         "--conformance-reports", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "no baseline at" not in proc.stdout and "baseline: 0 new divergence(s), 0 fixed" in proc.stdout
    assert not (out / "baseline.json").exists()


def test_merge_warns_about_a_missing_and_a_repeated_shard(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path / "scenarios", "lib.py", LIBRARY)
    first, _ = _shards(tmp_path)
    out = tmp_path / "merged.json"
    assert cli.main(["merge", str(first), "-o", str(out)]) == 0
    assert "warning: shard(s) 2/2 missing: the merge covers part of the library" in capsys.readouterr().err
    assert load_results(out)["run"]["partial"] is True
    assert cli.main(["merge", str(first), str(first), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"warning: shard 1/2 given twice ({first} and {first})" in err and "2/2 missing" in err
