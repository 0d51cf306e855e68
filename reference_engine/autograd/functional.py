"""``torch.autograd.functional``: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``, ``vhp``.

Everything is built on the engine's ``autograd.grad``, following torch 2.13's algorithms step by step so
that values, output nesting, ``requires_grad`` and error texts agree: ``jvp`` and ``hvp`` use torch's
double-backward trick (differentiate the backward with respect to a zero ``grad_outputs`` that requires
grad), ``jacobian`` one backward per output element. Where torch vectorises with ``vmap``
(``vectorize=True``) the engine loops over the same basis vectors; ``strategy="forward-mode"`` pushes them
through forward-mode AD (``autograd.forward_ad``), one basis vector at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

from .._creation import zeros_like
from ..ops.join import stack
from ..tensor import Tensor

# autograd/__init__.py imports this module after defining ``grad`` (its last import), so ``grad`` exists here
from . import forward_ad, grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


# --------------------------------------------------------------------------- helpers (torch's, by name)
def _as_tuple(inp: Any, arg_name: str | None = None, fn_name: str | None = None) -> Any:
    """Whether ``inp`` was a tuple, and ``inp`` as a tuple of Tensors (torch's type check and message)."""
    if arg_name is None and fn_name is None:
        if isinstance(inp, tuple):
            return inp
        return tuple(inp) if isinstance(inp, list) else (inp,)
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                f" {where} has type {type(el)}."
            )
    return is_tuple, items


def _tuple_postprocess(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Undo ``_as_tuple``: unwrap the levels (outputs, inputs) that were not tuples in the user's call."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: Sequence[Tensor], create_graph: bool, need_graph: bool) -> tuple[Tensor, ...]:
    # Always a new Tensor object, so the inputs handed to ``func`` can be told apart from the same tensors
    # captured by ``func`` from its closure (torch issue 32576); a differentiable alias when the caller
    # wants gradients to flow back to its tensors.
    return tuple(
        inp.view_as(inp) if create_graph and inp.requires_grad else inp.detach().requires_grad_(need_graph)
        for inp in inputs
    )


def _grad_postprocess(inputs: Any, create_graph: bool) -> Any:
    # Results keep their history only when the user asked for it.
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v: Sequence[Tensor], other: Sequence[Tensor], is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


_NOT_REQUIRING_GRAD = {
    "hessian": (
        "The hessian of the user-provided function with respect to input {i} is independent of the input. "
        "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
        "and that the hessian depends on the inputs."
    ),
    "jacobian": (
        "While computing the hessian, found that the jacobian of the user-provided function with respect to "
        "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
        "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
        "violated by a linear function for example)."
    ),
    "grad_inputs": (
        "The gradient with respect to input {i} is independent of the inputs of the user-provided function. "
        "This is not allowed in strict mode."
    ),
    "outputs": (
        "Output {i} of the user-provided function does not require gradients. The outputs must be computed in "
        "a differentiable manner from the input when running in strict mode."
    ),
}


def _check_requires_grad(inputs: Sequence[Tensor | None], input_type: str, strict: bool) -> None:
    """strict mode: every tensor must be connected to the inputs (torch's message per stage)."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:  # only a grad_inputs entry can be None
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode."
            )
        if not inp.requires_grad:
            raise RuntimeError(_NOT_REQUIRING_GRAD[input_type].format(i=i))


def _autograd_grad(
    outputs: tuple[Tensor | None, ...],
    inputs: tuple[Tensor, ...],
    grad_outputs: tuple[Tensor | None, ...] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> tuple[Tensor | None, ...]:
    """``autograd.grad`` that skips outputs which are None or do not require grad (None for every input
    when none is left), and gives None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return grad(
        tuple(out for out, _ in kept),
        inputs,
        tuple(g for _, g in kept),
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "back_trick": (
        "The gradient with respect to the input is independent of entry {i} in the grad_outputs when using the "
        "double backward trick to compute forward mode gradients. This is not allowed in strict mode."
    ),
    "double_back": (
        "The jacobian of the user-provided function is independent of input {i}. This is not allowed in strict mode."
    ),
    "double_back_trick": (
        "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. This is not "
        "allowed in strict mode as it prevents from using the double backward trick to replace forward mode AD."
    ),
}


def _fill_in_zeros(
    grads: Sequence[Tensor | None], refs: Sequence[Tensor], strict: bool, create_graph: bool, stage: str
) -> tuple[Tensor, ...]:
    """Replace None grads by zeros shaped like ``refs`` (the mathematical value), or raise in strict mode."""
    res: list[Tensor] = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode when create_graph=True."
            )
        res.append(g)
    return tuple(res)


