"""Generated autograd call sequences, run on the engine and torch in lockstep and compared after every step."""

from __future__ import annotations

from hypothesis import settings

from conformance.strategies import autograd_machine
from tests.conftest import budget

TestAutogradSequences = autograd_machine().TestCase
TestAutogradSequences.settings = settings(max_examples=budget(500), stateful_step_count=15)
