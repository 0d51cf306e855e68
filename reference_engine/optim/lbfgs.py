"""L-BFGS with torch's fixed step or strong-Wolfe line search (``torch/optim/lbfgs.py``, torch 2.13 and 2.14).

Unlike the other optimizers, L-BFGS is written with the engine's tensor ops, line for line as torch
writes it with its own: the closure's losses, the 0-d tensors and the Python floats mix exactly as
in torch, so the step sizes, the history (``old_dirs``, ``old_stps``, ``ro``, ``al``, ``H_diag``)
and ``t`` have torch's types (a 0-d tensor where torch has one, a float where torch has one) and
dtypes, and every comparison rounds its threshold to the tensor's dtype like torch's. Two ops are
spelled differently: ``add_(other, alpha=)`` is ``_add_`` (torch's kernel fuses the multiply-add),
and ``dot`` is called through this module's name, so tests can substitute torch's kernel (MKL's
``sdot``/``ddot`` add in an order of their own; with it substituted the iterates match bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._backend import array_module
from .._layout import contiguous_format
from .._torch_version import since
from ..autograd.grad_mode import enable_grad, no_grad
from ..ops.blas import dot
from ..ops.join import cat
from ..ops.pointwise import mul
from ..tensor import Tensor
from .optimizer import Optimizer, bump, check_common, defaults_of, fused, fused_


def _cubic_interpolate(x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: Any = None) -> Any:
    # ported from https://github.com/torch/optim/blob/master/polyinterp.lua (via torch's port)
    # Compute bounds of interpolation area
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    # The minimiser of the cubic through both points, with their function and derivative values:
    #   d1 = g1 + g2 - 3*(f1-f2)/(x1-x2); d2 = sqrt(d1^2 - g1*g2);
    #   min_pos = x2 - (x2 - x1)*((g2 + d2 - d1)/(g2 - g1 + 2*d2)), clamped to the bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square.sqrt()
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(
    obj_func: Callable[[Any, Any, Tensor], tuple[float, Tensor]],
    x: list[Tensor],
    t: Any,
    d: Tensor,
    f: float,
    g: Tensor,
    gtd: Tensor,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Tensor, Any, int]:
    # ported from https://github.com/torch/optim/blob/master/lswolfe.lua (via torch's port)
    d_norm = d.abs().max()
    g = g.clone(memory_format=contiguous_format)
    # evaluate objective and gradient using initial step
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = dot(g_new, d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        # check conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.clone(memory_format=contiguous_format)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.clone(memory_format=contiguous_format)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        # interpolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        # next step
        t_prev = tmp
        f_prev = f_new
        g_prev = g_new.clone(memory_format=contiguous_format)
        gtd_prev = gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1

    # reached max number of iterations?
    if ls_iter == max_ls:
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]

    # zoom phase: we now have a point satisfying the criteria, or a bracket around it; refine the
    # bracket until we find the exact point satisfying the criteria
    insuf_progress = False
    # find high and low points in bracket
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        # line-search bracket is so small
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        # compute new trial value
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # test that we are making sufficient progress: if `t` is so close to a boundary, we mark
        # insufficient progress, and if we made insufficient progress in the last step too, or `t`
        # is at one of the boundaries, move `t` to `0.1 * len(bracket)` from the nearest boundary
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            # interpolation close to boundary
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                # evaluate at 0.1 away from boundary
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        # Evaluate new point
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition not satisfied or not lower than lowest point
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new.clone(memory_format=contiguous_format)
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                # Wolfe conditions satisfied
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # old high becomes new low
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # new point becomes new low
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new.clone(memory_format=contiguous_format)
            bracket_gtd[low_pos] = gtd_new

    # return stuff
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _view_as_real(t: Tensor) -> Tensor:
    """``torch.view_as_real``: a complex tensor's (..., 2) real view, sharing its storage and version counter."""
    a = t._data
    xp = array_module(a)
    real = a.real  # a view of the real parts, with the complex array's strides
    view = xp.lib.stride_tricks.as_strided(real, (*a.shape, 2), (*real.strides, real.itemsize))
    out = Tensor._make(view)
    out._vc = t._vc
    return out


