"""OpInfo coverage (``conformance/report/coverage.py``): entry classes, the summary lines, ``conformance coverage``,
``conformance list --source``, and the report's coverage matrix, from hand-made plain records (the report renders
plain records, whatever produced them)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import conformance.opinfo
from conformance import cli
from conformance.report.coverage import coverage, entry_statuses, summary_lines
from conformance.report.html import render
from conformance.results import SCHEMA_VERSION, write_results
from tests.conformance.helpers import SCENARIOS

CHECKS = ("forward", "backward", "gradgrad", "forward_ad", "errors", "variants")


def _rec(entry: str, dtype: str, status: str, family: str = "linalg", **extra: Any) -> dict[str, Any]:
    """A catalogue item's record as the opinfo source writes it (checks: every check passes unless given)."""
    checks = extra.pop("checks", None)
    if checks is None:
        checks = dict.fromkeys(CHECKS, "pass")
        if status in ("diverge", "missing", "xfail", "xpass"):
            checks["backward"] = status
    return {"id": f"{entry}[{dtype}-cpu-numpy]", "status": status, "kind": "opinfo", "scenario": entry,
            "dtype": dtype, "pair": "cpu-numpy", "tags": ["opinfo", family], "file": "scenarios/opinfo.toml",
            "message": "" if status == "pass" else f"{entry} {status}", "family": family, "entry": entry,
            "checks": checks, **extra}  # fmt: skip


def _doc(records: list[dict[str, Any]], opinfo: dict[str, Any] | None = None) -> dict[str, Any]:
    run: dict[str, Any] = {"complete": True}
    if opinfo is not None:
        run["opinfo"] = opinfo
    return {"kind": "conformance-results", "schema_version": SCHEMA_VERSION, "run": run, "counts": {},
            "records": records}  # fmt: skip


META = {"available": True, "entries": 702, "torch": "2.13.0+cpu", "samples": 3}
RECORDS = [
    # agree: both core dtypes pass; the int64 extra diverges and does not count
    _rec("linalg.det", "float32", "pass"), _rec("linalg.det", "float64", "pass"),
    _rec("linalg.det", "int64", "diverge"),
    # expected: the one that does not pass is registered
    _rec("linalg.inv", "float32", "pass"), _rec("linalg.inv", "float64", "xfail"),
    # missing: a missing item beside a registered one is not "expected"
    _rec("linalg.norm", "float32", "missing"), _rec("linalg.norm", "float64", "xfail"),
    # diverge: any core divergence
    _rec("linalg.qr", "float32", "missing"), _rec("linalg.qr", "float64", "diverge"),
    # diverge, a runner problem (no verdict on the engine)
    _rec("linalg.svd", "float32", "runner-error", checks={}), _rec("linalg.svd", "float64", "pass"),
    # diverge: flaky and xpass are not agreement either
    _rec("sin", "float32", "flaky", family="unary"), _rec("sin", "float64", "pass", family="unary"),
    _rec("cos", "float32", "xpass", family="unary"),
    _rec("cos", "float64", "xfail", family="unary", checks={"forward": "pass", "backward": "xfail"}),
    # no core dtype: the fallback (bool, the first in the catalogue's fallback order) decides; float16 is extra
    _rec("logical_not", "bool", "pass", family="unary"), _rec("logical_not", "float16", "diverge", family="unary"),
    _rec("bitwise_not", "int64", "missing", family="unary"), _rec("bitwise_not", "bool", "pass", family="unary"),
]  # fmt: skip


def test_entries_are_classified_from_their_core_dtypes() -> None:
    assert entry_statuses(_doc(RECORDS)) == {
        "linalg.det": "agree", "linalg.inv": "expected", "linalg.norm": "missing", "linalg.qr": "diverge",
        "linalg.svd": "diverge", "sin": "diverge", "cos": "diverge", "logical_not": "agree",
        "bitwise_not": "missing",
    }  # fmt: skip
    entries = {e.entry: e for e in coverage(_doc(RECORDS)).entries}
    assert entries["logical_not"].core == ["bool"] and entries["bitwise_not"].core == ["int64"]
    assert entries["linalg.det"].core == ["float32", "float64"]
    assert [e.entry for e in entries.values() if e.runner_problem] == ["linalg.svd"]


