"""Scenario items in a child process, so a side that hangs can be stopped wherever it hangs.

A SIGALRM in the process that runs a scenario cannot stop C code (a long
kernel, a deadlock) nor a retry loop under a bare ``except:``, and it can fire
in the middle of an import, leaving that process broken. So the plugin runs
each scenario item in a child process (one per pytest process, reused from item
to item):

1. The child imports torch, the engine and the runner before it says it is
   ready; no timer runs during imports.
2. For each side of an item the child arms ``faulthandler.dump_traceback_later(
   limit, exit=True)``: past the limit, a C-level watchdog thread writes every
   thread's Python stack to the child's log and ends the process, whatever the
   side is doing. The parent records the item as ``timeout`` with the side, its
   duration and that stack, and starts a fresh child for the next item.
3. The parent waits with its own deadline too (the limit plus ``GRACE_S``) and
   kills the child if even the watchdog did not end it. A child that dies
   otherwise (a segfault) leaves its faulthandler stack in the log; the item is
   recorded as ``crashed`` with it.
4. The child ignores SIGINT (an interrupt is the parent's to act on) and exits
   when its parent goes away.

``Executor.fresh()`` runs one item in a new child and closes it: the
confirmation rerun of a divergent item starts from a process no earlier item
has touched.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import item_job
from .backends import CPU_PAIR

GRACE_S = 10.0  # the parent's margin over a side's limit before it kills the child itself
STARTUP_S = 300.0  # importing torch, the engine and CUDA on a cold machine
_HEADER = struct.Struct("!Q")
_TIMEOUT_MARK = "Timeout ("  # the first line faulthandler.dump_traceback_later writes


class ExecutorError(Exception):
    """The child could not be started or answered nonsense (a runner failure, not an item outcome)."""


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None  # the other side is gone
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int) -> Any:
    """The next message, or None at end of file."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    data = _read_exact(fd, _HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)  # our own child, over our own pipe


# -- the parent side ----------------------------------------------------------------------------------


