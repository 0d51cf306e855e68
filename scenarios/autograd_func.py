"""torch.func: grad, vjp, jvp, Jacobians, vmap, functional_call and stack_module_state.

The transforms take plain tensors (they make their own differentiable copies), so most inputs here come
from ``check.data`` without ``requires_grad``; results are then plain tensors on both sides.
"""

from conformance import scenario

TAGS = ["autograd_api"]
DTYPES = ["float32", "float64"]


@scenario(tags=TAGS, dtypes=DTYPES)
def func_grad_and_value_has_aux(torch, check):
    x = check.data((4,))
    y = check.data((4,), seed=3)
    f = lambda x, y: (x.sin() * y).sum()
    check("grad", torch.func.grad(f)(x, y))
    check("grad argnums (0, 1)", torch.func.grad(f, argnums=(0, 1))(x, y))
    check("grad argnums -1", torch.func.grad(f, argnums=-1)(x, y))
    check("grad_and_value", torch.func.grad_and_value(f)(x, y))
    aux = lambda x: ((x**2).sum(), {"double": x * 2})
    check("grad has_aux", torch.func.grad(aux, has_aux=True)(x))
    check("grad_and_value has_aux", torch.func.grad_and_value(aux, has_aux=True)(x))
    check("grad of a dict", torch.func.grad(lambda p: (p["a"] * p["b"]).sum())({"a": x, "b": y}))
    check("unused input gives zeros", torch.func.grad(lambda x, y: y.sum(), argnums=0)(x, y))
    xr = check.data((4,), requires_grad=True)
    g = torch.func.grad(lambda x: (x**3).sum())(xr)
    check("grad of a leaf that requires grad is differentiable", g.requires_grad)
    g.sum().backward()
    check("second derivative through ordinary backward", xr.grad)


@scenario(tags=TAGS, dtypes=DTYPES)
def func_grad_errors(torch, check):
    x = check.data((3,))
    check.error("non-scalar output", lambda: torch.func.grad(lambda x: x * 2)(x))
    check.error("non-tensor output", lambda: torch.func.grad(lambda x: 1.0)(x))
    check.error("has_aux without a pair", lambda: torch.func.grad(lambda x: x.sum(), has_aux=True)(x))
    check.error("argnums out of range", lambda: torch.func.grad(lambda x: x.sum(), argnums=1)(x))
    check.error("argnums of a float", lambda: torch.func.grad(lambda x: x.sum(), argnums=0.5)(x))
    check.error("repeated argnums", lambda: torch.func.grad(lambda x, y: x.sum(), argnums=(0, 0))(x, x))
    check.error("empty argnums", lambda: torch.func.grad(lambda x, y: x.sum(), argnums=())(x, x))
    check.error("non-tensor argument", lambda: torch.func.grad(lambda x: x * 2.0)(2.0))


@scenario(tags=TAGS, dtypes=DTYPES)
def func_vjp(torch, check):
    x = check.data((3,))
    y = check.data((3,), seed=5)
    out, vjp_fn = torch.func.vjp(lambda x, y: (x * y, x.exp()), x, y)
    check("outputs", out)
    v = (check.data((3,), seed=7), check.data((3,), seed=8))
    check("vjp", vjp_fn(v))
    check("vjp again (graph kept)", vjp_fn(v))
    out, vjp_fn, aux = torch.func.vjp(lambda x: (x.tanh(), x.sum()), x, has_aux=True)
    check("has_aux output and aux", (out, aux))
    check("has_aux vjp", vjp_fn(torch.ones(3)))
    check.error("integer output", lambda: torch.func.vjp(lambda x: (x > 0).long(), x))
    check.error("has_aux without a pair", lambda: torch.func.vjp(lambda x: x, x, has_aux=True))
    check.error("non-tensor output", lambda: torch.func.vjp(lambda x: (x, 1), x))


