"""Guarded baselines and an honest diff: `baseline update` takes only a run that can stand for the whole library
(or one a person forces, with the reason recorded); `conformance diff` fails on a NEW run that is incomplete,
empty or missing baseline items, and shows a known divergence that got worse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.record import RATCHET_KINDS
from conformance.report.baseline import diff_results, slim, update_baseline
from conformance.report.html import render
from conformance.report.merge import combine
from conformance.results import SCHEMA_VERSION, load_results, write_results


def _rec(item: str, status: str = "pass", margin: Any = 0.1, **fields: Any) -> dict[str, Any]:
    return {"id": f"{item}[float32-cpu-numpy]", "status": status, "tags": ["errors"], "message": "",
            "margin": margin, "kind": "scenario", **fields}  # fmt: skip


def _doc(records: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    """A results document in the documented schema (docs/reports.md)."""
    run = {"complete": True, "incomplete_reason": "", "partial": False, "narrowed_by": [], "not_run": [],
           "torch": "2.13.0+cpu", **run}  # fmt: skip
    return {"kind": "conformance-results", "schema_version": SCHEMA_VERSION, "run": run, "counts": {},
            "records": records}  # fmt: skip


GOOD = [_rec("a"), _rec("b", "xfail", None, expected_divergence="known")]


def _refused(tmp_path: Path, doc: dict[str, Any]) -> str:
    results, baseline = tmp_path / "results.json", tmp_path / "baseline.json"
    write_results(doc, results)
    with pytest.raises(ValueError, match="not accepted as the baseline") as info:
        update_baseline(results, baseline)
    assert not baseline.exists()
    return str(info.value)


# -- what update_baseline refuses ------------------------------------------------------------------------------------


def test_a_complete_run_of_passes_and_xfails_is_accepted(tmp_path: Path) -> None:
    write_results(_doc(GOOD), tmp_path / "results.json")
    note = update_baseline(tmp_path / "results.json", tmp_path / "baseline.json")
    base = load_results(tmp_path / "baseline.json")
    assert {r["id"]: r["status"] for r in base["records"]} == {"a[float32-cpu-numpy]": "pass",
                                                               "b[float32-cpu-numpy]": "xfail"}  # fmt: skip
    assert "forced" not in base["run"] and "FORCED" not in note
    assert base["run"]["complete"] is True and base["run"]["partial"] is False and base["run"]["narrowed_by"] == []


@pytest.mark.parametrize("status", ["diverge", "timeout", "runner-error", "crashed", "flaky", "xpass"])
def test_an_item_that_neither_passes_nor_is_an_xfail_is_refused(tmp_path: Path, status: str) -> None:
    text = _refused(tmp_path, _doc([*GOOD, _rec("bad", status)]))
    assert f"1 item(s) neither pass nor xfail: bad[float32-cpu-numpy] ({status})" in text
    assert "a[float32-cpu-numpy]" not in text and "--force REASON" in text


def test_many_bad_items_are_listed_up_to_ten(tmp_path: Path) -> None:
    text = _refused(tmp_path, _doc([_rec(f"s{i:02}", "diverge") for i in range(14)]))
    assert "14 item(s) neither pass nor xfail" in text and "s09[float32-cpu-numpy] (diverge)" in text
    assert "s10[" not in text and "and 4 more" in text


def test_an_incomplete_run_is_refused_with_its_reason(tmp_path: Path) -> None:
    text = _refused(tmp_path, _doc(GOOD, complete=False, incomplete_reason="interrupted; 3 collected item(s) did "
                                   "not run", interrupted=True))  # fmt: skip
    assert "the run is incomplete (interrupted; 3 collected item(s) did not run)" in text


def test_a_run_that_says_complete_but_left_items_unrun_is_refused(tmp_path: Path) -> None:
    text = _refused(tmp_path, _doc(GOOD, not_run=["c[float32-cpu-numpy]"], unreadable_lines=2))
    assert "1 collected item(s) did not run" in text and "2 unreadable record line(s)" in text


def test_a_narrowed_run_is_refused_naming_what_narrowed_it(tmp_path: Path) -> None:
    narrowed = ["-k relu", "-m training", "--deselect", "paths: scenarios/x.py", "shard 1/4",
                "12 library item(s) not collected"]  # fmt: skip
    text = _refused(tmp_path, _doc(GOOD, partial=True, narrowed_by=narrowed))
    assert "the run covered part of the library (" + ", ".join(narrowed) + ")" in text
    assert "part of the library (run.partial is true)" in _refused(tmp_path, _doc(GOOD, partial=True))


def test_an_empty_run_is_refused(tmp_path: Path) -> None:
    assert "it holds no records" in _refused(tmp_path, _doc([]))


def test_every_reason_is_listed_at_once(tmp_path: Path) -> None:
    text = _refused(tmp_path, _doc([_rec("x", "timeout")], complete=False, incomplete_reason="interrupted",
                                   partial=True, narrowed_by=["-k x"]))  # fmt: skip
    assert len([line for line in text.splitlines() if line.startswith("  - ")]) == 3


def test_items_of_a_ratchet_source_may_keep_their_known_failures(tmp_path: Path) -> None:
    (kind,) = RATCHET_KINDS
    write_results(_doc([*GOOD, _rec("op_add", "diverge", kind=kind)]), tmp_path / "results.json")
    update_baseline(tmp_path / "results.json", tmp_path / "baseline.json")
    assert len(load_results(tmp_path / "baseline.json")["records"]) == 3


def test_force_writes_anyway_and_records_why(tmp_path: Path) -> None:
    write_results(_doc([*GOOD, _rec("bad", "diverge")], partial=True, narrowed_by=["-k bad"]),
                  tmp_path / "results.json")  # fmt: skip
    note = update_baseline(tmp_path / "results.json", tmp_path / "baseline.json", force="torch 2.13 bug #1234")
    forced = load_results(tmp_path / "baseline.json")["run"]["forced"]
    assert forced["reason"] == "torch 2.13 bug #1234" and "FORCED: torch 2.13 bug #1234" in note
    assert forced["refused_for"] == ["the run covered part of the library (-k bad)",
                                     "1 item(s) neither pass nor xfail: bad[float32-cpu-numpy] (diverge)"]  # fmt: skip
    with pytest.raises(ValueError, match="--force needs a reason"):
        update_baseline(tmp_path / "results.json", tmp_path / "baseline.json", force="  ")


def test_the_cli_refuses_with_exit_2_and_forces_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results, baseline = tmp_path / "results.json", tmp_path / "baseline.json"
    write_results(_doc([*GOOD, _rec("slow", "timeout")]), results)
    update = ["baseline", "update", "--results", str(results), "--baseline", str(baseline)]
    assert cli.main(update) == 2 and not baseline.exists()
    err = capsys.readouterr().err
    assert "slow[float32-cpu-numpy] (timeout)" in err and "Traceback" not in err
    assert cli.main([*update, "--force", "why"]) == 0
    assert "FORCED: why" in capsys.readouterr().out
    assert load_results(baseline)["run"]["forced"]["reason"] == "why"
    with pytest.raises(SystemExit):  # the old option is gone: nothing accepts a run without saying why
        cli.main([*update, "--allow-incomplete"])


def test_slim_keeps_the_run_facts_a_baseline_is_judged_by() -> None:
    forced = {"reason": "r", "refused_for": ["x"]}
    run = slim(_doc(GOOD, partial=True, narrowed_by=["-k a"], complete=False, forced=forced))["run"]
    assert run["forced"] == forced and run["partial"] is True and run["narrowed_by"] == ["-k a"]
    assert run["complete"] is False


def test_all_shards_of_a_split_merge_into_a_run_that_can_be_the_baseline(tmp_path: Path) -> None:
    shards = [(f"shard{i}.json", _doc([_rec(f"s{i}")], partial=True, narrowed_by=[f"shard {i}/3"], shard=f"{i}/3"))
              for i in (1, 2, 3)]  # fmt: skip
    whole, _ = combine(shards)
    assert whole["run"]["partial"] is False and whole["run"]["narrowed_by"] == []
    write_results(whole, tmp_path / "results.json")
    update_baseline(tmp_path / "results.json", tmp_path / "baseline.json")
    two, _ = combine(shards[:2])
    assert two["run"]["narrowed_by"] == ["shard 1/3", "shard 2/3"]
    assert "shard 1/3, shard 2/3" in _refused(tmp_path / "two", two)
    narrowed = [(name, {**doc, "run": {**doc["run"], "narrowed_by": [*doc["run"]["narrowed_by"], "-m optim"]}})
                for name, doc in shards]  # fmt: skip
    assert combine(narrowed)[0]["run"]["narrowed_by"] == ["-m optim"]  # the split is whole; -m still narrows it


# -- conformance diff ------------------------------------------------------------------------------------------------


def _diff(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> int:
    write_results(old, tmp_path / "old.json")
    write_results(new, tmp_path / "new.json")
    return cli.main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")])


def test_diff_of_equal_complete_runs_passes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert _diff(tmp_path, _doc(GOOD), _doc(GOOD)) == 0
    assert "conformance diff:" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("new", "why"),
    [
        (_doc(GOOD, complete=False, incomplete_reason="interrupted"), "the new run is incomplete (interrupted)"),
        (_doc([]), "the new run has no records"),
        (_doc(GOOD[:1]), "1 baseline item(s) missing from the new run: b[float32-cpu-numpy]"),
    ],
)
def test_diff_fails_on_an_incomplete_empty_or_shrunken_new_run(
    tmp_path: Path, capsys: pytest.CaptureFixture, new: dict[str, Any], why: str
) -> None:
    assert _diff(tmp_path, _doc(GOOD), new) == 1
    out = capsys.readouterr().out
    assert f"conformance diff: {tmp_path / 'new.json'}: {why}" in out
    assert "NEW " not in out  # no regression: the run itself is what fails


def test_diff_shows_a_still_divergent_item_whose_margin_grew(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    old = _doc([_rec("worse", "xfail", 2.0), _rec("same", "diverge", 2.0), _rec("inf", "xfail", 3.0)])
    new = _doc([_rec("worse", "xfail", 50.0), _rec("same", "diverge", 15.0), _rec("inf", "xfail", "inf")])
    d = diff_results(load_results(_write(tmp_path / "o.json", old)), load_results(_write(tmp_path / "n.json", new)))
    assert d.still_grew == [("inf[float32-cpu-numpy]", 3.0, float("inf")), ("worse[float32-cpu-numpy]", 2.0, 50.0)]
    assert len(d.still) == 3 and d.grew == [] and d.regressions == 0
    assert "  WORSE    worse[float32-cpu-numpy]: 2 -> 50 (still divergent)" in d.lines()
    html = render(new, d)
    assert re.search(
        r'<td class="status-diverge">still divergent, margin grew</td><td>(<a href="#[^"]+">)?'
        r"worse\[float32-cpu-numpy\](</a>)?</td>",
        html,
    )
    assert _diff(tmp_path, old, new) == 0  # reported, not a failure: the item was already divergent
    assert "WORSE    worse[float32-cpu-numpy]" in capsys.readouterr().out
    # the plugin's in-run comparison ignores baseline items a narrowed run did not run
    partial = diff_results(old, _doc([_rec("worse", "xfail", 50.0)]), only_new_items=True)
    assert partial.missing == [] and [i for i, _, _ in partial.still_grew] == ["worse[float32-cpu-numpy]"]


def _write(path: Path, doc: dict[str, Any]) -> Path:
    write_results(doc, path)
    return path
