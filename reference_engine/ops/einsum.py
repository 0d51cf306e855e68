"""torch.einsum, following ATen's ``einsum`` and ``sumproduct_pair`` (aten/src/ATen/native/Linear.cpp) step by
step: operands are aligned with diagonal/unsqueeze/permute, contracted left to right with permute + reshape
+ bmm, and the summed dims dropped with a final view. Composing the same engine ops in the same order gives
torch's values and grad_fn chain; gradients and double backward come from those ops.
"""

from __future__ import annotations

import string
from typing import Any

from ..tensor import Tensor
from . import blas as B
from . import join as J
from . import pointwise as P
from . import reduction as R
from . import shape as S

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's subscript order: A-Z, then a-z
_ELLIPSIS = len(_LETTERS)


def _subscript(label: str) -> int:
    return _LETTERS.index(label)


# torch's messages for an operand dim that does not broadcast with the size seen before in its place
# ("{op}has" without a space is torch's wording)
_ELLIPSIS_MISMATCH = (
    "einsum(): dimension {dim} covered by ellipsis in operand {op}has size {size} which does not broadcast with "
    "previously seen ellipsis with size {seen} for the respective dimension"
)
_LABEL_MISMATCH = (
    "einsum(): subscript {label} has size {size} for operand {op} which does not broadcast with previously seen "
    "size {seen}"
)


def _seen_size(seen: list[int], key: int, size: int, mismatch: str, **where: Any) -> bool:
    """Whether an operand dim of ``size`` (an ellipsis dim or a label's) takes part in the contraction.

    Size 1 broadcasts and does not; any other size must match ``seen[key]``, the size seen before in that place
    (1: none yet), and is recorded there. ``mismatch`` is the error, formatted with ``where``, ``size`` and ``seen``.
    """
    if size == 1:
        return False
    if seen[key] not in (1, size):
        raise RuntimeError(mismatch.format(size=size, seen=seen[key], **where))
    seen[key] = size
    return True


def _parse_operands(lhs: str, num_ops: int) -> list[list[int]]:
    labels: list[list[int]] = [[] for _ in range(num_ops)]
    current, seen_ellipsis, i = 0, False, 0
    while i < len(lhs):
        ch = lhs[i]
        if ch == " ":
            pass
        elif ch == ".":
            if seen_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {current} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {current} that is not part of any ellipsis")
            i += 2
            labels[current].append(_ELLIPSIS)
            seen_ellipsis = True
        elif ch == ",":
            current += 1
            if current >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            seen_ellipsis = False
        elif ch in _LETTERS:
            labels[current].append(_subscript(ch))
        else:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"
            )
        i += 1
    if current != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def _sumproduct_pair(left: Tensor, right: Tensor, sum_dims: list[int]) -> Tensor:
    """(left * right).sum(sum_dims, keepdim=True) through one bmm, as ATen's sumproduct_pair."""
    if not sum_dims:
        return P.mul(left, right)
    lro: list[int] = []
    lo: list[int] = []
    ro: list[int] = []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(left.ndim):
        sl, sr = left._data.shape[i] != 1, right._data.shape[i] != 1
        if i in sum_dims:
            if sl and sr:
                if left._data.shape[i] != right._data.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left._data.shape[i]
            elif sl:  # only in one operand: sum it right away
                left = R.sum(left, i, keepdim=True)
            elif sr:
                right = R.sum(right, i, keepdim=True)
        elif sl and sr:
            if left._data.shape[i] != right._data.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
            lro_size *= left._data.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= left._data.shape[i]
        else:
            ro.append(i)
            ro_size *= right._data.shape[i]
    # when every right-only dim comes before the left-only ones, swapping the operands lets bmm produce
    # the output's memory order directly
    if lo and ro and ro[-1] < lo[0]:
        left, right = right, left
        lo, ro = ro, lo
        lo_size, ro_size = ro_size, lo_size
    out_size = [
        *(left._data.shape[d] for d in lro),
        *(left._data.shape[d] for d in lo),
        *([1] * len(sum_dims)),
        *(right._data.shape[d] for d in ro),
    ]
    lperm = [*lro, *lo, *sum_dims, *ro]
    rperm = [*lro, *sum_dims, *ro, *lo]
    operm = [-1] * len(out_size)
    for pos, d in enumerate([*lro, *lo, *sum_dims, *ro]):
        operm[d] = pos
    left = S.reshape(S.permute(left, lperm), (lro_size, lo_size, sum_size))
    right = S.reshape(S.permute(right, rperm), (lro_size, sum_size, ro_size))
    return S.permute(S.view(B.bmm(left, right), out_size), operm)


