"""Meta-tests: the generated suites catch deliberate, realistic engine bugs, and report them readably.

Each mutation (tests/meta/mutations.py) is applied by monkeypatching for a bounded, derandomized
run of the generated checkers; every one must be caught. Expected values inside the checkers come
from real torch.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, find, settings

from conformance import strategies
from conformance.strategies import DivergenceError, Program, programs
from tests.meta.mutations import MUTATIONS, catching_generator, run_generator


def test_every_mutation_is_caught_by_a_generated_suite(capsys: pytest.CaptureFixture) -> None:
    assert len(MUTATIONS) >= 12
    caught = {m.name: catching_generator(m) for m in MUTATIONS}
    rate = sum(g is not None for g, _, _ in caught.values()) / len(caught)
    with capsys.disabled():
        print(f"\nmutation catch rate: {rate:.0%} of {len(caught)}")
        for name, (gen, first, runs) in caught.items():
            print(f"  {name:36s} caught by {gen or 'NOTHING':9s} after {runs:3d} examples: {first[:80]}")
    assert rate == 1.0, {n: g for n, (g, _, _) in caught.items() if g is None}
    # a mutation that crashes on its own signature is not a realistic bug: it must fail as a wrong value/error
    assert not [n for n, (_, first, _) in caught.items() if "<locals>" in first]


@pytest.fixture(autouse=True)
def _not_counted() -> object:
    # examples run against mutated engines are not part of the generated-example count
    count = strategies.EXAMPLES_RUN["count"]
    yield
    strategies.EXAMPLES_RUN["count"] = count


def _mutation(name: str) -> object:
    return next(m for m in MUTATIONS if m.name == name)


def test_a_caught_divergence_prints_a_runnable_script_replay_hint_and_oracle_label() -> None:
    with _mutation("sin_derivative_sign").applied(), pytest.raises(DivergenceError) as info:
        run_generator("programs", 300)
    message = str(info.value)
    assert "oracle: engine wrong" in message
    assert "replay:" in message and "reproduce_failure" in message
    script = message.split("(standalone torch script) ---\n")[1].split("--- replay", maxsplit=1)[0]
    env: dict = {}
    exec(script.replace("print(", "(lambda *a: None)("), env)  # torch itself runs the printed program
    assert any(isinstance(v, torch.Tensor) for v in env.values())


def _diverges(program: Program) -> bool:
    try:
        strategies.check_program(program)
    except DivergenceError:
        return True
    return False


def test_a_divergence_shrinks_to_a_minimal_program() -> None:
    with _mutation("relu_grad_at_zero").applied():
        minimal = find(
            programs(),
            _diverges,
            settings=settings(
                max_examples=300, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
            ),
        )
    assert len(minimal.steps) == 1 and "relu" in minimal.steps[0].expr, minimal.to_source()
    assert 0.0 in minimal.leaves[0].values
