"""The one item record: what every item source (scenario, script, generated check) writes and merge,
baseline and the report read.

A record is plain data. ``Record.to_json`` gives the dict stored as one line of a worker's results file
and in ``results.json``; ``Record.from_json`` reads one back (also the slim records of a baseline, and
records of schema version 1/2 files, which lack ``kind``). Fields a source does not fill stay out of the
JSON, except the ones every record has always carried. This module imports nothing of the engine, torch,
the runner or the plugin, so the report can use it.

Both directions go through ``clean``: every string is made encodable as UTF-8 (a lone surrogate, as
``surrogateescape`` makes of undecodable bytes, becomes the literal text ``\\udcff``) and cut to
``MAX_TEXT`` characters, and the lists that grow with a scenario (differences, checkpoints, curves) are cut to
``MAX_ENTRIES``, their full lengths kept in ``cut``. So whatever a scenario prints, raises or labels, its record
can be written, read back and rendered, and stays small. ``Record.validate`` checks the type of every known
field of a record read from a file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from typing import Any

# "missing": the engine lacks the op, variant or keyword an item calls (catalogue items; a divergence is
# something the engine has and gets wrong)
STATUSES = ("pass", "diverge", "missing", "flaky", "xfail", "xpass", "timeout", "runner-error", "crashed")
CHECK_STATUSES = ("pass", "diverge", "missing", "xfail", "xpass")  # a catalogue item's per-check statuses
KINDS = ("scenario", "script", "generated")
# Item sources that work as a ratchet: a catalogue (such as torch's OpInfo database, kind "opinfo") whose known
# missing or diverging entries may stay in the baseline, while each entry that starts to pass is locked in.
# `baseline update` accepts their items whatever their status; every other item must pass or be an xfail.
RATCHET_KINDS = frozenset({"opinfo"})
# torch's op catalogue as items (conformance/opinfo.py): what the runner, the registry and the report share
OPINFO_KIND = "opinfo"
OPINFO_CHECKS = ("forward", "backward", "gradgrad", "forward_ad", "errors", "variants")  # the coverage matrix's columns
OPINFO_CORE_DTYPES = ("float32", "float64")  # an entry agrees when all its items in these dtypes pass
# an entry with neither core dtype runs in the first of these it supports (its "core" dtype then)
OPINFO_FALLBACK_DTYPES = ("int64", "int32", "uint8", "bool", "complex64", "float16")
MAX_TEXT = 10_000  # characters per string in a record, the cut note included
MAX_ENTRIES = 50  # differences, checkpoints and curve series kept per record (a reader needs the first few)
MAX_POINTS = 2_000  # points kept per curve (evenly thinned, the last step always kept)
_CUT_LISTS = ("differences", "checkpoints")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone surrogates: the only str that UTF-8 cannot encode
_NON_FINITE = frozenset({"inf", "-inf", "nan"})  # how results.to_jsonable writes non-finite floats
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
    first_divergence_at: str | None = None  # file:line of the check(...) that recorded the first divergence
    checkpoints: list[dict[str, Any]] | None = None
    curves: dict[str, dict[str, list[float]]] | None = None
    # per side ("torch", "engine"): global state the scenario left changed, which the runner put back
    # (e.g. "print options: precision 4 -> 2")
    leaks: dict[str, list[str]] | None = None
    stack: str | None = None  # where a timed-out side was (faulthandler's dump of its threads)
    cut: dict[str, int] | None = None  # full lengths of the lists to_json cut to MAX_ENTRIES / MAX_POINTS
    torch: str | None = None  # the version of the torch the item was compared with (stamped when stored)
    # why the item's torch-side behaviour depends on the torch release (a scenario's ``versioned``), if it does
    versioned: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def set_verdict(self, verdict: dict[str, Any]) -> None:
        """The fields of ``Verdict.to_record()``."""
        for key, value in verdict.items():
            setattr(self, key, value)

    def to_json(self) -> dict[str, Any]:
        """The stored form: only plain JSON data, every string UTF-8 safe and capped, long lists cut."""
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
        return _cut_lists(clean(out))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """A record from its stored form (also one written before strings were made safe and capped)."""
        data = _cut_lists(clean(data))
        known = {f.name for f in fields(cls)} - {"extra"}
        record = cls(**{k: v for k, v in data.items() if k in known})
        record.extra = {k: v for k, v in data.items() if k not in known}
        if "kind" not in data:  # schema 1/2 scenario records and slim baseline records
            record.kind = "scenario"
        return record

    @staticmethod
    def validate(data: Any) -> list[str]:
        """What is wrong with a stored record: one line per badly typed known field (empty: nothing).

        Fields a source adds (``extra``) are free, except the ones the report reads (``stdout``, ``stderr``).
        """
        if not isinstance(data, dict):
            return [f"not an object ({_type(data)})"]
        problems = [] if "id" in data else ['no "id"']
        problems += [] if "status" in data else ['no "status"']
        for name, value in data.items():
            check = _CHECKS.get(name)
            if check is not None and (wanted := check(value)):
                problems.append(f'field "{name}": expected {wanted}, got {_shown(value)}')
        return problems

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


# -- making any data storable -----------------------------------------------------------------------------------


def safe_text(text: str) -> str:
    """``text`` encodable as UTF-8 (lone surrogates written as ``\\udcff``) and at most ``MAX_TEXT`` characters,
    a cut one ending with a note of its full length."""
    full = len(text)
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > MAX_TEXT:
        note = f"\u2026 [cut: {full} characters in all]"
        text = text[: MAX_TEXT - len(note)] + note
    return text


def clean(value: Any) -> Any:
    """Plain JSON data with safe strings (``safe_text``, dict keys too); NumPy values become Python values, other
    objects their ``repr``. Non-finite floats stay floats (``results.to_jsonable`` writes them as strings)."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # a NumPy array or scalar (no NumPy import here)
        return clean(value.tolist())
    return safe_text(repr(value))


