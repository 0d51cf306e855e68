"""Run one ordinary torch script as ``__main__``, on real torch or with ``torch`` aliased to reference_engine.

Started by ``conformance.script_scenario`` as ``python -P <this file> SIDE SCRIPT REPORT PRELOAD [ARGS ...]``,
in a fresh process per run. It imports nothing but the standard library (and, on the engine side,
reference_engine), so the script sees the interpreter as ``python SCRIPT [ARGS ...]`` would give it:
``sys.argv == [SCRIPT, *ARGS]`` (SCRIPT's absolute path), the script's folder first on ``sys.path``,
``__name__ == "__main__"``.

SIDE ``engine`` aliases ``torch`` to the engine first, with the engine's own mechanism
(``reference_engine._as_torch.install``, the one ``python -m reference_engine`` uses): ``torch`` and every
``torch.<sub>`` import resolve to ``reference_engine`` and ``reference_engine.<sub>`` (the same module
objects, so ``torch.nn is reference_engine.nn``), and real torch can never be loaded. A ``torch.<sub>``
the engine lacks fails as ``ModuleNotFoundError: No module named 'torch.<sub>'``, as a missing module would.

PRELOAD is a Python file executed after the alias and before the script, or ``""`` for none; tests use it
to plant a deliberate engine bug in that one process.

The script's time limit starts once torch (or the engine) is imported: with
``CONFORMANCE_TIMEOUT_S`` and ``CONFORMANCE_STACK_FILE`` set, a faulthandler watchdog
writes every thread's stack to that file when the limit passes and ends the process,
whatever the script is doing (C code, a bare ``except:`` loop).

REPORT receives one JSON object when the script ends: the exception (type, message), the exit
status, and which module ``torch`` was, so the caller can prove the engine side ran on the engine.
The script's stdout and stderr are the process's own, captured by the caller.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import runpy
import sys
import traceback
from types import ModuleType

ALIAS, TARGET = "torch", "reference_engine"


def install_alias() -> ModuleType:
    """Alias torch to reference_engine for the rest of this process (``reference_engine._as_torch``)."""
    root = os.environ.get("CONFORMANCE_ENGINE_ROOT")
    if root:  # the checkout under test, ahead of any installed copy; removed again before the script runs
        sys.path.insert(0, root)
    try:
        as_torch = importlib.import_module(TARGET + "._as_torch")
    finally:
        if root:
            sys.path.remove(root)
    return as_torch.install()


def foreign_torch_modules() -> list[str]:
    """Names under ``torch`` that are not engine modules: real torch got in somehow (must be empty)."""
    out = []
    for name, module in list(sys.modules.items()):
        if (name == ALIAS or name.startswith(ALIAS + ".")) and module is not None:
            if not getattr(module, "__name__", "").startswith(TARGET):
                out.append(name)
    return sorted(out)


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def _arm_time_limit() -> None:
    seconds, stack_file = os.environ.get("CONFORMANCE_TIMEOUT_S"), os.environ.get("CONFORMANCE_STACK_FILE")
    if seconds and stack_file:
        stream = open(stack_file, "w", encoding="utf-8")  # open until the process ends
        faulthandler.dump_traceback_later(float(seconds), exit=True, file=stream)


def main(argv: list[str]) -> int:
    side, script, report_path = argv[1], os.path.abspath(argv[2]), argv[3]
    preload, script_args = (argv[4], argv[5:]) if len(argv) > 4 else ("", [])
    report = {"side": side, "exception": None, "traceback": "", "exit_code": 0}
    if side == "engine":
        install_alias()
    else:
        importlib.import_module(ALIAS)  # imported now, so the script's time limit does not count it
    _arm_time_limit()
    # As `python SCRIPT ARGS` has it: the script's folder (links resolved) first on the path, then argv.
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))
    sys.argv = [script, *script_args]  # runpy sets argv[0] to the path it runs, the absolute one
    try:
        if preload:
            runpy.run_path(preload, run_name="__conformance_preload__")
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        report["exit_code"] = code if isinstance(code, int) else (0 if code is None else 1)
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)  # what the interpreter does with sys.exit("message")
    except BaseException as exc:  # noqa: BLE001 - the script's exception is the observation
        report["exception"] = [type(exc).__name__, first_line(exc), str(exc)]
        report["exit_code"] = 1
        # The traceback without this file's and runpy's frames, as `python SCRIPT` would print it.
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in (__file__, runpy.__file__, "<frozen runpy>"):
            tb = tb.tb_next
        report["traceback"] = "".join(traceback.format_exception(type(exc), exc, tb))
        sys.stderr.write(report["traceback"])
    torch_module = sys.modules.get(ALIAS)
    report["torch_module"] = getattr(torch_module, "__name__", None) if torch_module is not None else None
    report["foreign_torch_modules"] = foreign_torch_modules() if side == "engine" else []
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a script that closed its own streams still gets its report written
        pass
    with open(report_path, "w", encoding="utf-8") as f:
        json.dump(report, f)
    return report["exit_code"]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
