"""``torch.autograd.gradcheck``: numerical against analytical Jacobians (torch 2.13's slow mode).

The numerical Jacobian perturbs one input element at a time in place (``x.data[idx]``, so no version
bump), by ``-eps`` and ``+eps`` in the input's dtype, and takes the central difference ``(b - a) / (2 eps)``
in the output's dtype; the analytical one is one ``autograd.grad`` per output element (twice, to check
the backward is deterministic). They are compared with ``allclose(analytical, numerical, rtol, atol)``,
and torch's further checks follow: the backward is multiplied by ``grad_output`` (zeros in, zeros out),
and all-zero output grads give zero input grads. Errors are ``GradcheckError`` (a ``RuntimeError``) with
torch's messages; the Jacobians in them print as torch prints tensors.

With ``check_forward_ad`` the same numerical Jacobian is compared with one computed by forward-mode AD
(``autograd.forward_ad``: each input element's unit tangent in turn), as torch does, followed by torch's
check that a zero tangent and no tangent give the same result; ``gradgradcheck(check_fwd_over_rev=True)``
runs it on the gradient function (forward over reverse).

Not implemented (``NotImplementedError``): ``fast_mode=True``, complex inputs or outputs and batched grads
(``check_batched_grad``, ``check_batched_forward_grad``), which need parts the engine lacks.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _creation
from ..tensor import Tensor
from . import forward_ad
from . import grad as _grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck (torch.autograd.gradcheck.GradcheckError)."""


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x: Any) -> tuple:
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _is_float(t: Any) -> bool:
    return isinstance(t, Tensor) and t._data.dtype.kind in "fc"


def _check_inputs(inputs: tuple) -> None:
    any_requires_grad = False
    for idx, inp in enumerate(inputs):
        if isinstance(inp, Tensor) and inp.requires_grad:
            if inp._data.dtype not in (np.float64, np.complex128):
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are not of double precision floating point "
                    "or complex. ",
                    UserWarning,
                    stacklevel=4,
                )
            if inp._data.dtype.kind == "c":
                raise NotImplementedError("gradcheck: complex inputs are not supported by the engine")
            if not all(st > 0 or sz <= 1 for st, sz in zip(inp._data.strides, inp._data.shape, strict=True)):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs that are "
                    "non-overlapping to be able to compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck."
                )
            any_requires_grad = True
    if not any_requires_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True."
        )


def _numerical_jacobians(func: Callable, inputs: tuple, outputs: tuple, eps: float) -> list[list[Tensor]]:
    """[input][output] Jacobians of shape (input numel, output numel), in the output's dtype."""
    result = []
    for inp in inputs:
        if not (isinstance(inp, Tensor) and inp.requires_grad):
            continue
        data = inp._data  # torch perturbs x.data: no version bump, the function sees the new value
        cols = [np.zeros((data.size, o._data.size), dtype=o._data.dtype) for o in outputs if _is_float(o)]
        step = data.dtype.type(eps)  # ``x - eps`` rounds in the input's dtype, as torch's tensor - scalar
        for d_idx, idx in enumerate(itertools.product(*(range(s) for s in data.shape))):
            orig = data[idx].copy()
            data[idx] = orig - step
            outa = [o.clone() for o in _as_tuple(func(*inputs))]
            data[idx] = orig + step
            outb = [o.clone() for o in _as_tuple(func(*inputs))]
            data[idx] = orig
            for k, (a, b) in enumerate(zip(outa, outb, strict=False)):
                _check_same_dtype_and_shape(a, b, eps, idx)
                if k < len(cols):
                    ad, bd = a._data, b._data
                    cols[k][d_idx] = ((bd - ad) / bd.dtype.type(2 * eps)).reshape(-1)
        result.append([Tensor._make(c) for c in cols])
    return result


