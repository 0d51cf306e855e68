"""torch's op catalogue as conformance items (conformance/opinfo.py): the source covers the installed torch's
whole ``op_db``, judges each check against torch, tells a missing op from a divergence, and works as a ratchet
against the baseline. Bugs are planted in the engine for real (monkeypatched in this process, or through a
``sitecustomize`` in a nested run, where the item process imports it too); every expected value is torch's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

import reference_engine
from conformance import opinfo
from conformance.loader import ScenarioError, load_expected, opinfo_expected
from conformance.report.baseline import diff_results, ratchet_problem
from conformance.report.html import write_html
from reference_engine.ops import complex_numbers, unary
from tests.conformance.helpers import ROOT, nested_pytest, write

pytest.importorskip("expecttest", reason="torch's op_db needs expecttest (the test extra installs it)")


def _item(entry: str, dtype: str = "float32", **kwargs: Any) -> opinfo.OpinfoResult:
    return opinfo.run_opinfo_item(entry, dtype, f"{entry}[{dtype}-cpu-numpy]", limit=0, **kwargs)


def test_the_source_covers_every_entry_of_the_installed_torchs_op_db() -> None:
    op_db = opinfo._op_db()  # torch.testing._internal.common_methods_invocations.op_db, imported once
    specs = opinfo.item_specs()
    assert len({s.entry for s in specs}) == len(op_db) == opinfo.catalogue_info()["entries"]
    assert len({s.item_id for s in specs}) == len(specs)  # ids are unique
    # float32 and float64 wherever the entry supports them; the error inputs run once per entry
    add = [s for s in specs if s.entry == "add"]
    assert [s.dtype for s in add][:2] == ["float32", "float64"] and [s.errors for s in add].count(True) == 1
    assert {s.dtype for s in specs if s.entry == "bitwise_and"} <= {"int64", "bool"}  # no float dtype: a fallback


def test_an_agreeing_entry_passes_every_check_it_has() -> None:
    result = _item("add")
    assert result.status == "pass", result.message
    checks = {"forward": "pass", "backward": "pass", "forward_ad": "pass", "variants": "pass"}
    assert result.record.extra["checks"] == checks
    assert result.record.kind == "opinfo" and result.record.tags == ["opinfo", "binary"]
    assert len(result.record.extra["samples"]) == opinfo.DEFAULT_SAMPLES


def test_a_planted_backward_bug_turns_only_the_gradient_checks_red(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _item("sin").record.extra["checks"]["backward"] == "pass"
    original = unary.SinBackward0.apply
    monkeypatch.setattr(unary.SinBackward0, "apply", lambda self, grad: (original(self, grad)[0] * 1.5,))
    result = _item("sin")
    assert result.status == "diverge"
    checks = result.record.extra["checks"]
    assert checks["forward"] == "pass" and checks["backward"] == "diverge"
    assert result.record.first_divergence.startswith("backward:s0 d/input")


def test_complex_outputs_take_complex_cotangents(monkeypatch: pytest.MonkeyPatch) -> None:
    """polar maps real inputs to a complex output: its backward and tangents are compared too, against a
    complex cotangent, so a node that drops the imaginary part of its incoming grad is caught."""
    result = _item("polar")
    assert result.record.extra["checks"]["backward"] == "pass", result.message
    original = complex_numbers.PolarBackward0.apply
    monkeypatch.setattr(
        complex_numbers.PolarBackward0, "apply", lambda self, grad: original(self, grad.real.to(grad.dtype))
    )
    checks = _item("polar").record.extra["checks"]
    assert checks["forward"] == "pass" and checks["backward"] == "diverge"


def test_a_planted_wrong_error_message_turns_the_errors_check_red(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _item("trace", errors=True).record.extra["checks"]["errors"] == "pass"
    original = reference_engine.trace

    def trace(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except RuntimeError as exc:
            raise RuntimeError(str(exc).replace("expected a matrix", "expected a 2-D tensor")) from None

    monkeypatch.setattr(reference_engine, "trace", trace)
    result = _item("trace", errors=True)
    assert result.status == "diverge"
    assert result.record.extra["checks"]["errors"] == "diverge"
    assert result.record.extra["checks"]["forward"] == "pass"
    first = result.record.differences[0]
    assert first["field"] == "error" and "expected a matrix" in first["torch"] and "2-D tensor" in first["engine"]
    # the report's matrix shows it: the errors cell of trace's float32 item is the red one
    results = {"run": {"complete": True}, "records": [result.record.to_json()]}
    write_html(results, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<td class="c c-diverge"><a href="#[^"]+" title="errors float32: diverge">', html)
    assert re.search(r'<td class="c c-pass"><a href="#[^"]+" title="forward float32: pass">', html)


def test_an_op_the_engine_lacks_is_missing_not_divergent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(reference_engine, "atan2")
    result = _item("atan2")
    assert result.status == "missing"
    assert set(result.record.extra["checks"].values()) == {"missing"}


def test_a_keyword_the_engine_lacks_is_missing_in_its_check_only(monkeypatch: pytest.MonkeyPatch) -> None:
    original = reference_engine.atan2

    def atan2(input: Any, other: Any) -> Any:  # no out=: the out= variant cannot run
        return original(input, other)

    monkeypatch.setattr(reference_engine, "atan2", atan2)
    result = _item("atan2")
    assert result.record.extra["checks"]["forward"] == "pass"
    assert result.record.extra["checks"]["variants"] == "missing"
    assert result.status == "missing"


def test_random_ops_are_compared_under_the_same_seed() -> None:
    # torch's catalogue seeds these itself (wrapper_set_seed); the engine's generator follows torch's
    for entry in ("randn", "nn.functional.dropout", "uniform"):
        result = _item(entry)
        assert result.record.extra["checks"]["forward"] == "pass", result.message


def test_overrides_compare_uninitialized_outputs_by_metadata_only() -> None:
    settings = opinfo.load_settings(ROOT / "scenarios" / "opinfo.toml")
    assert not settings.compares_values("empty", "float32") and settings.compares_values("add", "float32")
    assert _item("empty", values=False).status == "pass"


def test_an_override_can_leave_one_checks_values_uncompared(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = opinfo.load_settings(ROOT / "scenarios" / "opinfo.toml")
    assert settings.compares_values("fft.ihfft2", "float64")  # the rest of the item is compared
    assert settings.unvalued_checks("fft.ihfft2", "float64") == ("variants",)
    # a planted wrong value in the forward still fails an item whose variants' values go uncompared
    import reference_engine  # noqa: PLC0415 - the engine is patched only for this test

    original = reference_engine.neg
    monkeypatch.setattr(reference_engine, "neg", lambda x, **kwargs: original(x, **kwargs) + 1)
    assert _item("neg", unvalued=("variants",)).record.extra["checks"]["forward"] == "diverge"


def test_the_settings_file_is_checked(tmp_path: Path) -> None:
    bad = write(tmp_path, "opinfo.toml", '[[override]]\nentry = "add"\nrtol = 1e-3\nreason = "x"\n')
    with pytest.raises(opinfo.SettingsError, match="rtol and atol together"):
        opinfo.load_settings(bad)
    bad = write(tmp_path, "opinfo.toml", '[[override]]\nentry = "add"\nvalues = false\n')
    with pytest.raises(opinfo.SettingsError, match="non-empty reason"):
        opinfo.load_settings(bad)
    bad = write(
        tmp_path,
        "opinfo.toml",
        '[[override]]\nentry = "add"\nchecks = ["variants"]\nrtol = 1e-3\natol = 1e-3\nreason = "x"\n',
    )
    with pytest.raises(opinfo.SettingsError, match="go with values = false"):
        opinfo.load_settings(bad)
    bad = write(tmp_path, "opinfo.toml", "[settings]\nsamples = 0\n")
    with pytest.raises(opinfo.SettingsError, match="samples must be an integer > 0"):
        opinfo.load_settings(bad)


def test_registered_divergences_cover_the_checks_they_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "expected_divergences.toml", """\
        [[divergence]]
        opinfo = "sin"
        checks = ["backward", "gradgrad", "forward_ad"]
        reason = "planted for this test"
    """)  # fmt: skip
    expected = opinfo_expected(load_expected(path), "sin", "float32")
    # forward AD's tangents come from the backward formulas, so a backward bug shows there too
    assert set(expected) == {"backward", "gradgrad", "forward_ad"}
    original = unary.SinBackward0.apply
    monkeypatch.setattr(unary.SinBackward0, "apply", lambda self, grad: (original(self, grad)[0] * 1.5,))
    result = _item("sin", expected=expected)
    assert result.status == "xfail" and result.record.extra["checks"]["backward"] == "xfail"
    monkeypatch.undo()
    assert _item("sin", expected=expected).status == "xpass"  # fixed: the registry entry must go
    bad = write(tmp_path, "bad.toml", '[[divergence]]\nopinfo = "sin"\nchecks = ["grads"]\nreason = "x"\n')
    with pytest.raises(ScenarioError, match="checks must be a list of forward"):
        load_expected(bad)


def _record(status: str, **checks: str) -> dict[str, Any]:
    return {"id": "sin[float32-cpu-numpy]", "kind": "opinfo", "status": status, "checks": checks}


def test_the_ratchet_fails_only_what_got_worse() -> None:
    assert ratchet_problem(_record("pass", forward="pass"), None) == ""
    assert ratchet_problem(_record("missing", forward="missing"), None).startswith("NEW")
    assert ratchet_problem(_record("diverge", forward="diverge"), _record("pass", forward="pass")).startswith(
        "REGRESSION"
    )
    known = _record("diverge", forward="pass", backward="diverge")
    assert ratchet_problem(_record("diverge", forward="pass", backward="diverge"), known) == ""
    assert ratchet_problem(_record("missing", forward="pass", backward="missing"), known) == ""
    worse = ratchet_problem(_record("diverge", forward="diverge", backward="diverge"), known)
    assert worse == "REGRESSION: forward: pass -> diverge"
    assert ratchet_problem(_record("xpass", forward="xpass"), known).startswith("REGISTERED DIVERGENCE NOW AGREES")
    diff = diff_results(
        {"records": [known, {**_record("missing"), "id": "a[float32-cpu-numpy]"}]},
        {"records": [_record("diverge", forward="diverge"), {**_record("pass"), "id": "a[float32-cpu-numpy]"}]},
    )
    assert [n[0] for n in diff.new] == ["sin[float32-cpu-numpy]"] and [f[0] for f in diff.fixed] == [
        "a[float32-cpu-numpy]"
    ]


PLANT = """\
import os