@scenario(tags=TAGS, dtypes=DTYPES)
def func_jvp(torch, check):
    x = check.data((3,))
    y = check.data((3,), seed=5)
    t = check.data((3,), seed=9)
    check("jvp one input", torch.func.jvp(lambda x: x.sin() * x, (x,), (t,)))
    check("jvp two inputs", torch.func.jvp(lambda x, y: x * y + y.exp(), (x, y), (t, t * 2)))
    check("jvp of two outputs", torch.func.jvp(lambda x: (x.cos(), (x**2).sum()), (x,), (t,)))
    check("jvp of a constant output", torch.func.jvp(lambda x: torch.ones(2), (x,), (t,)))
    check("jvp has_aux", torch.func.jvp(lambda x: (x * 3, x.sum()), (x,), (t,), has_aux=True))
    check.error("primals not a tuple", lambda: torch.func.jvp(lambda x: x, x, (t,)))
    check.error("empty primals", lambda: torch.func.jvp(lambda: x, (), ()))
    check.error(
        "strict with an independent output", lambda: torch.func.jvp(lambda x: torch.ones(2), (x,), (t,), strict=True)
    )


@scenario(tags=TAGS, dtypes=DTYPES)
def func_jacobians_and_hessian(torch, check):
    x = check.data((3,))
    y = check.data((2,), seed=4)
    f = lambda x, y: torch.cat([x.sin() * y.sum(), y**2])
    check("jacrev", torch.func.jacrev(f)(x, y))
    check("jacrev argnums (0, 1)", torch.func.jacrev(f, argnums=(0, 1))(x, y))
    check("jacfwd", torch.func.jacfwd(f)(x, y))
    check("jacfwd argnums 1", torch.func.jacfwd(f, argnums=1)(x, y))
    m = check.data((2, 3), seed=6)
    check("jacrev of a matrix function", torch.func.jacrev(lambda m: m.tanh() @ x)(m))
    check("jacrev of two outputs", torch.func.jacrev(lambda x: (x.exp(), x.sum()))(x))
    check("jacrev has_aux", torch.func.jacrev(lambda x: (x.sin(), x.cos()), has_aux=True)(x))
    g = lambda x, y: (x.sin() * y[0] + x**3).sum()
    check("hessian", torch.func.hessian(g)(x, y))
    check("hessian argnums (0, 1)", torch.func.hessian(g, argnums=(0, 1))(x, y))
    check("jacrev of jacrev", torch.func.jacrev(torch.func.jacrev(lambda x: (x**3).sum()))(x))
    check.error("complex input", lambda: torch.func.jacrev(lambda z: z * 2)(torch.ones(2, dtype=torch.complex64)))
    check.error(
        "jacfwd complex input", lambda: torch.func.jacfwd(lambda z: z * 2)(torch.ones(2, dtype=torch.complex64))
    )


