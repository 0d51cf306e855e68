"""Whole-script scenarios: an ordinary torch script, run unchanged on torch and on the engine, output compared.

A script scenario is a plain file ``scenarios/scripts/<name>.py`` that ``python <file>`` runs with
real torch. The plugin collects each as one item ``<name>[script-cpu-numpy]``; running it:

1. starts the script twice, each time in a fresh interpreter (``_script_bootstrap.py``) with an
   empty temporary working directory: once on real torch, once with ``torch`` and every
   ``torch.<sub>`` import aliased to ``reference_engine``. stdout, stderr, the exit status and the
   exception (type and first message line) of each run are captured; a run past the timeout is
   killed with its whole process group.
2. compares the two stdouts line by line and token by token (``tokenize``): numbers (ints, floats,
   scientific notation, nan/inf, the elements of tensor reprs) agree within a tolerance, every
   other token must be equal, whitespace between tokens is layout and is not compared. Then the
   exceptions and the exit statuses, which must be equal. stderr is shown, never compared.

Settings are ``# conformance: key = value`` comment lines (TOML values) in the script itself:
``tags``, ``rtol``, ``atol``, ``tolerance_reason``, ``timeout_s``. An expected divergence is declared
in ``scenarios/expected_divergences.toml`` (``scenario = "<script name>"``), as for every item.
The default tolerance is conformance.compare's float32 one, the dtype torch scripts compute in.

Run one by hand: ``python -m conformance.script_scenario scenarios/scripts/tutorial_autograd.py``
(``--side engine`` runs only the engine side and shows its output).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import DEFAULT_TOLERANCES, Tolerance
from .record import Record, judge
from .scenario import KNOWN_TAGS, ScenarioError, did_you_mean
from .verdict import Difference, Verdict, normalise_message

BOOTSTRAP = Path(__file__).resolve().with_name("_script_bootstrap.py")
ENGINE_ROOT = Path(__file__).resolve().parent.parent  # the checkout whose reference_engine is under test
SETTINGS_PREFIX = "# conformance:"
SCRIPT_TAG = "script"  # every script item carries it (a pytest mark: `pytest -m script`)
DTYPE = "script"  # the dtype slot of the item id: a script picks its own dtypes
PAIR = "cpu-numpy"  # torch on the CPU against the engine on NumPy
DEFAULT_RTOL, DEFAULT_ATOL = DEFAULT_TOLERANCES["float32"]
DEFAULT_TOLERANCE = Tolerance(DEFAULT_RTOL, DEFAULT_ATOL)
DEFAULT_TIMEOUT_S = 60.0
STARTUP_S = 120.0  # importing torch or the engine, before a script's time limit starts
SETTING_KEYS = ("tags", "rtol", "atol", "tolerance_reason", "timeout_s")
MAX_LINE_DIFFS = 10  # differing lines listed per item (the count of all of them is always given)
TAIL_CHARS = 2000  # stderr shown per side in a failure message


# -- the script and its settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptScenario:
    """One script file and its validated settings."""

    path: Path
    name: str
    tags: tuple[str, ...] = (SCRIPT_TAG,)
    tolerance: Tolerance = DEFAULT_TOLERANCE
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def where(self) -> str:
        """``file:1``, relative to the working directory when the file is below it."""
        path = self.path
        with contextlib.suppress(ValueError):
            path = path.relative_to(Path.cwd())
        return f"{path}:1"

    @property
    def item_id(self) -> str:
        return f"{self.name}[{DTYPE}-{PAIR}]"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def load_script(path: Path) -> ScriptScenario:
    """Read a script's ``# conformance:`` settings; anything malformed raises ScenarioError naming file:line."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}:1: cannot read script: {exc}") from None
    settings: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith(SETTINGS_PREFIX):
            continue
        where = f"{path}:{lineno}"
        try:
            parsed = tomllib.loads(line[len(SETTINGS_PREFIX) :].strip())
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{where}: bad setting (expected `key = TOML value`): {exc}") from None
        for key, value in parsed.items():
            if key not in SETTING_KEYS:
                raise ScenarioError(f"{where}: unknown setting {key!r} (known: {', '.join(SETTING_KEYS)})")
            if key in settings:
                raise ScenarioError(f"{where}: setting {key!r} given twice (first at line {lines[key]})")
            settings[key], lines[key] = value, lineno
    return _validated(path, settings, lines)


