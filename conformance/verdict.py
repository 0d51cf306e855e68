"""Observation x Observation -> Verdict, through compare.compare_arrays (the one mechanism).

Values are compared with torch.testing.assert_close's per-dtype tolerances
(or the scenario's declared override, widened per checkpoint if declared);
dtype, shape, requires_grad, is_leaf, grad_fn, errors and warnings must be
equal. Torch is the expected side everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .compare import Tolerance, ValueDiff, compare_arrays
from .observe import Entry, Observation
from .scenario import Scenario

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TRIGGERED = re.compile(r"\s*\(Triggered internally at [^)]*\)\.?")
METADATA_FIELDS = ("kind", "dtype", "shape", "requires_grad", "is_leaf", "grad_fn")


def normalise_message(text: str) -> str:
    """What legitimately differs between engines: memory addresses and torch's C++ source locations."""
    return _ADDRESS.sub("0x?", _TRIGGERED.sub("", text)).strip()


def show(value: Any, limit: int = 300) -> str:
    """A short, readable rendering of a recorded value for diffs and reports."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=20, edgeitems=3, precision=8)
        text = f"{text} ({value.dtype.name}, shape {list(value.shape)})"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Difference:
    """One thing that differs (or, for values, the comparison that was made)."""

    label: str
    field: str  # value, grad, final_grad, dtype, shape, ..., error, warnings, missing
    torch: str
    engine: str
    detail: str
    margin: float = math.inf
    worst_index: list[int] | None = None
    mismatched: int = 1
    ok: bool = False


@dataclass
class ClaimResult:
    label: str
    claim: str
    torch: str
    engine: str
    claim_vs_torch: str  # "claim agrees with torch" / "claim disagrees with torch"
    claim_vs_engine: str


@dataclass
class Verdict:
    agree: bool
    margin: float  # worst error / allowed error over every value compared (<= 1 when agreeing)
    mismatched: int  # mismatched elements (metadata and error differences count 1 each)
    worst: Difference | None  # the comparison with the largest margin, even when passing
    differences: list[Difference] = field(default_factory=list)  # only the failing ones
    claims: list[ClaimResult] = field(default_factory=list)

    def describe(self) -> str:
        """The failure text: each difference with both values and the worst element."""
        lines = []
        for d in self.differences:
            lines.append(f"- {d.label} [{d.field}]: {d.detail}")
            # a multi-row array's further rows line up under its first
            lines.append(f"    torch : {_indent(d.torch, 12)}")
            lines.append(f"    engine: {_indent(d.engine, 12)}")
        for c in self.claims:
            lines.append(f"- claim {c.label}: {c.claim_vs_torch}; {c.claim_vs_engine}")
            lines.append(f"    claim : {c.claim}\n    torch : {c.torch}\n    engine: {c.engine}")
        return "\n".join(lines)

    def to_record(self) -> dict[str, Any]:
        """Plain JSON-able data (inf margins become None)."""
        data = asdict(self)
        data["margin"] = _finite(self.margin)
        for d in [*data["differences"], *([data["worst"]] if data["worst"] else [])]:
            d["margin"] = _finite(d["margin"])
        return data


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return bool(a == b)


def keyed(entries: list[Entry]) -> dict[str, Entry]:
    """Entries by label; a label recorded twice gets ``#2``, ``#3`` so both are compared."""
    out: dict[str, Entry] = {}
    for e in entries:
        key, n = e.label, 1
        while key in out:
            n += 1
            key = f"{e.label}#{n}"
        out[key] = e
    return out


