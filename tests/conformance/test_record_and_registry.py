"""The one record type, the one expected-divergence registry, and generated checks as items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conformance import generated
from conformance.loader import expected_reason, load_expected
from conformance.record import Record, judge
from conformance.report.baseline import BASELINE_FIELDS
from conformance.results import load_results
from conformance.scenario import ScenarioError
from conformance.strategies import Leaf, Program, Seed, Step, check_program
from tests.conformance.helpers import ROOT, nested_pytest, write


def test_the_committed_baseline_loads_as_records() -> None:
    baseline = load_results(ROOT / "reports" / "baseline.json")
    records = [Record.from_json(r) for r in baseline["records"]]
    assert records and {r.kind for r in records} == {"scenario", "script", "generated", "opinfo"}
    # hand-written items stand in the baseline only passing or as registered divergences; catalogue items
    # in any status (a ratchet), each with its checks, which the next run is compared with check by check
    assert all(r.status in ("pass", "xfail") for r in records if r.kind != "opinfo")
    assert all(isinstance(r.extra.get("checks"), dict) for r in records if r.kind == "opinfo")
    first = baseline["records"][0]
    assert Record.from_json(first).to_json().items() >= {k: first[k] for k in BASELINE_FIELDS if k in first}.items()


def test_a_record_round_trips_and_keeps_source_specific_data() -> None:
    record = Record("a[float32-cpu-numpy]", "diverge", "script", "a", "float32", "cpu-numpy", ["x"], "f.py", 3,
                    message="m", extra={"stdout": {"torch": "1", "engine": "2"}})  # fmt: skip
    data = record.to_json()
    assert data["stdout"] == {"torch": "1", "engine": "2"} and data["expected_divergence"] is None
    assert "reproducer" not in data  # fields a source does not fill stay out
    assert Record.from_json(data) == record


def test_judge_is_the_one_rule_for_every_source() -> None:
    assert judge(True, "", None) == ("pass", "")
    assert judge(True, "", "known")[0] == "xpass"
    assert judge(False, "- d", None) == ("diverge", "engine diverges from torch:\n- d")
    assert judge(False, "- d", "known", "printed output") == (
        "xfail",
        "engine diverges from torch (printed output):\n- d",
    )


def test_registry_entries_for_generated_checks(tmp_path: Path) -> None:
    path = write(tmp_path, "expected_divergences.toml", """\
        [[divergence]]
        generated = "programs"
        match = "x\\\\d+\\\\.grad \\\\[value\\\\]"
        reason = "a documented difference"
        """)  # fmt: skip
    (entry,) = load_expected(path)
    assert entry.matches_generated("programs", "- x0.grad [value]: 1 / 1 elements differ")
    assert not entry.matches_generated("training", "- x0.grad [value]: 1 / 1 elements differ")
    assert expected_reason([entry], "programs", "generated", "cpu-numpy") is None  # never matches an item by name


@pytest.mark.parametrize("body, needle", [
    ('generated = "programs"\nreason = "r"', "needs generated"),
    ('generated = "programs"\nmatch = "("\nreason = "r"', "not a valid regex"),
    ('generated = "programs"\nmatch = "x"\nscenario = "s"\nreason = "r"', "not scenario/dtypes/pairs"),
    ('scenario = "s"\nreason = ""', "non-empty reason"),
    ('scenario = "s"\nscope = "out"\nreason = "r"', "marks a whole catalogue entry"),
    ('opinfo = "to_sparse"\nscope = "in"\nreason = "r"', "marks a whole catalogue entry"),
    ('opinfo = "to_sparse"\nscope = "out"\nchecks = ["forward"]\nreason = "r"', "marks a whole catalogue entry"),
])  # fmt: skip
def test_malformed_registry_entries_name_the_entry(tmp_path: Path, body: str, needle: str) -> None:
    path = write(tmp_path, "expected_divergences.toml", "[[divergence]]\n" + body + "\n")
    with pytest.raises(ScenarioError, match="#1") as info:
        load_expected(path)
    assert needle in str(info.value)


def _relu_at_zero() -> Program:
    leaf = Leaf("x0", (0.0,), (1,), "float32", True)
    return Program((leaf,), (Step("v0", "torch.relu(x0)", (1,), "float32"),), Seed("implicit"), "float32")


def test_a_generated_divergence_carries_its_record_and_an_expected_one_is_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import reference_engine  # noqa: PLC0415 - the engine is patched only for this test

    monkeypatch.setattr(reference_engine, "relu", lambda x: reference_engine.ones_like(x) * x)  # relu' lost
    with pytest.raises(generated.DivergenceError) as info:
        check_program(_relu_at_zero())
    record = info.value.record
    assert record is not None and record.kind == "generated" and record.status == "diverge" and record.agree is False
    assert record.reproducer == _relu_at_zero().to_source() and "torch.relu(x0)" in record.reproducer
    assert record.first_divergence == "x0.grad"
    registry = write(tmp_path, "expected_divergences.toml", """\
        [[divergence]]
        generated = "programs"
        match = "x0\\\\.grad"
        reason = "planted"
        """)  # fmt: skip
    monkeypatch.setattr(generated, "_registry", lambda: tuple(load_expected(registry)))
    monkeypatch.setattr(generated, "EXPECTED_SEEN", {})
    check_program(_relu_at_zero())  # accepted: returns
    assert generated.EXPECTED_SEEN == {"programs": "planted"}


def test_generated_observations_become_checkpoints() -> None:
    obs = generated.observation("torch", {"x": np.ones(2, np.float32), "x.meta": ("torch.float32", None, True),
                                          "x.grad": None, "calls": 2, "error": ("ValueError", "bad")})  # fmt: skip
    kinds = {e.label: (e.kind, e.dtype) for e in obs.entries}
    assert kinds == {"x": ("tensor", "float32"), "x.meta": ("object", None), "x.grad": ("none", None),
                     "calls": ("int", None)}  # fmt: skip
    assert obs.error == ("ValueError", "bad")


PLANTED_RELU_BUG = """\
from reference_engine.ops import unary


