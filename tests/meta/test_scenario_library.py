"""Meta-tests of the scenario library itself: size, coverage of the seed's NOTES rows, well-formedness."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.backends import CPU_PAIR, CUDA_PAIR, cuda_available
from conformance.generated import CHECKS as GENERATED_CHECKS
from conformance.loader import EXPECTED_FILE, load_expected, load_scenario_file, torch_release_matches
from conformance.observe import run_scenario
from conformance.scenario import Scenario, ScenarioError

SCENARIOS = Path(__file__).resolve().parent.parent.parent / "scenarios"

# NOTES.md rows (seed examples, as run on torch 2.13) -> the scenarios that reproduce them.
NOTES_ROWS: dict[int, tuple[str, ...]] = {
    1: ("plain_tensor_does_not_require_grad", "factory_functions_default_to_no_grad"),
    2: ("conv2d_parameters_require_grad", "linear_parameters_require_grad"),
    3: ("requires_grad_propagates_through_ops", "propagation_through_mixed_inputs"),
    4: ("fine_tune_new_head_only", "frozen_model_output_does_not_require_grad"),
    5: ("sum_of_double",),
    6: ("non_scalar_backward_without_seed",),
    7: ("integer_seed_all_ones",),
    8: ("integer_seed_weights", "float_seed_weights"),
    9: ("integer_tensor_requires_grad", "float_scalar_unused_in_graph_gets_zero_grad"),
    10: ("retain_graph_accumulates",),
    11: ("zero_grad_between_backward_calls",),
    12: ("second_backward_on_freed_graph", "second_backward_on_freed_graph_without_saved_tensors"),
    13: ("seed_shape_mismatch",),
    14: ("seed_polynomial_fit_2000_steps",),
}
# The other behaviours NOTES lists below its table.
NOTES_EXTRAS = (
    "pow_by_integer_exponent_tensor", "module_zero_grad_sets_none", "frozen_model_output_does_not_require_grad",
    "non_leaf_grad_access_warns", "inplace_on_leaf_requiring_grad_fails",
)  # fmt: skip
# The areas the issue asks the library to cover, by tag.
REQUIRED_TAGS = (
    "requires_grad", "seeds", "accumulation", "freezing", "training", "errors", "no_grad", "detach", "retain_grad",
    "hooks", "autograd_grad", "double_backward", "inplace", "broadcasting", "dtype_promotion", "optim",
)  # fmt: skip


def _library() -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for path in sorted(SCENARIOS.glob("[a-z]*.py")):
        for sc in load_scenario_file(path):
            assert sc.name not in out, f"duplicate scenario {sc.name}: {sc.where} and {out[sc.name].where}"
            out[sc.name] = sc
    return out


LIBRARY = _library()


def test_library_has_at_least_60_scenarios() -> None:
    assert len(LIBRARY) >= 60


@pytest.mark.parametrize("row", sorted(NOTES_ROWS))
def test_every_notes_row_has_a_scenario(row: int) -> None:
    missing = [name for name in NOTES_ROWS[row] if name not in LIBRARY]
    assert not missing, f"NOTES row {row}: no scenario named {missing}"


def test_notes_extras_and_required_areas_are_covered() -> None:
    assert [n for n in NOTES_EXTRAS if n not in LIBRARY] == []
    tags = {t for sc in LIBRARY.values() for t in sc.tags}
    assert [t for t in REQUIRED_TAGS if t not in tags] == []


def test_seed_row_9_carries_the_posts_claim() -> None:
    sc = LIBRARY["integer_tensor_requires_grad"]
    assert sc.claim == {"a.grad": 0} and sc.claim_source


def test_training_run_is_the_full_2000_steps_in_both_float_dtypes() -> None:
    sc = LIBRARY["seed_polynomial_fit_2000_steps"]
    assert set(sc.dtypes) == {"float32", "float64"}
    assert sc.func.__globals__["STEPS"] == 2000


def test_dtype_sensitive_areas_run_in_float32_and_float64() -> None:
    both = [sc.name for sc in LIBRARY.values() if {"float32", "float64"} <= set(sc.dtypes)]
    assert len(both) >= 30


def test_expected_divergence_registry_matches_scenarios() -> None:
    scripts = {path.stem for path in (SCENARIOS / "scripts").glob("[a-z]*.py")}
    for entry in load_expected(SCENARIOS / EXPECTED_FILE):
        if entry.generated:
            assert entry.generated in GENERATED_CHECKS, f"{entry.where}: no generated check {entry.generated!r}"
        elif entry.opinfo:
            # an entry of torch's op catalogue: the catalogue source checks the name against op_db; only an entry
            # out of the engine's scope covers every check of every dtype
            assert entry.checks or entry.dtypes or entry.scope == "out", (
                f'{entry.where}: a catalogue entry names its checks or dtypes (or is scope = "out")'
            )
        else:
            assert entry.scenario in LIBRARY or entry.scenario in scripts, (
                f"{entry.where}: no scenario {entry.scenario!r}"
            )


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_scenario_raises_on_torch_only_when_tagged_errors(name: str) -> None:
    # A scenario that errors on torch by accident would compare two failures and prove nothing.
    sc = LIBRARY[name]
    if "cpu" in sc.devices:
        side = CPU_PAIR.torch
    elif cuda_available():
        side = CUDA_PAIR.torch
    else:
        pytest.skip(f"{name} runs on the GPU pair only, and this machine has none")
    obs = run_scenario(sc.func, side, sc.dtypes[0], 0, {}, True)
    if "errors" not in sc.tags:
        assert obs.error is None, f"{sc.where}: raises on torch: {obs.error}\n{obs.error_traceback}"
    assert obs.entries or obs.error, f"{sc.where}: records nothing"


@pytest.mark.parametrize(
    ("condition", "installed", "want"),
    [
        ("<2.13", "2.11.0+cu130", True), ("<2.13", "2.13.0", False), ("<2.13", "2.13.1+cpu", False),
        (">=2.14.1", "2.14.1", True), (">=2.14.1", "2.14.0", False), ("==2.13", "2.13.0+cpu", True),
        (">2.13", "2.13.5", False), ("<=2.13", "2.13.5", True), ("<2.14", "2.14.0a0+git1234", False),
    ],
)  # fmt: skip
def test_torch_release_conditions(condition: str, installed: str, want: bool) -> None:
    assert torch_release_matches(condition, installed) is want


def test_registry_entry_with_a_torch_condition_applies_only_to_those_releases(tmp_path: Path) -> None:
    registry = tmp_path / EXPECTED_FILE
    registry.write_text(
        '[[divergence]]\nscenario = "s"\ntorch = "<1.0"\nreason = "old torch"\n'
        '[[divergence]]\nscenario = "s"\ntorch = ">=1.0"\nreason = "this torch"\n'
    )
    old, current = load_expected(registry)
    assert not old.matches("s", "float32", "cpu-numpy")
    assert current.matches("s", "float32", "cpu-numpy")
    registry.write_text('[[divergence]]\nscenario = "s"\ntorch = "2.13"\nreason = "no operator"\n')
    with pytest.raises(ScenarioError, match="torch condition must look like"):
        load_expected(registry)