def einsum(equation: str, *operands: Any) -> Tensor:
    """torch.einsum(equation, *operands) or einsum(equation, [operands]).

    Operands are contracted left to right: torch does the same for one or two operands, and for more
    when opt_einsum is not installed (with it, torch follows opt_einsum's contraction path).
    """
    if not isinstance(equation, str):
        raise NotImplementedError("einsum(): the sublist format is not supported by reference_engine")
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    ops_in = J._tensor_list(list(operands), "einsum")
    num_ops = len(ops_in)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_operands(lhs, num_ops)

    label_count = [0] * len(_LETTERS)
    ell_num_dim = 0
    for i, (op, labels) in enumerate(zip(ops_in, op_labels, strict=True)):
        nlabels = len(labels) - labels.count(_ELLIPSIS)
        has_ellipsis = _ELLIPSIS in labels
        if has_ellipsis:
            ell_num_dim = max(ell_num_dim, op.ndim - nlabels)
        for s in labels:
            if s != _ELLIPSIS:
                label_count[s] += 1
        if (nlabels > op.ndim) if has_ellipsis else (nlabels != op.ndim):
            what = (
                ") is more than the number of dimensions ("
                if has_ellipsis
                else ") does not match the number of dimensions ("
            )
            tail = "" if has_ellipsis else " and no ellipsis was given"
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nlabels}{what}{op.ndim}) for operand {i}{tail}"
            )

    perm_index_of = [-1] * len(_LETTERS)
    perm_index = ell_index = 0
    ell_in_output = False
    if arrow < 0:  # implicit output: the ellipsis, then the labels seen once, in A-Z a-z order
        perm_index, ell_in_output = ell_num_dim, True
        for s, c in enumerate(label_count):
            if c == 1:
                perm_index_of[s] = perm_index
                perm_index += 1
    else:
        rhs = equation[arrow + 2 :]
        i = 0
        while i < len(rhs):
            ch = rhs[i]
            if ch == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                i += 2
                ell_index, ell_in_output = perm_index, True
                perm_index += ell_num_dim
            elif ch != " ":
                if ch not in _LETTERS:
                    raise RuntimeError(
                        f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the equation string, "
                        "subscripts must be in [a-zA-Z]"
                    )
                s = _subscript(ch)
                if not (label_count[s] > 0 and perm_index_of[s] == -1):
                    why = (
                        " appears more than once in the output"
                        if perm_index_of[s] > -1
                        else " does not appear in the equation for any input operand"
                    )
                    raise RuntimeError(f"einsum(): output subscript {ch}{why}")
                perm_index_of[s] = perm_index
                perm_index += 1
            i += 1
    out_num_dim = perm_index
    if not ell_in_output:
        ell_index = perm_index
        perm_index += ell_num_dim
    for s, c in enumerate(label_count):
        if c > 0 and perm_index_of[s] == -1:
            perm_index_of[s] = perm_index
            perm_index += 1

    # align every operand to (output dims, contraction dims): diagonals, unsqueezes, one permute
    label_size = [1] * len(_LETTERS)
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * perm_index
    ops: list[Tensor] = []
    for i, (op, labels) in enumerate(zip(ops_in, op_labels, strict=True)):
        permutation = [-1] * perm_index
        dim = 0
        for s in labels:
            if s == _ELLIPSIS:
                ndim = ops_in[i].ndim - (len(labels) - 1)
                for j in range(ell_num_dim - ndim, ell_num_dim):
                    if _seen_size(ell_sizes, j, op._data.shape[dim], _ELLIPSIS_MISMATCH, dim=dim, op=i):
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[perm_index_of[s]] == -1:
                if _seen_size(label_size, s, op._data.shape[dim], _LABEL_MISMATCH, label=_LETTERS[s], op=i):
                    dim_counts[perm_index_of[s]] += 1
                permutation[perm_index_of[s]] = dim
                dim += 1
            else:  # a repeated label: take the diagonal
                prev = permutation[perm_index_of[s]]
                if op._data.shape[dim] != op._data.shape[prev]:
                    raise RuntimeError(
                        f"einsum(): subscript {_LETTERS[s]} is repeated for operand {i} but the sizes don't match, "
                        f"{op._data.shape[dim]} != {op._data.shape[prev]}"
                    )
                op = S.movedim(S.diagonal(op, 0, prev, dim), -1, prev)
        for k, val in enumerate(permutation):
            if val == -1:
                op = S.unsqueeze(op, dim)
                permutation[k] = dim
                dim += 1
        ops.append(S.permute(op, permutation))

    while len(ops) > 1:  # contract left to right
        a, b = ops.pop(0), ops.pop(0)
        sum_dims: list[int] = []
        a_sum: list[int] = []
        b_sum: list[int] = []
        for d in range(out_num_dim, perm_index):
            sa, sb = a._data.shape[d] != 1, b._data.shape[d] != 1
            if sa and sb:
                if a._data.shape[d] != b._data.shape[d]:
                    raise RuntimeError("non-broadcast dimensions must match")
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if sa:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif sb:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = R.sum(a, a_sum, keepdim=True)
        if b_sum:
            b = R.sum(b, b_sum, keepdim=True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))

    result = ops[0]
    if perm_index - out_num_dim > 0:
        if num_ops > 1:  # the contracted dims are all of size 1 now
            return S.view(result, list(result._data.shape[:out_num_dim]))
        return R.sum(result, list(range(out_num_dim, perm_index)))
    return result


__all__ = ["einsum"]
METHODS: dict = {}
