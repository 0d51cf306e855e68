"""Importing scenario files and the expected-divergence registry, with errors that name file and line."""

from __future__ import annotations

import operator
import re
import tomllib
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .record import OPINFO_CHECKS
from .scenario import Scenario, ScenarioError, did_you_mean, drain_pending

EXPECTED_FILE = "expected_divergences.toml"


def load_scenario_file(path: Path) -> list[Scenario]:
    """The scenarios a file registers, in file order; a malformed file raises ScenarioError."""
    drain_pending()
    try:
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    except SyntaxError as exc:
        raise ScenarioError(f"{exc.filename}:{exc.lineno}: syntax error in scenario file: {exc.msg}") from None
    module = types.ModuleType(f"conformance_scenarios.{path.stem}")
    module.__file__ = str(path)
    try:
        exec(code, module.__dict__)
    except ScenarioError:
        drain_pending()
        raise
    except Exception as exc:  # noqa: BLE001 - any import failure becomes a located collection error
        drain_pending()
        line = _line_in(exc, str(path))
        raise ScenarioError(f"{path}:{line}: importing the scenario file raised {type(exc).__name__}: {exc}") from None
    found = drain_pending()
    seen: dict[str, Scenario] = {}
    for sc in found:
        if sc.name in seen:
            raise ScenarioError(
                f"{sc.where}: duplicate scenario name {sc.name!r} (first defined at {seen[sc.name].where})"
            )
        seen[sc.name] = sc
    return found


def _line_in(exc: BaseException, filename: str) -> int | str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return frames[-1].lineno if frames else "?"


@dataclass(frozen=True)
class ExpectedDivergence:
    """A registry entry: this scenario or script (optionally only these dtypes / pairs) is known to diverge;
    or, with ``generated``, a generated check's failures whose problem text matches the ``match`` regex."""

    scenario: str
    reason: str
    dtypes: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    where: str = ""
    torch: str = ""  # a condition on the installed torch release, like "<2.13" (empty: any release)
    generated: str = ""  # a generated check (conformance.generated.CHECKS); then scenario is ""
    match: str = ""  # a regex searched in a generated failure's problem lines
    opinfo: str = ""  # an entry of torch's op catalogue (conformance/opinfo.py); then scenario is ""
    checks: tuple[str, ...] = ()  # with opinfo: the checks (forward, backward, ...) it covers (empty: all)
    scope: str = ""  # with opinfo: "out" marks an entry the engine does not aim to cover (counted apart)

    def matches(self, name: str, dtype: str, pair: str) -> bool:
        return (
            not self.generated
            and not self.opinfo
            and self.scenario == name
            and (not self.dtypes or dtype in self.dtypes)
            and (not self.pairs or pair in self.pairs)
            and (not self.torch or torch_release_matches(self.torch))
        )

    def matches_generated(self, check: str, problems: str) -> bool:
        """A generated failure of ``check`` whose problem text (the differences, one per line) matches."""
        return (
            self.generated == check
            and re.search(self.match, problems) is not None
            and (not self.torch or torch_release_matches(self.torch))
        )


def opinfo_expected(entries: list[ExpectedDivergence], entry: str, dtype: str) -> dict[str, str]:
    """A catalogue item's registered divergences: check (or "*" for all checks) -> reason."""
    out: dict[str, str] = {}
    for e in entries:
        if (
            e.opinfo == entry
            and (not e.dtypes or dtype in e.dtypes)
            and (not e.torch or torch_release_matches(e.torch))
        ):
            for check in e.checks or ("*",):
                out.setdefault(check, e.reason)
    return out


def opinfo_out_of_scope(entries: list[ExpectedDivergence], entry: str) -> bool:
    """Whether the registry marks a catalogue entry as out of the engine's scope (``scope = "out"``)."""
    return any(
        e.opinfo == entry and e.scope == OUT_OF_SCOPE and (not e.torch or torch_release_matches(e.torch))
        for e in entries
    )


def expected_reason(entries: list[ExpectedDivergence], name: str, dtype: str, pair: str) -> str | None:
    """The reason of the first entry that declares this item an expected divergence (None: none does)."""
    return next((e.reason for e in entries if e.matches(name, dtype, pair)), None)


_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}


def _release(version: str) -> tuple[int, ...]:
    """'2.11.0+cu130' -> (2, 11, 0); a pre-release suffix ('2.14.0a0') is ignored."""
    parts = []
    for piece in version.split("+", maxsplit=1)[0].split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


BUILDS = ("cuda build", "cpu build")  # torch conditions on the build rather than the release


def parse_torch_condition(text: str) -> tuple[Any, tuple[int, ...]]:
    """'<2.13' -> (operator.lt, (2, 13)); "cuda build"/"cpu build" -> (None, ()); anything else a ValueError."""
    if text.strip() in BUILDS:
        return None, ()
    m = re.fullmatch(r"\s*(<=|>=|==|<|>)\s*(\d+(?:\.\d+)*)\s*", text)
    if not m:
        raise ValueError(
            f"torch condition must look like '<2.13' or '>=2.14.1' (or be 'cuda build' / 'cpu build'), got {text!r}"
        )
    return _OPS[m.group(1)], _release(m.group(2))