def _validated(path: Path, s: dict[str, Any], lines: dict[str, int]) -> ScriptScenario:
    def fail(key: str, message: str) -> ScenarioError:
        return ScenarioError(f"{path}:{lines.get(key, 1)}: {message}")

    tags = s.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail("tags", f"tags must be a list of strings, got {tags!r}")
    unknown = [t for t in tags if t not in KNOWN_TAGS and t != SCRIPT_TAG]
    if unknown:
        hint = did_you_mean(unknown[0], KNOWN_TAGS)
        raise fail("tags", f"unknown tag {unknown}{hint} (known: {sorted(KNOWN_TAGS)})")
    rtol, atol = s.get("rtol", DEFAULT_RTOL), s.get("atol", DEFAULT_ATOL)
    for key, value in (("rtol", rtol), ("atol", atol)):
        if not _number(value):
            raise fail(key, f"bad {key} {value!r}: expected a finite number >= 0")
    reason = s.get("tolerance_reason", "")
    if not isinstance(reason, str):
        raise fail("tolerance_reason", "tolerance_reason must be a string")
    if (rtol > DEFAULT_RTOL or atol > DEFAULT_ATOL) and not reason.strip():
        key = "rtol" if rtol > DEFAULT_RTOL else "atol"
        raise fail(key, f"a tolerance looser than the defaults (rtol {DEFAULT_RTOL:g}, atol {DEFAULT_ATOL:g}) "
                        "needs tolerance_reason = \"why\"")  # fmt: skip
    timeout = s.get("timeout_s", DEFAULT_TIMEOUT_S)
    if not _number(timeout) or timeout == 0:
        raise fail("timeout_s", f"bad timeout_s {timeout!r}: expected seconds > 0")
    return ScriptScenario(
        path=path,
        name=path.stem,
        tags=(SCRIPT_TAG, *dict.fromkeys(t for t in tags if t != SCRIPT_TAG)),
        tolerance=Tolerance(float(rtol), float(atol), reason.strip()),
        timeout_s=float(timeout),
    )


# -- running one side ----------------------------------------------------------------------------------


@dataclass
class ScriptRun:
    """What one run of the script did, as plain data."""

    side: str  # "torch" or "engine"
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None  # None: killed (timeout or signal)
    exception: tuple[str, str] | None = None  # (type, first message line)
    traceback: str = ""
    timed_out: bool = False
    signal: str | None = None  # the signal that killed it, when not our timeout
    torch_module: str | None = None  # the module `torch` was in the script's process
    foreign_torch_modules: list[str] = field(default_factory=list)
    reported: bool = False  # the bootstrap wrote its report (False: killed, or the script called os._exit)
    wall_s: float = 0.0
    stack: str = ""  # where a timed-out run was (the faulthandler dump)

    @property
    def printed_nothing(self) -> bool:
        """No line on stdout and no exception: a script run with nothing to compare."""
        return not self.stdout.strip() and self.exception is None

    @property
    def error(self) -> str | None:
        """``"Type: message"`` of the script's exception, addresses normalised (None: it raised nothing)."""
        return None if self.exception is None else f"{self.exception[0]}: {normalise_message(self.exception[1])}"

    def problem(self) -> str:
        """Why this run says nothing about the engine ('' when it ran to an end of its own)."""
        if self.timed_out:
            return f"the {self.side} run was stopped at its time limit"
        if self.signal:
            return f"the {self.side} run crashed: killed by {self.signal}"
        if self.foreign_torch_modules:
            return f"the engine run loaded real torch modules: {', '.join(self.foreign_torch_modules[:5])}"
        return ""


