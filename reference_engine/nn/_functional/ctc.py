"""ctc_loss: the connectionist temporal classification loss (one ``CtcLossBackward0`` node, as in torch).

The loss of each sequence is the negative log of the summed probability of every alignment of its target
(with blanks between and around the labels) to its input steps, computed by torch's CPU recursion in log
space: alpha over the extended target forwards in time, beta backwards, each step a three-term
log-sum-exp shifted by its largest term, in the input's dtype. The gradient collects alpha * beta per
label (in descending order of the extended target, as torch's loop adds them) and is
``exp(log_probs) - exp(collected + nll - log_probs)`` times the incoming grad; torch has no second
derivative for it, so a gradient taken with create_graph has torch's ``NotImplemented`` node.

The exponentials and logarithms are NumPy's (float32 ones through float64, rounded once), where torch's
scalar loops call the C library's: the losses agree to the bit on the inputs tried, the gradients to the last
bit or two of some elements.

ATen's composite wraps the per-sequence losses: zero_infinity replaces infinite losses by zero (a
``where``), 'mean' divides each by its target length (at least 1) and averages, 'sum' adds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._creation import zeros
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.graph import Node
from ...ops._util import grad_recording, invalid_combination, record
from ...ops.inplace import scalar_type_name
from ...ops.pointwise import NoDerivative, _ErrState, where
from ...tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


class CtcLossBackward0(Node):
    # log_probs: _ctc_loss_backward(grad, log_probs, targets, input_lengths, target_lengths, result0, result1,
    #     blank, zero_infinity)
    def apply(self, grad: Tensor, _grad_alpha: Tensor | None = None) -> tuple:
        lp = self.saved("log_probs")
        out = _ctc_grad(grad._data, lp._data, self.prime, self.il, self.tl, self.nll, self.alpha, self.zero_infinity)
        result = Tensor._make(out)
        if is_grad_enabled() and grad_recording(grad, lp):
            # torch's _ctc_loss_backward has no derivative
            record(NoDerivative("_ctc_loss_backward"), result, grad, lp)
        return (result,)


def _exp(x: Any) -> Any:
    # torch's loops call the C library's expf on floats, which is (almost always) the correctly rounded
    # exponential: the double exponential rounded to float gives it where NumPy's float32 exp is a bit off
    return np.exp(x.astype(np.float64)).astype(np.float32) if x.dtype == np.float32 else np.exp(x)


def _log(x: Any) -> Any:
    return np.log(x.astype(np.float64)).astype(np.float32) if x.dtype == np.float32 else np.log(x)


def _logaddexp3(a: Any, b: Any, c: Any) -> Any:
    """log(exp(a - m) + exp(b - m) + exp(c - m)) + m, m the largest (0 when all are -inf), torch's order."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(m == -np.inf, m.dtype.type(0), m)
    return _log(_exp(a - m) + _exp(b - m) + _exp(c - m)) + m


def _alpha(lp: Any, prime: Any, il: Any, tl: Any) -> tuple[Any, Any]:
    """torch's ctc_loss_cpu_template: (negative log likelihoods, log_alpha (N, T, 2 * S + 1))."""
    t_max, n = lp.shape[0], lp.shape[1]
    width = prime.shape[1]
    neginf = lp.dtype.type(-np.inf)
    alpha = np.full((n, t_max, width), neginf, dtype=lp.dtype)
    rows = np.arange(n)[:, None]
    s = np.arange(width)[None, :]
    valid = s < (2 * tl[:, None] + 1)
    # the skip from s - 2: allowed for labels that differ from the one two before
    skip = np.zeros_like(valid)
    skip[:, 2:] = prime[:, 2:] != prime[:, :-2]
    emit = lp.transpose(1, 0, 2)[rows, :, prime].transpose(0, 2, 1)  # (N, T, width): log_probs of each state
    if t_max:
        alpha[:, 0, 0] = emit[:, 0, 0]
        if width > 1:
            alpha[:, 0, 1] = np.where(tl > 0, emit[:, 0, 1], neginf)
    with _ErrState():
        for t in range(1, t_max):
            prev = alpha[:, t - 1]
            la2 = np.full_like(prev, neginf)
            la2[:, 1:] = prev[:, :-1]
            la3 = np.full_like(prev, neginf)
            la3[:, 2:] = np.where(skip[:, 2:], prev[:, :-2], neginf)
            alpha[:, t] = np.where(valid, _logaddexp3(prev, la2, la3) + emit[:, t], neginf)
        nll = np.empty(n, dtype=lp.dtype)
        for b in range(n):
            i, k = int(il[b]), int(tl[b])
            if i == 0:
                nll[b] = 0 if k == 0 else np.inf
            elif k == 0:
                nll[b] = -alpha[b, i - 1, 0]
            else:
                l1, l2 = alpha[b, i - 1, 2 * k], alpha[b, i - 1, 2 * k - 1]
                m = max(l1, l2)
                m = lp.dtype.type(0) if m == -np.inf else m
                nll[b] = -(_log(_exp(l1 - m) + _exp(l2 - m)) + m)
    return nll, alpha


