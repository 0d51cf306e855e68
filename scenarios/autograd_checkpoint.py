"""torch.utils.checkpoint (both modes, RNG, checkpoint_sequential) and torch.autograd.gradcheck/gradgradcheck."""

from conformance import scenario


def _counted(torch, calls):
    def fn(x, w):
        calls.append(1)  # the forward runs again during backward: counted
        return (x.exp() * w).sin()

    return fn


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def checkpoint_both_modes_values_grads_recompute(torch, check):
    for reentrant in (True, False):
        x = check.data((3, 4), seed=1, requires_grad=True)
        w = check.data((4,), seed=2, requires_grad=True)
        calls = []
        y = torch.utils.checkpoint.checkpoint(_counted(torch, calls), x, w, use_reentrant=reentrant)
        check("y", y)
        check("calls after forward", len(calls))
        y.sum().backward()
        check("calls after backward", len(calls))
        check("x.grad", x.grad)
        check("w.grad", w.grad)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def checkpoint_non_reentrant_recompute_only_when_saved(torch, check):
    # torch reruns the region only when backward needs a tensor it saved: x * 2 saves none
    x = check.data((3,), seed=3, requires_grad=True)
    for name, fn in (("scale", lambda t: t * 2), ("exp", lambda t: t.exp())):
        calls = []

        def counted(t, fn=fn, calls=calls):
            calls.append(1)
            return fn(t)

        y = torch.utils.checkpoint.checkpoint(counted, x, use_reentrant=False)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        check(f"{name} calls", len(calls))
    check("x.grad", x.grad)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def checkpoint_dropout_preserve_rng_state(torch, check):
    for reentrant in (True, False):
        for preserve in (True, False):
            torch.manual_seed(0)
            x = check.data((4, 5), seed=4, requires_grad=True)
            y = torch.utils.checkpoint.checkpoint(
                lambda t: torch.nn.functional.dropout(t.sin(), 0.5, training=True) * 3,
                x,
                use_reentrant=reentrant,
                preserve_rng_state=preserve,
            )
            check("y", y)
            y.sum().backward()
            check("x.grad", x.grad)  # the rerun's mask: the forward's one only with preserve_rng_state
            check("next draw", torch.rand(3))  # the generator after backward


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def checkpoint_sequential_segments(torch, check):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2)
    )
    check.same_weights(model)
    for reentrant in (True, False):
        x = check.data((3, 4), seed=5, requires_grad=True)
        y = torch.utils.checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=reentrant)
        check("y", y)
        y.pow(2).sum().backward()
        check("x.grad", x.grad)
        check("model grads", model)
        check("weight grad", model[0].weight.grad)
        model.zero_grad()


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def checkpoint_warnings_and_errors(torch, check):
    ck = torch.utils.checkpoint
    x = check.data((3,), seed=6, requires_grad=True)
    y = ck.checkpoint(lambda t: t.sin(), x)  # use_reentrant not passed: a warning
    check("default mode node", y.grad_fn)
    ck.checkpoint_sequential([torch.nn.Tanh(), torch.nn.Tanh()], 2, x)
    z = ck.checkpoint(lambda t: t.sin(), x.detach(), use_reentrant=True)  # warns: no input requires grad
    check("no grad input", z)
    check.error("unexpected kwarg", lambda: ck.checkpoint(lambda t: t, x, use_reentrant=True, foo=1))
    check.error("sequential kwarg", lambda: ck.checkpoint_sequential([torch.sin], 1, x, use_reentrant=True, foo=1))
    y = ck.checkpoint(lambda t: t.sin(), x, use_reentrant=True)
    check.error("reentrant with grad()", lambda: torch.autograd.grad(y.sum(), x))
    y = ck.checkpoint(lambda t: t.sin(), x, use_reentrant=False)
    check("non-reentrant with grad()", torch.autograd.grad(y.sum(), x))
    y = ck.checkpoint(lambda t: t.detach() * 2, x, use_reentrant=True)
    check.error("no output requires grad", lambda: y.sum().backward())
    y = ck.checkpoint(lambda t: t.exp(), x, use_reentrant=False)
    y.sum().backward()
    check.error("second backward", lambda: y.sum().backward())


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def checkpoint_double_backward_and_inplace(torch, check):
    x = check.data((3,), seed=7, requires_grad=True)
    y = torch.utils.checkpoint.checkpoint(lambda t: t.exp() * t, x, use_reentrant=False)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    check("g", g)
    check("gg", torch.autograd.grad(g.sum(), x))
    for reentrant in (True, False):
        z = x * 1
        y = torch.utils.checkpoint.checkpoint(lambda t: t.exp(), z, use_reentrant=reentrant)
        z.add_(1)  # an input changed in place after the forward
        check.error("input modified", lambda y=y: y.sum().backward())
    y = torch.utils.checkpoint.checkpoint(lambda t: t.exp(), x, use_reentrant=False)
    y.add_(1)  # the saved output is recomputed, so torch does not see this change
    y.sum().backward()
    check("x.grad", x.grad)


