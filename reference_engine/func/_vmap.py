"""torch.func.vmap as a Python loop: call ``func`` once per index of the mapped dimension, stack the results.

torch batches every op instead (BatchedTensor); the loop gives the same values and output layout, runs
``func`` ``batch_size`` times, and sees per-example tensors inside ``func`` as torch's batching rules make
them look. Argument checks and their messages follow torch's ``_functorch/vmap.py``. Randomness: "error"
makes any draw from the engine's generators raise torch's error while ``func`` runs, "same" replays the
generator state for every example (one draw's worth, as torch draws once and broadcasts), "different" lets
each example draw in turn (the right distribution; not torch's batched draw, so not its values).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from .. import random as _random
from ..ops import stack
from ..tensor import Tensor
from . import _pytree as pt
from ._transform import running

RANDOMNESS_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' "
    "randomness flags on vmap or perform the randomness operation out of vmap"
)


def check_randomness_arg(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


class _NoDraws:
    """Stands in for a generator's MT19937 while random draws are forbidden: any use raises torch's error."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(RANDOMNESS_ERROR)


_GENERATORS = (_random.default_generator, _random.cuda_generator)


@contextlib.contextmanager
def randomness_mode(randomness: str) -> Iterator[None]:
    """While the body runs, the engine's generators refuse draws ("error"); other modes change nothing."""
    if randomness != "error":
        yield
        return
    saved = [g._mt for g in _GENERATORS]
    for g in _GENERATORS:
        g._mt = _NoDraws()
    try:
        yield
    finally:
        for g, mt in zip(_GENERATORS, saved):
            g._mt = mt


def _name(func: Any) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims: Any, func: Callable) -> None:
    if isinstance(out_dims, int):
        return
    for d in pt.tree_flatten(out_dims)[0]:
        if not (d is None or isinstance(d, int)):
            raise ValueError(
                f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                "collection of ints representing where in the outputs the vmapped dimension should appear."
            )


def _batched_inputs(in_dims: Any, args: tuple, func: Callable) -> tuple[int, list, list, Any]:
    name = _name(func)
    if not isinstance(in_dims, int | tuple):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a (potentially "
            f"nested) tuple matching the structure of inputs, got: {type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying to vmap "
            "over a function with no inputs. The latter is unsupported."
        )
    flat_args, spec = pt.tree_flatten(args)
    flat_dims = pt.broadcast_to_and_flatten(in_dims, spec)
    if flat_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure of `inputs`."
        )
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if not (d is None or isinstance(d, int)):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but in_dim must be "
                "either an integer dimension or None."
            )
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the input is of "
                f"type {type(arg)}. We cannot vmap over non-Tensor arguments, please use None as the respective "
                "in_dim"
            )
        if d is not None and not -arg.dim() <= d < arg.dim():
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but that input "
                f"is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                f"-{arg.dim()} <= in_dim < {arg.dim()}."
            )
        if d is not None and d < 0:
            flat_dims[i] = d % arg.dim()
    sizes = [arg.size(d) for arg, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sizes} for the mapped dimension"
        )
    return sizes[0], flat_dims, flat_args, spec


def _stack_outputs(outputs: list[Any], out_dims: Any, func: Callable) -> Any:
    name = _name(func)
    flat0, spec = pt.tree_flatten(outputs[0])
    if isinstance(outputs[0], Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            flat_dims = [out_dims]
        elif isinstance(out_dims, tuple) and len(out_dims) == 1:
            flat_dims = list(out_dims)
        else:
            flat_dims = None
    else:
        flat_dims = pt.broadcast_to_and_flatten(out_dims, spec)
    if flat_dims is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the structure of "
            "`outputs`."
        )
    flats = [flat0] + [pt.tree_flatten(o)[0] for o in outputs[1:]]
    result = []
    for j, d in enumerate(flat_dims):
        if d is None:
            result.append(flat0[j])  # not mapped: every example gave it alike
            continue
        if not isinstance(flat0[j], Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(flat0[j])}. Did you mean "
                "to set out_dims= to None for output?"
            )
        result.append(stack([f[j] for f in flats], dim=d))
    return pt.tree_unflatten(result, spec)


def vmap(
    func: Callable,
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    """torch.func.vmap: ``func`` mapped over dimension ``in_dims`` of its inputs, results stacked at ``out_dims``."""
    check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_out_dims(out_dims, func)
        batch_size, flat_dims, flat_args, spec = _batched_inputs(in_dims, args, func)
        outputs = []
        # "same": every example starts from the generator state the first one saw
        states = [g.get_state() for g in _GENERATORS] if randomness == "same" else None
        with randomness_mode(randomness):
            for i in range(batch_size):
                if states is not None and i > 0:
                    for g, s in zip(_GENERATORS, states):
                        g.set_state(s)
                sliced = [a if d is None else a.select(d, i) for a, d in zip(flat_args, flat_dims)]
                with running():
                    outputs.append(func(*pt.tree_unflatten(sliced, spec), **kwargs))
        return _stack_outputs(outputs, out_dims, func)

    return wrapped