def _check_same_dtype_and_shape(a: Tensor, b: Tensor, eps: float, idx: tuple) -> None:
    on_index = f"on index {idx} "
    if a.shape != b.shape:
        raise AssertionError(
            f"Expected `func` to return outputs with the same shape when inputs are perturbed {on_index}by "
            f"{eps}, but got: shapes {a.shape} and {b.shape}."
        )
    if a.dtype != b.dtype:
        raise AssertionError(
            f"Expected `func` to return outputs with the same dtype when inputs are perturbed {on_index}by "
            f"{eps}, but got: dtypes {a.dtype} and {b.dtype}."
        )


def _analytical_rows(output: Tensor, diff_inputs: list[Tensor]) -> list[list[Tensor | None]]:
    """rows[i][j]: d output[j] / d input i, one ``autograd.grad`` per output element."""
    rows: list[list[Tensor | None]] = [[] for _ in diff_inputs]
    base = np.zeros(output._data.shape, dtype=output._data.dtype)
    flat = base.reshape(-1)
    for j in range(flat.size):
        flat[:] = 0
        flat[j] = 1
        grads = _grad(output, diff_inputs, Tensor._make(base.copy()), retain_graph=True, allow_unused=True)
        for i, g in enumerate(grads):
            rows[i].append(None if g is None else g.clone())
    return rows


def _stack(rows: list[list[Tensor | None]], diff_inputs: list[Tensor], numel_out: int) -> tuple[list, bool, bool]:
    jacobians = []
    sizes_ok = types_ok = True
    for inp, row in zip(diff_inputs, rows, strict=True):
        jac = np.zeros((inp._data.size, numel_out), dtype=inp._data.dtype)
        for j, g in enumerate(row):
            if g is not None and g.shape != inp.shape:
                sizes_ok = False
            elif g is not None and g.dtype != inp.dtype:
                types_ok = False
            if g is not None:
                if g._data.size != jac.shape[0]:
                    raise AssertionError(
                        f"Expected out_jacobian column to have {g._data.size} elements, but got {jac.shape[0]}"
                    )
                jac[:, j] = g._data.reshape(-1)
        jacobians.append(jac)
    return jacobians, sizes_ok, types_ok


def _analytical_jacobians(inputs: tuple, output: Tensor, nondet_tol: float, check_grad_dtypes: bool) -> list[Tensor]:
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    numel = output._data.size
    jac1, sizes_ok, types_ok = _stack(_analytical_rows(output, diff_inputs), diff_inputs, numel)
    jac2, _, _ = _stack(_analytical_rows(output, diff_inputs), diff_inputs, numel)
    reentrant = all(a.size == 0 or np.abs(a - b).max() <= nondet_tol for a, b in zip(jac1, jac2, strict=True))
    # torch unpacks (jacobians, sizes_ok, types_ok) as (jacobians, types_ok, sizes_ok): a wrong size is
    # reported as a dtype mismatch (only with check_grad_dtypes) and a wrong dtype as a wrong size
    if not sizes_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not types_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output multiple times "
            "gives different values, although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
        )
    return [Tensor._make(j) for j in jac1]


FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def _allclose(a: Tensor, n: Tensor, rtol: float, atol: float) -> bool:
    dt = np.promote_types(a._data.dtype, n._data.dtype)
    x, y = a._data.astype(dt), n._data.astype(dt)
    return bool(np.all(np.abs(x - y) <= atol + rtol * np.abs(y)))  # torch.allclose: NaN is never close


def _forward_jacobians(func: Callable, inputs: tuple, check_grad_dtypes: bool) -> list[list[Tensor]]:
    """[input][output] Jacobians of shape (input numel, output numel) by forward-mode AD, one forward pass
    per input element with that element's tangent set to 1 (torch's column-by-column reconstruction)."""
    result = []
    with forward_ad.dual_level():
        duals, tangents = [], []
        for inp in inputs:
            if isinstance(inp, Tensor) and inp.requires_grad:
                inp = forward_ad.make_dual(inp.detach(), _creation.zeros_like(inp))
                tangents.append(forward_ad.unpack_dual(inp).tangent)
            duals.append(inp)
        for tangent in tangents:
            cols: list[np.ndarray] | None = None
            for lin_idx, idx in enumerate(itertools.product(*(range(s) for s in tangent.shape))):
                tangent._data[idx] = 1  # the dual's own tangent, changed in place as torch's fw_grad[idx] = 1
                outs = [o for o in _as_tuple(func(*duals)) if _is_float(o)]
                if cols is None:
                    cols = [np.zeros((tangent._data.size, o._data.size), dtype=o._data.dtype) for o in outs]
                for k, o in enumerate(outs):
                    val, res = forward_ad.unpack_dual(o)
                    if check_grad_dtypes and res is not None and val.is_complex() != res.is_complex():
                        raise GradcheckError("Forward AD gradient has dtype mismatch.")
                    if res is not None:
                        cols[k][lin_idx] = res._data.reshape(-1)
                tangent._data[idx] = 0
            result.append([Tensor._make(c) for c in cols or []])
    return result