def _ctc_grad(grad_out: Any, lp: Any, prime: Any, il: Any, tl: Any, nll: Any, alpha: Any, zero_infinity: bool) -> Any:
    """torch's ctc_loss_backward_cpu_template: beta, the collected alpha * beta per label, the gradient."""
    t_max, n, _ = lp.shape
    width = prime.shape[1]
    neginf = lp.dtype.type(-np.inf)
    rows = np.arange(n)
    s = np.arange(width)[None, :]
    last = 2 * tl[:, None]
    valid = s <= last
    skip = np.zeros((n, width), dtype=bool)
    skip[:, :-2] = (prime[:, 2:] != prime[:, :-2]) & (s[:, :-2] < last - 1)
    emit = lp.transpose(1, 0, 2)[rows[:, None], :, prime].transpose(0, 2, 1)
    beta = np.full_like(alpha, neginf)
    collected = np.full((n, t_max, lp.shape[2]), neginf, dtype=lp.dtype)
    with _ErrState():
        for b in range(n):
            i, k = int(il[b]), int(tl[b])
            if i == 0:
                continue
            beta[b, i - 1, 2 * k] = emit[b, i - 1, 2 * k]
            collected[b, i - 1, prime[b, 2 * k]] = alpha[b, i - 1, 2 * k] + beta[b, i - 1, 2 * k]
            if k > 0:
                beta[b, i - 1, 2 * k - 1] = emit[b, i - 1, 2 * k - 1]
                c = prime[b, 2 * k - 1]
                collected[b, i - 1, c] = alpha[b, i - 1, 2 * k - 1] + beta[b, i - 1, 2 * k - 1]
        for t in range(t_max - 2, -1, -1):
            nxt = beta[:, t + 1]
            lb2 = np.full_like(nxt, neginf)
            lb2[:, :-1] = np.where(s[:, :-1] < last, nxt[:, 1:], neginf)
            lb3 = np.full_like(nxt, neginf)
            lb3[:, :-2] = np.where(skip[:, :-2], nxt[:, 2:], neginf)
            active = (t < il - 1)[:, None] & valid
            beta[:, t] = np.where(active, _logaddexp3(nxt, lb2, lb3) + emit[:, t], beta[:, t])
        # collected[b, t, prime[s]] "log+=" alpha + beta, s descending, for every t before the last step
        before_last = np.arange(t_max)[None, :] < (il - 1)[:, None]
        for j in range(width - 1, -1, -1):
            use = before_last & valid[:, j : j + 1]
            ab = alpha[:, :, j] + beta[:, :, j]
            cur = collected[rows[:, None], np.arange(t_max)[None, :], prime[:, j : j + 1]]
            m = np.maximum(cur, ab)
            summed = _log(_exp(cur - m) + _exp(ab - m)) + m
            new = np.where(cur == neginf, ab, summed)
            collected[rows[:, None], np.arange(t_max)[None, :], prime[:, j : j + 1]] = np.where(use, new, cur)
        lpb = lp.transpose(1, 0, 2)
        gr = grad_out.astype(lp.dtype)[:, None, None]
        res = (_exp(lpb) - _exp(collected + nll[:, None, None] - lpb)) * gr
    res = np.where((np.arange(t_max)[None, :] < il[:, None])[:, :, None], res, lp.dtype.type(0))
    if zero_infinity:
        res = np.where((nll == np.inf)[:, None, None], lp.dtype.type(0), res)
    return np.ascontiguousarray(res.transpose(1, 0, 2))


