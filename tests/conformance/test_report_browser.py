"""The HTML report in a real headless browser (Debian's chromium): no console errors, filtering works.

Chromium prints the page's console messages to stderr with
``--enable-logging=stderr --v=0``; ``--dump-dom`` prints the DOM after the
page's scripts ran, so the filter state set through the URL hash
(``#status=...&tag=...``) shows up as ``hidden`` attributes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.report.html import render
from tests.conformance.helpers import inline, report_of

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "")
                 if p and Path(p).exists()), None)  # fmt: skip
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)"
)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0")  # fmt: skip
ROW = re.compile(
    r'<tr class="item"[^>]*data-status="(?P<status>[^"]*)"[^>]*?(?P<hidden> hidden="")?><td>(?:<a href="#[^"]*">)?'
    r"(?P<id>[^<]*)(?:</a>)?</td>"
)
# a probe of these tests (not of the report): the page's layout once loaded, written where --dump-dom shows it
PROBE = ('<script>window.addEventListener("load", function () { var d = document.documentElement;'
         ' document.body.dataset.scrollWidth = String(d.scrollWidth);'
         ' document.body.dataset.clientWidth = String(d.clientWidth); });</script></body>')  # fmt: skip


def _browse(tmp_path: Path, page: Path, fragment: str = "", width: int = 1400) -> tuple[str, list[str]]:
    """The DOM after load (in a window ``width`` pixels wide), and the page's console messages."""
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--window-size={width},900", f"--user-data-dir={profile}",  # type: ignore[list-item]
                           "--dump-dom", url], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def _visible(dom: str) -> dict[str, str]:
    """The rows of the "All items" table that are shown: id -> status."""
    table = dom.split('id="all-items"')[1].split("</table>", maxsplit=1)[0]
    return {m["id"]: m["status"] for m in ROW.finditer(table) if not m["hidden"]}


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def agrees(torch, check):
        check("x", torch.ones(3) * 2)

    def diverges(torch, check):
        check("name", torch.__name__)

    def fit(torch, check):
        w = torch.tensor(2.0, requires_grad=True)
        for t in range(3):
            loss = (w * 3 - 1) ** 2
            check(f"loss@{t}", loss.item())
            loss.backward()
            with torch.no_grad():
                w -= 0.01 * w.grad
                w.grad = None

    tmp = tmp_path_factory.mktemp("browser")
    results = report_of(tmp, [(inline(agrees, tags=["pointwise"]), "float32"),
                              (inline(diverges, tags=["errors"], name="diverges<script>x</script>"), "float32"),
                              (inline(fit, tags=["training"], dtypes=["float64"]), "float64")])  # fmt: skip
    path = tmp / "conformance.html"
    path.write_text(render(results), encoding="utf-8")
    return path


def test_report_loads_without_console_errors(page: Path, tmp_path: Path) -> None:
    dom, console = _browse(tmp_path, page)
    assert console == []
    assert 'data-ready="1"' in dom  # the filtering script ran to its end
    assert _visible(dom) == {"agrees[float32-cpu-numpy]": "pass", "diverges<script>x</script>[float32-cpu-numpy]"
                             .replace("<", "&lt;").replace(">", "&gt;"): "diverge",
                             "fit[float64-cpu-numpy]": "pass"}  # fmt: skip


def test_console_errors_would_be_caught(page: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace("</body>", "<script>undefinedFunction();</script></body>"))
    _, console = _browse(tmp_path, broken)
    assert any("Uncaught ReferenceError" in line for line in console)


def test_filtering_by_status_and_tag_changes_what_is_shown(page: Path, tmp_path: Path) -> None:
    everything = _visible(_browse(tmp_path, page)[0])
    dom, console = _browse(tmp_path, page, "status=diverge")
    assert console == [] and set(_visible(dom).values()) == {"diverge"} and len(_visible(dom)) == 1
    dom, _ = _browse(tmp_path, page, "tag=training")
    assert list(_visible(dom)) == ["fit[float64-cpu-numpy]"]
    assert 'data-shown="1"' in dom and len(everything) == 3
    dom, _ = _browse(tmp_path, page, "status=pass&tag=errors")
    assert _visible(dom) == {}
    # The divergence's own section is hidden too when its status is filtered out.
    assert re.search(r'<section class="item divergence"[^>]*data-status="diverge"[^>]*hidden=""', dom)


# -- a planted bug at two widths -------------------------------------------------------------------------------

PLANTED_FACTOR = 1.01