def _slow_gradcheck(
    func: Callable, func_out: Any, inputs: tuple, outputs: tuple, eps: float, rtol: float, atol: float,
    check_grad_dtypes: bool, nondet_tol: float, use_forward_ad: bool = False,
) -> bool:  # fmt: skip
    func_out = _as_tuple(func_out)
    numerical = _numerical_jacobians(func, inputs, func_out, eps)
    if not outputs:
        for per_input in numerical:
            for jac in per_input:
                if np.count_nonzero(jac._data) > 0:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    # [output][input], for the outputs that require grad only
    by_output = [list(col) for col in zip(*numerical, strict=True)] if numerical else []
    by_output = [nj for o, nj in zip(func_out, by_output, strict=False) if o.requires_grad]
    if use_forward_ad:
        forward = _forward_jacobians(func, inputs, check_grad_dtypes)
        for i, per_input in enumerate(by_output):
            for j, n in enumerate(per_input):
                a = forward[j][i]
                if not _allclose(a, n, rtol, atol):
                    raise GradcheckError(
                        f"Jacobian computed with forward mode mismatch for output {i:d} with respect to input "
                        f"{j:d},\nnumerical:{n}\nanalytical:{a}\n"
                    )
        return True
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobians(inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, by_output[i], strict=False)):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {i:d} with respect to input {j:d},\nnumerical:{n}\nanalytical:{a}\n"
                )
    return True


