"""``torch.autograd.forward_ad``: dual tensors and their tangents (forward-mode AD).

How tangents are computed. torch gives every op a forward formula; the engine derives the tangent of an
op's outputs from the op's backward formula instead, by the double-vjp identity: for ``y = f(x)``,
``g(u) = J^T u`` is linear in ``u``, so ``J t`` is the gradient of ``<g(u), t>`` with respect to ``u``.
Every backward formula the engine writes with its own ops (all that support double backward) therefore
gives a tangent; an op whose gradient is not differentiable with respect to its incoming grad raises
torch's "Trying to use forward AD with ... that does not support it" error.

Where it happens. While a dual level is entered, the public functions of the engine's namespaces
(``torch``, ``torch.nn.functional``, ``torch.linalg``, ``torch.special``, the RNN and attention functions,
``torch.ops.aten``'s overloads), the private torch ops named in ``_PRIVATE_OPS`` (``torch._unsafe_masked_index``)
and ``Tensor``'s methods, operators and transposing properties have their code swapped for a trampoline
to a wrapper (and back when the level exits, so nothing is paid outside one). Swapping the code, not the
attribute, means every reference to the function sees it: ``act = torch.tanh`` saved earlier, a module's
``_fn = staticmethod(F.relu)``. A wrapped call whose arguments carry tangents runs the op as usual, which
gives the result with its values, reverse-mode graph and views exactly as without forward AD; it then runs
the op once more on stand-ins (the tangent-carrying arguments as hidden leaves, or as views of themselves
when they require grad, so a tangent keeps its primal's history; the other tensors copied so nothing is
modified twice), with the random generator put back so both runs draw the same numbers and the op's
warnings silenced so they are given once, and differentiates that run twice. A view op on one dual tensor
instead applies itself to the tangent, so the view's tangent is a view of it, as torch's view formulas
give; an in-place op runs on a copy first, then for real, and writes its new tangent into the old one in
place (torch updates tangents in place: views of it, and the user's own tangent tensor, see the change).
Calls made inside a wrapped call are not wrapped again, so a composite op (``F.linear``, a loss) is
differentiated as one function.

What differs from torch (registered in scenarios/expected_divergences.toml): a tangent's own ``grad_fn``
(when the primal or the tangent requires grad) is the node of the double-vjp, not of torch's forward formula;
for an op whose backward projects its gradient (cholesky's symmetrised gradient) the tangent is that of the
projected direction, where torch's formula takes the tangent as given. A function the engine defines outside
those namespaces and methods (a private helper called directly) computes no tangent.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from ..tensor import Tensor
from . import grad as _autograd_grad
from .grad_mode import enable_grad, forward_level, is_grad_enabled
from .grad_mode import no_grad as _no_grad
from .graph import _sequence

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

_current_level = -1  # torch's module global: the level make_dual/unpack_dual use by default

# -- the surfaces wrapped while a level is entered ---------------------------------------------------------
_namespaces: list[Any] = []  # modules whose public functions are wrapped (set by the package's __init__)
_tensor_cls: list[type] = []
_generator: list[Any] = []
_installed: list[tuple[Any, Any, Any]] = []  # (function, its code, its kwdefaults) to put back on exit
_busy = [0]  # > 0 inside a wrapped call: inner calls are part of the outer op and pass straight through

# Tensor members that are not ops: reading state, hooks, conversions out of the engine. Wrapping them
# would only cost time (or, for requires_grad_, run it on a stand-in that is not a leaf).
_NOT_OPS = frozenset(
    """backward register_hook register_post_accumulate_grad_hook retain_grad requires_grad_ detach_ numpy tolist
    item size dim numel stride storage_offset data_ptr element_size nelement is_contiguous is_floating_point
    is_complex is_signed is_inference untyped_storage storage share_memory_ set_ resize_ resize_as_ pin_memory
    is_pinned is_shared get_device type_as_string __repr__ __str__ __format__ __bool__ __len__ __iter__
    __hash__ __reduce__ __reduce_ex__ __deepcopy__ __copy__ __array__ __getattr__ __getattribute__ __setattr__
    __delattr__ __dir__ __contains__ __index__ __int__ __float__ __complex__ __init__ __new__ __init_subclass__
    __subclasshook__ __sizeof__ __getstate__ __setstate__ __class_getitem__ __torch_function__ __array_wrap__
    __array_priority__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__""".split()
)
# Tensor properties that are ops (views of the data)
_PROPERTY_OPS = ("T", "mT", "H", "mH", "real", "imag")
_NAMESPACE_NOT_OPS = frozenset({"is_tensor", "is_floating_point", "is_complex", "numel", "manual_seed", "seed"})
# Underscored names of torch's top level that are ops with forward formulas (aten's private forms)
_PRIVATE_OPS = frozenset({
    "_native_batch_norm_legit", "_batch_norm_with_update", "_softmax_backward_data", "_unsafe_masked_index",
    "_unsafe_masked_index_put_accumulate",
})  # fmt: skip


def register_surfaces(namespaces: list[Any], tensor_cls: type, generator: Any) -> None:
    """Name the modules and the Tensor class whose ops compute tangents, and the default random generator
    the second run of an op restores (called once by the package, which sits above all three)."""
    _namespaces[:] = namespaces
    _tensor_cls[:] = [tensor_cls]
    _generator[:] = [generator]


def _ops() -> dict[int, tuple[types.FunctionType, str]]:
    """The functions that compute tangents while a level is entered, by id, with the name they are known by."""
    found: dict[int, tuple[types.FunctionType, str]] = {}
    for ns in _namespaces:
        for name, obj in vars(ns).items():
            # a function wrapped by another (the out= wrapper): both, since modules may hold the inner one
            public = not name.startswith("_") or name in _PRIVATE_OPS
            while public and name not in _NAMESPACE_NOT_OPS and isinstance(obj, types.FunctionType):
                found.setdefault(id(obj), (obj, name))
                obj = getattr(obj, "__wrapped__", None)
    for name, obj in vars(_tensor_cls[0]).items():
        if name in _NOT_OPS or (name.startswith("_") and not name.startswith("__")):
            continue
        if isinstance(obj, property) and name in _PROPERTY_OPS:
            obj = obj.fget
        if isinstance(obj, types.FunctionType):
            found.setdefault(id(obj), (obj, name))
    return found


# A function is made dual-aware by swapping its code for a trampoline to its wrapper, not by replacing the
# attribute that names it: every reference to the function object then sees the change (a module's
# ``_fn = staticmethod(F.relu)``, ``act = torch.tanh`` saved before the level). The wrapper reaches the
# function's own code through a copy of the function made once.
_TRAMPOLINE_ARG = "_forward_ad_wrapper_"
_trampolines: dict[tuple[str, ...], types.CodeType] = {}
_originals: dict[int, tuple[types.FunctionType, Callable]] = {}  # id -> (copy with the original code, wrapper)


def _trampoline(freevars: tuple[str, ...]) -> types.CodeType:
    """Code that calls its keyword-only default, with as many free variables as the function it replaces
    (a function's code can only be swapped for one with the same number)."""
    code = _trampolines.get(freevars)
    if code is None:
        names = list(freevars)
        lines = ["def _make():"]
        if names:
            lines.append("    " + " = ".join(names) + " = None")
        lines.append(f"    def _t(*args, {_TRAMPOLINE_ARG}=None, **kwargs):")
        if names:
            lines.append("        " + ", ".join(names))
        lines.append(f"        return {_TRAMPOLINE_ARG}(*args, **kwargs)")
        lines.append("    return _t")
        scope: dict[str, Any] = {}
        exec(compile("\n".join(lines), "<forward_ad trampoline>", "exec"), scope)
        code = _trampolines[freevars] = scope["_make"]().__code__
    return code


def _install() -> None:
    for key, (fn, name) in _ops().items():
        entry = _originals.get(key)
        if entry is None or entry[0].__code__ is not fn.__code__:
            original = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
            original.__kwdefaults__ = fn.__kwdefaults__
            original.__dict__.update(fn.__dict__)
            entry = _originals[key] = (original, _dual_aware(original, name))
        original, wrapper = entry
        _installed.append((fn, fn.__code__, fn.__kwdefaults__))
        fn.__code__ = _trampoline(fn.__code__.co_freevars)
        fn.__kwdefaults__ = {**(fn.__kwdefaults__ or {}), _TRAMPOLINE_ARG: wrapper}


def _uninstall() -> None:
    while _installed:
        fn, code, kwdefaults = _installed.pop()
        fn.__code__ = code
        fn.__kwdefaults__ = kwdefaults


# -- levels ------------------------------------------------------------------------------------------------
def enter_dual_level() -> int:
    """Enter a new forward grad level; only one level may exist at a time, as in torch."""
    global _current_level
    if forward_level.token is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    forward_level.token = object()
    forward_level.node_tangents = _node_tangents
    forward_level.function_apply = _function_apply
    _current_level = 0
    _install()
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the forward grad level: every tangent made at it is gone."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _uninstall()
    forward_level.token = None
    forward_level.node_tangents = None
    forward_level.function_apply = None
    _current_level = level - 1


class dual_level:  # noqa: N801 (torch's name)
    """Context manager (and decorator) entering a forward AD level for its block."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with dual_level():
                return func(*args, **kwargs)

        return wrapper


class UnpackedDualTensor(NamedTuple):
    """``unpack_dual``'s result: the primal (a view of the dual tensor) and its tangent (or None)."""

    primal: Tensor
    tangent: Tensor | None


def _check_level(level: int | None, where: str) -> int:
    if level is None:
        level = _current_level
    elif level != _current_level or level < 0:
        raise RuntimeError(f"Invalid level given to {where}")
    return level


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` carrying ``tangent`` (kept as is) at the forward AD level."""
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    _check_level(level, "_make_dual")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if tensor._fw_tangent() is not None:
        raise RuntimeError(
            f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same level {level} "
            "is not supported."
        )
    _busy[0] += 1
    try:
        dual = tensor.view_as(tensor)
    finally:
        _busy[0] -= 1
    _set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)``: the primal is a view of ``tensor`` without tangent; the tangent is as stored."""
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not {type(tensor).__name__}")
    _check_level(level, "_unpack_dual")
    tangent = tensor._fw_tangent()
    _busy[0] += 1
    try:
        primal = tensor.view_as(tensor)
    finally:
        _busy[0] -= 1
    return UnpackedDualTensor(primal, tangent)


def _set_tangent(t: Tensor, tangent: Tensor | None) -> None:
    if tangent is None:
        t.__dict__.pop("_fw", None)
    else:
        t.__dict__["_fw"] = (forward_level.token, tangent)
        _share_with_saved(t)


def _share_with_saved(t: Tensor) -> None:
    """A node keeps its own output as a separate alias (no cycle), saved before the tangent was known: the
    alias gets the tangent too, so a backward run inside the level (forward over reverse) sees it."""
    node = t._grad_fn
    saved = node._saved if node is not None else None
    if not saved:
        return
    for s in saved.values():
        if s is not None and s.is_output and s.output_nr == t._output_nr and hasattr(s, "tensor"):
            s.tensor.__dict__["_fw"] = t.__dict__["_fw"]


# -- tangents through ops ----------------------------------------------------------------------------------
def _tensors_in(value: Any) -> Iterator[tuple[Any, Tensor]]:
    """(path, tensor) for each tensor in ``value``: itself, or inside (nested) lists and tuples."""
    if isinstance(value, Tensor):
        yield (), value
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            for path, t in _tensors_in(v):
                yield (i, *path), t


def _replace(value: Any, subst: dict[int, Tensor]) -> Any:
    """``value`` with each tensor whose id is in ``subst`` replaced (lists and tuples rebuilt)."""
    if isinstance(value, Tensor):
        return subst.get(id(value), value)
    if isinstance(value, list | tuple):
        items = [_replace(v, subst) for v in value]
        if isinstance(value, list):
            return items
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    return value


def _has_tangent(args: tuple, kwargs: dict) -> bool:
    for v in itertools.chain(args, kwargs.values()):
        if isinstance(v, Tensor):
            if "_fw" in v.__dict__ and v._fw_tangent() is not None:
                return True
        elif isinstance(v, list | tuple):
            if any(t._fw_tangent() is not None for _, t in _tensors_in(v)):
                return True
    return False


def _inplace_position(fn: Callable) -> int | None:
    """Position of an ``inplace`` parameter (F.relu(x, inplace)), if the function has one."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    return params.index("inplace") if "inplace" in params else None


def _dual_aware(fn: Callable, name: str) -> Callable:
    inplace_pos = _inplace_position(fn)
    inplace_name = (name.endswith("_") and not name.endswith("__")) or name == "__setitem__"
    inplace_name = inplace_name or (name.startswith("__i") and name not in ("__init__", "__iter__", "__index__"))

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _busy[0] or not _has_tangent(args, kwargs):
            return fn(*args, **kwargs)
        target = None  # the tensor an in-place op (or out=) writes
        if inplace_name and args and isinstance(args[0], Tensor):
            target = args[0]
        elif isinstance(kwargs.get("out"), Tensor):
            target = kwargs["out"]
        elif inplace_pos is not None and args and isinstance(args[0], Tensor):
            flag = kwargs.get("inplace", args[inplace_pos] if len(args) > inplace_pos else False)
            target = args[0] if flag is True else None
        return _call_with_tangents(fn, name, args, kwargs, target)

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    wrapper.__name__ = getattr(fn, "__name__", name)
    wrapper.__doc__ = fn.__doc__
    return wrapper


def not_implemented(name: str) -> NotImplementedError:
    """torch's error for an op without a forward formula."""
    return NotImplementedError(
        f"Trying to use forward AD with {name} that does not support it because it has not been implemented yet.\n"
        "Please file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml "
        "so that we can prioritize its implementation or submit a PR adding the implementation to derivatives.yaml"
    )


def _rng_snapshot() -> Any:
    # the bit generator's state dict (a copy of its key) and the generator's cached values: far cheaper
    # than a cloned Generator, whose constructor seeds a fresh MT19937
    gen = _generator[0]
    mt = gen._mt
    return gen, mt._bitgen.state, mt.fresh, gen._seed, gen._next_double_normal, gen._next_float_normal


def _rng_restore(snapshot: Any) -> None:
    gen, state, fresh, seed, double_normal, float_normal = snapshot
    gen._mt._bitgen.state = state
    gen._mt.fresh = fresh
    gen._seed, gen._next_double_normal, gen._next_float_normal = seed, double_normal, float_normal


# In-place view ops: torch's forward formula applies the op to the tangent in place (t_: self_t.t_() ...), so
# the tangent keeps the primal's layout (which as_strided on it reads)
_INPLACE_VIEW_OPS = frozenset({"t_", "transpose_", "swapaxes_", "swapdims_", "squeeze_", "unsqueeze_", "as_strided_"})


def _call_with_tangents(fn: Callable, name: str, args: tuple, kwargs: dict, target: Tensor | None) -> Any:
    grad_on = is_grad_enabled()
    _busy[0] += 1
    try:
        if name in _INPLACE_VIEW_OPS and target is args[0] and not _has_tangent(args[1:], kwargs):
            tangent = target._fw_tangent()
            result = fn(*args, **kwargs)
            if tangent is not None:
                fn(tangent, *args[1:], **kwargs)
            return result
        before = _rng_snapshot()
        if target is not None:
            # in place: differentiate a run on copies first (the inputs are about to change), then run it
            stand_in_out, plan = _tangent_run(fn, args, kwargs, target, grad_on)
            _rng_restore(before)
            old = target._fw_tangent()
            result = fn(*args, **kwargs)
            _attach(plan, [(target, stand_in_out)], name, grad_on)
            _update_in_place(target, old)
            return result
        result = fn(*args, **kwargs)
        outs = [t for _, t in _tensors_in(result) if t.is_floating_point() or t.is_complex()]
        if not outs:
            return result
        if _view_of_tangent(fn, args, kwargs, result, outs):
            return result
        after = _rng_snapshot()
        _rng_restore(before)
        try:
            stand_in_result, plan = _tangent_run(fn, args, kwargs, None, grad_on)
        finally:
            _rng_restore(after)
        stand_ins = [t for _, t in _tensors_in(stand_in_result) if t.is_floating_point() or t.is_complex()]
        if len(stand_ins) == len(outs):
            _attach(plan, list(zip(outs, stand_ins, strict=True)), name, grad_on)
        return result
    finally:
        _busy[0] -= 1


def _view_of_tangent(fn: Callable, args: tuple, kwargs: dict, result: Any, outs: list[Tensor]) -> bool:
    """A view op on one dual tensor: its outputs' tangents are the same views of that tensor's tangent, as in
    torch (whose view formulas take views), so an in-place op on the view reaches the tangent of its base."""
    duals = [
        t for v in itertools.chain(args, kwargs.values()) for _, t in _tensors_in(v) if t._fw_tangent() is not None
    ]
    if len(duals) != 1:
        return False
    dual = duals[0]
    root = dual._base if dual._base is not None else dual
    if not all(o._base is root for o in outs):
        return False
    tangent = dual._fw_tangent()
    if tangent.shape != dual.shape or tangent.dtype != dual.dtype:
        return False
    after = _rng_snapshot()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # given once, by the real call
            views = fn(*_replace(args, {id(dual): tangent}), **_replace(kwargs, {id(dual): tangent}))
    finally:
        _rng_restore(after)  # the real call drew what the op draws
    tangents = [t for _, t in _tensors_in(views) if t.is_floating_point() or t.is_complex()]
    if len(tangents) != len(outs):
        return False
    for out, t in zip(outs, tangents, strict=True):
        _set_tangent(out, t)
    return True


def _update_in_place(target: Tensor, old: Tensor | None) -> None:
    """torch updates a tangent in place when its tensor is modified in place (so views of it see the change)."""
    new = target._fw_tangent()
    if old is not None and new is not None and new is not old:
        if old.shape == new.shape and not (old.requires_grad or new.requires_grad):
            with _no_grad():
                old.copy_(new)
            _set_tangent(target, old)
        return
    base = target._base
    if old is None and new is not None and base is not None and target._view_fn is not None:
        # the view's base gets a tangent: zeros with the view's region written, the view's tangent a view of it
        full = base._fw_tangent()
        if full is None:
            full = base.detach().new_zeros(base.shape)
            _set_tangent(base, full)
        region = target._view_fn(full)
        with _no_grad():
            region.copy_(new)
        _set_tangent(target, region)


def _function_apply(cls: Any, args: tuple, kwargs: dict) -> Any:
    """A custom autograd.Function inside a dual level: its forward runs as usual (its own ops compute no
    tangents), and when an input carries a tangent the outputs' tangents are its ``jvp`` (torch's rule; the
    base class's jvp raises torch's error)."""
    tangents = [a._fw_tangent() if isinstance(a, Tensor) else None for a in args]
    if _busy[0] or all(t is None for t in tangents):
        return cls._apply(args, kwargs)[0]
    _busy[0] += 1
    try:
        result, ctx = cls._apply(args, kwargs)
    finally:
        _busy[0] -= 1
    seeds = [t if t is not None or not isinstance(a, Tensor) else a.detach().new_zeros(a.shape)
             for a, t in zip(args, tangents, strict=True)]  # fmt: skip
    ctx.__dict__["_jvp_saved"] = tuple(ctx.__dict__.get("_saved_for_forward", ()))
    try:
        with _no_grad():
            out_tangents = cls.jvp(ctx, *seeds)
    finally:
        del ctx.__dict__["_jvp_saved"]
    outs = result if isinstance(result, tuple) else (result,)
    out_tangents = out_tangents if isinstance(out_tangents, tuple) else (out_tangents,)
    for out, tangent in zip(outs, out_tangents, strict=False):
        if isinstance(out, Tensor) and isinstance(tangent, Tensor):
            _set_tangent(out, tangent)
    return result


def _node_tangents(node: Any, grads: list, outs: Any) -> None:
    """Forward over reverse: a backward node whose kernel works on arrays (select's, a pooling's, an
    interpolation's) returns grads without tangents. A backward is linear in its incoming grads, so the
    tangent of what it returns is the node applied to their tangents (exact where the array kernel does not
    read a saved tensor that has a tangent of its own; a conv's weight, for one)."""
    tangents = [g._fw_tangent() if isinstance(g, Tensor) else None for g in grads]
    if all(t is None for t in tangents):
        return
    missing = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o._fw_tangent() is None]
    if not missing:
        return
    seeds = [t if t is not None else (g.detach().new_zeros(g.shape) if isinstance(g, Tensor) else None)
             for g, t in zip(grads, tangents, strict=True)]  # fmt: skip
    _busy[0] += 1
    try:
        linear = node.apply(*seeds)
    finally:
        _busy[0] -= 1
    for i in missing:
        if i < len(linear) and isinstance(linear[i], Tensor):
            _set_tangent(outs[i], linear[i])


class _Plan(NamedTuple):
    inputs: list[Tensor]  # what the tangent run is differentiated with respect to
    tangents: list[Tensor]  # the tangent of each
    hidden: list[Tensor]  # leaves made only for the tangent run
    real: bool  # whether some tensor the user made requires grad here (the tangent may have history)
    seq0: int  # nodes numbered from here on were made by the tangent run


def _tangent_run(fn: Callable, args: tuple, kwargs: dict, target: Tensor | None, grad_on: bool) -> tuple[Any, _Plan]:
    """Run ``fn`` on stand-ins; returns its result (in place: the written stand-in) and what to differentiate."""
    seq0 = next(_sequence)
    subst: dict[int, Tensor] = {}
    inputs: list[Tensor] = []
    tangents: list[Tensor] = []
    hidden: list[Tensor] = []
    real = False
    every = [t for v in itertools.chain(args, kwargs.values()) for _, t in _tensors_in(v)]
    with enable_grad():
        for t in every:
            if id(t) in subst:
                continue
            tangent = t._fw_tangent()
            if tangent is not None:
                real = real or tangent.requires_grad
                if t.requires_grad and grad_on:
                    # forward over reverse: the tangent keeps the primal's history; a view of its own, so the
                    # derivative taken is through this use only (another input may depend on t too)
                    stand = t.view_as(t)
                    real = True
                else:
                    stand = t.detach().requires_grad_()
                    hidden.append(stand)
                inputs.append(stand)
                tangents.append(tangent)
            elif t.requires_grad:
                stand = t
                real = real or grad_on
            else:
                stand = t.detach().clone() if t.is_floating_point() or t.is_complex() else t.clone()
            if t is target:
                stand = stand.clone()  # never write the real tensor, nor a leaf that requires grad
            subst[id(t)] = stand
        new_args = tuple(_replace(a, subst) for a in args)
        new_kwargs = {k: _replace(v, subst) for k, v in kwargs.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the op's warnings were given once, by the real call
            result = fn(*new_args, **new_kwargs)
    if target is not None:
        result = subst[id(target)]
    return result, _Plan(inputs, tangents, hidden, real, seq0)


def _attach(plan: _Plan, pairs: list[tuple[Tensor, Tensor]], name: str, grad_on: bool) -> None:
    """Give each real output the tangent of its stand-in: ``J t`` by differentiating ``J^T u`` in ``u``."""
    live = [(out, s) for out, s in pairs if s.requires_grad]
    for out, s in pairs:
        if not s.requires_grad:
            _set_tangent(out, None)
    if not live:
        return
    with enable_grad():
        # J^T u is linear in u, so any u gives the same J t; ones (not zeros) make a backward that does not
        # record its dependence on u show as a non-zero constant, which is then reported, not taken as zero
        us = [s.detach().new_ones(s.shape).requires_grad_() for _, s in live]
        vjps = _autograd_grad([s for _, s in live], plan.inputs, grad_outputs=us, create_graph=True, allow_unused=True)
        pieces, tangents = [], []
        for g, t in zip(vjps, plan.tangents, strict=True):
            if g is None:
                continue
            if not g.requires_grad:
                if bool((g != 0).any()):
                    raise not_implemented(name)
                continue  # a zero derivative (sign, round...): it adds nothing
            pieces.append(g)
            tangents.append(t)
        jvps = (
            _autograd_grad(pieces, us, grad_outputs=tangents, create_graph=True, allow_unused=True)
            if pieces
            else [None] * len(us)
        )
    for (out, s), jt in zip(live, jvps, strict=True):
        if jt is None:
            jt = s.detach().new_zeros(s.shape)
        elif any(jt is t or (jt._base is not None and (jt._base is t or jt._base is t._base)) for t in plan.tangents):
            jt = jt.clone()  # the seed passed straight through (clone, a cast): the tangent is a new tensor
        if not (grad_on and plan.real):
            jt = jt.detach()  # no tensor of the user's requires grad here: the tangent has no history
        else:
            jt = _prune(jt, {id(h) for h in [*plan.hidden, *us]}, plan.seq0)
        _set_tangent(out, jt)


def _prune(t: Tensor, hidden: set[int], seq0: int) -> Tensor:
    """``t`` with the tangent run's stand-in leaves cut out of its history (edges to them become None)."""
    root = t.grad_fn
    if root is None:
        return t
    dead: set[int] = set()
    order: list[Any] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for nf, _ in node.next_functions:
            if nf is not None and not nf._is_accumulate and nf._sequence_nr >= seq0:
                stack.append((nf, False))
    for node in order:
        edges = []
        for nf, nr in node.next_functions:
            if nf is not None and (id(nf) in dead or (nf._is_accumulate and id(nf.variable) in hidden)):
                edges.append((None, 0))
            else:
                edges.append((nf, nr))
        node.next_functions = tuple(edges)
        if all(nf is None for nf, _ in edges):
            dead.add(id(node))
    return t.detach() if id(root) in dead else t
