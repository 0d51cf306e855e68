"""OpInfo coverage: how much of torch's op catalogue (``op_db``) the engine agrees with, from a results document.

The catalogue source (kind ``opinfo``, ``conformance/opinfo.py``) makes one item per catalogue entry and dtype.
This module groups those records back into entries and classifies each entry from its *core* items (float32
and float64, or the one fallback dtype of an entry that supports neither):

- ``agree``: every core item passes;
- ``expected``: every core item that does not pass is a registered divergence (``xfail``);
- ``diverge``: some core item diverges, or is ``flaky``, ``xpass``, ``timeout``, ``runner-error`` or
  ``crashed`` (none of them is agreement; the family line counts the runner problems among them);
- ``missing``: what is left: the engine lacks the op, a variant or a keyword the entry's samples use;
- ``out-of-scope``: an ``expected`` entry the registry marks ``scope = "out"`` (sparse layouts, CUDA-only
  jiterator ops, private aten kernels, scaled-mm): counted apart, so the share of the catalogue the engine
  aims at shows beside the share of the whole catalogue.

Extra-dtype items (int64, bool, float16 beside the core dtypes) do not change an entry's class: they show in
the matrix. Like the rest of ``conformance.report`` this reads plain records only: it imports neither the
engine, torch, the runner nor the catalogue module (whose constants it mirrors below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..record import OPINFO_CHECKS as CHECKS
from ..record import OPINFO_CORE_DTYPES as CORE_DTYPES
from ..record import OPINFO_FALLBACK_DTYPES as FALLBACK_DTYPES
from ..record import OPINFO_KIND as KIND

# matrix column order: the core dtypes, then the extras and fallbacks; any other dtype after these, by name
DTYPE_ORDER = ("float32", "float64", "int64", "int32", "uint8", "bool", "complex64", "float16")
FAMILY_ORDER = ("nn.functional", "linalg", "special", "fft", "masked", "signal.windows", "sparse", "nn", "private",
                "operators", "unary", "binary", "reduction", "shape", "other")  # fmt: skip
OUT_OF_SCOPE = "out-of-scope"
CLASSES = ("agree", "missing", "diverge", "expected", OUT_OF_SCOPE)
RUNNER_PROBLEMS = frozenset({"runner-error", "timeout", "crashed"})  # the machinery failed: no verdict on the engine
NOT_AGREEMENT = frozenset({"diverge", "flaky", "xpass"}) | RUNNER_PROBLEMS
NO_ITEM = "none"  # a matrix cell whose entry has no item in that dtype (not the same as a check that did not apply)
NOT_APPLICABLE = "n/a"  # the item ran, the check did not apply to it


@dataclass
class Cell:
    """One check of one item: its status (a check status, ``n/a``, ``none``, or the item's own status when a
    runner problem left it without checks) and the item's id (None: no item)."""

    check: str
    dtype: str
    status: str
    item: str | None


@dataclass
class EntryCoverage:
    entry: str
    family: str
    status: str  # one of CLASSES
    items: list[dict[str, Any]]  # the entry's records, in DTYPE_ORDER
    core: list[str]  # the dtypes that decided ``status``
    runner_problem: bool  # diverge only because the machinery failed on a core item (no engine verdict)

    def cells(self, dtypes: list[str]) -> list[Cell]:
        """The matrix row over ``dtypes``: check by check, dtype by dtype within a check."""
        by_dtype = {_dtype(r): r for r in reversed(self.items)}  # the first record of a dtype wins
        out = []
        for check in CHECKS:
            for dtype in dtypes:
                r = by_dtype.get(dtype)
                if r is None:
                    out.append(Cell(check, dtype, NO_ITEM, None))
                else:
                    out.append(Cell(check, dtype, check_status(r, check), str(r.get("id"))))
        return out


@dataclass
class FamilyCoverage:
    family: str
    entries: list[EntryCoverage]
    dtypes: list[str]  # the dtypes any of its entries has an item in (its matrix's sub-columns)
    counts: dict[str, int] = field(default_factory=dict)  # CLASSES -> number of entries
    runner_problems: int = 0