@scenario(tags=TAGS, dtypes=DTYPES)
def func_vmap_dims(torch, check):
    xs = check.data((4, 3))
    w = check.data((3,), seed=2)
    check("in_dims 0", torch.func.vmap(lambda x: (x * w).sum())(xs))
    check("in_dims (0, None)", torch.func.vmap(lambda x, w: x @ w, in_dims=(0, None))(xs, w))
    check("in_dims 1", torch.func.vmap(lambda x: x.cumsum(0), in_dims=1)(xs))
    check("in_dims -1", torch.func.vmap(lambda x: x * 2, in_dims=-1)(xs))
    check("out_dims 1", torch.func.vmap(lambda x: x.exp(), out_dims=1)(xs))
    check("out_dims per output", torch.func.vmap(lambda x: (x, x.sum()), out_dims=(1, 0))(xs))
    check("out_dims None", torch.func.vmap(lambda x: (x.sum(), w), out_dims=(0, None))(xs))
    check(
        "nested in_dims over a dict",
        torch.func.vmap(lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},))({"a": xs, "b": w}),
    )
    check("kwargs are not mapped", torch.func.vmap(lambda x, scale=1.0: x * scale)(xs, scale=w))
    check(
        "nested vmap", torch.func.vmap(torch.func.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(w, xs)
    )
    check("vmap outer product", torch.func.vmap(lambda a: torch.func.vmap(lambda b: a * b)(w))(w))
    check("torch.func.vmap of a torch op", torch.func.vmap(torch.dot)(xs, xs))


@scenario(tags=TAGS, dtypes=DTYPES)
def func_vmap_errors(torch, check):
    xs = check.data((4, 3))
    ys = check.data((3, 3), seed=1)

    def mapped(x, y):
        return x + y

    check.error("mismatched batch sizes", lambda: torch.func.vmap(mapped)(xs, ys))
    check.error("in_dim out of range", lambda: torch.func.vmap(mapped, in_dims=(2, 0))(xs, ys))
    check.error("in_dim on a number", lambda: torch.func.vmap(lambda x, s: x * s, in_dims=(0, 0))(xs, 2.0))
    check.error("in_dims a list", lambda: torch.func.vmap(mapped, in_dims=[0, 0])(xs, xs))
    check.error("in_dim a float", lambda: torch.func.vmap(mapped, in_dims=(0, 0.5))(xs, xs))
    check.error("nothing mapped", lambda: torch.func.vmap(mapped, in_dims=None)(xs, xs))
    check.error("no inputs", lambda: torch.func.vmap(lambda: xs)())
    check.error("non-tensor output", lambda: torch.func.vmap(lambda x: 1.0)(xs))
    check.error("out_dims a string", lambda: torch.func.vmap(lambda x: x, out_dims="a")(xs))
    check.error("bad randomness", lambda: torch.func.vmap(lambda x: x, randomness="sometimes"))
    check.error("random op in error mode", lambda: torch.func.vmap(lambda x: x + torch.rand(3))(xs))
    check.error("randn_like in error mode", lambda: torch.func.vmap(lambda x: torch.randn_like(x))(xs))
    check.error("dropout in error mode", lambda: torch.func.vmap(torch.nn.functional.dropout)(xs))
    check(
        "eval-mode dropout draws nothing", torch.func.vmap(lambda x: torch.nn.functional.dropout(x, training=False))(xs)
    )
    torch.manual_seed(0)
    same = torch.func.vmap(lambda x: x + torch.rand(3), randomness="same")(torch.zeros(2, 3))
    check("randomness same: every example alike", (same[0] == same[1]).all())
    check("after the error, the generator still draws", torch.rand(2).shape)


def _per_sample_model(torch, check):
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    check.same_weights(model)
    return model


@scenario(tags=TAGS, dtypes=DTYPES)
def func_functional_call(torch, check):
    model = _per_sample_model(torch, check)
    x = check.data((4, 3))
    params = {k: v.detach() * 2 for k, v in model.named_parameters()}
    check("with doubled parameters", torch.func.functional_call(model, params, (x,)))
    check("the module keeps its own", model(x))
    check("one tensor as args", torch.func.functional_call(model, params, x))
    half = dict(list(params.items())[:2])
    check("a partial dict", torch.func.functional_call(model, (half, {}), x))
    check.error("strict with a missing key", lambda: torch.func.functional_call(model, half, x, strict=True))
    check.error(
        "strict with an unexpected key",
        lambda: torch.func.functional_call(model, {**params, "bogus": x}, x, strict=True),
    )
    check.error("a key in two dicts", lambda: torch.func.functional_call(model, (half, half), x))
    check.error("not a dict", lambda: torch.func.functional_call(model, 3, x))
    bn = torch.nn.BatchNorm1d(3)
    buffers = {"running_mean": torch.ones(3), "running_var": torch.ones(3) * 2}
    out = torch.func.functional_call(bn.eval(), buffers, x)
    check("buffers swapped in", out)
    check("the module's buffers are back", bn.running_mean)
    grads = torch.func.grad(lambda p: torch.func.functional_call(model, p, x).pow(2).sum())(params)
    check("grad through functional_call", grads)


@scenario(tags=TAGS, dtypes=DTYPES)
def func_per_sample_grads(torch, check):
    model = _per_sample_model(torch, check)
    xs = check.data((6, 3))
    ys = check.data((6, 2), seed=11)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_fn(params, x, y):
        pred = torch.func.functional_call(model, params, (x.unsqueeze(0),))
        return torch.nn.functional.mse_loss(pred, y.unsqueeze(0))

    per_sample = torch.func.vmap(torch.func.grad(loss_fn), in_dims=(None, 0, 0))(params, xs, ys)
    check("per-sample grads", per_sample)
    # the same numbers by ordinary autograd, one sample at a time
    for i in range(2):
        model.zero_grad()
        torch.nn.functional.mse_loss(model(xs[i : i + 1]), ys[i : i + 1]).backward()
        check("autograd grad of sample", {k: p.grad for k, p in model.named_parameters()})
    losses = torch.func.vmap(loss_fn, in_dims=(None, 0, 0))(params, xs, ys)
    check("per-sample losses", losses)
    g, value = torch.func.vmap(torch.func.grad_and_value(loss_fn), in_dims=(None, 0, 0))(params, xs, ys)
    check("grad_and_value under vmap", (g["0.bias"], value))


@scenario(tags=TAGS, dtypes=DTYPES)
def func_stack_module_state(torch, check):
    models = [torch.nn.Linear(3, 2) for _ in range(3)]
    for i, m in enumerate(models):
        check.same_weights(m, key=f"model{i}")
    params, buffers = torch.func.stack_module_state(models)
    check("stacked params", params)
    check("stacked params are leaves", [(p.is_leaf, p.requires_grad) for p in params.values()])
    check("no buffers", len(buffers))
    x = check.data((4, 3))
    out = torch.func.vmap(lambda p, b, x: torch.func.functional_call(models[0], (p, b), (x,)), in_dims=(0, 0, None))(
        params, buffers, x
    )
    # values only: the output's grad_fn is compared in vmap_output_records_the_last_op (a registered divergence)
    check("ensemble output", out.detach())
    out.sum().backward()
    check("grad into the stacked leaves", params["weight"].grad)
    bns = [torch.nn.BatchNorm1d(2) for _ in range(2)]
    _, b2 = torch.func.stack_module_state(bns)
    check("stacked buffers", b2)
    check("buffers do not require grad", [b.requires_grad for b in b2.values()])
    check.error("no models", lambda: torch.func.stack_module_state([]))
    check.error("mixed classes", lambda: torch.func.stack_module_state([torch.nn.Linear(3, 2), torch.nn.Tanh()]))
    check.error("mixed modes", lambda: torch.func.stack_module_state([models[0], torch.nn.Linear(3, 2).eval()]))
    frozen = torch.nn.Linear(3, 2).requires_grad_(False)
    check.error("mixed requires_grad", lambda: torch.func.stack_module_state([models[0], frozen]))


@scenario(tags=TAGS, dtypes=DTYPES)
def vmap_output_records_the_last_op(torch, check):
    w = check.data((3,), requires_grad=True)
    xs = check.data((4, 3))
    out = torch.func.vmap(lambda x: (x * w).sum() + 1.0)(xs)
    check("vmap output", out)  # torch: AddBackward0 (its batched last op)


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def func_transforms_refuse_hooks_and_old_style_functions(torch, check):
    grad, vjp, jvp, vmap, jacfwd = torch.func.grad, torch.func.vjp, torch.func.jvp, torch.func.vmap, torch.func.jacfwd
    checkpoint = torch.utils.checkpoint.checkpoint
    x = check.data((3,), seed=30)

    def hooked(a):
        with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            return a.sin().sum()

    class OldStyle(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a.sin()

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a.cos()

    class NewStyle(torch.autograd.Function):
        @staticmethod
        def forward(a):
            return a.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a.cos()

    check.error("grad with saved-tensor hooks", lambda: grad(hooked)(x))
    check.error("vjp with saved-tensor hooks", lambda: vjp(hooked, x))
    check("jvp accepts them", jvp(hooked, (x,), (torch.ones(3),))[1])
    check("jacfwd accepts them", jacfwd(hooked)(x))
    check.error(
        "non-reentrant checkpoint under grad",
        lambda: grad(lambda a: checkpoint(torch.sin, a, use_reentrant=False).sum())(x),
    )
    check.error("old-style Function under grad", lambda: grad(lambda a: OldStyle.apply(a).sum())(x))
    check.error("old-style Function under vmap", lambda: vmap(OldStyle.apply)(x))
    check("new-style Function under grad", grad(lambda a: NewStyle.apply(a).sum())(x))
    check("old-style Function outside", OldStyle.apply(x))
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        check.error("grad inside saved-tensor hooks", lambda: grad(lambda a: a.sin().sum())(x))