def test_summary_lines_per_family_and_the_exact_last_line() -> None:
    assert summary_lines(_doc(RECORDS, META)) == [
        "  linalg: 1/5 agree, 1 missing, 2 diverge (1 of them runner problems), 1 expected",
        "  unary: 1/4 agree, 1 missing, 2 diverge, 0 expected",
        "(items of 9 of the catalogue's 702 entries ran in this run)",
        "opinfo: 2/702 entries agree, 2 missing, 4 diverge, 1 expected",
    ]


def test_without_metadata_n_is_the_entries_seen_and_the_lines_say_so() -> None:
    lines = summary_lines(_doc(RECORDS))
    assert lines[-1] == "opinfo: 2/9 entries agree, 2 missing, 4 diverge, 1 expected"
    assert any("9 is the number of entries seen" in line for line in lines)


def test_out_of_scope_entries_are_counted_apart() -> None:
    records = [
        _rec("to_sparse", "float32", "xfail", family="other", scope="out"),
        _rec("to_sparse", "float64", "xfail", family="other", scope="out"),
        # an out-of-scope entry that a core item still fails unregistered is not hidden as out of scope
        _rec("jiterator_unary", "float32", "missing", family="other", scope="out"),
        _rec("jiterator_unary", "float64", "xfail", family="other", scope="out"),
        _rec("kron", "float32", "xfail", family="other"), _rec("kron", "float64", "pass", family="other"),
        _rec("abs", "float32", "pass", family="other"), _rec("abs", "float64", "pass", family="other"),
    ]  # fmt: skip
    assert entry_statuses(_doc(records)) == {"to_sparse": "out-of-scope", "jiterator_unary": "missing",
                                             "kron": "expected", "abs": "agree"}  # fmt: skip
    assert summary_lines(_doc(records, META))[0] == (
        "  other: 1/4 agree, 1 missing, 0 diverge, 1 expected, 1 out of scope"
    )
    assert summary_lines(_doc(records, META))[-1] == (
        "opinfo: 1/702 entries agree, 1 missing, 0 diverge, 1 expected, 1 out of scope "
        "(1/701 of the entries in scope agree)"
    )


def test_a_record_without_entry_or_family_is_placed_by_its_id_and_tags() -> None:
    crash = {"id": "nn.functional.conv2d[float32-cpu-numpy]", "status": "crashed", "kind": "opinfo",
             "tags": ["opinfo", "nn.functional"], "message": "the worker died"}  # fmt: skip
    (entry,) = coverage(_doc([crash])).entries
    assert (entry.entry, entry.family, entry.status, entry.runner_problem) == ("nn.functional.conv2d",
                                                                               "nn.functional", "diverge", True)  # fmt: skip
    assert {c.status for c in entry.cells(["float32"])} == {"crashed"}  # shown as such, not as blank n/a cells


