"""The ``conformance`` console script.

``conformance list`` prints the scenario library (``--source opinfo``: the items of torch's op catalogue);
``conformance show NAME``
runs one scenario on both engines and prints every checkpoint side by side
(the quickest way to see where a divergence starts); ``conformance repro ITEM [-o FILE]`` writes the item's
standalone torch script (conformance/reproducer.py: the inputs as literals, the engine's recorded values), to
paste into a bug report.

``conformance run SCRIPT [ARGS]`` runs an ordinary torch script on torch and on the engine (``torch`` aliased to
reference_engine), compares the printed output number by number as a whole-script scenario does, and prints
the verdict and the first differing line (exit 0 when they agree, 1 when they do not, 2 on a usage error).

``conformance diff [OLD [NEW]]`` compares two results files, by default the baseline and the latest run
(new divergences, fixed, still divergent, margins grown >10x; exit 1 on new divergences or flaky
items, and when NEW is incomplete, empty or lacks items of OLD); ``conformance summary [RESULTS]
[--markdown]`` prints the run in a few lines for CI (counts, the change against the baseline, divergences
grouped by their first divergent checkpoint), appending the markdown to ``$GITHUB_STEP_SUMMARY`` when set;
``conformance merge A.json B.json -o results.json`` combines shards' results
into one results file and its HTML report; ``conformance baseline update``
accepts a results file as the committed baseline (only a complete run of the
whole library whose items all pass or are registered divergences, unless
``--force REASON``); ``conformance coverage [RESULTS]`` prints how much of torch's op catalogue the engine
agrees with, family by family. A bad results file is one line on stderr and exit 2; a closed pipe
(``conformance list | head``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from .backends import CPU_PAIR, mirror_oracle
from .compare import Tolerance
from .details import reproducer_for
from .loader import EXPECTED_FILE, expected_reason, load_expected, load_scenario_file
from .observe import Entry, Observation
from .report.baseline import diff_results, run_problems, update_baseline
from .report.coverage import summary_lines
from .report.html import write_html
from .report.merge import combine, merge
from .report.summary import summary
from .results import ResultsFileError, load_results, write_results
from .run_info import run_metadata
from .runner import run_item
from .scenario import KNOWN_TAGS, Scenario, ScenarioError, did_you_mean
from .script_scenario import DTYPE, PAIR, ScriptResult, ScriptScenario, load_script, run_script_item
from .script_scenario import reproducer as script_reproducer
from .verdict import show

DEFAULT_DIR = Path("scenarios")
CUT_NOTE = re.compile(r"\u2026 \[cut: \d+ characters in all\]$")  # record.safe_text's note on a cut string


def _library(directory: Path) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for path in sorted(directory.glob("[a-z]*.py")):
        if path.name.startswith("test_"):
            continue
        for sc in load_scenario_file(path):
            out[sc.name] = sc
    return out


def _scripts(directory: Path) -> dict[str, ScriptScenario]:
    """The whole-script scenarios under ``directory/scripts`` (collected like the plugin does)."""
    folder = directory / "scripts"
    paths = sorted(folder.glob("[a-z]*.py")) if folder.is_dir() else []
    return {s.name: s for s in (load_script(p) for p in paths if not p.name.startswith("test_"))}


SOURCES = ("scenarios", "scripts", "opinfo", "all")


def _cmd_list(args: argparse.Namespace) -> int:
    # "scenarios" is the library under --dir as `list` always printed it (scenario functions, then whole scripts)
    rows = []
    if args.source in ("scenarios", "all"):
        rows += [(sc.name, ",".join(sc.dtypes), sc.tags, sc.where) for sc in _library(args.dir).values()]
    if args.source in ("scenarios", "scripts", "all"):
        rows += [(s.name, "script", s.tags, s.where) for s in _scripts(args.dir).values()]
    if args.tag:
        known = {t for row in rows for t in row[2]} | set(KNOWN_TAGS)
        if args.tag not in known:
            raise ScenarioError(f"no tag {args.tag!r}{did_you_mean(args.tag, known)}")
        rows = [row for row in rows if args.tag in row[2]]
    if rows and not args.no_header:
        print(f"{'NAME':55} {'DTYPES':16} {'TAGS':40} WHERE")
    for name, dtypes, tags, where in rows:
        print(f"{name:55} {dtypes:16} {','.join(tags):40} {where}")
    if args.source in ("opinfo", "all"):
        return _list_opinfo()
    return 0


def _list_opinfo() -> int:
    """The catalogue's item ids, one a line; exit 1 with the reason when torch's catalogue cannot be imported."""
    from .opinfo import CatalogueUnavailableError, item_specs  # noqa: PLC0415 - imports torch's testing internals

    try:
        specs = item_specs()
    except CatalogueUnavailableError as exc:
        print(f"conformance: opinfo source unavailable: {exc}", file=sys.stderr)
        return 1
    for spec in specs:
        print(spec.item_id)
    return 0


def _cmd_coverage(args: argparse.Namespace) -> int:
    print("\n".join(summary_lines(load_results(args.results))))  # an unreadable file: ResultsFileError, exit 2
    return 0


def _entry_text(e: Entry | None) -> str:
    if e is None:
        return "-"
    meta = f" requires_grad={e.requires_grad} is_leaf={e.is_leaf} grad_fn={e.grad_fn}" if e.kind == "tensor" else ""
    grad = f" grad={show(e.grad, 80)}" if e.grad is not None else ""
    return f"{show(e.value, 120)}{meta}{grad}"


def _side_by_side(torch_obs: Observation, engine_obs: Observation) -> list[str]:
    engine = {e.label: e for e in engine_obs.entries}
    lines = []
    for t in torch_obs.entries:
        # a multi-row array's further rows line up under its first
        lines += [f"{t.label}:", f"  torch : {_entry_text(t)}".replace("\n", "\n" + " " * 10),
                  f"  engine: {_entry_text(engine.pop(t.label, None))}".replace("\n", "\n" + " " * 10)]  # fmt: skip
    for label, e in engine.items():
        lines += [f"{label}:", "  torch : -", f"  engine: {_entry_text(e)}"]
    for side, obs in (("torch", torch_obs), ("engine", engine_obs)):
        if obs.error:
            lines.append(f"{side} raised {obs.error[0]}: {obs.error[1]}")
        lines += [f"{side} warned {cat}: {text}" for cat, text in obs.warnings]
    return lines


def _cmd_show(args: argparse.Namespace) -> int:
    library = _library(args.dir)
    scripts = _scripts(args.dir)
    if args.name not in library and args.name in scripts:
        script = scripts[args.name]
        expected = expected_reason(load_expected(args.dir / EXPECTED_FILE), script.name, DTYPE, PAIR)
        result = run_script_item(script, expected)
        print(f"{script.name} [script, {CPU_PAIR.id}] ({script.where}): {result.status}")
        if result.message:
            print(result.message)
        return 0 if result.status in ("pass", "xfail") else 1
    if args.name not in library:
        hint = did_you_mean(args.name, library)
        print(f"conformance: no scenario named {args.name!r} in {args.dir}{hint}", file=sys.stderr)
        return 2
    sc = library[args.name]
    dtype = args.dtype or sc.dtypes[0]
    result = run_item(sc, dtype, CPU_PAIR, f"{sc.name}[{dtype}-{CPU_PAIR.id}]")
    print(f"{sc.name} [{dtype}, {CPU_PAIR.id}] ({sc.where}): {result.status}")
    if result.torch and result.engine:
        print("\n".join(_side_by_side(result.torch, result.engine)))
    if result.message:
        print(result.message)
    return 0 if result.status in ("pass", "xfail") else 1


def _cmd_repro(args: argparse.Namespace) -> int:
    """Write the item's standalone torch script: from the results file's record, else by running the item now."""
    text = _recorded_reproducer(args.results, args.item)
    if text is None:
        text = _fresh_reproducer(args.dir, args.item)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} (run it with plain torch: python {args.output})", file=sys.stderr)
    return 0


def _recorded_reproducer(results: Path, item: str) -> str | None:
    if not results.exists():
        return None
    record = next((r for r in load_results(results)["records"] if r["id"] == item), None)
    text = None if record is None else record.get("reproducer")
    # one cut short to fit the record (a very long scenario file) is built afresh by running the item
    return None if text is None or CUT_NOTE.search(text) else text


def _fresh_reproducer(directory: Path, item: str) -> str:
    """Run one library item (scenario or script) on both engines and build its reproducer."""
    name, _, rest = item.partition("[")
    library, scripts = _library(directory), _scripts(directory)
    if name in scripts and name not in library:
        return script_reproducer(scripts[name])
    if name not in library:
        hint = did_you_mean(name, [*library, *scripts])
        raise ScenarioError(f"no item {item!r} in the results and no scenario named {name!r} in {directory}{hint}")
    sc = library[name]
    dtype = rest.split("-", 1)[0] if rest else sc.dtypes[0]
    if dtype not in sc.dtypes:
        raise ScenarioError(f"{name} runs in {', '.join(sc.dtypes)}, not {dtype!r}")
    result = run_item(sc, dtype, CPU_PAIR, f"{sc.name}[{dtype}-{CPU_PAIR.id}]")
    text = reproducer_for(result.record, sc, result.torch, result.engine)
    if text is None:
        raise ScenarioError(
            f"{item}: no reproducer (the scenario has no source file of its own, or a side did not run)"
        )
    return text


def _cmd_summary(args: argparse.Namespace) -> int:
    results = load_results(args.results)
    diff = diff_results(load_results(args.baseline), results) if args.baseline.exists() else None
    text = summary(results, diff, markdown=args.markdown)
    print(text, end="")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:  # GitHub Actions shows this file on the run's page
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(summary(results, diff, markdown=True))
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    old, new = load_results(args.old), load_results(args.new)
    diff = diff_results(old, new)
    print(f"{args.old} -> {args.new}")
    print("\n".join(diff.lines(limit=10**6)))
    if diff.missing:
        print("\n".join(f"  MISSING  {i}" for i in diff.missing))
    problems = run_problems(new, diff)
    for problem in problems:
        print(f"conformance diff: {args.new}: {problem}")
    return 1 if diff.regressions or problems else 0


def _recover(run_dir: Path) -> dict:
    """A results document from a run's worker files (``reports/.results/<run id>``) left by a failed merge."""
    if not any(run_dir.glob("*.jsonl")):
        raise ResultsFileError(f"{run_dir}: no worker files (*.jsonl) to merge")
    reason = "recovered from the workers' files; whether every item ran is unknown"
    return merge(run_dir, run_metadata({"complete": False, "incomplete_reason": reason, "not_run": []}))


