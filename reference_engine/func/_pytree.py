"""The few pytree operations torch.func needs: flatten nested tuples, lists and dicts to leaves and back.

torch uses ``torch.utils._pytree``; the transforms here only need its flatten/unflatten and the "broadcast a
prefix" rule vmap applies to ``in_dims``/``out_dims``, so this is a small structural copy of those rules
(named tuples keep their type, ``None`` is a leaf, as it is an ``in_dims`` value).
"""

from __future__ import annotations

from typing import Any

# A spec is None for a leaf, else (node type, keys or length, child specs).
Spec = tuple[type, Any, tuple] | None


def _children(obj: Any) -> tuple[type, Any, list] | None:
    if isinstance(obj, dict):
        return dict, list(obj.keys()), list(obj.values())
    if isinstance(obj, tuple | list):
        return type(obj), len(obj), list(obj)
    return None


def tree_flatten(obj: Any) -> tuple[list[Any], Spec]:
    """(leaves in order, the structure to rebuild them with)."""
    node = _children(obj)
    if node is None:
        return [obj], None
    kind, keys, values = node
    leaves: list[Any] = []
    specs = []
    for v in values:
        sub, spec = tree_flatten(v)
        leaves.extend(sub)
        specs.append(spec)
    return leaves, (kind, keys, tuple(specs))


def _count(spec: Spec) -> int:
    return 1 if spec is None else sum(_count(s) for s in spec[2])


def tree_unflatten(leaves: list[Any], spec: Spec) -> Any:
    it = iter(leaves)

    def build(s: Spec) -> Any:
        if s is None:
            return next(it)
        kind, keys, specs = s
        values = [build(c) for c in specs]
        if kind is dict:
            return dict(zip(keys, values, strict=True))
        if kind is list:
            return values
        if kind is tuple:
            return tuple(values)
        if hasattr(kind, "_fields"):  # a named tuple
            return kind(*values)
        return kind(values)

    return build(spec)


def tree_map(fn: Any, obj: Any) -> Any:
    leaves, spec = tree_flatten(obj)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_to_and_flatten(prefix: Any, spec: Spec) -> list[Any] | None:
    """``prefix`` (an in_dims/out_dims value) spread over ``spec``'s leaves; None when the two do not fit.

    A leaf of ``prefix`` (an int, None) covers a whole subtree; a container must match the node's type and
    length (torch's ``_broadcast_to_and_flatten``)."""
    if spec is None:
        return [prefix] if _children(prefix) is None else None
    node = _children(prefix)
    if node is None:
        return [prefix] * _count(spec)
    kind, keys, specs = spec
    pkind, pkeys, pvalues = node
    if (pkind is dict) != (kind is dict) or (
        kind is not dict and pkind is not kind and not (issubclass(kind, tuple) and pkind is tuple)
    ):
        return None
    if kind is dict:
        if set(pkeys) != set(keys):
            return None
        pvalues = [prefix[k] for k in keys]
    elif pkeys != keys:
        return None
    out: list[Any] = []
    for p, s in zip(pvalues, specs, strict=True):
        sub = broadcast_to_and_flatten(p, s)
        if sub is None:
            return None
        out.extend(sub)
    return out