def _test_backward_mul_by_grad_output(outputs: tuple, inputs: tuple) -> None:
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads = _grad(outputs, diff_inputs, [_creation.zeros_like(o) for o in outputs], allow_unused=True)
    for gi, di in zip(grads, diff_inputs, strict=True):
        if gi is None:
            continue
        if np.any(gi._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype != di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if gi.shape != di.shape:
            raise GradcheckError("grad is incorrect size")


def _test_undefined_backward_mode(func: Callable, outputs: tuple, inputs: tuple) -> None:
    """torch's check that all-undefined output grads give undefined or zero input grads.

    torch feeds undefined grads (``UndefinedGrad``), which its nodes skip without reading their saved
    tensors. The engine has no undefined grads: zeros are what a custom Function receives in torch (it
    materializes them), and zero output grads giving zero input grads is what
    ``_test_backward_mul_by_grad_output`` has just checked, while running the engine's backward again
    would read saved tensors torch does not read (freed by that check on a non-leaf input's history). So
    only the function is called, as often as torch calls it here (its calls are observable).
    """
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    first = _differentiable_outputs(func(*inputs))
    if len(first) > 1:
        for _ in range(len(outputs)):
            func(*inputs)


def _test_undefined_forward_mode(func: Callable, inputs: tuple) -> None:
    """torch's check that an input with a zero tangent and the same input without one give the same
    tangents (the tangents of the other inputs set to fixed vectors, as torch sets them to random ones)."""
    with forward_ad.dual_level():
        duals: list[Any] = []
        for inp in inputs:
            if isinstance(inp, Tensor) and inp.requires_grad:
                n = inp._data.size
                u = Tensor._make((np.arange(1, n + 1, dtype=inp._data.dtype) / max(n, 1)).reshape(inp._data.shape))
                inp = forward_ad.make_dual(inp.detach(), u)
            duals.append(inp)
        for idx, inp in enumerate(inputs):
            if not (isinstance(inp, Tensor) and inp.requires_grad):
                continue
            kept = duals[idx]
            duals[idx] = forward_ad.make_dual(inp.detach(), _creation.zeros_like(inp))
            outs1 = [o for o in _as_tuple(func(*duals)) if _is_float(o)]
            duals[idx] = inp.detach()
            outs2 = [o for o in _as_tuple(func(*duals)) if _is_float(o)]
            duals[idx] = kept
            for index_o, (o1, o2) in enumerate(zip(outs1, outs2, strict=False)):
                r1, r2 = forward_ad.unpack_dual(o1).tangent, forward_ad.unpack_dual(o2).tangent
                if r1 is not None and r2 is not None and not _allclose(r1, r2, 1e-05, 1e-08):
                    raise GradcheckError(
                        "Mismatch in tangent values for output with index: ", index_o, " when input: ", inp,
                        " has an undefined tangent value. ", " Got: ", r1, " but expected: ", r2,
                    )  # fmt: skip


def _gradcheck_helper(
    func: Callable, inputs: Any, eps: float, atol: float, rtol: float, nondet_tol: float,
    check_undefined_grad: bool, check_grad_dtypes: bool, check_backward_ad: bool, check_forward_ad: bool = False,
) -> bool:  # fmt: skip
    tupled = _as_tuple(inputs)
    _check_inputs(tupled)
    func_out = func(*tupled)
    outputs = _differentiable_outputs(func_out)
    if any(o._data.dtype.kind == "c" for o in _as_tuple(func_out) if isinstance(o, Tensor)):
        raise NotImplementedError("gradcheck: complex outputs are not supported by the engine")
    if check_backward_ad:
        _slow_gradcheck(func, func_out, tupled, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    if check_forward_ad:
        _slow_gradcheck(
            func, func_out, tupled, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol, use_forward_ad=True
        )
        if check_undefined_grad:
            _test_undefined_forward_mode(func, tupled)
    if not check_backward_ad:
        return True
    _test_backward_mul_by_grad_output(outputs, tupled)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, tupled)
    return True


def gradcheck(
    func: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Tensor],
    *,
    eps: float = 1e-06,
    atol: float = 1e-05,
    rtol: float = 0.001,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check ``func``'s backward against finite differences (torch.autograd.gradcheck, slow mode)."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    if fast_mode or check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("gradcheck: fast_mode and batched grads are not supported by the engine")
    try:
        return _gradcheck_helper(
            func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, check_backward_ad,
            check_forward_ad,
        )  # fmt: skip
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(
    func: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    *,
    eps: float = 1e-06,
    atol: float = 1e-05,
    rtol: float = 0.001,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """gradcheck of the backward: second derivatives against finite differences of the first (torch's)."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        # random grad outputs, drawn as torch.testing.make_tensor draws them: empty(...).uniform_(-1, 1)
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grads = tuple(
            _creation.empty(x.shape, dtype=x.dtype if _is_float(x) else None).uniform_(-1, 1).requires_grad_()
            for x in outputs
        )
        if gen_non_contig_grad_outputs:
            raise NotImplementedError("gradgradcheck: gen_non_contig_grad_outputs is not supported by the engine")
    else:
        tupled_grads = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grads)
    diff_input_idx = {i for i, x in enumerate(tupled_inputs) if isinstance(x, Tensor) and x.requires_grad}
    diff_grad_idx = {i for i, x in enumerate(tupled_grads) if x.requires_grad}

    def new_func(*args: Any) -> tuple:
        input_args = tuple(x.requires_grad_() if i in diff_input_idx else x for i, x in enumerate(args[:-num_outputs]))
        outs = _differentiable_outputs(func(*input_args))
        grads = tuple(x.requires_grad_() if i in diff_grad_idx else x for i, x in enumerate(args[-num_outputs:]))
        diff_args = tuple(x for i, x in enumerate(input_args) if i in diff_input_idx)
        grad_inputs = _grad(outs, diff_args, grads, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(
        new_func,
        tupled_inputs + tupled_grads,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )
