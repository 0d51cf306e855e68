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
    r'<tr class="item"[^>]*data-status="(?P<status>[^"]*)"[^>]*?(?P<hidden> hidden="")?><td>(?P<id>[^<]*)</td>'
)


def _browse(tmp_path: Path, page: Path, fragment: str = "") -> tuple[str, list[str]]:
    """The DOM after load, and the page's console messages."""
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],  # type: ignore[list-item]
                          capture_output=True, text=True, timeout=120)  # fmt: skip
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
