"""Differential testing of reference_engine against PyTorch.

Scenario files import the authoring API from here: ``from conformance import scenario``.
"""

from .scenario import Scenario, ScenarioError, scenario

__all__ = ["Scenario", "ScenarioError", "scenario"]
