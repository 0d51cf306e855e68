"""A misspelled scenario name, decorator keyword, tag or registry key: one error, with the closest name."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cli, scenario
from conformance.loader import load_expected
from conformance.scenario import ScenarioError
from tests.conformance.helpers import SCENARIOS


def test_a_misspelled_decorator_keyword_names_its_line_and_the_keyword_meant() -> None:
    with pytest.raises(
        ScenarioError, match=r"test_did_you_mean\.py:\d+: .*unknown keyword 'tgs'; did you mean 'tags'\?"
    ):

        @scenario(tgs=["nn"])
        def misspelled(torch, check):  # pragma: no cover - never registered
            pass


def test_a_misspelled_tag_suggests_the_known_one() -> None:
    with pytest.raises(ScenarioError, match=r"unknown tag \['optimm'\]; did you mean 'optim'\?"):

        @scenario(tags=["optimm"])
        def tagged(torch, check):  # pragma: no cover - never registered
            pass


def test_a_misspelled_registry_key_suggests_the_key(tmp_path: Path) -> None:
    path = tmp_path / "expected_divergences.toml"
    path.write_text('[[divergence]]\nscenario = "x"\nreasn = "why"\n')
    with pytest.raises(
        ScenarioError, match=r"toml:3: \[\[divergence\]\] #1: unknown key 'reasn'; did you mean 'reason'\?"
    ):
        load_expected(path)


def test_show_suggests_the_scenario_meant(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["show", "seed_polynomal_fit"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("did you mean 'seed_polynomial_fit_2000_steps'?")
    assert err.count("\n") == 1  # one line for one mistake


def test_list_suggests_the_tag_meant(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["list", "--dir", str(SCENARIOS), "--tag", "trainin"]) == 2
    assert "no tag 'trainin'; did you mean 'training'?" in capsys.readouterr().err