def _v_or_none_check(v: Any, inputs: tuple[Tensor, ...], is_inputs_tuple: bool, fn: str, create_graph: bool) -> Any:
    # jvp/hvp/vhp: v lives in the inputs' space; it may be left out only for a single one-element input.
    if v is not None:
        _, v = _as_tuple(v, "v", fn)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, inputs, is_inputs_tuple)
    elif len(inputs) != 1 or inputs[0].nelement() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
            "single element."
        )
    return v


# --------------------------------------------------------------------------- products
def _inputs_and_v(fn: str, inputs: Any, v: Any, create_graph: bool) -> tuple[bool, tuple[Tensor, ...], Any]:
    """jvp/vhp/hvp's first steps, in torch's order: inputs as a tuple, aliased or detached, then ``v`` checked."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    return is_inputs_tuple, inputs, _v_or_none_check(v, inputs, is_inputs_tuple, fn, create_graph)


def _finish(outputs: Any, result: Any, create_graph: bool, is_outputs_tuple: bool, is_result_tuple: bool) -> tuple:
    """The last step of vjp/jvp/vhp/hvp: detach unless ``create_graph``, and unpack what was not a tuple."""
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_result_tuple)


def vjp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: one backward pass seeded with ``v``."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single Tensor with a "
                "single element."
            )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    return _finish(outputs, result, create_graph, is_outputs_tuple, is_inputs_tuple)


def jvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), J v)`` by the double-backward trick: the backward is linear in its grad_outputs
    ``u``, so differentiating ``u -> J^T u`` with respect to ``u`` along ``v`` gives ``J v``."""
    with enable_grad():
        _, inputs, v = _inputs_and_v("jvp", inputs, v, create_graph)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # u's value never enters the double-backward graph; zeros are safe (no inf or nan)
        grad_outputs = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    # as torch: without create_graph the second pass runs under the caller's grad mode
    with enable_grad() if create_graph else nullcontext():
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return _finish(outputs, result, create_graph, is_outputs_tuple, is_outputs_tuple)


def _scalar_output(fn: str, strict: bool, func: Callable[..., Any], inputs: tuple[Tensor, ...]) -> Any:
    """Run ``func`` for hvp/vhp and check it returned one one-element Tensor (torch's checks and order)."""
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn)
    _check_requires_grad(outputs, "outputs", strict=strict)
    if is_outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain a single element")
    return is_outputs_tuple, outputs


def vhp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)``: backward of the gradient, seeded with ``v``."""
    with enable_grad():
        is_inputs_tuple, inputs, v = _inputs_and_v("vhp", inputs, v, create_graph)
        is_outputs_tuple, outputs = _scalar_output("vhp", strict, func, inputs)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return _finish(outputs, result, create_graph, is_outputs_tuple, is_inputs_tuple)


def hvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` by the double-backward trick applied to the gradient (three backward passes)."""
    with enable_grad():
        is_inputs_tuple, inputs, v = _inputs_and_v("hvp", inputs, v, create_graph)
        is_outputs_tuple, outputs = _scalar_output("hvp", strict, func, inputs)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        grad_jac = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)  # torch checks jac here, not double_back
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, result, create_graph, is_outputs_tuple, is_inputs_tuple)


# --------------------------------------------------------------------------- jacobian and hessian
def _standard_basis(tensors: Sequence[Tensor], numels: Sequence[int]) -> tuple[Tensor, ...]:
    """The identity of size sum(numels), cut into column blocks, one per tensor (its dtype and device)."""
    total = sum(numels)
    chunks = tuple(t.new_zeros(total, n) for t, n in zip(tensors, numels))
    start = 0
    for chunk, n in zip(chunks, numels):
        chunk.diagonal(start).fill_(1)
        start -= n
    return chunks


def _jacobian_rows(
    flat_outputs: tuple[Tensor, ...],
    inputs: tuple[Tensor, ...],
    basis: tuple[Tensor, ...],
    total: int,
    create_graph: bool,
) -> list[Tensor]:
    """One tensor per input holding d(flat outputs)/d(input), row r from the grad seeded with basis row r.

    torch computes all rows at once (``is_grads_batched``, vmap over the same seeds); the engine loops. The
    graph is kept until the last row, then freed as torch's single call does (unless create_graph)."""
    rows: list[list[Tensor] | None] = [[] for _ in inputs]
    for r in range(total):
        retain = True if r < total - 1 else None
        vj = _autograd_grad(
            flat_outputs, inputs, tuple(b[r] for b in basis), create_graph=create_graph, retain_graph=retain
        )
        for k, g in enumerate(vj):
            if g is None:
                rows[k] = None  # the graph's structure is the same for every row: None for all of them
            elif rows[k] is not None:
                rows[k].append(g)
    out = []
    for k, inp in enumerate(inputs):
        got = rows[k]
        if got is None or not got:
            out.append(zeros_like(inp).expand((total, *inp.shape)))
        else:
            out.append(stack(got, dim=0))
    return out


