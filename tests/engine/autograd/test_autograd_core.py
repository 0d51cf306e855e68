"""The autograd core against real torch: requires_grad rules, graph structure, backward, hooks, grad mode,
custom Functions, version counters and in-place semantics, dtype promotion.

Every test runs the same program on ``torch`` and on ``reference_engine``
(``lib`` is the module) and compares the observable results. A program whose
results need only be equal (``assert_same_values``) or raise the same error is
decorated ``@same_result`` / ``@same_error_full`` and run by ``test_same_result``
/ ``test_same_error_full`` at the end (one item per program, its name the id).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import threading
import warnings
from typing import Any

import pytest
import torch

import reference_engine as engine
from tests.helpers import (
    ProgramTable,
    as_numpy,
    assert_same_error,
    assert_same_error_full,
    assert_same_result,
    assert_same_tensor,
    assert_same_tensors,
    run_both,
)

same_result = ProgramTable(assert_same_result)
same_error_full = ProgramTable(assert_same_error_full)


def leaf(lib: Any, values: Any = (1.0, 2.0, 3.0)) -> Any:
    return lib.tensor(list(values), requires_grad=True)


# --------------------------------------------------------------------------- requires_grad rules
@same_error_full
def setter_on_int_tensor(lib: Any) -> None:
    a = lib.tensor([1, 2])
    a.requires_grad = True


def test_requires_grad_method_on_int_tensor() -> None:
    assert_same_error_full(lambda lib: lib.tensor([1, 2]).requires_grad_())


@pytest.mark.parametrize("factory", ["tensor", "zeros", "ones_bool", "full"])
def test_factory_with_int_dtype_and_requires_grad(factory: str) -> None:
    def prog(lib: Any) -> Any:
        if factory == "tensor":
            return lib.tensor(2, requires_grad=True)
        if factory == "zeros":
            return lib.zeros(2, dtype=lib.int64, requires_grad=True)
        if factory == "ones_bool":
            return lib.ones(2, dtype=lib.bool, requires_grad=True)
        return lib.full((2,), 3, requires_grad=True)

    assert_same_error_full(prog)


@pytest.mark.parametrize("how", ["setter_false", "setter_true", "method_false", "method_true", "setter_int"])
def test_requires_grad_change_on_nonleaf(how: str) -> None:
    def prog(lib: Any) -> Any:
        y = leaf(lib) * 2
        if how == "setter_false":
            y.requires_grad = False
        elif how == "setter_true":
            y.requires_grad = True
        elif how == "method_false":
            y.requires_grad_(False)
        elif how == "method_true":
            y.requires_grad_(True)
        else:
            y.requires_grad = 1
        return y.requires_grad

    got = want = None
    try:
        want = prog(torch)
    except RuntimeError:
        assert_same_error_full(prog)
        return
    got = prog(engine)
    assert got == want


def test_requires_grad_method_rejects_non_bool() -> None:
    assert_same_error_full(lambda lib: leaf(lib).requires_grad_(1))


@same_result
def is_leaf_and_requires_grad_table(lib: Any) -> list:
    x = leaf(lib)
    c = lib.tensor([1.0, 2.0, 3.0])
    y = x * 2
    z = c * 2
    with lib.no_grad():
        w = x * 2
    d = y.detach()
    return [(t.is_leaf, t.requires_grad, t.grad_fn is None) for t in (x, c, y, z, w, d)]


# --------------------------------------------------------------------------- graph structure
def _names(node: Any) -> list:
    return [(None if n is None else type(n).__name__, nr) for n, nr in node.next_functions]


def test_grad_fn_next_functions_mul_scalar() -> None:
    def prog(lib: Any) -> tuple:
        x = leaf(lib)
        y = x * 2
        return type(y.grad_fn).__name__, _names(y.grad_fn)

    got, want = run_both(prog)
    assert got == want == ("MulBackward0", [("AccumulateGrad", 0), (None, 0)])


def test_accumulate_grad_is_shared_and_variable_is_leaf() -> None:
    def prog(lib: Any) -> tuple:
        x = leaf(lib)
        a = x * 2
        b = x + 1
        acc_a = a.grad_fn.next_functions[0][0]
        acc_b = b.grad_fn.next_functions[0][0]
        return acc_a is acc_b, acc_a.variable is x, acc_a.next_functions

    got, want = run_both(prog)
    assert got == want == (True, True, ())


@same_result
def next_functions_of_chain(lib: Any) -> list:
    x = leaf(lib)
    c = lib.tensor([1.0, 1.0, 1.0])
    y = ((x * c).exp() + x).sum()
    out = []
    stack = [y.grad_fn]
    while stack:
        n = stack.pop()
        out.append((type(n).__name__, _names(n)))
        stack.extend(m for m, _ in n.next_functions if m is not None)
    return out


@same_result
def output_nr_and_name(lib: Any) -> tuple:
    x = leaf(lib)
    y = x.exp()
    return y.output_nr, y.grad_fn.name()


# --------------------------------------------------------------------------- backward basics
@same_result
def grad_accumulates_across_backward_calls(lib: Any) -> list:
    x = leaf(lib)
    (x * x).sum().backward()
    first = x.grad.clone()
    (x * 3).sum().backward()
    return [first, x.grad]


@same_result
def held_grad_reference_sees_second_backward(lib: Any) -> tuple:
    x = leaf(lib)
    (x * 2).sum().backward()
    held = x.grad
    (x * 5).sum().backward()
    return held, held is x.grad, x.grad._version


@same_result
def grad_is_private_copy_of_seed(lib: Any) -> tuple:
    # the seed tensor passed to backward must not become x.grad (a later in-place on it would leak)
    x = leaf(lib)
    seed = lib.tensor([1.0, 1.0, 1.0])
    (x + 0).backward(seed)
    return x.grad is seed, x.grad


@same_result
def retain_graph_then_free(lib: Any) -> Any:
    x = leaf(lib)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@same_result
def second_backward_without_saved_tensors_is_allowed(lib: Any) -> Any:
    x = leaf(lib)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


@same_error_full
def second_backward_through_freed_graph(lib: Any) -> None:
    x = leaf(lib)
    y = (x.exp() + 1).sum()
    y.backward()
    y.backward()


@same_error_full
def saved_tensor_access_after_free(lib: Any) -> None:
    x = leaf(lib)
    y = x * x
    y.sum().backward()
    return y.grad_fn._saved_self


@same_result
def saved_self_attribute(lib: Any) -> tuple:
    x = leaf(lib)
    y = x * x
    return y.grad_fn._saved_self is x, y.grad_fn._saved_other


@same_result
def create_graph_double_backward_cube(lib: Any) -> list:
    x = leaf(lib)
    y = (x**3).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y.backward(create_graph=True)
    g = x.grad
    first = g.detach().clone()
    x.grad = None
    g.sum().backward()
    return [first, g, x.grad]


_WARN_ONCE_PROG = """
import warnings, sys
import {mod} as lib
x = lib.tensor([1.0, 2.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    lib.autograd.grad((x * x).sum(), x, create_graph=True)
    (x * x).sum().backward(create_graph=True)
    (x * x).sum().backward(create_graph=True)
for w in caught:
    print(w.category.__name__, str(w.message).split(" (Triggered internally at ")[0])
"""


def test_create_graph_warning_once_per_process() -> None:
    # torch warns once per process (and not for autograd.grad): fresh interpreters for both
    def run(mod: str) -> str:
        code = _WARN_ONCE_PROG.format(mod=mod)
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    want = run("torch")
    assert want.count("UserWarning") == 1
    assert run("reference_engine") == want


def test_autograd_grad_double() -> None:
    def prog(lib: Any) -> list:
        x = leaf(lib)
        (g,) = lib.autograd.grad((x**3).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return [g, gg, x.grad]

    got, want = run_both(prog)
    assert_same_tensors(got[:2], want[:2])
    assert got[2] is None and want[2] is None


@same_result
def backward_with_gradient_argument(lib: Any) -> Any:
    x = leaf(lib)
    (x * x).backward(gradient=lib.tensor([1.0, 0.5, 2.0]))
    return x.grad


@pytest.mark.parametrize("seed_dtype", ["float64", "int64", "float16", "bool"])
def test_seed_of_other_dtype_is_cast(seed_dtype: str) -> None:
    def prog(lib: Any) -> Any:
        x = leaf(lib)
        y = x * 2
        y.backward(lib.ones(3, dtype=getattr(lib, seed_dtype)))
        return x.grad

    assert_same_result(prog)


@same_result
def backward_inputs_argument(lib: Any) -> list:
    x = leaf(lib)
    w = leaf(lib, (4.0, 5.0, 6.0))
    h = x * w
    h.retain_grad()
    y = (h * h).sum()
    y.backward(inputs=[x])
    return [x.grad, w.grad, h.grad]


@same_result
def backward_inputs_nonleaf(lib: Any) -> list:
    x = leaf(lib)
    h = x * 2
    y = (h * h).sum()
    y.backward(inputs=[h])
    return [x.grad, h.grad]


@pytest.mark.parametrize("retain_first", [False, True])
def test_backward_inputs_nonleaf_retains_grad(retain_first: bool) -> None:
    # torch marks a non-leaf input as retaining its grad; a second backward accumulates into it
    def prog(lib: Any) -> list:
        x = leaf(lib)
        h = x * 2
        if retain_first:
            h.retain_grad()
        y = (h * h).sum()
        y.backward(inputs=[h], retain_graph=True)
        first = h.grad.clone()
        y.backward()
        return [h.retains_grad, first, h.grad, x.grad]

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensors(got[1:], want[1:])


def test_backward_inputs_empty() -> None:
    assert_same_error_full(lambda lib: (leaf(lib) * 2).sum().backward(inputs=[]))


@same_result
def leaf_grad_owns_its_memory(lib: Any) -> list:
    # A leaf may keep the grad a node made without a copy only where nothing else holds it: a grad a
    # custom Function also keeps, a grad passed through to two leaves, and a user's seed stay separate.
    kept = []

    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            out = g * 2
            kept.append(out)
            return out

    a = leaf(lib)
    Keep.apply(a).sum().backward()
    a.grad.add_(100)
    b, c = leaf(lib), leaf(lib, (4.0, 5.0, 6.0))
    (b + c).sum().backward()
    b.grad.mul_(3)
    d = leaf(lib)
    seed = lib.tensor([1.0, 1.0, 1.0])
    d.backward(seed)
    d.grad.add_(1)
    e = leaf(lib)
    y = e * 3  # a fresh product, held by nothing else: kept as e.grad, and later steps must still add
    y.backward(lib.ones(3))
    (e * 3).sum().backward()
    return [kept[0], a.grad, b.grad, c.grad, seed, d.grad, e.grad, a.grad is kept[0]]


@same_result
def second_backward_through_released_nodes(lib: Any) -> list:
    # without retain_graph every node frees what it saved, through its own release: a custom Function's
    # saved tensors and an in-place op on a view (CopySlices) must refuse a second backward like torch
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return 2 * x * g

    out = []
    x = leaf(lib)
    b = x * 1
    b[:2].exp_()
    for loss in (Square.apply(leaf(lib)).sum(), b.sum()):
        loss.backward()
        try:
            loss.backward()
            out.append("ran")
        except RuntimeError as exc:
            out.append(str(exc).split(" (")[0])
    return out


@same_result
def ready_order_with_branches_and_chains(lib: Any) -> list:
    # hooks record the order nodes run in: chains, a diamond, and leaves reached from several nodes
    order: list[str] = []
    x, w = leaf(lib), leaf(lib, (0.5, -1.0, 2.0))
    h = x * w
    a = h.sin()
    b = h.exp() * x
    c = (a + b).cos() + a
    for name, t in (("h", h), ("a", a), ("b", b), ("c", c)):
        t.register_hook(lambda g, name=name: order.append(name))
    x.register_hook(lambda g: order.append("x"))
    w.register_hook(lambda g: order.append("w"))
    c.sum().backward()
    return [order, x.grad, w.grad]


# --------------------------------------------------------------------------- autograd.grad
def test_autograd_grad_basic_does_not_touch_grad() -> None:
    def prog(lib: Any) -> list:
        x = leaf(lib)
        w = leaf(lib, (2.0, 2.0, 2.0))
        gx, gw = lib.autograd.grad((x * w).sum(), (x, w))
        return [gx, gw, x.grad, w.grad]

    got, want = run_both(prog)
    assert_same_tensors(got[:2], want[:2])
    assert got[2:] == want[2:] == [None, None]


@same_error_full
def autograd_grad_unused_error(lib: Any) -> Any:
    x = leaf(lib)
    z = leaf(lib)
    return lib.autograd.grad((x * 2).sum(), (x, z))


@pytest.mark.parametrize("mode", ["allow_unused", "materialize"])
def test_autograd_grad_unused_allowed(mode: str) -> None:
    def prog(lib: Any) -> list:
        x = leaf(lib)
        z = leaf(lib)
        kw = {"allow_unused": True} if mode == "allow_unused" else {"materialize_grads": True}
        return list(lib.autograd.grad((x * 2).sum(), (x, z), **kw))

    assert_same_result(prog)


@same_error_full
def autograd_grad_materialize_with_allow_unused_false(lib: Any) -> Any:
    x = leaf(lib)
    return lib.autograd.grad((x * 2).sum(), x, allow_unused=False, materialize_grads=True)


@same_result
def autograd_grad_nonleaf_input(lib: Any) -> list:
    x = leaf(lib)
    h = x.exp()
    y = (h * h).sum()
    return [*lib.autograd.grad(y, (h, x))]


@same_error_full
def autograd_grad_input_without_grad(lib: Any) -> Any:
    x = leaf(lib)
    c = lib.tensor([1.0, 2.0, 3.0])
    return lib.autograd.grad((x * c).sum(), c)


@same_error_full
def autograd_grad_output_without_grad(lib: Any) -> Any:
    x = leaf(lib)
    return lib.autograd.grad(lib.tensor([1.0]).sum(), x)


@same_result
def autograd_grad_with_grad_outputs(lib: Any) -> list:
    x = leaf(lib)
    return list(lib.autograd.grad(x * x, x, grad_outputs=lib.tensor([1.0, 2.0, 3.0])))


# --------------------------------------------------------------------------- retain_grad and hooks
@same_result
def retain_grad_on_nonleaf(lib: Any) -> list:
    x = leaf(lib)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    return [h.grad, x.grad, h.retains_grad, x.retains_grad]


@same_result
def retain_grad_accumulates(lib: Any) -> Any:
    x = leaf(lib)
    h = x * 2
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    return h.grad


@same_result
def hook_on_leaf_modifies_grad(lib: Any) -> list:
    x = leaf(lib)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()) or g * 10)
    (x * x).sum().backward()
    return [x.grad, *seen]


@same_result
def hook_on_nonleaf_modifies_grad_and_order(lib: Any) -> tuple:
    x = leaf(lib)
    h = x * 2
    order = []
    h.register_hook(lambda g: order.append("a") or g + 1)
    h.register_hook(lambda g: order.append("b") or g * 2)
    h.retain_grad()
    (h * 3).sum().backward()
    return order, [x.grad, h.grad]


@same_result
def hook_removal(lib: Any) -> list:
    x = leaf(lib)
    h = x * 2
    handle = h.register_hook(lambda g: g * 100)
    handle.remove()
    handle2 = x.register_hook(lambda g: g * 100)
    handle2.remove()
    h.sum().backward()
    return [x.grad]


def test_hook_on_tensor_without_grad() -> None:
    assert_same_error_full(lambda lib: lib.tensor([1.0]).register_hook(lambda g: g))


def test_retain_grad_on_tensor_without_grad() -> None:
    assert_same_error_full(lambda lib: lib.tensor([1.0]).retain_grad())


@same_result
def node_hook_and_prehook(lib: Any) -> tuple:
    x = leaf(lib)
    y = x * x
    log = []

    def pre(grad_outputs: tuple) -> tuple:
        log.append(("pre", len(grad_outputs)))
        return (grad_outputs[0] * 2,)

    def post(grad_inputs: tuple, grad_outputs: tuple) -> None:
        log.append(("post", len(grad_inputs), len(grad_outputs)))

    y.grad_fn.register_prehook(pre)
    y.grad_fn.register_hook(post)
    y.sum().backward()
    return log, x.grad


@same_result
def post_hook_replaces_grad_inputs(lib: Any) -> Any:
    x = leaf(lib)
    y = x * x
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, gi[1]))
    y.sum().backward()
    return x.grad


# --------------------------------------------------------------------------- grad mode
@same_result
def no_grad_context_and_nesting(lib: Any) -> list:
    x = leaf(lib)
    out = []
    with lib.no_grad():
        out.append((x * 2).requires_grad)
        with lib.enable_grad():
            out.append((x * 2).requires_grad)
        out.append(lib.is_grad_enabled())
    out.append(lib.is_grad_enabled())
    with lib.set_grad_enabled(False):
        out.append((x * 2).requires_grad)
    out.append(lib.is_grad_enabled())
    return out


@same_result
def set_grad_enabled_as_function(lib: Any) -> list:
    x = leaf(lib)
    lib.set_grad_enabled(False)
    a = (x * 2).requires_grad
    lib.set_grad_enabled(True)
    return [a, (x * 2).requires_grad]


@same_result
def grad_mode_decorators(lib: Any) -> list:
    x = leaf(lib)

    @lib.no_grad()
    def f1() -> bool:
        return (x * 2).requires_grad

    @lib.no_grad
    def f2() -> bool:
        return (x * 2).requires_grad

    @lib.enable_grad()
    def f3() -> bool:
        return (x * 2).requires_grad

    @lib.set_grad_enabled(False)
    def f4() -> bool:
        return (x * 2).requires_grad

    before = lib.is_grad_enabled()
    with lib.no_grad():
        r3 = f3()
    return [f1(), f2(), r3, f4(), before, lib.is_grad_enabled(), f1.__name__]


def test_no_grad_is_thread_local() -> None:
    def prog(lib: Any) -> list:
        x = leaf(lib)
        out: list = []

        def work() -> None:
            out.append((x * 2).requires_grad)

        with lib.no_grad():
            t = threading.Thread(target=work)
            t.start()
            t.join()
            out.append((x * 2).requires_grad)
        return out

    got, want = run_both(prog)
    assert got == want == [True, False]


@same_result
def no_grad_generator_decorator(lib: Any) -> list:
    x = leaf(lib)

    @lib.no_grad()
    def gen() -> Any:
        yield (x * 2).requires_grad
        yield lib.is_grad_enabled()

    vals = []
    for v in gen():
        vals.append(v)
        vals.append(lib.is_grad_enabled())
    return vals


# --------------------------------------------------------------------------- autograd.Function
def _make_functions(lib: Any) -> dict:
    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (y,) = ctx.saved_tensors
            return g * y

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, k: float, w: Any) -> Any:
            ctx.k = k
            ctx.save_for_backward(x, w)
            ctx.needs = ctx.needs_input_grad
            return x * w * k

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, w = ctx.saved_tensors
            return g * w * ctx.k, None, g * x * ctx.k

    class WrongCount(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g, g

    class AddOneInplace(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g

    class SortLike(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> tuple:
            idx = lib.tensor([2, 0, 1])
            ctx.mark_non_differentiable(idx)
            return x * 1, idx

        @staticmethod
        def backward(ctx: Any, g: Any, gi: Any) -> Any:
            return g

    class Once(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * 2 * x

    return {c.__name__: c for c in (MyExp, Scale, WrongCount, AddOneInplace, SortLike, Once)}


def test_function_save_for_backward_and_name() -> None:
    def prog(lib: Any) -> tuple:
        f = _make_functions(lib)
        x = leaf(lib)
        y = f["MyExp"].apply(x)
        name = type(y.grad_fn).__name__
        y.sum().backward()
        return name, _names(y.grad_fn), x.grad, y

    got, want = run_both(prog)
    assert got[:2] == want[:2]
    assert want[0] == "MyExpBackward"
    assert_same_tensor(got[2], want[2])
    assert_same_tensor(got[3], want[3])


@same_result
def function_non_tensor_args_and_needs_input_grad(lib: Any) -> tuple:
    f = _make_functions(lib)
    x = leaf(lib)
    w = lib.tensor([2.0, 2.0, 2.0])
    y = f["Scale"].apply(x, 3.0, w)
    y.sum().backward()
    return y.grad_fn.needs, y.grad_fn.needs_input_grad, _names(y.grad_fn), x.grad


@same_error_full
def function_wrong_number_of_grads(lib: Any) -> None:
    f = _make_functions(lib)
    f["WrongCount"].apply(leaf(lib)).sum().backward()


@same_result
def function_mark_dirty(lib: Any) -> tuple:
    f = _make_functions(lib)
    x = leaf(lib)
    a = x * 1
    b = f["AddOneInplace"].apply(a)
    name = type(a.grad_fn).__name__
    b.sum().backward()
    return b is a, name, a._version, x.grad


@same_error_full
def function_mark_dirty_on_leaf(lib: Any) -> None:
    f = _make_functions(lib)
    f["AddOneInplace"].apply(leaf(lib))


@same_result
def function_mark_non_differentiable(lib: Any) -> tuple:
    f = _make_functions(lib)
    x = leaf(lib)
    y, idx = f["SortLike"].apply(x)
    y.sum().backward()
    return y.requires_grad, idx.requires_grad, idx.grad_fn is None, x.grad


@same_result
def function_once_differentiable(lib: Any) -> tuple:
    f = _make_functions(lib)
    x = leaf(lib)
    (g,) = lib.autograd.grad(f["Once"].apply(x).sum(), x, create_graph=True)
    return g, g.requires_grad


@same_error_full
def function_once_differentiable_double_backward_error(lib: Any) -> None:
    f = _make_functions(lib)
    x = leaf(lib)
    (g,) = lib.autograd.grad(f["Once"].apply(x).sum(), x, create_graph=True)
    g.sum().backward()


@same_result
def function_without_grad_inputs(lib: Any) -> tuple:
    f = _make_functions(lib)
    y = f["MyExp"].apply(lib.tensor([1.0, 2.0]))
    return y.requires_grad, y.grad_fn is None


# --------------------------------------------------------------------------- version counter and in-place
@same_result
def version_counter_values(lib: Any) -> list:
    a = lib.zeros(3)
    out = [a._version]
    a.add_(1)
    out.append(a._version)
    a.mul_(2)
    a += 1
    out.append(a._version)
    v = a.view(3)
    v.add_(1)
    out += [a._version, v._version]
    d = a.detach()
    d.zero_()
    out += [a._version, d._version]
    return out


@pytest.mark.parametrize("case", ["leaf_saved", "nonleaf_saved", "saved_output_exp", "saved_output_sigmoid"])
def test_modified_by_inplace_messages(case: str) -> None:
    def prog(lib: Any) -> None:
        x = leaf(lib)
        if case == "leaf_saved":
            a = lib.tensor([1.0, 2.0, 3.0])
            y = x * a
            a.add_(1)
        elif case == "nonleaf_saved":
            h = x * 2
            y = h * h
            h.add_(1)
        elif case == "saved_output_exp":
            h = x * 2
            y = h.exp()
            y.add_(1)
        else:
            y = x.sigmoid()
            y.mul_(2)
        y.sum().backward()

    assert_same_error_full(prog)


def test_inplace_on_leaf_requiring_grad() -> None:
    assert_same_error_full(lambda lib: leaf(lib).mul_(2))


def test_inplace_on_view_of_leaf() -> None:
    assert_same_error_full(lambda lib: leaf(lib).view(3).mul_(2))


@same_result
def manual_sgd_update_under_no_grad(lib: Any) -> tuple:
    w = leaf(lib)
    (w * w).sum().backward()
    with lib.no_grad():
        w -= 0.1 * w.grad
    return w, w.is_leaf, w.grad_fn is None, w._version


@same_result
def inplace_into_plain_tensor_makes_nonleaf(lib: Any) -> tuple:
    x = leaf(lib)
    a = lib.zeros(3)
    a += x
    name = type(a.grad_fn).__name__
    (a * a).sum().backward()
    return a.is_leaf, a.requires_grad, name, x.grad


@same_result
def inplace_on_nonleaf_chain_grad(lib: Any) -> tuple:
    x = leaf(lib)
    h = x * 2
    h.mul_(3)
    h.exp_()
    name = type(h.grad_fn).__name__
    h.sum().backward()
    return name, x.grad


@pytest.mark.parametrize("then_exp", [False, True])
def test_inplace_with_self_as_other_breaks_saved(then_exp: bool) -> None:
    # x.mul_(x) saves ``other`` (the same tensor) before the write: backward sees it modified
    def prog(lib: Any) -> None:
        h = leaf(lib) * 2
        h.mul_(h)
        if then_exp:
            h.exp_()
        h.sum().backward()

    assert_same_error_full(prog)


@same_result
def inplace_self_saved_as_original(lib: Any) -> list:
    # mul_(w) needs the original self for w's grad: kept, so backward works
    x = leaf(lib)
    w = leaf(lib, (4.0, 5.0, 6.0))
    h = x * 1
    h.mul_(w)
    h.sum().backward()
    return [x.grad, w.grad]


def test_detach_inplace_on_view() -> None:
    assert_same_error_full(lambda lib: lib.ones(3)[:2].detach_())


@same_result
def detach_shares_storage_and_version(lib: Any) -> tuple:
    x = leaf(lib)
    d = x.detach()
    d.add_(1)
    return x, d._version, x._version, d.requires_grad, d.is_leaf


@same_result
def detach_inplace(lib: Any) -> tuple:
    x = leaf(lib)
    h = x * 2
    r = h.detach_()
    return r is h, h.requires_grad, h.is_leaf, h.grad_fn is None


@same_error_full
def detach_then_inplace_breaks_saved(lib: Any) -> None:
    x = leaf(lib)
    y = x.exp()
    y.detach().zero_()
    y.sum().backward()


# --------------------------------------------------------------------------- dtype promotion
_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]


def _operand(lib: Any, kind: str, dt: str) -> Any:
    if kind == "dim":
        return lib.ones(2, dtype=getattr(lib, dt))
    return lib.ones((), dtype=getattr(lib, dt))


@pytest.mark.parametrize("ka", ["dim", "zero"])
@pytest.mark.parametrize("kb", ["dim", "zero"])
def test_binary_result_dtype_table(ka: str, kb: str) -> None:
    def prog(lib: Any) -> dict:
        out = {}
        for a in _DTYPES:
            for b in _DTYPES:
                x, y = _operand(lib, ka, a), _operand(lib, kb, b)
                out[(a, b, "add")] = str((x + y).dtype)
                out[(a, b, "mul")] = str((x * y).dtype)
                out[(a, b, "div")] = str((x / y).dtype)
        return out

    got, want = run_both(prog)
    assert got == want


@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_tensor_scalar_result_dtypes(scalar: Any) -> None:
    def prog(lib: Any) -> dict:
        out = {}
        for a in _DTYPES:
            x = lib.ones(2, dtype=getattr(lib, a))
            out[(a, "mul")] = str((x * scalar).dtype)
            out[(a, "radd")] = str((scalar + x).dtype)
            out[(a, "div")] = str((x / scalar).dtype)
            out[(a, "rtruediv")] = str((scalar / x).dtype) if a != "bool" or scalar is not True else ""
        return out

    got, want = run_both(prog)
    assert got == want


@same_result
def mixed_promotion_values_and_grads(lib: Any) -> list:
    x = lib.tensor([1.0, 2.0], dtype=lib.float16, requires_grad=True)
    s = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    y = x * s
    y.sum().backward()
    i = lib.tensor([1, 2, 3])
    return [y, x.grad, s.grad, i * 1.5, i / i, lib.tensor([True, False]) + 1]


@same_result
def mixed_dtype_grad_is_input_dtype(lib: Any) -> list:
    a = lib.tensor([1.0, 2.0], dtype=lib.float32, requires_grad=True)
    b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    y = a * b
    y.sum().backward()
    return [y, a.grad, b.grad]


def test_as_numpy_helper_roundtrip() -> None:
    # guards the helper used by every comparison: it must not alias engine data that tests mutate
    t = engine.tensor([1.0, 2.0])
    arr = as_numpy(t)
    assert arr.tolist() == [1.0, 2.0]
    assert_same_error(lambda lib: lib.tensor([1.0], requires_grad=True).numpy())


_INPLACE_NODES = {
    "fill_scalar": lambda lib, h: h.fill_(2.0),
    "fill_tensor": lambda lib, h: h.fill_(lib.tensor(2.0)),
    "fill_tensor_rg": lambda lib, h: h.fill_(lib.tensor(2.0, requires_grad=True)),
    "zero": lambda lib, h: h.zero_(),
    "copy": lambda lib, h: h.copy_(lib.tensor([4.0, 5.0, 6.0], requires_grad=True)),
    "copy_broadcast": lambda lib, h: h.copy_(lib.tensor([4.0], dtype=lib.float64, requires_grad=True)),
    "add_on_view": lambda lib, h: h[:2].add_(1),
    "mul_on_view": lambda lib, h: h[1:].mul_(lib.tensor([2.0, 3.0], requires_grad=True)),
    "fill_on_view": lambda lib, h: h[:2].fill_(1.0),
}


@pytest.mark.parametrize("case", sorted(_INPLACE_NODES))
def test_inplace_node_names_and_grads(case: str) -> None:
    def prog(lib: Any) -> tuple:
        x = leaf(lib)
        h = x * 1
        _INPLACE_NODES[case](lib, h)
        node = h.grad_fn
        names = (type(node).__name__, node.name(), _names(node), h._version)
        (h * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return names, x.grad

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensor(got[1], want[1])


@pytest.mark.parametrize("case", ["float64", "float16", "int64", "shape", "list"])
def test_grad_setter_errors(case: str) -> None:
    def prog(lib: Any) -> None:
        x = leaf(lib)
        if case == "shape":
            x.grad = lib.ones(2, 3)
        elif case == "list":
            x.grad = [1.0, 2.0, 3.0]
        else:
            x.grad = lib.ones(3, dtype=getattr(lib, case))

    assert_same_error_full(prog)


@same_result
def post_accumulate_grad_hook(lib: Any) -> list:
    x = leaf(lib)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return seen


def test_post_accumulate_grad_hook_on_nonleaf() -> None:
    assert_same_error_full(lambda lib: (leaf(lib) * 2).register_post_accumulate_grad_hook(lambda t: None))


def test_deepcopy_nonleaf() -> None:
    assert_same_error_full(lambda lib: copy.deepcopy(leaf(lib) * 2))


@same_result
def leaf_hook_sees_summed_grad_once(lib: Any) -> tuple:
    # x used twice: its hook runs once, on the summed grad
    x = leaf(lib)
    calls = []
    x.register_hook(lambda g: calls.append(g.clone()))
    (x * 2 + x * 3).sum().backward()
    return len(calls), calls[0], x.grad


@same_result
def multi_output_function_unused_output_gets_zeros(lib: Any) -> tuple:
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> tuple:
            return x * 2, x * 3

        @staticmethod
        def backward(ctx: Any, g1: Any, g2: Any) -> Any:
            return g1 * 2 + g2 * 3

    x = leaf(lib)
    a, _ = Split.apply(x)
    a.sum().backward()
    return (x.grad,)


@pytest.mark.parametrize("expr", ["cube", "linear"])
def test_create_graph_grad_history(expr: str) -> None:
    # with create_graph the first grad is stored through copy_ (CopyBackwards), later ones are added
    def prog(lib: Any) -> tuple:
        x = lib.tensor([2.0], requires_grad=True)
        f = (lambda t: t * t * t) if expr == "cube" else (lambda t: t * 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f(x).sum().backward(create_graph=True)
            first = x.grad.grad_fn
            first_names = None if first is None else (type(first).__name__, _names(first))
            f(x).sum().backward(create_graph=True)
        second = x.grad.grad_fn
        return first_names, None if second is None else (type(second).__name__, _names(second)), x.grad

    got, want = run_both(prog)
    assert got[:2] == want[:2]
    assert_same_tensor(got[2], want[2])


@pytest.mark.parametrize("shapes", [((2, 3), (4,)), ((2, 1, 3), (5, 4)), ((3,), (2, 2))])
@pytest.mark.parametrize("op", ["add", "mul", "maximum", "same_dtype_sub", "mixed_dtype_mul"])
def test_broadcast_error_message(shapes: tuple, op: str) -> None:
    def prog(lib: Any) -> Any:
        a = lib.ones(*shapes[0])
        b = lib.ones(*shapes[1], dtype=lib.float64 if op == "mixed_dtype_mul" else lib.float32)
        if op in ("add", "mul", "maximum"):
            return getattr(lib, op)(a, b)
        return a - b if op == "same_dtype_sub" else a * b

    assert_same_error_full(prog)


def test_data_has_its_own_version_counter() -> None:
    def prog(lib: Any) -> tuple:
        x = leaf(lib)
        y = x * x
        x.data.mul_(2)  # not seen by autograd: the saved x is used as modified
        y.sum().backward()
        return x._version, x.grad, x.data.requires_grad

    got, want = run_both(prog)
    assert got[0] == want[0] and got[2] == want[2]
    assert_same_tensor(got[1], want[1])


@same_error_full
def inplace_on_view_created_in_no_grad(lib: Any) -> None:
    x = leaf(lib)
    with lib.no_grad():
        v = x[:1]
    v.mul_(2)


def test_leaf_frozen_after_graph_keeps_its_grad() -> None:
    """Found by the generated autograd sequences: torch's AccumulateGrad skips a leaf frozen meanwhile."""

    def prog(lib: Any) -> Any:
        x = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
        y = x * 2
        x.requires_grad_(False)
        y.sum().backward()
        return x.grad

    got, want = run_both(prog)
    assert want is None  # torch
    assert got is None


test_same_result = same_result.test()
test_same_error_full = same_error_full.test()


def test_variable_is_torchs() -> None:
    # torch.autograd.Variable: every tensor is one; Variable(t) is a new leaf on t's data; Variable() is empty
    def run(lib: Any) -> Any:
        base = lib.ones(2)
        v = lib.autograd.Variable(base, requires_grad=True)
        (v * 3).sum().backward()
        try:
            lib.autograd.Variable([1, 2])
            error = "no error"
        except TypeError as exc:
            error = str(exc)
        return (isinstance(base, lib.autograd.Variable), v is base, v.is_leaf, v.grad.tolist(), base.requires_grad,
                list(lib.autograd.Variable().shape), error)  # fmt: skip

    assert run(engine) == run(torch)


LAYOUT_PROGRAMS = {
    # an LSTM's hidden weight gets its grad from a transposed product; torch stores it in the weight's layout
    "lstm weight_hh": lambda m: m.nn.LSTM(5, 20).weight_hh_l0,
    "transposed leaf": lambda m: m.randn(4, 3).t().requires_grad_(),
    "plain leaf": lambda m: m.randn(4, 3).requires_grad_(),
}


@pytest.mark.parametrize("name", list(LAYOUT_PROGRAMS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_follows_the_leafs_memory_layout(name: str, create_graph: bool) -> None:
    """torch's layout contract: .grad has its leaf's strides (p.grad.view(-1) works on any contiguous
    parameter, an LSTM's weight_hh included)."""
    got = []
    for m in (torch, engine):
        m.manual_seed(0)
        leaf = LAYOUT_PROGRAMS[name](m)
        if name == "lstm weight_hh":
            lstm = m.nn.LSTM(5, 20)
            out, _ = lstm(m.randn(4, 2, 5))
            out.sum().backward(create_graph=create_graph)
            leaf = lstm.weight_hh_l0
        else:
            (leaf.t().t() @ m.ones(leaf.shape[1], 2)).sum().backward(create_graph=create_graph)
        got.append((leaf.grad.stride(), leaf.grad.is_contiguous()))
    assert got[1] == got[0]
