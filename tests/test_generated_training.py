"""Generated small training runs (Linear layers, activations, losses, optimizers, freeze masks), compared every step."""

from __future__ import annotations

from hypothesis import given, settings

from conformance.strategies import TrainingRun, check_training, training_runs
from tests.conftest import budget


@settings(max_examples=budget(400))
@given(training_runs())
def test_generated_training_runs_match_torch(run: TrainingRun) -> None:
    check_training(run)