def _lengths(value: Any, name: str) -> Any:
    if isinstance(value, Tensor):
        if value._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return value._data.astype(np.int64).reshape(-1)
    return np.asarray([int(v) for v in value], dtype=np.int64)


def _extended_targets(targets: Any, tl: Any, n: int) -> tuple[Any, Any]:
    """The targets of each sequence with torch's size checks, and the extended targets (blank, l1, blank, ...)
    as (N, 2 * S + 1) label indices, blank marked -1 for now."""
    where_ = "(while checking arguments for ctc_loss_allocate_outputs)"
    for b in range(n):
        if tl[b] < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {int(tl[b])} {where_}")
    max_len = int(tl.max()) if n else 0
    if targets.ndim == 1:
        total = int(tl.sum())
        if targets.shape[0] != total:
            raise RuntimeError(
                f"Expected tensor to have size {total} at dimension 0, but got size {targets.shape[0]} for "
                f"argument #2 'targets' {where_}"
            )
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        padded = np.zeros((n, max_len), dtype=np.int64)
        for b in range(n):
            padded[b, : tl[b]] = targets[starts[b] : starts[b] + tl[b]]
    else:
        if targets.shape[0] != n:
            raise RuntimeError(
                f"Expected tensor to have size {n} at dimension 0, but got size {targets.shape[0]} for "
                f"argument #2 'targets' {where_}"
            )
        if targets.shape[1] < max_len:
            raise RuntimeError(
                f"Expected tensor to have size at least {max_len} at dimension 1, but got size {targets.shape[1]} "
                f"for argument #2 'targets' {where_}"
            )
        padded = targets
        max_len = targets.shape[1]
    return padded, max_len


def _ctc_forward(log_probs: Tensor, targets: Tensor, il: Any, tl: Any, blank: int, zero_infinity: bool) -> Tensor:
    """torch._ctc_loss's first output (the per-sequence losses), recorded as CtcLossBackward0."""
    lp = log_probs._data
    where_ = "(while checking arguments for ctc_loss_allocate_outputs)"
    if lp.ndim != 3:
        raise RuntimeError(
            f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument #1 'log_probs' {where_}"
        )
    if lp.dtype.kind != "f" or lp.dtype.itemsize < 4:
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{scalar_type_name(log_probs.dtype)}'")
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if len(il) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tl) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    tg = targets._data.astype(np.int64)
    if tg.ndim not in (1, 2):
        raise RuntimeError(
            f"Expected 1 to 2 dimensions, but got {tg.ndim}-dimensional tensor for argument #2 'targets' {where_}"
        )
    padded, max_len = _extended_targets(tg, tl, n)
    for b in range(n):
        if il[b] < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {int(il[b])} {where_}")
        if il[b] > t_max:
            raise RuntimeError(
                f"Expected input_lengths to have value at most {t_max}, but got value {int(il[b])} {where_}"
            )
    prime = np.full((n, 2 * max_len + 1), blank, dtype=np.int64)
    prime[:, 1::2] = padded[:, :max_len]
    # labels past a sequence's target length are never read; clip them so the gathers stay in range
    prime = np.clip(prime, 0, c - 1)
    nll, alpha = _alpha(lp, prime, il, tl)
    out = Tensor._make(nll)
    if grad_recording(log_probs):
        node = CtcLossBackward0()
        node.prime, node.il, node.tl, node.nll, node.alpha = prime, il, tl, nll, alpha
        node.zero_infinity = zero_infinity
        record(node, out, log_probs)
        node.save("log_probs", log_probs)
    return out


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The CTC loss of log-probabilities (T, N, C) or (T, C) against targets (N, S), (sum of lengths) or (S)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor) or isinstance(input_lengths, int):
        # torch.ctc_loss takes both lengths as tuples of ints or both as tensors
        reduction_enum = _REDUCTIONS.index(reduction)
        args = (log_probs, targets, input_lengths, target_lengths, blank, reduction_enum, zero_infinity)
        raise invalid_combination("ctc_loss", *args)
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    res = _ctc_forward(lp, targets, il, tl, blank, zero_infinity)
    if zero_infinity:
        res = where(res == float("inf"), zeros([], dtype=res.dtype), res)
    if reduction == "mean":
        clamped = Tensor._make(np.maximum(tl, 1).astype(res._data.dtype))
        return (res / clamped).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