def _environment(side: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP", "PYTHONINSPECT")}
    env.update(
        PYTHONHASHSEED="0",  # set and dict-of-str orders printed by a script are the same on both sides
        PYTHONIOENCODING="utf-8",
        PYTHONUNBUFFERED="1",  # a killed run still shows everything it printed
        CUDA_VISIBLE_DEVICES="",  # the comparison is torch on the CPU: `if torch.cuda.is_available()` is False
    )
    if side == "engine":
        env["CONFORMANCE_ENGINE_ROOT"] = str(ENGINE_ROOT)
    return env


def run_script(
    path: Path,
    side: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    preload: Path | None = None,
    args: Sequence[str] = (),
    cwd: Path | None = None,
) -> ScriptRun:
    """Run ``path`` as ``__main__`` in a fresh interpreter on ``side`` ("torch" or "engine"), ``args`` its arguments.

    The working directory is ``cwd``, or by default a new empty one, so files a script writes never reach the
    other run. The limit counts from the moment torch (or the engine) is imported in the script's process: the
    bootstrap's faulthandler watchdog stops it there, with its stack; this process waits ``STARTUP_S`` more
    before it kills the process group itself.
    """
    if side not in ("torch", "engine"):
        raise ValueError(f"side must be 'torch' or 'engine', got {side!r}")
    run = ScriptRun(side)
    with tempfile.TemporaryDirectory(prefix=f"conformance-script-{side}-") as tmp:
        report = Path(tmp) / "report.json"
        if cwd is None:
            cwd = Path(tmp) / "cwd"
            cwd.mkdir()
        stack_file = Path(tmp) / "timeout-stack.txt"
        argv = [sys.executable, "-P", str(BOOTSTRAP), side, str(Path(path).resolve()), str(report)]
        argv += [str(Path(preload).resolve()) if preload is not None else "", *args]
        env = {**_environment(side), "CONFORMANCE_TIMEOUT_S": str(timeout_s), "CONFORMANCE_STACK_FILE": str(stack_file)}
        start = time.perf_counter()
        # A session of its own: on timeout the whole group (the script's children too) is killed.
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
        try:
            out, err = proc.communicate(timeout=timeout_s + STARTUP_S)
        except subprocess.TimeoutExpired:
            run.timed_out = True
            out, err = b"", b""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the script's own children, and the script if it still runs
        if run.timed_out:
            out, err = proc.communicate()
        if stack_file.exists() and stack_file.stat().st_size:
            run.timed_out = True
            run.stack = stack_file.read_text(encoding="utf-8", errors="backslashreplace")
        run.wall_s = time.perf_counter() - start
        run.stdout = out.decode("utf-8", errors="replace")
        run.stderr = err.decode("utf-8", errors="replace")
        code = proc.returncode
        if code is not None and code < 0 and not run.timed_out:
            run.signal = _signal_name(-code)
        run.exit_code = code if code is not None and code >= 0 and not run.timed_out else None
        if report.exists():
            _read_report(run, report)
    return run


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _read_report(run: ScriptRun, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    exc = data.get("exception")
    run.exception = (str(exc[0]), str(exc[1])) if exc else None
    run.traceback = data.get("traceback") or ""
    run.torch_module = data.get("torch_module")
    run.foreign_torch_modules = list(data.get("foreign_torch_modules") or [])
    run.reported = True


# -- tokens ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<addr>0x[0-9a-fA-F]+)                                     # memory addresses differ between any two runs
    | (?<![\w.])(?P<special>[-+]?(?:nan|inf))(?![\w.])           # Python's and torch's nan / inf
    | (?<![\w.])(?P<num>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)(?![\w.])
    | (?P<word>[^\W\d]\w*)                                       # identifiers, float32, MulBackward0
    | (?P<other>\S)                                              # punctuation, one character each
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Number:
    """A number as printed: its value, int or float, and the resolution of its last printed digit."""

    text: str
    value: float
    is_float: bool
    resolution: float  # 10**-decimals (x 10**exponent); 0 for ints and for numbers printed without decimals


def _parse_number(text: str) -> Number:
    lower = text.lower()
    if lower.lstrip("+-") in ("nan", "inf"):
        return Number(text, float(lower), True, 0.0)
    mantissa, _, exponent = lower.partition("e")
    is_float = "." in mantissa or bool(exponent)
    decimals = len(mantissa.partition(".")[2])
    # torch prints `5.` only for whole numbers, Python's repr of a float is the shortest exact one:
    # a number printed without decimals is taken as exact; `0.1235` stands for anything within 5e-5.
    resolution = 10.0 ** (int(exponent or 0) - decimals) if decimals else 0.0
    value = float(lower) if is_float else float(int(lower))
    return Number(text, value, is_float, resolution)


Token = str | Number


def tokenize(line: str) -> list[Token]:
    """Numbers as ``Number``, everything else as strings; whitespace only separates tokens."""
    out: list[Token] = []
    for m in _TOKEN.finditer(line):
        kind = m.lastgroup
        if kind == "addr":
            out.append("0x?")
        elif kind in ("special", "num"):
            out.append(_parse_number(m.group()))
        else:
            out.append(m.group())
    return out


def skeleton(tokens: list[Token]) -> tuple[str, ...]:
    """The line with each number replaced by its kind: what must match exactly."""
    return tuple(("<float>" if t.is_float else "<int>") if isinstance(t, Number) else t for t in tokens)


def numbers(tokens: list[Token]) -> list[Number]:
    return [t for t in tokens if isinstance(t, Number)]


# -- comparing outputs ----------------------------------------------------------------------------------


@dataclass
class NumberDiff:
    index: int  # the number's position among the line's numbers
    torch: Number
    engine: Number
    abs_err: float
    rel_err: float
    allowed: float
    margin: float  # abs_err / allowed; <= 1 agrees

    @property
    def ok(self) -> bool:
        return self.margin <= 1.0


def compare_numbers(t: Number, e: Number, tol: Tolerance, index: int = 0) -> NumberDiff:
    """``|e - t| <= atol + rtol |t|`` plus half a printed digit of each side; nan and inf must match."""
    a, b = e.value, t.value
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        same = (math.isnan(a) and math.isnan(b)) or a == b
        return NumberDiff(index, t, e, 0.0 if same else math.inf, 0.0 if same else math.inf, 0.0,
                          0.0 if same else math.inf)  # fmt: skip
    abs_err = abs(a - b)
    allowed = tol.atol + tol.rtol * abs(b) + (t.resolution + e.resolution) / 2
    rel = abs_err / abs(b) if b else (0.0 if abs_err == 0 else math.inf)
    margin = 0.0 if abs_err == 0 else (abs_err / allowed if allowed > 0 else math.inf)
    return NumberDiff(index, t, e, abs_err, rel, allowed, margin)


@dataclass
class LineDiff:
    """One line (or a line present on one side only) and how it compares."""

    torch_line: int | None  # 1-based line numbers; None when the line exists on the other side only
    engine_line: int | None
    torch_text: str | None
    engine_text: str | None
    kind: str  # "numbers" (same text, numbers compared), "text", "missing" (only torch), "extra" (only engine)
    numbers: list[NumberDiff] = field(default_factory=list)

    @property
    def margin(self) -> float:
        if self.kind != "numbers":
            return math.inf
        return max((n.margin for n in self.numbers), default=0.0)

    @property
    def ok(self) -> bool:
        return self.kind == "numbers" and all(n.ok for n in self.numbers)

    @property
    def label(self) -> str:
        if self.torch_line is not None:
            return f"stdout line {self.torch_line}"
        return f"stdout line {self.engine_line} (engine)"

    def detail(self, tol: Tolerance) -> str:
        if self.kind == "missing":
            return "line printed by torch only"
        if self.kind == "extra":
            return "line printed by the engine only"
        if self.kind == "text":
            return "text differs: " + _first_text_difference(self.torch_text or "", self.engine_text or "")
        bad = [n for n in self.numbers if not n.ok]
        if not bad:
            return f"agree ({len(self.numbers)} number(s), margin {self.margin:.3g})"
        worst = max(bad, key=lambda n: n.margin)
        shown = "; ".join(_number_detail(n) for n in sorted(bad, key=lambda n: -n.margin)[:3])
        more = f"; and {len(bad) - 3} more" if len(bad) > 3 else ""
        return (f"{len(bad)} / {len(self.numbers)} numbers differ; {shown}{more} "
                f"(allowed rtol {tol.rtol:g} atol {tol.atol:g} + half the last printed digit; "
                f"margin {worst.margin:.3g})")  # fmt: skip


def _number_detail(n: NumberDiff) -> str:
    return (f"number {n.index + 1}: engine {n.engine.text} vs torch {n.torch.text} "
            f"(abs {n.abs_err:.3g}, rel {n.rel_err:.3g})")  # fmt: skip


def _first_text_difference(t: str, e: str) -> str:
    tt, et = tokenize(t), tokenize(e)
    for i, (a, b) in enumerate(zip(tt, et)):
        if isinstance(a, Number) and isinstance(b, Number):
            if a.is_float != b.is_float:
                return (
                    f"token {i + 1}: engine prints {'a float' if b.is_float else 'an int'} {b.text!r}, "
                    f"torch {'a float' if a.is_float else 'an int'} {a.text!r}"
                )
            continue
        if a != b:
            return f"token {i + 1}: engine {_show(b)} vs torch {_show(a)}"
    if len(tt) != len(et):
        return f"torch has {len(tt)} tokens, the engine {len(et)}"
    return "whitespace only"  # not reached: whitespace is not compared


def _show(tok: Token) -> str:
    return repr(tok.text if isinstance(tok, Number) else tok)


def compare_outputs(torch_out: str, engine_out: str, tol: Tolerance) -> list[LineDiff]:
    """Every line of both outputs, aligned on their text with numbers masked, then numbers compared."""
    t_lines, e_lines = torch_out.splitlines(), engine_out.splitlines()
    t_tok, e_tok = [tokenize(x) for x in t_lines], [tokenize(x) for x in e_lines]
    t_sk, e_sk = [skeleton(x) for x in t_tok], [skeleton(x) for x in e_tok]
    out: list[LineDiff] = []
    matcher = difflib.SequenceMatcher(None, t_sk, e_sk, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                nums = [compare_numbers(a, b, tol, k) for k, (a, b) in enumerate(zip(numbers(t_tok[i]),
                                                                                        numbers(e_tok[j])))]  # fmt: skip
                out.append(LineDiff(i + 1, j + 1, t_lines[i], e_lines[j], "numbers", nums))
            continue
        # Changed blocks: pair lines up in order, the rest is on one side only.
        pairs = min(i2 - i1, j2 - j1)
        for k in range(pairs):
            out.append(LineDiff(i1 + k + 1, j1 + k + 1, t_lines[i1 + k], e_lines[j1 + k], "text"))
        for i in range(i1 + pairs, i2):
            out.append(LineDiff(i + 1, None, t_lines[i], None, "missing"))
        for j in range(j1 + pairs, j2):
            out.append(LineDiff(None, j + 1, None, e_lines[j], "extra"))
    return out


# -- the verdict -------------------------------------------------------------------------------------


@dataclass
class ScriptResult:
    status: str  # pass, diverge, xfail, xpass, timeout, runner-error (flaky after a rerun that agreed)
    verdict: Verdict | None
    torch: ScriptRun
    engine: ScriptRun | None
    lines: list[LineDiff]
    message: str
    record: Record


def compare_runs(torch_run: ScriptRun, engine_run: ScriptRun, tol: Tolerance) -> tuple[Verdict, list[LineDiff]]:
    """Both runs as conformance.verdict's Verdict: failing lines first in output order, then error and exit."""
    lines = compare_outputs(torch_run.stdout, engine_run.stdout, tol)
    compared: list[Difference] = []
    for ld in lines:
        compared.append(Difference(
            ld.label, "stdout", _line_text(ld.torch_text), _line_text(ld.engine_text), ld.detail(tol),
            ld.margin, [ld.torch_line or ld.engine_line or 0], 0 if ld.ok else max(1, sum(not n.ok for n in ld.numbers)),
            ld.ok,
        ))  # fmt: skip
    t_count, e_count = len(torch_run.stdout.splitlines()), len(engine_run.stdout.splitlines())
    if t_count != e_count:
        compared.append(Difference("stdout", "line count", str(t_count), str(e_count),
                                   f"torch printed {t_count} line(s), the engine {e_count}"))  # fmt: skip
    for fld, t, e in (
        ("error", torch_run.error, engine_run.error),
        ("exit", torch_run.exit_code, engine_run.exit_code),
    ):
        ok = t == e
        compared.append(Difference("<script>", fld, repr(t) if t is None else str(t), repr(e) if e is None else str(e),
                                   "equal" if ok else f"{fld} differs", 0.0 if ok else math.inf, None, int(not ok),
                                   ok))  # fmt: skip
    failing = [d for d in compared if not d.ok]
    worst = max(compared, key=lambda d: d.margin, default=None)
    verdict = Verdict(not failing, worst.margin if worst else 0.0, sum(d.mismatched for d in failing), worst,
                      failing[:MAX_LINE_DIFFS] + [d for d in failing[MAX_LINE_DIFFS:] if d.label == "<script>"
                                                  or d.field == "line count"])  # fmt: skip
    return verdict, lines


def _line_text(text: str | None) -> str:
    return "(no line)" if text is None else text


def describe(verdict: Verdict, lines: list[LineDiff]) -> str:
    """The failure text: the differing lines side by side, how many lines differ in all."""
    bad = [ld for ld in lines if not ld.ok]
    head = verdict.describe()
    if len(bad) > MAX_LINE_DIFFS:
        head += f"\n({len(bad)} stdout lines differ in all; the first {MAX_LINE_DIFFS} are shown)"
    return head


def run_script_item(
    script: ScriptScenario,
    expected_divergence: str | None = None,
    timeout_s: float | None = None,
    engine_preload: Path | None = None,
    args: Sequence[str] = (),
    cwd: Path | None = None,
) -> ScriptResult:
    """Run the script on torch, then on the engine, and judge; never raises for anything the script does.

    ``args`` are the script's command-line arguments on both sides; ``cwd`` the working directory of both runs
    (default: a new empty one per run).
    """
    limit = script.timeout_s if timeout_s is None else timeout_s
    start = time.perf_counter()
    torch_run = run_script(script.path, "torch", limit, args=args, cwd=cwd)
    engine_run = None
    if not torch_run.problem():
        engine_run = run_script(script.path, "engine", limit, engine_preload, args=args, cwd=cwd)
    elapsed = time.perf_counter() - start
    failed = torch_run if engine_run is None else engine_run if engine_run.problem() else None
    verdict, lines = None, []
    if failed is None and _checks_nothing(torch_run, engine_run):  # type: ignore[arg-type]
        status = "runner-error"
        message = ("the script checks nothing: neither run printed a line or raised an exception, and both "
                   "exited alike, so there is nothing to compare (print what the script computes)")  # fmt: skip
    elif failed is not None:
        status = "timeout" if failed.timed_out else "runner-error"
        problem = failed.problem()
        if failed.timed_out:
            problem = f"script {script.name!r} on {failed.side} ran longer than {limit:g} s and was stopped"
            problem += f"; where it was:\n{failed.stack}" if failed.stack else ""
        message = problem + _outputs_note(torch_run, engine_run)
    else:
        verdict, lines = compare_runs(torch_run, engine_run, script.tolerance)  # type: ignore[arg-type]
        status, message = judge(verdict.agree, describe(verdict, lines), expected_divergence, "printed output")
        if status in ("diverge", "xfail"):
            message += _outputs_note(torch_run, engine_run)
    record = _record(script, status, verdict, lines, torch_run, engine_run, message, expected_divergence, elapsed)
    return ScriptResult(status, verdict, torch_run, engine_run, lines, message, record)


def _checks_nothing(torch_run: ScriptRun, engine_run: ScriptRun) -> bool:
    return torch_run.printed_nothing and engine_run.printed_nothing and torch_run.exit_code == engine_run.exit_code


def _tail(text: str) -> str:
    return text if len(text) <= TAIL_CHARS else "...\n" + text[-TAIL_CHARS:]


def _outputs_note(torch_run: ScriptRun, engine_run: ScriptRun | None) -> str:
    parts = []
    for run in (torch_run, engine_run):
        if run is None:
            continue
        if run.problem() and run.stdout:
            parts.append(f"\n\n{run.side} stdout (last part):\n{_tail(run.stdout)}")
        if run.stderr.strip():
            parts.append(f"\n\n{run.side} stderr:\n{_tail(run.stderr)}")
    return "".join(parts)


# -- the record (results.json) ------------------------------------------------------------------------


def _record(
    script: ScriptScenario,
    status: str,
    verdict: Verdict | None,
    lines: list[LineDiff],
    t: ScriptRun,
    e: ScriptRun | None,
    message: str,
    expected: str | None,
    elapsed: float,
) -> Record:
    record = Record(
        script.item_id, status, "script", script.name, DTYPE, PAIR, list(script.tags), str(_relative(script.path)), 1,
        seed=None,  # the script seeds itself (torch.manual_seed)
        expected_divergence=expected, message=message,
        errors={"torch": t.error, "engine": e.error if e else None},
        duration={"torch": t.wall_s, "engine": e.wall_s if e else None, "total": elapsed}, claims=[],
        extra={
            "exit": {"torch": t.exit_code, "engine": e.exit_code if e else None},
            "torch_module": {"torch": t.torch_module, "engine": e.torch_module if e else None},
            "tolerance": {"rtol": script.tolerance.rtol, "atol": script.tolerance.atol,
                          "reason": script.tolerance.reason},
        },
    )  # fmt: skip
    if verdict is not None:
        record.set_verdict(verdict.to_record())
    stack = next((run.stack for run in (t, e) if run is not None and run.stack), "")
    if stack:
        record.stack = stack
    record.curves = loss_curves(lines) or None
    if status != "pass":
        record.source = _source(script.path)
        first = ""
        if verdict is not None and verdict.differences:
            d = verdict.differences[0]
            first = f"First difference, {d.label} [{d.field}]:\n  torch : {d.torch}\n  engine: {d.engine}"
        record.reproducer = reproducer(script, first)
        record.extra["stdout"] = {"torch": _tail(t.stdout), "engine": _tail(e.stdout) if e else None}
        record.extra["stderr"] = {"torch": _tail(t.stderr), "engine": _tail(e.stderr) if e else None}
        bad = [ld for ld in lines if not ld.ok]
        if bad:
            record.first_divergence = bad[0].label
        record.checkpoints = [_side_by_side(ld, script.tolerance) for ld in bad[:MAX_LINE_DIFFS]
                              if ld.kind == "numbers"]  # fmt: skip
    return record


def _relative(path: Path) -> Path:
    with contextlib.suppress(ValueError):
        return path.relative_to(Path.cwd())
    return path


def _source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


def _side_by_side(ld: LineDiff, tol: Tolerance) -> dict[str, Any]:
    """A differing line's numbers as the report's side-by-side value table (conformance/details.py)."""
    nums = ld.numbers
    worst = max(nums, key=lambda n: n.margin) if nums else None
    finite = [n for n in nums if math.isfinite(n.abs_err)]
    return {
        "label": ld.label, "field": "stdout", "shape": [len(nums)], "cols": max(1, min(len(nums), 10)),
        "torch": [n.torch.text for n in nums], "engine": [n.engine.text for n in nums],
        "bad": [i for i, n in enumerate(nums) if not n.ok], "truncated": False, "size": len(nums),
        "max_abs": max((n.abs_err for n in finite), default=0.0),
        "max_rel": max((n.rel_err for n in finite if math.isfinite(n.rel_err)), default=0.0),
        "rtol": tol.rtol, "atol": tol.atol, "margin": worst.margin if worst else 0.0,
        "mismatched": sum(not n.ok for n in nums), "detail": ld.detail(tol),
    }  # fmt: skip


def loss_curves(lines: list[LineDiff]) -> dict[str, dict[str, list[float]]]:
    """Lines that are `<int step> <float>` on both sides (the tutorials' `print(t, loss.item())`) as a series."""
    steps: list[float] = []
    t_vals: list[float] = []
    e_vals: list[float] = []
    for ld in lines:
        if ld.kind != "numbers" or len(ld.numbers) != 2 or ld.torch_text is None:
            continue
        if skeleton(tokenize(ld.torch_text)) != ("<int>", "<float>"):
            continue
        step, value = ld.numbers
        steps.append(step.torch.value)
        t_vals.append(value.torch.value)
        e_vals.append(value.engine.value)
    if len(steps) < 2:
        return {}
    return {"printed": {"steps": steps, "torch": t_vals, "engine": e_vals}}


def reproducer(script: ScriptScenario, first_difference: str = "") -> str:
    """The script itself, standalone (plain torch, no project), headed by the comparison's settings as comments."""
    tol = script.tolerance
    header = [
        f"# Reproducer for {script.item_id} ({_relative(script.path)}): the script itself; it needs only torch.",
        "# reference_engine (a NumPy autograd engine that mirrors torch) printed something else when this ran",
        "# with `torch` meaning reference_engine. Run `python repro.py` and compare its output with the engine's.",
        f"# Settings of the comparison: printed numbers agree within rtol={tol.rtol:g}, atol={tol.atol:g}"
        f"{f' ({tol.reason})' if tol.reason else ''}; time limit {script.timeout_s:g} s per side.",
    ]
    header += [f"# {line}" for line in first_difference.splitlines()]
    return "\n".join(header) + "\n\n" + _source(script.path)


# -- command line: python -m conformance.script_scenario SCRIPT ----------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Compare one or more scripts (or run one side only); exit status 1 when any diverges."""
    parser = argparse.ArgumentParser(prog="python -m conformance.script_scenario", description=main.__doc__)
    parser.add_argument("scripts", nargs="+", type=Path)
    parser.add_argument("--side", choices=("both", "torch", "engine"), default="both",
                        help="run one side only and show its output")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run (default: the script's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every line of both outputs")
    args = parser.parse_args(argv)
    failed = False
    for path in args.scripts:
        try:
            script = load_script(path)
        except ScenarioError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.side != "both":
            run = run_script(script.path, args.side, args.timeout or script.timeout_s)
            sys.stdout.write(run.stdout)
            sys.stderr.write(run.stderr)
            print(f"[{args.side}: exit {run.exit_code}, {run.error or 'no exception'}, torch = {run.torch_module}, "
                  f"{run.wall_s:.2f} s]{' ' + run.problem() if run.problem() else ''}", file=sys.stderr)  # fmt: skip
            failed |= run.exit_code != 0
            continue
        result = run_script_item(script, timeout_s=args.timeout)
        margin = f", margin {result.verdict.margin:.3g}" if result.verdict else ""
        print(
            f"== {script.item_id}: {result.status}{margin} ({len(result.lines)} lines; "
            f"torch {result.torch.wall_s:.2f} s, engine {result.engine.wall_s if result.engine else 0:.2f} s)"
        )
        for ld in result.lines:
            if args.verbose or not ld.ok:
                mark = " " if ld.ok else "!"
                print(f"{mark} torch : {_line_text(ld.torch_text)}\n{mark} engine: {_line_text(ld.engine_text)}")
        if result.message:
            print(result.message)
        failed |= result.status != "pass"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