class _Comparer:
    def __init__(self, scenario: Scenario, dtype: str, device: str = "cpu") -> None:
        self.device = device
        self.scenario = scenario
        self.dtype = dtype
        self.compared: list[Difference] = []

    def tolerance(self, dtype: str, widen: float) -> Tolerance:
        # the declared override, else assert_close's default for the dtype the value was computed in
        # (a Python float read from a float32 tensor gets float32 tolerances, as docs/authoring.md says)
        tol = self.scenario.tolerance_for(dtype) or Tolerance.for_dtype(dtype, self.device)
        if widen == 1.0:
            return tol
        return Tolerance(tol.rtol * widen, tol.atol * widen, tol.reason or f"widened x{widen:g} at this checkpoint")

    def exact(self, label: str, fld: str, t: Any, e: Any, detail: str = "") -> None:
        ok = _equal(t, e)
        self.compared.append(
            Difference(label, fld, show(t), show(e), detail or ("equal" if ok else f"{fld} differs"),
                       0.0 if ok else math.inf, None, 0 if ok else 1, bool(ok))
        )  # fmt: skip

    def arrays(self, label: str, fld: str, t: Any, e: Any, dtype: str, widen: float) -> None:
        if t is None or e is None:
            both = t is None and e is None
            self.exact(label, fld, None if t is None else "a tensor", None if e is None else "a tensor",
                       "" if both else f"{fld} is None on one side only")  # fmt: skip
            return
        diff: ValueDiff = compare_arrays(e, t, self.tolerance(dtype, widen), check_dtype=False)
        self.compared.append(
            Difference(label, fld, show(np.asarray(t)), show(np.asarray(e)), diff.describe(), diff.margin,
                       list(diff.worst_index) if diff.worst_index is not None else None, diff.mismatched, diff.ok)
        )  # fmt: skip

    def entry(self, label: str, t: Entry, e: Entry) -> None:
        for fld in METADATA_FIELDS:
            if getattr(t, fld) != getattr(e, fld):
                self.exact(label, fld, getattr(t, fld), getattr(e, fld))
        if t.kind != e.kind or t.shape != e.shape:
            return  # values of different kinds or shapes are not comparable further
        if t.kind == "tensor":
            self.arrays(label, "value", t.value, e.value, t.dtype or self.dtype, t.widen)
            self.arrays(label, "grad", t.grad, e.grad, t.dtype or self.dtype, t.widen)
        elif t.kind == "float":
            self.arrays(label, "value", np.float64(t.value), np.float64(e.value), self.dtype, t.widen)
        elif t.kind == "error":
            self.exact(label, "error", normalise_message(t.value), normalise_message(e.value))
        else:
            self.exact(label, "value", t.value, e.value)


def compare_observations(
    torch_obs: Observation, engine_obs: Observation, scenario: Scenario, dtype: str, device: str = "cpu"
) -> Verdict:
    """Everything observable, torch as the expected side; ``device`` picks the tolerance table."""
    c = _Comparer(scenario, dtype, device)
    # The scenario's own error first: when it differs, it usually explains everything below.
    c.exact("<scenario>", "error", _err(torch_obs), _err(engine_obs))
    t_entries, e_entries = keyed(torch_obs.entries), keyed(engine_obs.entries)
    for label in t_entries:
        if label in e_entries:
            c.entry(label, t_entries[label], e_entries[label])
    _missing(c, t_entries, e_entries, "engine", engine_obs)
    _missing(c, e_entries, t_entries, "torch", torch_obs)
    # Only leaves both sides recorded: a checkpoint one side missed is reported above.
    for label in [k for k in torch_obs.final_grads if k in engine_obs.final_grads]:
        t_g, e_g = torch_obs.final_grads.get(label), engine_obs.final_grads.get(label)
        dt = t_entries[label].dtype if label in t_entries and t_entries[label].dtype else dtype
        c.arrays(label, "final_grad", t_g, e_g, dt, torch_obs.final_widen)
    c.exact("<scenario>", "warnings", _warns(torch_obs), _warns(engine_obs))
    return _verdict(c.compared, _claims(scenario, torch_obs, engine_obs))


