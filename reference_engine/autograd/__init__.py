"""``torch.autograd``: ``backward``, ``grad``, ``Function`` and grad-mode switches."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import zeros_like
from ..tensor import Tensor
from . import graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .variable import Variable

__all__ = [
    "Function", "FunctionCtx", "backward", "enable_grad", "grad", "graph", "inference_mode",
    "is_grad_enabled", "no_grad", "once_differentiable", "set_grad_enabled",
]  # fmt: skip
__all__ += ["detect_anomaly", "set_detect_anomaly", "Variable"]

CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)

_warned_create_graph: list[bool] = []  # non-empty once the create_graph warning was given


def _warn_create_graph(stacklevel: int) -> None:
    """``stacklevel``: the frames between this call and the caller of ``Tensor.backward``."""
    if not _warned_create_graph:
        # torch warns once per process (TORCH_WARN_ONCE in its engine), at the caller of backward()
        _warned_create_graph.append(True)
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=stacklevel)


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return (None,)
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs: Sequence[Tensor], grads: Sequence[Any]) -> list[Tensor | None]:
    """torch.autograd._make_grads: check explicit seeds, create implicit ones for scalars."""
    new: list[Tensor | None] = []
    for i, (out, g) in enumerate(zip(outputs, grads, strict=True)):
        if isinstance(g, Tensor):
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape "
                    f"of {out.shape}."
                )
            if (out._data.dtype.kind == "c") != (g._data.dtype.kind == "c"):
                raise RuntimeError(
                    "For complex Tensors, both grad_output and output are required to have the same dtype. "
                    f"Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and output[{i}] has a dtype "
                    f"of {out.dtype}."
                )
            new.append(g)
        elif g is None:
            new.append(_implicit_seed(out) if out.requires_grad else None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return new


def _implicit_seed(out: Tensor) -> Tensor:
    """The grad ``backward()`` starts from for a scalar output: a one of its dtype."""
    data = out._data
    if data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if data.dtype.kind != "f" and data.dtype != D.BF16:
        raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
    if data.ndim == 0 and type(data) is np.ndarray:
        return Tensor._make(np.array(1, data.dtype))  # np.ones costs 4x this for a 0-d seed
    return Tensor._make(out._xp.ones(data.shape, dtype=data.dtype))


def _root_edges(outputs: Sequence[Tensor]) -> list[tuple[Any, int]]:
    edges = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        edges.append(out._edge())
    return edges


def _backward_one(output: Tensor, retain_graph: bool | None, create_graph: bool) -> None:
    """``loss.backward()``, the call of every training step: ``backward``'s checks, fewer containers."""
    if create_graph:
        _warn_create_graph(5)
    roots = _root_edges((output,))  # raises first when the output does not require grad, as torch
    keep = create_graph if retain_graph is None else retain_graph
    run_backward(roots, (_implicit_seed(output),), keep, create_graph)


def _capture_edges(inputs: tuple) -> list[tuple[Any, int]]:
    """The edges ``backward(inputs=...)`` captures; a non-leaf input gets its ``.grad`` through retain_grad."""
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture = [t._edge() for t in inputs]
    for t in inputs:
        if t._grad_fn is not None:
            t.retain_grad()  # as torch
    return capture


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad`` (torch.autograd.backward)."""
    if type(tensors) is Tensor and grad_tensors is None and grad_variables is None and inputs is None:
        _backward_one(tensors, retain_graph, create_graph)
        return
    if grad_variables is not None:
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(grads)} gradients for {len(outputs)} outputs")
    if create_graph:
        _warn_create_graph(4)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_grads(outputs, grads)
    roots = _root_edges(outputs)
    capture = None if inputs is None else _capture_edges(inputs)
    captured = run_backward(roots, seeds, retain_graph, create_graph, capture=capture, accumulate=True)
    if inputs is not None:
        # leaves in ``inputs`` are accumulated here: the capture stops the walk before their AccumulateGrad
        for t, g in zip(inputs, captured, strict=True):
            if g is not None and t._grad_fn is None:
                t._accumulator().apply(g)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) without touching ``.grad`` (torch.autograd.grad)."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    grads = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outs)
    if len(grads) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grads)} for {len(outs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): argument 'inputs' must be tuple of Tensors, not {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _make_grads(outs, grads)
    roots = _root_edges(outs)
    captured = run_backward(
        roots, seeds, retain_graph, create_graph, capture=[t._edge() for t in ins], accumulate=False
    )
    result = []
    for i, (t, g) in enumerate(zip(ins, captured, strict=True)):
        if g is None:
            if materialize_grads:
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. Set "
                    "allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


# torch.autograd.functional (vjp, jvp, jacobian, hessian, hvp, vhp) and gradcheck are built on ``grad`` above,
# so they are imported last, as torch's package does with its submodules. As in torch, the function
# ``gradcheck`` replaces the submodule of the same name as this package's attribute; the module (and
# GradcheckError) stays importable as ``reference_engine.autograd.gradcheck`` through sys.modules.
from . import forward_ad as forward_ad  # noqa: E402
from . import functional as functional  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402

__all__ += ["gradcheck", "gradgradcheck"]
