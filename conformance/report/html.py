"""A minimal, plain HTML listing of a results document (every string escaped).

The full report (templates, filters, plots) replaces ``render``; the plugin
only calls ``write_html(results, path)``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any


def _row(r: dict[str, Any]) -> str:
    margin = r.get("margin")
    cells = [
        r["id"], r["status"], ", ".join(r.get("tags", [])),
        "" if margin is None else f"{margin:.3g}" if isinstance(margin, float | int) else str(margin),
        "\n".join([*(f"claim {c['label']}: {c['claim_vs_torch']}; {c['claim_vs_engine']}" for c in r.get("claims", [])),
                   r.get("message") or ""]).strip(),
    ]  # fmt: skip
    tds = "".join(f"<td><pre>{escape(str(c))}</pre></td>" if i == 4 else f"<td>{escape(str(c))}</td>"
                  for i, c in enumerate(cells))  # fmt: skip
    return f'<tr class="{escape(r["status"])}">{tds}</tr>'


def render(results: dict[str, Any]) -> str:
    counts = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(results.get("counts", {}).items()))
    rows = "\n".join(_row(r) for r in results.get("records", []))
    run = escape(", ".join(f"{k}={v}" for k, v in sorted(results.get("run", {}).items())))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Conformance report</title>
<style>body{{font-family:sans-serif}} td{{border-bottom:1px solid #ccc;vertical-align:top}}
.diverge,.xpass,.timeout,.runner-error,.crashed{{background:#fdd}} .xfail{{background:#ffd}} pre{{margin:0}}</style>
</head><body><h1>Conformance report</h1><p>{counts}</p><p><small>{run}</small></p>
<table><tr><th>item</th><th>status</th><th>tags</th><th>margin</th><th>details</th></tr>
{rows}
</table></body></html>
"""


def write_html(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results), encoding="utf-8")