@pytest.fixture(scope="module")
def planted_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a run with a planted engine bug (pow's gradient 1% off) hitting three items, plus a training
    item, long ids and a wide value: what a contributor reads after breaking something."""
    from reference_engine.ops import pointwise  # noqa: PLC0415

    def pow_grad(torch, check):
        x = check.data((3, 4), requires_grad=True)
        (x**3).sum().backward()
        check("x.grad", x.grad)

    def pow_wide(torch, check):
        x = check.data((2, 40), requires_grad=True)
        (x**2).sum().backward()
        check("x.grad", x.grad)

    def fit(torch, check):
        w = torch.tensor(2.0, requires_grad=True)
        for t in range(6):
            loss = (w * 3 - 1) * (w * 3 - 1)  # no pow: the planted bug leaves it alone
            check(f"loss@{t}", loss.item())
            loss.backward()
            with torch.no_grad():
                w -= 0.01 * w.grad
                w.grad = None

    def fine(torch, check):
        check("x", torch.ones(3) * 2)

    original = pointwise.PowBackward0.apply
    pointwise.PowBackward0.apply = lambda self, grad: tuple(  # type: ignore[method-assign]
        None if g is None else g * PLANTED_FACTOR for g in original(self, grad)
    )
    tmp = tmp_path_factory.mktemp("planted")
    try:
        results = report_of(tmp, [(inline(pow_grad, tags=["pointwise"], dtypes=["float32", "float64"]), "float32"),
                                  (inline(pow_grad, tags=["pointwise"], dtypes=["float32", "float64"]), "float64"),
                                  (inline(pow_wide, tags=["pointwise"], name="pow_" + "wide_" * 20), "float32"),
                                  (inline(fit, tags=["training"], dtypes=["float64"]), "float64"),
                                  (inline(fine, tags=["pointwise"]), "float32")])  # fmt: skip
    finally:
        pointwise.PowBackward0.apply = original  # type: ignore[method-assign]
    path = tmp / "conformance.html"
    path.write_text(render(results).replace("</body>", PROBE), encoding="utf-8")
    return path


def test_planted_bug_at_1400_px_verdict_first_and_one_root_cause_group(planted_page: Path, tmp_path: Path) -> None:
    dom, console = _browse(tmp_path, planted_page, width=1400)
    assert console == [] and 'data-ready="1"' in dom
    # verdict, summary and the groups come before the first item's details and before the matrices
    order = [dom.index(s) for s in ('id="verdict"', 'id="counts"', 'id="groups"', 'class="item divergence"',
                                    'id="matrix"', 'id="slowest"', 'id="all-items"')]  # fmt: skip
    assert order == sorted(order)
    (group,) = re.findall(r'<details class="group"[^>]*>.*?</details>', dom, re.S)  # one bug, one group
    assert "3 items, all first diverge at" in group and '<code class="cause">.grad</code>' in group
    links = re.findall(r'<a href="#([^"]+)">', group)
    assert len(links) == 3 and all(f'id="{anchor}"' in dom for anchor in links)
    assert "item-pow_grad-float32-cpu-numpy" in links  # a stable anchor, made from the item id
    # per-element indices keep the tensor's shape
    assert "<td>[2, 3]</td>" in dom
    # a search narrows every count
    dom, _ = _browse(tmp_path, planted_page, "q=float64", width=1400)
    assert re.search(r'data-of="divergences" data-total="3">1 of 3 shown<', dom)
    assert re.search(r'data-of="all" data-total="5">2 of 5 shown<', dom)


def _narrow_width(tmp_path: Path, page: Path, width: int = 420) -> int:
    """``document.documentElement.scrollWidth`` of ``page`` laid out ``width`` pixels wide.

    Headless Chromium will not make a window narrower than about 500 px, so the page is shown in an iframe of
    that width (its own viewport), read by a harness page (file pages may read each other with
    --allow-file-access-from-files)."""
    harness = page.with_name(f"harness-{width}.html")
    harness.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{page.name}" '
        f'style="width:{width}px;height:900px;border:0"></iframe><script>document.getElementById("f")'
        '.addEventListener("load", function () { var d = this.contentDocument.documentElement;'
        " document.body.dataset.scrollWidth = String(d.scrollWidth); });</script></body></html>",
        encoding="utf-8",
    )
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    proc = subprocess.run([CHROMIUM, *FLAGS, "--allow-file-access-from-files", "--window-size=1000,1000",  # type: ignore[list-item]
                           f"--user-data-dir={profile}", "--dump-dom", harness.as_uri()],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'data-scroll-width="(\d+)"', proc.stdout)
    assert found, proc.stdout[-2000:]
    return int(found[1])


def test_planted_bug_at_420_px_never_overflows_sideways(planted_page: Path, tmp_path: Path) -> None:
    dom, console = _browse(tmp_path, planted_page, width=420)
    assert console == [] and 'data-ready="1"' in dom
    assert _narrow_width(tmp_path, planted_page) <= 420


def test_an_overflow_at_420_px_would_be_caught(planted_page: Path, tmp_path: Path) -> None:
    wide = planted_page.with_name("wide.html")
    wide.write_text(planted_page.read_text().replace("</body>", '<div style="width:900px">x</div></body>'))
    assert _narrow_width(tmp_path, wide) > 420
