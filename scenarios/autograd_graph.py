"""torch.autograd.graph: saved tensors hooks (saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks), multi-grad
hooks, gradient edges and version counters, and what nodes expose of what they saved."""

from conformance import scenario


def _counting(torch, log):
    """Hooks that record each call: pack logs whether the saved tensor has a grad_fn (an output of its node)."""

    def pack(t):
        log.append(f"pack {tuple(t.shape)} {t.grad_fn is not None}")
        return t

    def unpack(t):
        log.append("unpack")
        return t

    return torch.autograd.graph.saved_tensors_hooks(pack, unpack)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_call_counts_builtin_ops(torch, check):
    x = check.data((3,), seed=1, requires_grad=True)
    ops = {"pow": lambda x: x.pow(2), "exp": lambda x: x.exp(), "mul": lambda x: x * (x + 1), "sin": torch.sin}
    for name, f in ops.items():
        log = []
        with _counting(torch, log):
            y = f(x)
        check(f"{name} packs", sorted(log))
        y.sum().backward()
        check(f"{name} unpacks", log.count("unpack"))
        check(f"{name} x.grad", x.grad)
        x.grad = None
    log = []
    with _counting(torch, log):
        y = x.sum()  # saves nothing
    check("sum log", log)
    with torch.no_grad(), _counting(torch, log):
        x.sin()  # nothing recorded: nothing packed
    check("no_grad log", log)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_each_access_unpacks(torch, check):
    x = check.data((2, 3), seed=2, requires_grad=True)
    log = []
    with _counting(torch, log):
        y = x.exp()
    r = y.grad_fn._saved_result
    r2 = y.grad_fn._saved_result
    check("log", log)
    check("saved result", r)
    check("saved result grad_fn", r2.grad_fn)
    check("is y", r is y)
    with _counting(torch, log):
        z = (x * 2).sin()
    s = z.grad_fn._saved_self
    check("saved self grad_fn", s.grad_fn)
    with _counting(torch, log):
        w = x.cos()
    s = w.grad_fn._saved_self
    check("leaf saved: requires_grad, grad_fn", (s.requires_grad, s.grad_fn, s is x))
    (g,) = torch.autograd.grad(w.sum(), x, create_graph=True)
    check("grad", g)
    g.sum().backward()
    check("double backward x.grad", x.grad)
    check("unpacks", log.count("unpack"))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_custom_function(torch, check):
    class Mul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            out = a * b
            ctx.save_for_backward(a, b, out)
            return out

        @staticmethod
        def backward(ctx, g):
            a, b, out = ctx.saved_tensors
            _ = ctx.saved_tensors  # a second access unpacks all three again
            return g * b, g * a + out * 0

    a = check.data((4,), seed=3, requires_grad=True)
    b = check.data((4,), seed=4, requires_grad=True)
    log = []
    with _counting(torch, log):
        y = Mul.apply(a, b)
    check("packs", list(log))
    y.sum().backward()
    check("unpacks", log.count("unpack"))
    check("a.grad", a.grad)
    check("b.grad", b.grad)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_packed_value_is_what_backward_sees(torch, check):
    x = check.data((3, 2), seed=5, requires_grad=True)
    hooks = torch.autograd.graph.saved_tensors_hooks
    with hooks(lambda t: t * 2, lambda t: t / 2):  # stored doubled, halved back: same grads
        y = (x.sin() * x).exp()
    y.sum().backward()
    check("x.grad doubled/halved", x.grad)
    x.grad = None
    with hooks(lambda t: t.detach().clone(), lambda t: t * 3):  # unpack lies: backward uses its result
        y = x.pow(3) + x.exp()
    y.sum().backward()
    check("x.grad wrong unpack", x.grad)
    check("y", y)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_nested_innermost_applies(torch, check):
    x = check.data((3,), seed=6, requires_grad=True)
    log = []
    hooks = torch.autograd.graph.saved_tensors_hooks

    def tagged(tag):
        return hooks(lambda t: (log.append(f"pack {tag}"), t)[1], lambda t: (log.append(f"unpack {tag}"), t)[1])

    with tagged("outer"):
        with tagged("inner"):
            a = x.sin()
        b = a.cos()
    c = b.exp() * 1.0  # no hooks here
    c.sum().backward()
    check("log", log)
    check("x.grad", x.grad)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_errors(torch, check):
    x = check.data((3,), seed=7, requires_grad=True)
    hooks = torch.autograd.graph.saved_tensors_hooks
    for bad in (3, None):
        with hooks(lambda t: t, lambda t, bad=bad: bad):
            y = x.sin()
        check.error(f"unpack returns {bad!r}", lambda y=y: y.sum().backward())

    def modify():
        with hooks(lambda t: t.mul_(1), lambda t: t):
            (x * 1).sin()

    check.error("pack modifies in place", modify)

    def not_callable():
        with hooks(1, 2):
            pass

    check.error("not callable", not_callable)
    with hooks(lambda t: t, lambda t: t):  # the stack is still sound after the errors
        y = x.sin()
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_no_version_check(torch, check):
    a = check.data((3,), seed=8, requires_grad=True)
    hooks = torch.autograd.graph.saved_tensors_hooks
    for name, pack in (("same", lambda t: t), ("clone", lambda t: t.clone())):
        b = a * 1
        with hooks(pack, lambda t: t):
            y = b.sin()
        b.add_(1)  # no error under hooks: backward sees what unpack returns
        y.sum().backward()
        check(f"a.grad {name}", a.grad)
        a.grad = None
    b = a * 1
    y = b.sin()
    b.add_(1)
    check.error("without hooks", lambda: y.sum().backward())


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_disable_and_save_on_cpu(torch, check):
    G = torch.autograd.graph
    x = check.data((2, 2), seed=9, requires_grad=True)

    def push_inside():
        with G.disable_saved_tensors_hooks("no hooks here"), G.save_on_cpu():
            pass

    check.error("push inside disable", push_inside)

    def disable_inside():
        with G.save_on_cpu(), G.disable_saved_tensors_hooks("hooks already on"):
            pass

    check.error("disable with hooks on", disable_inside)

    def nested():
        with G.disable_saved_tensors_hooks("outer msg"):
            with G.disable_saved_tensors_hooks("inner msg"):
                pass
            with G.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

    check.error("nested restores outer message", nested)
    with G.save_on_cpu():  # enabled again
        y = (x.exp() * x).tanh()
    with G.save_on_cpu(pin_memory=True):
        z = x.sigmoid() * x
    check("y", y)
    check("saved", y.grad_fn._saved_result)
    (y.sum() + z.sum()).backward()
    check("x.grad", x.grad)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_hooks_pack_order_of_mm(torch, check):
    a = check.data((2, 3), requires_grad=True)
    b = check.data((3, 4), requires_grad=True)
    log = []
    with _counting(torch, log):
        a.mm(b)
    check("mm packs, in call order", log)  # torch saves a node's tensors by name: mat2 (3, 4) before self (2, 3)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def multi_grad_hook_all_mode(torch, check):
    register = torch.autograd.graph.register_multi_grad_hook
    a = check.data((2, 3), seed=20, requires_grad=True)
    b = check.data((2, 3), seed=21, requires_grad=True)
    c = a * b
    d = a * b
    calls = []
    handle = register((a, b, c, d), lambda grads: calls.append(list(grads)))
    c.sum().backward(retain_graph=True)
    check("backward: grads of a, b, c; d not in the graph", calls[-1])
    c.sum().backward(inputs=(a,), retain_graph=True)
    check("inputs=(a,): b not computed", calls[-1])
    check("autograd.grad of c", torch.autograd.grad(c.sum(), (c,), retain_graph=True))
    check("hook saw only c", calls[-1])
    check.error("autograd.grad of a leaf", lambda: torch.autograd.grad(c.sum(), (a,), retain_graph=True))
    check("calls", len(calls))
    handle.remove()
    c.sum().backward(retain_graph=True)
    check("no call after remove", len(calls))
    check("handle type", type(handle).__name__)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def multi_grad_hook_any_mode_and_errors(torch, check):
    graph = torch.autograd.graph
    a = check.data((3,), seed=22, requires_grad=True)
    b = check.data((3,), seed=23, requires_grad=True)
    c = a.exp()
    d = b * 2
    calls = []
    graph.register_multi_grad_hook((a, b, c, d), lambda g: calls.append(g), mode="any")
    (c.sum() + d.sum()).backward(retain_graph=True)
    check("once per backward", len(calls))
    check("the first grad computed", calls[0])
    d.sum().backward()
    check("second backward", calls[-1])
    check.error("bad mode", lambda: graph.register_multi_grad_hook((a,), print, mode="some"))
    check.error("a tensor without grad", lambda: graph.register_multi_grad_hook((torch.ones(2),), print))
    check("any mode skips it", type(graph.register_multi_grad_hook((torch.ones(2),), print, mode="any")).__name__)
    edge = graph.get_gradient_edge(c)
    check("gradient edge", (edge.node.name(), edge.output_nr))
    check("gradient edge of a leaf", graph.get_gradient_edge(a).node.name())
    check.error("gradient edge without grad", lambda: graph.get_gradient_edge(torch.ones(1)))
    e = a.detach().clone()
    v0 = e._version
    graph.increment_version(e)
    check("increment_version", e._version - v0)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def saved_alpha_of_add_and_sub_nodes(torch, check):
    # grad_fn._saved_alpha: the int 1 by default, the scalar as given otherwise (a float 1.0 stays a float)
    x = check.data((3,), seed=24, requires_grad=True)
    y = check.data((3,), seed=25, requires_grad=True)
    made = {
        "x + y": x + y,
        "x + 1": x + 1,
        "add alpha 1.0": torch.add(x, y, alpha=1.0),
        "add alpha 2": torch.add(x, y, alpha=2),
        "add_ alpha -0.5": x.add(y, alpha=-0.5),
        "x - y": x - y,
        "sub alpha 3": torch.sub(x, y, alpha=3),
        "1 - x": 1 - x,
        "rsub alpha 2.5": torch.rsub(x, y, alpha=2.5),
    }
    for label, out in made.items():
        alpha = out.grad_fn._saved_alpha
        check(f"{label}: node", out.grad_fn.name())
        check(f"{label}: alpha", (alpha, type(alpha).__name__))
    sum(out.sum() for out in made.values()).backward()
    check("x.grad", x.grad)
    check("y.grad", y.grad)