def torch_release_matches(condition: str, installed: str | None = None) -> bool:
    """Whether the installed torch (or ``installed``) satisfies ``condition``, compared on the condition's fields."""
    if installed is None:
        import torch  # noqa: PLC0415 - only registries that name a torch condition need it

        installed = torch.__version__
    op, want = parse_torch_condition(condition)
    if op is None:  # a build condition: a CUDA build answers device questions otherwise, with or without a GPU
        import torch  # noqa: PLC0415

        return (torch.version.cuda is not None) == (condition.strip() == "cuda build")
    return bool(op(_release(installed)[: len(want)], want))


def load_expected(path: Path) -> list[ExpectedDivergence]:
    """``[[divergence]]`` tables with scenario, reason and optional dtypes/pairs lists."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    out = []
    for i, entry in enumerate(data.get("divergence", [])):
        out.append(_entry(path, i, entry))
    unknown = set(data) - {"divergence"}
    if unknown:
        raise ScenarioError(f"{path}: unknown top-level keys {sorted(unknown)} (expected [[divergence]] tables)")
    return out


ENTRY_KEYS = ("scenario", "reason", "dtypes", "pairs", "torch", "generated", "match", "opinfo", "checks", "scope")
OUT_OF_SCOPE = "out"  # the one value of ``scope``: see docs/opinfo.md, "Out of scope"


def _entry(path: Path, i: int, entry: Any) -> ExpectedDivergence:
    where = f"{path}: [[divergence]] #{i + 1}"
    if not isinstance(entry, dict):
        raise ScenarioError(f"{where}: allowed keys are {', '.join(ENTRY_KEYS)}")
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], ENTRY_KEYS)}; "
            f"allowed keys are {', '.join(ENTRY_KEYS)}"
        )
    if not isinstance(entry.get("reason"), str) or not entry["reason"]:
        raise ScenarioError(f"{where}: needs a non-empty reason")
    if "generated" in entry:
        _generated_entry(where, entry)
    elif "opinfo" in entry:
        _opinfo_entry(where, entry)
    elif not isinstance(entry.get("scenario"), str):
        raise ScenarioError(
            f'{where}: needs scenario = "name" (or generated = "check" with match = "regex", or opinfo = "entry")'
        )
    if "checks" in entry and "opinfo" not in entry:
        raise ScenarioError(f'{where}: checks go with opinfo = "entry"')
    if "scope" in entry and ("opinfo" not in entry or entry["scope"] != OUT_OF_SCOPE or "checks" in entry
                             or "dtypes" in entry):  # fmt: skip
        raise ScenarioError(f'{where}: scope = "{OUT_OF_SCOPE}" marks a whole catalogue entry (opinfo = "entry", '
                            "no checks or dtypes) as out of the engine's scope")  # fmt: skip
    condition = entry.get("torch", "")
    try:
        if condition:
            parse_torch_condition(condition)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    return ExpectedDivergence(
        entry.get("scenario", ""), entry["reason"], tuple(entry.get("dtypes", ())), tuple(entry.get("pairs", ())),
        where, condition, entry.get("generated", ""), entry.get("match", ""), entry.get("opinfo", ""),
        tuple(entry.get("checks", ())), entry.get("scope", ""),
    )  # fmt: skip


def _opinfo_entry(where: str, entry: dict[str, Any]) -> None:
    """A catalogue entry: its name, optionally dtypes and the checks it covers; nothing scenario-shaped."""
    if set(entry) & {"scenario", "pairs", "generated", "match"}:
        raise ScenarioError(f"{where}: an opinfo entry takes opinfo, reason, dtypes, checks (and torch)")
    if not isinstance(entry["opinfo"], str) or not entry["opinfo"]:
        raise ScenarioError(f'{where}: needs opinfo = "entry name" (as in `conformance list --source opinfo`)')
    bad = [c for c in entry.get("checks", ()) if c not in OPINFO_CHECKS]
    if bad or not isinstance(entry.get("checks", ()), list | tuple):
        raise ScenarioError(
            f"{where}: checks must be a list of {', '.join(OPINFO_CHECKS)}; got {entry.get('checks')!r}"
        )


def _generated_entry(where: str, entry: dict[str, Any]) -> None:
    """A generated-check entry names the check and a regex over the failure's problems, nothing item-shaped."""
    if set(entry) & {"scenario", "dtypes", "pairs"}:
        raise ScenarioError(
            f"{where}: a generated entry takes generated, match, reason (and torch), not scenario/dtypes/pairs"
        )
    if not isinstance(entry["generated"], str) or not isinstance(entry.get("match"), str) or not entry["match"]:
        raise ScenarioError(f'{where}: needs generated = "check" and match = "regex over the problem text"')
    try:
        re.compile(entry["match"])
    except re.error as exc:
        raise ScenarioError(f"{where}: match is not a valid regex: {exc}") from None