@dataclass
class Coverage:
    families: list[FamilyCoverage]
    entries_total: int  # N: the catalogue's size from the run's metadata, else the number of entries seen
    from_metadata: bool  # whether N came from the run's metadata
    available: bool | None  # whether the source ran (None: the results file does not say)
    reason: str  # why it did not run (metadata), or ""
    counts: dict[str, int] = field(default_factory=dict)  # CLASSES -> entries over all families

    @property
    def entries(self) -> list[EntryCoverage]:
        return [e for f in self.families for e in f.entries]


def is_opinfo(record: dict[str, Any]) -> bool:
    return record.get("kind") == KIND


def opinfo_records(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalogue's records in a results document."""
    return [r for r in results.get("records") or [] if isinstance(r, dict) and is_opinfo(r)]


def entry_of(record: dict[str, Any]) -> str:
    """The catalogue entry a record belongs to (``entry``, else its scenario name, else its id without ``[...]``)."""
    for key in ("entry", "scenario"):
        if isinstance(record.get(key), str) and record[key]:
            return str(record[key])
    item = str(record.get("id", ""))
    head, bracket, _ = item.rpartition("[")
    return head if bracket and head and item.endswith("]") else item


def family_of(record: dict[str, Any]) -> str:
    """The record's family; a record written without one (a crash record) falls back to its non-source tag."""
    if isinstance(record.get("family"), str) and record["family"]:
        return str(record["family"])
    tags = [t for t in record.get("tags") or [] if t != KIND]
    return str(tags[0]) if tags else "other"


def _dtype(record: dict[str, Any]) -> str:
    dtype = record.get("dtype")
    if isinstance(dtype, str) and dtype:
        return dtype
    inside = str(record.get("id", "")).rpartition("[")[2].rstrip("]")  # "<entry>[float32-cpu-numpy]"
    return inside.split("-", 1)[0] or "?"


def _dtype_key(dtype: str) -> tuple[int, str]:
    return (DTYPE_ORDER.index(dtype) if dtype in DTYPE_ORDER else len(DTYPE_ORDER), dtype)


def _fallback_key(dtype: str) -> tuple[int, str]:
    """The catalogue runs an entry without a core dtype in the first of FALLBACK_DTYPES it supports; its extra
    dtypes come later in that order, so the earliest dtype seen is the fallback."""
    return (FALLBACK_DTYPES.index(dtype) if dtype in FALLBACK_DTYPES else len(FALLBACK_DTYPES), dtype)


def _family_key(family: str) -> tuple[int, str]:
    return (FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER), family)


def check_status(record: dict[str, Any], check: str) -> str:
    """One check of an item: its status, ``n/a`` when it did not apply; an item the machinery failed on (or a
    flaky one) without per-check statuses shows its own status in every check, not a blank that reads as n/a."""
    checks = record.get("checks")
    if isinstance(checks, dict) and checks:
        return str(checks.get(check, NOT_APPLICABLE))
    status = str(record.get("status", ""))
    return status if status in NOT_AGREEMENT else NOT_APPLICABLE


def core_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items that decide an entry's class: those the catalogue marked ``core``; in records without the mark,
    float32/float64, else the fallback dtype's."""
    if any("core" in r for r in items):
        return [r for r in items if r.get("core")]
    core = [r for r in items if _dtype(r) in CORE_DTYPES]
    if core or not items:
        return core
    fallback = min((_dtype(r) for r in items), key=_fallback_key)
    return [r for r in items if _dtype(r) == fallback]


def classify(items: list[dict[str, Any]]) -> str:
    """An entry's class (agree, expected, diverge, missing) from all of its records (extra dtypes included)."""
    statuses = [str(r.get("status")) for r in core_items(items)]
    failing = [s for s in statuses if s != "pass"]
    if not failing:
        return "agree"
    if all(s == "xfail" for s in failing):
        scoped = core_items(items)
        return OUT_OF_SCOPE if scoped and all(r.get("scope") == "out" for r in scoped) else "expected"
    if any(s in NOT_AGREEMENT for s in failing):
        return "diverge"
    return "missing"


