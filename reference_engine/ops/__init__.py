"""All ops, exported to the ``reference_engine`` namespace.

Each op module lists its public functions in ``__all__`` and the ones that are
also Tensor methods in ``METHODS`` (name -> function taking the tensor
first). ``_MODULES`` lists the op modules: ``reference_engine._tensor_surface``
attaches their ``METHODS`` (and the in-place variants and operators derived
from them) to ``Tensor``; importing this package changes nothing on ``Tensor``.
"""

from __future__ import annotations

from . import (
    aten,  # noqa: F401 - torch.ops.aten
    blas,
    comparison,
    complex_numbers,
    creation,
    einsum,
    indexed_reduction,
    indexing,
    inplace,
    join,
    linalg,
    linalg_householder,
    linalg_solvers,
    pointwise,
    reduction,
    scan,
    shape,
    sorting,
    special,
    unary,
    view_scatter,
)
from .inplace import copy_, fill, fill_, zero_

_MODULES = (
    pointwise,
    unary,
    comparison,
    reduction,
    scan,
    shape,
    join,
    indexing,
    indexed_reduction,
    sorting,
    blas,
    einsum,
    linalg,
    linalg_householder,
    linalg_solvers,
    special,
    creation,
    view_scatter,
    complex_numbers,
)

__all__ = ["copy_", "fill", "fill_", "inplace", "zero_"]
# ``aten`` (torch.ops.aten) is reached through this package only; it adds nothing to the top level
for _mod in _MODULES:
    for _name in _mod.__all__:
        globals()[_name] = getattr(_mod, _name)
    __all__ += list(_mod.__all__)