def _cmd_merge(args: argparse.Namespace) -> int:
    docs = [(str(p), _recover(p) if p.is_dir() else load_results(p)) for p in args.files]
    merged, warnings = combine(docs)
    for w in warnings:
        print(f"conformance merge: warning: {w}", file=sys.stderr)
    write_results(merged, args.output)
    html = args.html or args.output.with_name("conformance.html")
    diff, note = None, ""
    if args.baseline and args.baseline.exists():
        diff = diff_results(load_results(args.baseline), merged)
        print("\n".join(diff.lines()))
    elif args.baseline:
        note = f"no baseline at {args.baseline}"
    write_html(merged, html, diff, note)
    flag = "" if merged["run"]["complete"] else " (INCOMPLETE)"
    print(f"merged {len(docs)} file(s): {merged['counts']}{flag} -> {args.output}, {html}")
    return 0


def _cmd_baseline_update(args: argparse.Namespace) -> int:
    try:
        print(update_baseline(args.results, args.baseline, force=args.force))
    except ValueError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    return 0


# -- conformance run SCRIPT [ARGS]: one ordinary script, both engines --------------------------------------

TAIL_LINES = 30  # traceback lines shown per side when the two runs raise differently


def _cmd_run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("torch") is None:
        print(f"conformance run: torch is not installed for {sys.executable}: nothing to compare with", file=sys.stderr)
        return 2
    script = load_script(args.script)  # unreadable, or malformed `# conformance:` settings: ScenarioError, exit 2
    mirror_oracle()  # the engine's side (a subprocess) mirrors the installed torch's release, as in a pytest run
    if args.rtol is not None or args.atol is not None:
        tol = script.tolerance
        given = Tolerance(tol.rtol if args.rtol is None else args.rtol, tol.atol if args.atol is None else args.atol,
                          "given on the command line")  # fmt: skip
        script = dataclasses.replace(script, tolerance=given)
    cwd = None if args.fresh_cwd else Path.cwd()
    result = run_script_item(script, timeout_s=args.timeout, args=args.script_args, cwd=cwd)
    print("\n".join(_run_lines(args.script, result, args.verbose)))
    return 0 if result.status == "pass" else 1


