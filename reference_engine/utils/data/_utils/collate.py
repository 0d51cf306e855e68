"""``default_collate`` and ``default_convert``: how a list of samples becomes a batch, as in torch 2.13.

The rules (by the type of the batch's first element):

- tensor: ``stack(batch, 0)``;
- NumPy array: each converted with ``as_tensor`` then stacked (string and
  object arrays are refused); NumPy scalar: ``as_tensor(batch)`` (keeps its dtype);
- float: a float64 tensor; int (and bool): ``tensor(batch)``, so int64 (bool);
- str, bytes: the batch itself, unchanged (a tuple when it came out of a tuple sample);
- mapping: the same mapping type, each key collated (a copy of the first
  element updated, when the mapping is mutable);
- namedtuple: the same namedtuple, field by field;
- any other sequence: collated position by position; a tuple gives a *list*
  (torch keeps this for backward compatibility), a list stays a list.

A type is looked up exactly in ``default_collate_fn_map`` first, then by
``isinstance`` in the map's order, which is why ``bool`` goes the ``int`` way and
``numpy.float64`` (a ``float`` subclass) the NumPy-scalar way.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ...._creation import as_tensor, tensor
from ...._dtype import float64
from ....ops.join import stack
from ....tensor import Tensor

# dtype.str of NumPy arrays of bytes, str or objects, which cannot become tensors
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)

CollateMap = dict[type | tuple[type, ...], Callable[..., Any]]


def default_convert(data: Any) -> Any:
    """The collate_fn of a DataLoader without batching: NumPy arrays and scalars become tensors, containers are walked."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(template: Any, values: dict[Any, Any]) -> Any:
    """A mapping of ``template``'s type holding ``values``, or a plain dict when that type cannot be rebuilt."""
    try:
        if isinstance(template, collections.abc.MutableMapping):
            # a copy keeps whatever extra state the mapping type carries (e.g. a defaultdict's factory)
            clone = copy.copy(template)
            clone.update(values)
            return clone
        return type(template)(values)
    except TypeError:
        return values


def _rebuild_sequence(template: Any, items: list[Any]) -> Any:
    """A sequence of ``template``'s type holding ``items``, or a plain list when that type cannot be rebuilt."""
    try:
        if isinstance(template, collections.abc.MutableSequence):
            clone = copy.copy(template)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(template)(items)
    except TypeError:  # e.g. range, which takes no iterable
        return items


def collate(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Any:
    """Collate a batch, looking element types up in ``collate_fn_map`` (exactly, then by isinstance in order)."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        values = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        return _rebuild_mapping(elem, values)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch[1:]):
            raise RuntimeError("each element in list of batch should be of equal size")
        # each column is passed on as the tuple zip makes: a column of strings comes back as that tuple
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # torch returns tuples' columns as a list
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return stack(batch, 0)


def collate_numpy_array_fn(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Any:
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return as_tensor(batch)


def collate_float_fn(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return tensor(batch, dtype=float64)


def collate_int_fn(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return tensor(batch)


def collate_str_fn(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Any:
    return batch


default_collate_fn_map: CollateMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,  # memmap too, a subclass
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,  # NumPy string scalars are left out
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: Any) -> Any:
    """The collate_fn of a batching DataLoader: stacks samples into tensors, keeping their container structure."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


__all__ = [
    "collate", "collate_float_fn", "collate_int_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
    "collate_str_fn", "collate_tensor_fn", "default_collate", "default_collate_fn_map", "default_convert",
]  # fmt: skip
