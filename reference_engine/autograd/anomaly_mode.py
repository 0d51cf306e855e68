"""Anomaly mode: ``detect_anomaly``, ``set_detect_anomaly`` and the flags behind them.

Anomaly mode is process-wide in torch (not per thread). While it is on:

- every node records the forward traceback that created it. ``Node.__init__``
  is swapped for a recording one when the mode is switched on and put back
  when it is switched off, so node creation costs nothing outside anomaly mode;
- the backward loop (``engine.run_backward``) checks each node's grads for
  NaN when ``check_nan`` is set, and, when a node fails, warns with the
  forward traceback of that node, as torch's engine does.

The traceback keeps the frames outside this package, so it ends at the
user's line, as torch's does for its C++ ops.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from typing import Any

from . import grad_mode
from .graph import Node

__all__ = [
    "detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_anomaly_enabled",
    "set_detect_anomaly",
]  # fmt: skip

ENABLED_WARNING = (
    "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled for debugging."
)

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


_flags = grad_mode.anomaly  # read by the engine once per backward call (and at an error), never per op
_plain_node_init = Node.__init__


def is_anomaly_enabled() -> bool:
    return _flags.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _flags.check_nan


def _check_bool(fn: str, name: str, pos: int, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be bool, not {type(value).__name__}")


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """torch.set_anomaly_enabled: switch anomaly mode (and its NaN check) for the whole process."""
    _check_bool("set_anomaly_enabled", "enabled", 1, enabled)
    _check_bool("set_anomaly_enabled", "check_nan", 2, check_nan)
    _flags.enabled = enabled
    _flags.check_nan = check_nan
    Node.__init__ = _recording_node_init if enabled else _plain_node_init  # type: ignore[method-assign]


def _recording_node_init(self: Node) -> None:
    _plain_node_init(self)
    # Frames only, without reading source lines: the text is formatted when (if) a backward fails.
    stack = traceback.StackSummary.extract(traceback.walk_stack(sys._getframe(1)), lookup_lines=False)
    stack.reverse()
    self.__dict__["_anomaly_stack"] = stack


def _forward_trace(node: Node) -> str | None:
    stack = node.__dict__.get("_anomaly_stack")
    if stack is None:
        return None
    user = traceback.StackSummary.from_list([f for f in stack if not f.filename.startswith(_PACKAGE_DIR)])
    return "".join(user.format())


def warn_failed_node(node: Node) -> None:
    """The warning torch's engine gives when a node fails in anomaly mode (python_anomaly_mode.cpp)."""
    trace = _forward_trace(node)
    if trace is None:
        msg = (
            f"Error detected in {node.name()}. No forward pass information available. Enable detect anomaly "
            "during forward pass for more information."
        )
    else:
        msg = f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{trace}"
    warnings.warn(msg, UserWarning, stacklevel=2)


def check_nan(node: Node, outs: Any) -> None:
    """Raise torch's error when a grad a node returned holds NaN (``check_nan``)."""
    for i, g in enumerate(outs):
        if g is None:
            continue
        data = g._data
        if data.dtype.kind in "fc" and bool(g._xp.isnan(data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class detect_anomaly:  # noqa: N801
    """Context manager that switches anomaly detection on (and warns that it is on, as torch does)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(ENABLED_WARNING, UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:  # noqa: N801
    """Set anomaly detection now (usable as a plain call); a ``with`` block restores the previous setting."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