class Executor:
    """One child process running items one after another (started on first use, replaced after a kill)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._to_child = -1
        self._from_child = -1
        self._log: Path | None = None
        self._ready = False
        self._exit_code: int | None = None

    @classmethod
    @contextlib.contextmanager
    def fresh(cls) -> Iterator[Executor]:
        """A new child for one use (the confirmation rerun), closed afterwards."""
        executor = cls()
        try:
            yield executor
        finally:
            executor.close()

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def spawn(self) -> None:
        """Start the child without waiting for it: it imports torch and the engine while pytest goes on."""
        if self._proc is None:
            self._spawn()

    def _spawn(self) -> None:
        self._ready = False
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        fd, log = tempfile.mkstemp(prefix="conformance-child-", suffix=".log")
        self._log = Path(log)
        # The child sees the parent's import path, so it runs the same checkout (nested runs, PYTHONPATH).
        env = {**os.environ, "CONFORMANCE_CHILD_PATH": json.dumps(sys.path)}
        boot = ("import json, os, sys; sys.path[:] = json.loads(os.environ['CONFORMANCE_CHILD_PATH']); "
                "from conformance.executor import child_main; child_main()")  # fmt: skip
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", boot, str(to_child_r), str(from_child_w), log],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=fd, env=env,
            )  # fmt: skip
        finally:
            for end in (to_child_r, from_child_w, fd):
                os.close(end)
        self._to_child, self._from_child = to_child_w, from_child_r

    def _await_ready(self) -> None:
        ready = self._wait(STARTUP_S)
        if not (isinstance(ready, tuple) and ready[0] == "ready"):
            text = self._log_text(0)
            self.close()
            raise ExecutorError(f"the item process did not start: {ready!r}\n{text[-4000:]}")
        self._ready = True

    def _wait(self, seconds: float) -> Any:
        """The child's next message; ("eof",) when it died, ("silent",) when it said nothing for ``seconds``."""
        ready, _, _ = select.select([self._from_child], [], [], max(seconds, 0.0))
        if not ready:
            return ("silent",)
        message = _receive(self._from_child)
        return ("eof",) if message is None else message

    def _log_text(self, offset: int) -> str:
        if self._log is None:
            return ""
        try:
            with self._log.open("rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "backslashreplace")
        except OSError:
            return ""

    def _log_size(self) -> int:
        try:
            return self._log.stat().st_size if self._log else 0
        except OSError:
            return 0

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one item; the answer is the child's result, or what happened to the child.

        ``job``: scenario file and name, dtype, pair id, item id, expected divergence, the limit per side.
        The answer has ``outcome``: "result" (with ``result``), "timeout" or "crashed" (with ``side``,
        ``elapsed`` and ``stack``).
        """
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._spawn()
        if not self._ready:
            self._await_ready()
        offset = self._log_size()
        try:
            _send(self._to_child, ("run", job))
        except BrokenPipeError:  # the idle child died since the last item (killed from outside): start anew
            self.close()
            self._spawn()
            self._await_ready()
            offset = self._log_size()
            _send(self._to_child, ("run", job))
        limit = float(job["limit"])
        side, side_start = "", time.monotonic()
        while True:
            budget = (side_start + limit + GRACE_S - time.monotonic()) if side else STARTUP_S
            message = self._wait(budget)
            if message[0] == "side":
                side, side_start = message[1], time.monotonic()
                continue
            if message[0] == "result":
                return {"outcome": "result", "result": message[1]}
            elapsed = time.monotonic() - side_start
            if message[0] == "silent":
                self._kill()
                stack = self._log_text(offset) or "(the process did not answer and was killed; no stack)"
                return {"outcome": "timeout", "side": side or "setup", "elapsed": elapsed, "stack": stack}
            self._reap()
            stack = self._log_text(offset)
            outcome = "timeout" if _TIMEOUT_MARK in stack else "crashed"
            code = self._exit_code
            self.close()
            return {"outcome": outcome, "side": side or "setup", "elapsed": elapsed, "stack": stack, "exit": code}

    def _reap(self) -> None:
        if self._proc is not None:
            try:
                self._exit_code = self._proc.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                self._kill()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._exit_code = self._proc.wait(timeout=GRACE_S)

    def close(self) -> None:
        """Stop the child (if any) and release its pipes and log."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(OSError):
                _send(self._to_child, ("exit",))
            try:
                self._proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self._kill()
        for fd in (self._to_child, self._from_child):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_child = self._from_child = -1
        self._proc = None
        self._ready = False
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.unlink()
            self._log = None


# -- the child side -----------------------------------------------------------------------------------


def _watch_parent(parent: int) -> None:
    """End the child when the process that started it is gone (killed, interrupted, crashed)."""
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def child_main() -> None:
    """``python -c ... READ_FD WRITE_FD LOG``: import everything, then run items until told to exit."""
    read_fd, write_fd, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = open(log_path, "a", buffering=1, encoding="utf-8")  # open for the life of the process
    faulthandler.enable(file=log, all_threads=True)  # a segfault leaves its stack in the log
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    # Everything an item needs is imported (this module's imports) before any timer is armed.
    CPU_PAIR.torch.namespace()
    CPU_PAIR.engine.namespace()
    _send(write_fd, ("ready", os.getpid()))
    while True:
        message = _receive(read_fd)
        if message is None or message[0] == "exit":
            return
        job = message[1]

        def on_side(side: str, seconds: float, _fd: int = write_fd) -> contextlib.AbstractContextManager[None]:
            return _hard_limit(side, seconds, log, _fd)

        _send(write_fd, ("result", item_job.run_job(job, on_side)))


@contextlib.contextmanager
def _hard_limit(side: str, seconds: float, log: Any, write_fd: int) -> Iterator[None]:
    _send(write_fd, ("side", side))
    if seconds > 0:
        faulthandler.dump_traceback_later(seconds, exit=True, file=log)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