def _add_(target: Tensor, other: Tensor, alpha: Any) -> None:
    """``target.add_(other, alpha=alpha)`` rounded as torch's CPU kernel rounds it: ``alpha`` rounded to the
    common dtype, then one fused multiply-add (the engine's ``add_`` rounds the product first, which moves
    float32 iterates by an ulp from the fourth iteration on)."""
    t, o, a = target._data, other._data, float(alpha)
    if t.dtype == o.dtype:
        fused_(t, t.dtype.type(a), o)
    else:  # a float64 update into a float32 parameter: computed in float64, then cast back
        common = np.result_type(t.dtype, o.dtype)
        t[...] = fused(t.astype(common), common.type(a), o.astype(common))
    bump(target)


def _to_scalar(x: Any) -> Any:
    """torch.optim.optimizer._to_scalar: a 1-element tensor hyperparameter as a 0-d tensor, anything else as is."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def _lbfgs_direction(
    state: dict[str, Any],
    flat_grad: Tensor,
    prev_flat_grad: Tensor,
    d: Tensor,
    t: Any,
    old_dirs: list[Tensor],
    old_stps: list[Tensor],
    ro: list[Tensor],
    H_diag: Any,  # noqa: N803 (torch's name)
    history_size: int,
) -> tuple[Tensor, Any]:
    """The step's direction after the first iteration (a block of torch's ``step``): updates the memory in
    place and returns the new ``d`` and ``H_diag``."""
    # do lbfgs update (update memory)
    y = flat_grad.sub(prev_flat_grad)
    s = d.mul(t)
    ys = dot(y, s)  # y*s
    if ys > 1e-10:
        # updating memory
        if len(old_dirs) == history_size:
            # shift history by one (limited-memory)
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        # store new direction/step
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        # update scale of initial Hessian approximation
        H_diag = ys / dot(y, y)  # noqa: N806 (y*y)

    # the approximate (L-BFGS) inverse Hessian multiplied by the gradient
    num_old = len(old_dirs)
    if "al" not in state:
        state["al"] = [None] * history_size
    al = state["al"]

    # iteration in L-BFGS loop collapsed to use just one buffer
    q = flat_grad.neg()
    for i in range(num_old - 1, -1, -1):
        al[i] = dot(old_stps[i], q) * ro[i]
        _add_(q, old_dirs[i], -al[i])  # q.add_(old_dirs[i], alpha=-al[i])

    # multiply by initial Hessian; r/d is the final direction
    d = r = mul(q, H_diag)
    for i in range(num_old):
        be_i = dot(old_dirs[i], r) * ro[i]
        _add_(r, old_stps[i], al[i] - be_i)  # r.add_(old_stps[i], alpha=al[i] - be_i)
    return d, H_diag


_NOT_GIVEN: Any = object()  # LBFGS's ``maximize`` not passed (torch 2.13 has no such argument)


class LBFGS(Optimizer):
    """L-BFGS (heavily inspired by minFunc). One parameter group only; a very memory intensive optimizer
    (``param_bytes * (history_size + 1)`` bytes)."""

    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
        *,
        maximize: Any = _NOT_GIVEN,
    ) -> None:
        # torch 2.14 adds the keyword-only ``maximize`` (default False, last in the defaults); torch 2.13 has none
        if not since("2.14") and maximize is not _NOT_GIVEN:
            raise TypeError("LBFGS.__init__() got an unexpected keyword argument 'maximize'")
        if maximize is _NOT_GIVEN:
            maximize = False
        check_common(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        keys = "lr max_iter max_eval tolerance_grad tolerance_change history_size line_search_fn"
        if since("2.14"):
            keys += " maximize"
        super().__init__(params, defaults_of(locals(), keys))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache: int | None = None

    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(2 * p.numel() if p.is_complex() else p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self) -> Tensor:
        # (torch densifies a sparse grad here; the engine has none). torch flattens with p.grad.view(-1): its
        # AccumulateGrad lays a grad out like its leaf, the engine's can keep a transposed one (an LSTM's
        # weight_hh), which view refuses; reshape gives the same values.
        views = []
        for p in self._params:
            view = p.new_zeros(p.numel()) if p.grad is None else p.grad.reshape(-1)
            if view.is_complex():
                view = _view_as_real(view).view(-1)
            views.append(view)
        flat_grad = cat(views, 0)
        # torch 2.14's maximize: the search runs on the negated gradient (and loss)
        if self.param_groups[0].get("maximize", False):
            flat_grad.neg_()
        return flat_grad

    def _add_grad(self, step_size: Any, update: Tensor) -> None:
        offset = 0
        for p in self._params:
            if p.is_complex():
                p = _view_as_real(p)
            numel = p.numel()
            # view as to avoid deprecated pointwise semantics; p.add_(update[...].view_as(p), alpha=step_size)
            _add_(p, update[offset : offset + numel].view_as(p), step_size)
            offset += numel
        if offset != self._numel():
            raise AssertionError(f"Expected offset {offset} to equal {self._numel()}")

    def _clone_param(self) -> list[Tensor]:
        return [p.clone(memory_format=contiguous_format) for p in self._params]

    def _set_param(self, params_data: list[Tensor]) -> None:
        for p, pdata in zip(self._params, params_data, strict=True):
            p.copy_(pdata)

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[Tensor], t: Any, d: Tensor) -> tuple:
        self._add_grad(t, d)
        loss = closure()
        if self.param_groups[0].get("maximize", False):  # torch 2.14's maximize
            loss = -loss
        loss = float(loss)
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    @no_grad()
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Perform a single optimization step: ``closure`` re-evaluates the model and returns the loss."""
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got {len(self.param_groups)}")

        # Make sure the closure is always called with grad enabled
        closure = enable_grad()(closure)

        group = self.param_groups[0]
        lr = _to_scalar(group["lr"])
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]
        maximize = group.get("maximize", False)  # torch 2.14's maximize (absent from a torch 2.13 group)

        # torch 2.14: with no parameters (an empty group) the step only evaluates the closure and returns its loss
        # (torch 2.13 fails below with IndexError on self._params[0])
        if since("2.14") and len(self._params) == 0:
            return closure()

        # LBFGS has only global state, registered for the first param (which helps load_state_dict's casting)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        # evaluate initial f(x) and df/dx
        orig_loss = closure()
        loss = -float(orig_loss) if maximize else float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = flat_grad.abs().max() <= tolerance_grad

        # optimal condition
        if opt_cond:
            return orig_loss

        # tensors cached in state (for tracing)
        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")  # noqa: N806 (torch's name)
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        # optimize for a max of max_iter iterations
        while n_iter < max_iter:
            # keep track of nb of iterations
            n_iter += 1
            state["n_iter"] += 1

            # ---------------------------------------------------------- gradient descent direction
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1  # noqa: N806
            else:
                d, H_diag = _lbfgs_direction(  # noqa: N806
                    state, flat_grad, prev_flat_grad, d, t, old_dirs, old_stps, ro, H_diag, history_size
                )
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone(memory_format=contiguous_format)
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss

            # ---------------------------------------------------------- step length
            # reset initial guess for step size
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr
            else:
                t = lr

            # directional derivative
            gtd = dot(flat_grad, d)  # g * d

            # directional derivative is below tolerance
            if gtd > -tolerance_change:
                break

            # optional line search: user function
            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x: list[Tensor], t: Any, d: Tensor) -> tuple[float, Tensor]:
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = flat_grad.abs().max() <= tolerance_grad
            else:
                # no line search, simply move with fixed-step
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # re-evaluate function only if not in last iteration (in a stochastic setting
                    # there is no use re-evaluating it here)
                    with enable_grad():
                        loss = closure()
                    loss = -float(loss) if maximize else float(loss)
                    flat_grad = self._gather_flat_grad()
                    opt_cond = flat_grad.abs().max() <= tolerance_grad
                    ls_func_evals = 1

            # update func eval
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---------------------------------------------------------- check conditions
            # (torch's tests one by one, in its order: the iteration and evaluation budgets, the optimal
            # condition, then lack of progress in the parameters and in the loss)
            if (
                n_iter == max_iter
                or current_evals >= max_eval
                or opt_cond
                or d.mul(t).abs().max() <= tolerance_change
                or abs(loss - prev_loss) < tolerance_change
            ):
                break

        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss

        return orig_loss