def _run_lines(name: str, result: ScriptResult, verbose: bool) -> list[str]:
    """The verdict line, then (unless they agree) the first difference, or everything with ``verbose``."""
    t, e = result.torch, result.engine
    times = f"torch {t.wall_s:.2f} s" + (f", engine {e.wall_s:.2f} s" if e else ", engine not run")
    bad = [ld for ld in result.lines if not ld.ok]
    if result.verdict is None:  # a timeout, a crash, real torch on the engine side, a script that prints nothing
        head = f"{name}: {result.status} ({times})"
        return [head, result.message]
    if result.status == "pass":
        count = len(result.lines)
        return [f"{name}: agree ({count} line{'' if count == 1 else 's'}, margin {result.verdict.margin:.3g}; {times})"]
    what = [f"{len(bad)} of {len(result.lines)} stdout lines differ"] if bad else []
    what += [f"{d.field} differs" for d in result.verdict.differences if d.label == "<script>"]
    out = [f"{name}: diverge ({'; '.join(what)}; {times})"]
    if verbose:
        for ld in result.lines:
            mark = " " if ld.ok else "!"
            out += [f"{mark} torch : {_text(ld.torch_text)}", f"{mark} engine: {_text(ld.engine_text)}"]
        out.append(result.message)
        return out
    first = result.verdict.differences[0]
    out += [f"first difference: {first.label} [{first.field}]: {first.detail}",
            f"  torch : {first.torch}", f"  engine: {first.engine}"]  # fmt: skip
    if t.error != (e.error if e else None):
        for run in (t, e):
            if run is not None and run.traceback:
                lines = run.traceback.rstrip("\n").splitlines()
                out.append(f"{run.side} traceback{' (last lines)' if len(lines) > TAIL_LINES else ''}:")
                out += ["  " + line for line in lines[-TAIL_LINES:]]
    more = len(result.verdict.differences) - 1
    out.append(f"({more} more difference(s); " if more else "(")
    out[-1] += "-v shows every line of both outputs and both stderrs)"
    return out


