"""torch.func's autodiff transforms on the engine's tape: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian.

torch gives each transform a "level" and wraps tensors per level. The engine has one tape, so a level here
is the set of fresh leaves a transform made for its own inputs (``_Level``): a transform always differentiates
with ``create_graph=True`` (as functorch does), then ``release`` detaches every result whose history reaches
nothing but those leaves. A result that also depends on something outside the level (an input that already
required grad, a closed-over parameter, the leaves of an enclosing transform) keeps its history, so nested
transforms (``hessian``, ``grad(grad(f))``, ``vmap(grad(f))``) and ordinary autograd around them compose.
``jvp`` is the double-vjp trick (a vjp with dummy cotangents ``u``, then the vjp of that in ``u``); the
Jacobians are one vjp per output element, ``jacfwd`` included (same values as torch's forward mode).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import autograd
from .._creation import eye, zeros_like
from ..autograd import functional
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops import stack
from ..tensor import Tensor
from . import _pytree as pt
from ._transform import running
from ._vmap import check_randomness_arg, randomness_mode

Argnums = int | tuple[int, ...]


class _Level:
    """One transform's own leaves, and the test of whether a result depends on anything else."""

    def __init__(self) -> None:
        self._nodes: list[Any] = []  # the leaves' AccumulateGrad nodes, kept alive so their ids stay theirs
        self._internal: set[int] = set()

    def leaf(self, t: Tensor) -> Tensor:
        leaf = t.detach().requires_grad_()
        node = leaf._accumulator()
        self._nodes.append(node)
        self._internal.add(id(node))
        return leaf

    def differentiable(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if x.requires_grad:
            # already on a tape (an outer transform, user autograd): an alias keeps the link, so the result
            # stays differentiable outside while this level differentiates with respect to the alias only
            return x.view_as(x)
        return self.leaf(x)

    def release(self, t: Any) -> Any:
        """``t`` as the transform hands it out: detached unless its history leaves this level."""
        if not isinstance(t, Tensor) or not t.requires_grad or self._reaches_outside(t):
            return t
        return t.detach()

    def _reaches_outside(self, t: Tensor) -> bool:
        if t.grad_fn is None:
            return id(t._accumulator()) not in self._internal
        seen: set[int] = set()
        todo = [t.grad_fn]
        while todo:
            node = todo.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            if type(node).__name__ == "AccumulateGrad":
                if id(node) not in self._internal:
                    return True
                continue
            todo.extend(f for f, _ in node.next_functions)
        return False


def _autograd_grad(
    outputs: list[Tensor],
    inputs: list[Tensor],
    grad_outputs: list[Any] | None = None,
    retain_graph: bool = True,
    create_graph: bool = True,
) -> tuple[Tensor, ...]:
    """functorch's ``_autograd_grad``: autograd.functional's (outputs without grad are dropped), with zeros for
    missing grads.

    The graph is retained (functorch frees it): on the one tape, an enclosing transform differentiates
    through this level's forward nodes too (d/dx of ``x * sin(x)``'s gradient needs ``sin(x)``'s node)."""
    gos = None if grad_outputs is None else tuple(grad_outputs)
    grads = functional._autograd_grad(tuple(outputs), tuple(inputs), gos, create_graph, retain_graph)
    return tuple(zeros_like(i) if g is None else g for g, i in zip(grads, inputs))


# --------------------------------------------------------------------------- argnums (torch's messages)
def _wrap_argnum(argnum: Any, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _checked_argnums(argnums: Any, num_args: int) -> Argnums:
    if not isinstance(argnums, int | tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if len(wrapped) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {wrapped}")
    return wrapped


def _slice_argnums(args: tuple, argnums: Argnums, as_tuple: bool = True) -> Any:
    if isinstance(argnums, int):
        return (args[argnums],) if as_tuple else args[argnums]
    return tuple(args[i] for i in argnums)


def _replace_args(args: tuple, new: Any, argnums: Argnums) -> tuple:
    if isinstance(argnums, int):
        return tuple(new if i == argnums else a for i, a in enumerate(args))
    return tuple(new[argnums.index(i)] if i in argnums else a for i, a in enumerate(args))


def _make_differentiable(level: _Level, args: tuple, argnums: Argnums | None) -> tuple[tuple, list[Tensor], Any]:
    """(args with the differentiated ones replaced, their flat leaves, the structure of the differentiated part)."""
    if argnums is None:
        diff = args
    else:
        argnums = _checked_argnums(argnums, len(args))
        diff = _slice_argnums(args, argnums, as_tuple=False)
    flat, spec = pt.tree_flatten(diff)
    flat = [level.differentiable(x) for x in flat]
    new = pt.tree_unflatten(flat, spec)
    return (new if argnums is None else _replace_args(args, new, argnums)), flat, spec


def _split_aux(out: Any, api: str) -> tuple[Any, Any]:
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


# --------------------------------------------------------------------------- grad
def _grad_and_value(func: Callable, argnums: Argnums, has_aux: bool, args: tuple, kwargs: dict) -> tuple:
    level = _Level()
    api = "grad_and_value(f)(*args)"
    with enable_grad():  # a transform, not a context: an outer no_grad does not reach inside
        args, flat, spec = _make_differentiable(level, args, argnums)
        with running(refuse_hooks=True):
            output = func(*args, **kwargs)
        aux = None
        if has_aux:
            output, aux = _split_aux(output, api)
        if not isinstance(output, Tensor):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(
                f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with {output.dim()} dims. "
                "Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        grads = _autograd_grad([output], flat, create_graph=True)
        grad_input = pt.tree_unflatten([level.release(g) for g in grads], spec)
        output = level.release(output)
        if has_aux:
            return grad_input, (output, pt.tree_map(level.release, aux))
        return grad_input, output


def grad_and_value(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """torch.func.grad_and_value: ``(gradient, value)`` (``(gradient, (value, aux))`` with ``has_aux``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return wrapper


def grad(func: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """torch.func.grad: the gradient of a scalar function with respect to ``argnums`` (``(gradient, aux)``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


# --------------------------------------------------------------------------- vjp
def _check_tensor_outputs(flat: list[Any], api: str) -> None:
    if len(flat) < 1 or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def _vjp(func: Callable, primals: tuple, argnums: Argnums | None, has_aux: bool, refuse_hooks: bool = True) -> tuple:
    level = _Level()
    with enable_grad():
        args, flat_diff, diff_spec = _make_differentiable(level, primals, argnums)
        with running(refuse_hooks):
            out = func(*args)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "vjp(f, *primals)")
            aux = pt.tree_map(level.release, aux)
        flat_out, out_spec = pt.tree_flatten(out)
        _check_tensor_outputs(flat_out, "vjp(f, *primals)")
        results = pt.tree_unflatten([level.release(o) for o in flat_out], out_spec)
        for o in flat_out:
            if not (o.is_floating_point() or o.is_complex()):
                raise RuntimeError(
                    "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                    f"with dtype {o.dtype}"
                )

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None) -> Any:
        if create_graph is None:
            create_graph = is_grad_enabled()
        flat_cot, cot_spec = pt.tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to "
                f"the function. cotangents: {_spec_str(cot_spec)}, primal output: {_spec_str(out_spec)}"
            )
        grads = _autograd_grad(flat_out, flat_diff, flat_cot, retain_graph=retain_graph, create_graph=create_graph)
        return pt.tree_unflatten([level.release(g) for g in grads], diff_spec)

    return (results, vjp_fn, aux) if has_aux else (results, vjp_fn)


def _spec_str(spec: Any) -> str:
    """A spec as torch's ``treespec_pprint`` writes it: ``*`` for a leaf, ``(*, *)`` for a tuple ..."""
    if spec is None:
        return "*"
    kind, keys, children = spec
    parts = [_spec_str(c) for c in children]
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(keys, parts)) + "}"
    if kind is list:
        return "[" + ", ".join(parts) + "]"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """torch.func.vjp: ``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per primal."""
    return _vjp(func, primals, None, has_aux)


# --------------------------------------------------------------------------- jvp
_JVP = "jvp(f, primals, tangents)"


def _check_tensor_list(flat: list[Any], argname: str) -> None:
    if len(flat) == 0:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got {type(o)}")


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False) -> tuple:
    """torch.func.jvp: ``(func(*primals), J @ tangents)`` through two reverse passes."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_p, p_spec = pt.tree_flatten(primals)
    flat_t, t_spec = pt.tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For example, if primals "
            f"is a tuple of 3 tensors, tangents also must be. Got primals with structure {_spec_str(p_spec)} "
            f"and tangents with structure {_spec_str(t_spec)}"
        )
    _check_tensor_list(flat_p, "primals")
    _check_tensor_list(flat_t, "tangents")
    level = _Level()
    with enable_grad():
        leaves = [level.differentiable(p) for p in flat_p]
        with running():
            out = func(*pt.tree_unflatten(leaves, p_spec))
        aux = None
        if has_aux:
            out, aux = _split_aux(out, _JVP)
            aux = pt.tree_map(level.release, aux)
        flat_out, out_spec = pt.tree_flatten(out)
        _check_tensor_outputs(flat_out, _JVP)
        tangents_out = _forward_product(level, flat_out, leaves, flat_t)
        if strict and any(t is None for t in tangents_out):
            raise RuntimeError(
                "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is "
                "not allowed with strict=True."
            )
        tangents_out = [zeros_like(o) if t is None else level.release(t) for t, o in zip(tangents_out, flat_out)]
        primals_out = pt.tree_unflatten([level.release(o) for o in flat_out], out_spec)
        result = (primals_out, pt.tree_unflatten(tangents_out, out_spec))
    return (*result, aux) if has_aux else result


def _forward_product(level: _Level, outs: list[Tensor], leaves: list[Tensor], tangents: list[Tensor]) -> list:
    """J @ tangents per output (None where an output does not depend on the inputs): the vjp with dummy
    cotangents ``u`` is linear in ``u``, so its vjp in ``u`` with the tangents as cotangents is J @ t."""
    result: list[Tensor | None] = [None] * len(outs)
    diff = [i for i, o in enumerate(outs) if o.requires_grad]
    if not diff:
        return result
    us = [level.leaf(zeros_like(outs[i])) for i in diff]
    vj = autograd.grad([outs[i] for i in diff], leaves, us, retain_graph=True, create_graph=True, allow_unused=True)
    pairs = [(g, t) for g, t in zip(vj, tangents) if g is not None and g.requires_grad]
    if not pairs:
        return result
    jv = autograd.grad(
        [g for g, _ in pairs], us, [t for _, t in pairs], retain_graph=True, create_graph=True, allow_unused=True
    )
    for i, j in zip(diff, jv):
        result[i] = j
    return result


# --------------------------------------------------------------------------- Jacobians
def _error_if_complex(api: str, args: Any, is_input: bool) -> None:
    for idx, a in enumerate(pt.tree_flatten(args)[0]):
        if isinstance(a, Tensor) and a.is_complex():
            kind = "inputs" if is_input else "outputs"
            raise RuntimeError(
                f"{api}: Expected all {kind} to be real but received complex tensor at flattened input idx: {idx}"
            )


def _jacobian(api: str, func: Callable, argnums: Argnums, has_aux: bool, args: tuple) -> Any:
    """The Jacobian as torch lays it out: per output, per differentiated input, ``out.shape + input.shape``;
    one vjp per output element, with the rows of the identity as cotangents."""
    _error_if_complex(api, args, is_input=True)
    # jacfwd is forward mode in torch: it accepts saved-tensor hooks, jacrev does not
    vjp_out = _vjp(func, args, argnums, has_aux, refuse_hooks=api == "jacrev")
    output, vjp_fn = vjp_out[0], vjp_out[1]
    flat_out, out_spec = pt.tree_flatten(output)
    _error_if_complex(api, flat_out, is_input=False)
    primals = _slice_argnums(args, _checked_argnums(argnums, len(args)))
    flat_primals, primals_spec = pt.tree_flatten(primals)
    rows: list[list[Tensor]] = []  # per output element, the flat gradients for every differentiated input
    for i, o in enumerate(flat_out):
        identity = eye(o.numel(), dtype=o.dtype, device=o.device)
        for k in range(o.numel()):
            basis = [identity[k].view(o.shape) if j == i else zeros_like(p) for j, p in enumerate(flat_out)]
            rows.append(pt.tree_flatten(vjp_fn(pt.tree_unflatten(basis, out_spec)))[0])
    per_output = []
    start = 0
    for o in flat_out:
        block = rows[start : start + o.numel()]
        start += o.numel()
        jac = [
            stack([r[j] for r in block]).reshape(tuple(o.shape) + tuple(p.shape)) for j, p in enumerate(flat_primals)
        ]
        per_input = pt.tree_unflatten(jac, primals_spec)
        per_output.append(per_input[0] if isinstance(argnums, int) else per_input)
    result = pt.tree_unflatten(per_output, out_spec)
    return (result, vjp_out[2]) if has_aux else result


def jacrev(
    func: Callable, argnums: Argnums = 0, *, has_aux: bool = False, chunk_size: int | None = None, **_: Any
) -> Callable:
    """torch.func.jacrev: the Jacobian of ``func`` with respect to ``argnums`` (reverse mode)."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        return _jacobian("jacrev", func, argnums, has_aux, args)

    return wrapper


def jacfwd(func: Callable, argnums: Argnums = 0, has_aux: bool = False, *, randomness: str = "error") -> Callable:
    """torch.func.jacfwd: the same Jacobian as ``jacrev`` (computed in reverse mode here, same values)."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        # torch runs func under vmap: a random draw inside raises with randomness="error"
        check_randomness_arg(randomness)
        with randomness_mode(randomness):
            return _jacobian("jacfwd", func, argnums, has_aux, args)

    return wrapper


def hessian(func: Callable, argnums: Argnums = 0) -> Callable:
    """torch.func.hessian: ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
