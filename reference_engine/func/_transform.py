"""What every torch.func transform does while it runs the user's function, as torch's transforms do.

torch marks the function's run as inside a functorch transform: an ``autograd.Function`` then has to be
written in the functorch-compatible form (with ``setup_context``), and the reverse-mode transforms (grad,
vjp, jacrev, hessian) refuse saved-tensor hooks (so non-reentrant checkpointing) for the run's duration.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..autograd.grad_mode import functorch
from ..autograd.graph import disable_saved_tensors_hooks

HOOKS_REFUSED = (
    "torch.func.{grad, vjp, jacrev, hessian} don't yet support saved tensor hooks. Please open an issue with "
    "your use case."
)


@contextlib.contextmanager
def running(refuse_hooks: bool = False) -> Iterator[None]:
    """The transform's function runs inside this block."""
    functorch.depth += 1
    try:
        if refuse_hooks:
            with disable_saved_tensors_hooks(HOOKS_REFUSED):
                yield
        else:
            yield
    finally:
        functorch.depth -= 1