if os.environ.get("PLANT_SIN_BACKWARD"):
    from reference_engine.ops import complex_numbers, unary

    _original = unary.SinBackward0.apply
    unary.SinBackward0.apply = lambda self, grad: (_original(self, grad)[0] * 1.5,)
"""


def test_a_planted_backward_bug_fails_a_real_run_as_a_regression(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "opinfo.toml", tmp_path / "scenarios" / "opinfo.toml")
    write(tmp_path / "plant", "sitecustomize.py", PLANT)
    items = ["scenarios/opinfo.toml::sin[float32-cpu-numpy]", "scenarios/opinfo.toml::exp[float32-cpu-numpy]"]
    first = nested_pytest(tmp_path, *items)
    assert first.returncode == 0, first.stdout[-3000:]
    baseline = tmp_path / "baseline.json"
    shutil.copy(tmp_path / "reports" / "results.json", baseline)
    assert {r["status"] for r in json.loads(baseline.read_text())["records"]} == {"pass"}
    env = {**os.environ, "PLANT_SIN_BACKWARD": "1", "PYTHONPATH": str(tmp_path / "plant")}
    second = nested_pytest(tmp_path, *items, "--conformance-baseline", str(baseline), env=env)
    assert second.returncode == 1, second.stdout[-3000:]
    assert "REGRESSION: pass in the baseline, diverge now" in second.stdout
    doc = json.loads((tmp_path / "reports" / "results.json").read_text())
    records = {r["id"]: r for r in doc["records"]}
    # results.json carries each entry's class, and the catalogue's size from the torch that ran
    assert doc["opinfo"]["entries"] == {"sin": "diverge", "exp": "agree"}
    assert doc["opinfo"]["catalogue_size"] == doc["run"]["opinfo"]["entries"] == len(opinfo._op_db())
    sin = records["sin[float32-cpu-numpy]"]
    assert sin["status"] == "diverge" and sin["checks"]["backward"] == "diverge" and sin["checks"]["forward"] == "pass"
    assert records["exp[float32-cpu-numpy]"]["status"] == "pass"  # exp's derivatives never reach sin's
    assert "1 new divergence(s)" in second.stdout  # the baseline comparison names it too
    html = (tmp_path / "reports" / "conformance.html").read_text(encoding="utf-8")
    red = re.findall(r'<td class="c c-diverge"><a href="#[^"]+" title="(\w+) float32: diverge">', html)
    assert "backward" in red and "forward" not in red  # sin's backward cell is red, its forward cell is not


def test_without_op_db_the_source_is_skipped_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "opinfo.toml", tmp_path / "scenarios" / "opinfo.toml")
    write(tmp_path / "scenarios", "basics.py", """\
        from conformance.scenario import scenario


        @scenario(tags=["pointwise"], dtypes=["float32"], devices=["cpu"])
        def doubles(torch, check):
            check("y", torch.ones(2) * 2)
    """)  # fmt: skip
    # torch's testing internals import expecttest: without it op_db cannot be imported
    write(tmp_path / "plant", "expecttest.py", 'raise ImportError("planted: no expecttest here")\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "plant")}
    run = nested_pytest(tmp_path, "scenarios", "-rs", env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "the OpInfo source is skipped" in run.stdout and "planted: no expecttest here" in run.stdout
    doc = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert doc["run"]["opinfo"]["available"] is False
    assert "planted: no expecttest here" in doc["run"]["opinfo"]["reason"]
    assert [r["id"] for r in doc["records"]] == ["doubles[float32-cpu-numpy]"]


def test_a_stateless_torch_layer_in_a_sample_is_rebuilt_as_each_sides_own() -> None:
    # triplet_margin_with_distance_loss's samples hold distance_function=torch.nn.PairwiseDistance()
    payload = opinfo.to_payload({"f": torch.nn.PairwiseDistance(p=1.0)}, torch, {}, "kwargs")
    layer = opinfo.build(payload, reference_engine, {})["f"]
    assert type(layer) is reference_engine.nn.PairwiseDistance
    assert (layer.norm, layer.eps, layer.keepdim) == (1.0, 1e-6, False)
    assert type(opinfo.build(payload, torch, {})["f"]) is torch.nn.PairwiseDistance
    with pytest.raises(opinfo.UnconvertibleError):
        opinfo.to_payload(torch.nn.Linear(2, 2), torch, {}, "kwargs.m")