def _relu_grad_one_at_zero(self, grad):
    return (grad * (self.saved("result") >= 0),)  # the bug: relu'(0) = 1 (torch: 0)


unary.ReluBackward0.apply = _relu_grad_one_at_zero
"""
GENERATED_TEST = """\
from conformance.generated import recorded
from conformance.strategies import Leaf, Program, Seed, Step, check_program


@recorded("programs")
def test_relu_program():
    leaf = Leaf("x0", (0.0, 1.0), (2,), "float32", True)
    check_program(Program((leaf,), (Step("v0", "torch.relu(x0)", (2,), "float32"),), Seed("implicit"), "float32"))
"""


def test_a_generated_failure_is_an_item_in_results_and_the_report(tmp_path: Path) -> None:
    # A real pytest run of a generated check against an engine with a planted bug: the failure must reach
    # results.json and the HTML report as its own item, with the minimal program as its reproducer.
    write(tmp_path / "gen", "_planted_bug.py", PLANTED_RELU_BUG)
    write(tmp_path / "gen", "conftest.py", "import _planted_bug  # noqa: F401\n")
    write(tmp_path / "gen", "test_gen.py", GENERATED_TEST)
    proc = nested_pytest(tmp_path, "-p", "no:xdist", "gen")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = load_results(tmp_path / "reports" / "results.json")
    (record,) = results["records"]
    assert record["kind"] == "generated" and record["status"] == "diverge", record
    assert record["first_divergence"] == "x0.grad" and "torch.relu(x0)" in record["reproducer"]
    html = (tmp_path / "reports" / "conformance.html").read_text()
    assert record["id"] in html and "torch.relu(x0)" in html