def test_coverage_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "results.json"
    write_results(_doc([*RECORDS, {"id": "other[float32-cpu-numpy]", "status": "pass", "tags": []}], META), path)
    assert cli.main(["coverage", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  linalg: 1/5 agree, 1 missing, 2 diverge (1 of them runner problems), 1 expected"
    assert out[-1] == "opinfo: 2/702 entries agree, 2 missing, 4 diverge, 1 expected"


def test_coverage_command_without_catalogue_items_says_why(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    scenario_only = [{"id": "relu[float32-cpu-numpy]", "status": "pass", "tags": []}]
    unavailable = {"available": False, "entries": 0, "torch": "2.13.0+cpu",
                   "reason": "torch's op_db cannot be imported (ModuleNotFoundError: No module named 'expecttest')"}  # fmt: skip
    write_results(_doc(scenario_only, unavailable), tmp_path / "unavailable.json")
    write_results(_doc(scenario_only, META), tmp_path / "narrowed.json")
    assert cli.main(["coverage", str(tmp_path / "unavailable.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["opinfo source did not run: torch's op_db cannot be imported (ModuleNotFoundError: No module "
                   "named 'expecttest')", "opinfo: 0/0 entries agree, 0 missing, 0 diverge, 0 expected"]  # fmt: skip
    assert cli.main(["coverage", str(tmp_path / "narrowed.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["no opinfo items in this run (narrowed?)",
                   "opinfo: 0/702 entries agree, 0 missing, 0 diverge, 0 expected"]  # fmt: skip


def test_coverage_command_on_a_missing_or_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["coverage", str(tmp_path / "nowhere.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("conformance: error: ") and "nowhere.json: cannot read results file" in err
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert cli.main(["coverage", str(tmp_path / "bad.json")]) == 2
    assert "bad.json: corrupt results file" in capsys.readouterr().err


def test_list_sources(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["list", "--dir", str(SCENARIOS)]) == 0
    library = capsys.readouterr().out
    assert cli.main(["list", "--dir", str(SCENARIOS), "--source", "scenarios"]) == 0
    assert capsys.readouterr().out == library  # `list` as it always was
    assert cli.main(["list", "--dir", str(SCENARIOS), "--source", "scripts"]) == 0
    scripts = capsys.readouterr().out.splitlines()
    assert scripts and all(" script " in line for line in scripts) and set(scripts) < set(library.splitlines())

    class Spec:
        def __init__(self, item_id: str) -> None:
            self.item_id = item_id

    monkeypatch.setattr(conformance.opinfo, "item_specs", lambda: [Spec("abs[float32-cpu-numpy]"),
                                                                    Spec("abs[float64-cpu-numpy]")])  # fmt: skip
    assert cli.main(["list", "--source", "opinfo"]) == 0
    assert capsys.readouterr().out == "abs[float32-cpu-numpy]\nabs[float64-cpu-numpy]\n"
    assert cli.main(["list", "--dir", str(SCENARIOS), "--source", "all"]) == 0
    assert capsys.readouterr().out == library + "abs[float32-cpu-numpy]\nabs[float64-cpu-numpy]\n"

    def unavailable() -> list[Any]:
        raise conformance.opinfo.CatalogueUnavailableError("no expecttest")

    monkeypatch.setattr(conformance.opinfo, "item_specs", unavailable)
    assert cli.main(["list", "--source", "opinfo"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "opinfo source unavailable: no expecttest" in captured.err


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_report_has_the_matrix_with_linked_cells_after_the_scenario_divergences() -> None:
    scenario = {"id": "relu[float32-cpu-numpy]", "status": "diverge", "kind": "scenario", "scenario": "relu",
                "dtype": "float32", "pair": "cpu-numpy", "tags": ["pointwise"], "message": "differs"}  # fmt: skip
    records = [*RECORDS, scenario]
    html = render(_doc(records, META))
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert html.index('<span class="item-id">relu[float32-cpu-numpy]</span>') < html.index('id="opinfo"')
    assert "opinfo: 2/702 entries agree, 2 missing, 4 diverge, 1 expected" in html
    matrix = _section(html, 'id="opinfo"', 'id="opinfo-items"')
    assert matrix.count('<details class="family"') == 2 and matrix.count('<div class="scroll-x">') == 2
    linalg = _section(matrix, "<strong>linalg</strong>", "</details>")
    assert re.search(r"1 agree.*1 missing.*2 diverge \(1 of them runner problems\).*1 expected", linalg, re.S)
    links = re.findall(r'<td class="c c-([a-z-]+)"><a href="#([^"]+)" title="([^"]+)">', matrix)
    assert links and all(target in ids for _, target, _ in links)  # every cell leads somewhere
    assert {status for status, _, _ in links} >= {"pass", "diverge", "missing", "xfail", "xpass", "runner-error"}
    # a cell of a failing item leads to its compact detail block, a passing one to its row of "All items"
    (qr,) = [t for s, t, title in links if title == "backward float64: diverge"]
    block = _section(html, f'id="{qr}"', "</section>")
    assert "linalg.qr[float64-cpu-numpy]" in block and "backward: diverge" in block
    det = re.findall(
        r'href="#([^"]+)"', _section(matrix, '<th class="entry" title="linalg.det">linalg.det</th>', "</tr>")
    )
    # check by check (6 checks), dtype by dtype: float32 and float64 pass, the int64 extra diverges
    assert len(det) == 18 and {t[:2] for t in det[0::3] + det[1::3]} == {"a-"} and {t[:2] for t in det[2::3]} == {"d-"}
    assert f'id="{det[0]}"><td>linalg.det[float32-cpu-numpy]</td>' in html  # its row of "All items"
    # blank cells: a check that did not apply (n/a), a dtype without an item
    assert '<td class="c c-na"></td>' in matrix and '<td class="c c-none"></td>' in matrix
    for status in ("pass", "diverge", "missing", "xfail", "xpass"):
        assert f".c-{status}" in html  # each status has its colour
    # the scenario summaries are not flooded: the catalogue has no row in the pass-rate grid
    grid = _section(html, 'id="matrix"', "</table>")
    assert "opinfo" not in grid and "linalg" not in grid and "pointwise" in grid


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
def test_the_matrix_scrolls_in_its_box_and_never_widens_a_narrow_page(tmp_path: Path) -> None:
    long = "nn.functional." + "a_very_long_variant_name_" * 8
    records = [*RECORDS, *(_rec(long, d, "diverge", family="nn.functional") for d in ("float32", "float64", "int64"))]
    # a probe of this test (not of the report): whether the page is wider than the window, once laid out
    probe = ('<script>window.addEventListener("load", function () { var d = document.documentElement;'
             ' document.body.dataset.wider = String(d.scrollWidth > d.clientWidth); });</script></body>')  # fmt: skip
    html = render(_doc(records, META)).replace('<details class="family"', '<details open class="family"')
    page = tmp_path / "conformance.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=360,800",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'data-ready="1"' in proc.stdout and 'data-wider="false"' in proc.stdout


def test_report_without_catalogue_items_has_no_matrix() -> None:
    html = render(_doc([{"id": "relu[float32-cpu-numpy]", "status": "pass", "tags": []}]))
    assert 'id="opinfo"' not in html and 'class="coverage"' not in html


def _synthetic(n_entries: int = 700) -> dict[str, Any]:
    """A full catalogue run's size: 2 items per entry, ~60% not passing with 5 differences each."""
    families = ("nn.functional", "linalg", "special", "fft", "masked", "unary", "binary", "reduction", "other")
    records = []
    for e in range(n_entries):
        for k, dtype in enumerate(("float32", "float64")):
            status = ("diverge", "missing", "xfail")[e % 3] if (2 * e + k) % 5 < 3 else "pass"
            diffs = [] if status == "pass" else [
                {"label": f"backward:s{i} d/input", "field": "value", "torch": "tensor([" + "0.12345678, " * 30 + "])",
                 "engine": "tensor([" + "0.12345679, " * 30 + "])", "detail": "max abs 1e-05 > atol 1e-07 at [3]",
                 "margin": 100.0} for i in range(5)]  # fmt: skip
            message = "" if status == "pass" else "engine diverges from torch:\n" + "x" * 3000
            records.append(_rec(f"op_{e:03d}", dtype, status, families[e % len(families)], differences=diffs,
                                message=message, samples=["SampleInput(input=Tensor[size=(5, 5)])"] * 3))  # fmt: skip
    return _doc(records, META)


def test_a_full_catalogue_report_stays_small_and_quick() -> None:
    doc = _synthetic()
    failing = sum(r["status"] != "pass" for r in doc["records"])
    assert len(doc["records"]) == 1400 and 800 <= failing <= 900
    start = time.perf_counter()
    html = render(doc)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, elapsed
    assert len(html.encode()) < 15_000_000, len(html.encode())
    assert html.count('class="item opinfo-item"') == failing
