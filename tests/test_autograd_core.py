"""The autograd core against real torch: requires_grad rules, graph structure, backward, hooks, grad mode,
custom Functions, version counters and in-place semantics, dtype promotion.

Every test runs the same program on ``torch`` and on ``reference_engine``
(``T`` is the module) and compares the observable results.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest
import torch

import reference_engine as engine
from tests.test_seed_notes import (
    as_numpy,
    assert_same_error,
    assert_same_error_full,
    assert_same_tensor,
    run_both,
)


def assert_same_tensors(got: Any, want: Any) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert_same_tensor(g, w)


def leaf(T: Any, values: Any = (1.0, 2.0, 3.0)) -> Any:
    return T.tensor(list(values), requires_grad=True)


# --------------------------------------------------------------------------- requires_grad rules
def test_setter_on_int_tensor() -> None:
    def prog(T: Any) -> None:
        a = T.tensor([1, 2])
        a.requires_grad = True

    assert_same_error_full(prog)


def test_requires_grad_method_on_int_tensor() -> None:
    assert_same_error_full(lambda T: T.tensor([1, 2]).requires_grad_())


@pytest.mark.parametrize("factory", ["tensor", "zeros", "ones_bool", "full"])
def test_factory_with_int_dtype_and_requires_grad(factory: str) -> None:
    def prog(T: Any) -> Any:
        if factory == "tensor":
            return T.tensor(2, requires_grad=True)
        if factory == "zeros":
            return T.zeros(2, dtype=T.int64, requires_grad=True)
        if factory == "ones_bool":
            return T.ones(2, dtype=T.bool, requires_grad=True)
        return T.full((2,), 3, requires_grad=True)

    assert_same_error_full(prog)


@pytest.mark.parametrize("how", ["setter_false", "setter_true", "method_false", "method_true", "setter_int"])
def test_requires_grad_change_on_nonleaf(how: str) -> None:
    def prog(T: Any) -> Any:
        y = leaf(T) * 2
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
    assert_same_error_full(lambda T: leaf(T).requires_grad_(1))


def test_is_leaf_and_requires_grad_table() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        c = T.tensor([1.0, 2.0, 3.0])
        y = x * 2
        z = c * 2
        with T.no_grad():
            w = x * 2
        d = y.detach()
        return [(t.is_leaf, t.requires_grad, t.grad_fn is None) for t in (x, c, y, z, w, d)]

    got, want = run_both(prog)
    assert got == want


# --------------------------------------------------------------------------- graph structure
def _names(node: Any) -> list:
    return [(None if n is None else type(n).__name__, nr) for n, nr in node.next_functions]


def test_grad_fn_next_functions_mul_scalar() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        y = x * 2
        return type(y.grad_fn).__name__, _names(y.grad_fn)

    got, want = run_both(prog)
    assert got == want == ("MulBackward0", [("AccumulateGrad", 0), (None, 0)])


def test_accumulate_grad_is_shared_and_variable_is_leaf() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        a = x * 2
        b = x + 1
        acc_a = a.grad_fn.next_functions[0][0]
        acc_b = b.grad_fn.next_functions[0][0]
        return acc_a is acc_b, acc_a.variable is x, acc_a.next_functions

    got, want = run_both(prog)
    assert got == want == (True, True, ())


def test_next_functions_of_chain() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        c = T.tensor([1.0, 1.0, 1.0])
        y = ((x * c).exp() + x).sum()
        out = []
        stack = [y.grad_fn]
        while stack:
            n = stack.pop()
            out.append((type(n).__name__, _names(n)))
            stack.extend(m for m, _ in n.next_functions if m is not None)
        return out

    got, want = run_both(prog)
    assert got == want


def test_output_nr_and_name() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        y = x.exp()
        return y.output_nr, y.grad_fn.name()

    got, want = run_both(prog)
    assert got == want


# --------------------------------------------------------------------------- backward basics
def test_grad_accumulates_across_backward_calls() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x * 3).sum().backward()
        return [first, x.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_held_grad_reference_sees_second_backward() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        (x * 2).sum().backward()
        held = x.grad
        (x * 5).sum().backward()
        return held, held is x.grad, x.grad._version

    got, want = run_both(prog)
    assert_same_tensor(got[0], want[0])
    assert got[1:] == want[1:]


def test_grad_is_private_copy_of_seed() -> None:
    # the seed tensor passed to backward must not become x.grad (a later in-place on it would leak)
    def prog(T: Any) -> tuple:
        x = leaf(T)
        seed = T.tensor([1.0, 1.0, 1.0])
        (x + 0).backward(seed)
        return x.grad is seed, x.grad

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensor(got[1], want[1])


def test_retain_graph_then_free() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    got, want = run_both(prog)
    assert_same_tensor(got, want)


def test_second_backward_without_saved_tensors_is_allowed() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        return x.grad

    got, want = run_both(prog)
    assert_same_tensor(got, want)


def test_second_backward_through_freed_graph() -> None:
    def prog(T: Any) -> None:
        x = leaf(T)
        y = (x.exp() + 1).sum()
        y.backward()
        y.backward()

    assert_same_error_full(prog)


def test_saved_tensor_access_after_free() -> None:
    def prog(T: Any) -> None:
        x = leaf(T)
        y = x * x
        y.sum().backward()
        return y.grad_fn._saved_self

    assert_same_error_full(prog)


def test_saved_self_attribute() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        y = x * x
        return y.grad_fn._saved_self is x, y.grad_fn._saved_other

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensor(got[1], want[1])


def test_create_graph_double_backward_cube() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        y = (x**3).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y.backward(create_graph=True)
        g = x.grad
        first = g.detach().clone()
        x.grad = None
        g.sum().backward()
        return [first, g, x.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


_WARN_ONCE_PROG = """
import warnings, sys
import {mod} as T
x = T.tensor([1.0, 2.0], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    T.autograd.grad((x * x).sum(), x, create_graph=True)
    (x * x).sum().backward(create_graph=True)
    (x * x).sum().backward(create_graph=True)
for w in caught:
    print(w.category.__name__, str(w.message).split(" (Triggered internally at ")[0])
"""


def test_create_graph_warning_once_per_process() -> None:
    # torch warns once per process (and not for autograd.grad): fresh interpreters for both
    import subprocess
    import sys

    def run(mod: str) -> str:
        code = _WARN_ONCE_PROG.format(mod=mod)
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    want = run("torch")
    assert want.count("UserWarning") == 1
    assert run("reference_engine") == want


def test_autograd_grad_double() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        (g,) = T.autograd.grad((x**3).sum(), x, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), x)
        return [g, gg, x.grad]

    got, want = run_both(prog)
    assert_same_tensors(got[:2], want[:2])
    assert got[2] is None and want[2] is None


def test_backward_with_gradient_argument() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        (x * x).backward(gradient=T.tensor([1.0, 0.5, 2.0]))
        return x.grad

    got, want = run_both(prog)
    assert_same_tensor(got, want)


@pytest.mark.parametrize("seed_dtype", ["float64", "int64", "float16", "bool"])
def test_seed_of_other_dtype_is_cast(seed_dtype: str) -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        y = x * 2
        y.backward(T.ones(3, dtype=getattr(T, seed_dtype)))
        return x.grad

    got, want = run_both(prog)
    assert_same_tensor(got, want)


def test_backward_inputs_argument() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        w = leaf(T, (4.0, 5.0, 6.0))
        h = x * w
        h.retain_grad()
        y = (h * h).sum()
        y.backward(inputs=[x])
        return [x.grad, w.grad, h.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_backward_inputs_nonleaf() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        h = x * 2
        y = (h * h).sum()
        y.backward(inputs=[h])
        return [x.grad, h.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_backward_inputs_empty() -> None:
    assert_same_error_full(lambda T: (leaf(T) * 2).sum().backward(inputs=[]))


# --------------------------------------------------------------------------- autograd.grad
def test_autograd_grad_basic_does_not_touch_grad() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        w = leaf(T, (2.0, 2.0, 2.0))
        gx, gw = T.autograd.grad((x * w).sum(), (x, w))
        return [gx, gw, x.grad, w.grad]

    got, want = run_both(prog)
    assert_same_tensors(got[:2], want[:2])
    assert got[2:] == want[2:] == [None, None]


def test_autograd_grad_unused_error() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        z = leaf(T)
        return T.autograd.grad((x * 2).sum(), (x, z))

    assert_same_error_full(prog)


@pytest.mark.parametrize("mode", ["allow_unused", "materialize"])
def test_autograd_grad_unused_allowed(mode: str) -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        z = leaf(T)
        kw = {"allow_unused": True} if mode == "allow_unused" else {"materialize_grads": True}
        return list(T.autograd.grad((x * 2).sum(), (x, z), **kw))

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_autograd_grad_materialize_with_allow_unused_false() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        return T.autograd.grad((x * 2).sum(), x, allow_unused=False, materialize_grads=True)

    assert_same_error_full(prog)


def test_autograd_grad_nonleaf_input() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        h = x.exp()
        y = (h * h).sum()
        return [*T.autograd.grad(y, (h, x))]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_autograd_grad_input_without_grad() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        c = T.tensor([1.0, 2.0, 3.0])
        return T.autograd.grad((x * c).sum(), c)

    assert_same_error_full(prog)


def test_autograd_grad_output_without_grad() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        return T.autograd.grad(T.tensor([1.0]).sum(), x)

    assert_same_error_full(prog)


def test_autograd_grad_with_grad_outputs() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        return list(T.autograd.grad(x * x, x, grad_outputs=T.tensor([1.0, 2.0, 3.0])))

    got, want = run_both(prog)
    assert_same_tensors(got, want)


# --------------------------------------------------------------------------- retain_grad and hooks
def test_retain_grad_on_nonleaf() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward()
        return [h.grad, x.grad, h.retains_grad, x.retains_grad]

    got, want = run_both(prog)
    assert_same_tensors(got[:2], want[:2])
    assert got[2:] == want[2:]


def test_retain_grad_accumulates() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        h = x * 2
        h.retain_grad()
        y = (h * h).sum()
        y.backward(retain_graph=True)
        y.backward()
        return h.grad

    got, want = run_both(prog)
    assert_same_tensor(got, want)


def test_hook_on_leaf_modifies_grad() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()) or g * 10)
        (x * x).sum().backward()
        return [x.grad, *seen]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_hook_on_nonleaf_modifies_grad_and_order() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        h = x * 2
        order = []
        h.register_hook(lambda g: order.append("a") or g + 1)
        h.register_hook(lambda g: order.append("b") or g * 2)
        h.retain_grad()
        (h * 3).sum().backward()
        return order, [x.grad, h.grad]

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensors(got[1], want[1])


def test_hook_removal() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        h = x * 2
        handle = h.register_hook(lambda g: g * 100)
        handle.remove()
        handle2 = x.register_hook(lambda g: g * 100)
        handle2.remove()
        h.sum().backward()
        return [x.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_hook_on_tensor_without_grad() -> None:
    assert_same_error_full(lambda T: T.tensor([1.0]).register_hook(lambda g: g))


def test_retain_grad_on_tensor_without_grad() -> None:
    assert_same_error_full(lambda T: T.tensor([1.0]).retain_grad())


def test_node_hook_and_prehook() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
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

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensor(got[1], want[1])


def test_post_hook_replaces_grad_inputs() -> None:
    def prog(T: Any) -> Any:
        x = leaf(T)
        y = x * x
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7, gi[1]))
        y.sum().backward()
        return x.grad

    got, want = run_both(prog)
    assert_same_tensor(got, want)


# --------------------------------------------------------------------------- grad mode
def test_no_grad_context_and_nesting() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        out = []
        with T.no_grad():
            out.append((x * 2).requires_grad)
            with T.enable_grad():
                out.append((x * 2).requires_grad)
            out.append(T.is_grad_enabled())
        out.append(T.is_grad_enabled())
        with T.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        out.append(T.is_grad_enabled())
        return out

    got, want = run_both(prog)
    assert got == want


def test_set_grad_enabled_as_function() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        T.set_grad_enabled(False)
        a = (x * 2).requires_grad
        T.set_grad_enabled(True)
        return [a, (x * 2).requires_grad]

    got, want = run_both(prog)
    assert got == want


def test_grad_mode_decorators() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)

        @T.no_grad()
        def f1() -> bool:
            return (x * 2).requires_grad

        @T.no_grad
        def f2() -> bool:
            return (x * 2).requires_grad

        @T.enable_grad()
        def f3() -> bool:
            return (x * 2).requires_grad

        @T.set_grad_enabled(False)
        def f4() -> bool:
            return (x * 2).requires_grad

        before = T.is_grad_enabled()
        with T.no_grad():
            r3 = f3()
        return [f1(), f2(), r3, f4(), before, T.is_grad_enabled(), f1.__name__]

    got, want = run_both(prog)
    assert got == want


def test_no_grad_is_thread_local() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)
        out: list = []

        def work() -> None:
            out.append((x * 2).requires_grad)

        with T.no_grad():
            t = threading.Thread(target=work)
            t.start()
            t.join()
            out.append((x * 2).requires_grad)
        return out

    got, want = run_both(prog)
    assert got == want == [True, False]


def test_no_grad_generator_decorator() -> None:
    def prog(T: Any) -> list:
        x = leaf(T)

        @T.no_grad()
        def gen() -> Any:
            yield (x * 2).requires_grad
            yield T.is_grad_enabled()

        vals = []
        for v in gen():
            vals.append(v)
            vals.append(T.is_grad_enabled())
        return vals

    got, want = run_both(prog)
    assert got == want


# --------------------------------------------------------------------------- autograd.Function
def _make_functions(T: Any) -> dict:
    class MyExp(T.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (y,) = ctx.saved_tensors
            return g * y

    class Scale(T.autograd.Function):
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

    class WrongCount(T.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g, g

    class AddOneInplace(T.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g

    class SortLike(T.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> tuple:
            idx = T.tensor([2, 0, 1])
            ctx.mark_non_differentiable(idx)
            return x * 1, idx

        @staticmethod
        def backward(ctx: Any, g: Any, gi: Any) -> Any:
            return g

    class Once(T.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * 2 * x

    return {c.__name__: c for c in (MyExp, Scale, WrongCount, AddOneInplace, SortLike, Once)}


def test_function_save_for_backward_and_name() -> None:
    def prog(T: Any) -> tuple:
        f = _make_functions(T)
        x = leaf(T)
        y = f["MyExp"].apply(x)
        name = type(y.grad_fn).__name__
        y.sum().backward()
        return name, _names(y.grad_fn), x.grad, y

    got, want = run_both(prog)
    assert got[:2] == want[:2]
    assert want[0] == "MyExpBackward"
    assert_same_tensor(got[2], want[2])
    assert_same_tensor(got[3], want[3])


def test_function_non_tensor_args_and_needs_input_grad() -> None:
    def prog(T: Any) -> tuple:
        f = _make_functions(T)
        x = leaf(T)
        w = T.tensor([2.0, 2.0, 2.0])
        y = f["Scale"].apply(x, 3.0, w)
        y.sum().backward()
        return y.grad_fn.needs, y.grad_fn.needs_input_grad, _names(y.grad_fn), x.grad

    got, want = run_both(prog)
    assert got[:3] == want[:3]
    assert_same_tensor(got[3], want[3])


def test_function_wrong_number_of_grads() -> None:
    def prog(T: Any) -> None:
        f = _make_functions(T)
        f["WrongCount"].apply(leaf(T)).sum().backward()

    assert_same_error_full(prog)


def test_function_mark_dirty() -> None:
    def prog(T: Any) -> tuple:
        f = _make_functions(T)
        x = leaf(T)
        a = x * 1
        b = f["AddOneInplace"].apply(a)
        name = type(a.grad_fn).__name__
        b.sum().backward()
        return b is a, name, a._version, x.grad

    got, want = run_both(prog)
    assert got[:3] == want[:3]
    assert_same_tensor(got[3], want[3])


def test_function_mark_dirty_on_leaf() -> None:
    def prog(T: Any) -> None:
        f = _make_functions(T)
        f["AddOneInplace"].apply(leaf(T))

    assert_same_error_full(prog)


def test_function_mark_non_differentiable() -> None:
    def prog(T: Any) -> tuple:
        f = _make_functions(T)
        x = leaf(T)
        y, idx = f["SortLike"].apply(x)
        y.sum().backward()
        return y.requires_grad, idx.requires_grad, idx.grad_fn is None, x.grad

    got, want = run_both(prog)
    assert got[:3] == want[:3]
    assert_same_tensor(got[3], want[3])


def test_function_once_differentiable() -> None:
    def prog(T: Any) -> tuple:
        f = _make_functions(T)
        x = leaf(T)
        (g,) = T.autograd.grad(f["Once"].apply(x).sum(), x, create_graph=True)
        return g, g.requires_grad

    got, want = run_both(prog)
    assert got[1] == want[1]
    assert_same_tensor(got[0], want[0])


def test_function_once_differentiable_double_backward_error() -> None:
    def prog(T: Any) -> None:
        f = _make_functions(T)
        x = leaf(T)
        (g,) = T.autograd.grad(f["Once"].apply(x).sum(), x, create_graph=True)
        g.sum().backward()

    assert_same_error_full(prog)


def test_function_without_grad_inputs() -> None:
    def prog(T: Any) -> tuple:
        f = _make_functions(T)
        y = f["MyExp"].apply(T.tensor([1.0, 2.0]))
        return y.requires_grad, y.grad_fn is None

    got, want = run_both(prog)
    assert got == want


# --------------------------------------------------------------------------- version counter and in-place
def test_version_counter_values() -> None:
    def prog(T: Any) -> list:
        a = T.zeros(3)
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

    got, want = run_both(prog)
    assert got == want


@pytest.mark.parametrize("case", ["leaf_saved", "nonleaf_saved", "saved_output_exp", "saved_output_sigmoid"])
def test_modified_by_inplace_messages(case: str) -> None:
    def prog(T: Any) -> None:
        x = leaf(T)
        if case == "leaf_saved":
            a = T.tensor([1.0, 2.0, 3.0])
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
    assert_same_error_full(lambda T: leaf(T).mul_(2))


def test_inplace_on_view_of_leaf() -> None:
    assert_same_error_full(lambda T: leaf(T).view(3).mul_(2))


def test_manual_sgd_update_under_no_grad() -> None:
    def prog(T: Any) -> tuple:
        w = leaf(T)
        (w * w).sum().backward()
        with T.no_grad():
            w -= 0.1 * w.grad
        return w, w.is_leaf, w.grad_fn is None, w._version

    got, want = run_both(prog)
    assert_same_tensor(got[0], want[0])
    assert got[1:] == want[1:]


def test_inplace_into_plain_tensor_makes_nonleaf() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        a = T.zeros(3)
        a += x
        name = type(a.grad_fn).__name__
        (a * a).sum().backward()
        return a.is_leaf, a.requires_grad, name, x.grad

    got, want = run_both(prog)
    assert got[:3] == want[:3]
    assert_same_tensor(got[3], want[3])


def test_inplace_on_nonleaf_chain_grad() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        h = x * 2
        h.mul_(3)
        h.exp_()
        name = type(h.grad_fn).__name__
        h.sum().backward()
        return name, x.grad

    got, want = run_both(prog)
    assert got[0] == want[0]
    assert_same_tensor(got[1], want[1])


@pytest.mark.parametrize("then_exp", [False, True])
def test_inplace_with_self_as_other_breaks_saved(then_exp: bool) -> None:
    # x.mul_(x) saves ``other`` (the same tensor) before the write: backward sees it modified
    def prog(T: Any) -> None:
        h = leaf(T) * 2
        h.mul_(h)
        if then_exp:
            h.exp_()
        h.sum().backward()

    assert_same_error_full(prog)


def test_inplace_self_saved_as_original() -> None:
    # mul_(w) needs the original self for w's grad: kept, so backward works
    def prog(T: Any) -> list:
        x = leaf(T)
        w = leaf(T, (4.0, 5.0, 6.0))
        h = x * 1
        h.mul_(w)
        h.sum().backward()
        return [x.grad, w.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_detach_inplace_on_view() -> None:
    assert_same_error_full(lambda T: T.ones(3)[:2].detach_())


def test_detach_shares_storage_and_version() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        d = x.detach()
        d.add_(1)
        return x, d._version, x._version, d.requires_grad, d.is_leaf

    got, want = run_both(prog)
    assert_same_tensor(got[0], want[0])
    assert got[1:] == want[1:]


def test_detach_inplace() -> None:
    def prog(T: Any) -> tuple:
        x = leaf(T)
        h = x * 2
        r = h.detach_()
        return r is h, h.requires_grad, h.is_leaf, h.grad_fn is None

    got, want = run_both(prog)
    assert got == want


def test_detach_then_inplace_breaks_saved() -> None:
    def prog(T: Any) -> None:
        x = leaf(T)
        y = x.exp()
        y.detach().zero_()
        y.sum().backward()

    assert_same_error_full(prog)


# --------------------------------------------------------------------------- dtype promotion
_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]


def _operand(T: Any, kind: str, dt: str) -> Any:
    if kind == "dim":
        return T.ones(2, dtype=getattr(T, dt))
    return T.ones((), dtype=getattr(T, dt))


@pytest.mark.parametrize("ka", ["dim", "zero"])
@pytest.mark.parametrize("kb", ["dim", "zero"])
def test_binary_result_dtype_table(ka: str, kb: str) -> None:
    def prog(T: Any) -> dict:
        out = {}
        for a in _DTYPES:
            for b in _DTYPES:
                x, y = _operand(T, ka, a), _operand(T, kb, b)
                out[(a, b, "add")] = str((x + y).dtype)
                out[(a, b, "mul")] = str((x * y).dtype)
                out[(a, b, "div")] = str((x / y).dtype)
        return out

    got, want = run_both(prog)
    assert got == want


@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_tensor_scalar_result_dtypes(scalar: Any) -> None:
    def prog(T: Any) -> dict:
        out = {}
        for a in _DTYPES:
            x = T.ones(2, dtype=getattr(T, a))
            out[(a, "mul")] = str((x * scalar).dtype)
            out[(a, "radd")] = str((scalar + x).dtype)
            out[(a, "div")] = str((x / scalar).dtype)
            out[(a, "rtruediv")] = str((scalar / x).dtype) if a != "bool" or scalar is not True else ""
        return out

    got, want = run_both(prog)
    assert got == want


def test_mixed_promotion_values_and_grads() -> None:
    def prog(T: Any) -> list:
        x = T.tensor([1.0, 2.0], dtype=T.float16, requires_grad=True)
        s = T.tensor(3.0, dtype=T.float64, requires_grad=True)
        y = x * s
        y.sum().backward()
        i = T.tensor([1, 2, 3])
        return [y, x.grad, s.grad, i * 1.5, i / i, T.tensor([True, False]) + 1]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_mixed_dtype_grad_is_input_dtype() -> None:
    def prog(T: Any) -> list:
        a = T.tensor([1.0, 2.0], dtype=T.float32, requires_grad=True)
        b = T.tensor([3.0, 4.0], dtype=T.float64, requires_grad=True)
        y = a * b
        y.sum().backward()
        return [y, a.grad, b.grad]

    got, want = run_both(prog)
    assert_same_tensors(got, want)


def test_device_mismatch_message() -> None:
    pytest.skip("only one device (cpu) is available: a device mismatch cannot be produced")


def test_as_numpy_helper_roundtrip() -> None:
    # guards the helper used by every comparison: it must not alias engine data that tests mutate
    t = engine.tensor([1.0, 2.0])
    arr = as_numpy(t)
    assert arr.tolist() == [1.0, 2.0]
    assert_same_error(lambda T: T.tensor([1.0], requires_grad=True).numpy())
