"""torch.backends.mkldnn: answered as torch 2.13's CPU build answers (built with oneDNN, enabled).

``enabled`` and ``deterministic`` are settable bools as in torch; the engine computes with NumPy either way.
"""

from __future__ import annotations

from ._flags import BoolFlag, flag_module

__all__ = ["is_available"]


def is_available() -> bool:
    return True


enabled: bool
deterministic: bool
flag_module(
    __name__,
    {"enabled": BoolFlag(True, "set_enabled_mkldnn"), "deterministic": BoolFlag(False, "set_deterministic_mkldnn")},
)
