"""``torch.func``: composable function transforms (grad, vjp, jvp, Jacobians, vmap) and functional module calls.

Built on the engine's ordinary autograd tape and a Python loop for vmap (``_grad.py``, ``_vmap.py``), with
torch's argument checks, output structures and error messages.
"""

from __future__ import annotations

from ._functional_call import functional_call, stack_module_state
from ._grad import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = [
    "functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "stack_module_state",
    "vjp", "vmap",
]  # fmt: skip