def _text(text: str | None) -> str:
    return "(no line)" if text is None else text


def _tolerance_value(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {text!r}")
    return value


def _add_run_command(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p_run = sub.add_parser(
        "run",
        allow_abbrev=False,
        help="run a torch script on torch and on the engine and compare what they print; exit 1 when they differ",
        description="Run SCRIPT with ARGS as `python SCRIPT ARGS` on torch, then with `torch` meaning "
        "reference_engine, and compare the printed output number by number (as a whole-script scenario; the "
        "script's own `# conformance:` settings apply). Exit 0 when they agree, 1 when they do not, 2 on a "
        "usage error. Options go before SCRIPT; everything after it is the script's.",
    )
    p_run.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                       help="time limit per side (default: the script's timeout_s setting, else 60)")  # fmt: skip
    p_run.add_argument("--rtol", type=_tolerance_value, default=None, help="relative tolerance for printed numbers")
    p_run.add_argument("--atol", type=_tolerance_value, default=None, help="absolute tolerance for printed numbers")
    p_run.add_argument("--fresh-cwd", action="store_true",
                       help="run each side in a new empty working directory (default: both in the current one, "
                       "torch first)")  # fmt: skip
    p_run.add_argument("-v", "--verbose", action="store_true",
                       help="show every line of both outputs, every difference and both stderrs")  # fmt: skip
    p_run.add_argument("script", metavar="SCRIPT", help="the script, e.g. train.py")
    p_run.add_argument("script_args", metavar="ARGS", nargs="*", default=[], help="the script's own arguments")
    p_run.set_defaults(func=_cmd_run)
    return p_run


def _split_run_argv(run_parser: argparse.ArgumentParser, argv: list[str]) -> tuple[list[str], list[str]]:
    """``run``'s own options and SCRIPT, and the script's arguments exactly as given (``--`` and ``-x`` kept).

    argparse would read the script's options as its own, or drop a ``--`` meant for the script.
    """
    takes_value = {s for a in run_parser._actions if a.nargs != 0 for s in a.option_strings}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":  # what follows is SCRIPT and its arguments
            return argv[: i + 2], argv[i + 2 :]
        if arg == "-" or not arg.startswith("-"):  # SCRIPT
            return argv[: i + 1], argv[i + 1 :]
        i += 2 if arg in takes_value else 1
    return argv, []


def _add_result_commands(sub: argparse._SubParsersAction) -> None:
    p_diff = sub.add_parser(
        "diff", help="compare two results files; exit 1 on new divergences, flaky items, or an incomplete NEW run"
    )
    p_diff.add_argument(
        "old", type=Path, nargs="?", default=Path("reports/baseline.json"),
        help="the accepted state (default: reports/baseline.json)",
    )  # fmt: skip
    p_diff.add_argument(
        "new", type=Path, nargs="?", default=Path("reports/results.json"),
        help="a run's results (default: reports/results.json)",
    )  # fmt: skip
    p_diff.set_defaults(func=_cmd_diff)
    p_sum = sub.add_parser(
        "summary", help="the run in a few lines: counts, change against the baseline, divergences grouped by cause"
    )
    p_sum.add_argument("results", type=Path, nargs="?", default=Path("reports/results.json"),
                       help="a results file (default: reports/results.json)")  # fmt: skip
    p_sum.add_argument("--baseline", type=Path, default=Path("reports/baseline.json"),
                       help="the baseline to compare with, when it exists (default: reports/baseline.json)")  # fmt: skip
    p_sum.add_argument("--markdown", action="store_true",
                       help="markdown instead of text (under GitHub Actions the markdown is always appended to "
                       "$GITHUB_STEP_SUMMARY)")  # fmt: skip
    p_sum.set_defaults(func=_cmd_summary)
    p_merge = sub.add_parser("merge", help="combine shards' results files into one results file and HTML report")
    p_merge.add_argument("files", type=Path, nargs="+", help="results files, or a run's worker-file folder")
    p_merge.add_argument("-o", "--output", type=Path, required=True, help="the merged results file")
    p_merge.add_argument("--html", type=Path, default=None, help="default: conformance.html next to --output")
    p_merge.add_argument("--baseline", type=Path, default=Path("reports/baseline.json"),
                         help="the baseline the merged report is compared with (default: reports/baseline.json)")  # fmt: skip
    p_merge.set_defaults(func=_cmd_merge)
    p_cov = sub.add_parser(
        "coverage", help="how much of torch's op catalogue (OpInfo) the engine agrees with, family by family"
    )
    p_cov.add_argument("results", type=Path, nargs="?", default=Path("reports/results.json"),
                       help="a results file (default: reports/results.json)")  # fmt: skip
    p_cov.set_defaults(func=_cmd_coverage)
    p_base = sub.add_parser("baseline", help="manage the committed baseline")
    base_sub = p_base.add_subparsers(dest="action", required=True)
    p_update = base_sub.add_parser("update", help="accept a run's results as the new baseline")
    p_update.add_argument("--results", type=Path, default=Path("reports/results.json"),
                          help="the run to accept (default: reports/results.json; a merge of every shard will do)")  # fmt: skip
    p_update.add_argument("--baseline", type=Path, default=Path("reports/baseline.json"),
                          help="the baseline file to write (default: reports/baseline.json)")  # fmt: skip
    p_update.add_argument(
        "--force",
        metavar="REASON",
        default=None,
        help="accept a run that would be refused (incomplete, partial, items neither pass nor xfail); "
        "REASON is recorded in the baseline",
    )
    p_update.set_defaults(func=_cmd_baseline_update)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="reference_engine vs torch conformance tools",
        epilog="Exit status: 0 success (show/run: the item agrees; diff: no new divergence); 1 a divergence "
        "(show, run, a repro script) or, for diff, new divergences, flaky items or an incomplete NEW; 2 a usage "
        "error or an unreadable file. A closed pipe ends quietly.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list the scenarios")
    p_list.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="scenario folder (default: scenarios)")
    p_list.add_argument(
        "--source",
        choices=SOURCES,
        default="scenarios",
        help="scenarios: the library under --dir, scenario functions and whole scripts (default); scripts: only "
        "the whole scripts; opinfo: the item ids of torch's op catalogue, one a line; all: all of them",
    )
    p_list.add_argument("--tag", default=None, help="only the scenarios and scripts with this tag (e.g. training)")
    p_list.add_argument("--no-header", action="store_true", help="no column header line (for scripts reading it)")
    p_list.set_defaults(func=_cmd_list)
    p_show = sub.add_parser(
        "show", help="run one scenario (or whole script) on both engines and print what differs, side by side"
    )
    p_show.add_argument("name", help="a scenario or whole-script name (conformance list shows them)")
    p_show.add_argument("--dtype", default=None, help="one of the scenario's dtypes (default: its first)")
    p_show.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="scenario folder (default: scenarios)")
    p_show.set_defaults(func=_cmd_show)
    p_repro = sub.add_parser(
        "repro",
        help="write a standalone torch script for one item (its inputs as literals, the engine's recorded values), "
        "to paste into a bug report",
        description="Print (or write with -o) ITEM's reproducer: a script that imports only torch, builds the "
        "inputs the run used, runs the scenario's code and prints torch's values next to reference_engine's "
        "recorded ones (exit status 1 where they differ). A script item's reproducer is the script itself. The "
        "record in RESULTS is used when it has one; otherwise the item is run now.",
    )
    p_repro.add_argument("item", metavar="ITEM", help="an item id (name[dtype-pair]) or a scenario name")
    p_repro.add_argument("-o", "--output", type=Path, default=None, help="the file to write (default: stdout)")
    p_repro.add_argument("--results", type=Path, default=Path("reports/results.json"),
                         help="the results file to take the record from (default: reports/results.json)")  # fmt: skip
    p_repro.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="scenario folder (default: scenarios)")
    p_repro.set_defaults(func=_cmd_repro)
    _add_run_command(sub)
    _add_result_commands(sub)
    return parser


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] != ["run"]:
        return parser.parse_args(argv)
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own, script_args = _split_run_argv(commands.choices["run"], argv[1:])
    args = parser.parse_args(["run", *own])
    args.script_args = script_args
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except BrokenPipeError:
        # the reader went away (`conformance list | head`): no traceback; stdout is closed for the exit flush
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (ScenarioError, ResultsFileError) as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be written (a read-only folder, a full disk): one line, no traceback
        print(f"conformance: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # `python -m conformance.cli ...`, the console script without an installed entry point
    sys.exit(main())
