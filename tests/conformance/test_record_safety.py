"""Records that are always writable and readable: UTF-8 safe strings, capped sizes, typed fields on load,
worker files that never crash the merge, writes that leave nothing half done, the last report moved aside."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.record import MAX_ENTRIES, MAX_TEXT, Record
from conformance.report.html import render, write_html
from conformance.results import (
    SCHEMA_VERSION,
    ResultsFileError,
    append_record,
    load_results,
    move_aside,
    read_records,
    restore_aside,
    write_results,
)
from tests.conformance.helpers import ROOT, inline, report_of

UNDECODABLE = b"caf\xff".decode("utf-8", "surrogateescape")  # what os.fsdecode / a subprocess gives for bad bytes


def _doc(records: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    return {"kind": "conformance-results", "schema_version": SCHEMA_VERSION, "run": {"complete": True, **run},
            "counts": {}, "records": records}  # fmt: skip


def _encodes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


# -- UTF-8 ---------------------------------------------------------------------------------------------------------


def test_lone_surrogates_in_any_field_become_escaped_text() -> None:
    with pytest.raises(UnicodeEncodeError):  # the fault: such a string cannot be written as UTF-8 at all
        _encodes({"message": UNDECODABLE})
    record = Record("item[float32-cpu-numpy]", "diverge", scenario="item", message=f"engine said {UNDECODABLE}",
                    errors={"torch": None, "engine": f"RuntimeError: {UNDECODABLE}"},
                    differences=[{"label": UNDECODABLE, "field": "value", "torch": "1", "engine": "2", "detail": ""}],
                    extra={"stdout": {"torch": UNDECODABLE, "engine": ""}, UNDECODABLE: [UNDECODABLE]})  # fmt: skip
    data = record.to_json()
    _encodes(data)  # no UnicodeEncodeError
    assert data["message"] == "engine said caf\\udcff" and data["errors"]["engine"] == "RuntimeError: caf\\udcff"
    assert data["differences"][0]["label"] == "caf\\udcff" and data["stdout"]["torch"] == "caf\\udcff"
    assert data["caf\\udcff"] == ["caf\\udcff"]  # keys too


def test_a_scenario_that_labels_and_raises_undecodable_text_is_written_loaded_and_rendered(tmp_path: Path) -> None:
    def undecodable(torch, check):
        check(f"label {UNDECODABLE}", torch.ones(2) * (2 if torch.__name__ != "torch" else 1))
        if torch.__name__ != "torch":
            raise RuntimeError(f"message {UNDECODABLE}")

    results = report_of(tmp_path, [(inline(undecodable, tags=["errors"]), "float32")])  # run, merge, write, load
    (record,) = results["records"]
    assert record["status"] == "diverge"
    assert "RuntimeError: message caf\\udcff" in record["errors"]["engine"]
    _encodes(results)
    write_html(results, tmp_path / "conformance.html")
    html = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert "RuntimeError: message caf\\udcff" in html and "label caf\\udcff" in html


def test_files_written_before_are_made_safe_when_read(tmp_path: Path) -> None:
    # json.dumps' default ensure_ascii wrote lone surrogates as \\udcff escapes, which load as lone surrogates again
    record = {"id": f"a{UNDECODABLE}", "status": "pass", "tags": [], "message": UNDECODABLE}
    (tmp_path / "gw0.jsonl").write_text(json.dumps(record) + "\n", encoding="ascii")
    (tmp_path / "old.json").write_text(json.dumps(_doc([record])), encoding="ascii")
    (read,), bad = read_records(tmp_path / "gw0.jsonl")
    assert bad == 0 and read["id"] == "acaf\\udcff" and read["message"] == "caf\\udcff"
    loaded = load_results(tmp_path / "old.json")
    assert loaded["records"][0]["message"] == "caf\\udcff"
    render(loaded).encode("utf-8")


# -- sizes ---------------------------------------------------------------------------------------------------------

BIG = 1_000_000


def test_a_megabyte_message_and_label_stay_small_in_results_and_html(tmp_path: Path) -> None:
    def huge(torch, check):
        check("L" * BIG, torch.ones(2) * (2 if torch.__name__ != "torch" else 1))
        if torch.__name__ != "torch":
            raise RuntimeError("M" * BIG)

    results = report_of(tmp_path, [(inline(huge, tags=["errors"]), "float32")])
    (record,) = results["records"]
    assert record["status"] == "diverge"
    size = (tmp_path / "results.json").stat().st_size
    assert size < 100_000, size
    assert record["errors"]["engine"].endswith(f"\u2026 [cut: {BIG + len('RuntimeError: ')} characters in all]")
    assert len(record["errors"]["engine"]) == MAX_TEXT and len(record["message"]) <= MAX_TEXT
    (value,) = [d for d in record["differences"] if d["field"] == "value"]
    assert value["label"].endswith(f"\u2026 [cut: {BIG} characters in all]") and len(value["label"]) == MAX_TEXT
    write_html(results, tmp_path / "conformance.html")
    html = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert len(html.encode()) < 100_000, len(html)
    # a 10,000-character word must wrap or scroll in its own box, never widen the page (the browser test
    # measures a page at 420 px): a message wraps; code and tables scroll inside their box
    assert re.search(r"body \{[^}]*overflow-wrap: anywhere", html)
    assert re.search(r"pre\.message[^{]*\{[^}]*white-space: pre-wrap[^}]*overflow-wrap: anywhere", html)
    assert re.search(r"pre \{[^}]*overflow-x: auto[^}]*max-width: 100%", html)
    assert re.search(r"\.scroll-x \{[^}]*overflow-x: auto[^}]*max-width: 100%", html)
    assert '<div class="scroll-x"><table class="differences">' in html


def test_long_lists_are_cut_and_the_report_says_how_long_they_were(tmp_path: Path) -> None:
    diffs = [{"label": f"v{i}", "field": "value", "torch": "1", "engine": "2", "detail": "d"} for i in range(500)]
    checkpoints = [{"label": f"v{i}", "field": "value", "torch": ["1"], "engine": ["2"], "bad": [0]}
                   for i in range(300)]  # fmt: skip
    steps = list(range(100_001))
    curve = {"steps": steps, "torch": [float(s) for s in steps], "engine": [float(s) for s in steps]}
    data = Record("a", "diverge", differences=diffs, checkpoints=checkpoints, curves={"loss": curve}).to_json()
    assert len(data["differences"]) == len(data["checkpoints"]) == MAX_ENTRIES
    assert data["cut"] == {"differences": 500, "checkpoints": 300, "curves.loss": 100_001}
    thinned = data["curves"]["loss"]
    assert len(thinned["steps"]) <= 2_000 and thinned["steps"][0] == 0 and thinned["steps"][-1] == 100_000
    assert Record.from_json(data).to_json() == data  # a second pass keeps the first cut's lengths
    html = render(_doc([data]))
    assert f"The first {MAX_ENTRIES} of 500 differences are shown" in html
    assert f"The first {MAX_ENTRIES} of 300 differing values are shown" in html


# -- schema validation on load ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("margin", [1.0], 'field "margin": expected a number, "inf", "-inf", "nan" or null, got list'),
        ("tags", "errors", 'field "tags": expected a list of strings, got string'),
        ("status", "passed", 'field "status": expected one of pass, diverge'),
        ("kind", "opinfos", 'field "kind": expected one of scenario, script, generated, opinfo'),
        ("errors", {"torch": 3}, 'field "errors": expected an object of strings or nulls or null, got object'),
        ("duration", {"total": "fast"}, 'field "duration": expected an object of numbers or nulls'),
        ("line", "12", 'field "line": expected an integer or null, got string'),
        ("seed", True, 'field "seed": expected an integer or null, got boolean'),
        ("message", None, 'field "message": expected a string, got null'),
        ("leaks", {"torch": "precision"}, 'field "leaks": expected an object of lists of strings'),
        ("differences", ["x"], 'field "differences": expected a list of objects'),
        ("stdout", "printed", 'field "stdout": expected an object of strings or nulls'),
    ],
)  # fmt: skip
def test_a_badly_typed_field_is_one_line_naming_file_record_and_field(
    tmp_path: Path, field: str, value: Any, needle: str
) -> None:
    good = {"id": "good[float32-cpu-numpy]", "status": "pass", "tags": [], "message": "", "margin": "inf"}
    bad = {**good, "id": "bad[float32-cpu-numpy]", field: value}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_doc([good, bad])), encoding="utf-8")
    with pytest.raises(ResultsFileError) as info:
        load_results(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{path}: ")
    assert "record #2, id 'bad[float32-cpu-numpy]'" in text and needle in text, text
    path.write_text(json.dumps(_doc([good])), encoding="utf-8")
    assert load_results(path)["records"][0]["margin"] == "inf"  # the same file without the bad record loads


def test_run_flags_that_decide_a_verdict_must_have_their_type(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_doc([{"id": "a", "status": "pass"}], complete="false")), encoding="utf-8")
    with pytest.raises(ResultsFileError, match='run field "complete": expected a boolean'):
        load_results(path)  # the string "false" would otherwise read as a complete run


def test_worker_files_count_undecodable_and_badly_typed_lines_as_unreadable(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    append_record(run_dir / "gw0.jsonl", {"id": "a[float32-cpu-numpy]", "status": "pass", "tags": []})
    with (run_dir / "gw0.jsonl").open("ab") as f:
        f.write(b'{"id": "b\xff\xfe", "status": "pass"}\n')  # not UTF-8
        f.write(json.dumps({"id": "c", "status": "pass", "margin": [1]}).encode() + b"\n")  # wrong type
        f.write(json.dumps({"id": "d", "status": "exploded"}).encode() + b"\n")  # unknown status
        f.write(b'["a list"]\n{"id": "e", "sta')  # not a record; a half line
    append_record(run_dir / "gw1.jsonl", {"id": "f[float32-cpu-numpy]", "status": "diverge", "tags": ["x"]})
    records, bad = read_records(run_dir / "gw0.jsonl")
    assert [r["id"] for r in records] == ["a[float32-cpu-numpy]"] and bad == 5
    out = tmp_path / "out" / "results.json"
    assert cli.main(["merge", str(run_dir), "-o", str(out), "--baseline", str(tmp_path / "none.json")]) == 0
    merged = load_results(out)
    assert [r["id"] for r in merged["records"]] == ["a[float32-cpu-numpy]", "f[float32-cpu-numpy]"]
    assert merged["run"]["unreadable_lines"] == 5 and merged["run"]["complete"] is False


@pytest.mark.parametrize("command", ["merge", "diff"])
@pytest.mark.parametrize("bad_field", [("margin", [1, 2]), ("tags", "errors")])
def test_merge_and_diff_of_a_bad_file_exit_2_with_one_line(tmp_path: Path, command: str, bad_field: tuple) -> None:
    good = tmp_path / "good.json"
    write_results(_doc([{"id": "a", "status": "pass", "tags": []}]), good)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_doc([{"id": "a", "status": "pass", "tags": [], bad_field[0]: bad_field[1]}])))
    args = ["merge", str(good), str(bad), "-o", str(tmp_path / "out.json")] if command == "merge" else \
        ["diff", str(good), str(bad)]  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"conformance: error: {bad}: ") and f'field "{bad_field[0]}"' in line
    assert not (tmp_path / "out.json").exists()


# -- writing -------------------------------------------------------------------------------------------------------


def test_a_failed_write_leaves_no_temp_file_and_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    write_results(_doc([{"id": "old", "status": "pass"}]), path)
    before = path.read_bytes()

    def no_rename(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", no_rename)
    with pytest.raises(OSError, match="No space left"):
        write_results(_doc([{"id": "new", "status": "pass"}]), path)
    with pytest.raises(OSError, match="No space left"):
        write_html(_doc([{"id": "new", "status": "pass"}]), tmp_path / "conformance.html")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"] and path.read_bytes() == before

    def half_written(self: Path, text: str, **kwargs: Any) -> int:
        with open(self, "w", encoding="utf-8") as f:  # the real write (Path.write_text is patched), cut short
            f.write(text[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_written)
    with pytest.raises(OSError):
        write_results(_doc([{"id": "new", "status": "pass"}]), path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"] and path.read_bytes() == before


def test_merge_into_an_unwritable_place_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    write_results(_doc([{"id": "a", "status": "pass", "tags": []}]), good)
    (tmp_path / "file").write_text("")
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "merge", str(good), "-o",
                           str(tmp_path / "file" / "out.json")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


# -- the last run's report, moved aside ------------------------------------------------------------------------------


def test_move_aside_and_restore_aside(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert move_aside(reports) == [] and restore_aside(reports) == []  # nothing there yet
    previous = reports / "previous"
    previous.mkdir(parents=True)
    (previous / "conformance.html").write_text("run 1")  # an older previous copy
    (reports / "results.json").write_text("run 2")  # this run's report: its HTML was never written
    (reports / "baseline.json").write_text("baseline")
    assert move_aside(reports) == [previous / "results.json"]
    assert sorted(p.name for p in previous.iterdir()) == ["results.json"]  # run 1's page is not left beside it
    assert (previous / "results.json").read_text() == "run 2" and not (reports / "results.json").exists()
    assert (reports / "baseline.json").read_text() == "baseline"  # the baseline never moves

    assert restore_aside(reports) == [reports / "results.json"]
    assert (reports / "results.json").read_text() == "run 2" and not previous.exists()

    (reports / "conformance.html").write_text("run 2 page")
    assert move_aside(reports) == [previous / "results.json", previous / "conformance.html"]
    (reports / "results.json").write_text("run 3")  # the new run wrote its results, not its page
    assert restore_aside(reports) == [reports / "conformance.html"]
    assert (reports / "results.json").read_text() == "run 3"  # never overwritten by the older copy


# -- leaks and timeout stacks --------------------------------------------------------------------------------------


def test_leaks_and_a_timeout_stack_are_shown_with_the_item() -> None:
    leaky = Record("leaky[float32-cpu-numpy]", "pass", tags=["errors"], margin=0.0,
                   leaks={"engine": ["print options: precision 4 -> 2"], "torch": []}).to_json()  # fmt: skip
    slow = Record("slow[float32-cpu-numpy]", "timeout", tags=["errors"], message="timed out after 60 s",
                  stack='File "scenarios/slow.py", line 9 in b_hangs').to_json()  # fmt: skip
    assert Record.validate(leaky) == Record.validate(slow) == []
    html = render(_doc([leaky, slow]))
    table = html.split('id="leaks"')[1].split("</table>")[0]  # a passing item's leak is listed too
    assert "leaky[float32-cpu-numpy]" in table and "engine: <code>print options: precision 4 -&gt; 2</code>" in table
    item = html.split('<span class="item-id">slow[float32-cpu-numpy]</span>')[1].split("</section>")[0]
    assert '<pre class="stack">File &#34;scenarios/slow.py&#34;, line 9 in b_hangs</pre>' in item
