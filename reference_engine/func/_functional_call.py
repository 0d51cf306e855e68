"""torch.func.functional_call and stack_module_state.

``functional_call`` swaps the given tensors into the module's parameter and buffer slots for one call and puts
the originals back afterwards (torch's ``_reparametrize_module``), so the module runs on tensors the caller
owns: a transform's leaves, or the slices vmap hands out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ops import stack
from ..tensor import Tensor

_MISSING = object()


def _merged(dicts: Any) -> dict[str, Any]:
    if isinstance(dicts, dict):
        return dicts
    if isinstance(dicts, Sequence):
        if not all(isinstance(d, dict) for d in dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts: dict[str, int] = {}
        for d in dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        return {k: v for d in dicts for k, v in d.items()}
    raise ValueError(
        f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got {type(dicts)}"
    )


def _owner(module: Any, name: str) -> tuple[Any, str]:
    *path, attr = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """torch.func.functional_call: ``module(*args, **kwargs)`` with the named tensors in place of its own."""
    values = _merged(parameter_and_buffer_dicts)
    if strict:
        names = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]
        unexpected = [k for k in values if k not in names]
        missing = [n for n in names if n not in values]
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(errors))
    swapped: list[tuple[Any, str, str, Any]] = []  # (owner, registry or "", attribute, original)
    try:
        for name, value in values.items():
            owner, attr = _owner(module, name)
            for registry in ("_parameters", "_buffers"):
                store = owner.__dict__[registry]
                if attr in store:
                    swapped.append((owner, registry, attr, store[attr]))
                    store[attr] = value  # straight into the slot: a plain tensor may stand in for a Parameter
                    break
            else:
                swapped.append((owner, "", attr, owner.__dict__.get(attr, _MISSING)))
                object.__setattr__(owner, attr, value)
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, registry, attr, original in reversed(swapped):
            if registry:
                owner.__dict__[registry][attr] = original
            elif original is _MISSING:
                object.__delattr__(owner, attr)
            else:
                object.__setattr__(owner, attr, original)


def _stacked_leaf(tensors: list[Tensor], name: str) -> Tensor:
    all_rg = all(t.requires_grad for t in tensors)
    if not all_rg and any(t.requires_grad for t in tensors):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    # new leaves, unrelated to the models' parameters, so an optimizer can take them
    return result.detach().requires_grad_() if all_rg else result


def stack_module_state(models: Any) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """torch.func.stack_module_state: every parameter and buffer of ``models`` stacked along a new dim 0."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    kind = type(models[0])
    if not all(type(m) is kind for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    all_buffers = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers
