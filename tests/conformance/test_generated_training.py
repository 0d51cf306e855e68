"""Generated small training runs (Linear layers, activations, losses, optimizers, freeze masks), compared every step."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings

from conformance.generated import recorded
from conformance.strategies import TrainingRun, check_training, training_runs
from tests.helpers import budget


@recorded("training")
@settings(max_examples=budget(400))
@given(training_runs())
def test_generated_training_runs_match_torch(run: TrainingRun) -> None:
    check_training(run)


def test_a_conv_training_script_runs_standalone_under_torch() -> None:
    # The generated text is a real torch program: run it in a fresh namespace with `import torch`.
    run = TrainingRun(
        sizes=(8, 3, 2), activation="ReLU", loss="CrossEntropyLoss", optimizer="SGD",
        options=(("lr", 0.1), ("momentum", 0.9), ("nesterov", True)), frozen=(False, True, False, False, False, False),
        steps=2, dtype="float32", seed=1, conv=(1, 2, 2, 3),  # Conv2d(1, 2, 2) on 3x3 -> 2 x 2 x 2 = 8 features
    )  # fmt: skip
    printed: list = []
    exec(run.to_source(), {"print": lambda *args: printed.append(args), "__name__": "script"})
    assert len(printed) == 4 * run.steps
    observed = run.run(torch)
    assert "error" not in observed
    np.testing.assert_array_equal(observed[f"step{run.steps - 1}.loss[0]"], printed[-2][2][0].numpy())