def _jacobian_vectorized(
    outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], create_graph: bool
) -> tuple[tuple[Tensor, ...], ...]:
    # All outputs flattened and seeded together with the standard basis (torch's NOTE "Computing jacobian
    # with vmap and grad for multiple outputs"), then each input's block split back by output.
    output_numels = tuple(out.numel() for out in outputs)
    basis = _standard_basis(outputs, output_numels)
    flat_outputs = tuple(out.reshape(-1) for out in outputs)
    per_input = _jacobian_rows(flat_outputs, inputs, basis, sum(output_numels), create_graph)
    by_input = [
        [jac.view(out.shape + inp.shape) for jac, out in zip(block.split(output_numels, dim=0), outputs)]
        for block, inp in zip(per_input, inputs)
    ]
    return tuple(zip(*by_input))


def _jacobian_loop(
    outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], create_graph: bool, strict: bool
) -> tuple[tuple[Tensor, ...], ...]:
    # torch's default: one backward per output element, each seeded by selecting that element.
    jacobian: list[tuple[Tensor, ...]] = []
    for i, out in enumerate(outputs):
        jac_i: list[list[Tensor]] = [[] for _ in inputs]
        for j in range(out.nelement()):
            vj = _autograd_grad((out.reshape(-1)[j],), inputs, retain_graph=True, create_graph=create_graph)
            for el_idx, (jac_i_el, vj_el, inp_el) in enumerate(zip(jac_i, vj, inputs)):
                if vj_el is not None:
                    if strict and create_graph and not vj_el.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of input {i}. This is "
                            "not allowed in strict mode when create_graph=True."
                        )
                    jac_i_el.append(vj_el)
                else:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input {el_idx}. This "
                            "is not allowed in strict mode."
                        )
                    jac_i_el.append(zeros_like(inp_el))
        jacobian.append(
            tuple(stack(jac_i_el, dim=0).view(out.size() + inputs[k].size()) for k, jac_i_el in enumerate(jac_i))
        )
    return tuple(jacobian)


def _jacfwd(func: Callable[..., Any], inputs: Any, strict: bool, vectorize: bool) -> Any:
    """``strategy="forward-mode"``: torch's algorithm with forward-mode AD.

    torch pushes the standard basis of the inputs through ``func`` as tangents of dual inputs under vmap; the
    engine loops over the same basis rows inside one dual level. Then, as torch, each output's stacked tangents
    are split by input, the batch dimension moved last and reshaped to ``out.shape + input.shape``; the inputs
    are not detached, so an input that requires grad gives a Jacobian with history (forward over reverse)."""
    if strict:
        raise RuntimeError(
            'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
            'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.'
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        # torch's text, missing space included
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
            "`vectorize=True`."
        )
    input_numels = tuple(inp.numel() for inp in inputs)
    basis = _standard_basis(inputs, input_numels)
    is_outputs_tuple, primal_outs, columns = False, [], []
    with forward_ad.dual_level():  # one level, as torch's one vmapped pass
        for r in range(sum(input_numels)):
            duals = tuple(forward_ad.make_dual(inp, b[r].view_as(inp)) for inp, b in zip(inputs, basis))
            is_outputs_tuple, outs = _as_tuple(func(*duals), "outputs")
            unpacked = [forward_ad.unpack_dual(o) for o in outs]
            primal_outs = [p for p, _ in unpacked]
            columns.append([zeros_like(p) if t is None else t for p, t in unpacked])
    jacobian = []
    for k, out in enumerate(primal_outs):
        stacked = stack([col[k] for col in columns])
        jacobian.append(
            [
                jac.permute(*range(1, jac.ndim), 0).reshape((*out.shape, *inp.shape))
                for jac, inp in zip(stacked.split(input_numels, dim=0), inputs)
            ]
        )
    return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``J[i][j]`` of shape ``output_i.shape + input_j.shape``, with
    the outer (outputs) and inner (inputs) tuple levels dropped where the user passed/returned a Tensor."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
            '"reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not '
                "supported together (yet). Please either set `create_graph=False` or "
                '`strategy="reverse-mode"`.'
            )
        return _jacfwd(func, inputs, strict, vectorize)

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported "
                    "together. Please either set `strict=False` or `vectorize=False`."
                )
            jac = _jacobian_vectorized(outputs, inputs, create_graph)
        else:
            jac = _jacobian_loop(outputs, inputs, create_graph, strict)
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func``: the Jacobian of its gradient (``H[i][j]`` for inputs i, j)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def jac_func(*inp: Tensor) -> Any:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))