def _bad_square(torch):
    class BadSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # wrong: d(x*x)/dx is 2x

    return BadSquare


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def gradcheck_passes_in_double(torch, check):
    x = check.data((2, 3), seed=8, dtype=torch.float64, requires_grad=True)
    w = check.data((3,), seed=9, dtype=torch.float64, requires_grad=True)
    check("sin", torch.autograd.gradcheck(torch.sin, (x,)))
    check("two inputs", torch.autograd.gradcheck(lambda a, b: (a * b).exp().sum(1), (x, w)))
    check("two outputs", torch.autograd.gradcheck(lambda a: (a.tanh(), a.sum() * 2), (x,)))
    check("raise_exception=False", torch.autograd.gradcheck(torch.sin, (x,), raise_exception=False))
    check.error("no input requires grad", lambda: torch.autograd.gradcheck(torch.sin, (x.detach(),)))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def gradcheck_fails_on_wrong_backward(torch, check):
    x = check.data((3,), seed=10, dtype=torch.float64, requires_grad=True)
    bad = _bad_square(torch)
    check.error("wrong backward", lambda: torch.autograd.gradcheck(bad.apply, (x,)))
    check("raise_exception=False", torch.autograd.gradcheck(bad.apply, (x,), raise_exception=False))
    check.error("gradgradcheck of it", lambda: torch.autograd.gradgradcheck(bad.apply, (x,)))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def gradcheck_float32_warns(torch, check):
    # a linear function: float32 rounding is the same in both, so the verdict is too
    x = check.data((3,), seed=11, dtype=torch.float32, requires_grad=True)
    check("float32", torch.autograd.gradcheck(lambda t: t * 4 + 1, (x,), raise_exception=False))
    check.error(
        "float32 zero tolerance", lambda: torch.autograd.gradcheck(lambda t: t * 3, (x,), eps=1e-2, atol=0, rtol=0)
    )
    calls = []

    def counted(t):
        calls.append(1)
        return t * 2

    check("passes", torch.autograd.gradcheck(counted, (x.double().detach().requires_grad_(),)))
    check("func calls", len(calls))  # 1 + 2 per element + 1 for the undefined-grad check


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def gradgradcheck_second_derivatives(torch, check):
    x = check.data((2, 3), seed=12, dtype=torch.float64, requires_grad=True)
    go = check.data((3,), seed=13, dtype=torch.float64, requires_grad=True)
    check("cube", torch.autograd.gradgradcheck(lambda t: (t**3).sum(0), (x,), (go,)))
    torch.manual_seed(0)  # without grad_outputs they are drawn from the generator, as torch draws them
    check("tanh random grad_outputs", torch.autograd.gradgradcheck(lambda t: t.tanh() * t, (x,)))
    check("next draw", torch.rand(2, dtype=torch.float64))
