"""``python -m reference_engine SCRIPT [ARGS ...]``: run an ordinary torch script with ``torch`` meaning the engine.

The script runs as ``python SCRIPT [ARGS ...]`` runs it: ``sys.argv == [SCRIPT, *ARGS]`` (the path as typed),
``__name__ == "__main__"`` in a fresh ``__main__`` module (``sys.modules["__main__"]``, so pickling its
classes works), ``__file__`` the script's absolute path, the script's folder first on ``sys.path`` in place
of the working directory ``-m`` put there (nothing under ``python -P``). ``import torch`` and every
``import torch.<sub>`` give the engine's own modules (``_as_torch.install``).

Exit status and errors as the interpreter gives them: ``sys.exit(n)`` exits ``n``; an exception the script
does not catch goes to ``sys.excepthook`` with the script's frames only (this runner's are cut) and exits 1;
a syntax error prints without a traceback and exits 1; a file that cannot be read is one line and exit 2.
"""

from __future__ import annotations

import atexit
import builtins
import os
import signal
import sys
import types
from importlib.machinery import SourceFileLoader

from . import _as_torch

PROG = "python -m reference_engine"
USAGE = f"usage: {PROG} SCRIPT [ARGS ...]\n"
HELP = USAGE + "\nRun SCRIPT as `python SCRIPT [ARGS ...]` would, with `import torch` giving reference_engine.\n"


def main(argv: list[str] | None = None) -> int:
    """Run the script named by ``argv[0]`` (default: this process's arguments) and return its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(HELP)
        return 0
    if not argv or argv[0].startswith("-"):
        problem = f"unknown option {argv[0]}" if argv else "no script given"
        sys.stderr.write(f"{USAGE}{PROG}: error: {problem}\n")
        return 2
    return run(argv[0], argv[1:])


def run(script: str, args: list[str]) -> int:
    path = os.path.abspath(script)
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        sys.stderr.write(f"{PROG}: can't open file {path!r}: [Errno {exc.errno}] {exc.strerror}\n")
        return 2
    _as_torch.install()
    module = _fresh_main(path)
    sys.argv[:] = [script, *args]
    if not sys.flags.safe_path and sys.path:
        sys.path[0] = os.path.dirname(os.path.realpath(path))  # `-m` put the working directory there
    try:
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the script's own uncaught exception, reported as Python does
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # from the script's first frame on
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        if isinstance(exc, KeyboardInterrupt):
            _die_of_sigint()
        return 1
    return 0


def _fresh_main(path: str) -> types.ModuleType:
    """A ``__main__`` module as the interpreter makes one for a script file, in ``sys.modules``."""
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__cached__ = None  # type: ignore[attr-defined]
    module.__loader__ = SourceFileLoader("__main__", path)
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    if sys.version_info < (3, 14):
        module.__annotations__ = {}
    sys.modules["__main__"] = module
    if "__mp_main__" in sys.modules:  # multiprocessing (imported by the engine) keeps its own name for __main__
        sys.modules["__mp_main__"] = module
    return module


def _die_of_sigint() -> None:
    """End as Python does after an uncaught KeyboardInterrupt: exit handlers run, then death by SIGINT."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
