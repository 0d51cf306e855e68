"""The page's parts that need no browser: expected divergences shaded as expected, the tensor's own indices,
one table for a scalar series, claims beside torch and the engine, stable anchors, plots with a tolerance band."""

from __future__ import annotations

import re
from typing import Any

from conformance.report.html import _index, plot, render


def _doc(records: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"kind": "conformance-results", "schema_version": 2, "counts": counts, "records": records,
            "run": {"complete": True, "torch": "2.13.0", "start": 10.0, "end": 72.5, "seed": "per item"}}  # fmt: skip


def _rec(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"{name}[float32-cpu-numpy]", "status": status, "tags": ["nn"], "message": "", "kind": "scenario",
            "scenario": name, "dtype": "float32", "pair": "cpu-numpy", **extra}  # fmt: skip


def test_an_area_whose_other_items_are_registered_divergences_is_shaded_expected_not_failing() -> None:
    html = render(_doc([_rec("a", "pass"), _rec("b", "xfail", expected_divergence="known")]))
    assert '<td class="expected">1/2 (50%) +1 expected</td>' in html
    html = render(_doc([_rec("a", "pass"), _rec("b", "diverge")]))
    assert '<td class="part">1/2 (50%)</td>' in html


def test_element_indices_are_the_tensors_own() -> None:
    assert _index(11, [3, 4]) == "[2, 3]" and _index(5, [2, 3, 1]) == "[1, 2, 0]" and _index(3, [7]) == "[3]"
    assert _index(3, None) == "3"


def test_a_scalar_series_is_one_table_and_claims_sit_beside_both_sides() -> None:
    cps = [{"label": f"loss@{s}", "field": "value", "shape": [], "size": 1, "torch": [f"{s}.0"],
            "engine": [f"{s}.5"], "bad": [0], "max_abs": 0.5, "max_rel": 0.1, "rtol": 1e-5, "atol": 1e-8,
            "margin": 9.0, "mismatched": 1} for s in range(11)]  # fmt: skip
    claims = [{"label": "a.grad", "claim": "0", "torch": "None", "engine": "None",
               "claim_vs_torch": "claim disagrees with torch", "claim_vs_engine": "claim disagrees with engine"}]  # fmt: skip
    html = render(_doc([_rec("fit", "diverge", checkpoints=cps, claims=claims, first_divergence="loss@0")]))
    assert html.count('<table class="vals scalars sortable">') == 1 and html.count('<table class="vals">') == 0
    assert html.count("<td>loss@") == 11
    claims_table = html.split('id="claims-table"')[1].split("</table>")[0]
    assert "claim disagrees with torch (informational)" in claims_table
    assert '<a href="#item-fit-float32-cpu-numpy">fit[float32-cpu-numpy]</a>' in claims_table


def test_anchors_are_made_from_ids_and_stay_unique() -> None:
    html = render(_doc([_rec("a b", "diverge"), _rec("a/b", "diverge"), _rec("ok", "pass")]))
    assert 'id="item-a-b-float32-cpu-numpy"' in html and 'id="item-a-b-float32-cpu-numpy-2"' in html
    assert 'id="row-ok-float32-cpu-numpy"' in html
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "duration</dt><dd>62.5 s" in html  # the run's metadata in words, at the top


def test_a_plot_has_ticks_and_the_band_the_tolerance_allows() -> None:
    p = plot(
        "loss", {"steps": [0, 1, 2], "torch": [4.0, 2.0, 1.0], "engine": [4.0, 2.1, 1.0], "tolerance": [0.01, 0.0]}
    )
    assert p is not None and p["tolerance"] == [0.01, 0.0] and p["band"]
    assert [label for _, label in p["x_ticks"]] == ["0", "1", "2"]
    assert p["d_range"][1] >= 0.1 and p["d_range"][0] <= -0.04  # the band (0.04 at step 0) is inside the axis
    html = render(_doc([_rec("fit", "diverge", curves={"loss": {"steps": [0, 1, 2], "torch": [4.0, 2.0, 1.0],
                                                                "engine": [4.0, 2.1, 1.0], "tolerance": [0.01, 0.0]}})]))  # fmt: skip
    assert '<polygon class="band"' in html and ">torch</text>" in html and ">engine</text>" in html