def _entry(entry: str, items: list[dict[str, Any]]) -> EntryCoverage:
    items = sorted(items, key=lambda r: (_dtype_key(_dtype(r)), str(r.get("id"))))
    core = core_items(items)
    status = classify(items)
    statuses = {str(r.get("status")) for r in core}
    # a runner problem: the class is diverge, yet no core item got an engine verdict of disagreement
    verdicts = NOT_AGREEMENT - RUNNER_PROBLEMS
    runner = status == "diverge" and bool(statuses & RUNNER_PROBLEMS) and not statuses & verdicts
    family = family_of(core[0] if core else items[0])
    return EntryCoverage(entry, family, status, items, sorted({_dtype(r) for r in core}, key=_dtype_key), runner)


def metadata(results: dict[str, Any]) -> dict[str, Any]:
    """``run.opinfo`` of a results document ({} when the file predates it or the run did not record it)."""
    run = results.get("run")
    meta = run.get("opinfo") if isinstance(run, dict) else None
    return meta if isinstance(meta, dict) else {}


def coverage(results: dict[str, Any]) -> Coverage:
    """The catalogue's coverage in a results document: entries by family, each classified, with its matrix."""
    by_entry: dict[str, list[dict[str, Any]]] = {}
    for r in opinfo_records(results):
        by_entry.setdefault(entry_of(r), []).append(r)
    entries = [_entry(name, items) for name, items in sorted(by_entry.items())]
    families = []
    for fam in sorted({e.family for e in entries}, key=_family_key):
        members = [e for e in entries if e.family == fam]
        dtypes = sorted({_dtype(r) for e in members for r in e.items}, key=_dtype_key)
        counts = {c: sum(e.status == c for e in members) for c in CLASSES}
        families.append(FamilyCoverage(fam, members, dtypes, counts, sum(e.runner_problem for e in members)))
    meta = metadata(results)
    total = meta.get("entries")
    from_metadata = isinstance(total, int) and not isinstance(total, bool) and total > 0
    available = meta.get("available") if isinstance(meta.get("available"), bool) else None
    return Coverage(
        families,
        int(total) if from_metadata else len(entries),
        from_metadata,
        available,
        str(meta.get("reason") or ""),
        {c: sum(e.status == c for e in entries) for c in CLASSES},
    )


def entry_statuses(results: dict[str, Any]) -> dict[str, str]:
    """Entry name -> its class (agree, expected, diverge, missing), for every entry with records."""
    return {e.entry: e.status for e in coverage(results).entries}


def family_line(f: FamilyCoverage) -> str:
    c = f.counts
    runner = f" ({f.runner_problems} of them runner problems)" if f.runner_problems else ""
    out = f", {c[OUT_OF_SCOPE]} out of scope" if c.get(OUT_OF_SCOPE) else ""
    return (f"{f.family}: {c['agree']}/{len(f.entries)} agree, {c['missing']} missing, {c['diverge']} diverge{runner}, "
            f"{c['expected']} expected{out}")  # fmt: skip


def total_line(cov: Coverage) -> str:
    c = cov.counts
    out = c.get(OUT_OF_SCOPE, 0)
    scoped = (f", {out} out of scope ({c['agree']}/{cov.entries_total - out} of the entries in scope agree)"
              if out else "")  # fmt: skip
    return (f"opinfo: {c['agree']}/{cov.entries_total} entries agree, {c['missing']} missing, {c['diverge']} diverge, "
            f"{c['expected']} expected{scoped}")  # fmt: skip


def notes(cov: Coverage) -> list[str]:
    """What the reader of the numbers needs to know: why the source did not run, or why N is not the catalogue's."""
    out = []
    if cov.available is False:
        out.append(f"opinfo source did not run: {cov.reason or 'no reason recorded'}")
    elif not cov.families:
        out.append("no opinfo items in this run (narrowed?)")
    seen = len(cov.entries)
    if cov.families and not cov.from_metadata:
        out.append(f"(this results file does not record the catalogue's size: {seen} is the number of entries seen)")
    elif cov.families and seen < cov.entries_total:
        out.append(f"(items of {seen} of the catalogue's {cov.entries_total} entries ran in this run)")
    return out


def summary_lines(results: dict[str, Any]) -> list[str]:
    """One line per family, notes, and last, always: ``opinfo: A/N entries agree, M missing, D diverge, E expected``."""
    cov = coverage(results)
    return [*(f"  {family_line(f)}" for f in cov.families), *notes(cov), total_line(cov)]
