"""A run against another torch than the baseline's: every view says so first, and items known to depend on the torch
release (a scenario's ``versioned``, a catalogue entry only one release has) are listed apart, not as engine
regressions. Also: every stored record carries the torch it was compared with."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance import cli, results
from conformance.report.baseline import diff_results
from conformance.report.html import render
from conformance.report.summary import summary
from conformance.results import SCHEMA_VERSION, open_store, store_record, write_results

CLAMP_REASON = "torch 2.14: clamp's gradient is zero at the bounds (2.13 passes it there)"


def _rec(item: str, status: str = "pass", kind: str = "scenario", **fields: Any) -> dict[str, Any]:
    return {"id": f"{item}[float32-cpu-numpy]", "status": status, "tags": ["pointwise"], "message": "",
            "margin": 0.0, "kind": kind, **fields}  # fmt: skip


def _doc(records: list[dict[str, Any]], torch: str) -> dict[str, Any]:
    run = {"complete": True, "incomplete_reason": "", "partial": False, "narrowed_by": [], "not_run": [],
           "torch": torch, "engine_mirrors": torch[:4]}  # fmt: skip
    return {"kind": "conformance-results", "schema_version": SCHEMA_VERSION, "run": run, "counts": {},
            "records": records}  # fmt: skip


BASELINE = _doc(
    [
        _rec("clamp_gradient_at_bounds", versioned=CLAMP_REASON),
        _rec("relu_gradient_at_zero"),
        _rec("cholesky", kind="opinfo", checks={"forward": "pass"}),  # an entry torch 2.14 dropped
        _rec("sigmoid_chain"),
    ],
    "2.13.0+cpu",
)
RUN_214 = _doc(
    [
        _rec("clamp_gradient_at_bounds", "diverge", versioned=CLAMP_REASON),  # say the engine lagged behind
        _rec("relu_gradient_at_zero"),
        _rec("linalg.polar", kind="opinfo", checks={"forward": "pass"}),  # an entry torch 2.14 added
        _rec("sigmoid_chain", "diverge"),  # not marked: reported as new, under the banner
    ],
    "2.14.1+cu130",
)


def test_the_diff_names_the_oracle_change_and_lists_versioned_items_apart() -> None:
    d = diff_results(BASELINE, RUN_214)
    assert d.oracle == ("2.13.0+cpu", "2.14.1+cu130")
    assert d.versioned == [
        ("clamp_gradient_at_bounds[float32-cpu-numpy]", "pass", "diverge"),
        ("linalg.polar[float32-cpu-numpy]", "absent", "pass"),
        ("cholesky[float32-cpu-numpy]", "pass", "absent"),
    ]
    assert [i for i, _, _ in d.new] == ["sigmoid_chain[float32-cpu-numpy]"]
    assert d.missing == []  # the dropped catalogue entry is the oracle's doing, not a shrunken run
    lines = d.lines()
    assert lines[0].startswith("ORACLE CHANGED: the baseline was made with torch 2.13.0+cpu, this run with torch "
                               "2.14.1+cu130. 3 item(s) known to depend on the torch release")  # fmt: skip
    assert "  VERSIONED clamp_gradient_at_bounds[float32-cpu-numpy]: pass -> diverge" in lines


def test_the_same_torch_gives_no_banner_and_versioned_items_count_as_usual() -> None:
    again = _doc(RUN_214["records"], "2.13.0+cpu")
    d = diff_results(BASELINE, again)
    assert d.oracle is None and d.versioned == [] and d.oracle_line() == ""
    assert "clamp_gradient_at_bounds[float32-cpu-numpy]" in [i for i, _, _ in d.new]
    assert d.missing == ["cholesky[float32-cpu-numpy]"]


def test_summary_html_and_cli_put_the_change_first(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    d = diff_results(BASELINE, RUN_214)
    text = summary(RUN_214, d, markdown=False)
    assert text.splitlines()[1].startswith("ORACLE CHANGED")
    assert "VERSIONED clamp_gradient_at_bounds[float32-cpu-numpy]: pass -> diverge" in text
    md = summary(RUN_214, d, markdown=True)
    assert md.splitlines()[1].startswith("**ORACLE CHANGED")
    html = render(RUN_214, d)
    assert html.index('id="oracle-changed"') < html.index("<h2>")  # above everything else
    assert re.search(
        r'<td>(<a href="#[^"]+">)?clamp_gradient_at_bounds\[float32-cpu-numpy\](</a>)?</td>'
        r"<td>pass</td><td>diverge</td>",
        html,
    )
    assert "mirroring torch 2.14" in html
    write_results(BASELINE, tmp_path / "old.json")
    write_results(RUN_214, tmp_path / "new.json")
    assert cli.main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1  # sigmoid_chain
    out = capsys.readouterr().out
    assert "ORACLE CHANGED" in out and "VERSIONED clamp_gradient_at_bounds" in out


def test_every_stored_record_carries_the_oracle_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results, "_ORACLE", {"torch": None})  # this process's own stamp is left as it was
    store = tmp_path / "w.jsonl"
    previous = open_store(store, "2.14.1+cu130")
    try:
        store_record({"id": "x", "status": "pass", "tags": [], "message": ""})
        store_record({"id": "y", "status": "pass", "tags": [], "message": "", "torch": "2.13.0+cpu"})
    finally:
        open_store(previous)
    stored = [json.loads(line) for line in store.read_text().splitlines()]
    assert [r["torch"] for r in stored] == ["2.14.1+cu130", "2.13.0+cpu"]


def test_registry_conditions_on_the_build() -> None:
    import torch  # noqa: PLC0415

    from conformance.loader import parse_torch_condition, torch_release_matches  # noqa: PLC0415

    cuda = torch.version.cuda is not None
    assert torch_release_matches("cuda build") is cuda
    assert torch_release_matches("cpu build") is not cuda
    assert parse_torch_condition("cuda build") == (None, ())
    with pytest.raises(ValueError, match="cuda build"):
        parse_torch_condition("gpu")
