"""``torch.utils.checkpoint``: ``checkpoint`` and ``checkpoint_sequential`` (torch 2.13 and 2.14 behaviour).

Both modes keep torch's observable contract: the same outputs and grads as without checkpointing, the
forward run again during backward (as many times as torch runs it), the RNG state of the forward restored
for that rerun when ``preserve_rng_state``, and torch's warnings and errors.

- ``use_reentrant=True`` is torch's own design: a ``CheckpointFunction`` (so the output's node is
  ``CheckpointFunctionBackward``) runs the function under ``no_grad`` and, in its backward, reruns it with
  grad enabled and backpropagates through the rerun.
- ``use_reentrant=False``: torch records the function's real graph and drops its saved activations, which
  saved-tensor hooks recompute on first unpack. The engine has no such hooks; it records the real graph
  (same nodes, same ``grad_fn`` names) and puts a pre-hook on each node of the region that saved tensors:
  the first one to run in a backward pass reruns the function and moves the rerun's saved tensors into
  the original nodes, which is what torch's unpack then reads. So a region whose nodes save nothing
  (``x * 2``, ``x + 1``) is not rerun, as in torch, and an in-place change of a saved activation after
  the forward goes unnoticed, as in torch. Memory is not saved: the original activations stay alive.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .. import random as _random
from .._torch_version import since
from ..autograd import backward as _backward
from ..autograd import engine as _engine
from ..autograd import graph as _graph
from ..autograd.function import BackwardCFunction, Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..nn.modules.container import Sequential
from ..tensor import Tensor

__all__ = ["CheckpointError", "CheckpointFunction", "checkpoint", "checkpoint_sequential", "detach_variable"]

NO_INPUT_REQUIRES_GRAD = "None of the inputs have requires_grad=True. Gradients will be None"
USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, but if "
    "you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for more "
    "details on the differences between the two variants."
)
SEQUENTIAL_USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed explicitly. In "
    "version 2.9 we will raise an exception if use_reentrant is not passed. use_reentrant=False is recommended, "
    "but if you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for "
    "more details on the differences between the two variants."
)
REENTRANT_GRAD_ERROR = (
    "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` "
    "parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call "
    ".backward() without passing the `inputs` argument."
)


class CheckpointError(RuntimeError):
    """torch.utils.checkpoint.CheckpointError (raised by torch's non-reentrant determinism checks)."""


def detach_variable(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Detach every tensor of ``inputs``, keeping its ``requires_grad`` (torch.utils.checkpoint.detach_variable)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            out.append(x)
        else:
            out.append(inp)
    return tuple(out)


def _check_backward_validity(inputs: Iterable[Any]) -> None:
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn(NO_INPUT_REQUIRES_GRAD, UserWarning, stacklevel=2)


def _checkpoint_valid() -> bool:
    """torch.autograd._is_checkpoint_valid: false inside ``autograd.grad`` or ``backward(inputs=...)``.

    torch asks its graph task whether it runs only towards chosen inputs. The engine keeps that in the
    ``capture`` argument of the innermost ``run_backward`` on the stack, so it is read from there.
    """
    code = _engine.run_backward.__code__
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return frame.f_locals.get("capture") is None
        frame = frame.f_back
    return True


class CheckpointFunction(Function):
    """The reentrant checkpoint (torch.utils.checkpoint.CheckpointFunction)."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        _check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = _random.get_rng_state()
        # non-tensor arguments are kept on ctx, tensors saved (so an in-place change raises as in torch)
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        if not _checkpoint_valid():
            raise RuntimeError(REENTRANT_GRAD_ERROR)
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors, strict=True):
            inputs[i] = t
        with _random.fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                _random.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads, strict=False) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *(inp.grad if isinstance(inp, Tensor) else None for inp in detached))


# --------------------------------------------------------------------------- non-reentrant
def _region_nodes(outputs: Any, start: int, end: int) -> list[_graph.Node]:
    """The nodes created between sequence numbers ``start`` and ``end`` that lead to ``outputs``, oldest first."""
    outs = outputs if isinstance(outputs, tuple | list) else (outputs,)
    stack = [o._grad_fn for o in outs if isinstance(o, Tensor) and o._grad_fn is not None]
    seen: dict[int, _graph.Node] = {}
    while stack:
        n = stack.pop()
        if id(n) in seen or not start < n._sequence_nr < end:
            continue
        seen[id(n)] = n
        stack.extend(nf for nf, _ in n.next_functions if nf is not None)
    return sorted(seen.values(), key=lambda n: n._sequence_nr)


def _has_saved(node: _graph.Node) -> bool:
    # a Python number kept on the node (``x * 2``) is a None entry: torch saves no tensor there either
    saved = node._saved
    if saved and any(s is not None for s in saved.values()):
        return True
    # a custom Function's node keeps its tensors in a list (``getattr`` would go to ``_saved_<name>``)
    return isinstance(node, BackwardCFunction) and any(s is not None for s in node._saved_list)


class _Frame:
    """One non-reentrant checkpoint call: what a rerun needs, and which nodes the last rerun fed."""

    def __init__(self, function: Callable, args: tuple, kwargs: dict, preserve: bool, nodes: list) -> None:
        self.function, self.args, self.kwargs, self.preserve = function, args, kwargs, preserve
        self.nodes = nodes
        self.rng_state = _random.get_rng_state() if preserve else None
        self.fed: set[int] | None = None  # nodes that read the current rerun's tensors
        self.saved_inputs = [_graph.SavedTensor(a, False) for a in args if isinstance(a, Tensor)]

    def prehook(self, node: _graph.Node) -> None:
        if not _has_saved(node):  # freed by an earlier backward: torch raises before recomputing
            return
        # a node that already read this rerun's tensors belongs to a later backward pass: rerun again
        if self.fed is None or id(node) in self.fed:
            self._recompute(node)
            self.fed = set()
        self.fed.add(id(node))

    def _recompute(self, node: _graph.Node) -> None:
        # torch keeps the inputs as saved tensors: one changed in place since the forward raises here
        for saved in self.saved_inputs:
            saved.unpack(node)
        # the rerun takes the inputs themselves (not detached), so under create_graph the rerun's saved
        # tensors lead back to them and double backward sees the whole function, as in torch
        inputs = self.args
        with _random.fork_rng(enabled=self.preserve):
            if self.preserve:
                _random.set_rng_state(self.rng_state)
            with enable_grad():
                start = next(_graph._sequence)
                out = self.function(*inputs, **self.kwargs)
                end = next(_graph._sequence)
        fresh = _region_nodes(out, start, end)
        # a rerun that records other ops than the forward cannot feed it (torch would raise a
        # CheckpointError from its determinism check); the original activations are then kept
        if len(fresh) != len(self.nodes) or any(type(a) is not type(b) for a, b in zip(fresh, self.nodes)):
            return
        arg_ids = {id(a) for a in inputs if isinstance(a, Tensor)}
        for orig, new in zip(self.nodes, fresh, strict=True):
            if orig._saved and new._saved:
                for k, s in new._saved.items():
                    if s is not None and id(s.tensor) not in arg_ids:  # a saved input stays the caller's tensor
                        orig._saved[k] = s
            if isinstance(orig, BackwardCFunction) and orig._saved_list and new._saved_list:
                orig._saved_list = [
                    o if n is None or id(n.tensor) in arg_ids else n
                    for o, n in zip(orig._saved_list, new._saved_list, strict=False)
                ]


def _checkpoint_without_reentrant(function: Callable, preserve: bool, args: tuple, kwargs: dict) -> Any:
    # torch's non-reentrant checkpoint works through saved-tensor hooks, so it fails where they are disabled
    _graph._check_hooks_enabled()
    if not is_grad_enabled():
        return function(*args, **kwargs)
    state = _random.get_rng_state() if preserve else None
    start = next(_graph._sequence)
    out = function(*args, **kwargs)
    end = next(_graph._sequence)
    nodes = _region_nodes(out, start, end)
    saving = [n for n in nodes if _has_saved(n)]
    if saving:
        frame = _Frame(function, args, kwargs, preserve, nodes)
        frame.rng_state = state
        for n in saving:
            n.register_prehook(lambda _grads, n=n: frame.prehook(n))
    return out


class _CheckpointedFunction:
    """torch 2.14's ``checkpoint(**config)(fn)``: ``fn`` checkpointed with the configuration at each call; as a
    method decorator it binds to the instance and keeps the configuration."""

    def __init__(self, function: Callable, **checkpoint_kwargs: Any) -> None:
        self.function = function
        self.checkpoint_kwargs = dict(checkpoint_kwargs)
        functools.update_wrapper(self, function, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _checkpoint_impl(self.function, args, kwargs, **self.checkpoint_kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        descriptor_get = getattr(self.function, "__get__", None)
        if descriptor_get is None:
            return self
        return type(self)(descriptor_get(instance, owner), **self.checkpoint_kwargs)


def _make_checkpoint_wrapper(function: Callable, **checkpoint_kwargs: Any) -> _CheckpointedFunction:
    return _CheckpointedFunction(function, **checkpoint_kwargs)


_NOT_GIVEN: Any = object()  # an argument the caller did not pass


def checkpoint(
    function: Any = _NOT_GIVEN,
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable | None = None,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    **kwargs: Any,
) -> Any:
    """Run ``function(*args)`` without keeping its activations; rerun it in backward (torch.utils.checkpoint).
    From torch 2.14, without a function it returns a decorator configured by the keywords."""
    config: dict[str, Any] = {
        "use_reentrant": use_reentrant,
        "preserve_rng_state": kwargs.pop("preserve_rng_state", True),
        "context_fn": context_fn,
        "determinism_check": determinism_check,
        "debug": debug,
        "early_stop": early_stop,
    }
    if since("2.14"):
        # torch 2.14: ``preserve_rng_state`` and the new ``respect_saved_tensors_hooks`` are keywords of their own
        # (the latter only changes where selective checkpointing caches tensors, which the engine has not), and
        # ``function`` may be left out: checkpoint(**config) is then a decorator
        config["respect_saved_tensors_hooks"] = kwargs.pop("respect_saved_tensors_hooks", None)
        if function is _NOT_GIVEN:
            function = None
        if function is None and not args:
            if kwargs:
                raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
            return functools.partial(_make_checkpoint_wrapper, **config)
        return _checkpoint_impl(function, args, kwargs, **config)
    if function is _NOT_GIVEN:
        raise TypeError("checkpoint() missing 1 required positional argument: 'function'")
    if config["use_reentrant"] is None:  # the same frame depth as 2.14's call through _checkpoint_impl
        warnings.warn(USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        config["use_reentrant"] = True
    return _checkpoint_impl(function, args, kwargs, **config)


def _checkpoint_impl(
    function: Callable,
    args: tuple,
    kwargs: dict,
    *,
    use_reentrant: bool | None,
    preserve_rng_state: bool,
    context_fn: Callable | None,
    determinism_check: str,
    debug: bool,
    early_stop: bool,
    respect_saved_tensors_hooks: bool | None = None,
) -> Any:
    preserve = preserve_rng_state
    if use_reentrant is None:
        # torch 2.14 warns here, one frame below checkpoint(): stacklevel 3 names checkpoint's caller (or, for a
        # decorated function, the caller of the decorated function)
        warnings.warn(USE_REENTRANT_WARNING, UserWarning, stacklevel=3)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if since("2.14"):
            # torch 2.14 refuses respect_saved_tensors_hooks too, and names it in the error
            if context_fn is not None or debug is not False or respect_saved_tensors_hooks is not None:
                raise ValueError(
                    "Passing `context_fn`, `debug`, or `respect_saved_tensors_hooks` is only supported when "
                    "use_reentrant=False."
                )
        elif context_fn is not None or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if context_fn is not None or debug:
        raise NotImplementedError("checkpoint: context_fn and debug are not supported by the engine")
    return _checkpoint_without_reentrant(function, preserve, args, kwargs)


def checkpoint_sequential(
    functions: Any, segments: int, input: Any, use_reentrant: bool | None = None, **kwargs: Any
) -> Any:
    """Checkpoint all segments of a sequential model but the last (torch.utils.checkpoint.checkpoint_sequential)."""
    if use_reentrant is None:
        warnings.warn(SEQUENTIAL_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run_function(start: int, end: int, functions: Any) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    x = input
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        x = checkpoint(run_function(start, end, functions), x, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(x)
