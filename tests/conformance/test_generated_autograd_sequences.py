"""Generated autograd call sequences, run on the engine and torch in lockstep and compared after every step.

The state machine's test is one item ``test_generated_autograd_sequences[generated-cpu-numpy]``.
"""

from __future__ import annotations

from hypothesis import settings

from conformance.generated import recorded
from conformance.strategies import autograd_machine
from tests.helpers import budget


class TestAutogradSequences(autograd_machine().TestCase):  # type: ignore[misc]
    settings = settings(max_examples=budget(500), stateful_step_count=15)

    @recorded("autograd-sequences", name="test_generated_autograd_sequences")
    def runTest(self) -> None:
        super().runTest()
