"""The one item record: what every item source (scenario, script, generated check) writes and merge,
baseline and the report read.

A record is plain data. ``Record.to_json`` gives the dict stored as one line of a worker's results file
and in ``results.json``; ``Record.from_json`` reads one back (also the slim records of a baseline, and
records of schema version 1/2 files, which lack ``kind``). Fields a source does not fill stay out of the
JSON, except the ones every record has always carried. This module imports nothing of the engine, torch,
the runner or the plugin, so the report can use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

STATUSES = ("pass", "diverge", "flaky", "xfail", "xpass", "timeout", "runner-error", "crashed")
KINDS = ("scenario", "script", "generated")
_ALWAYS = frozenset({"id", "status", "tags", "message"})  # written even when empty
_VERDICT = frozenset({"agree", "margin", "mismatched", "worst", "differences", "claims"})  # all or none
# an item that ran (it has a scenario name) always carries these, as records always have
_ITEM = frozenset(
    {"kind", "scenario", "dtype", "pair", "file", "line", "seed", "expected_divergence", "errors", "duration"}
)
EXPECTED_NOW_PASSES = "expected divergence no longer diverges (fixed? remove the entry): "


@dataclass
class Record:
    """One item's outcome. ``extra`` keeps source-specific data (a script's stdout, a generated check's examples)."""

    id: str
    status: str
    kind: str = "scenario"
    scenario: str | None = None
    dtype: str | None = None
    pair: str | None = None
    tags: list[str] = field(default_factory=list)
    file: str | None = None
    line: int | None = None
    nodeid: str | None = None
    seed: int | None = None
    expected_divergence: str | None = None
    message: str = ""
    errors: dict[str, str | None] | None = None
    duration: dict[str, float | None] | None = None
    # the verdict (conformance.verdict.Verdict.to_record)
    agree: bool | None = None
    margin: float | None = None
    mismatched: int | None = None
    worst: dict[str, Any] | None = None
    differences: list[dict[str, Any]] | None = None
    claims: list[dict[str, Any]] | None = None
    # what the report shows beyond the verdict
    attempts: list[str] | None = None
    source: str | None = None
    reproducer: str | None = None
    first_divergence: str | None = None
    checkpoints: list[dict[str, Any]] | None = None
    curves: dict[str, dict[str, list[float]]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def set_verdict(self, verdict: dict[str, Any]) -> None:
        """The fields of ``Verdict.to_record()``."""
        for key, value in verdict.items():
            setattr(self, key, value)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if (
                value is not None
                or f.name in _ALWAYS
                or (f.name in _ITEM and self.scenario is not None)
                or (f.name in _VERDICT and self.agree is not None)  # an infinite margin is stored as null
            ):
                out[f.name] = value
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        known = {f.name for f in fields(cls)} - {"extra"}
        record = cls(**{k: v for k, v in data.items() if k in known})
        record.extra = {k: v for k, v in data.items() if k not in known}
        if "kind" not in data:  # schema 1/2 scenario records and slim baseline records
            record.kind = "scenario"
        return record

    def mark_flaky(self, again_status: str) -> None:
        """A divergent run whose immediate rerun ended ``again_status`` (the report keeps the first run's details)."""
        self.status = "flaky"
        self.attempts = ["diverge", again_status]


def judge(agree: bool, describe: str, expected: str | None, what: str = "") -> tuple[str, str]:
    """The one rule from a verdict and an expected divergence to a status and its message.

    ``what`` names what was compared when it is not the checkpoints (a script's ``printed output``).
    """
    if agree:
        return ("xpass", EXPECTED_NOW_PASSES + expected) if expected else ("pass", "")
    text = f"engine diverges from torch{f' ({what})' if what else ''}:\n" + describe
    return ("xfail", text) if expected else ("diverge", text)


def crashed(item_id: str, nodeid: str) -> Record:
    """The record of an item whose worker died before writing one."""
    return Record(
        item_id, "crashed", kind="scenario", nodeid=nodeid, message="no record: the worker running it crashed"
    )