def _missing(c: _Comparer, present: dict[str, Entry], other: dict[str, Entry], side: str, obs: Observation) -> None:
    """One difference listing every checkpoint that only the other side recorded."""
    labels = [k for k in present if k not in other]
    if not labels:
        return
    first = present[labels[0]]
    shown = ", ".join(labels[:8]) + (f", ... ({len(labels)} in all)" if len(labels) > 8 else "")
    recorded = f"{labels[0]} = {show(first.value)}"
    stopped = _stopped(obs)
    t_text, e_text = (recorded, stopped) if side == "engine" else (stopped, recorded)
    c.compared.append(
        Difference(labels[0], "missing", t_text, e_text, f"{len(labels)} checkpoint(s) not recorded by {side}: {shown}",
                   math.inf, None, len(labels), False)
    )  # fmt: skip


def _stopped(obs: Observation) -> str:
    return f"not recorded (run stopped: {obs.error[0]}: {obs.error[1]})" if obs.error else "not recorded"


def _err(obs: Observation) -> str | None:
    return None if obs.error is None else f"{obs.error[0]}: {normalise_message(obs.error[1])}"


# Warnings torch gives once per process (TORCH_WARN_ONCE): whether one shows up in a scenario
# depends on what ran earlier in the same worker, on either engine, so they are not compared.
ONCE_PER_PROCESS_WARNINGS = (
    "Using backward() with create_graph=True will create a reference cycle",
    # TORCH_WARN_ONCE deprecations and notices the op catalogue's entries reach
    "torch.qr is deprecated",
    "torch.cholesky is deprecated",
    "Using torch.cross without specifying the dim arg is deprecated",
    "torch.lu_solve is deprecated",
    "ComplexHalf support is experimental",
    "index_reduce() is in beta",
    # torch's first use of forward AD loads its jvp decompositions, which script functions (18 of these)
    "`torch.jit.script` is deprecated",
)


def _warns(obs: Observation) -> list[str]:
    return [
        f"{cat}: {normalise_message(text)}"
        for cat, text in obs.warnings
        if not text.startswith(ONCE_PER_PROCESS_WARNINGS)
    ]


def _verdict(compared: list[Difference], claims: list[ClaimResult]) -> Verdict:
    failing = [d for d in compared if not d.ok]
    worst = max(compared, key=lambda d: d.margin, default=None)
    return Verdict(
        agree=not failing,
        margin=worst.margin if worst else 0.0,
        mismatched=sum(d.mismatched for d in failing),
        worst=worst,
        differences=failing,
        claims=claims,
    )


def _side_value(obs: Observation, label: str) -> tuple[Entry | None, str]:
    if label == "error":
        err = _err(obs)
        return (Entry("error", "error", err) if err else None), (err or "no error")
    entry = keyed(obs.entries).get(label)
    return entry, (show(entry.value) if entry else _stopped(obs))


def _claim_agrees(claimed: Any, entry: Entry | None) -> bool:
    if entry is None:
        return False
    if entry.kind in ("error", "str"):
        return isinstance(claimed, str) and normalise_message(claimed) == normalise_message(entry.value)
    if isinstance(claimed, str) or entry.kind not in ("tensor", "float", "int", "bool", "size"):
        return claimed == entry.value
    return compare_arrays(np.asarray(entry.value), np.asarray(claimed), check_dtype=False).ok


def _claims(scenario: Scenario, torch_obs: Observation, engine_obs: Observation) -> list[ClaimResult]:
    out = []
    for label, claimed in scenario.claim.items():
        t_entry, t_text = _side_value(torch_obs, label)
        e_entry, e_text = _side_value(engine_obs, label)
        out.append(
            ClaimResult(
                label, show(claimed), t_text, e_text,
                "claim agrees with torch" if _claim_agrees(claimed, t_entry) else "claim disagrees with torch",
                "claim agrees with engine" if _claim_agrees(claimed, e_entry) else "claim disagrees with engine",
            )
        )  # fmt: skip
    return out