def _cut_lists(data: dict[str, Any]) -> dict[str, Any]:
    """The record's growing lists cut, their full lengths added to ``data["cut"]`` (kept from an earlier cut)."""
    cut = dict(data["cut"]) if isinstance(data.get("cut"), dict) else {}
    for name in _CUT_LISTS:
        value = data.get(name)
        if isinstance(value, list) and len(value) > MAX_ENTRIES:
            cut[name], data[name] = len(value), value[:MAX_ENTRIES]
    curves = data.get("curves")
    if isinstance(curves, dict):
        if len(curves) > MAX_ENTRIES:
            cut["curves"], curves = len(curves), dict(list(curves.items())[:MAX_ENTRIES])
        data["curves"] = {name: _thinned(name, series, cut) for name, series in curves.items()}
    if cut:
        data["cut"] = cut
    return data


def _thinned(name: str, series: Any, cut: dict[str, int]) -> Any:
    """Every n-th point of a long training curve, and its last: the plot keeps its shape, the record its size."""
    lists = isinstance(series, dict) and all(isinstance(v, list) for v in series.values())
    size = max((len(v) for v in series.values()), default=0) if lists else 0
    if size <= MAX_POINTS:
        return series
    step = math.ceil(size / (MAX_POINTS - 1))
    cut[f"curves.{name}"] = size
    return {k: v[::step] + ([v[-1]] if (len(v) - 1) % step else []) for k, v in series.items()}


# -- checking a stored record ----------------------------------------------------------------------------------


def _type(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )


def _shown(value: Any) -> str:
    """A bad value named on one short line."""
    if isinstance(value, str):
        return f"string {safe_text(value[:40])!r}" + ("..." if len(value) > 40 else "")
    return _type(value)


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    """A number, or a non-finite float as results.to_jsonable writes it."""
    return (isinstance(v, int | float) and not isinstance(v, bool)) or (isinstance(v, str) and v in _NON_FINITE)


def _optional(test: Any, wanted: str) -> Any:
    return lambda v: None if v is None or test(v) else f"{wanted} or null"


def _list_of(test: Any) -> Any:
    return lambda v: isinstance(v, list) and all(test(x) for x in v)


def _dict_of(test: Any) -> Any:
    return lambda v: isinstance(v, dict) and all(test(x) for x in v.values())


def _one_of(values: tuple[str, ...]) -> Any:
    return lambda v: None if v in values else "one of " + ", ".join(values)


def _required(test: Any, wanted: str) -> Any:
    return lambda v: None if test(v) else wanted


_TEXT_OR_NONE = _optional(_str, "a string")
_SIDES = "an object of strings or nulls"
_CHECKS: dict[str, Any] = {
    "id": _required(_str, "a string"),
    "status": _one_of(STATUSES),
    "kind": _one_of((*KINDS, *sorted(RATCHET_KINDS))),
    "tags": _required(_list_of(_str), "a list of strings"),
    "message": _required(_str, "a string"),
    **dict.fromkeys(
        (
            "scenario",
            "dtype",
            "pair",
            "file",
            "nodeid",
            "expected_divergence",
            "source",
            "reproducer",
            "first_divergence",
            "first_divergence_at",
            "stack",
            "torch",
            "versioned",
        ),
        _TEXT_OR_NONE,
    ),
    **dict.fromkeys(("line", "seed", "mismatched"), _optional(_int, "an integer")),
    "margin": _optional(_number, 'a number, "inf", "-inf", "nan"'),
    "agree": _optional(lambda v: isinstance(v, bool), "a boolean"),
    "errors": _optional(_dict_of(lambda x: x is None or _str(x)), _SIDES),
    "duration": _optional(_dict_of(lambda x: x is None or _number(x)), "an object of numbers or nulls"),
    "worst": _optional(lambda v: isinstance(v, dict), "an object"),
    **dict.fromkeys(
        ("differences", "claims", "checkpoints"),
        _optional(_list_of(lambda x: isinstance(x, dict)), "a list of objects"),
    ),
    "attempts": _optional(_list_of(_str), "a list of strings"),
    "curves": _optional(_dict_of(_dict_of(lambda x: isinstance(x, list))), "an object of objects of lists"),
    "leaks": _optional(_dict_of(_list_of(_str)), "an object of lists of strings"),
    "cut": _optional(_dict_of(_int), "an object of integers"),
    # catalogue items (kind "opinfo"): the status of each check (forward, backward, ...) and the entry's family
    "checks": _optional(_dict_of(lambda x: x in CHECK_STATUSES), "an object of check statuses"),
    "family": _TEXT_OR_NONE,
    "core": _optional(lambda v: isinstance(v, bool), "a boolean"),
    # script items' outputs, which the report shows side by side
    **dict.fromkeys(("stdout", "stderr"), _optional(_dict_of(lambda x: x is None or _str(x)), _SIDES)),
}
